namespace Kiln.ML.Metrics;

/// <summary>
/// <see cref="RegressionMetrics"/> accumulated batch by batch, so a trainer that streams its
/// evaluation rows keeps a few sums rather than every score and label. Each sum is the same
/// sequence of double additions, in row order, as the function over the whole arrays, so the results
/// are bit-identical. R² centres the labels on their mean, which the array function computes in a
/// first pass: here the caller passes it, the labels summed in row order (Σ (double)label, then ÷ n)
/// to stay identical.
/// </summary>
public sealed class RegressionSums(double labelMean)
{
    private double _squared;
    private double _absolute;
    private double _total;

    public long Count { get; private set; }

    public void Add(ReadOnlySpan<float> labels, ReadOnlySpan<float> predicted)
    {
        ClassificationMetrics.CheckLengths(labels.Length, predicted.Length);
        for (var i = 0; i < labels.Length; i++)
        {
            var d = (double)labels[i] - predicted[i];
            var t = labels[i] - labelMean;
            _squared += d * d;
            _absolute += Math.Abs(d);
            _total += t * t;
        }
        Count += labels.Length;
    }

    public double Mse => _squared / Count;

    public double Rmse => Math.Sqrt(Mse);

    public double Mae => _absolute / Count;

    public double R2 => _total == 0 ? (_squared == 0 ? 1 : 0) : 1 - _squared / _total;
}

/// <summary>
/// A confusion matrix accumulated batch by batch, with <see cref="ClassificationMetrics"/>'
/// definitions of the metrics read from it: counts are exact, so every metric equals the array
/// function's over the same rows. Labels and predictions are class indices 0..classes−1.
/// </summary>
public sealed class ConfusionCounts(int classes)
{
    private readonly long[] _counts = new long[classes * classes];

    public long Count { get; private set; }

    public void Add(ReadOnlySpan<float> labels, ReadOnlySpan<float> predicted)
    {
        ClassificationMetrics.CheckLengths(labels.Length, predicted.Length);
        for (var i = 0; i < labels.Length; i++)
        {
            _counts[(int)labels[i] * classes + (int)predicted[i]]++;
        }
        Count += labels.Length;
    }

    /// <summary>Adds one row.</summary>
    public void Add(int actual, int predicted)
    {
        _counts[actual * classes + predicted]++;
        Count++;
    }

    /// <summary>counts[actual, predicted].</summary>
    public long this[int actual, int predicted] => _counts[actual * classes + predicted];

    public double Accuracy
    {
        get
        {
            if (Count == 0)
            {
                return double.NaN;
            }
            long correct = 0;
            for (var c = 0; c < classes; c++)
            {
                correct += this[c, c];
            }
            return (double)correct / Count;
        }
    }

    public double Precision(int positive = 1)
    {
        var (tp, fp, _) = Counts(positive);
        return tp + fp == 0 ? 0 : (double)tp / (tp + fp);
    }

    public double Recall(int positive = 1)
    {
        var (tp, _, fn) = Counts(positive);
        return tp + fn == 0 ? 0 : (double)tp / (tp + fn);
    }

    public double F1(int positive = 1) => FBeta(1, positive);

    public double FBeta(double beta, int positive = 1)
    {
        var (tp, fp, fn) = Counts(positive);
        var b2 = beta * beta;
        var denominator = (1 + b2) * tp + b2 * fn + fp;
        return denominator == 0 ? 0 : (1 + b2) * tp / denominator;
    }

    /// <summary>Unweighted mean of the per-class F1, as <see cref="ClassificationMetrics.MacroF1"/>.</summary>
    public double MacroF1()
    {
        var sum = 0.0;
        for (var c = 0; c < classes; c++)
        {
            sum += F1(c);
        }
        return sum / classes;
    }

    private (long Tp, long Fp, long Fn) Counts(int positive)
    {
        long fp = 0, fn = 0;
        for (var c = 0; c < classes; c++)
        {
            if (c != positive)
            {
                fp += this[c, positive];
                fn += this[positive, c];
            }
        }
        return (this[positive, positive], fp, fn);
    }
}

/// <summary>
/// Binary and multiclass log loss accumulated batch by batch, the terms added in row order: over one
/// batch it is <see cref="ClassificationMetrics.LogLoss"/> and <see cref="ClassificationMetrics.MultiLogLoss"/>.
/// </summary>
public sealed class LogLossSum
{
    private double _sum;

    public long Count { get; private set; }

    /// <summary>Binary: <paramref name="probabilities"/> is P(label = 1) per row.</summary>
    public void AddBinary(ReadOnlySpan<float> labels, ReadOnlySpan<float> probabilities)
    {
        ClassificationMetrics.CheckLengths(labels.Length, probabilities.Length);
        for (var i = 0; i < labels.Length; i++)
        {
            var p = Math.Clamp(probabilities[i], 1e-15, 1 - 1e-15);
            _sum -= labels[i] == 1f ? Math.Log(p) : Math.Log(1 - p);
        }
        Count += labels.Length;
    }

    /// <summary>Multiclass: <paramref name="probabilities"/> is row-major (rows × classes).</summary>
    public void AddMulticlass(ReadOnlySpan<float> labels, ReadOnlySpan<float> probabilities, int classes)
    {
        ClassificationMetrics.CheckLengths(labels.Length * classes, probabilities.Length);
        for (var i = 0; i < labels.Length; i++)
        {
            var row = probabilities.Slice(i * classes, classes);
            var total = 0.0;
            foreach (var p in row)
            {
                total += p;
            }
            var pi = Math.Clamp(row[(int)labels[i]] / total, 1e-15, 1 - 1e-15);
            _sum -= Math.Log(pi);
        }
        Count += labels.Length;
    }

    public double Mean => _sum / Count;
}
