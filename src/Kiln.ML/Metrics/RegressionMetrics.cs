namespace Kiln.ML.Metrics;

/// <summary>Regression metrics with scikit-learn's definitions, summed in double.</summary>
public static class RegressionMetrics
{
    public static double Mse(ReadOnlySpan<float> labels, ReadOnlySpan<float> predicted)
    {
        ClassificationMetrics.CheckLengths(labels.Length, predicted.Length);
        var sum = 0.0;
        for (var i = 0; i < labels.Length; i++)
        {
            var d = (double)labels[i] - predicted[i];
            sum += d * d;
        }
        return sum / labels.Length;
    }

    public static double Rmse(ReadOnlySpan<float> labels, ReadOnlySpan<float> predicted) => Math.Sqrt(Mse(labels, predicted));

    public static double Mae(ReadOnlySpan<float> labels, ReadOnlySpan<float> predicted)
    {
        ClassificationMetrics.CheckLengths(labels.Length, predicted.Length);
        var sum = 0.0;
        for (var i = 0; i < labels.Length; i++)
        {
            sum += Math.Abs((double)labels[i] - predicted[i]);
        }
        return sum / labels.Length;
    }

    // numpy's finfo(float64).eps; .NET's double.Epsilon is the smallest subnormal, a different number.
    private const double MachineEpsilon = 2.220446049250313e-16;

    /// <summary>
    /// Mean absolute percentage error as scikit-learn defines it: mean of |y − ŷ| / max(|y|, ε) with ε
    /// the double machine epsilon, as a fraction (0.1 is 10%), so a zero label gives a huge term
    /// rather than a division by zero.
    /// </summary>
    public static double Mape(ReadOnlySpan<float> labels, ReadOnlySpan<float> predicted)
    {
        ClassificationMetrics.CheckLengths(labels.Length, predicted.Length);
        var sum = 0.0;
        for (var i = 0; i < labels.Length; i++)
        {
            sum += Math.Abs((double)labels[i] - predicted[i]) / Math.Max(Math.Abs((double)labels[i]), MachineEpsilon);
        }
        return sum / labels.Length;
    }

    /// <summary>1 − SS_res / SS_tot; 1 for a perfect fit, 0 for predicting the mean.</summary>
    public static double R2(ReadOnlySpan<float> labels, ReadOnlySpan<float> predicted)
    {
        ClassificationMetrics.CheckLengths(labels.Length, predicted.Length);
        var mean = 0.0;
        foreach (var y in labels)
        {
            mean += y;
        }
        mean /= labels.Length;
        double res = 0, tot = 0;
        for (var i = 0; i < labels.Length; i++)
        {
            var r = (double)labels[i] - predicted[i];
            var t = labels[i] - mean;
            res += r * r;
            tot += t * t;
        }
        return tot == 0 ? (res == 0 ? 1 : 0) : 1 - res / tot;
    }
}
