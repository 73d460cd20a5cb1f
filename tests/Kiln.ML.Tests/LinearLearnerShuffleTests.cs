using Kiln.ML.Trainers;

namespace Kiln.ML.Tests;

/// <summary>Linear Learner's shuffle draws what System.Random's seeded generator draws.</summary>
public sealed class LinearLearnerShuffleTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(0)]
    [InlineData(42)]
    [InlineData(-7)]
    [InlineData(int.MaxValue)]
    [InlineData(int.MinValue)]
    public void Next_EqualsSystemRandom(int seed)
    {
        var (mine, system) = (new SubtractiveRandom(seed), new Random(seed));
        for (var i = 0; i < 200_000; i++)
        {
            var min = i % 1000;
            var max = min + 1 + (i * 7919 % 100_000);
            Assert.Equal(system.Next(min, max), mine.Next(min, max));
        }
    }

    [Theory]
    [InlineData(1, 16_512)]
    [InlineData(3, 1)]
    [InlineData(5, 2)]
    [InlineData(9, 32_768)]
    public void Permute_EqualsFisherYatesOnSystemRandom(int seed, int n)
    {
        var (mine, system) = (new SubtractiveRandom(seed), new Random(seed));
        var (expected, actual) = (new int[n], new int[n]);
        for (var epoch = 0; epoch < 3; epoch++)
        {
            for (var i = 0; i < n; i++)
            {
                expected[i] = i;
            }
            for (var i = 0; i < n - 1; i++)
            {
                var j = system.Next(i, n);
                (expected[i], expected[j]) = (expected[j], expected[i]);
            }
            mine.Permute(actual);
            Assert.Equal(expected, actual);
        }
        // Draws after a permutation continue the same sequence.
        Assert.Equal(system.Next(0, 1000), mine.Next(0, 1000));
    }
}
