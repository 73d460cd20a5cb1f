using Kiln.ML.Kernels;

namespace Kiln.ML.Tests;

/// <summary>Vectorized kernels against their scalar references at lengths around the vector width.</summary>
public sealed class KernelTests
{
    public static TheoryData<int> Lengths => [0, 1, 7, 8, 9, 15, 16, 17, 1023];

    private static float[] Random(int n, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
    }

    private static void Close(float expected, float actual, int n) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-5f * Math.Max(1, n), $"expected {expected}, got {actual}");

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Dot_MatchesScalar(int n)
    {
        var x = Random(n, 1);
        var y = Random(n, 2);
        Close(BlasScalar.Dot(x, y), Blas.Dot(x, y), n);
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Axpy_MatchesScalar(int n)
    {
        var x = Random(n, 1);
        var y1 = Random(n, 2);
        var y2 = (float[])y1.Clone();
        BlasScalar.Axpy(0.75f, x, y1);
        Blas.Axpy(0.75f, x, y2);
        for (var i = 0; i < n; i++)
        {
            Close(y1[i], y2[i], 1);
        }
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void AxpyWidened_MatchesScalar(int n)
    {
        var x = Random(n, 3);
        var y1 = Random(n, 4).Select(v => (double)v * 1e3).ToArray();
        var y2 = (double[])y1.Clone();
        BlasScalar.AxpyWidened(-1.5, x, y1);
        Blas.AxpyWidened(-1.5, x, y2);
        for (var i = 0; i < n; i++)
        {
            Assert.Equal(y1[i], y2[i], 1e-9);
        }
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void BoxExpansion_MatchesScalar(int n)
    {
        var x = Random(n, 1);
        var a = Random(n, 2);
        var b = Random(n, 3);
        var min = a.Zip(b, Math.Min).ToArray();
        var max = a.Zip(b, Math.Max).ToArray();
        Close(BlasScalar.BoxExpansion(x, min, max), Blas.BoxExpansion(x, min, max), n);
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void SquaredDistance_MatchesScalar(int n)
    {
        var x = Random(n, 1);
        var y = Random(n, 2);
        Close(BlasScalar.SquaredDistance(x, y), Blas.SquaredDistance(x, y), n);
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Gemv_MatchesScalar(int n)
    {
        const int rows = 5;
        var a = Random(rows * n, 3);
        var x = Random(n, 4);
        var y1 = new float[rows];
        var y2 = new float[rows];
        BlasScalar.Gemv(a, rows, x, y1);
        Blas.Gemv(a, rows, x, y2);
        for (var i = 0; i < rows; i++)
        {
            Close(y1[i], y2[i], n);
        }
    }

    [Theory]
    [InlineData(0, 0, 0)]
    [InlineData(1, 1, 1)]
    [InlineData(3, 7, 5)]
    [InlineData(5, 8, 9)]
    [InlineData(7, 9, 8)]
    [InlineData(9, 1023, 7)]
    public void Gemm_MatchesScalar(int m, int k, int n)
    {
        var a = Random(m * k, 5);
        var b = Random(k * n, 6);
        var c1 = new float[m * n];
        var c2 = new float[m * n];
        BlasScalar.Gemm(a, b, c1, m, k, n);
        Blas.Gemm(a, b, c2, m, k, n);
        for (var i = 0; i < m * n; i++)
        {
            Close(c1[i], c2[i], k);
        }
    }

    [Theory]
    [InlineData(0, 8, 0)]
    [InlineData(1, 1, 1)]
    [InlineData(3, 7, 5)]
    [InlineData(5, 8, 9)]
    [InlineData(7, 9, 8)]
    [InlineData(9, 1023, 7)]
    public void GemmTransB_MatchesScalar(int m, int k, int n)
    {
        var a = Random(m * k, 7);
        var b = Random(n * k, 8);
        var c1 = new float[m * n];
        var c2 = new float[m * n];
        BlasScalar.GemmTransB(a, b, c1, m, k, n);
        Blas.GemmTransB(a, b, c2, m, k, n);
        for (var i = 0; i < m * n; i++)
        {
            Close(c1[i], c2[i], k);
        }
    }

    [Fact]
    public void SymmetricEigen_Diagonalizes()
    {
        double[] a = [4, 1, 0, 1, 3, 1, 0, 1, 2];
        var (values, vectors) = SymmetricEigen.Decompose(a, 3);
        Assert.True(values[0] >= values[1] && values[1] >= values[2]);
        for (var r = 0; r < 3; r++)
        {
            for (var i = 0; i < 3; i++)
            {
                var av = 0.0;
                for (var j = 0; j < 3; j++)
                {
                    av += a[i * 3 + j] * vectors[r * 3 + j];
                }
                Assert.Equal(values[r] * vectors[r * 3 + i], av, 1e-9);
            }
        }
        Assert.Equal(9, values.Sum(), 1e-9); // the trace
    }
}
