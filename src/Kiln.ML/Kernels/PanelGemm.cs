using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Kiln.ML.Kernels;

/// <summary>
/// C = A·Bᵀ against a B that is fixed and packed once (k-NN's stored rows): B's rows are grouped
/// in panels of 8, each stored feature-major (panel[p·8 + r] = B[8·panel + r, p]), so one Vector256
/// load holds feature p of 8 rows. The kernel then broadcasts one value of A and multiplies it into
/// 8 rows at once, accumulating whole vectors: no horizontal sums at all, unlike
/// <see cref="Blas.GemmTransB"/>, which must reduce a vector per dot product. A tile is 4 rows of
/// A × 2 panels, 8 independent accumulators, enough to cover the FMA latency (1 row × 4 panels
/// for the rows left over, and for IVF, which scans a list for one query). This is the layout
/// BLAS libraries pack into; k-NN's flat search spends nearly all its time here.
/// </summary>
public static class PanelGemm
{
    public const int Width = 8;

    public static int Panels(int rows) => (rows + Width - 1) / Width;

    /// <summary>Packs B (n × k, row-major) into <see cref="Panels"/>(n) panels; rows past n are zero.</summary>
    public static float[] Pack(ReadOnlySpan<float> b, int n, int k)
    {
        var packed = new float[Panels(n) * Width * k];
        for (var j = 0; j < n; j++)
        {
            // A span built, not AsSpan: ReadyToRun holds no AsSpan over float (JIT-compiled at first call).
            var panel = new Span<float>(packed, j / Width * Width * k, Width * k);
            var r = j % Width;
            var row = b.Slice(j * k, k);
            for (var p = 0; p < k; p++)
            {
                panel[p * Width + r] = row[p];
            }
        }
        return packed;
    }

    /// <summary>
    /// C (m × 8·count, row-major) = A (m × k) times the transposes of panels [first, first+count).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply(ReadOnlySpan<float> a, int m, int k, ReadOnlySpan<float> packed, int first, int count, Span<float> c)
    {
        var ldc = count * Width;
        if (a.Length < m * k || packed.Length < (first + count) * Width * k || c.Length < m * ldc)
        {
            throw new ArgumentException("matrix sizes do not match");
        }
        if (!Vector256.IsHardwareAccelerated)
        {
            PanelGemmScalar.Multiply(a, m, k, packed, first, count, c);
            return;
        }
        ref var pa = ref MemoryMarshal.GetReference(a);
        ref var pb = ref Unsafe.Add(ref MemoryMarshal.GetReference(packed), first * Width * k);
        ref var pc = ref MemoryMarshal.GetReference(c);
        var i = 0;
        for (; i <= m - 4; i += 4)
        {
            var j = 0;
            for (; j <= count - 2; j += 2)
            {
                Tile4x2(ref Unsafe.Add(ref pa, i * k), k, ref Unsafe.Add(ref pb, j * Width * k), ref Unsafe.Add(ref pc, i * ldc + j * Width), ldc);
            }
            for (; j < count; j++)
            {
                for (var r = 0; r < 4; r++)
                {
                    Tile1x1(ref Unsafe.Add(ref pa, (i + r) * k), k, ref Unsafe.Add(ref pb, j * Width * k), ref Unsafe.Add(ref pc, (i + r) * ldc + j * Width));
                }
            }
        }
        for (; i < m; i++)
        {
            var j = 0;
            for (; j <= count - 4; j += 4)
            {
                Tile1x4(ref Unsafe.Add(ref pa, i * k), k, ref Unsafe.Add(ref pb, j * Width * k), ref Unsafe.Add(ref pc, i * ldc + j * Width));
            }
            for (; j < count; j++)
            {
                Tile1x1(ref Unsafe.Add(ref pa, i * k), k, ref Unsafe.Add(ref pb, j * Width * k), ref Unsafe.Add(ref pc, i * ldc + j * Width));
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x2(ref float a, int k, ref float b, ref float c, int ldc)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector256<float> c20 = default, c21 = default, c30 = default, c31 = default;
        ref var b1 = ref Unsafe.Add(ref b, Width * k);
        for (var p = 0; p < k; p++)
        {
            var x0 = Vector256.LoadUnsafe(ref b, (nuint)(p * Width));
            var x1 = Vector256.LoadUnsafe(ref b1, (nuint)(p * Width));
            var a0 = Vector256.Create(Unsafe.Add(ref a, p));
            var a1 = Vector256.Create(Unsafe.Add(ref a, k + p));
            var a2 = Vector256.Create(Unsafe.Add(ref a, 2 * k + p));
            var a3 = Vector256.Create(Unsafe.Add(ref a, 3 * k + p));
            c00 = Vector256.FusedMultiplyAdd(a0, x0, c00);
            c01 = Vector256.FusedMultiplyAdd(a0, x1, c01);
            c10 = Vector256.FusedMultiplyAdd(a1, x0, c10);
            c11 = Vector256.FusedMultiplyAdd(a1, x1, c11);
            c20 = Vector256.FusedMultiplyAdd(a2, x0, c20);
            c21 = Vector256.FusedMultiplyAdd(a2, x1, c21);
            c30 = Vector256.FusedMultiplyAdd(a3, x0, c30);
            c31 = Vector256.FusedMultiplyAdd(a3, x1, c31);
        }
        c00.StoreUnsafe(ref c);
        c01.StoreUnsafe(ref c, Width);
        c10.StoreUnsafe(ref c, (nuint)ldc);
        c11.StoreUnsafe(ref c, (nuint)(ldc + Width));
        c20.StoreUnsafe(ref c, (nuint)(2 * ldc));
        c21.StoreUnsafe(ref c, (nuint)(2 * ldc + Width));
        c30.StoreUnsafe(ref c, (nuint)(3 * ldc));
        c31.StoreUnsafe(ref c, (nuint)(3 * ldc + Width));
    }

    /// <summary>One row of A (an IVF query scanning a list) against 4 panels: 4 independent accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile1x4(ref float a, int k, ref float b, ref float c)
    {
        Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default;
        var stride = Width * k;
        for (var p = 0; p < k; p++)
        {
            var x = Vector256.Create(Unsafe.Add(ref a, p));
            var at = (nuint)(p * Width);
            c0 = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref b, at), c0);
            c1 = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref b, at + (nuint)stride), c1);
            c2 = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref b, at + (nuint)(2 * stride)), c2);
            c3 = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref b, at + (nuint)(3 * stride)), c3);
        }
        c0.StoreUnsafe(ref c);
        c1.StoreUnsafe(ref c, Width);
        c2.StoreUnsafe(ref c, 2 * Width);
        c3.StoreUnsafe(ref c, 3 * Width);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile1x1(ref float a, int k, ref float b, ref float c)
    {
        var acc = Vector256<float>.Zero;
        for (var p = 0; p < k; p++)
        {
            acc = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref a, p)), Vector256.LoadUnsafe(ref b, (nuint)(p * Width)), acc);
        }
        acc.StoreUnsafe(ref c);
    }
}

/// <summary>The plain loops over the packed layout: <see cref="PanelGemm"/>'s reference and fallback.</summary>
public static class PanelGemmScalar
{
    public static void Multiply(ReadOnlySpan<float> a, int m, int k, ReadOnlySpan<float> packed, int first, int count, Span<float> c)
    {
        var w = PanelGemm.Width;
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < count * w; j++)
            {
                var panel = packed.Slice((first + j / w) * w * k, w * k);
                var s = 0f;
                for (var p = 0; p < k; p++)
                {
                    s += a[i * k + p] * panel[p * w + j % w];
                }
                c[i * count * w + j] = s;
            }
        }
    }
}
