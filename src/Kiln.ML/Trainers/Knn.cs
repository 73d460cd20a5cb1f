using Kiln.ML.Artifacts;
using Kiln.ML.Data;
using Kiln.ML.Kernels;

namespace Kiln.ML.Trainers;

/// <summary>
/// SageMaker's k-NN with the exact (flat, L2) index: training keeps a sample of sample_size rows;
/// inference finds each query's k nearest stored rows by brute force, blocked so one GemmTransB
/// computes a block of queries against a block of stored rows, and votes (classifier) or averages
/// (regressor) their labels. Missing values take the training column mean.
/// </summary>
public sealed class KnnTrainer : ITrainer
{
    public const string Name = "knn";

    public string Algorithm => Name;

    public IModel Train(Dataset train, Dataset? validation, Hyperparameters hp, TrainingContext context)
    {
        var k = hp.Int("k", null, 1, 1024);
        var type = hp.Choice("predictor_type", null, "classifier", "regressor");
        var sampleSize = hp.Int("sample_size", null, 1);
        hp.Choice("dimension_reduction_type", "none", "none");
        hp.Choice("index_type", "faiss.Flat", "faiss.Flat");
        hp.Choice("index_metric", "L2", "L2");
        hp.Int("mini_batch_size", 5000, 1);
        if (hp.IsSet("feature_dim") && hp.Int("feature_dim", null, 1) != train.Features.Cols)
        {
            throw new HyperparameterException("feature_dim", $"is {hp.Raw("feature_dim")} but the data has {train.Features.Cols} features");
        }
        hp.Accept("feature_dim", "dimension_reduction_target", "faiss_index_ivf_nlists", "faiss_index_pq_m");
        hp.RejectUnknown(Name);

        var labels = train.RequireLabels();
        var stats = ColumnStats.Compute(train.Features);
        var x = stats.Apply(train.Features, standardize: false, context);
        if (sampleSize < x.Rows)
        {
            // A uniform sample without replacement, as SageMaker's sample_size asks for.
            var rows = Enumerable.Range(0, x.Rows).ToArray();
            new Random(context.Seed).Shuffle(rows);
            var sample = new DenseMatrix(sampleSize, x.Cols);
            var sampleLabels = new float[sampleSize];
            for (var i = 0; i < sampleSize; i++)
            {
                x.Row(rows[i]).CopyTo(sample.Row(i));
                sampleLabels[i] = labels[rows[i]];
            }
            (x, labels) = (sample, sampleLabels);
        }
        context.Progress($"indexed {x.Rows} rows of {x.Cols} features");
        var model = new KnnModel(k, type == "classifier", x, labels, stats.Mean, new Dictionary<string, double>());
        if (validation is null)
        {
            return model;
        }
        var predicted = model.Predict(validation.Features, context.Threads).Label;
        var truth = validation.RequireLabels();
        var metrics = new Dictionary<string, double>();
        if (model.Classifier)
        {
            metrics["test:accuracy"] = Metrics.ClassificationMetrics.Accuracy(truth, predicted);
        }
        else
        {
            metrics["test:mse"] = Metrics.RegressionMetrics.Mse(truth, predicted);
        }
        return model.WithMetrics(metrics);
    }
}

/// <summary>
/// The stored rows and labels. Payload of model_algo-1, version 1:
///   i32 k, u8 classifier, i32 rows, i32 features, floats rows (rows × features),
///   floats labels, floats column means (missing-value fill).
/// </summary>
public sealed class KnnModel : IModel
{
    private readonly DenseMatrix _x;
    private readonly float[] _labels;
    private readonly float[] _fill;
    private readonly float[] _norms;

    // The search copy of the rows: centered on the training means, because ‖x‖² − 2q·x + ‖q‖² in
    // float32 cancels catastrophically for large-valued features (adult's fnlwgt is ~1e5), and
    // zero-padded to a multiple of 8 so GemmTransB runs whole Vector256 steps with no scalar tail.
    private readonly DenseMatrix _search;

    internal KnnModel(int k, bool classifier, DenseMatrix x, float[] labels, float[] fill, IReadOnlyDictionary<string, double> metrics)
    {
        K = Math.Min(k, x.Rows);
        Classifier = classifier;
        _x = x;
        _labels = labels;
        _fill = fill;
        Metrics = metrics;
        _search = new DenseMatrix(x.Rows, Padded(x.Cols));
        _norms = new float[x.Rows];
        for (var i = 0; i < x.Rows; i++)
        {
            Center(x.Row(i), _search.Row(i));
            _norms[i] = Blas.Dot(_search.Row(i), _search.Row(i));
        }
    }

    public string Algorithm => KnnTrainer.Name;

    public IReadOnlyDictionary<string, double> Metrics { get; }

    public int K { get; }

    public bool Classifier { get; }

    private static int Padded(int d) => (d + 7) / 8 * 8;

    /// <summary>Fills missing values, subtracts the training means and leaves the padding at zero.</summary>
    private void Center(ReadOnlySpan<float> source, Span<float> target)
    {
        for (var j = 0; j < source.Length; j++)
        {
            target[j] = (float.IsNaN(source[j]) ? _fill[j] : source[j]) - _fill[j];
        }
    }

    internal KnnModel WithMetrics(IReadOnlyDictionary<string, double> metrics) => new(K, Classifier, _x, _labels, _fill, metrics);

    /// <summary>The indices (rows × K, nearest first) and squared distances of each query's neighbours.</summary>
    public (int[] Index, float[] SquaredDistance) Neighbors(DenseMatrix queries, int threads)
    {
        if (queries.Cols != _x.Cols)
        {
            throw new DataFormatException("input", 1, queries.Cols, $"the model expects {_x.Cols} features, the input has {queries.Cols}");
        }
        const int QueryBlock = 64;
        const int RowBlock = 1024;
        var d = _search.Cols;
        var k = K;
        var index = new int[queries.Rows * k];
        var dist = new float[queries.Rows * k];
        Parallel.For(0, (queries.Rows + QueryBlock - 1) / QueryBlock, new ParallelOptions { MaxDegreeOfParallelism = threads }, block =>
        {
            var start = block * QueryBlock;
            var n = Math.Min(QueryBlock, queries.Rows - start);
            var q = new DenseMatrix(n, d);
            for (var i = 0; i < n; i++)
            {
                Center(queries.Row(start + i), q.Row(i));
            }
            var bestD = dist.AsSpan(start * k, n * k);
            var bestI = index.AsSpan(start * k, n * k);
            bestD.Fill(float.PositiveInfinity);
            bestI.Fill(-1);
            var dots = new float[n * RowBlock];
            for (var r0 = 0; r0 < _x.Rows; r0 += RowBlock)
            {
                var m = Math.Min(RowBlock, _x.Rows - r0);
                Blas.GemmTransB(q.Data, _search.Data.Slice(r0 * d, m * d), dots, n, d, m);
                for (var i = 0; i < n; i++)
                {
                    var topD = bestD.Slice(i * k, k);
                    var topI = bestI.Slice(i * k, k);
                    var worst = topD[k - 1];
                    var row = dots.AsSpan(i * m, m);
                    for (var j = 0; j < m; j++)
                    {
                        // ‖q‖² is the same for every candidate, so rank by ‖x‖² − 2q·x and add it back at the end.
                        var v = _norms[r0 + j] - 2 * row[j];
                        if (v < worst)
                        {
                            Insert(topD, topI, v, r0 + j);
                            worst = topD[k - 1];
                        }
                    }
                }
            }
            for (var i = 0; i < n; i++)
            {
                var self = Blas.Dot(q.Row(i), q.Row(i));
                foreach (ref var v in bestD.Slice(i * k, k))
                {
                    v = Math.Max(0, v + self);
                }
            }
        });
        return (index, dist);
    }

    /// <summary>Insertion into a sorted top-k list (k is small, so this beats a heap).</summary>
    private static void Insert(Span<float> d, Span<int> idx, float value, int row)
    {
        var p = d.Length - 1;
        while (p > 0 && d[p - 1] > value)
        {
            d[p] = d[p - 1];
            idx[p] = idx[p - 1];
            p--;
        }
        d[p] = value;
        idx[p] = row;
    }

    /// <summary>
    /// Predicted label per query: the most frequent neighbour label (ties go to the one whose
    /// nearest member is closest) or the neighbours' mean. Also returns the neighbours.
    /// </summary>
    public (float[] Label, int[] Index, float[] SquaredDistance) Predict(DenseMatrix queries, int threads)
    {
        var (index, dist) = Neighbors(queries, threads);
        var labels = new float[queries.Rows];
        for (var i = 0; i < queries.Rows; i++)
        {
            var nb = index.AsSpan(i * K, K);
            if (!Classifier)
            {
                var sum = 0.0;
                foreach (var j in nb)
                {
                    sum += _labels[j];
                }
                labels[i] = (float)(sum / K);
                continue;
            }
            var bestLabel = _labels[nb[0]];
            var bestVotes = 0;
            // Neighbours are sorted nearest first, so a strict '>' keeps the closest label on a tie.
            for (var a = 0; a < K; a++)
            {
                var votes = 0;
                foreach (var j in nb)
                {
                    votes += _labels[j] == _labels[nb[a]] ? 1 : 0;
                }
                if (votes > bestVotes)
                {
                    bestVotes = votes;
                    bestLabel = _labels[nb[a]];
                }
            }
            labels[i] = bestLabel;
        }
        return (labels, index, dist);
    }

    /// <summary>
    /// SageMaker's k-NN response: {"predictions": [{"predicted_label": l}]}; with
    /// <c>application/json; verbose=true</c> also the neighbours' labels and distances, nearest first.
    /// CSV is the predicted label per line.
    /// </summary>
    public void WriteResponse(DenseMatrix features, string accept, TextWriter output, int threads)
    {
        var verbose = accept.Replace(" ", "").Contains("verbose=true", StringComparison.OrdinalIgnoreCase);
        var (label, index, dist) = Predict(features, threads);
        Responses.Write(output, accept, "predictions", features.Rows,
            (w, i) =>
            {
                w.WriteStartObject();
                w.WriteNumber("predicted_label", label[i]);
                if (verbose)
                {
                    w.WriteStartArray("distances");
                    foreach (var v in dist.AsSpan(i * K, K))
                    {
                        w.WriteNumberValue(MathF.Sqrt(v));
                    }
                    w.WriteEndArray();
                    w.WriteStartArray("labels");
                    foreach (var j in index.AsSpan(i * K, K))
                    {
                        w.WriteNumberValue(_labels[j]);
                    }
                    w.WriteEndArray();
                }
                w.WriteEndObject();
            },
            (o, i) => o.Write(Responses.F(label[i])));
    }

    public void Save(string directory) => ModelFile.Write(directory, Algorithm, w =>
    {
        w.Write(K);
        w.Write((byte)(Classifier ? 1 : 0));
        w.Write(_x.Rows);
        w.Write(_x.Cols);
        w.WriteFloats(_x.Data);
        w.WriteFloats(_labels);
        w.WriteFloats(_fill);
    });

    internal static KnnModel Read(BinaryReader r)
    {
        var k = r.ReadInt32();
        var classifier = r.ReadByte() == 1;
        var rows = r.ReadInt32();
        var cols = r.ReadInt32();
        var data = r.ReadFloats();
        var labels = r.ReadFloats();
        var fill = r.ReadFloats();
        if (data.Length != rows * cols || labels.Length != rows || fill.Length != cols)
        {
            throw new InvalidDataException("knn model arrays do not match its dimensions");
        }
        return new KnnModel(k, classifier, new DenseMatrix(data, rows, cols), labels, fill, new Dictionary<string, double>());
    }
}
