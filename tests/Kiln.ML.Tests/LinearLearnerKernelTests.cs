using Kiln.ML.Kernels;

namespace Kiln.ML.Tests;

/// <summary>Linear Learner's vectorized kernels against their scalar references, at row counts around the vector width.</summary>
public sealed class LinearLearnerKernelTests
{
    public static TheoryData<int> Lengths => [0, 1, 7, 8, 9, 15, 16, 17, 1023];

    public static TheoryData<LinearLoss> OneOutputLosses =>
        [LinearLoss.Squared, LinearLoss.Absolute, LinearLoss.Huber, LinearLoss.Logistic, LinearLoss.Hinge];

    private static float[] Random(int n, int seed, float scale = 1)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1) * scale).ToArray();
    }

    private static void Close(double expected, double actual, double tolerance) =>
        Assert.True(Math.Abs(expected - actual) <= tolerance * Math.Max(1, Math.Abs(expected)), $"expected {expected}, got {actual}");

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Forward_EqualsScalar_ForEveryTiling(int n)
    {
        // Both multiply then add in feature order, so they agree exactly, whichever tile an output row falls in.
        foreach (var (p, d) in new[] { (1, 1), (3, 8), (4, 3), (5, 11), (9, 54) })
        {
            var w = Random(p * d, 1);
            var bias = Random(p, 2);
            var xt = Random(d * n, 3, 4);
            var expected = new float[p * n];
            var actual = new float[p * n];
            LinearLearnerKernelsScalar.Forward(w, bias, p, d, xt, n, expected);
            LinearLearnerKernels.Forward(w, bias, p, d, xt, n, actual);
            Assert.Equal(expected, actual);
            // Output rows computed alone come out the same as within the tile.
            for (var q = 0; q < p; q++)
            {
                var alone = new float[n];
                LinearLearnerKernels.Forward(w.AsSpan(q * d, d), bias.AsSpan(q, 1), 1, d, xt, n, alone);
                Assert.Equal(actual.AsSpan(q * n, n).ToArray(), alone);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void WideKernels_MatchScalar(int n)
    {
        foreach (var (p, d) in new[] { (1, 1), (3, 8), (4, 3), (5, 11), (9, 54) })
        {
            var w = Random(p * d, 21);
            var bias = Random(p, 22);
            var xt = Random(d * n, 23, 4);
            var expected = new float[p * n];
            var actual = new float[p * n];
            LinearLearnerKernelsScalar.Forward(w, bias, p, d, xt, n, expected);
            LinearLearnerWideKernels.Forward(w, bias, p, d, xt, n, actual);
            for (var k = 0; k < expected.Length; k++)
            {
                Close(expected[k], actual[k], 1e-5 * d);
            }
            var g = Random(p * n, 24);
            var (gw1, gb1) = (Random(p * d, 25), Random(p, 26));
            var (gw2, gb2) = ((float[])gw1.Clone(), (float[])gb1.Clone());
            LinearLearnerKernelsScalar.AccumulateGradient(g, p, n, xt, d, gw1, gb1);
            LinearLearnerWideKernels.AccumulateGradient(g, p, n, xt, d, gw2, gb2);
            for (var k = 0; k < gw1.Length; k++)
            {
                Close(gw1[k], gw2[k], 1e-5 * Math.Max(1, n));
            }
            for (var q = 0; q < p; q++)
            {
                Close(gb1[q], gb2[q], 1e-5 * Math.Max(1, n));
            }
        }
    }

    [Fact]
    public void Forward_IsTheLinearModel()
    {
        // z = b + w·x for each row of a row-major matrix, computed here in double.
        const int p = 3, d = 5, n = 13;
        var w = Random(p * d, 4);
        var bias = Random(p, 5);
        var x = Random(n * d, 6);
        var xt = new float[d * n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < d; j++)
            {
                xt[j * n + i] = x[i * d + j];
            }
        }
        var z = new float[p * n];
        LinearLearnerKernels.Forward(w, bias, p, d, xt, n, z);
        for (var q = 0; q < p; q++)
        {
            for (var i = 0; i < n; i++)
            {
                var expected = (double)bias[q];
                for (var j = 0; j < d; j++)
                {
                    expected += (double)w[q * d + j] * x[i * d + j];
                }
                Close(expected, z[q * n + i], 1e-5);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void AccumulateGradient_MatchesScalar_AndAddsToWhatIsThere(int n)
    {
        foreach (var (p, d) in new[] { (1, 1), (4, 8), (5, 3), (7, 11) })
        {
            var g = Random(p * n, 7);
            var xt = Random(d * n, 8, 3);
            var gw1 = Random(p * d, 9);
            var gb1 = Random(p, 10);
            var (gw2, gb2) = ((float[])gw1.Clone(), (float[])gb1.Clone());
            LinearLearnerKernelsScalar.AccumulateGradient(g, p, n, xt, d, gw1, gb1);
            LinearLearnerKernels.AccumulateGradient(g, p, n, xt, d, gw2, gb2);
            for (var k = 0; k < gw1.Length; k++)
            {
                Close(gw1[k], gw2[k], 1e-5 * Math.Max(1, n));
            }
            for (var q = 0; q < p; q++)
            {
                Close(gb1[q], gb2[q], 1e-5 * Math.Max(1, n));
            }
        }
    }

    [Theory]
    [MemberData(nameof(OneOutputLosses))]
    public void LossGradient_MatchesScalar(LinearLoss loss)
    {
        foreach (var n in new[] { 0, 1, 7, 8, 9, 17, 1023 })
        {
            var z = Random(n, 11, 6);
            var y = loss is LinearLoss.Logistic or LinearLoss.Hinge
                ? Random(n, 12).Select(v => v > 0 ? 1f : 0f).ToArray()
                : Random(n, 12, 5);
            var g1 = new float[n];
            var g2 = new float[n];
            var l1 = LinearLearnerKernelsScalar.LossGradient(loss, z, y, g1, 2.5f, 1.5f);
            var l2 = LinearLearnerKernels.LossGradient(loss, z, y, g2, 2.5f, 1.5f);
            Close(l1, l2, 1e-5);
            for (var i = 0; i < n; i++)
            {
                Close(g1[i], g2[i], 1e-6);
            }
        }
    }

    [Fact]
    public void LossGradient_Logistic_IsTheWeightedLogLoss_FiniteForLargeMargins()
    {
        float[] z = [-90, -20, -3, -0.5f, 0, 0.25f, 2, 15, 90, 1, -1];
        float[] y = [0, 1, 1, 0, 1, 0, 1, 0, 1, 1, 0];
        var g = new float[z.Length];
        var total = LinearLearnerKernels.LossGradient(LinearLoss.Logistic, z, y, g, 3f, 0);
        double expectedTotal = 0;
        for (var i = 0; i < z.Length; i++)
        {
            var weight = y[i] == 1 ? 3.0 : 1.0;
            var p = 1 / (1 + Math.Exp(-(double)z[i]));
            Close(weight * (p - y[i]), g[i], 1e-6);
            // log(1 + e^z) − y·z, in double with log1p so it is exact at both ends.
            expectedTotal += weight * (Math.Max(z[i], 0) + Math.Log(1 + Math.Exp(-Math.Abs((double)z[i]))) - y[i] * z[i]);
        }
        Assert.True(double.IsFinite(total));
        Close(expectedTotal, total, 1e-5);
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void SoftmaxGradient_MatchesScalar_AndEachRowSumsToZero(int n)
    {
        const int classes = 7;
        var z = Random(classes * n, 13, 8);
        var y = Random(n, 14).Select(v => MathF.Floor((v + 1) / 2 * classes)).Select(v => Math.Min(v, classes - 1)).ToArray();
        var g1 = new float[classes * n];
        var g2 = new float[classes * n];
        var l1 = LinearLearnerKernelsScalar.SoftmaxGradient(z, classes, n, y, g1);
        var l2 = LinearLearnerKernels.SoftmaxGradient(z, classes, n, y, g2);
        Close(l1, l2, 1e-5);
        for (var i = 0; i < n; i++)
        {
            var sum = 0.0;
            for (var c = 0; c < classes; c++)
            {
                Close(g1[c * n + i], g2[c * n + i], 1e-6);
                sum += g2[c * n + i];
            }
            // Probabilities sum to one, and the label's lost one.
            Assert.True(Math.Abs(sum) < 1e-5, $"row {i}: {sum}");
            Assert.True(g2[(int)y[i] * n + i] <= 0);
        }
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Sigmoid_MatchesScalar(int n)
    {
        var z1 = Random(n, 15, 30);
        var z2 = (float[])z1.Clone();
        LinearLearnerKernelsScalar.Sigmoid(z1);
        LinearLearnerKernels.Sigmoid(z2);
        for (var i = 0; i < n; i++)
        {
            Close(z1[i], z2[i], 1e-6);
        }
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Optimizers_EqualScalar(int n)
    {
        // The same IEEE operations in the same order (no fused multiply-adds): equal to the bit.
        var gsum = Random(n, 16, 50);
        foreach (var optimizer in new[] { "adam", "sgd", "rmsprop", "l1" })
        {
            var (w1, m1, v1) = (Random(n, 17), Random(n, 18, 0.1f), Random(n, 19).Select(MathF.Abs).ToArray());
            var (w2, m2, v2) = ((float[])w1.Clone(), (float[])m1.Clone(), (float[])v1.Clone());
            switch (optimizer)
            {
                case "adam":
                    LinearLearnerKernelsScalar.Adam(w1, m1, v1, gsum, 1f / 40, 1e-3f, 0.01f, 0.9f, 0.999f, 0.271f, 0.00299f, 0);
                    LinearLearnerKernels.Adam(w2, m2, v2, gsum, 1f / 40, 1e-3f, 0.01f, 0.9f, 0.999f, 0.271f, 0.00299f);
                    break;
                case "sgd":
                    LinearLearnerKernelsScalar.Sgd(w1, m1, gsum, 1f / 40, 1e-3f, 0.1f, 0.5f, 0);
                    LinearLearnerKernels.Sgd(w2, m2, gsum, 1f / 40, 1e-3f, 0.1f, 0.5f);
                    break;
                case "rmsprop":
                    LinearLearnerKernelsScalar.RmsProp(w1, m1, v1, gsum, 1f / 40, 0, 0.01f, 0.3f, 0);
                    LinearLearnerKernels.RmsProp(w2, m2, v2, gsum, 1f / 40, 0, 0.01f, 0.3f);
                    break;
                default:
                    LinearLearnerKernelsScalar.SoftThreshold(w1, 0.3f, 0);
                    LinearLearnerKernels.SoftThreshold(w2, 0.3f);
                    Assert.All(w2, v => Assert.True(v == 0 || MathF.Abs(v) <= 0.7f));
                    break;
            }
            Assert.Equal(w1, w2);
            Assert.Equal(m1, m2);
            Assert.Equal(v1, v2);
        }
    }

    [Fact]
    public void Adam_FirstStep_MovesEachWeightByTheLearningRate()
    {
        // After one step m̂ = g and v̂ = g², so every weight moves by lr against the sign of its gradient.
        float[] w = [0.5f, -0.25f, 2f, 0f, 1f, 1f, 1f, 1f, -3f];
        float[] g = [4f, -2f, 0.5f, -8f, 1f, 2f, 3f, 4f, -1f];
        var expected = w.Zip(g, (wk, gk) => wk - 0.01f * MathF.Sign(gk)).ToArray();
        LinearLearnerKernels.Adam(w, new float[w.Length], new float[w.Length], g, 1, 0, 0.01f, 0.9f, 0.999f, 1 - 0.9f, 1 - 0.999f);
        for (var k = 0; k < w.Length; k++)
        {
            Close(expected[k], w[k], 1e-5);
        }
    }

    [Theory]
    [InlineData(0, 3)]
    [InlineData(1, 1)]
    [InlineData(3, 13)]
    [InlineData(4, 13)]
    [InlineData(9, 13)]
    [InlineData(17, 1)]
    [InlineData(33, 7)]
    [InlineData(21, 300)]
    public void Standardize_EqualsColumnStatsApply(int rows, int d)
    {
        var x = new Kiln.ML.Data.DenseMatrix(Random(rows * d, rows * 31 + d, scale: 1000), rows, d);
        for (var i = 0; i < rows; i++)
        {
            x[i, (i * 5) % d] = i % 3 == 0 ? float.NaN : x[i, (i * 5) % d] + 1e4f;
        }
        var mean = Random(d, 3, scale: 50);
        var scale = Random(d, 4).Select(v => Math.Abs(v) * 300 + 0.1f).ToArray();
        var stats = new Kiln.ML.Trainers.ColumnStats { Mean = mean, Scale = scale };
        var expected = stats.Apply(x, standardize: true);
        var actual = new float[rows * d];
        LinearLearnerKernels.Standardize(x.Data, d, mean, scale, actual);
        Assert.Equal(expected.Data.ToArray(), actual);
    }
}
