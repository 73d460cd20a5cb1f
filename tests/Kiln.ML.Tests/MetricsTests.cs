using Kiln.ML.Metrics;

namespace Kiln.ML.Tests;

/// <summary>Each metric against values worked out by hand.</summary>
public sealed class MetricsTests
{
    // labels   1 1 1 0 0 0 0 1
    // predicted1 0 1 0 1 0 0 1  → TP=3, FN=1, FP=1, TN=3
    private static readonly float[] Labels = [1, 1, 1, 0, 0, 0, 0, 1];
    private static readonly float[] Predicted = [1, 0, 1, 0, 1, 0, 0, 1];

    [Fact]
    public void Accuracy_Counts() => Assert.Equal(6.0 / 8, ClassificationMetrics.Accuracy(Labels, Predicted));

    [Fact]
    public void PrecisionRecallF1_FromCounts()
    {
        Assert.Equal(0.75, ClassificationMetrics.Precision(Labels, Predicted));
        Assert.Equal(0.75, ClassificationMetrics.Recall(Labels, Predicted));
        Assert.Equal(0.75, ClassificationMetrics.F1(Labels, Predicted));
        // F2 = 5·TP / (5·TP + 4·FN + FP) = 15 / 20
        Assert.Equal(0.75, ClassificationMetrics.FBeta(Labels, Predicted, 2), 12);
    }

    [Fact]
    public void ConfusionMatrix_RowsAreActual()
    {
        var m = ClassificationMetrics.ConfusionMatrix(Labels, Predicted, 2);
        Assert.Equal(new long[,] { { 3, 1 }, { 1, 3 } }, m);
    }

    [Fact]
    public void RocAuc_WithTies()
    {
        // positives scored 0.9, 0.5; negatives 0.5, 0.1: pairs (0.9>0.5)=1, (0.9>0.1)=1, (0.5=0.5)=0.5, (0.5>0.1)=1 → 3.5/4
        Assert.Equal(0.875, ClassificationMetrics.RocAuc([1, 1, 0, 0], [0.9f, 0.5f, 0.5f, 0.1f]), 12);
        Assert.Equal(1.0, ClassificationMetrics.RocAuc([0, 1], [0.2f, 0.8f]));
    }

    [Fact]
    public void LogLoss_MeanNegativeLogLikelihood()
    {
        var expected = -(Math.Log(0.8f) + Math.Log(1 - (double)0.4f)) / 2;
        Assert.Equal(expected, ClassificationMetrics.LogLoss([1, 0], [0.8f, 0.4f]), 9);
        // three classes: p(true) = 0.7 and 0.5
        Assert.Equal(-(Math.Log(0.7f) + Math.Log(0.5f)) / 2,
            ClassificationMetrics.MultiLogLoss([0, 2], [0.7f, 0.2f, 0.1f, 0.25f, 0.25f, 0.5f], 3), 6);
    }

    [Fact]
    public void Regression_HandComputed()
    {
        float[] y = [3, -0.5f, 2, 7];
        float[] p = [2.5f, 0, 2, 8];
        // errors 0.5, -0.5, 0, -1 → MSE 1.5/4, MAE 2/4; mean y = 2.875, SS_tot = 29.1875
        Assert.Equal(0.375, RegressionMetrics.Mse(y, p), 12);
        Assert.Equal(Math.Sqrt(0.375), RegressionMetrics.Rmse(y, p), 12);
        Assert.Equal(0.5, RegressionMetrics.Mae(y, p), 12);
        Assert.Equal(1 - 1.5 / 29.1875, RegressionMetrics.R2(y, p), 12);
    }

    [Fact]
    public void Clustering_MsdAndSsd()
    {
        float[] d2 = [1, 4, 0, 3];
        Assert.Equal(8, ClusteringMetrics.Ssd(d2));
        Assert.Equal(2, ClusteringMetrics.Msd(d2));
    }
}
