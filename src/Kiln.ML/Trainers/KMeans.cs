using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text.Json;
using Kiln.ML.Artifacts;
using Kiln.ML.Data;
using Kiln.ML.Kernels;
using Kiln.ML.Metrics;

namespace Kiln.ML.Trainers;

/// <summary>
/// SageMaker's K-Means (web-scale mini-batch k-means, Sculley 2010): K = k × extra_center_factor
/// centers are seeded (random rows or k-means++), moved by mini-batch updates for a number of
/// epochs, then reduced to k by a weighted local Lloyd run over the K centers. Each epoch restarts
/// the running counts, so with one batch per epoch every epoch is exactly one Lloyd iteration.
/// Missing values are replaced by the training mean of their column.
/// </summary>
public sealed class KMeansTrainer : IStreamingTrainer
{
    public const string Name = "kmeans";

    public string Algorithm => Name;

    private sealed record Settings(int K, int BatchSize, int Epochs, string Init, int Factor, int LloydIter, double LloydTol,
        string LloydInit, int LloydTrials, string[] Metrics);

    private static Settings Parse(Hyperparameters hp, int featureCount)
    {
        var k = hp.Int("k", null, 1);
        if (hp.IsSet("feature_dim") && hp.Int("feature_dim", null, 1) != featureCount)
        {
            throw new HyperparameterException("feature_dim", $"is {hp.Raw("feature_dim")} but the data has {featureCount} features");
        }
        var settings = new Settings(k,
            hp.Int("mini_batch_size", 5000, 1),
            hp.Int("epochs", 1, 1),
            hp.Choice("init_method", "random", "random", "kmeans++"),
            // auto over-seeds by O(log k), as k-means|| (Bahmani et al. 2012) and streaming k-means
            // (Ailon et al. 2009) do: the spare centers cover regions a single seeding would miss, and the
            // local Lloyd reduction then merges them.
            hp.Int("extra_center_factor", (int)Math.Ceiling(Math.Log2(Math.Max(1, k))) + 1, 1),
            hp.Int("local_lloyd_max_iter", 300, 1),
            hp.Float("local_lloyd_tol", 0.0001, 0, 1),
            hp.Choice("local_lloyd_init_method", "kmeans++", "random", "kmeans++"),
            // auto: 10 independent starts, scikit-learn's n_init for the same weighted problem.
            hp.Int("local_lloyd_num_trials", 10, 1),
            ParseEvalMetrics(hp.Raw("eval_metrics")));
        hp.Int("half_life_time_size", 0, 0);
        hp.Accept("feature_dim");
        hp.RejectUnknown(Name);
        return settings;
    }

    public IModel Train(Dataset train, Dataset? validation, Hyperparameters hp, TrainingContext context)
    {
        var s = Parse(hp, train.Features.Cols);
        var (means, missing) = ColumnMeans(train.Features, context);
        // Rows without a missing value are used as they are, not copied.
        var x = missing ? new ColumnStats { Mean = means, Scale = means }.Apply(train.Features, standardize: false, context) : train.Features;
        if (s.K > x.Rows)
        {
            throw new HyperparameterException("k", $"{s.K} is more than the {x.Rows} training rows");
        }
        var big = Math.Min(s.K * s.Factor, x.Rows);
        // One kernel family for the whole run, from the data size (see KMeansNarrowKernels).
        var narrow = KMeansNarrowKernels.Use(x.Rows, big, x.Cols);
        var rng = new Random(context.Seed);
        var centers = s.Init == "kmeans++" ? KMeansSeeding.KMeansPlusPlus(x, null, big, rng, context, narrow) : KMeansSeeding.RandomRows(x, big, rng);
        context.Progress($"{s.Init}: {big} centers seeded");
        var counts = MiniBatch(x, centers, big, s.BatchSize, s.Epochs, rng, context, narrow);
        // In memory a refinement pass costs little (bounds settle most rows without a distance), so it
        // runs to Lloyd's fixed point.
        KMeansBatch? whole = null;
        (centers, var trainSsd) = Reduce(s, x.Cols, centers, counts, big, () => One(whole ??= new KMeansBatch(x, new KMeansBounds(x, 0, x.Rows, narrow))),
            s.LloydIter, rng, context, narrow);
        var model = new KMeansModel(s.K, x.Cols, centers, means, new Dictionary<string, double>());
        var result = new Dictionary<string, double>();
        // At Lloyd's fixed point the last refinement pass assigned every row to its nearest final
        // center, so its SSD is the train metric and no further pass is needed.
        AddMetrics(result, "train", s.Metrics, trainSsd ?? ClusteringMetrics.Ssd(model.Assign(x, context.Threads).SquaredDistance), x.Rows);
        if (validation is not null)
        {
            var d2 = model.Assign(validation.Features, context.Threads).SquaredDistance;
            AddMetrics(result, "test", s.Metrics, ClusteringMetrics.Ssd(d2), d2.Length);
        }
        return model.WithMetrics(result);
    }

    /// <summary>
    /// K-Means out of core. A first pass gathers the column means (the missing-value fill) and a
    /// uniform reservoir sample of rows (Vitter's algorithm R) that the seeding runs on; the
    /// mini-batch epochs and the final Lloyd passes then read the file batch by batch, as
    /// SageMaker's web-scale k-means does. Memory: one batch, the sample and the centers.
    /// </summary>
    public IModel Train(BatchSource train, BatchSource? validation, Hyperparameters hp, TrainingContext context)
    {
        var d = train.FeatureCount;
        var s = Parse(hp, d);
        var rng = new Random(context.Seed);
        // Enough rows for the seeding to see every cluster of any size worth a center, and never
        // fewer than one mini-batch; far below the file size it stands for.
        var sampleRows = Math.Max(s.BatchSize, 64 * s.K * s.Factor);
        var sample = new DenseMatrix(sampleRows, d);
        var moments = new ColumnMoments(d);
        foreach (var batch in train.Batches(s.BatchSize))
        {
            for (var i = 0; i < batch.Rows; i++)
            {
                var seen = moments.Rows + i;
                var slot = seen < sampleRows ? seen : rng.NextInt64(seen + 1);
                if (slot < sampleRows)
                {
                    batch.Features.Row(i).CopyTo(sample.Row((int)slot));
                }
            }
            moments.Add(batch.Features);
        }
        var rows = moments.Rows;
        if (s.K > rows)
        {
            throw new HyperparameterException("k", $"{s.K} is more than the {rows} training rows");
        }
        var stats = new ColumnStats { Mean = moments.MeanAndScale().Mean, Scale = new float[d] };
        var seedRows = stats.Apply(new DenseMatrix(sample.Array, (int)Math.Min(rows, sampleRows), d), standardize: false, context);
        var big = (int)Math.Min(s.K * s.Factor, rows);
        var narrow = KMeansNarrowKernels.Use(rows, big, d);
        var centers = s.Init == "kmeans++" ? KMeansSeeding.KMeansPlusPlus(seedRows, null, big, rng, context, narrow) : KMeansSeeding.RandomRows(seedRows, big, rng);
        var filled = new DenseMatrix(s.BatchSize, d);
        IEnumerable<KMeansBatch> Pass()
        {
            foreach (var batch in train.Batches(s.BatchSize))
            {
                var view = new DenseMatrix(filled.Array, batch.Rows, d);
                for (var i = 0; i < batch.Rows; i++)
                {
                    stats.ApplyRow(batch.Features.Row(i), view.Row(i), standardize: false);
                }
                yield return new KMeansBatch(view, null);
            }
        }
        var counts = MiniBatch(Pass, rows, centers, big, s.Epochs, context, narrow);
        // Out of core each refinement pass re-reads the file: at most epochs of them, the passes the user paid for.
        (centers, _) = Reduce(s, d, centers, counts, big, Pass, s.Epochs, rng, context, narrow);
        var model = new KMeansModel(s.K, d, centers, stats.Mean, new Dictionary<string, double>());
        var result = new Dictionary<string, double>();
        foreach (var (channel, data) in new[] { ("train", train), ("test", validation) })
        {
            if (data is null)
            {
                continue;
            }
            var distances = new List<float>();
            foreach (var batch in data.Batches(s.BatchSize))
            {
                distances.AddRange(model.Assign(batch.Features, context.Threads).SquaredDistance);
            }
            AddMetrics(result, channel, s.Metrics, ClusteringMetrics.Ssd(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(distances)), distances.Count);
        }
        return model.WithMetrics(result);
    }

    /// <summary>One batch as a sequence: an iterator of this assembly, where a one-element array enumerated as
    /// IEnumerable ran SZArrayHelper's enumerator over KMeansBatch as tier-0 code (ReadyToRun holds no such instantiation).</summary>
    private static IEnumerable<KMeansBatch> One(KMeansBatch batch)
    {
        yield return batch;
    }

    /// <summary>
    /// Results as small types of this assembly, not value tuples: ReadyToRun holds no tuple instantiation
    /// with a double or double? field (its constructor was JIT-compiled at first call, one per shape).
    /// </summary>
    internal readonly record struct Refined(float[] Centers, double? Ssd);

    /// <inheritdoc cref="Refined"/>
    internal readonly record struct Weighted(float[] Centers, double Ssd);

    /// <inheritdoc cref="Refined"/>
    private readonly record struct ClusterSums(double[] Sums, double[] Mass, double Ssd);

    /// <summary>body(0) … body(count − 1): on <paramref name="threads"/> threads, or in order on the calling thread for one.</summary>
    internal static void For(int count, int threads, Action<int> body)
    {
        if (threads <= 1 || count <= 1)
        {
            for (var i = 0; i < count; i++)
            {
                body(i);
            }
            return;
        }
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = threads }, body);
    }

    private static void AddMetrics(Dictionary<string, double> result, string channel, string[] metrics, double ssd, long rows)
    {
        foreach (var metric in metrics)
        {
            result[$"{channel}:{metric}"] = metric == "msd" ? (rows == 0 ? double.NaN : ssd / rows) : ssd;
        }
    }

    /// <summary>
    /// Each column's mean over its non-missing values (the missing-value fill), and whether any value
    /// is missing. Blocks of rows are summed in parallel and added in block order, so the means do not
    /// depend on the thread count.
    /// </summary>
    internal static (float[] Means, bool Missing) ColumnMeans(DenseMatrix x, TrainingContext context)
    {
        const int Block = 4096;
        var d = x.Cols;
        var blocks = (x.Rows + Block - 1) / Block;
        var sums = new double[blocks][];
        var counts = new long[blocks][];
        For(blocks, context.Threads, block =>
        {
            var (sum, count) = (new double[d], new long[d]);
            var end = Math.Min(x.Rows, (block + 1) * Block);
            for (var i = block * Block; i < end; i++)
            {
                var row = x.Row(i);
                for (var j = 0; j < d; j++)
                {
                    var v = row[j];
                    if (!float.IsNaN(v))
                    {
                        sum[j] += v;
                        count[j]++;
                    }
                }
            }
            (sums[block], counts[block]) = (sum, count);
        });
        var means = new float[d];
        var missing = false;
        for (var j = 0; j < d; j++)
        {
            var (total, seen) = (0.0, 0L);
            for (var block = 0; block < blocks; block++)
            {
                total += sums[block][j];
                seen += counts[block][j];
            }
            means[j] = seen == 0 ? 0 : (float)(total / seen);
            missing |= seen < x.Rows;
        }
        return (means, missing);
    }

    /// <summary>
    /// From the K = k × extra_center_factor mini-batch centers to k: weighted local Lloyd runs over the
    /// K centers, the best of local_lloyd_num_trials kept (SageMaker's local reduction), then Kiln's
    /// refinement: Lloyd passes over the rows until no row changes cluster, at most
    /// <paramref name="refinePasses"/> of them. The SSD is the rows' at the fixed point (null if the cap stopped short of it).
    /// </summary>
    private static Refined Reduce(Settings s, int d, float[] centers, float[] counts, int big, Func<IEnumerable<KMeansBatch>> pass,
        int refinePasses, Random rng, TrainingContext context, bool narrow)
    {
        if (big <= s.K)
        {
            // extra_center_factor = 1: nothing to reduce, the mini-batch centers are refined as they are.
            return LloydPasses(pass, centers, s.K, d, refinePasses, context, narrow);
        }
        var points = new DenseMatrix(centers, big, d);
        var best = double.PositiveInfinity;
        float[]? kept = null;
        for (var trial = 0; trial < s.LloydTrials; trial++)
        {
            var start = s.LloydInit == "kmeans++" ? KMeansSeeding.KMeansPlusPlus(points, counts, s.K, rng, context, narrow) : KMeansSeeding.RandomRows(points, s.K, rng);
            var (found, ssd) = Lloyd(points, counts, start, s.K, s.LloydIter, s.LloydTol, context, narrow);
            if (ssd < best)
            {
                (best, kept) = (ssd, found);
            }
        }
        context.Progress($"local lloyd: {big} centers reduced to {s.K}, best weighted ssd {best:G6} of {s.LloydTrials} trials");
        // The reduction sees only the K weighted centers, so each reduced center is the mean of a union
        // of mini-batch cells, not of the rows nearest to it. Lloyd passes over the rows themselves fix
        // that. They stop at the fixed point (no center moves, so no row changed cluster), not on
        // local_lloyd_tol: Lloyd on raw, badly scaled features (california-housing) creeps along
        // plateaus where the loss falls by less than 1e-6 per pass before it drops again, and a loss-change
        // stop there left the train SSD 0.9 % above scikit-learn's (whose stop is a center shift of
        // 1e-4 of the mean feature variance, close to a fixed point).
        return LloydPasses(pass, kept!, s.K, d, refinePasses, context, narrow);
    }

    private static string[] ParseEvalMetrics(string? raw)
    {
        if (raw is null)
        {
            return ["msd"];
        }
        string[]? list;
        try
        {
            // SageMaker passes a JSON list, sometimes with its quotes escaped once more.
            list = JsonSerializer.Deserialize<string[]>(raw.Replace("\\\"", "\""));
        }
        catch (JsonException)
        {
            list = raw.Trim('[', ']').Split(',').Select(s => s.Trim().Trim('"', '\'')).ToArray();
        }
        if (list is null || list.Length == 0 || list.Any(m => m is not ("msd" or "ssd")))
        {
            throw new HyperparameterException("eval_metrics", $"'{raw}' is not a JSON list of \"msd\" and \"ssd\"");
        }
        return list.Distinct().ToArray();
    }

    /// <summary>Mini-batch epochs over rows in memory; see the overload over batches.</summary>
    internal static float[] MiniBatch(DenseMatrix x, float[] centers, int k, int batchSize, int epochs, Random rng, TrainingContext context, bool narrow)
    {
        var buffer = batchSize >= x.Rows ? null : new float[batchSize * x.Cols];
        // Each batch keeps its rows' bounds from one epoch to the next.
        var bounds = new KMeansBounds[(x.Rows + batchSize - 1) / batchSize];
        IEnumerable<KMeansBatch> Pass()
        {
            if (buffer is null)
            {
                // One batch is the whole matrix: no copy.
                yield return new KMeansBatch(x, bounds[0] ??= new KMeansBounds(x, 0, x.Rows, narrow));
                yield break;
            }
            for (var start = 0; start < x.Rows; start += batchSize)
            {
                var n = Math.Min(batchSize, x.Rows - start);
                x.Array.AsSpan(start * x.Cols, n * x.Cols).CopyTo(buffer);
                yield return new KMeansBatch(new DenseMatrix(buffer, n, x.Cols), bounds[start / batchSize] ??= new KMeansBounds(x, start, n, narrow));
            }
        }
        return MiniBatch(Pass, x.Rows, centers, k, epochs, context, narrow);
    }

    /// <summary>
    /// Mini-batch epochs, each one pass of <paramref name="pass"/> (<paramref name="rows"/> rows in all);
    /// updates <paramref name="centers"/> in place and returns each center's row count in the last epoch.
    /// </summary>
    internal static float[] MiniBatch(Func<IEnumerable<KMeansBatch>> pass, long rows, float[] centers, int k, int epochs, TrainingContext context,
        bool narrow)
    {
        var counts = new float[k];
        var start = new float[centers.Length];
        for (var epoch = 0; epoch < epochs; epoch++)
        {
            Array.Clear(counts);
            centers.CopyTo(start, 0);
            var ssd = 0.0;
            foreach (var batch in pass())
            {
                var d = batch.Rows.Cols;
                var (sums, batchCounts, batchSsd) = AssignAndSum(batch, centers, k, context, narrow);
                ssd += batchSsd;
                for (var c = 0; c < k; c++)
                {
                    if (batchCounts[c] == 0)
                    {
                        continue;
                    }
                    // Running mean: the center is the average of every row assigned to it this epoch.
                    var total = counts[c] + batchCounts[c];
                    for (var j = 0; j < d; j++)
                    {
                        centers[c * d + j] = (float)((counts[c] * centers[c * d + j] + sums[c * d + j]) / total);
                    }
                    counts[c] = (float)total;
                }
            }
            context.Progress($"epoch {epoch + 1}: train_msd={ssd / rows:G6}");
            // An epoch is a fixed function of the centers it starts from (the batches come in the same
            // order each pass), so one that ends where it started is repeated exactly by every later one.
            if (epoch + 1 < epochs && Same(centers, start))
            {
                context.Progress($"epochs {epoch + 2}-{epochs}: the centers are at a fixed point, the same as epoch {epoch + 1}");
                break;
            }
        }
        return counts;
    }

    /// <summary>
    /// Unweighted Lloyd iterations whose every assignment step is one pass of <paramref name="pass"/>,
    /// until an update leaves every center where it was (the rows are summed in the same order each
    /// pass, so the same assignment gives bit-identical means) or after <paramref name="maxIter"/> passes.
    /// At that fixed point the last pass assigned every row to its nearest final center, and its SSD
    /// is returned; after the cap the SSD is null (the last pass's centers are not the final ones).
    /// </summary>
    internal static Refined LloydPasses(Func<IEnumerable<KMeansBatch>> pass, float[] centers, int k, int d, int maxIter,
        TrainingContext context, bool narrow)
    {
        var previous = new float[centers.Length];
        var iter = 0;
        var ssd = 0.0;
        var fixedPoint = false;
        while (iter < maxIter)
        {
            var sums = new double[k * d];
            var mass = new double[k];
            ssd = 0.0;
            foreach (var batch in pass())
            {
                var (batchSums, batchMass, batchSsd) = AssignAndSum(batch, centers, k, context, narrow);
                TensorAdd(sums, batchSums);
                TensorAdd(mass, batchMass);
                ssd += batchSsd;
            }
            centers.CopyTo(previous, 0);
            MoveToMeans(centers, sums, mass, k, d);
            iter++;
            if (Same(centers, previous))
            {
                fixedPoint = true;
                break;
            }
        }
        context.Progress($"refinement: {iter} Lloyd passes over the rows, ssd before the last update {ssd:G6}");
        return new Refined(centers, fixedPoint ? ssd : null);
    }

    /// <summary>
    /// Assigns the batch's rows to their nearest centers (through its bounds when it has them, which
    /// give the same assignment) and returns each cluster's row sum and count, and the SSD of the assignment.
    /// </summary>
    private static ClusterSums AssignAndSum(KMeansBatch batch, float[] centers, int k, TrainingContext context, bool narrow)
    {
        var x = batch.Rows;
        if (batch.Bounds is null)
        {
            var assignment = new int[x.Rows];
            var distance = new float[x.Rows];
            KMeansModel.Nearest(x, centers, k, assignment, distance, context.Threads, narrow);
            var (sums, mass) = SumByCluster(x, null, assignment, k, context, narrow);
            var ssd = 0.0;
            foreach (var v in distance)
            {
                ssd += v;
            }
            return new ClusterSums(sums, mass, ssd);
        }
        batch.Bounds.Assign(centers, k, context.Threads);
        var (boundSums, boundMass) = SumByCluster(x, null, batch.Bounds.Assignment, k, context, narrow, batch.Bounds.Sums);
        // Σ‖x − c‖² = Σ‖x‖² − 2 Σ_c c·S_c + Σ_c n_c‖c‖², from the sums, as the bounds leave most
        // distances uncomputed.
        var d = x.Cols;
        var total = batch.Bounds.SelfTotal;
        for (var c = 0; c < k; c++)
        {
            for (var j = 0; j < d; j++)
            {
                double v = centers[c * d + j];
                total += v * (boundMass[c] * v - 2 * boundSums[c * d + j]);
            }
        }
        return new ClusterSums(boundSums, boundMass, Math.Max(0, total));
    }

    /// <summary>
    /// Per cluster, the (weighted) sum of its rows and its mass (row count or weight sum). Blocks of rows are summed in parallel into partial sums,
    /// added in block order, so the result does not depend on the thread count; rows are widened
    /// to double as they are added (<see cref="Blas.AxpyWidened"/>).
    /// </summary>
    internal static (double[] Sums, double[] Mass) SumByCluster(DenseMatrix x, float[]? weights, int[] assignment, int k,
        TrainingContext context, bool narrow, BlockSums? cache = null)
    {
        var d = x.Cols;
        var size = BlockSums.Rows(narrow);
        var blocks = (x.Rows + size - 1) / size;
        var partialSums = cache?.Sums ?? new double[blocks][];
        var partialMass = cache?.Mass ?? new double[blocks][];
        For(blocks, context.Threads, block =>
        {
            var (start, end) = (block * size, Math.Min(x.Rows, (block + 1) * size));
            if (cache is not null && partialSums[block] is not null
                && Same(assignment, cache.Assignment, start, end))
            {
                return;
            }
            (partialSums[block], partialMass[block]) = SumBlock(x, weights, assignment, start, end, k, narrow);
            if (cache is not null)
            {
                Array.Copy(assignment, start, cache.Assignment, start, end - start);
            }
        });
        var total = new double[k * d];
        var totalMass = new double[k];
        for (var block = 0; block < blocks; block++)
        {
            TensorAdd(total, partialSums[block]);
            TensorAdd(totalMass, partialMass[block]);
        }
        return (total, totalMass);
    }

    /// <summary>
    /// The per-block partial sums of the last <see cref="SumByCluster"/> over the same rows, kept with
    /// the assignment they were summed under: a block whose rows all kept their cluster (most blocks,
    /// once the centers settle) reuses its partial sums, which are the ones summing it again would give.
    /// </summary>
    internal sealed class BlockSums(int rows, bool narrow)
    {
        /// <summary>
        /// Rows per block: 128 for the narrow kernels' small inputs, where late Lloyd passes move a
        /// hundred rows or fewer, scattered, and a smaller block is more often left as it was
        /// (california-housing: blocks of 2048 rows were nearly all summed again each pass);
        /// 2048 otherwise, where the partial sums (k × features doubles a block) and their adding up stay small.
        /// </summary>
        public static int Rows(bool narrow) => narrow ? 128 : 2048;

        public double[][] Sums { get; } = new double[(rows + Rows(narrow) - 1) / Rows(narrow)][];

        public double[][] Mass { get; } = new double[(rows + Rows(narrow) - 1) / Rows(narrow)][];

        public int[] Assignment { get; } = new int[rows];
    }

    private static (double[] Sums, double[] Mass) SumBlock(DenseMatrix x, float[]? weights, int[] assignment, int start, int end, int k, bool narrow)
    {
        var d = x.Cols;
        var sums = new double[k * d];
        var mass = new double[k];
        if (narrow && weights is null)
        {
            // KMeansNarrowKernels.AxpyWidened's sums (each float widened, multiplied by the weight 1, added) as a loop
            // over the arrays: DenseMatrix.Row and the span arguments cost a call per row in ReadyToRun code.
            var data = x.Array;
            for (var i = start; i < end; i++)
            {
                var c = assignment[i];
                mass[c] += 1;
                var (into, from) = (c * d, i * d);
                for (var j = 0; j < d; j++)
                {
                    sums[into + j] += 1.0 * data[from + j];
                }
            }
            return (sums, mass);
        }
        for (var i = start; i < end; i++)
        {
            var w = weights?[i] ?? 1;
            var c = assignment[i];
            mass[c] += w;
            var into = new Span<double>(sums, c * d, d);
            if (narrow)
            {
                KMeansNarrowKernels.AxpyWidened(w, x.Row(i), into);
            }
            else
            {
                Blas.AxpyWidened(w, x.Row(i), into);
            }
        }
        return (sums, mass);
    }

    /// <summary>Whether two center sets are equal value for value (float.Equals, as SequenceEqual compares;
    /// a loop, since ReadyToRun holds no SequenceEqual over float).</summary>
    private static bool Same(float[] a, float[] b)
    {
        for (var j = 0; j < a.Length; j++)
        {
            if (!a[j].Equals(b[j]))
            {
                return false;
            }
        }
        return true;
    }

    private static bool Same(int[] a, int[] b, int start, int end)
    {
        for (var i = start; i < end; i++)
        {
            if (a[i] != b[i])
            {
                return false;
            }
        }
        return true;
    }

    private static void TensorAdd(double[] into, double[] values)
    {
        for (var j = 0; j < into.Length; j++)
        {
            into[j] += values[j];
        }
    }

    /// <summary>The Lloyd update: each center with members moves to their (weighted) mean; an
    /// empty one stays where it was. Mass is a row count (streamed passes) or a weight sum (weighted passes).</summary>
    private static void MoveToMeans(float[] centers, double[] sums, double[] mass, int k, int d)
    {
        for (var c = 0; c < k; c++)
        {
            var m = mass[c];
            if (m > 0)
            {
                for (var j = 0; j < d; j++)
                {
                    centers[c * d + j] = (float)(sums[c * d + j] / m);
                }
            }
        }
    }

    /// <summary>
    /// Weighted Lloyd iterations from <paramref name="centers"/> until the relative SSD change is below
    /// <paramref name="tol"/>; returns the centers and the weighted SSD of their final assignment.
    /// </summary>
    internal static Weighted Lloyd(DenseMatrix x, float[]? weights, float[] centers, int k, int maxIter, double tol, TrainingContext context,
        bool narrow)
    {
        var d = x.Cols;
        var assignment = new int[x.Rows];
        var distance = new float[x.Rows];
        var previous = double.PositiveInfinity;
        for (var iter = 0; iter < maxIter; iter++)
        {
            KMeansModel.Nearest(x, centers, k, assignment, distance, context.Threads, narrow);
            var (sums, mass) = SumByCluster(x, weights, assignment, k, context, narrow);
            var ssd = 0.0;
            for (var i = 0; i < x.Rows; i++)
            {
                ssd += (weights?[i] ?? 1) * distance[i];
            }
            MoveToMeans(centers, sums, mass, k, d);
            if (previous - ssd <= tol * previous)
            {
                break;
            }
            previous = ssd;
        }
        KMeansModel.Nearest(x, centers, k, assignment, distance, context.Threads, narrow);
        var final = 0.0;
        for (var i = 0; i < x.Rows; i++)
        {
            final += (weights?[i] ?? 1) * distance[i];
        }
        return new Weighted(centers, final);
    }
}

/// <summary>One mini-batch of rows and, for rows held in memory, the bounds that find their centers again each pass.</summary>
internal readonly record struct KMeansBatch(DenseMatrix Rows, KMeansBounds? Bounds);

/// <summary>
/// k cluster centers. Payload of model_algo-1, version 1:
///   i32 k, i32 features, floats centers (k × features), floats column means (missing-value fill).
/// </summary>
public sealed class KMeansModel : IModel
{
    private readonly float[] _centers;
    private readonly float[] _means;

    internal KMeansModel(int k, int features, float[] centers, float[] means, IReadOnlyDictionary<string, double> metrics)
    {
        K = k;
        Features = features;
        _centers = new float[k * features];
        Array.Copy(centers, _centers, k * features);
        _means = means;
        Metrics = metrics;
    }

    public string Algorithm => KMeansTrainer.Name;

    public IReadOnlyDictionary<string, double> Metrics { get; }

    public int K { get; }

    public int Features { get; }

    public ReadOnlySpan<float> Centers => _centers;

    internal KMeansModel WithMetrics(IReadOnlyDictionary<string, double> metrics) => new(K, Features, _centers, _means, metrics);

    /// <summary>Closest center and squared distance for each row (missing values filled with the training means).</summary>
    public (int[] Cluster, float[] SquaredDistance) Assign(DenseMatrix x, int threads)
    {
        if (x.Cols != Features)
        {
            throw new DataFormatException("input", 1, x.Cols, $"the model expects {Features} features, the input has {x.Cols}");
        }
        // Rows without a missing value are scored as they are, not copied.
        var filled = HasMissing(x.Data) ? new ColumnStats { Mean = _means, Scale = _means }.Apply(x, standardize: false) : x;
        var cluster = new int[x.Rows];
        var d2 = new float[x.Rows];
        // Small inputs on the calling thread: scoring a few thousand rows is well under a millisecond.
        var narrow = KMeansNarrowKernels.Use(x.Rows, K, Features);
        Nearest(filled, _centers, K, cluster, d2, narrow ? 1 : threads, narrow);
        return (cluster, d2);
    }

    /// <summary>Whether any value is NaN (missing). A plain loop: ReadyToRun compiled no code for the
    /// Vector128 one (its EqualsAll over float was JIT-compiled at first call), and this is a fraction of a millisecond.</summary>
    internal static bool HasMissing(ReadOnlySpan<float> values)
    {
        foreach (var v in values)
        {
            if (float.IsNaN(v))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>‖c‖² of center <paramref name="c"/>, with the narrow or the wide kernel.</summary>
    internal static float Norm2(float[] centers, int c, int d, bool narrow)
    {
        var center = new ReadOnlySpan<float>(centers, c * d, d);
        return narrow ? BlasScalar.Dot(center, center) : Blas.Dot(center, center);
    }

    /// <summary>Rows × every packed panel, with <see cref="KMeansNarrowKernels.Multiply"/> or <see cref="PanelGemm.Multiply"/>.</summary>
    internal static void Multiply(ReadOnlySpan<float> a, int m, int d, float[] packed, int panels, Span<float> dots, bool narrow)
    {
        if (narrow)
        {
            KMeansNarrowKernels.Multiply(a, m, d, packed, panels, dots);
        }
        else
        {
            PanelGemm.Multiply(a, m, d, packed, 0, panels, dots);
        }
    }

    /// <summary>
    /// Nearest center of every row, by blocks of rows in parallel. Distances come from
    /// ‖x‖² − 2x·c + ‖c‖² with the dot products from one <see cref="PanelGemm"/> product per block:
    /// the centers are packed 8 to a panel, so each feature of a row is one broadcast FMA into 8
    /// centers with no horizontal sums (K-Means data often has few features, where one dot product
    /// per row and center spent its time reducing vectors and in scalar tails). <paramref name="narrow"/>
    /// picks the kernels (<see cref="KMeansNarrowKernels"/>); <see cref="KMeansBounds"/> given the same
    /// choice ranks centers by the very same floats.
    /// </summary>
    internal static void Nearest(DenseMatrix x, float[] centers, int k, Span<int> assignment, Span<float> distance, int threads, bool narrow)
    {
        const int Block = 256;
        var d = x.Cols;
        var norms = new float[k];
        for (var c = 0; c < k; c++)
        {
            norms[c] = Norm2(centers, c, d, narrow);
        }
        var panels = PanelGemm.Panels(k);
        var packed = PanelGemm.Pack(new ReadOnlySpan<float>(centers, 0, k * d), k, d);
        var width = panels * PanelGemm.Width;
        var assign = new int[x.Rows];
        var dist = new float[x.Rows];
        KMeansTrainer.For((x.Rows + Block - 1) / Block, threads, block =>
        {
            var start = block * Block;
            var n = Math.Min(Block, x.Rows - start);
            var dots = new float[n * width];
            Multiply(x.Data.Slice(start * d, n * d), n, d, packed, panels, dots, narrow);
            for (var i = 0; i < n; i++)
            {
                var row = x.Row(start + i);
                var self = narrow ? BlasScalar.Dot(row, row) : Blas.Dot(row, row);
                var best = 0;
                var bestValue = float.PositiveInfinity;
                for (var c = 0; c < k; c++)
                {
                    var v = norms[c] - 2 * dots[i * width + c];
                    if (v < bestValue)
                    {
                        bestValue = v;
                        best = c;
                    }
                }
                assign[start + i] = best;
                dist[start + i] = Math.Max(0, self + bestValue);
            }
        });
        // Loops, not Array.CopyTo into a span (an instantiation ReadyToRun does not hold: tier-0 code).
        for (var i = 0; i < x.Rows; i++)
        {
            assignment[i] = assign[i];
            distance[i] = dist[i];
        }
    }

    /// <summary>
    /// SageMaker's K-Means response: {"predictions": [{"closest_cluster": c, "distance_to_cluster": d}]}
    /// and CSV "c,d"; the distance is Euclidean.
    /// </summary>
    public void WriteResponse(DenseMatrix features, string accept, TextWriter output, int threads)
    {
        var (cluster, d2) = Assign(features, threads);
        Responses.Write(output, accept, "predictions", features.Rows, threads,
            (w, i) =>
            {
                w.WriteStartObject();
                w.WriteNumber("closest_cluster", (float)cluster[i]);
                w.WriteNumber("distance_to_cluster", MathF.Sqrt(d2[i]));
                w.WriteEndObject();
            },
            2 * Responses.FloatBytes + 1,
            // UTF-8 straight into the response's buffer: the cluster as a float, as SageMaker writes it, then the distance.
            (i, text) =>
            {
                var at = Responses.Float(cluster[i], text);
                text[at++] = (byte)',';
                return at + Responses.Float(MathF.Sqrt(d2[i]), text[at..]);
            });
    }

    public void Save(string directory) => ModelFile.Write(directory, Algorithm, w =>
    {
        w.Write(K);
        w.Write(Features);
        w.WriteFloats(_centers);
        w.WriteFloats(_means);
    });

    internal static KMeansModel Read(BinaryReader r)
    {
        var k = r.ReadInt32();
        var d = r.ReadInt32();
        var centers = r.ReadFloats();
        var means = r.ReadFloats();
        if (centers.Length != k * d || means.Length != d)
        {
            throw new InvalidDataException("kmeans model arrays do not match its dimensions");
        }
        return new KMeansModel(k, d, centers, means, new Dictionary<string, double>());
    }
}
