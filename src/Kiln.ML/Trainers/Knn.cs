using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Kiln.ML.Artifacts;
using Kiln.ML.Data;
using Kiln.ML.Kernels;

namespace Kiln.ML.Trainers;

/// <summary>k-NN's index_metric; the byte values are persisted in the model file.</summary>
public enum KnnMetric : byte
{
    L2 = 0,
    InnerProduct = 1,
    Cosine = 2,
}

/// <summary>
/// SageMaker's k-NN: training keeps a uniform sample of sample_size rows, optionally projected to
/// dimension_reduction_target dimensions (sign or fjlt, <see cref="KnnProjection"/>), and indexes
/// them: faiss.Flat searches every row, faiss.IVFFlat only the inverted lists nearest the query
/// (<see cref="KnnIvf"/>). Inference finds each query's k nearest rows under index_metric (L2
/// distance, or greatest INNER_PRODUCT or COSINE similarity) and votes (classifier) or averages
/// (regressor) their labels. Missing values take the training column mean.
/// Names, defaults and ranges: https://docs.aws.amazon.com/sagemaker/latest/dg/kNN_hyperparameters.html
/// </summary>
public sealed class KnnTrainer : ITrainer
{
    public const string Name = "knn";

    // faiss_index_pq_m's documented values (faiss's product quantizer supports only these).
    private static readonly string[] PqM = ["1", "2", "3", "4", "8", "12", "16", "20", "24", "28", "32", "40", "48", "56", "64", "96"];

    public string Algorithm => Name;

    public IModel Train(Dataset train, Dataset? validation, Hyperparameters hp, TrainingContext context)
    {
        var cols = train.Features.Cols;
        var k = hp.Int("k", null, 1, 1024);
        var type = hp.Choice("predictor_type", null, "classifier", "regressor");
        var sampleSize = hp.Int("sample_size", null, 1);
        if (hp.IsSet("feature_dim") && hp.Int("feature_dim", null, 1) != cols)
        {
            throw new HyperparameterException("feature_dim", $"is {hp.Raw("feature_dim")} but the data has {cols} features");
        }
        // SageMaker documents no value for "no reduction" (the default is simply unset); "none" is accepted too.
        var reduction = hp.Choice("dimension_reduction_type", "none", "none", "sign", "fjlt") switch
        {
            "sign" => KnnReduction.Sign,
            "fjlt" => KnnReduction.Fjlt,
            _ => KnnReduction.None,
        };
        var target = 0;
        if (reduction != KnnReduction.None)
        {
            if (cols < 2)
            {
                throw new HyperparameterException("dimension_reduction_type", $"cannot reduce {cols} feature to fewer");
            }
            target = hp.Int("dimension_reduction_target", null, 1, cols - 1);
        }
        var indexType = hp.Choice("index_type", "faiss.Flat", "faiss.Flat", "faiss.IVFFlat", "faiss.IVFPQ");
        var metric = hp.Choice("index_metric", "L2", "L2", "INNER_PRODUCT", "COSINE") switch
        {
            "INNER_PRODUCT" => KnnMetric.InnerProduct,
            "COSINE" => KnnMetric.Cosine,
            _ => KnnMetric.L2,
        };
        if (hp.IsSet("faiss_index_pq_m"))
        {
            hp.Choice("faiss_index_pq_m", null, PqM);
        }
        if (indexType == "faiss.IVFPQ")
        {
            throw new HyperparameterException("index_type",
                "faiss.IVFPQ (product-quantized lists) is not implemented in Kiln; use faiss.IVFFlat (the same inverted lists, rows uncompressed) or faiss.Flat");
        }
        var stored = Math.Min(sampleSize, train.Rows);
        // auto: √sample_size lists, as SageMaker documents.
        var lists = indexType == "faiss.IVFFlat"
            ? hp.Int("faiss_index_ivf_nlists", Math.Max(1, (int)Math.Round(Math.Sqrt(stored))), 1)
            : 0;
        hp.Int("mini_batch_size", 5000, 1);
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
        var projection = reduction == KnnReduction.None ? null : KnnProjection.Create(reduction, cols, target, context.Seed);
        var model = new KnnModel(k, type == "classifier", metric, x, labels, stats.Mean, projection, null, context.Threads);
        if (lists > 0)
        {
            model = model.WithIndex(KnnIvf.Build(model.EmbedRows(context.Threads), lists, metric != KnnMetric.L2, context.Seed, context.Threads), context.Threads);
        }
        context.Progress($"indexed {x.Rows} rows of {cols} features" +
            (projection is null ? "" : $", reduced to {target} by {reduction.ToString().ToLowerInvariant()}") +
            (model.Index is { } ivf ? $", in {ivf.Lists} inverted lists ({ivf.Probes} probed per query)" : ""));
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
/// The stored rows, labels and index. Payload of model_algo-1:
///   version 1: i32 k, u8 classifier, i32 rows, i32 features, floats rows, floats labels, floats means.
///   version 2 (dimension reduction, IVF, metrics): i32 −2, i32 k, u8 classifier, u8 metric, i32 rows,
///     i32 features, floats rows, floats labels, floats means, u8 has projection [+ projection],
///     u8 has IVF [+ index]. A version-1 payload starts with k ≥ 1, so the negative marker tells them apart.
/// The rows are stored as imputed, before projection; the search copy is rebuilt at the first search.
/// </summary>
public sealed class KnnModel : IModel
{
    private const int PayloadVersion2 = -2;
    private const int QueryBlock = 64;

    // Panels per PanelGemm call: 1024 rows of dot products per query stay in L1/L2.
    private const int PanelBlock = 128;

    private readonly DenseMatrix _x;
    private readonly float[] _labels;
    private readonly float[] _fill;
    private readonly KnnProjection? _projection;

    // Built on the first search rather than at training, which only samples and saves the rows.
    private readonly Lazy<Layout> _layout;

    internal KnnModel(int k, bool classifier, KnnMetric metric, DenseMatrix x, float[] labels, float[] fill,
        KnnProjection? projection, KnnIvf? index, int threads)
    {
        K = Math.Min(k, x.Rows);
        Classifier = classifier;
        MetricType = metric;
        _x = x;
        _labels = labels;
        _fill = fill;
        _projection = projection;
        Index = index;
        Metrics = new Dictionary<string, double>();
        _layout = new Lazy<Layout>(() => BuildLayout(threads));
    }

    /// <summary>The rows as searched, and where each inverted list sits among them.</summary>
    private sealed class Layout
    {
        /// <summary>
        /// The search copy of the rows, packed for PanelGemm, in inverted-list order (one list for
        /// faiss.Flat), each list padded to whole panels of 8. A row is imputed; for L2 centered on
        /// the training means, because ‖x‖² − 2q·x + ‖q‖² in float32 cancels catastrophically for
        /// large-valued features (adult's fnlwgt is ~1e5); projected; for COSINE scaled to unit length.
        /// </summary>
        public required float[] Packed { get; init; }

        /// <summary>
        /// Per packed row: ‖x‖² for L2 and 0 otherwise, so ‖x‖² − 2q·x ranks every metric least
        /// first; +∞ for padding, which therefore never enters a top-k list.
        /// </summary>
        public required float[] Norms { get; init; }

        /// <summary>Packed row → stored row, −1 for padding.</summary>
        public required int[] RowOf { get; init; }

        /// <summary>The first panel of each inverted list, and the end.</summary>
        public required int[] ListStart { get; init; }

        /// <summary>‖c‖² per IVF centroid for L2, 0 otherwise.</summary>
        public required float[] CentroidNorms { get; init; }
    }

    private Layout BuildLayout(int threads)
    {
        var search = EmbedRows(threads);
        var lists = Index?.Lists ?? 1;
        var sizes = new int[lists];
        for (var i = 0; i < _x.Rows; i++)
        {
            sizes[Index?.Assignment[i] ?? 0]++;
        }
        var listStart = new int[lists + 1];
        for (var l = 0; l < lists; l++)
        {
            listStart[l + 1] = listStart[l] + PanelGemm.Panels(sizes[l]);
        }
        var total = listStart[lists] * PanelGemm.Width;
        var next = listStart[..^1].Select(panel => panel * PanelGemm.Width).ToArray();
        // faiss.Flat keeps the stored order, so the rows pack as they are.
        var ordered = Index is null ? search : new DenseMatrix(total, Dimension);
        var rowOf = new int[total];
        var norms = new float[total];
        Array.Fill(rowOf, -1);
        Array.Fill(norms, float.PositiveInfinity);
        for (var i = 0; i < _x.Rows; i++)
        {
            var at = next[Index?.Assignment[i] ?? 0]++;
            var row = ordered.Row(at);
            if (Index is not null)
            {
                search.Row(i).CopyTo(row);
            }
            rowOf[at] = i;
            norms[at] = MetricType == KnnMetric.L2 ? Blas.Dot(row, row) : 0;
        }
        return new Layout
        {
            Packed = PanelGemm.Pack(ordered.Data, ordered.Rows, Dimension),
            Norms = norms,
            RowOf = rowOf,
            ListStart = listStart,
            CentroidNorms = Index is null ? [] : KnnIvf.Norms(Index.Centroids, Index.Lists, Dimension, MetricType != KnnMetric.L2),
        };
    }

    private KnnModel(KnnModel other, KnnIvf? index, IReadOnlyDictionary<string, double> metrics)
    {
        (K, Classifier, MetricType, _x, _labels, _fill, _projection) =
            (other.K, other.Classifier, other.MetricType, other._x, other._labels, other._fill, other._projection);
        // A different nprobe searches the same lists, so the layout is shared.
        _layout = other._layout;
        Index = index;
        Metrics = metrics;
    }

    public string Algorithm => KnnTrainer.Name;

    public IReadOnlyDictionary<string, double> Metrics { get; }

    public int K { get; }

    public bool Classifier { get; }

    public KnnMetric MetricType { get; }

    internal KnnIvf? Index { get; }

    /// <summary>Columns of the search space: dimension_reduction_target, or the features.</summary>
    private int Dimension => _projection?.Outputs ?? _x.Cols;

    internal KnnModel WithMetrics(IReadOnlyDictionary<string, double> metrics) => new(this, Index, metrics);

    internal KnnModel WithIndex(KnnIvf index, int threads) =>
        new(K, Classifier, MetricType, _x, _labels, _fill, _projection, index, threads);

    /// <summary>The same index probing <paramref name="probes"/> lists per query (all lists: exact search).</summary>
    internal KnnModel WithProbes(int probes) => new(this, Index!.WithProbes(probes), Metrics);

    /// <summary>The stored rows in search space, in stored order (what the IVF quantizer trains on).</summary>
    internal DenseMatrix EmbedRows(int threads)
    {
        var search = new DenseMatrix(_x.Rows, Dimension);
        Parallel.For(0, (_x.Rows + 4095) / 4096, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) }, b =>
        {
            var (centered, scratch) = Buffers();
            for (var i = b * 4096; i < Math.Min(_x.Rows, (b + 1) * 4096); i++)
            {
                Embed(_x.Row(i), search.Row(i), centered, scratch);
            }
        });
        return search;
    }

    private (float[] Centered, float[] Scratch) Buffers() => (new float[_x.Cols], new float[_projection?.ScratchLength ?? 0]);

    /// <summary>One row into search space: impute, center (L2), project, normalize (COSINE).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Embed(ReadOnlySpan<float> source, Span<float> target, Span<float> centered, Span<float> scratch)
    {
        var shift = MetricType == KnnMetric.L2;
        for (var j = 0; j < source.Length; j++)
        {
            centered[j] = (float.IsNaN(source[j]) ? _fill[j] : source[j]) - (shift ? _fill[j] : 0);
        }
        if (_projection is null)
        {
            centered.CopyTo(target);
        }
        else
        {
            _projection.Apply(centered, target, scratch);
        }
        if (MetricType == KnnMetric.Cosine)
        {
            var norm = MathF.Sqrt(Blas.Dot(target, target));
            if (norm > 0)
            {
                System.Numerics.Tensors.TensorPrimitives.Divide(target, norm, target);
            }
        }
    }

    /// <summary>
    /// The indices (rows × K, nearest first) of each query's neighbours and their distances: the
    /// squared L2 distance, or for INNER_PRODUCT and COSINE the similarity (greatest first). An
    /// IVF search that probes fewer than K rows leaves index −1 in the unfilled places.
    /// </summary>
    public (int[] Index, float[] Distance) Neighbors(DenseMatrix queries, int threads)
    {
        if (queries.Cols != _x.Cols)
        {
            throw new DataFormatException("input", 1, queries.Cols, $"the model expects {_x.Cols} features, the input has {queries.Cols}");
        }
        var k = K;
        var layout = _layout.Value;
        var index = new int[queries.Rows * k];
        var dist = new float[queries.Rows * k];
        Parallel.For(0, (queries.Rows + QueryBlock - 1) / QueryBlock, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) }, block =>
        {
            var start = block * QueryBlock;
            var n = Math.Min(QueryBlock, queries.Rows - start);
            var q = new DenseMatrix(n, Dimension);
            var (centered, scratch) = Buffers();
            for (var i = 0; i < n; i++)
            {
                Embed(queries.Row(start + i), q.Row(i), centered, scratch);
            }
            var bestD = dist.AsSpan(start * k, n * k);
            var bestI = index.AsSpan(start * k, n * k);
            bestD.Fill(float.PositiveInfinity);
            bestI.Fill(-1);
            var dots = new float[n * PanelBlock * PanelGemm.Width];
            if (Index is null)
            {
                Scan(layout, q.Data, n, 0, layout.ListStart[^1], bestD, bestI, dots);
            }
            else
            {
                SearchLists(layout, q, bestD, bestI, dots);
            }
            for (var i = 0; i < n; i++)
            {
                var self = MetricType == KnnMetric.L2 ? Blas.Dot(q.Row(i), q.Row(i)) : 0;
                foreach (ref var v in bestD.Slice(i * k, k))
                {
                    // L2: add back ‖q‖²; otherwise the score was −2q·x, so −score/2 is the similarity.
                    v = MetricType == KnnMetric.L2 ? Math.Max(0, v + self) : -v / 2;
                }
            }
            foreach (ref var p in bestI)
            {
                p = p < 0 ? p : layout.RowOf[p];
            }
        });
        return (index, dist);
    }

    /// <summary>Offers the rows of panels [from, from+count) to the running top-K of each of the n queries.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Scan(Layout layout, ReadOnlySpan<float> q, int n, int from, int count, Span<float> bestD, Span<int> bestI, float[] dots)
    {
        var k = K;
        var w = PanelGemm.Width;
        for (var p0 = from; p0 < from + count; p0 += PanelBlock)
        {
            var panels = Math.Min(PanelBlock, from + count - p0);
            var m = panels * w;
            PanelGemm.Multiply(q, n, Dimension, layout.Packed, p0, panels, dots);
            var norms = layout.Norms.AsSpan(p0 * w, m);
            for (var i = 0; i < n; i++)
            {
                var topD = bestD.Slice(i * k, k);
                var topI = bestI.Slice(i * k, k);
                var row = dots.AsSpan(i * m, m);
                for (var j = 0; j < m; j += w)
                {
                    // ‖q‖² is the same for every candidate, so rank by ‖x‖² − 2q·x and add it back at
                    // the end. Eight candidates are tested against the current k-th best at once;
                    // after the first blocks almost none pass, so the insertion loop rarely runs.
                    var v = Vector256.Create<float>(norms[j..]) - Vector256.Create<float>(row[j..]) * 2;
                    if (Vector256.LessThanAny(v, Vector256.Create(topD[k - 1])))
                    {
                        for (var r = 0; r < w; r++)
                        {
                            if (v[r] < topD[k - 1])
                            {
                                Insert(topD, topI, v[r], p0 * w + j + r);
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>IVF: each query scores the centroids, then scans its best <see cref="KnnIvf.Probes"/> lists.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void SearchLists(Layout layout, DenseMatrix q, Span<float> bestD, Span<int> bestI, float[] dots)
    {
        var ivf = Index!;
        var d = q.Cols;
        var scores = new float[q.Rows * ivf.Lists];
        Blas.GemmTransB(q.Data, ivf.Centroids, scores, q.Rows, d, ivf.Lists);
        var probeScore = new float[ivf.Probes];
        var probe = new int[ivf.Probes];
        for (var i = 0; i < q.Rows; i++)
        {
            probeScore.AsSpan().Fill(float.PositiveInfinity);
            var row = scores.AsSpan(i * ivf.Lists, ivf.Lists);
            for (var l = 0; l < ivf.Lists; l++)
            {
                var v = layout.CentroidNorms[l] - 2 * row[l];
                if (v < probeScore[^1])
                {
                    Insert(probeScore, probe, v, l);
                }
            }
            foreach (var l in probe)
            {
                Scan(layout, q.Row(i), 1, layout.ListStart[l], layout.ListStart[l + 1] - layout.ListStart[l], bestD.Slice(i * K, K), bestI.Slice(i * K, K), dots);
            }
        }
    }

    /// <summary>Insertion into a sorted top-k list (k is small, so this beats a heap).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
    public (float[] Label, int[] Index, float[] Distance) Predict(DenseMatrix queries, int threads)
    {
        var (index, dist) = Neighbors(queries, threads);
        var labels = new float[queries.Rows];
        for (var i = 0; i < queries.Rows; i++)
        {
            var nb = index.AsSpan(i * K, K);
            var found = nb.IndexOf(-1);
            if (found >= 0)
            {
                nb = nb[..found];
            }
            if (nb.IsEmpty)
            {
                labels[i] = float.NaN;
                continue;
            }
            if (!Classifier)
            {
                var sum = 0.0;
                foreach (var j in nb)
                {
                    sum += _labels[j];
                }
                labels[i] = (float)(sum / nb.Length);
                continue;
            }
            var bestLabel = _labels[nb[0]];
            var bestVotes = 0;
            // Neighbours are sorted nearest first, so a strict '>' keeps the closest label on a tie.
            foreach (var a in nb)
            {
                var votes = 0;
                foreach (var j in nb)
                {
                    votes += _labels[j] == _labels[a] ? 1 : 0;
                }
                if (votes > bestVotes)
                {
                    bestVotes = votes;
                    bestLabel = _labels[a];
                }
            }
            labels[i] = bestLabel;
        }
        return (labels, index, dist);
    }

    /// <summary>
    /// SageMaker's k-NN response: {"predictions": [{"predicted_label": l}]}; with
    /// <c>application/json; verbose=true</c> also the neighbours' labels and distances, nearest first
    /// (L2 distance, or the similarity for INNER_PRODUCT and COSINE, as faiss reports it).
    /// CSV is the predicted label per line.
    /// </summary>
    public void WriteResponse(DenseMatrix features, string accept, TextWriter output, int threads)
    {
        var verbose = accept.Replace(" ", "").Contains("verbose=true", StringComparison.OrdinalIgnoreCase);
        var (label, index, dist) = Predict(features, threads);
        Responses.Write(output, accept, "predictions", features.Rows, threads,
            (w, i) =>
            {
                w.WriteStartObject();
                w.WriteNumber("predicted_label", label[i]);
                if (verbose)
                {
                    var found = index.AsSpan(i * K, K).IndexOf(-1) is var f and >= 0 ? f : K;
                    w.WriteStartArray("distances");
                    foreach (var v in dist.AsSpan(i * K, found))
                    {
                        w.WriteNumberValue(MetricType == KnnMetric.L2 ? MathF.Sqrt(v) : v);
                    }
                    w.WriteEndArray();
                    w.WriteStartArray("labels");
                    foreach (var j in index.AsSpan(i * K, found))
                    {
                        w.WriteNumberValue(_labels[j]);
                    }
                    w.WriteEndArray();
                }
                w.WriteEndObject();
            },
            Responses.FloatBytes,
            (i, text) => Responses.Float(label[i], text));
    }

    public void Save(string directory) => ModelFile.Write(directory, Algorithm, w =>
    {
        w.Write(PayloadVersion2);
        w.Write(K);
        w.Write((byte)(Classifier ? 1 : 0));
        w.Write((byte)MetricType);
        w.Write(_x.Rows);
        w.Write(_x.Cols);
        w.WriteFloats(_x.Data);
        w.WriteFloats(_labels);
        w.WriteFloats(_fill);
        w.Write((byte)(_projection is null ? 0 : 1));
        _projection?.Write(w);
        w.Write((byte)(Index is null ? 0 : 1));
        Index?.Write(w);
    });

    internal static KnnModel Read(BinaryReader r)
    {
        var first = r.ReadInt32();
        var version2 = first == PayloadVersion2;
        if (first < 1 && !version2)
        {
            throw new InvalidDataException($"knn payload starts with {first}: neither k nor a known payload version");
        }
        var k = version2 ? r.ReadInt32() : first;
        var classifier = r.ReadByte() == 1;
        var metric = version2 ? (KnnMetric)r.ReadByte() : KnnMetric.L2;
        var rows = r.ReadInt32();
        var cols = r.ReadInt32();
        var data = r.ReadFloats();
        var labels = r.ReadFloats();
        var fill = r.ReadFloats();
        if (data.Length != rows * cols || labels.Length != rows || fill.Length != cols || !Enum.IsDefined(metric))
        {
            throw new InvalidDataException("knn model arrays do not match its dimensions");
        }
        var projection = version2 && r.ReadByte() == 1 ? KnnProjection.Read(r) : null;
        if (projection is not null && projection.Inputs != cols)
        {
            throw new InvalidDataException("knn projection does not match the model's features");
        }
        var index = version2 && r.ReadByte() == 1 ? KnnIvf.Read(r, rows, projection?.Outputs ?? cols) : null;
        return new KnnModel(k, classifier, metric, new DenseMatrix(data, rows, cols), labels, fill, projection, index, Environment.ProcessorCount);
    }
}
