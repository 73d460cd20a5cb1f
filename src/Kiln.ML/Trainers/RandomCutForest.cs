using Kiln.ML.Artifacts;
using Kiln.ML.Data;
using Kiln.ML.Kernels;
using Kiln.ML.Metrics;

namespace Kiln.ML.Trainers;

/// <summary>
/// SageMaker's Random Cut Forest (Guha, Mishra, Roy and Schrijvers, "Robust Random Cut Forest Based
/// Anomaly Detection on Streams", ICML 2016). Each of num_trees trees is built on its own reservoir
/// sample of num_samples_per_tree rows, drawn in one pass over the training stream. A tree splits
/// its points by a random cut: the dimension is chosen with probability proportional to its range
/// over the points, the cut value uniformly within that range, until every leaf holds one point
/// (or copies of one point).
///
/// The anomaly score of a point is its collusive displacement (CoDisp) averaged over the trees: the
/// point is inserted into each tree as the paper's InsertPoint does, and CoDisp is the largest
/// ratio |sibling(C)| / |C| over the subtrees C on its path. Rather than drawing one random
/// insertion per tree, the expectation over the insertion's randomness is taken exactly: at each
/// node the insertion cuts the point off with probability (growth of the bounding box) / (range sum
/// of the grown box), and otherwise follows the node's existing cut (the conditional distribution
/// of the cut is the one the tree was built with). That is the same expected score with less
/// variance, and it leaves the trees unchanged, as SageMaker's inference does.
/// Missing values are replaced by the training mean of their column.
/// </summary>
public sealed class RandomCutForestTrainer : ITrainer
{
    public const string Name = "randomcutforest";

    public string Algorithm => Name;

    public IModel Train(Dataset train, Dataset? validation, Hyperparameters hp, TrainingContext context)
    {
        // Ranges from SageMaker's RCF hyperparameter documentation.
        var featureDim = hp.Int("feature_dim", null, 1, 10_000);
        var trees = hp.Int("num_trees", 100, 50, 1000);
        var samples = hp.Int("num_samples_per_tree", 256, 1, 2048);
        ParseEvalMetrics(hp.Raw("eval_metrics"));
        hp.Accept("mini_batch_size");
        hp.RejectUnknown(Name);
        if (featureDim != train.Features.Cols)
        {
            throw new HyperparameterException("feature_dim", $"is {featureDim} but the data has {train.Features.Cols} features");
        }

        var stats = ColumnStats.Compute(train.Features);
        var x = stats.Apply(train.Features, standardize: false, context);
        var forest = new RandomCutTree[trees];
        Parallel.For(0, trees, context.Parallel, t =>
        {
            // One generator per tree, seeded by its index, so the forest does not depend on thread timing.
            // (Not HashCode.Combine: its seed changes with every process.)
            var rng = new Random(unchecked(context.Seed * 1_000_003 + t * 7919 + 17));
            forest[t] = RandomCutTree.Build(x, Reservoir(x.Rows, samples, rng), rng);
        });
        context.Progress($"built {trees} trees on {Math.Min(samples, x.Rows)} of {x.Rows} rows each");
        var model = new RandomCutForestModel(x.Cols, forest, stats.Mean, new Dictionary<string, double>());
        if (validation?.Labels is not { } labels)
        {
            return model;
        }
        // SageMaker scores a labelled test channel against a threshold of the mean training score
        // plus three standard deviations.
        var trainScores = model.Scores(train.Features, context.Threads);
        var mean = trainScores.Average(v => (double)v);
        var sd = Math.Sqrt(trainScores.Average(v => (v - mean) * (v - mean)));
        var scores = model.Scores(validation.Features, context.Threads);
        var predicted = scores.Select(s => s > mean + 3 * sd ? 1f : 0f).ToArray();
        return model.WithMetrics(new Dictionary<string, double>
        {
            ["test:accuracy"] = ClassificationMetrics.Accuracy(labels, predicted),
            ["test:precision"] = ClassificationMetrics.Precision(labels, predicted),
            ["test:recall"] = ClassificationMetrics.Recall(labels, predicted),
            ["test:f1"] = ClassificationMetrics.F1(labels, predicted),
            ["test:roc_auc"] = ClassificationMetrics.RocAuc(labels, scores),
        });
    }

    private static void ParseEvalMetrics(string? raw)
    {
        if (raw is null)
        {
            return;
        }
        var list = raw.Trim('[', ']').Split(',').Select(s => s.Trim().Trim('"', '\'', '\\')).Where(s => s.Length > 0).ToArray();
        if (list.Length == 0 || list.Any(m => m is not ("accuracy" or "precision_recall_fscore")))
        {
            throw new HyperparameterException("eval_metrics", $"'{raw}' is not a list of \"accuracy\" and \"precision_recall_fscore\"");
        }
    }

    /// <summary>Algorithm R (Vitter 1985): a uniform sample of <paramref name="size"/> of the row stream, in one pass.</summary>
    internal static int[] Reservoir(int rows, int size, Random rng)
    {
        var sample = new int[Math.Min(rows, size)];
        for (var i = 0; i < rows; i++)
        {
            if (i < sample.Length)
            {
                sample[i] = i;
            }
            else
            {
                var j = rng.Next(i + 1);
                if (j < sample.Length)
                {
                    sample[j] = i;
                }
            }
        }
        return sample;
    }
}

/// <summary>
/// One random cut tree, nodes in pre-order (a child's index is above its parent's). Every node
/// keeps the bounding box of its points; a leaf's box is its point.
/// </summary>
internal sealed class RandomCutTree
{
    public required int Features { get; init; }

    /// <summary>Left child, or −1 for a leaf.</summary>
    public required int[] Left { get; init; }

    public required int[] Right { get; init; }

    public required int[] Dim { get; init; }

    public required float[] Cut { get; init; }

    /// <summary>Points under the node, copies counted.</summary>
    public required int[] Size { get; init; }

    public required float[] Min { get; init; }

    public required float[] Max { get; init; }

    public required float[] RangeSum { get; init; }

    public int Nodes => Left.Length;

    public static RandomCutTree Build(DenseMatrix x, int[] sample, Random rng)
    {
        var d = x.Cols;
        var capacity = Math.Max(1, 2 * sample.Length - 1);
        var left = new int[capacity];
        var right = new int[capacity];
        var dim = new int[capacity];
        var cut = new float[capacity];
        var size = new int[capacity];
        var min = new float[capacity * d];
        var max = new float[capacity * d];
        var count = 0;
        var order = (int[])sample.Clone();

        int Node(int lo, int hi)
        {
            var node = count++;
            var bmin = min.AsSpan(node * d, d);
            var bmax = max.AsSpan(node * d, d);
            x.Row(order[lo]).CopyTo(bmin);
            x.Row(order[lo]).CopyTo(bmax);
            for (var i = lo + 1; i < hi; i++)
            {
                var row = x.Row(order[i]);
                for (var j = 0; j < d; j++)
                {
                    bmin[j] = MathF.Min(bmin[j], row[j]);
                    bmax[j] = MathF.Max(bmax[j], row[j]);
                }
            }
            size[node] = hi - lo;
            left[node] = right[node] = -1;
            var total = 0.0;
            for (var j = 0; j < d; j++)
            {
                total += bmax[j] - bmin[j];
            }
            if (total <= 0)
            {
                return node; // one point, or copies of one point
            }
            int mid;
            while (true)
            {
                // Dimension with probability proportional to its range, cut uniform within it.
                var r = rng.NextDouble() * total;
                var j = 0;
                while (j < d - 1 && r >= bmax[j] - bmin[j])
                {
                    r -= bmax[j] - bmin[j];
                    j++;
                }
                var c = (float)(bmin[j] + r);
                mid = Partition(x, order, lo, hi, j, c);
                if (mid > lo && mid < hi)
                {
                    dim[node] = j;
                    cut[node] = c;
                    break;
                }
                // Float rounding put the cut on the box's edge; draw again.
            }
            left[node] = Node(lo, mid);
            right[node] = Node(mid, hi);
            return node;
        }

        Node(0, order.Length);
        return Create(d, left[..count], right[..count], dim[..count], cut[..count], size[..count],
            min.AsSpan(0, count * d).ToArray(), max.AsSpan(0, count * d).ToArray());
    }

    private static int Partition(DenseMatrix x, int[] order, int lo, int hi, int dim, float cut)
    {
        var i = lo;
        var j = hi - 1;
        while (i <= j)
        {
            if (x[order[i], dim] <= cut)
            {
                i++;
            }
            else
            {
                (order[i], order[j]) = (order[j], order[i]);
                j--;
            }
        }
        return i;
    }

    private static RandomCutTree Create(int d, int[] left, int[] right, int[] dim, float[] cut, int[] size, float[] min, float[] max)
    {
        var ranges = new float[left.Length];
        for (var n = 0; n < left.Length; n++)
        {
            var s = 0.0;
            for (var j = 0; j < d; j++)
            {
                s += max[n * d + j] - min[n * d + j];
            }
            ranges[n] = (float)s;
        }
        return new RandomCutTree
        {
            Features = d, Left = left, Right = right, Dim = dim, Cut = cut, Size = size, Min = min, Max = max, RangeSum = ranges,
        };
    }

    /// <summary>
    /// The expected CoDisp of <paramref name="x"/> if it were inserted. With path nodes P0 (root)
    /// … Pd, cutting x off above Pd gives the subtrees {x} (sibling Pd) and then Pj ∪ {x} for
    /// j = d … 1 (sibling: Pj's sibling), so CoDisp = max(|Pd|, max_{1≤j≤d} |sib(Pj)| / (|Pj| + 1)).
    /// Reaching a leaf that equals x adds x as a copy: the same maximum without the |Pd| term.
    /// </summary>
    public double CoDisp(ReadOnlySpan<float> x)
    {
        var d = Features;
        var node = 0;
        var remaining = 1.0;
        var expected = 0.0;
        var ancestors = 0.0;
        while (true)
        {
            var growth = Blas.BoxExpansion(x, Min.AsSpan(node * d, d), Max.AsSpan(node * d, d));
            if (growth > 0)
            {
                var p = growth / (growth + (double)RangeSum[node]);
                expected += remaining * p * Math.Max(Size[node], ancestors);
                remaining *= 1 - p;
            }
            if (Left[node] < 0)
            {
                return expected + remaining * ancestors;
            }
            var (child, sibling) = x[Dim[node]] <= Cut[node] ? (Left[node], Right[node]) : (Right[node], Left[node]);
            ancestors = Math.Max(ancestors, Size[sibling] / (Size[child] + 1.0));
            node = child;
        }
    }

    /// <summary>Payload: i32 nodes, i32 left/right/dim/size per node, f32 cut per node, leaf points in node order.</summary>
    public void Write(BinaryWriter w)
    {
        w.Write(Nodes);
        foreach (var array in new[] { Left, Right, Dim, Size })
        {
            foreach (var v in array)
            {
                w.Write(v);
            }
        }
        w.WriteFloats(Cut);
        var leaves = new List<float>();
        for (var n = 0; n < Nodes; n++)
        {
            if (Left[n] < 0)
            {
                leaves.AddRange(Min.AsSpan(n * Features, Features));
            }
        }
        w.WriteFloats(leaves.ToArray());
    }

    public static RandomCutTree Read(BinaryReader r, int d)
    {
        var nodes = r.ReadInt32();
        if (nodes < 1)
        {
            throw new InvalidDataException("random cut tree has no nodes");
        }
        var arrays = new int[4][];
        for (var a = 0; a < 4; a++)
        {
            arrays[a] = new int[nodes];
            for (var n = 0; n < nodes; n++)
            {
                arrays[a][n] = r.ReadInt32();
            }
        }
        var (left, right, dim, size) = (arrays[0], arrays[1], arrays[2], arrays[3]);
        var cut = r.ReadFloats();
        var points = r.ReadFloats();
        if (cut.Length != nodes)
        {
            throw new InvalidDataException("random cut tree arrays do not match its node count");
        }
        var min = new float[nodes * d];
        var max = new float[nodes * d];
        var leaf = 0;
        for (var n = 0; n < nodes; n++)
        {
            if (left[n] < 0)
            {
                if ((leaf + 1) * d > points.Length)
                {
                    throw new InvalidDataException("random cut tree has fewer leaf points than leaves");
                }
                points.AsSpan(leaf * d, d).CopyTo(min.AsSpan(n * d));
                points.AsSpan(leaf * d, d).CopyTo(max.AsSpan(n * d));
                leaf++;
            }
            else if (left[n] <= n || right[n] <= n || left[n] >= nodes || right[n] >= nodes || dim[n] < 0 || dim[n] >= d)
            {
                throw new InvalidDataException("random cut tree links are not in pre-order");
            }
        }
        // Children come after their parent, so boxes fill in from the last node back.
        for (var n = nodes - 1; n >= 0; n--)
        {
            if (left[n] >= 0)
            {
                for (var j = 0; j < d; j++)
                {
                    min[n * d + j] = MathF.Min(min[left[n] * d + j], min[right[n] * d + j]);
                    max[n * d + j] = MathF.Max(max[left[n] * d + j], max[right[n] * d + j]);
                }
            }
        }
        return Create(d, left, right, dim, cut, size, min, max);
    }
}

/// <summary>
/// A random cut forest. Payload of model_algo-1, version 1:
///   i32 features, i32 trees, floats column means (missing-value fill), then each tree
///   (<see cref="RandomCutTree.Write"/>). Boxes are rebuilt from the leaves when read.
/// </summary>
public sealed class RandomCutForestModel : IModel
{
    private readonly RandomCutTree[] _trees;
    private readonly float[] _means;

    internal RandomCutForestModel(int features, RandomCutTree[] trees, float[] means, IReadOnlyDictionary<string, double> metrics)
    {
        Features = features;
        _trees = trees;
        _means = means;
        Metrics = metrics;
    }

    public string Algorithm => RandomCutForestTrainer.Name;

    public IReadOnlyDictionary<string, double> Metrics { get; }

    public int Features { get; }

    public int Trees => _trees.Length;

    internal RandomCutForestModel WithMetrics(IReadOnlyDictionary<string, double> metrics) => new(Features, _trees, _means, metrics);

    /// <summary>The anomaly score of every row: its CoDisp averaged over the trees; higher is more anomalous.</summary>
    public float[] Scores(DenseMatrix x, int threads)
    {
        if (x.Cols != Features)
        {
            throw new DataFormatException("input", 1, x.Cols, $"the model expects {Features} features, the input has {x.Cols}");
        }
        var filled = new ColumnStats { Mean = _means, Scale = _means }.Apply(x, standardize: false);
        var scores = new float[x.Rows];
        Parallel.For(0, (x.Rows + 63) / 64, new ParallelOptions { MaxDegreeOfParallelism = threads }, block =>
        {
            var end = Math.Min(x.Rows, (block + 1) * 64);
            for (var i = block * 64; i < end; i++)
            {
                var row = filled.Row(i);
                var sum = 0.0;
                foreach (var tree in _trees)
                {
                    sum += tree.CoDisp(row);
                }
                scores[i] = (float)(sum / _trees.Length);
            }
        });
        return scores;
    }

    /// <summary>
    /// SageMaker's RCF response: {"scores": [{"score": s}, ...]}; JSON lines {"score": s}; CSV one score per line.
    /// </summary>
    public void WriteResponse(DenseMatrix features, string accept, TextWriter output, int threads)
    {
        var scores = Scores(features, threads);
        Responses.Write(output, accept, "scores", features.Rows, threads,
            (w, i) =>
            {
                w.WriteStartObject();
                w.WriteNumber("score", scores[i]);
                w.WriteEndObject();
            },
            Responses.FloatBytes,
            (i, text) => Responses.Float(scores[i], text));
    }

    public void Save(string directory) => ModelFile.Write(directory, Algorithm, w =>
    {
        w.Write(Features);
        w.Write(_trees.Length);
        w.WriteFloats(_means);
        foreach (var tree in _trees)
        {
            tree.Write(w);
        }
    });

    internal static RandomCutForestModel Read(BinaryReader r)
    {
        var d = r.ReadInt32();
        var count = r.ReadInt32();
        var means = r.ReadFloats();
        if (d < 1 || count < 1 || means.Length != d)
        {
            throw new InvalidDataException("randomcutforest model header does not match its dimensions");
        }
        var trees = new RandomCutTree[count];
        for (var t = 0; t < count; t++)
        {
            trees[t] = RandomCutTree.Read(r, d);
        }
        return new RandomCutForestModel(d, trees, means, new Dictionary<string, double>());
    }
}
