using Kiln.ML.Metrics;

namespace Kiln.ML.Tests;

/// <summary>The batch-by-batch metric sums equal the array functions over all the rows, bit for bit.</summary>
public sealed class MetricSumsTests
{
    /// <summary>Cuts 0..n into consecutive batches of random sizes (empty ones included).</summary>
    private static List<(int Start, int Length)> Batches(int n, int seed)
    {
        var rng = new Random(seed);
        var batches = new List<(int, int)>();
        for (var start = 0; start < n;)
        {
            var length = Math.Min(n - start, rng.Next(0, 300));
            batches.Add((start, length));
            start += length;
        }
        return batches;
    }

    [Theory]
    [InlineData(1f, 0f)]
    [InlineData(1e5f, 2e5f)]
    public void RegressionSums_EqualTheArrayMetrics(float scale, float offset)
    {
        // Labels far from zero (california-housing's are 1.5e4..5e5) make R²'s centring matter.
        var rng = new Random(7);
        var n = 5003;
        var labels = new float[n];
        var predicted = new float[n];
        for (var i = 0; i < n; i++)
        {
            labels[i] = offset + scale * (float)rng.NextDouble();
            predicted[i] = labels[i] + scale * 0.3f * (float)(rng.NextDouble() - 0.5);
        }
        var mean = 0.0;
        foreach (var v in labels)
        {
            mean += v;
        }
        var sums = new RegressionSums(mean / n);
        foreach (var (start, length) in Batches(n, 3))
        {
            sums.Add(labels.AsSpan(start, length), predicted.AsSpan(start, length));
        }
        Assert.Equal(n, sums.Count);
        Assert.Equal(RegressionMetrics.Mse(labels, predicted), sums.Mse);
        Assert.Equal(RegressionMetrics.Rmse(labels, predicted), sums.Rmse);
        Assert.Equal(RegressionMetrics.Mae(labels, predicted), sums.Mae);
        Assert.Equal(RegressionMetrics.R2(labels, predicted), sums.R2);
        Assert.True(sums.R2 is > 0.5 and < 1);
    }

    [Fact]
    public void RegressionSums_ConstantLabels_AsTheArrayFunction()
    {
        float[] labels = [3, 3, 3];
        var exact = new RegressionSums(3);
        exact.Add(labels, labels);
        Assert.Equal(RegressionMetrics.R2(labels, labels), exact.R2);
        var off = new RegressionSums(3);
        off.Add(labels, [3, 4, 3]);
        Assert.Equal(RegressionMetrics.R2(labels, [3, 4, 3]), off.R2);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(7)]
    public void ConfusionCounts_EqualTheArrayMetrics(int classes)
    {
        var rng = new Random(classes);
        var n = 4001;
        var labels = new float[n];
        var predicted = new float[n];
        for (var i = 0; i < n; i++)
        {
            labels[i] = rng.Next(classes);
            // Right about half the time; the last class is predicted only when right.
            predicted[i] = rng.Next(2) == 0 ? labels[i] : rng.Next(classes - 1);
        }
        var counts = new ConfusionCounts(classes);
        var batches = Batches(n, 5);
        for (var b = 0; b < batches.Count; b++)
        {
            var (start, length) = batches[b];
            if (b % 2 == 0)
            {
                counts.Add(labels.AsSpan(start, length), predicted.AsSpan(start, length));
                continue;
            }
            for (var i = start; i < start + length; i++)
            {
                counts.Add((int)labels[i], (int)predicted[i]);
            }
        }
        Assert.Equal(n, counts.Count);
        Assert.Equal(ClassificationMetrics.Accuracy(labels, predicted), counts.Accuracy);
        Assert.Equal(ClassificationMetrics.MacroF1(labels, predicted, classes), counts.MacroF1());
        var matrix = ClassificationMetrics.ConfusionMatrix(labels, predicted, classes);
        for (var c = 0; c < classes; c++)
        {
            Assert.Equal(ClassificationMetrics.Precision(labels, predicted, c), counts.Precision(c));
            Assert.Equal(ClassificationMetrics.Recall(labels, predicted, c), counts.Recall(c));
            Assert.Equal(ClassificationMetrics.F1(labels, predicted, c), counts.F1(c));
            Assert.Equal(ClassificationMetrics.FBeta(labels, predicted, 0.5, c), counts.FBeta(0.5, c));
            for (var p = 0; p < classes; p++)
            {
                Assert.Equal(matrix[c, p], counts[c, p]);
            }
        }
    }

    [Fact]
    public void ConfusionCounts_Empty_AsTheArrayFunctions()
    {
        var counts = new ConfusionCounts(2);
        Assert.True(double.IsNaN(counts.Accuracy));
        Assert.Equal(0, counts.Precision());
        Assert.Equal(0, counts.F1());
    }

    [Fact]
    public void LogLossSum_EqualsTheArrayFunctions()
    {
        var rng = new Random(11);
        var n = 3001;
        var classes = 5;
        var labels = new float[n];
        var binary = new float[n];
        var probabilities = new float[n * classes];
        for (var i = 0; i < n; i++)
        {
            labels[i] = rng.Next(classes);
            // Some exact 0 and 1 probabilities, which the clipping must handle as the array function does.
            binary[i] = i % 97 == 0 ? 1f : i % 89 == 0 ? 0f : (float)rng.NextDouble();
            for (var c = 0; c < classes; c++)
            {
                probabilities[i * classes + c] = (float)rng.NextDouble();
            }
        }
        var binaryLabels = labels.Select(v => v == 1f ? 1f : 0f).ToArray();
        var (single, multi) = (new LogLossSum(), new LogLossSum());
        foreach (var (start, length) in Batches(n, 9))
        {
            single.AddBinary(binaryLabels.AsSpan(start, length), binary.AsSpan(start, length));
            multi.AddMulticlass(labels.AsSpan(start, length), probabilities.AsSpan(start * classes, length * classes), classes);
        }
        Assert.Equal(ClassificationMetrics.LogLoss(binaryLabels, binary), single.Mean);
        Assert.Equal(ClassificationMetrics.MultiLogLoss(labels, probabilities, classes), multi.Mean);
        Assert.Equal(n, multi.Count);
    }
}
