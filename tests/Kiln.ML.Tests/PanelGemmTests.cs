using Kiln.ML.Kernels;

namespace Kiln.ML.Tests;

/// <summary>The packed-panel GEMM against its scalar reference and against plain A·Bᵀ.</summary>
public sealed class PanelGemmTests
{
    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 7, 9)]
    [InlineData(4, 8, 16)]
    [InlineData(5, 9, 17)]
    [InlineData(9, 105, 23)]
    [InlineData(64, 1023, 40)]
    [InlineData(1, 33, 70)]
    [InlineData(7, 8, 72)]
    public void Multiply_MatchesScalarAndGemmTransB(int m, int k, int n)
    {
        var a = TestData.Gaussian(m, k, 1).Data.ToArray();
        var b = TestData.Gaussian(n, k, 2).Data.ToArray();
        var packed = PanelGemm.Pack(b, n, k);
        var panels = PanelGemm.Panels(n);
        var fast = new float[m * panels * 8];
        var scalar = new float[m * panels * 8];
        var plain = new float[m * n];
        PanelGemm.Multiply(a, m, k, packed, 0, panels, fast);
        PanelGemmScalar.Multiply(a, m, k, packed, 0, panels, scalar);
        BlasScalar.GemmTransB(a, b, plain, m, k, n);
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < panels * 8; j++)
            {
                var tolerance = 1e-4f * k;
                Assert.Equal(scalar[i * panels * 8 + j], fast[i * panels * 8 + j], tolerance);
                Assert.Equal(j < n ? plain[i * n + j] : 0f, scalar[i * panels * 8 + j], tolerance);
            }
        }
    }

    [Fact]
    public void Multiply_PanelRange_MatchesWholeProduct()
    {
        var a = TestData.Gaussian(6, 13, 3).Data.ToArray();
        var packed = PanelGemm.Pack(TestData.Gaussian(40, 13, 4).Data.ToArray(), 40, 13);
        var whole = new float[6 * 40];
        var part = new float[6 * 16];
        PanelGemm.Multiply(a, 6, 13, packed, 0, 5, whole);
        PanelGemm.Multiply(a, 6, 13, packed, 2, 2, part);
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal(whole.AsSpan(i * 40 + 16, 16).ToArray(), part.AsSpan(i * 16, 16).ToArray());
        }
    }
}
