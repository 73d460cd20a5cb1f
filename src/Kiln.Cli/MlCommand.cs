using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Kiln.ML.Data;
using Kiln.ML.Trainers;

namespace Kiln.Cli;

/// <summary>
/// `kiln ml train|predict`: the built-in algorithms on local files, without a server, so they can be
/// used and measured on their own. Output follows SageMaker: train leaves DIR/model.tar.gz, predict
/// writes the algorithm's inference response.
/// </summary>
internal static class MlCommand
{
    public static Command Create() => new("ml", "Train and run SageMaker's built-in algorithms on local files")
    {
        Train(),
        Predict(),
    };

    private static Option<int> Threads() => new("--threads")
    {
        Description = "Worker threads (default: all cores)",
        DefaultValueFactory = _ => Environment.ProcessorCount,
    };

    private static Option<string> ContentType() => new("--content-type")
    {
        Description = "text/csv, text/libsvm, application/x-recordio-protobuf or application/jsonlines",
        DefaultValueFactory = _ => ContentTypes.Csv,
    };

    private static Command Train()
    {
        var algorithm = new Option<string>("--algorithm") { Description = "xgboost, linear-learner, kmeans, pca, knn, randomcutforest or factorization-machines", Required = true };
        var train = new Option<string>("--train") { Description = "Training channel file (label first for supervised algorithms)", Required = true };
        var validation = new Option<string?>("--validation") { Description = "Validation channel file" };
        var contentType = ContentType();
        var hp = new Option<string[]>("--hp") { Description = "Hyperparameter key=value (repeatable)", AllowMultipleArgumentsPerToken = true };
        var output = new Option<string>("--output") { Description = "Directory for model.tar.gz", Required = true };
        var threads = Threads();
        var stream = new Option<string>("--stream")
        {
            Description = "Out-of-core training for linear-learner, kmeans, pca and factorization-machines: auto (files over 256 MiB), always or never",
            DefaultValueFactory = _ => "auto",
        };
        stream.AcceptOnlyFromAmong("auto", "always", "never");
        var command = new Command("train", "Train a model and write DIR/model.tar.gz")
        {
            algorithm, train, validation, contentType, hp, output, threads, stream,
        };
        command.SetAction(parse => Run(() =>
        {
            var trainer = Algorithms.Get(parse.GetValue(algorithm)!);
            if (trainer is Kiln.ML.Trainers.XGBoost.XGBoostTrainer)
            {
                Kiln.ML.Trainers.XGBoost.XGBoostTrainer.LoadLibrary();
            }
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var pair in parse.GetValue(hp) ?? [])
            {
                var eq = pair.IndexOf('=');
                if (eq <= 0)
                {
                    throw new ArgumentException($"--hp '{pair}' is not key=value");
                }
                values[pair[..eq]] = pair[(eq + 1)..];
            }
            var type = parse.GetValue(contentType)!;
            // Unsupervised algorithms still read label-first files (SageMaker ignores the label column).
            using var stdout = StandardOutput(autoFlush: true);
            var clock = Stopwatch.StartNew();
            var trainPath = parse.GetValue(train)!;
            var validationPath = parse.GetValue(validation);
            var context = new TrainingContext
            {
                Threads = Math.Max(1, parse.GetValue(threads)),
                Progress = ProgressLines(stdout),
            };
            IModel model;
            double readSeconds;
            if (trainer is IStreamingTrainer streaming && Streams(parse.GetValue(stream)!, trainPath, type))
            {
                // The file is read during training, once per pass, so read time is part of train time.
                var trainSource = new BatchSource(trainPath, type, hasLabel: true);
                var validationSource = validationPath is null ? null : new BatchSource(validationPath, type, hasLabel: true, trainSource.FeatureCount);
                readSeconds = 0;
                model = streaming.Train(trainSource, validationSource, new Hyperparameters(values), context);
            }
            else
            {
                var trainData = DataReader.ReadAll(trainPath, type, hasLabel: true);
                var validationData = validationPath is null ? null : DataReader.ReadAll(validationPath, type, hasLabel: true, trainData.Cols);
                // XGBoost's rank: objectives need query groups, from libsvm qid: or a FILE.group beside the
                // data; looking for them is reading input, so it is timed as reading.
                var xgboost = trainer as Kiln.ML.Trainers.XGBoost.XGBoostTrainer;
                var trainGroups = xgboost is null ? null : Kiln.ML.Trainers.XGBoost.QueryGroups.Find(trainPath, type);
                var validationGroups = xgboost is null || validationPath is null ? null : Kiln.ML.Trainers.XGBoost.QueryGroups.Find(validationPath, type);
                readSeconds = clock.Elapsed.TotalSeconds;
                model = xgboost is not null
                    ? xgboost.Train(trainData, validationData, new Hyperparameters(values), context, trainGroups, validationGroups)
                    : trainer.Train(trainData, validationData, new Hyperparameters(values), context);
            }
            var trainSeconds = clock.Elapsed.TotalSeconds - readSeconds;
            var archive = Algorithms.SaveArchive(model, parse.GetValue(output)!);
            var saveSeconds = clock.Elapsed.TotalSeconds - readSeconds - trainSeconds;
            var metrics = new Dictionary<string, object>(StringComparer.Ordinal)
            {
                ["algorithm"] = model.Algorithm,
                ["model"] = archive,
                ["read_seconds"] = Math.Round(readSeconds, 4),
                ["save_seconds"] = Math.Round(saveSeconds, 4),
                ["train_seconds"] = Math.Round(trainSeconds, 4),
            };
            foreach (var (name, value) in model.Metrics)
            {
                metrics[name] = double.IsFinite(value) ? value : value.ToString(CultureInfo.InvariantCulture);
            }
            WriteJsonLine(stdout, metrics);
            (model as IDisposable)?.Dispose();
        }));
        return command;
    }

    private static Command Predict()
    {
        var modelPath = new Option<string>("--model") { Description = "model.tar.gz written by `kiln ml train`", Required = true };
        var input = new Option<string>("--input") { Description = "Records to score (no label column)", Required = true };
        var contentType = ContentType();
        var accept = new Option<string>("--accept")
        {
            Description = "application/json, application/jsonlines or text/csv",
            DefaultValueFactory = _ => ContentTypes.Json,
        };
        var threads = Threads();
        var command = new Command("predict", "Write the inference response for every record of a file")
        {
            modelPath, input, contentType, accept, threads,
        };
        command.SetAction(parse => Run(() =>
        {
            // Options read before the clock starts: reading an int option JIT-compiles System.CommandLine's
            // generic accessors (four methods), argument parsing rather than prediction.
            var workers = Math.Max(1, parse.GetValue(threads));
            var acceptType = parse.GetValue(accept)!;
            var clock = Stopwatch.StartNew();
            var model = Algorithms.LoadArchive(parse.GetValue(modelPath)!);
            var loadSeconds = clock.Elapsed.TotalSeconds;
            var data = DataReader.ReadAll(parse.GetValue(input)!, parse.GetValue(contentType)!, hasLabel: false);
            var readSeconds = clock.Elapsed.TotalSeconds - loadSeconds;
            var stdout = StandardOutput(autoFlush: false);
            if (model is ISparseModel sparse && data.Sparse is { } rows)
            {
                sparse.WriteResponse(rows, acceptType, stdout, workers);
            }
            else
            {
                model.WriteResponse(data.Features, acceptType, stdout, workers);
            }
            stdout.Dispose();
            var predictSeconds = clock.Elapsed.TotalSeconds - loadSeconds - readSeconds;
            (model as IDisposable)?.Dispose();
            // stdout carries only the inference response; the timings go to stderr as one JSON line.
            // predict_seconds is scoring plus writing the response, the span a peer's predict() covers
            // (model loading and input parsing are reported apart).
            WriteJsonLine(Console.Error, new Dictionary<string, object>(StringComparer.Ordinal)
            {
                ["load_seconds"] = Math.Round(loadSeconds, 4),
                ["predict_seconds"] = Math.Round(predictSeconds, 4),
                ["read_seconds"] = Math.Round(readSeconds, 4),
                ["records"] = data.Rows,
            });
        }));
        return command;
    }

    /// <summary>
    /// Writes each progress line to standard output at once. An ASCII line (every trainer's) is widened
    /// by hand into a reused buffer and written with one write(2): through StreamWriter.WriteLine, the
    /// UTF-8 encoder, transcoder and flush became hot in XGBoost's round loop and the runtime recompiled
    /// them (30 methods, twice each with TieredPGO) on a background thread during training, taking CPU
    /// from libxgboost's OpenMP threads. Anything else goes through the StreamWriter.
    /// </summary>
    private static Action<string> ProgressLines(StreamWriter stdout)
    {
        var bytes = new byte[512];
        return line =>
        {
            if (line.Length < bytes.Length)
            {
                var n = 0;
                while (n < line.Length && line[n] < 0x80)
                {
                    bytes[n] = (byte)line[n];
                    n++;
                }
                if (n == line.Length)
                {
                    bytes[n] = (byte)'\n';
                    stdout.BaseStream.Write(bytes, 0, n + 1);
                    return;
                }
            }
            stdout.WriteLine(line);
        };
    }

    /// <summary>
    /// Standard output for the progress lines, the closing JSON line and the inference response,
    /// written with write(2) as Console does, in UTF-8 without a byte order mark. Not Console.Out
    /// nor Console.OpenStandardOutput(): their first write sets up the terminal (terminfo, signal
    /// handling, the console encoding), 2 to 8 ms measured inside train_seconds and 2 ms inside
    /// predict_seconds on california-housing, more than its training arithmetic. Encoding.Default is
    /// UTF-8 without a byte order mark on .NET: naming UTF8Encoding loads the
    /// System.Text.Encoding.Extensions facade, an assembly load inside predict_seconds. The buffer is
    /// small because the responses and the progress lines go to the stream as bytes (Responses.WriteBytes):
    /// it holds only the closing JSON line.
    /// </summary>
    private static StreamWriter StandardOutput(bool autoFlush) =>
        new(new DescriptorStream(1), System.Text.Encoding.Default, 4096) { AutoFlush = autoFlush };

    /// <summary>
    /// A write-only stream over a file descriptor the process inherited, with write(2): the
    /// descriptor's own offset moves, so output shared with stderr (2&gt;&amp;1 into a file) is not
    /// overwritten, which FileStream's positioned writes would do. A reader that has gone away
    /// (EPIPE) is ignored, as Console ignores it: training goes on and saves its model.
    /// </summary>
    private sealed class DescriptorStream(int descriptor) : Stream
    {
        private const int Interrupted = 4, BrokenPipe = 32;
        private bool _broken;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            while (!buffer.IsEmpty && !_broken)
            {
                nint written;
                unsafe
                {
                    fixed (byte* bytes = buffer)
                    {
                        written = WriteDescriptor(descriptor, bytes, buffer.Length);
                    }
                }
                if (written >= 0)
                {
                    buffer = buffer[(int)written..];
                    continue;
                }
                var error = System.Runtime.InteropServices.Marshal.GetLastSystemError();
                if (error == BrokenPipe)
                {
                    _broken = true;
                }
                else if (error != Interrupted)
                {
                    throw new IOException($"writing to file descriptor {descriptor} failed (errno {error})");
                }
            }
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        /// <summary>
        /// write(2), with only blittable arguments and errno read right after a failed call (as LibraryImport's
        /// SetLastError code does) so that ReadyToRun compiles the call: SetLastError = true or a ref argument
        /// needs a marshalling stub, JIT-compiled at the first write, inside predict_seconds. errno only on
        /// failure: Marshal is named through the System.Runtime.InteropServices facade, an assembly load at the
        /// first call. "libc.so.6" (glibc, as Debian), not "libc": the runtime tries libc.so (a linker script
        /// it reads and rejects) and liblibc.so in every library directory before "libc" resolves, some
        /// 0.1 ms at the first write, inside train_seconds (the progress line) and predict_seconds.
        /// </summary>
        [System.Runtime.InteropServices.DllImport("libc.so.6", EntryPoint = "write")]
        private static extern unsafe nint WriteDescriptor(int descriptor, byte* buffer, nint count);
    }

    /// <summary>
    /// auto streams files over 256 MiB: below that the in-memory path (about 1.5 bytes of RAM per byte
    /// of CSV) is affordable and faster, since it parses the text once instead of once per epoch and
    /// shuffles all rows rather than a window. gzip files are judged by their compressed size.
    /// </summary>
    private static bool Streams(string mode, string path, string contentType) =>
        BatchSource.CanStream(contentType) && (mode == "always" || (mode == "auto" && new FileInfo(path).Length > 256L << 20));

    /// <summary>
    /// One JSON object on one line, keys in ordinal order. Utf8JsonWriter rather than JsonSerializer,
    /// and arrays sorted in place rather than a SortedDictionary: the serializer's reflection start-up
    /// (its converter table and emitted accessors) and the sorted collection's generic code are some
    /// 190 methods JIT-compiled at start (perf map of `kiln ml train`), more CPU than training a small model.
    /// </summary>
    private static void WriteJsonLine(TextWriter output, Dictionary<string, object> values)
    {
        var names = values.Keys.ToArray();
        var items = values.Values.ToArray();
        Array.Sort(names, items, StringComparer.Ordinal);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            for (var n = 0; n < names.Length; n++)
            {
                var (name, value) = (names[n], items[n]);
                switch (value)
                {
                    case double d:
                        json.WriteNumber(name, d);
                        break;
                    case int i:
                        json.WriteNumber(name, i);
                        break;
                    default:
                        json.WriteString(name, value.ToString());
                        break;
                }
            }
            json.WriteEndObject();
        }
        output.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan));
        output.Flush();
    }

    /// <summary>Input and hyperparameter errors are the user's to fix: one line on stderr, exit code 2.</summary>
    private static int Run(Action action)
    {
        try
        {
            action();
            return 0;
        }
        catch (Exception e) when (e is DataFormatException or ArgumentException or InvalidDataException or FileNotFoundException
                                      or DirectoryNotFoundException or InvalidOperationException)
        {
            Console.Error.WriteLine($"kiln ml: {e.Message}");
            return 2;
        }
    }
}
