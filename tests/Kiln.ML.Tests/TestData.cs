using Kiln.ML.Data;
using Kiln.ML.Trainers;

namespace Kiln.ML.Tests;

internal static class TestData
{
    public static readonly TrainingContext Context = new() { Threads = 2 };

    public static Hyperparameters Hp(params (string Key, string Value)[] values) =>
        new(values.ToDictionary(v => v.Key, v => v.Value));

    public static DenseMatrix Gaussian(int rows, int cols, int seed, float scale = 1)
    {
        var rng = new Random(seed);
        var m = new DenseMatrix(rows, cols);
        foreach (ref var v in m.Data)
        {
            // Box-Muller
            v = scale * (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
        }
        return m;
    }

    /// <summary>Solves the square system a·x = b (row-major) by Gaussian elimination with partial pivoting.</summary>
    public static double[] Solve(double[] a, double[] b, int n)
    {
        a = (double[])a.Clone();
        b = (double[])b.Clone();
        for (var c = 0; c < n; c++)
        {
            var pivot = Enumerable.Range(c, n - c).MaxBy(r => Math.Abs(a[r * n + c]));
            for (var j = 0; j < n; j++)
            {
                (a[c * n + j], a[pivot * n + j]) = (a[pivot * n + j], a[c * n + j]);
            }
            (b[c], b[pivot]) = (b[pivot], b[c]);
            for (var r = c + 1; r < n; r++)
            {
                var f = a[r * n + c] / a[c * n + c];
                for (var j = c; j < n; j++)
                {
                    a[r * n + j] -= f * a[c * n + j];
                }
                b[r] -= f * b[c];
            }
        }
        var x = new double[n];
        for (var r = n - 1; r >= 0; r--)
        {
            var s = b[r];
            for (var j = r + 1; j < n; j++)
            {
                s -= a[r * n + j] * x[j];
            }
            x[r] = s / a[r * n + r];
        }
        return x;
    }
}
