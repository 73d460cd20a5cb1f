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
    [InlineData(1, 3000)]
    [InlineData(12, 3000)]
    [InlineData(12, 700)]
    public void MiniBatch_WithBounds_SameCentersAsNearestEveryEpoch(int k, int batchSize)
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
            var plainCounts = KMeansTrainer.MiniBatch(Plain, n, plain, k, 1, TestData.Context);
            Assert.Equal(plain, Epochs(x, start, k, batchSize, epoch, out var counts));
            Assert.Equal(plainCounts, counts);
        }
        // The in-memory path keeps its bounds across epochs, so one call of 12 epochs must land there too.
        KMeansTrainer.MiniBatch(x, bounded, k, batchSize, 12, new Random(1), TestData.Context);
        Assert.Equal(plain, bounded);
    }

    private static float[] Epochs(DenseMatrix x, float[] start, int k, int batchSize, int epochs, out float[] counts)
    {
        var centers = (float[])start.Clone();
        counts = KMeansTrainer.MiniBatch(x, centers, k, batchSize, epochs, new Random(1), TestData.Context);
        return centers;
    }

    [Fact]
    public void LloydPasses_WithBounds_SameFixedPointAsNearest()
    {
        const int n = 2500, d = 6, k = 9;
        var x = AwkwardRows(n, d);
        var start = x.Data[..(k * d)].ToArray();
        var plain = KMeansTrainer.LloydPasses(() => [new KMeansBatch(x, null)], (float[])start.Clone(), k, d, 300, TestData.Context);
        var bounds = new KMeansBounds(x, 0, n);
        var bounded = KMeansTrainer.LloydPasses(() => [new KMeansBatch(x, bounds)], (float[])start.Clone(), k, d, 300, TestData.Context);
        Assert.Equal(plain, bounded);
        var assignment = new int[n];
        KMeansModel.Nearest(x, bounded, k, assignment, new float[n], 2);
        Assert.Equal(assignment, bounds.Assignment);
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
            var seeded = KMeansSeeding.KMeansPlusPlus(x, w, count, new Random(5), TestData.Context);
            Assert.Equal(GreedyKMeansPlusPlus(x, w, count, new Random(5)), seeded);
        }
    }

    /// <summary>Greedy k-means++ scoring every row against every candidate, with the seeding's sampling and distances.</summary>
    private static float[] GreedyKMeansPlusPlus(DenseMatrix x, float[]? weights, int count, Random rng)
    {
        var (n, d) = (x.Rows, x.Cols);
        var centers = new float[count * d];
        double Distance(int row, ReadOnlySpan<float> point)
        {
            var lanes = new float[8];
            KMeansKernelsScalar.PanelSquaredDistances(x.Row(row), PanelGemm.Pack(point, 1, d), lanes);
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
