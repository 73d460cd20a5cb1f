namespace Kiln.ML.Metrics;

/// <summary>
/// Classification metrics with scikit-learn's definitions (so Kiln's numbers compare with the
/// reference results): labels are class indices stored as floats, scores are probabilities.
/// Sums run in double so a million rows lose no precision.
/// </summary>
public static class ClassificationMetrics
{
    public static double Accuracy(ReadOnlySpan<float> labels, ReadOnlySpan<float> predicted)
    {
        CheckLengths(labels.Length, predicted.Length);
        if (labels.IsEmpty)
        {
            return double.NaN;
        }
        var correct = 0;
        for (var i = 0; i < labels.Length; i++)
        {
            correct += labels[i] == predicted[i] ? 1 : 0;
        }
        return (double)correct / labels.Length;
    }

    /// <summary>counts[actual, predicted] for classes 0..classes−1.</summary>
    public static long[,] ConfusionMatrix(ReadOnlySpan<float> labels, ReadOnlySpan<float> predicted, int classes)
    {
        CheckLengths(labels.Length, predicted.Length);
        var m = new long[classes, classes];
        for (var i = 0; i < labels.Length; i++)
        {
            m[(int)labels[i], (int)predicted[i]]++;
        }
        return m;
    }

    /// <summary>Precision of class <paramref name="positive"/>; 0 when nothing was predicted positive (sklearn's zero_division=0).</summary>
    public static double Precision(ReadOnlySpan<float> labels, ReadOnlySpan<float> predicted, float positive = 1f)
    {
        var (tp, fp, _) = Counts(labels, predicted, positive);
        return tp + fp == 0 ? 0 : (double)tp / (tp + fp);
    }

    public static double Recall(ReadOnlySpan<float> labels, ReadOnlySpan<float> predicted, float positive = 1f)
    {
        var (tp, _, fn) = Counts(labels, predicted, positive);
        return tp + fn == 0 ? 0 : (double)tp / (tp + fn);
    }

    /// <summary>True negative rate of class <paramref name="positive"/>: TN / (TN + FP); 0 when there are no negatives.</summary>
    public static double Specificity(ReadOnlySpan<float> labels, ReadOnlySpan<float> predicted, float positive = 1f)
    {
        var (tp, fp, fn) = Counts(labels, predicted, positive);
        var tn = labels.Length - tp - fp - fn;
        return tn + fp == 0 ? 0 : (double)tn / (tn + fp);
    }

    public static double F1(ReadOnlySpan<float> labels, ReadOnlySpan<float> predicted, float positive = 1f) =>
        FBeta(labels, predicted, 1, positive);

    public static double FBeta(ReadOnlySpan<float> labels, ReadOnlySpan<float> predicted, double beta, float positive = 1f)
    {
        var (tp, fp, fn) = Counts(labels, predicted, positive);
        var b2 = beta * beta;
        var denominator = (1 + b2) * tp + b2 * fn + fp;
        return denominator == 0 ? 0 : (1 + b2) * tp / denominator;
    }

    /// <summary>Unweighted mean of the per-class F1 over classes 0..classes−1.</summary>
    public static double MacroF1(ReadOnlySpan<float> labels, ReadOnlySpan<float> predicted, int classes)
    {
        var sum = 0.0;
        for (var c = 0; c < classes; c++)
        {
            sum += F1(labels, predicted, c);
        }
        return sum / classes;
    }

    /// <summary>
    /// Area under the ROC curve for binary labels (1 = positive), by the rank-sum (Mann-Whitney)
    /// formula with tied scores sharing their average rank, which equals the trapezoidal area.
    /// </summary>
    public static double RocAuc(ReadOnlySpan<float> labels, ReadOnlySpan<float> scores)
    {
        CheckLengths(labels.Length, scores.Length);
        var n = labels.Length;
        var order = new int[n];
        for (var i = 0; i < n; i++)
        {
            order[i] = i;
        }
        var s = scores.ToArray();
        Array.Sort(s, order);
        double positives = 0, rankSum = 0;
        var start = 0;
        while (start < n)
        {
            var end = start;
            while (end + 1 < n && s[end + 1] == s[start])
            {
                end++;
            }
            var averageRank = (start + end) / 2.0 + 1;
            for (var j = start; j <= end; j++)
            {
                if (labels[order[j]] == 1f)
                {
                    positives++;
                    rankSum += averageRank;
                }
            }
            start = end + 1;
        }
        var negatives = n - positives;
        if (positives == 0 || negatives == 0)
        {
            return double.NaN;
        }
        return (rankSum - positives * (positives + 1) / 2) / (positives * negatives);
    }

    /// <summary>
    /// Area under the precision-recall curve as average precision, scikit-learn's
    /// <c>average_precision_score</c>: Σₙ (Rₙ − Rₙ₋₁) Pₙ over the thresholds at each distinct score,
    /// high to low — a step function, not the trapezoids that overestimate it. NaN without positives.
    /// </summary>
    public static double AveragePrecision(ReadOnlySpan<float> labels, ReadOnlySpan<float> scores)
    {
        CheckLengths(labels.Length, scores.Length);
        var order = new int[labels.Length];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }
        var s = scores.ToArray();
        // Descending by score; ties fall into one threshold below, so their order does not matter.
        Array.Sort(s.Select(v => -v).ToArray(), order);
        long positives = 0;
        foreach (var y in labels)
        {
            positives += y == 1f ? 1 : 0;
        }
        if (positives == 0)
        {
            return double.NaN;
        }
        long tp = 0, seen = 0;
        double ap = 0, previousRecall = 0;
        for (var j = 0; j < order.Length; j++)
        {
            tp += labels[order[j]] == 1f ? 1 : 0;
            seen++;
            if (j + 1 < order.Length && s[order[j + 1]] == s[order[j]])
            {
                continue;
            }
            var recall = (double)tp / positives;
            ap += (recall - previousRecall) * tp / seen;
            previousRecall = recall;
        }
        return ap;
    }

    /// <summary>Binary log loss of P(label=1), with probabilities clipped to [1e-15, 1−1e-15] as sklearn does.</summary>
    public static double LogLoss(ReadOnlySpan<float> labels, ReadOnlySpan<float> probabilities)
    {
        var sum = new LogLossSum();
        sum.AddBinary(labels, probabilities);
        return sum.Mean;
    }

    /// <summary>Multiclass log loss; <paramref name="probabilities"/> is row-major (rows × classes).</summary>
    public static double MultiLogLoss(ReadOnlySpan<float> labels, ReadOnlySpan<float> probabilities, int classes)
    {
        var sum = new LogLossSum();
        sum.AddMulticlass(labels, probabilities, classes);
        return sum.Mean;
    }

    private static (long Tp, long Fp, long Fn) Counts(ReadOnlySpan<float> labels, ReadOnlySpan<float> predicted, float positive)
    {
        CheckLengths(labels.Length, predicted.Length);
        long tp = 0, fp = 0, fn = 0;
        for (var i = 0; i < labels.Length; i++)
        {
            var actual = labels[i] == positive;
            var guess = predicted[i] == positive;
            if (actual && guess)
            {
                tp++;
            }
            else if (guess)
            {
                fp++;
            }
            else if (actual)
            {
                fn++;
            }
        }
        return (tp, fp, fn);
    }

    internal static void CheckLengths(int a, int b)
    {
        if (a != b)
        {
            throw new ArgumentException($"lengths differ: {a} labels, {b} predictions");
        }
    }
}
