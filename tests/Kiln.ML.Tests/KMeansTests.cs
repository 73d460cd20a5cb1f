using Kiln.ML.Data;
using Kiln.ML.Kernels;
using Kiln.ML.Trainers;

namespace Kiln.ML.Tests;

/// <summary>K-Means' shortcuts (bounds, skipped seeding rows, the panel kernels) against the plain computations they replace.</summary>
public sealed class KMeansTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(54)]
    [InlineData(1023)]
    public void PanelSquaredDistances_MatchScalarBitForBit(int d)
    {
        var rows = TestData.Gaussian(4, d, 1, scale: 30).Data.ToArray();
        var points = TestData.Gaussian(8, d, 2, scale: 30).Data.ToArray();
        var panel = PanelGemm.Pack(points, 8, d);
        var one = new float[8];
        var four = new float[32];
        var scalar = new float[8];
        KMeansKernels.PanelSquaredDistances4(rows.AsSpan(0, d), rows.AsSpan(d, d), rows.AsSpan(2 * d, d), rows.AsSpan(3 * d, d), panel, four);
        for (var r = 0; r < 4; r++)
        {
            KMeansKernels.PanelSquaredDistances(rows.AsSpan(r * d, d), panel, one);
            KMeansKernelsScalar.PanelSquaredDistances(rows.AsSpan(r * d, d), panel, scalar);
            Assert.Equal(scalar, one);
            Assert.Equal(scalar, four.AsSpan(r * 8, 8).ToArray());
            for (var j = 0; j < 8; j++)
            {
                var plain = BlasScalar.SquaredDistance(rows.AsSpan(r * d, d), points.AsSpan(j * d, d));
                Assert.Equal(plain, scalar[j], 1e-4f * Math.Max(1, plain));
            }
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(9)]
    [InlineData(54)]
    [InlineData(1023)]
    public void NarrowPanelSquaredDistances_MatchUnfusedScalarBitForBit(int d)
    {
        var rows = TestData.Gaussian(4, d, 3, scale: 30).Data.ToArray();
        var points = TestData.Gaussian(8, d, 4, scale: 30).Data.ToArray();
        var panel = PanelGemm.Pack(points, 8, d);
        var one = new float[8];
        var four = new float[32];
        var scalar = new float[8];
        KMeansNarrowKernels.PanelSquaredDistances4(rows.AsSpan(0, d), rows.AsSpan(d, d), rows.AsSpan(2 * d, d), rows.AsSpan(3 * d, d), panel, four);
        for (var r = 0; r < 4; r++)
        {
            KMeansNarrowKernels.PanelSquaredDistances(rows.AsSpan(r * d, d), panel, one);
            KMeansKernelsScalar.PanelSquaredDistancesUnfused(rows.AsSpan(r * d, d), panel, scalar);
            Assert.Equal(scalar, one);
            Assert.Equal(scalar, four.AsSpan(r * 8, 8).ToArray());
            for (var j = 0; j < 8; j++)
            {
                var plain = BlasScalar.SquaredDistance(rows.AsSpan(r * d, d), points.AsSpan(j * d, d));
                Assert.Equal(plain, scalar[j]);
            }
        }
    }

    [Theory]
    [InlineData(1, 1, 0, 1)]
    [InlineData(3, 1, 0, 3)]
    [InlineData(8, 8, 0, 8)]
    [InlineData(19, 7, 3, 18)]
    [InlineData(37, 9, 5, 37)]
    [InlineData(100, 0, 9, 60)]
    [InlineData(70, 54, 0, 0)]
    public void ColumnSquaredDistances_MatchUnfusedPanelBitForBit(int n, int d, int start, int end)
    {
        var x = TestData.Gaussian(n, d, 7, scale: 30).Data.ToArray();
        var point = TestData.Gaussian(1, d, 8, scale: 30).Data.ToArray();
        var columns = KMeansNarrowKernels.Columns(x, n, d);
        for (var i = 0; i < n; i++)
        {
            for (var p = 0; p < d; p++)
            {
                Assert.Equal(x[i * d + p], columns[p * n + i]);
            }
        }
        var distances = new float[end - start + 1];
        distances[^1] = -1;
        KMeansNarrowKernels.ColumnSquaredDistances(columns, n, start, end, point, distances);
        var lanes = new float[8];
        for (var i = start; i < end; i++)
        {
            KMeansKernelsScalar.PanelSquaredDistancesUnfused(x.AsSpan(i * d, d), PanelGemm.Pack(point, 1, d), lanes);
            Assert.Equal(lanes[0], distances[i - start]);
        }
        // Nothing written past the range.
        Assert.Equal(-1, distances[^1]);
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(2, 3, 1)]
    [InlineData(5, 8, 8)]
    [InlineData(7, 9, 13)]
    [InlineData(33, 54, 17)]
    public void NarrowMultiply_MatchesUnfusedScalarBitForBit(int m, int d, int n)
    {
        var a = TestData.Gaussian(m, d, 5, scale: 10).Data.ToArray();
        var b = TestData.Gaussian(n, d, 6, scale: 10).Data.ToArray();
        var panels = PanelGemm.Panels(n);
        var packed = PanelGemm.Pack(b, n, d);
        var narrow = new float[m * panels * 8];
        var scalar = new float[m * panels * 8];
        KMeansNarrowKernels.Multiply(a, m, d, packed, panels, narrow);
        KMeansKernelsScalar.MultiplyUnfused(a, m, d, packed, panels, scalar);
        Assert.Equal(scalar, narrow);
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                // Each product rounded, added in feature order: the plain dot product, bit for bit.
                Assert.Equal(BlasScalar.Dot(a.AsSpan(i * d, d), b.AsSpan(j * d, d)), narrow[i * panels * 8 + j]);
            }
        }
    }

    /// <summary>Rows on badly scaled axes, in blobs that overlap, with exact duplicates: near-ties the bounds must not settle wrongly.</summary>
    private static DenseMatrix AwkwardRows(int n, int d)
    {
        var x = TestData.Gaussian(n, d, 21);
        for (var i = 0; i < n; i++)
        {
            x[i, 0] = 3000 * x[i, 0] + 5000 * (i % 5);
            x[i, d - 1] = 0.01f * x[i, d - 1];
            if (i % 97 == 0 && i > 0)
            {
                x.Row(i - 1).CopyTo(x.Row(i));
            }
        }
        return x;
    }

    [Theory]
    [InlineData(1, 3000, false)]
    [InlineData(12, 3000, false)]
    [InlineData(12, 700, false)]
    [InlineData(1, 3000, true)]
    [InlineData(12, 3000, true)]
    [InlineData(12, 700, true)]
    public void MiniBatch_WithBounds_SameCentersAsNearestEveryEpoch(int k, int batchSize, bool narrow)
    {
        const int n = 3000, d = 9;
        var x = AwkwardRows(n, d);
        var start = x.Data[..(k * d)].ToArray();
        var plain = (float[])start.Clone();
        IEnumerable<KMeansBatch> Plain()
        {
            for (var s = 0; s < n; s += batchSize)
            {
                yield return new KMeansBatch(x.Slice(s, Math.Min(batchSize, n - s)), null);
            }
        }
        var bounded = (float[])start.Clone();
        for (var epoch = 1; epoch <= 12; epoch++)
        {
            var plainCounts = KMeansTrainer.MiniBatch(Plain, n, plain, k, 1, TestData.Context, narrow);
            Assert.Equal(plain, Epochs(x, start, k, batchSize, epoch, narrow, out var counts));
            Assert.Equal(plainCounts, counts);
        }
        // The in-memory path keeps its bounds across epochs, so one call of 12 epochs must land there too.
        KMeansTrainer.MiniBatch(x, bounded, k, batchSize, 12, new Random(1), TestData.Context, narrow);
        Assert.Equal(plain, bounded);
    }

    private static float[] Epochs(DenseMatrix x, float[] start, int k, int batchSize, int epochs, bool narrow, out float[] counts)
    {
        var centers = (float[])start.Clone();
        counts = KMeansTrainer.MiniBatch(x, centers, k, batchSize, epochs, new Random(1), TestData.Context, narrow);
        return centers;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LloydPasses_WithBounds_SameFixedPointAsNearest(bool narrow)
    {
        const int n = 2500, d = 6, k = 9;
        var x = AwkwardRows(n, d);
        var start = x.Data[..(k * d)].ToArray();
        var plain = KMeansTrainer.LloydPasses(() => [new KMeansBatch(x, null)], (float[])start.Clone(), k, d, 300, TestData.Context, narrow);
        var bounds = new KMeansBounds(x, 0, n, narrow);
        var bounded = KMeansTrainer.LloydPasses(() => [new KMeansBatch(x, bounds)], (float[])start.Clone(), k, d, 300, TestData.Context, narrow);
        Assert.Equal(plain.Centers, bounded.Centers);
        var assignment = new int[n];
        var distance = new float[n];
        KMeansModel.Nearest(x, bounded.Centers, k, assignment, distance, 2, narrow);
        Assert.Equal(assignment, bounds.Assignment);
        // The fixed point's SSD (from the cluster sums with bounds, from the distances without) is the final centers' SSD.
        var ssd = distance.Sum(v => (double)v);
        Assert.Equal(ssd, plain.Ssd!.Value, ssd * 1e-5);
        Assert.Equal(ssd, bounded.Ssd!.Value, ssd * 1e-5);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(9)]
    [InlineData(33)]
    public void HasMissing_FindsANaNAtEveryPosition(int length)
    {
        var values = Enumerable.Range(0, length).Select(i => i * 0.5f - 3).ToArray();
        Assert.False(KMeansModel.HasMissing(values));
        for (var at = 0; at < length; at++)
        {
            var copy = (float[])values.Clone();
            copy[at] = float.NaN;
            Assert.True(KMeansModel.HasMissing(copy), $"NaN at {at} of {length}");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ColumnMeans_SameAsColumnStats_AcrossBlocks(bool withMissing)
    {
        // More rows than one block of 4096, so block partial sums are added.
        const int n = 9000, d = 5;
        var x = AwkwardRows(n, d);
        if (withMissing)
        {
            for (var i = 0; i < n; i += 7)
            {
                x[i, i % d] = float.NaN;
            }
        }
        var (means, missing) = KMeansTrainer.ColumnMeans(x, TestData.Context);
        Assert.Equal(withMissing, missing);
        var expected = ColumnStats.Compute(x).Mean;
        for (var j = 0; j < d; j++)
        {
            Assert.Equal(expected[j], means[j], Math.Abs(expected[j]) * 1e-6f);
        }
    }

    [Theory]
    [InlineData("1")]
    [InlineData("2")]
    public void Train_TrainMetricFromFixedPoint_EqualsScoringTheRows(string factor)
    {
        const int n = 3000, d = 4;
        var x = AwkwardRows(n, d);
        x[5, 1] = float.NaN;
        var before = x.Data.ToArray();
        var model = (KMeansModel)new KMeansTrainer().Train(new Dataset(x, null, "t"), null,
            TestData.Hp(("k", "5"), ("init_method", "kmeans++"), ("epochs", "1"), ("extra_center_factor", factor),
                ("eval_metrics", "[\"msd\",\"ssd\"]")), TestData.Context);
        Assert.Equal(before, x.Data.ToArray());
        var (cluster, d2) = model.Assign(x, 2);
        var ssd = d2.Sum(v => (double)v);
        Assert.Equal(ssd, model.Metrics["train:ssd"], ssd * 1e-5);
        Assert.Equal(ssd / n, model.Metrics["train:msd"], ssd / n * 1e-5);
        // Every center is the mean of its rows (missing value filled), so one more Lloyd step would not move it.
        var means = KMeansTrainer.ColumnMeans(x, TestData.Context).Means;
        for (var c = 0; c < model.K; c++)
        {
            var members = Enumerable.Range(0, n).Where(i => cluster[i] == c).ToArray();
            Assert.NotEmpty(members);
            for (var j = 0; j < d; j++)
            {
                var mean = members.Average(i => (double)(float.IsNaN(x[i, j]) ? means[j] : x[i, j]));
                Assert.Equal(mean, model.Centers[c * d + j], Math.Max(1e-3, Math.Abs(mean) * 1e-5));
            }
        }
    }

    [Fact]
    public void KMeansPlusPlus_SkippingRows_SameCentersAsScoringEveryRow()
    {
        // One block of rows (under 2048), so the reference's row-order potentials are the seeding's own sums.
        const int n = 1900, d = 5, count = 40;
        var x = AwkwardRows(n, d);
        var weights = Enumerable.Range(0, n).Select(i => (float)(1 + i % 3)).ToArray();
        foreach (var w in new[] { null, weights })
        {
            foreach (var narrow in new[] { false, true })
            {
                var seeded = KMeansSeeding.KMeansPlusPlus(x, w, count, new Random(5), TestData.Context, narrow);
                Assert.Equal(GreedyKMeansPlusPlus(x, w, count, new Random(5), narrow), seeded);
            }
        }
    }

    /// <summary>Greedy k-means++ scoring every row against every candidate, with the seeding's sampling and distances.</summary>
    private static float[] GreedyKMeansPlusPlus(DenseMatrix x, float[]? weights, int count, Random rng, bool narrow)
    {
        var (n, d) = (x.Rows, x.Cols);
        var centers = new float[count * d];
        double Distance(int row, ReadOnlySpan<float> point)
        {
            var lanes = new float[8];
            if (narrow)
            {
                KMeansKernelsScalar.PanelSquaredDistancesUnfused(x.Row(row), PanelGemm.Pack(point, 1, d), lanes);
            }
            else
            {
                KMeansKernelsScalar.PanelSquaredDistances(x.Row(row), PanelGemm.Pack(point, 1, d), lanes);
            }
            return lanes[0];
        }
        int Draw(Func<int, double> weight)
        {
            var cumulative = new double[n];
            var total = 0.0;
            for (var i = 0; i < n; i++)
            {
                total += weight(i);
                cumulative[i] = total;
            }
            if (total <= 0)
            {
                return rng.Next(n);
            }
            var target = rng.NextDouble() * total;
            var pick = Array.FindIndex(cumulative, c => c > target);
            return pick < 0 ? n - 1 : pick;
        }
        var first = weights is null ? rng.Next(n) : Draw(i => weights[i]);
        x.Row(first).CopyTo(centers);
        var closest = Enumerable.Range(0, n).Select(i => Distance(i, x.Row(first))).ToArray();
        var trials = 2 + (int)Math.Log(count);
        for (var c = 1; c < count; c++)
        {
            var candidates = Enumerable.Range(0, trials).Select(_ => Draw(i => closest[i] * (weights?[i] ?? 1))).ToArray();
            double[]? bestNext = null;
            var bestPotential = double.PositiveInfinity;
            foreach (var candidate in candidates)
            {
                var next = Enumerable.Range(0, n).Select(i => Math.Min(closest[i], Distance(i, x.Row(candidate)))).ToArray();
                var potential = 0.0;
                for (var i = 0; i < n; i++)
                {
                    potential += next[i] * (weights?[i] ?? 1);
                }
                if (potential < bestPotential)
                {
                    (bestPotential, bestNext) = (potential, next);
                    x.Row(candidate).CopyTo(centers.AsSpan(c * d));
                }
            }
            closest = bestNext!;
        }
        return centers;
    }
}
