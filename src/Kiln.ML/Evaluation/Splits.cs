using Kiln.ML.Data;

namespace Kiln.ML.Evaluation;

/// <summary>A partition of row indices into training and test rows, each in ascending order.</summary>
public sealed record Split(int[] Train, int[] Test);

/// <summary>
/// Train/test splits as row indices, so one split serves any dataset (dense or sparse) and any
/// label column: random, stratified by class, ordered (time series: the test rows come last) and
/// grouped by key. Seeded splits are reproducible for a given seed.
/// </summary>
public static class Splits
{
    /// <summary>A seeded random split with round(rows × testFraction) test rows.</summary>
    public static Split Random(int rows, double testFraction, int seed)
    {
        var testRows = TestRows(rows, testFraction);
        var order = Enumerable.Range(0, rows).ToArray();
        new System.Random(seed).Shuffle(order);
        return Make(order[testRows..], order[..testRows]);
    }

    /// <summary>
    /// A seeded split that keeps each class's share: round(classRows × testFraction) rows of every
    /// class go to the test side, so each class's test share is within half a row of the fraction.
    /// </summary>
    public static Split Stratified(ReadOnlySpan<float> labels, double testFraction, int seed)
    {
        TestRows(labels.Length, testFraction);
        var rng = new System.Random(seed);
        var train = new List<int>();
        var test = new List<int>();
        foreach (var members in ByClass(labels))
        {
            rng.Shuffle(members);
            var n = (int)Math.Round(members.Length * testFraction, MidpointRounding.AwayFromZero);
            test.AddRange(members[..n]);
            train.AddRange(members[n..]);
        }
        return Make(train.ToArray(), test.ToArray());
    }

    /// <summary>The first rows train, the last round(rows × testFraction) test: no future row leaks into training.</summary>
    public static Split Ordered(int rows, double testFraction)
    {
        var cut = rows - TestRows(rows, testFraction);
        return new Split(Enumerable.Range(0, cut).ToArray(), Enumerable.Range(cut, rows - cut).ToArray());
    }

    /// <summary>
    /// A seeded split in which all rows with the same key fall on the same side (scikit-learn's
    /// GroupShuffleSplit idea: a user's or a day's rows never sit on both sides). Keys are drawn in
    /// random order into the test side until it holds at least round(rows × testFraction) rows.
    /// </summary>
    public static Split ByKey<TKey>(IReadOnlyList<TKey> keys, double testFraction, int seed)
        where TKey : notnull
    {
        var target = TestRows(keys.Count, testFraction);
        var groups = new Dictionary<TKey, List<int>>();
        for (var i = 0; i < keys.Count; i++)
        {
            if (!groups.TryGetValue(keys[i], out var rows))
            {
                groups[keys[i]] = rows = [];
            }
            rows.Add(i);
        }
        // Groups in first-appearance order, then shuffled: the split depends on the seed, not on hashing.
        var order = groups.Values.ToArray();
        new System.Random(seed).Shuffle(order);
        var train = new List<int>();
        var test = new List<int>();
        foreach (var group in order)
        {
            (test.Count < target ? test : train).AddRange(group);
        }
        return Make(train.ToArray(), test.ToArray());
    }

    /// <summary>The given rows of a dataset, in the given order, as a new dataset.</summary>
    public static Dataset Take(Dataset data, ReadOnlySpan<int> rows)
    {
        var labels = data.Labels is { } y ? Gather(y, rows) : null;
        if (data.Sparse is { } sparse)
        {
            var starts = new int[rows.Length + 1];
            var index = new List<int>();
            var value = new List<float>();
            for (var r = 0; r < rows.Length; r++)
            {
                foreach (var j in sparse.RowIndices(rows[r]))
                {
                    index.Add(j);
                }
                foreach (var v in sparse.RowValues(rows[r]))
                {
                    value.Add(v);
                }
                starts[r + 1] = index.Count;
            }
            return new Dataset(new SparseMatrix(starts, index.ToArray(), value.ToArray(), sparse.Cols), labels, data.Source);
        }
        var x = data.Features;
        var result = new DenseMatrix(rows.Length, x.Cols);
        for (var r = 0; r < rows.Length; r++)
        {
            x.Row(rows[r]).CopyTo(result.Row(r));
        }
        return new Dataset(result, labels, data.Source);
    }

    /// <summary>Row indices of each class, classes in ascending label order.</summary>
    internal static List<int[]> ByClass(ReadOnlySpan<float> labels)
    {
        var classes = new SortedDictionary<float, List<int>>();
        for (var i = 0; i < labels.Length; i++)
        {
            if (float.IsNaN(labels[i]))
            {
                throw new ArgumentException($"label of row {i} is NaN; stratification needs a class for every row");
            }
            if (!classes.TryGetValue(labels[i], out var members))
            {
                classes[labels[i]] = members = [];
            }
            members.Add(i);
        }
        return classes.Values.Select(m => m.ToArray()).ToList();
    }

    private static int TestRows(int rows, double testFraction)
    {
        if (!(testFraction > 0 && testFraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(testFraction), testFraction, "the test fraction must lie in (0, 1)");
        }
        return (int)Math.Round(rows * testFraction, MidpointRounding.AwayFromZero);
    }

    private static Split Make(int[] train, int[] test)
    {
        Array.Sort(train);
        Array.Sort(test);
        return new Split(train, test);
    }

    private static float[] Gather(float[] values, ReadOnlySpan<int> rows)
    {
        var result = new float[rows.Length];
        for (var r = 0; r < rows.Length; r++)
        {
            result[r] = values[rows[r]];
        }
        return result;
    }
}
