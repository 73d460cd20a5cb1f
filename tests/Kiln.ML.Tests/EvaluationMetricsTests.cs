using Kiln.ML.Data;
using Kiln.ML.Metrics;

namespace Kiln.ML.Tests;

/// <summary>
/// Specificity, F-beta, average precision, MAPE, silhouette and Davies-Bouldin against values worked
/// by hand (the working is in each comment); scikit-learn 1.2.1 gives the same numbers.
/// </summary>
public sealed class EvaluationMetricsTests
{
    [Fact]
    public void Specificity_IsTrueNegativeRate()
    {
        // negatives at rows 1, 2, 4, 5; row 1 predicted positive: TN = 3, FP = 1.
        Assert.Equal(0.75, ClassificationMetrics.Specificity([1, 0, 0, 1, 0, 0], [1, 1, 0, 0, 0, 0]), 12);
        Assert.Equal(0, ClassificationMetrics.Specificity([1, 1], [1, 0]));
    }

    [Fact]
    public void FBeta_WeighsRecallByBetaSquared()
    {
        // TP = 1, FN = 2, FP = 1: F_β = (1+β²)TP / ((1+β²)TP + β²FN + FP).
        float[] y = [1, 1, 1, 0, 0];
        float[] p = [1, 0, 0, 1, 0];
        Assert.Equal(5.0 / 14, ClassificationMetrics.FBeta(y, p, 2), 12);
        Assert.Equal(1.25 / 2.75, ClassificationMetrics.FBeta(y, p, 0.5), 12);
        Assert.Equal(0.4, ClassificationMetrics.F1(y, p), 12);
    }

    [Fact]
    public void AveragePrecision_IsTheStepSumOverDistinctScores()
    {
        // High to low: 0.8 (+) R=½ P=1; 0.4 (−) R unchanged; 0.35 (+) R=1 P=⅔: ½·1 + ½·⅔ = ⅚.
        Assert.Equal(5.0 / 6, ClassificationMetrics.AveragePrecision([0, 0, 1, 1], [0.1f, 0.4f, 0.35f, 0.8f]), 12);
        // The tie at 0.5 is one threshold: R=½ P=½, then 0.2: R=1 P=⅔: ¼ + ⅓ = 7/12.
        Assert.Equal(7.0 / 12, ClassificationMetrics.AveragePrecision([1, 0, 1, 0], [0.5f, 0.5f, 0.2f, 0.1f]), 12);
        Assert.True(double.IsNaN(ClassificationMetrics.AveragePrecision([0, 0], [0.1f, 0.2f])));
    }

    [Fact]
    public void Mape_IsAFraction_AndSurvivesZeroLabels()
    {
        // (0.5/1 + 0/2 + 1/4) / 3 = 0.25
        Assert.Equal(0.25, RegressionMetrics.Mape([1, 2, 4], [1.5f, 2, 3]), 12);
        // |0 − 1| / machine epsilon, as scikit-learn gives.
        Assert.Equal(4503599627370496.0, RegressionMetrics.Mape([0], [1]));
    }

    [Fact]
    public void Silhouette_MatchesHandComputation()
    {
        // x = 0, 1 | 4, 6: s(0) = (5−1)/5, s(1) = (4−1)/4, s(4) = (3.5−2)/3.5, s(6) = (5.5−2)/5.5.
        var x = DenseMatrix.FromRows([[0], [1], [4], [6]]);
        var expected = (0.8 + 0.75 + 1.5 / 3.5 + 3.5 / 5.5) / 4;
        Assert.Equal(expected, ClusteringMetrics.Silhouette(x, [0, 0, 1, 1]), 9);
        // A row alone in its cluster scores 0: (0.8 + 0.75 + 0) / 3.
        Assert.Equal(1.55 / 3, ClusteringMetrics.Silhouette(DenseMatrix.FromRows([[0], [1], [5]]), [0, 0, 1]), 9);
        var plane = DenseMatrix.FromRows([[0, 0], [1, 0], [0, 1], [5, 5], [6, 5], [5, 7], [10, 0]]);
        Assert.Equal(0.6851964092834919, ClusteringMetrics.Silhouette(plane, [0, 0, 0, 1, 1, 1, 2]), 9);
        Assert.Throws<ArgumentException>(() => ClusteringMetrics.Silhouette(x, [0, 0, 0, 0]));
    }

    [Fact]
    public void DaviesBouldin_MatchesHandComputation()
    {
        // Centroids 0.5 and 5, scatters 0.5 and 1: (0.5 + 1) / 4.5 for both clusters.
        Assert.Equal(1.0 / 3, ClusteringMetrics.DaviesBouldin(DenseMatrix.FromRows([[0], [1], [4], [6]]), [0, 0, 1, 1]), 9);
        // Centroids 1, 11, 32; scatters 1, 1, 2: worst ratios 2/10, 2/10, 3/21.
        var x = DenseMatrix.FromRows([[0], [2], [10], [12], [30], [34]]);
        Assert.Equal((0.2 + 0.2 + 3.0 / 21) / 3, ClusteringMetrics.DaviesBouldin(x, [0, 0, 1, 1, 2, 2]), 9);
        var plane = DenseMatrix.FromRows([[0, 0], [1, 0], [0, 1], [5, 5], [6, 5], [5, 7], [10, 0]]);
        Assert.Equal(0.1990903775737586, ClusteringMetrics.DaviesBouldin(plane, [0, 0, 0, 1, 1, 1, 2]), 9);
        // Every cluster a single point: no scatter, index 0 as scikit-learn returns.
        Assert.Equal(0, ClusteringMetrics.DaviesBouldin(DenseMatrix.FromRows([[0], [3]]), [0, 1]));
    }
}
