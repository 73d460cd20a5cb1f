using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Kiln.ML.Kernels;

/// <summary>
/// PCA's covariance kernel: G = Σ_r y_r y_rᵀ over a block of rows (a syrk), the rows stored in
/// panels of 8 features: panel q holds features [8q, 8q+8) of row r at panel[q·stride + 8r], so
/// one Vector256 load is 8 features of one row. A tile is 8 features of panel a (broadcast one at
/// a time) against the 8 features of panel b, 8 independent accumulators and no horizontal sums,
/// the layout of <see cref="PanelGemm"/>. Only tiles with a ≤ b are computed: G is symmetric.
/// Sums are float within a block (256 rows at most in PCA), and the caller adds each block's G into
/// double, so rounding does not grow with the row count.
/// </summary>
public static class PcaGram
{
    public const int Width = 8;

    /// <summary>
    /// Writes the tiles a ≤ b of G ((panels·8) × (panels·8), row-major) over rows [0, rows) of
    /// <paramref name="packed"/>; the tiles below the diagonal are left as they were.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Upper(ReadOnlySpan<float> packed, int panels, int stride, int rows, Span<float> gram)
    {
        var width = panels * Width;
        if (rows * Width > stride || packed.Length < panels * stride || gram.Length < width * width)
        {
            throw new ArgumentException("matrix sizes do not match");
        }
        if (!Vector256.IsHardwareAccelerated)
        {
            PcaGramScalar.Upper(packed, panels, stride, rows, gram);
            return;
        }
        ref var p0 = ref MemoryMarshal.GetReference(packed);
        ref var g0 = ref MemoryMarshal.GetReference(gram);
        for (var a = 0; a < panels; a++)
        {
            for (var b = a; b < panels; b++)
            {
                Tile(ref Unsafe.Add(ref p0, a * stride), ref Unsafe.Add(ref p0, b * stride), rows,
                    ref Unsafe.Add(ref g0, a * Width * width + b * Width), width);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile(ref float a, ref float b, int rows, ref float g, int ldg)
    {
        Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default;
        Vector256<float> c4 = default, c5 = default, c6 = default, c7 = default;
        for (var r = 0; r < rows; r++)
        {
            var at = r * Width;
            var y = Vector256.LoadUnsafe(ref b, (nuint)at);
            ref var x = ref Unsafe.Add(ref a, at);
            c0 = Vector256.FusedMultiplyAdd(Vector256.Create(x), y, c0);
            c1 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref x, 1)), y, c1);
            c2 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref x, 2)), y, c2);
            c3 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref x, 3)), y, c3);
            c4 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref x, 4)), y, c4);
            c5 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref x, 5)), y, c5);
            c6 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref x, 6)), y, c6);
            c7 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref x, 7)), y, c7);
        }
        c0.StoreUnsafe(ref g);
        c1.StoreUnsafe(ref g, (nuint)ldg);
        c2.StoreUnsafe(ref g, (nuint)(2 * ldg));
        c3.StoreUnsafe(ref g, (nuint)(3 * ldg));
        c4.StoreUnsafe(ref g, (nuint)(4 * ldg));
        c5.StoreUnsafe(ref g, (nuint)(5 * ldg));
        c6.StoreUnsafe(ref g, (nuint)(6 * ldg));
        c7.StoreUnsafe(ref g, (nuint)(7 * ldg));
    }

    /// <summary>
    /// dest = (x with NaN replaced by fill) − mean: a row centred for projection. The spans may be
    /// of any length; the three inputs and dest must be equally long.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void CenterFilled(ReadOnlySpan<float> x, ReadOnlySpan<float> fill, ReadOnlySpan<float> mean, Span<float> dest)
    {
        var n = x.Length;
        if (fill.Length != n || mean.Length != n || dest.Length != n)
        {
            throw new ArgumentException("spans differ in length");
        }
        if (!Vector256.IsHardwareAccelerated)
        {
            PcaGramScalar.CenterFilled(x, fill, mean, dest);
            return;
        }
        ref var px = ref MemoryMarshal.GetReference(x);
        ref var pf = ref MemoryMarshal.GetReference(fill);
        ref var pm = ref MemoryMarshal.GetReference(mean);
        ref var pd = ref MemoryMarshal.GetReference(dest);
        var j = 0;
        for (; j <= n - Width; j += Width)
        {
            var v = Vector256.LoadUnsafe(ref px, (nuint)j);
            v = Vector256.ConditionalSelect(Vector256.Equals(v, v), v, Vector256.LoadUnsafe(ref pf, (nuint)j));
            (v - Vector256.LoadUnsafe(ref pm, (nuint)j)).StoreUnsafe(ref pd, (nuint)j);
        }
        for (; j < n; j++)
        {
            dest[j] = (float.IsNaN(x[j]) ? fill[j] : x[j]) - mean[j];
        }
    }

    /// <summary>
    /// Stores row <paramref name="row"/> of a block in the panel layout: y = x − shift, NaN written as
    /// 0. <paramref name="x"/> and <paramref name="shift"/> are padded to a whole number of panels
    /// (zeros past the features). Returns whether any value was NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool ShiftIntoPanels(ReadOnlySpan<float> x, ReadOnlySpan<float> shift, Span<float> packed, int stride, int row)
    {
        var panels = x.Length / Width;
        if (x.Length % Width != 0 || shift.Length != x.Length || (row + 1) * Width > stride || packed.Length < panels * stride)
        {
            throw new ArgumentException("matrix sizes do not match");
        }
        if (!Vector256.IsHardwareAccelerated)
        {
            return PcaGramScalar.ShiftIntoPanels(x, shift, packed, stride, row);
        }
        ref var px = ref MemoryMarshal.GetReference(x);
        ref var ps = ref MemoryMarshal.GetReference(shift);
        ref var pd = ref MemoryMarshal.GetReference(packed);
        var absent = Vector256<float>.Zero;
        for (var q = 0; q < panels; q++)
        {
            var v = Vector256.LoadUnsafe(ref px, (nuint)(q * Width));
            var eq = Vector256.Equals(v, v);
            absent |= ~eq;
            Vector256.ConditionalSelect(eq, v - Vector256.LoadUnsafe(ref ps, (nuint)(q * Width)), Vector256<float>.Zero)
                .StoreUnsafe(ref pd, (nuint)(q * stride + row * Width));
        }
        // The lanes are masks (all bits set is a NaN as a float), so test their sign bits, not float equality.
        return absent.ExtractMostSignificantBits() != 0;
    }
}

/// <summary>
/// <see cref="PcaGram"/>'s syrk and row shift in Vector128 without fused multiply-adds, for small
/// inputs: ReadyToRun precompiles these (SSE4.2, the x64 baseline it targets) but not PcaGram's
/// Vector256 and AggressiveOptimization methods, which the JIT compiles at their first call, about
/// 3 ms. california-housing's whole covariance (16k rows, 2 panels) takes some 0.5 ms here. The
/// sums are rounded apart from the multiplies, so they may differ from PcaGram's in the last bits.
/// </summary>
public static class PcaGramNarrow
{
    /// <summary>The span's first element (a null reference when empty): MemoryMarshal.GetReference&lt;float&gt; is a
    /// generic instantiation ReadyToRun does not hold, so it ran as tier-0 code, calls per row.</summary>
    private static ref float Ref(ReadOnlySpan<float> span) => ref span.IsEmpty ? ref Unsafe.NullRef<float>() : ref Unsafe.AsRef(in span[0]);

    private static ref float Ref(Span<float> span) => ref span.IsEmpty ? ref Unsafe.NullRef<float>() : ref span[0];

    /// <summary>The tiles a ≤ b of G, as <see cref="PcaGram.Upper"/>.</summary>
    public static void Upper(ReadOnlySpan<float> packed, int panels, int stride, int rows, Span<float> gram)
    {
        const int w = PcaGram.Width;
        var width = panels * w;
        if (rows * w > stride || packed.Length < panels * stride || gram.Length < width * width)
        {
            throw new ArgumentException("matrix sizes do not match");
        }
        if (!Vector128.IsHardwareAccelerated)
        {
            PcaGramScalar.Upper(packed, panels, stride, rows, gram);
            return;
        }
        ref var p0 = ref Ref(packed);
        ref var g0 = ref Ref(gram);
        for (var a = 0; a < panels; a++)
        {
            for (var b = a; b < panels; b++)
            {
                // Features 0-3 of panel a, then 4-7: 8 accumulators each, within SSE's 16 registers.
                for (var half = 0; half < w; half += 4)
                {
                    HalfTile(ref Unsafe.Add(ref p0, a * stride + half), ref Unsafe.Add(ref p0, b * stride), rows,
                        ref Unsafe.Add(ref g0, (a * w + half) * width + b * w), width);
                }
            }
        }
    }

    /// <summary>G[i, 0..8) = Σ_r a[r·8 + i] · b[r·8 .. r·8 + 8) for i in 0..4.</summary>
    private static void HalfTile(ref float a, ref float b, int rows, ref float g, int ldg)
    {
        Vector128<float> c0 = default, c1 = default, c2 = default, c3 = default;
        Vector128<float> c4 = default, c5 = default, c6 = default, c7 = default;
        for (var r = 0; r < rows; r++)
        {
            var at = r * PcaGram.Width;
            var lo = Vector128.LoadUnsafe(ref b, (nuint)at);
            var hi = Vector128.LoadUnsafe(ref b, (nuint)(at + 4));
            ref var x = ref Unsafe.Add(ref a, at);
            var x0 = Vector128.Create(x);
            var x1 = Vector128.Create(Unsafe.Add(ref x, 1));
            var x2 = Vector128.Create(Unsafe.Add(ref x, 2));
            var x3 = Vector128.Create(Unsafe.Add(ref x, 3));
            c0 += x0 * lo;
            c1 += x0 * hi;
            c2 += x1 * lo;
            c3 += x1 * hi;
            c4 += x2 * lo;
            c5 += x2 * hi;
            c6 += x3 * lo;
            c7 += x3 * hi;
        }
        c0.StoreUnsafe(ref g);
        c1.StoreUnsafe(ref g, 4);
        c2.StoreUnsafe(ref g, (nuint)ldg);
        c3.StoreUnsafe(ref g, (nuint)(ldg + 4));
        c4.StoreUnsafe(ref g, (nuint)(2 * ldg));
        c5.StoreUnsafe(ref g, (nuint)(2 * ldg + 4));
        c6.StoreUnsafe(ref g, (nuint)(3 * ldg));
        c7.StoreUnsafe(ref g, (nuint)(3 * ldg + 4));
    }

    /// <summary>As <see cref="PcaGram.ShiftIntoPanels"/> (the same values: a subtraction rounds alike at any width).</summary>
    public static bool ShiftIntoPanels(ReadOnlySpan<float> x, ReadOnlySpan<float> shift, Span<float> packed, int stride, int row)
    {
        const int w = PcaGram.Width;
        var panels = x.Length / w;
        if (x.Length % w != 0 || shift.Length != x.Length || (row + 1) * w > stride || packed.Length < panels * stride)
        {
            throw new ArgumentException("matrix sizes do not match");
        }
        if (!Vector128.IsHardwareAccelerated)
        {
            return PcaGramScalar.ShiftIntoPanels(x, shift, packed, stride, row);
        }
        ref var px = ref Ref(x);
        ref var ps = ref Ref(shift);
        ref var pd = ref Ref(packed);
        var absent = Vector128<float>.Zero;
        for (var j = 0; j < x.Length; j += 4)
        {
            var v = Vector128.LoadUnsafe(ref px, (nuint)j);
            var eq = Vector128.Equals(v, v);
            absent |= ~eq;
            Vector128.ConditionalSelect(eq, v - Vector128.LoadUnsafe(ref ps, (nuint)j), Vector128<float>.Zero)
                .StoreUnsafe(ref pd, (nuint)(j / w * stride + row * w + j % w));
        }
        return absent.ExtractMostSignificantBits() != 0;
    }
}

/// <summary>The plain loops over the panel layout: <see cref="PcaGram"/>'s reference and fallback.</summary>
public static class PcaGramScalar
{
    public static void Upper(ReadOnlySpan<float> packed, int panels, int stride, int rows, Span<float> gram)
    {
        const int w = PcaGram.Width;
        var width = panels * w;
        for (var a = 0; a < panels; a++)
        {
            for (var b = a; b < panels; b++)
            {
                for (var i = 0; i < w; i++)
                {
                    for (var j = 0; j < w; j++)
                    {
                        var s = 0f;
                        for (var r = 0; r < rows; r++)
                        {
                            s += packed[a * stride + r * w + i] * packed[b * stride + r * w + j];
                        }
                        gram[(a * w + i) * width + b * w + j] = s;
                    }
                }
            }
        }
    }

    public static bool ShiftIntoPanels(ReadOnlySpan<float> x, ReadOnlySpan<float> shift, Span<float> packed, int stride, int row)
    {
        const int w = PcaGram.Width;
        var missing = false;
        for (var j = 0; j < x.Length; j++)
        {
            var nan = float.IsNaN(x[j]);
            missing |= nan;
            packed[j / w * stride + row * w + j % w] = nan ? 0 : x[j] - shift[j];
        }
        return missing;
    }

    public static void CenterFilled(ReadOnlySpan<float> x, ReadOnlySpan<float> fill, ReadOnlySpan<float> mean, Span<float> dest)
    {
        for (var j = 0; j < x.Length; j++)
        {
            dest[j] = (float.IsNaN(x[j]) ? fill[j] : x[j]) - mean[j];
        }
    }
}
