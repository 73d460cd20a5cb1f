namespace Kiln.ML.Evaluation;

/// <summary>k-fold cross-validation: every row is a test row in exactly one of the k folds.</summary>
public static class CrossValidation
{
    /// <summary>
    /// k folds of consecutive rows (sizes differ by at most one), after a seeded shuffle when
    /// <paramref name="seed"/> is given, as scikit-learn's KFold(shuffle=seed is not None).
    /// </summary>
    public static IReadOnlyList<Split> KFold(int rows, int folds, int? seed = null)
    {
        CheckFolds(rows, folds);
        var order = Enumerable.Range(0, rows).ToArray();
        if (seed is { } s)
        {
            new System.Random(s).Shuffle(order);
        }
        var fold = new int[rows];
        for (var f = 0; f < folds; f++)
        {
            // The first rows % folds folds take one extra row.
            var start = f * (rows / folds) + Math.Min(f, rows % folds);
            var end = start + rows / folds + (f < rows % folds ? 1 : 0);
            for (var p = start; p < end; p++)
            {
                fold[order[p]] = f;
            }
        }
        return Folds(fold, folds);
    }

    /// <summary>
    /// Stratified k folds: each class's rows, shuffled, are dealt round-robin across the folds
    /// (continuing where the previous class stopped), so every fold holds each class's share to within
    /// one row and fold sizes differ by at most one.
    /// </summary>
    public static IReadOnlyList<Split> StratifiedKFold(ReadOnlySpan<float> labels, int folds, int seed)
    {
        CheckFolds(labels.Length, folds);
        var rng = new System.Random(seed);
        var fold = new int[labels.Length];
        var next = 0;
        foreach (var members in Splits.ByClass(labels))
        {
            rng.Shuffle(members);
            foreach (var row in members)
            {
                fold[row] = next;
                next = (next + 1) % folds;
            }
        }
        return Folds(fold, folds);
    }

    private static IReadOnlyList<Split> Folds(int[] fold, int folds) =>
        Enumerable.Range(0, folds).Select(f => new Split(
            Enumerable.Range(0, fold.Length).Where(i => fold[i] != f).ToArray(),
            Enumerable.Range(0, fold.Length).Where(i => fold[i] == f).ToArray())).ToList();

    private static void CheckFolds(int rows, int folds)
    {
        if (folds < 2 || folds > rows)
        {
            throw new ArgumentOutOfRangeException(nameof(folds), folds, $"k-fold needs 2 ≤ folds ≤ rows ({rows})");
        }
    }
}
