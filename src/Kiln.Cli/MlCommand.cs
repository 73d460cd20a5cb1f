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
        Description = "text/csv or text/libsvm",
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
        var command = new Command("train", "Train a model and write DIR/model.tar.gz")
        {
            algorithm, train, validation, contentType, hp, output, threads,
        };
        command.SetAction(parse => Run(() =>
        {
            var trainer = Algorithms.Get(parse.GetValue(algorithm)!);
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
            var clock = Stopwatch.StartNew();
            var trainData = DataReader.ReadAll(parse.GetValue(train)!, type, hasLabel: true);
            var validationPath = parse.GetValue(validation);
            var validationData = validationPath is null ? null : DataReader.ReadAll(validationPath, type, hasLabel: true, trainData.Cols);
            var readSeconds = clock.Elapsed.TotalSeconds;
            var context = new TrainingContext
            {
                Threads = Math.Max(1, parse.GetValue(threads)),
                Progress = line => Console.Out.WriteLine(line),
            };
            var model = trainer.Train(trainData, validationData, new Hyperparameters(values), context);
            var trainSeconds = clock.Elapsed.TotalSeconds - readSeconds;
            var archive = Algorithms.SaveArchive(model, parse.GetValue(output)!);
            var metrics = new SortedDictionary<string, object>(StringComparer.Ordinal)
            {
                ["algorithm"] = model.Algorithm,
                ["model"] = archive,
                ["read_seconds"] = Math.Round(readSeconds, 4),
                ["train_seconds"] = Math.Round(trainSeconds, 4),
            };
            foreach (var (name, value) in model.Metrics)
            {
                metrics[name] = double.IsFinite(value) ? value : value.ToString(CultureInfo.InvariantCulture);
            }
            Console.Out.WriteLine(JsonSerializer.Serialize(metrics));
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
            var model = Algorithms.LoadArchive(parse.GetValue(modelPath)!);
            var data = DataReader.ReadAll(parse.GetValue(input)!, parse.GetValue(contentType)!, hasLabel: false);
            using var stdout = new StreamWriter(Console.OpenStandardOutput(), new System.Text.UTF8Encoding(false), 1 << 16);
            var workers = Math.Max(1, parse.GetValue(threads));
            if (model is ISparseModel sparse && data.Sparse is { } rows)
            {
                sparse.WriteResponse(rows, parse.GetValue(accept)!, stdout, workers);
            }
            else
            {
                model.WriteResponse(data.Features, parse.GetValue(accept)!, stdout, workers);
            }
            (model as IDisposable)?.Dispose();
        }));
        return command;
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
