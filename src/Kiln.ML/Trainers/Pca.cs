using Kiln.ML.Artifacts;
using Kiln.ML.Data;
using Kiln.ML.Kernels;

namespace Kiln.ML.Trainers;

/// <summary>
/// SageMaker's PCA. regular: the exact covariance (features × features, accumulated in double by
/// row blocks in parallel) and its eigen-decomposition. randomized: subspace iteration on the data
/// (Halko, Martinsson and Tropp 2011) with num_components + extra_components columns, which never
/// forms the covariance and so suits many features. Missing values take the column mean.
/// </summary>
public sealed class PcaTrainer : ITrainer
{
    public const string Name = "pca";

    public string Algorithm => Name;

    public IModel Train(Dataset train, Dataset? validation, Hyperparameters hp, TrainingContext context)
    {
        var d = train.Features.Cols;
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

        var stats = ColumnStats.Compute(train.Features);
        var x = stats.Apply(train.Features, standardize: false, context);
        var mean = subtractMean ? stats.Mean : new float[d];
        double[] values, vectors;
        double total;
        if (mode == "regular")
        {
            var cov = Covariance(x, mean, context);
            total = Enumerable.Range(0, d).Sum(i => cov[i * d + i]);
            (values, vectors) = SymmetricEigen.Decompose(cov, d);
        }
        else
        {
            // SageMaker's default (-1) is min(num_components, features − num_components) extra columns.
            var l = Math.Min(d, k + (extra < 0 ? Math.Max(Math.Min(k, d - k), 2) : extra));
            (values, vectors, total) = Randomized(x, mean, l, context);
        }
        var components = new float[k * d];
        for (var i = 0; i < k * d; i++)
        {
            components[i] = (float)vectors[i];
        }
        var explained = values.Take(k).Sum() / total;
        context.Progress($"explained variance ratio of {k} components: {explained:G6}");
        return new PcaModel(k, d, components, values.Take(k).Select(v => (float)v).ToArray(), mean, stats.Mean,
            new Dictionary<string, double> { ["train:explained_variance_ratio"] = explained });
    }

    /// <summary>(1/n) Σ (x−m)(x−m)ᵀ, each thread summing its own blocks of rows.</summary>
    internal static double[] Covariance(DenseMatrix x, float[] mean, TrainingContext context)
    {
        var d = x.Cols;
        var total = new double[d * d];
        var gate = new object();
        Parallel.For(0, (x.Rows + 1023) / 1024, context.Parallel, () => new double[d * d], (block, _, local) =>
        {
            var centered = new float[d];
            var end = Math.Min(x.Rows, (block + 1) * 1024);
            for (var i = block * 1024; i < end; i++)
            {
                var row = x.Row(i);
                for (var j = 0; j < d; j++)
                {
                    centered[j] = row[j] - mean[j];
                }
                for (var a = 0; a < d; a++)
                {
                    var ca = (double)centered[a];
                    if (ca == 0)
                    {
                        continue;
                    }
                    for (var b = a; b < d; b++)
                    {
                        local[a * d + b] += ca * centered[b];
                    }
                }
            }
            return local;
        }, local =>
        {
            lock (gate)
            {
                for (var i = 0; i < local.Length; i++)
                {
                    total[i] += local[i];
                }
            }
        });
        for (var a = 0; a < d; a++)
        {
            for (var b = a; b < d; b++)
            {
                total[a * d + b] /= x.Rows;
                total[b * d + a] = total[a * d + b];
            }
        }
        return total;
    }

    /// <summary>Computes C·Q = (1/n) Σ (x−m)((x−m)ᵀQ) for Q (d × l, row-major) without forming C.</summary>
    private static double[] CovarianceTimes(DenseMatrix x, float[] mean, double[] q, int l, TrainingContext context)
    {
        var d = x.Cols;
        var total = new double[d * l];
        var gate = new object();
        Parallel.For(0, (x.Rows + 1023) / 1024, context.Parallel, () => new double[d * l], (block, _, local) =>
        {
            var centered = new double[d];
            var proj = new double[l];
            var end = Math.Min(x.Rows, (block + 1) * 1024);
            for (var i = block * 1024; i < end; i++)
            {
                var row = x.Row(i);
                Array.Clear(proj);
                for (var j = 0; j < d; j++)
                {
                    centered[j] = row[j] - mean[j];
                    for (var c = 0; c < l; c++)
                    {
                        proj[c] += centered[j] * q[j * l + c];
                    }
                }
                for (var j = 0; j < d; j++)
                {
                    for (var c = 0; c < l; c++)
                    {
                        local[j * l + c] += centered[j] * proj[c];
                    }
                }
            }
            return local;
        }, local =>
        {
            lock (gate)
            {
                for (var i = 0; i < local.Length; i++)
                {
                    total[i] += local[i];
                }
            }
        });
        for (var i = 0; i < total.Length; i++)
        {
            total[i] /= x.Rows;
        }
        return total;
    }

    private static (double[] Values, double[] Vectors, double Total) Randomized(DenseMatrix x, float[] mean, int l, TrainingContext context)
    {
        var d = x.Cols;
        var rng = new Random(context.Seed);
        var q = new double[d * l];
        for (var i = 0; i < q.Length; i++)
        {
            q[i] = rng.NextDouble() * 2 - 1;
        }
        Orthonormalize(q, d, l);
        for (var iter = 0; iter < 6; iter++)
        {
            q = CovarianceTimes(x, mean, q, l, context);
            Orthonormalize(q, d, l);
        }
        // Rayleigh-Ritz: decompose T = Qᵀ C Q (l × l), then rotate Q by T's eigenvectors.
        var cq = CovarianceTimes(x, mean, q, l, context);
        var t = new double[l * l];
        for (var a = 0; a < l; a++)
        {
            for (var b = 0; b < l; b++)
            {
                var s = 0.0;
                for (var j = 0; j < d; j++)
                {
                    s += q[j * l + a] * cq[j * l + b];
                }
                t[a * l + b] = s;
            }
        }
        var (values, small) = SymmetricEigen.Decompose(t, l);
        var vectors = new double[l * d];
        for (var r = 0; r < l; r++)
        {
            for (var j = 0; j < d; j++)
            {
                var s = 0.0;
                for (var c = 0; c < l; c++)
                {
                    s += q[j * l + c] * small[r * l + c];
                }
                vectors[r * d + j] = s;
            }
        }
        var total = 0.0;
        for (var i = 0; i < x.Rows; i++)
        {
            var row = x.Row(i);
            for (var j = 0; j < d; j++)
            {
                var c = (double)row[j] - mean[j];
                total += c * c;
            }
        }
        return (values, vectors, total / x.Rows);
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

    public float[] Project(DenseMatrix x, int threads)
    {
        if (x.Cols != Features)
        {
            throw new DataFormatException("input", 1, x.Cols, $"the model expects {Features} features, the input has {x.Cols}");
        }
        var result = new float[x.Rows * K];
        Parallel.For(0, (x.Rows + 1023) / 1024, new ParallelOptions { MaxDegreeOfParallelism = threads }, block =>
        {
            var centered = new float[Features];
            var end = Math.Min(x.Rows, (block + 1) * 1024);
            for (var i = block * 1024; i < end; i++)
            {
                var row = x.Row(i);
                for (var j = 0; j < Features; j++)
                {
                    centered[j] = (float.IsNaN(row[j]) ? _fill[j] : row[j]) - _mean[j];
                }
                Blas.Gemv(_components, K, centered, result.AsSpan(i * K, K));
            }
        });
        return result;
    }

    /// <summary>SageMaker's PCA response: {"projections": [{"projection": [...]}]}; CSV is the projection per line.</summary>
    public void WriteResponse(DenseMatrix features, string accept, TextWriter output, int threads)
    {
        var z = Project(features, threads);
        Responses.Write(output, accept, "projections", features.Rows,
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
            (o, i) => o.Write(string.Join(',', z.AsSpan(i * K, K).ToArray().Select(Responses.F))));
    }

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
