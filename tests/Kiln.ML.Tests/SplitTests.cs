using Kiln.ML.Data;
using Kiln.ML.Evaluation;

namespace Kiln.ML.Tests;

/// <summary>Train/test splits and k-fold cross-validation: disjoint, covering, reproducible and stratified.</summary>
public sealed class SplitTests
{
    private static void AssertPartition(Split split, int rows)
    {
        Assert.Empty(split.Train.Intersect(split.Test));
        Assert.Equal(Enumerable.Range(0, rows), split.Train.Concat(split.Test).Order());
    }

    /// <summary>17 rows of class 0, 9 of class 1, 5 of class 2, interleaved.</summary>
    private static float[] Labels() =>
        Enumerable.Repeat(0f, 17).Concat(Enumerable.Repeat(1f, 9)).Concat(Enumerable.Repeat(2f, 5))
            .Select((v, i) => (v, Key: (i * 7) % 31)).OrderBy(t => t.Key).Select(t => t.v).ToArray();

    [Fact]
    public void Random_IsASeededPartition()
    {
        var split = Splits.Random(101, 0.2, seed: 4);
        AssertPartition(split, 101);
        Assert.Equal(20, split.Test.Length);
        Assert.Equal(split.Test, Splits.Random(101, 0.2, seed: 4).Test);
        Assert.NotEqual(split.Test, Splits.Random(101, 0.2, seed: 5).Test);
        Assert.Throws<ArgumentOutOfRangeException>(() => Splits.Random(10, 1.0, 1));
    }

    [Fact]
    public void Stratified_KeepsEveryClassShareWithinHalfARow()
    {
        var y = Labels();
        var split = Splits.Stratified(y, 0.3, seed: 2);
        AssertPartition(split, y.Length);
        foreach (var c in new[] { 0f, 1f, 2f })
        {
            var total = y.Count(v => v == c);
            var inTest = split.Test.Count(i => y[i] == c);
            Assert.True(Math.Abs(inTest - total * 0.3) <= 0.5, $"class {c}: {inTest} of {total}");
        }
    }

    [Fact]
    public void Ordered_PutsTheLastRowsInTest()
    {
        var split = Splits.Ordered(10, 0.3);
        Assert.Equal([0, 1, 2, 3, 4, 5, 6], split.Train);
        Assert.Equal([7, 8, 9], split.Test);
    }

    [Fact]
    public void ByKey_NeverSplitsAKey()
    {
        var keys = Enumerable.Range(0, 60).Select(i => $"user{i % 13}").ToArray();
        var split = Splits.ByKey(keys, 0.25, seed: 3);
        AssertPartition(split, keys.Length);
        Assert.Empty(split.Train.Select(i => keys[i]).Intersect(split.Test.Select(i => keys[i])));
        Assert.True(split.Test.Length >= 15, split.Test.Length.ToString());
    }

    [Fact]
    public void Take_CopiesDenseAndSparseRowsWithLabels()
    {
        var dense = new Dataset(DenseMatrix.FromRows([[1, 2], [3, 4], [5, 6]]), [0, 1, 2], "t");
        var taken = Splits.Take(dense, [2, 0]);
        Assert.Equal([5f, 6f, 1f, 2f], taken.Features.Data.ToArray());
        Assert.Equal([2f, 0f], taken.Labels!);
        var sparse = new Dataset(SparseMatrix.FromDense(dense.Features), [0, 1, 2], "t");
        var rows = Splits.Take(sparse, [1]);
        Assert.Equal([0, 1], rows.Sparse!.Index);
        Assert.Equal([3f, 4f], rows.Sparse.Value);
    }

    [Theory]
    [InlineData(10, 3, null)]
    [InlineData(31, 4, 7)]
    public void KFold_TestFoldsAreDisjointAndCoverEveryRow(int rows, int folds, int? seed)
    {
        var splits = CrossValidation.KFold(rows, folds, seed);
        Assert.Equal(folds, splits.Count);
        foreach (var split in splits)
        {
            AssertPartition(split, rows);
            Assert.InRange(split.Test.Length, rows / folds, rows / folds + 1);
        }
        Assert.Equal(Enumerable.Range(0, rows), splits.SelectMany(s => s.Test).Order());
        if (seed is null)
        {
            Assert.Equal([0, 1, 2, 3], splits[0].Test);
        }
    }

    [Fact]
    public void StratifiedKFold_EveryFoldHoldsEachClassShareWithinOneRow()
    {
        var y = Labels();
        const int Folds = 4;
        var splits = CrossValidation.StratifiedKFold(y, Folds, seed: 9);
        Assert.Equal(Enumerable.Range(0, y.Length), splits.SelectMany(s => s.Test).Order());
        foreach (var split in splits)
        {
            AssertPartition(split, y.Length);
            Assert.InRange(split.Test.Length, y.Length / Folds, y.Length / Folds + 1);
            foreach (var c in new[] { 0f, 1f, 2f })
            {
                var share = y.Count(v => v == c) / (double)Folds;
                var inFold = split.Test.Count(i => y[i] == c);
                Assert.True(Math.Abs(inFold - share) < 1, $"class {c}: {inFold} in a fold, share {share}");
            }
        }
    }
}
