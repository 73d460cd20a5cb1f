using System.Diagnostics;
using System.Globalization;
using Kiln.ML.Artifacts;
using Kiln.ML.Data;
using Kiln.ML.Kernels;

namespace Kiln.ML.Trainers;

/// <summary>
/// SageMaker's PCA. regular: the mean and covariance in one pass over the rows
/// (<see cref="PcaMoments"/>), then the eigen-decomposition of the features × features covariance.
/// randomized: subspace iteration on the data (Halko, Martinsson and Tropp 2011) with
/// num_components + extra_components columns, which never forms the covariance and so suits many
/// features. Missing values take the column mean.
/// </summary>
public sealed class PcaTrainer : IStreamingTrainer
{
    public const string Name = "pca";

    public string Algorithm => Name;

    private sealed record Settings(int K, bool Regular, bool SubtractMean, int Columns);

    private static Settings Parse(Hyperparameters hp, int d)
    {
        var k = hp.Int("num_components", null, 1);
        if (k > d)
        {
            throw new HyperparameterException("num_components", $"{k} is more than the {d} features");
        }
        var mode = hp.Choice("algorithm_mode", "regular", "regular", "randomized");
        var subtractMean = hp.Bool("subtract_mean", true);
        var extra = hp.Int("extra_components", -1, -1);
        hp.Int("mini_batch_size", 1000, 1);
        if (hp.IsSet("feature_dim") && hp.Int("feature_dim", null, 1) != d)
        {
            throw new HyperparameterException("feature_dim", $"is {hp.Raw("feature_dim")} but the data has {d} features");
        }
        hp.Accept("feature_dim");
        hp.RejectUnknown(Name);
        // SageMaker: "The default, -1, means the maximum of 10 and num_components" (PCA hyperparameters).
        var columns = Math.Min(d, k + (extra < 0 ? Math.Max(10, k) : extra));
        return new Settings(k, mode == "regular", subtractMean, columns);
    }

    public IModel Train(Dataset train, Dataset? validation, Hyperparameters hp, TrainingContext context)
    {
        var x = train.Features;
        var d = x.Cols;
        var s = Parse(hp, d);
        if (s.Regular)
        {
            var shift = PcaMoments.FirstRowsMean(x);
            var parts = new PcaMoments[Workers((long)x.Rows * d, context.Threads)];
            ForWorkers(parts.Length, context.Threads, w =>
            {
                var (start, end) = Range(x.Rows, w, parts.Length);
                parts[w] = new PcaMoments(shift, x.Rows);
                parts[w].Add(x, start, end - start);
                parts[w].Flush();
            });
            for (var w = 1; w < parts.Length; w++)
            {
                parts[0].Merge(parts[w]);
            }
            return Regular(parts[0], s, context);
        }
        var stats = ColumnStats.Compute(x);
        return Randomized(() => [x], x.Rows, stats.Mean, s, context);
    }

    /// <summary>Rows read at a time when streaming: 16 Ki rows are 4 MiB per 64 features.</summary>
    private const int StreamRows = 16384;

    /// <summary>
    /// PCA out of core. regular: one pass, each batch's rows split over the threads' accumulators
    /// (the shift is the mean of the file's first rows, as in memory), so memory is one batch and
    /// the d × d sums. randomized: a pass for the column means, then each of the 7 products C·Q is
    /// a pass over the file (memory: one batch and the d × l matrices), the same iteration as in memory.
    /// The channel's label column, if any, is ignored, as in memory; a validation channel is not used.
    /// </summary>
    public IModel Train(BatchSource train, BatchSource? validation, Hyperparameters hp, TrainingContext context)
    {
        var d = train.FeatureCount;
        var s = Parse(hp, d);
        if (!s.Regular)
        {
            var columns = new ColumnMoments(d);
            foreach (var batch in train.Batches(StreamRows))
            {
                columns.Add(batch.Features);
            }
            return Randomized(() => train.Batches(StreamRows).Select(b => b.Features), columns.Rows, columns.MeanAndScale().Mean, s, context);
        }
        PcaMoments[]? parts = null;
        foreach (var batch in train.Batches(StreamRows))
        {
            var x = batch.Features;
            if (parts is null)
            {
                var shift = PcaMoments.FirstRowsMean(x);
                parts = new PcaMoments[Math.Max(1, context.Threads)];
                for (var w = 0; w < parts.Length; w++)
                {
                    parts[w] = new PcaMoments(shift, rows: -1);
                }
            }
            var workers = Math.Min(parts.Length, Workers((long)x.Rows * d, context.Threads));
            ForWorkers(workers, context.Threads, w =>
            {
                var (start, end) = Range(x.Rows, w, workers);
                parts[w].Add(x, start, end - start);
            });
        }
        if (parts is null)
        {
            throw new DataFormatException(train.Source, 0, 0, "the file holds no rows");
        }
        foreach (var part in parts)
        {
            part.Flush();
        }
        for (var w = 1; w < parts.Length; w++)
        {
            parts[0].Merge(parts[w]);
        }
        return Regular(parts[0], s, context);
    }

    /// <summary>One worker per 256 Ki values at most: below that a thread costs more to start than it saves.</summary>
    internal static int Workers(long values, int threads) => (int)Math.Clamp(values >> 18, 1, Math.Max(1, threads));

    /// <summary>Rows [start, end) of worker <paramref name="w"/> of <paramref name="workers"/>: fixed ranges, so sums merge in a fixed order.</summary>
    internal static (int Start, int End) Range(int rows, int w, int workers) =>
        ((int)((long)rows * w / workers), (int)((long)rows * (w + 1) / workers));

    internal static void ForWorkers(int workers, int threads, Action<int> body)
    {
        if (workers <= 1)
        {
            body(0);
            return;
        }
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) }, body);
    }

    private static PcaModel Regular(PcaMoments moments, Settings s, TrainingContext context)
    {
        var (mean, cov) = moments.Result(s.SubtractMean);
        var d = mean.Length;
        var total = 0.0;
        for (var i = 0; i < d; i++)
        {
            total += cov[i * d + i];
        }
        var (values, vectors) = SymmetricEigen.Decompose(cov, d);
        var fill = new float[d];
        for (var j = 0; j < d; j++)
        {
            fill[j] = (float)mean[j];
        }
        return Model(s, d, values, vectors, total, fill, context);
    }

    private static PcaModel Model(Settings s, int d, double[] values, double[] vectors, double total, float[] fill, TrainingContext context)
    {
        var k = s.K;
        var components = new float[k * d];
        for (var i = 0; i < k * d; i++)
        {
            components[i] = (float)vectors[i];
        }
        var eigenvalues = new float[k];
        var top = 0.0;
        for (var c = 0; c < k; c++)
        {
            eigenvalues[c] = (float)values[c];
            top += values[c];
        }
        var explained = top / total;
        context.Progress(ExplainedLine(k, explained));
        return new PcaModel(k, d, components, eigenvalues, s.SubtractMean ? fill : new float[d], fill,
            new Dictionary<string, double> { ["train:explained_variance_ratio"] = explained });
    }

    /// <summary>
    /// The progress line $"explained variance ratio of {k} components: {explained:G6}" (invariant culture,
    /// the only one under InvariantGlobalization). The ratio is written by <see cref="G6"/> where it can:
    /// the first double formatting and interpolation of a process cost ~0.3 ms inside train_seconds.
    /// </summary>
    internal static string ExplainedLine(int k, double explained) =>
        G6(explained) is { } text && k is > 0 and < 1000000
            ? string.Concat("explained variance ratio of ", Digits(k), " components: ", text)
            : $"explained variance ratio of {k} components: {explained:G6}";

    private static string Digits(int n)
    {
        Span<char> text = stackalloc char[10];
        var at = text.Length;
        do
        {
            text[--at] = (char)('0' + n % 10);
            n /= 10;
        }
        while (n > 0);
        return new string(text[at..]);
    }

    /// <summary>
    /// x.ToString("G6", InvariantCulture) for 1e-4 ≤ x &lt; 1e5, or null: x·10^k (k ≤ 9, so one rounding,
    /// off by at most 6e-11) rounded to a 6-digit integer, null when the fraction is within 1e-9 of a half
    /// (where that error could decide) or the scaled value near a power of ten. "G6" is the correctly
    /// rounded 6 significant digits, trailing zeros dropped, plain notation in this range.
    /// </summary>
    internal static string? G6(double x)
    {
        if (!(x >= 1e-4 && x < 1e5))
        {
            return null;
        }
        var k = 0;
        var scale = 1.0;
        while (x * scale < 1e5)
        {
            scale *= 10;
            k++;
        }
        var y = x * scale;
        var whole = Math.Floor(y);
        var fraction = y - whole;
        if (Math.Abs(fraction - 0.5) < 1e-9 || y - 1e5 < 1e-6 || 1e6 - y < 1e-6)
        {
            return null;
        }
        var n = (long)whole + (fraction > 0.5 ? 1 : 0);
        var point = 6 - k; // x ≈ 0.d1…d6 × 10^point
        if (n == 1_000_000)
        {
            n = 100_000;
            point++;
        }
        var count = 6;
        while (n % 10 == 0)
        {
            n /= 10;
            count--;
        }
        Span<char> digits = stackalloc char[6];
        for (var i = count - 1; i >= 0; i--)
        {
            digits[i] = (char)('0' + n % 10);
            n /= 10;
        }
        Span<char> text = stackalloc char[16];
        var at = 0;
        if (point <= 0)
        {
            text[at++] = '0';
            text[at++] = '.';
            for (var z = point; z < 0; z++)
            {
                text[at++] = '0';
            }
            digits[..count].CopyTo(text[at..]);
            at += count;
        }
        else if (point >= count)
        {
            digits[..count].CopyTo(text[at..]);
            at += count;
            for (var z = count; z < point; z++)
            {
                text[at++] = '0';
            }
        }
        else
        {
            digits[..point].CopyTo(text[at..]);
            at += point;
            text[at++] = '.';
            digits[point..count].CopyTo(text[at..]);
            at += count - point;
        }
        return new string(text[..at]);
    }

    /// <summary>
    /// Computes C·Q = (1/n) Σ c (cᵀQ) for Q (d × l, row-major) without forming C, c = (x, missing
    /// values filled) − m, in one pass over <paramref name="batches"/>; also returns trace C = (1/n) Σ ‖c‖².
    /// </summary>
    private static (double[] Product, double Trace) CovarianceTimes(IEnumerable<DenseMatrix> batches, long rows, float[] mean,
        float[] fill, double[] q, int l, TrainingContext context)
    {
        var d = mean.Length;
        var total = new double[d * l];
        var trace = 0.0;
        var gate = new object();
        foreach (var x in batches)
        {
            Parallel.For(0, (x.Rows + 1023) / 1024, context.Parallel, () => (new double[d * l], new double[1]), (block, _, local) =>
            {
                var (product, squares) = local;
                var centered = new float[d];
                var proj = new double[l];
                var end = Math.Min(x.Rows, (block + 1) * 1024);
                for (var i = block * 1024; i < end; i++)
                {
                    PcaGram.CenterFilled(x.Row(i), fill, mean, centered);
                    Array.Clear(proj);
                    for (var j = 0; j < d; j++)
                    {
                        var cj = (double)centered[j];
                        squares[0] += cj * cj;
                        for (var c = 0; c < l; c++)
                        {
                            proj[c] += cj * q[j * l + c];
                        }
                    }
                    for (var j = 0; j < d; j++)
                    {
                        var cj = (double)centered[j];
                        for (var c = 0; c < l; c++)
                        {
                            product[j * l + c] += cj * proj[c];
                        }
                    }
                }
                return local;
            }, local =>
            {
                lock (gate)
                {
                    for (var i = 0; i < local.Item1.Length; i++)
                    {
                        total[i] += local.Item1[i];
                    }
                    trace += local.Item2[0];
                }
            });
        }
        for (var i = 0; i < total.Length; i++)
        {
            total[i] /= rows;
        }
        return (total, trace / rows);
    }

    /// <summary>
    /// Subspace iteration: 7 passes of C·Q over the rows (<paramref name="pass"/> gives one pass
    /// each time it is called, so a file is read again rather than held), then Rayleigh-Ritz.
    /// </summary>
    private static PcaModel Randomized(Func<IEnumerable<DenseMatrix>> pass, long rows, float[] columnMean, Settings s,
        TrainingContext context)
    {
        var d = columnMean.Length;
        var l = s.Columns;
        var mean = s.SubtractMean ? columnMean : new float[d];
        var rng = new Random(context.Seed);
        var q = new double[d * l];
        for (var i = 0; i < q.Length; i++)
        {
            q[i] = rng.NextDouble() * 2 - 1;
        }
        Orthonormalize(q, d, l);
        for (var iter = 0; iter < 6; iter++)
        {
            q = CovarianceTimes(pass(), rows, mean, columnMean, q, l, context).Product;
            Orthonormalize(q, d, l);
        }
        // Rayleigh-Ritz: decompose T = Qᵀ C Q (l × l), then rotate Q by T's eigenvectors.
        var (cq, total) = CovarianceTimes(pass(), rows, mean, columnMean, q, l, context);
        var t = new double[l * l];
        for (var a = 0; a < l; a++)
        {
            for (var b = 0; b < l; b++)
            {
                var sum = 0.0;
                for (var j = 0; j < d; j++)
                {
                    sum += q[j * l + a] * cq[j * l + b];
                }
                t[a * l + b] = sum;
            }
        }
        var (values, small) = SymmetricEigen.Decompose(t, l);
        var vectors = new double[l * d];
        for (var r = 0; r < l; r++)
        {
            for (var j = 0; j < d; j++)
            {
                var sum = 0.0;
                for (var c = 0; c < l; c++)
                {
                    sum += q[j * l + c] * small[r * l + c];
                }
                vectors[r * d + j] = sum;
            }
        }
        return Model(s, d, values, vectors, total, columnMean, context);
    }

    /// <summary>Modified Gram-Schmidt on the l columns of a d × l row-major matrix.</summary>
    private static void Orthonormalize(double[] q, int d, int l)
    {
        for (var c = 0; c < l; c++)
        {
            for (var p = 0; p < c; p++)
            {
                var dot = 0.0;
                for (var j = 0; j < d; j++)
                {
                    dot += q[j * l + c] * q[j * l + p];
                }
                for (var j = 0; j < d; j++)
                {
                    q[j * l + c] -= dot * q[j * l + p];
                }
            }
            var norm = 0.0;
            for (var j = 0; j < d; j++)
            {
                norm += q[j * l + c] * q[j * l + c];
            }
            norm = Math.Sqrt(norm);
            for (var j = 0; j < d; j++)
            {
                q[j * l + c] = norm > 1e-300 ? q[j * l + c] / norm : 0;
            }
        }
    }
}

/// <summary>
/// Principal components. Payload of model_algo-1, version 1:
///   i32 components, i32 features, floats components (components × features, unit rows),
///   floats eigenvalues (variance along each), floats subtracted mean (zeros when subtract_mean=false),
///   floats column means (missing-value fill).
/// </summary>
public sealed class PcaModel : IModel
{
    private readonly float[] _components;
    private readonly float[] _mean;
    private readonly float[] _fill;
    private float[]? _packed;

    internal PcaModel(int k, int features, float[] components, float[] eigenvalues, float[] mean, float[] fill,
        IReadOnlyDictionary<string, double> metrics)
    {
        K = k;
        Features = features;
        _components = components;
        Eigenvalues = eigenvalues;
        _mean = mean;
        _fill = fill;
        Metrics = metrics;
    }

    public string Algorithm => PcaTrainer.Name;

    public IReadOnlyDictionary<string, double> Metrics { get; }

    public int K { get; }

    public int Features { get; }

    public float[] Eigenvalues { get; }

    public ReadOnlySpan<float> Components => _components;

    /// <summary>The training column means: the fill for missing values (and the subtracted mean when subtract_mean is true).</summary>
    internal ReadOnlySpan<float> ColumnMeans => _fill;

    /// <summary>The components packed for <see cref="PanelGemm"/>, built on first use.</summary>
    private float[] Packed => _packed ??= PanelGemm.Pack(_components, K, Features);

    /// <summary>The projection of every row, K values per row: components · (x, missing values filled − mean).</summary>
    public float[] Project(DenseMatrix x, int threads)
    {
        if (x.Cols != Features)
        {
            throw new DataFormatException("input", 1, x.Cols, $"the model expects {Features} features, the input has {x.Cols}");
        }
        var result = new float[x.Rows * K];
        if ((long)x.Rows * Features * K < SmallProjection)
        {
            ProjectScalar(x, result);
            return result;
        }
        var packed = Packed;
        var panels = PanelGemm.Panels(K);
        var ldc = panels * PanelGemm.Width;
        var workers = PcaTrainer.Workers((long)x.Rows * Features, threads);
        PcaTrainer.ForWorkers(workers, threads, w =>
        {
            const int block = 256;
            var (start, end) = PcaTrainer.Range(x.Rows, w, workers);
            var centered = new float[block * Features];
            var product = new float[block * ldc];
            for (var first = start; first < end; first += block)
            {
                var m = Math.Min(block, end - first);
                for (var r = 0; r < m; r++)
                {
                    PcaGram.CenterFilled(x.Row(first + r), _fill, _mean, centered.AsSpan(r * Features, Features));
                }
                PanelGemm.Multiply(centered, m, Features, packed, 0, panels, product);
                for (var r = 0; r < m; r++)
                {
                    product.AsSpan(r * ldc, K).CopyTo(result.AsSpan((first + r) * K, K));
                }
            }
        });
        return result;
    }

    /// <summary>
    /// Multiply-adds below which <see cref="ProjectScalar"/> runs instead of the vector kernels. The
    /// Vector256 kernels are compiled at their first call (ReadyToRun cannot hold them), 1 to 3 ms
    /// for PanelGemm's; california-housing's projection (4,128 × 13 × 3, 161k multiply-adds) takes
    /// 0.2 ms in the precompiled scalar loop.
    /// </summary>
    private const long SmallProjection = 1 << 21;

    private void ProjectScalar(DenseMatrix x, float[] result)
    {
        var centered = new float[Features];
        for (var i = 0; i < x.Rows; i++)
        {
            var row = x.Row(i);
            for (var j = 0; j < Features; j++)
            {
                centered[j] = (float.IsNaN(row[j]) ? _fill[j] : row[j]) - _mean[j];
            }
            // Four components at a time: independent sums, each still added in feature order (the same floats).
            var c = 0;
            for (; c + 4 <= K; c += 4)
            {
                var (c0, c1, c2, c3) = (c * Features, (c + 1) * Features, (c + 2) * Features, (c + 3) * Features);
                float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
                for (var j = 0; j < Features; j++)
                {
                    var cj = centered[j];
                    s0 += _components[c0 + j] * cj;
                    s1 += _components[c1 + j] * cj;
                    s2 += _components[c2 + j] * cj;
                    s3 += _components[c3 + j] * cj;
                }
                result[i * K + c] = s0;
                result[i * K + c + 1] = s1;
                result[i * K + c + 2] = s2;
                result[i * K + c + 3] = s3;
            }
            if (K - c == 3)
            {
                var (c0, c1, c2) = (c * Features, (c + 1) * Features, (c + 2) * Features);
                float s0 = 0f, s1 = 0f, s2 = 0f;
                for (var j = 0; j < Features; j++)
                {
                    var cj = centered[j];
                    s0 += _components[c0 + j] * cj;
                    s1 += _components[c1 + j] * cj;
                    s2 += _components[c2 + j] * cj;
                }
                result[i * K + c] = s0;
                result[i * K + c + 1] = s1;
                result[i * K + c + 2] = s2;
                c += 3;
            }
            for (; c < K; c++)
            {
                var component = c * Features;
                var sum = 0f;
                for (var j = 0; j < Features; j++)
                {
                    sum += _components[component + j] * centered[j];
                }
                result[i * K + c] = sum;
            }
        }
    }

    /// <summary>SageMaker's PCA response: {"projections": [{"projection": [...]}]}; CSV is the projection per line.</summary>
    public void WriteResponse(DenseMatrix features, string accept, TextWriter output, int threads)
    {
        var z = Project(features, threads);
        // CSV apart from JSON: the JSON writer's delegate type loads System.Text.Json where it is created.
        if (Responses.Accept(accept) == ContentTypes.Csv)
        {
            Responses.WriteCsv(output, features.Rows, K * (Responses.FloatBytes + 1), threads,
                (i, text) => Responses.Floats(new ReadOnlySpan<float>(z, i * K, K), text));
        }
        else
        {
            WriteJson(z, features.Rows, accept, output, threads);
        }
    }

    private void WriteJson(float[] z, int rows, string accept, TextWriter output, int threads) =>
        Responses.Write(output, accept, "projections", rows, threads,
            (w, i) =>
            {
                w.WriteStartObject();
                w.WriteStartArray("projection");
                foreach (var v in z.AsSpan(i * K, K))
                {
                    w.WriteNumberValue(v);
                }
                w.WriteEndArray();
                w.WriteEndObject();
            },
            K * (Responses.FloatBytes + 1),
            (i, text) => Responses.Floats(new ReadOnlySpan<float>(z, i * K, K), text));

    public void Save(string directory) => ModelFile.Write(directory, Algorithm, w =>
    {
        w.Write(K);
        w.Write(Features);
        w.WriteFloats(_components);
        w.WriteFloats(Eigenvalues);
        w.WriteFloats(_mean);
        w.WriteFloats(_fill);
    });

    internal static PcaModel Read(BinaryReader r)
    {
        var k = r.ReadInt32();
        var d = r.ReadInt32();
        var components = r.ReadFloats();
        var eigen = r.ReadFloats();
        var mean = r.ReadFloats();
        var fill = r.ReadFloats();
        if (components.Length != k * d || eigen.Length != k || mean.Length != d || fill.Length != d)
        {
            throw new InvalidDataException("pca model arrays do not match its dimensions");
        }
        return new PcaModel(k, d, components, eigen, mean, fill, new Dictionary<string, double>());
    }
}
