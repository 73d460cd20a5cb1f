using Kiln.ML.Data;
using Kiln.ML.Kernels;

namespace Kiln.ML.Trainers;

/// <summary>K-Means' initial centers: random rows, or greedy k-means++ (init_method, local_lloyd_init_method).</summary>
internal static class KMeansSeeding
{
    private const int Block = 2048;

    public static float[] RandomRows(DenseMatrix x, int count, Random rng)
    {
        var rows = Enumerable.Range(0, x.Rows).ToArray();
        rng.Shuffle(rows);
        var centers = new float[count * x.Cols];
        for (var c = 0; c < count; c++)
        {
            x.Row(rows[c]).CopyTo(centers.AsSpan(c * x.Cols));
        }
        return centers;
    }

    /// <summary>k-means++ seeding (Arthur and Vassilvitskii 2007), optionally weighting each point.</summary>
    /// <remarks>
    /// Greedy k-means++ (Arthur and Vassilvitskii's variant, scikit-learn's default): each new center
    /// is the best of 2 + ⌊ln count⌋ candidates drawn with probability ∝ weight × D², the one that
    /// lowers the weighted potential most. All the candidates of a step are packed into panels of 8
    /// and scored in one pass over the rows (<see cref="KMeansKernels.PanelSquaredDistances"/>), and
    /// the pass keeps each row's new distance under every candidate, so the winner's distances need
    /// no further pass. Partial sums are per block of rows, added in block order, so the choice does
    /// not depend on the thread count.
    ///
    /// A row skips the pass when the triangle inequality shows that no candidate can come closer to
    /// it than its current center: with g the distance from the candidate to that center and D the
    /// row's distance to it, the candidate is at least g − √D away, so g ≥ 2√D settles it. The test
    /// carries the rounding error of a computed D (relative (d+2)·2⁻²⁴, doubled), so a skipped row's
    /// distances are exactly what scoring it would have kept: the seeding is the same with or
    /// without the skip, only faster once the centers cover the data.
    /// </remarks>
    /// <param name="narrow">Score with <see cref="KMeansNarrowKernels"/> (small inputs) rather than <see cref="KMeansKernels"/>.</param>
    public static float[] KMeansPlusPlus(DenseMatrix x, float[]? weights, int count, Random rng, TrainingContext context, bool narrow)
    {
        if (narrow)
        {
            return KMeansPlusPlusColumns(x, weights, count, rng, context);
        }
        var d = x.Cols;
        var n = x.Rows;
        var blocks = (n + Block - 1) / Block;
        var centers = new float[count * d];
        var closest = new double[n];
        var owner = new int[n];
        var cumulative = new double[n];
        if (weights is not null)
        {
            Cumulate(weights, null, cumulative);
        }
        var first = weights is null ? rng.Next(n) : Sample(cumulative, rng);
        x.Row(first).CopyTo(centers);
        var trials = 2 + (int)Math.Log(count);
        var panels = PanelGemm.Panels(trials);
        var packed = PanelGemm.Pack(x.Row(first), 1, d);
        KMeansTrainer.For(blocks, context.Threads, block => FirstDistances(x, packed, closest, block, narrow));
        // g² ≥ 4·D/(1 − γ) with γ the relative error of a computed squared distance; the extra
        // 1e-9 covers the double arithmetic of g itself.
        var gamma = 2.0 * (d + 2) / (1 << 24);
        var skipFactor = 4 / (1 - gamma) * (1 + 1e-9);
        var candidate = new int[trials];
        var rows = new float[trials * d];
        var threshold = new double[trials * count];
        var next = new double[n * trials];
        var skipped = new bool[n];
        var partial = new double[blocks * trials];
        for (var c = 1; c < count; c++)
        {
            Cumulate(closest, weights, cumulative);
            for (var t = 0; t < trials; t++)
            {
                candidate[t] = Sample(cumulative, rng);
                x.Row(candidate[t]).CopyTo(rows.AsSpan(t * d));
            }
            packed = PanelGemm.Pack(rows, trials, d);
            // A row whose center is o skips candidate t when its D ≤ threshold[t, o] = g²(t, o) / skipFactor.
            for (var t = 0; t < trials; t++)
            {
                for (var o = 0; o < c; o++)
                {
                    threshold[t * count + o] = BlasScalar.SquaredDistanceInDouble(rows.AsSpan(t * d, d), centers.AsSpan(o * d, d)) / skipFactor;
                }
            }
            Array.Clear(partial);
            var step = new Step(x, weights, closest, owner, packed, trials, threshold, count, next, skipped, partial, narrow);
            KMeansTrainer.For(blocks, context.Threads, block => ScoreBlock(step, block));
            var best = 0;
            var bestPotential = double.PositiveInfinity;
            for (var t = 0; t < trials; t++)
            {
                var potential = 0.0;
                for (var block = 0; block < blocks; block++)
                {
                    potential += partial[block * trials + t];
                }
                if (potential < bestPotential)
                {
                    (best, bestPotential) = (t, potential);
                }
            }
            Keep(closest, owner, next, skipped, trials, best, c);
            rows.AsSpan(best * d, d).CopyTo(centers.AsSpan(c * d));
        }
        return centers;
    }

    /// <summary>
    /// <see cref="KMeansPlusPlus"/> with the narrow kernels, over the rows laid out feature-major: every
    /// row is scored against every candidate by <see cref="KMeansNarrowKernels.ColumnSquaredDistances"/>,
    /// four rows a vector, with no skipping (the skip only ever spares rows whose distances would not
    /// change, so the draws, potentials and centers are the ones the row-major path computes).
    /// </summary>
    private static float[] KMeansPlusPlusColumns(DenseMatrix x, float[]? weights, int count, Random rng, TrainingContext context)
    {
        var d = x.Cols;
        var n = x.Rows;
        var blocks = (n + Block - 1) / Block;
        var centers = new float[count * d];
        var cumulative = new double[n];
        if (weights is not null)
        {
            Cumulate(weights, null, cumulative);
        }
        var first = weights is null ? rng.Next(n) : Sample(cumulative, rng);
        CopyRow(x, first, centers, 0);
        var columns = KMeansNarrowKernels.Columns(x.Data, n, d);
        var trials = 2 + (int)Math.Log(count);
        var distances = new float[trials * n];
        var closest = new double[n];
        KMeansTrainer.For(blocks, context.Threads, block =>
        {
            var (start, end) = (block * Block, Math.Min(n, (block + 1) * Block));
            KMeansNarrowKernels.ColumnSquaredDistances(columns, n, start, end, new ReadOnlySpan<float>(centers, 0, d),
                new Span<float>(distances, start, end - start));
            for (var i = start; i < end; i++)
            {
                closest[i] = distances[i];
            }
        });
        var rows = new float[trials * d];
        var partial = new double[blocks * trials];
        for (var c = 1; c < count; c++)
        {
            Cumulate(closest, weights, cumulative);
            for (var t = 0; t < trials; t++)
            {
                CopyRow(x, Sample(cumulative, rng), rows, t * d);
            }
            KMeansTrainer.For(blocks, context.Threads, block => ScoreColumns(columns, n, d, rows, trials, weights, closest, distances, partial, block));
            var best = 0;
            var bestPotential = double.PositiveInfinity;
            for (var t = 0; t < trials; t++)
            {
                var potential = 0.0;
                for (var block = 0; block < blocks; block++)
                {
                    potential += partial[block * trials + t];
                }
                if (potential < bestPotential)
                {
                    (best, bestPotential) = (t, potential);
                }
            }
            // Each row takes the chosen candidate when it is strictly closer than its current center.
            var own = best * n;
            for (var i = 0; i < n; i++)
            {
                double next = distances[own + i];
                if (next < closest[i])
                {
                    closest[i] = next;
                }
            }
            for (var j = 0; j < d; j++)
            {
                centers[c * d + j] = rows[best * d + j];
            }
        }
        return centers;
    }

    /// <summary>One block's distances to every candidate (distances[t·n + i]) and its weighted potential under each,
    /// Σᵢ min(D(i), d²(i, t)) × weight, added in row order as the row-major path adds them.</summary>
    private static void ScoreColumns(float[] columns, int n, int d, float[] rows, int trials, float[]? weights, double[] closest,
        float[] distances, double[] partial, int block)
    {
        var (start, end) = (block * Block, Math.Min(n, (block + 1) * Block));
        for (var t = 0; t < trials; t++)
        {
            KMeansNarrowKernels.ColumnSquaredDistances(columns, n, start, end, new ReadOnlySpan<float>(rows, t * d, d),
                new Span<float>(distances, t * n + start, end - start));
        }
        var at = block * trials;
        // Four trials (every count from 8 to 20) in locals: added through memory, each sum waited on a store each row.
        for (var t0 = 0; t0 < trials; t0 += 4)
        {
            var width = Math.Min(4, trials - t0);
            var (o0, o1, o2, o3) = (t0 * n, (t0 + Math.Min(1, width - 1)) * n, (t0 + Math.Min(2, width - 1)) * n, (t0 + Math.Min(3, width - 1)) * n);
            double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            for (var i = start; i < end; i++)
            {
                double w = weights?[i] ?? 1;
                var current = closest[i];
                s0 += Math.Min(current, distances[o0 + i]) * w;
                s1 += Math.Min(current, distances[o1 + i]) * w;
                s2 += Math.Min(current, distances[o2 + i]) * w;
                s3 += Math.Min(current, distances[o3 + i]) * w;
            }
            // Lanes past the last trial repeat it and are dropped.
            partial[at + t0] = s0;
            if (width > 1)
            {
                partial[at + t0 + 1] = s1;
            }
            if (width > 2)
            {
                partial[at + t0 + 2] = s2;
            }
            if (width > 3)
            {
                partial[at + t0 + 3] = s3;
            }
        }
    }

    /// <summary>into[at …] = row i of x (a loop: ReadyToRun holds no Span.CopyTo over float, which ran as tier-0 code).</summary>
    private static void CopyRow(DenseMatrix x, int i, float[] into, int at)
    {
        var source = x.Array;
        var d = x.Cols;
        for (var j = 0; j < d; j++)
        {
            into[at + j] = source[i * d + j];
        }
    }

    private static void FirstDistances(DenseMatrix x, float[] packed, double[] closest, int block, bool narrow)
    {
        Span<float> lanes = stackalloc float[PanelGemm.Width];
        var end = Math.Min(x.Rows, (block + 1) * Block);
        for (var i = block * Block; i < end; i++)
        {
            if (narrow)
            {
                KMeansNarrowKernels.PanelSquaredDistances(x.Row(i), packed, lanes);
            }
            else
            {
                KMeansKernels.PanelSquaredDistances(x.Row(i), packed, lanes);
            }
            closest[i] = lanes[0];
        }
    }

    /// <summary>The arrays one k-means++ step scores its candidates with.</summary>
    private sealed record Step(DenseMatrix X, float[]? Weights, double[] Closest, int[] Owner, float[] Packed, int Trials,
        double[] Threshold, int Count, double[] Next, bool[] Skipped, double[] Partial, bool Narrow);

    /// <summary>Scores one block of rows against every candidate: next[i, t] = min(D(i), d²(i, t)), and the
    /// block's weighted potential under each candidate.</summary>
    private static void ScoreBlock(Step step, int block)
    {
        var x = step.X;
        var trials = step.Trials;
        var end = Math.Min(x.Rows, (block + 1) * Block);
        var sums = new Span<double>(step.Partial, block * trials, trials);
        Span<int> scored = stackalloc int[4];
        Span<float> lanes = stackalloc float[4 * PanelGemm.Width];
        var count = 0;
        for (var i = block * Block; i < end; i++)
        {
            var current = step.Closest[i];
            var skip = true;
            for (var t = 0; t < trials && skip; t++)
            {
                skip = current <= step.Threshold[t * step.Count + step.Owner[i]];
            }
            step.Skipped[i] = skip;
            if (!skip)
            {
                scored[count++] = i;
                if (count == 4)
                {
                    ScoreRows(step, scored, lanes);
                    count = 0;
                }
            }
        }
        if (count > 0)
        {
            ScoreRows(step, scored[..count], lanes);
        }
        // The potentials add rows in row order, skipped or not, so they are the same sums as without the skip.
        for (var i = block * Block; i < end; i++)
        {
            var w = step.Weights?[i] ?? 1;
            if (step.Skipped[i])
            {
                var current = step.Closest[i] * w;
                for (var t = 0; t < trials; t++)
                {
                    sums[t] += current;
                }
            }
            else
            {
                // Indexing, not AsSpan: ReadyToRun holds no AsSpan<double>, which ran as tier-0 code, a call per row.
                var own = i * trials;
                for (var t = 0; t < trials; t++)
                {
                    sums[t] += step.Next[own + t] * w;
                }
            }
        }
    }

    /// <summary>next[i, t] = min(D(i), d²(i, t)) for up to 4 rows.</summary>
    private static void ScoreRows(Step step, ReadOnlySpan<int> rows, Span<float> lanes)
    {
        var x = step.X;
        var d = x.Cols;
        var trials = step.Trials;
        for (var panel = 0; panel < PanelGemm.Panels(trials); panel++)
        {
            var packed = new ReadOnlySpan<float>(step.Packed, panel * PanelGemm.Width * d, PanelGemm.Width * d);
            if (rows.Length == 4 && step.Narrow)
            {
                KMeansNarrowKernels.PanelSquaredDistances4(x.Row(rows[0]), x.Row(rows[1]), x.Row(rows[2]), x.Row(rows[3]), packed, lanes);
            }
            else if (rows.Length == 4)
            {
                KMeansKernels.PanelSquaredDistances4(x.Row(rows[0]), x.Row(rows[1]), x.Row(rows[2]), x.Row(rows[3]), packed, lanes);
            }
            else
            {
                for (var r = 0; r < rows.Length; r++)
                {
                    if (step.Narrow)
                    {
                        KMeansNarrowKernels.PanelSquaredDistances(x.Row(rows[r]), packed, lanes[(r * PanelGemm.Width)..]);
                    }
                    else
                    {
                        KMeansKernels.PanelSquaredDistances(x.Row(rows[r]), packed, lanes[(r * PanelGemm.Width)..]);
                    }
                }
            }
            for (var r = 0; r < rows.Length; r++)
            {
                var i = rows[r];
                for (var t = panel * PanelGemm.Width; t < Math.Min(trials, (panel + 1) * PanelGemm.Width); t++)
                {
                    step.Next[i * trials + t] = Math.Min(step.Closest[i], lanes[r * PanelGemm.Width + t - panel * PanelGemm.Width]);
                }
            }
        }
    }

    /// <summary>Each row takes the chosen candidate (center c) when it is strictly closer than its current center.</summary>
    private static void Keep(double[] closest, int[] owner, double[] next, bool[] skipped, int trials, int best, int c)
    {
        for (var i = 0; i < closest.Length; i++)
        {
            if (!skipped[i] && next[i * trials + best] < closest[i])
            {
                closest[i] = next[i * trials + best];
                owner[i] = c;
            }
        }
    }

    /// <summary>cumulative[i] = Σ_{j ≤ i} values[j] × (weights?[j] ?? 1).</summary>
    private static void Cumulate(ReadOnlySpan<double> values, float[]? weights, double[] cumulative)
    {
        var total = 0.0;
        for (var i = 0; i < values.Length; i++)
        {
            total += values[i] * (weights?[i] ?? 1);
            cumulative[i] = total;
        }
    }

    private static void Cumulate(float[] values, float[]? weights, double[] cumulative)
    {
        var total = 0.0;
        for (var i = 0; i < values.Length; i++)
        {
            total += values[i] * (double)(weights?[i] ?? 1);
            cumulative[i] = total;
        }
    }

    /// <summary>An index drawn with probability ∝ its weight, from the running totals of the weights
    /// (uniform when they are all zero): the first index whose running total passes a uniform target.</summary>
    private static int Sample(double[] cumulative, Random rng)
    {
        var total = cumulative[^1];
        if (total <= 0)
        {
            return rng.Next(cumulative.Length);
        }
        var target = rng.NextDouble() * total;
        var (lo, hi) = (0, cumulative.Length - 1);
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (cumulative[mid] > target)
            {
                hi = mid;
            }
            else
            {
                lo = mid + 1;
            }
        }
        return lo;
    }
}
