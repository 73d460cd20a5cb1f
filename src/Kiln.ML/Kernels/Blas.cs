using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Kiln.ML.Kernels;

/// <summary>
/// The dense float32 kernels every algorithm is built on. Each has a scalar reference in
/// <see cref="BlasScalar"/>; the versions here use Vector256, and fall back to the scalar code when
/// the hardware lacks it (DOTNET_EnableAVX2=0), so every path stays testable.
/// </summary>
/// <remarks>
/// Every loop here is marked AggressiveOptimization. `kiln ml` is a short process, and ReadyToRun
/// cannot precompile Vector256 code (the target CPU is unknown at publish time), so without the mark
/// these kernels would run as unoptimized tier-0 code, with every Vector256 helper an uninlined call,
/// for most of a small training run (perf showed Tile2x4 and SquaredDistance [QuickJitted] at 28 % of
/// K-Means on california-housing). TensorPrimitives' generic kernels have the same problem, so Dot and
/// Axpy are written here rather than delegated to it.
/// </remarks>
public static class Blas
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        if (x.Length != y.Length)
        {
            throw new ArgumentException("spans differ in length");
        }
        if (!Vector256.IsHardwareAccelerated || x.Length < Vector256<float>.Count)
        {
            return BlasScalar.Dot(x, y);
        }
        ref var px = ref MemoryMarshal.GetReference(x);
        ref var py = ref MemoryMarshal.GetReference(y);
        var acc0 = Vector256<float>.Zero;
        var acc1 = Vector256<float>.Zero;
        var n = x.Length;
        var i = 0;
        for (; i <= n - 16; i += 16)
        {
            acc0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref px, (nuint)i), Vector256.LoadUnsafe(ref py, (nuint)i), acc0);
            acc1 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref px, (nuint)(i + 8)), Vector256.LoadUnsafe(ref py, (nuint)(i + 8)), acc1);
        }
        for (; i <= n - 8; i += 8)
        {
            acc0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref px, (nuint)i), Vector256.LoadUnsafe(ref py, (nuint)i), acc0);
        }
        var sum = Vector256.Sum(acc0 + acc1);
        for (; i < n; i++)
        {
            sum += Unsafe.Add(ref px, i) * Unsafe.Add(ref py, i);
        }
        return sum;
    }

    /// <summary>y += a·x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Axpy(float a, ReadOnlySpan<float> x, Span<float> y)
    {
        if (x.Length != y.Length)
        {
            throw new ArgumentException("spans differ in length");
        }
        if (!Vector256.IsHardwareAccelerated || x.Length < Vector256<float>.Count)
        {
            BlasScalar.Axpy(a, x, y);
            return;
        }
        ref var px = ref MemoryMarshal.GetReference(x);
        ref var py = ref MemoryMarshal.GetReference(y);
        var va = Vector256.Create(a);
        var n = x.Length;
        var i = 0;
        for (; i <= n - 8; i += 8)
        {
            Vector256.FusedMultiplyAdd(va, Vector256.LoadUnsafe(ref px, (nuint)i), Vector256.LoadUnsafe(ref py, (nuint)i))
                .StoreUnsafe(ref py, (nuint)i);
        }
        for (; i < n; i++)
        {
            Unsafe.Add(ref py, i) += a * Unsafe.Add(ref px, i);
        }
    }

    /// <summary>y += a·x with x widened to double: sums of many float rows (K-Means centers) kept in double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AxpyWidened(double a, ReadOnlySpan<float> x, Span<double> y)
    {
        if (x.Length != y.Length)
        {
            throw new ArgumentException("spans differ in length");
        }
        if (!Vector256.IsHardwareAccelerated || x.Length < Vector256<float>.Count)
        {
            BlasScalar.AxpyWidened(a, x, y);
            return;
        }
        ref var px = ref MemoryMarshal.GetReference(x);
        ref var py = ref MemoryMarshal.GetReference(y);
        var va = Vector256.Create(a);
        var n = x.Length;
        var i = 0;
        for (; i <= n - 8; i += 8)
        {
            var (lo, hi) = Vector256.Widen(Vector256.LoadUnsafe(ref px, (nuint)i));
            Vector256.FusedMultiplyAdd(va, lo, Vector256.LoadUnsafe(ref py, (nuint)i)).StoreUnsafe(ref py, (nuint)i);
            Vector256.FusedMultiplyAdd(va, hi, Vector256.LoadUnsafe(ref py, (nuint)(i + 4))).StoreUnsafe(ref py, (nuint)(i + 4));
        }
        for (; i < n; i++)
        {
            Unsafe.Add(ref py, i) += a * Unsafe.Add(ref px, i);
        }
    }

    /// <summary>Σ (x−y)², without the square root TensorPrimitives.Distance would take and we would undo.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float SquaredDistance(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        if (x.Length != y.Length)
        {
            throw new ArgumentException("spans differ in length");
        }
        if (!Vector256.IsHardwareAccelerated || x.Length < Vector256<float>.Count)
        {
            return BlasScalar.SquaredDistance(x, y);
        }
        ref var px = ref MemoryMarshal.GetReference(x);
        ref var py = ref MemoryMarshal.GetReference(y);
        var acc0 = Vector256<float>.Zero;
        var acc1 = Vector256<float>.Zero;
        var n = x.Length;
        var i = 0;
        for (; i <= n - 16; i += 16)
        {
            var d0 = Vector256.LoadUnsafe(ref px, (nuint)i) - Vector256.LoadUnsafe(ref py, (nuint)i);
            var d1 = Vector256.LoadUnsafe(ref px, (nuint)(i + 8)) - Vector256.LoadUnsafe(ref py, (nuint)(i + 8));
            acc0 = Vector256.FusedMultiplyAdd(d0, d0, acc0);
            acc1 = Vector256.FusedMultiplyAdd(d1, d1, acc1);
        }
        for (; i <= n - 8; i += 8)
        {
            var d = Vector256.LoadUnsafe(ref px, (nuint)i) - Vector256.LoadUnsafe(ref py, (nuint)i);
            acc0 = Vector256.FusedMultiplyAdd(d, d, acc0);
        }
        var sum = Vector256.Sum(acc0 + acc1);
        for (; i < n; i++)
        {
            var d = Unsafe.Add(ref px, i) - Unsafe.Add(ref py, i);
            sum += d * d;
        }
        return sum;
    }

    /// <summary>
    /// Σ max(x−max, 0) + max(min−x, 0): how much the box [min, max] grows, summed over the
    /// dimensions, when it must also hold x. Random Cut Forest's chance of cutting x off a subtree.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    /// <summary>The squared distance accumulated in double: for bounds and thresholds that must not
    /// round below the float kernels' results.</summary>
    public static double SquaredDistanceInDouble(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        var s = 0.0;
        for (var i = 0; i < x.Length; i++)
        {
            var d = (double)x[i] - y[i];
            s += d * d;
        }
        return s;
    }

    public static float BoxExpansion(ReadOnlySpan<float> x, ReadOnlySpan<float> min, ReadOnlySpan<float> max)
    {
        if (x.Length != min.Length || x.Length != max.Length)
        {
            throw new ArgumentException("spans differ in length");
        }
        if (!Vector256.IsHardwareAccelerated || x.Length < Vector256<float>.Count)
        {
            return BlasScalar.BoxExpansion(x, min, max);
        }
        ref var px = ref MemoryMarshal.GetReference(x);
        ref var pmin = ref MemoryMarshal.GetReference(min);
        ref var pmax = ref MemoryMarshal.GetReference(max);
        var acc = Vector256<float>.Zero;
        var n = x.Length;
        var i = 0;
        for (; i <= n - 8; i += 8)
        {
            var v = Vector256.LoadUnsafe(ref px, (nuint)i);
            acc += Vector256.Max(v - Vector256.LoadUnsafe(ref pmax, (nuint)i), Vector256<float>.Zero)
                + Vector256.Max(Vector256.LoadUnsafe(ref pmin, (nuint)i) - v, Vector256<float>.Zero);
        }
        var sum = Vector256.Sum(acc);
        for (; i < n; i++)
        {
            var v = Unsafe.Add(ref px, i);
            sum += MathF.Max(v - Unsafe.Add(ref pmax, i), 0) + MathF.Max(Unsafe.Add(ref pmin, i) - v, 0);
        }
        return sum;
    }

    /// <summary>y = A·x for row-major A (rows × x.Length).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Gemv(ReadOnlySpan<float> a, int rows, ReadOnlySpan<float> x, Span<float> y)
    {
        var cols = x.Length;
        for (var i = 0; i < rows; i++)
        {
            y[i] = Dot(a.Slice(i * cols, cols), x);
        }
    }

    /// <summary>C = A·B for row-major A (m × k), B (k × n), C (m × n).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Gemm(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n)
    {
        // Row i of C is a sum of rows of B weighted by row i of A: contiguous axpys vectorize well.
        c[..(m * n)].Clear();
        for (var i = 0; i < m; i++)
        {
            var ci = c.Slice(i * n, n);
            for (var p = 0; p < k; p++)
            {
                var aip = a[i * k + p];
                if (aip != 0f)
                {
                    Axpy(aip, b.Slice(p * n, n), ci);
                }
            }
        }
    }

    /// <summary>
    /// C = A·Bᵀ for row-major A (m × k), B (n × k), C (m × n): every dot product of a row of A
    /// with a row of B, the core of k-NN and K-Means distances (‖a−b‖² = ‖a‖² − 2a·b + ‖b‖²).
    /// Rows are taken two of A by four of B so each loaded vector feeds several FMAs.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GemmTransB(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n)
    {
        if (!Vector256.IsHardwareAccelerated || k < Vector256<float>.Count)
        {
            BlasScalar.GemmTransB(a, b, c, m, k, n);
            return;
        }
        var i = 0;
        for (; i <= m - 2; i += 2)
        {
            var a0 = a.Slice(i * k, k);
            var a1 = a.Slice((i + 1) * k, k);
            var j = 0;
            for (; j <= n - 4; j += 4)
            {
                Tile2x4(a0, a1, b.Slice(j * k, 4 * k), k, c.Slice(i * n + j), c.Slice((i + 1) * n + j));
            }
            for (; j < n; j++)
            {
                var bj = b.Slice(j * k, k);
                c[i * n + j] = Dot(a0, bj);
                c[(i + 1) * n + j] = Dot(a1, bj);
            }
        }
        for (; i < m; i++)
        {
            var ai = a.Slice(i * k, k);
            for (var j = 0; j < n; j++)
            {
                c[i * n + j] = Dot(ai, b.Slice(j * k, k));
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile2x4(ReadOnlySpan<float> a0, ReadOnlySpan<float> a1, ReadOnlySpan<float> b, int k,
        Span<float> c0, Span<float> c1)
    {
        ref var pa0 = ref MemoryMarshal.GetReference(a0);
        ref var pa1 = ref MemoryMarshal.GetReference(a1);
        ref var pb = ref MemoryMarshal.GetReference(b);
        Vector256<float> s00 = default, s01 = default, s02 = default, s03 = default;
        Vector256<float> s10 = default, s11 = default, s12 = default, s13 = default;
        var p = 0;
        for (; p <= k - 8; p += 8)
        {
            var x0 = Vector256.LoadUnsafe(ref pa0, (nuint)p);
            var x1 = Vector256.LoadUnsafe(ref pa1, (nuint)p);
            var y0 = Vector256.LoadUnsafe(ref pb, (nuint)p);
            var y1 = Vector256.LoadUnsafe(ref pb, (nuint)(k + p));
            var y2 = Vector256.LoadUnsafe(ref pb, (nuint)(2 * k + p));
            var y3 = Vector256.LoadUnsafe(ref pb, (nuint)(3 * k + p));
            s00 = Vector256.FusedMultiplyAdd(x0, y0, s00);
            s01 = Vector256.FusedMultiplyAdd(x0, y1, s01);
            s02 = Vector256.FusedMultiplyAdd(x0, y2, s02);
            s03 = Vector256.FusedMultiplyAdd(x0, y3, s03);
            s10 = Vector256.FusedMultiplyAdd(x1, y0, s10);
            s11 = Vector256.FusedMultiplyAdd(x1, y1, s11);
            s12 = Vector256.FusedMultiplyAdd(x1, y2, s12);
            s13 = Vector256.FusedMultiplyAdd(x1, y3, s13);
        }
        float r00 = Vector256.Sum(s00), r01 = Vector256.Sum(s01), r02 = Vector256.Sum(s02), r03 = Vector256.Sum(s03);
        float r10 = Vector256.Sum(s10), r11 = Vector256.Sum(s11), r12 = Vector256.Sum(s12), r13 = Vector256.Sum(s13);
        for (; p < k; p++)
        {
            var x0 = Unsafe.Add(ref pa0, p);
            var x1 = Unsafe.Add(ref pa1, p);
            var y0 = Unsafe.Add(ref pb, p);
            var y1 = Unsafe.Add(ref pb, k + p);
            var y2 = Unsafe.Add(ref pb, 2 * k + p);
            var y3 = Unsafe.Add(ref pb, 3 * k + p);
            r00 += x0 * y0; r01 += x0 * y1; r02 += x0 * y2; r03 += x0 * y3;
            r10 += x1 * y0; r11 += x1 * y1; r12 += x1 * y2; r13 += x1 * y3;
        }
        c0[0] = r00; c0[1] = r01; c0[2] = r02; c0[3] = r03;
        c1[0] = r10; c1[1] = r11; c1[2] = r12; c1[3] = r13;
    }
}

/// <summary>Plain loops: the reference the vectorized kernels are tested against, and their fallback.</summary>
public static class BlasScalar
{
    public static float Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        var s = 0f;
        for (var i = 0; i < x.Length; i++)
        {
            s += x[i] * y[i];
        }
        return s;
    }

    public static void Axpy(float a, ReadOnlySpan<float> x, Span<float> y)
    {
        for (var i = 0; i < x.Length; i++)
        {
            y[i] += a * x[i];
        }
    }

    public static void AxpyWidened(double a, ReadOnlySpan<float> x, Span<double> y)
    {
        for (var i = 0; i < x.Length; i++)
        {
            y[i] += a * x[i];
        }
    }

    public static float SquaredDistance(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        var s = 0f;
        for (var i = 0; i < x.Length; i++)
        {
            var d = x[i] - y[i];
            s += d * d;
        }
        return s;
    }

    /// <summary>The squared distance accumulated in double: for bounds and thresholds that must not
    /// round below the float kernels' results.</summary>
    public static double SquaredDistanceInDouble(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        var s = 0.0;
        for (var i = 0; i < x.Length; i++)
        {
            var d = (double)x[i] - y[i];
            s += d * d;
        }
        return s;
    }

    public static float BoxExpansion(ReadOnlySpan<float> x, ReadOnlySpan<float> min, ReadOnlySpan<float> max)
    {
        var s = 0f;
        for (var i = 0; i < x.Length; i++)
        {
            s += MathF.Max(x[i] - max[i], 0) + MathF.Max(min[i] - x[i], 0);
        }
        return s;
    }

    public static void Gemv(ReadOnlySpan<float> a, int rows, ReadOnlySpan<float> x, Span<float> y)
    {
        for (var i = 0; i < rows; i++)
        {
            y[i] = Dot(a.Slice(i * x.Length, x.Length), x);
        }
    }

    public static void Gemm(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n)
    {
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                var s = 0f;
                for (var p = 0; p < k; p++)
                {
                    s += a[i * k + p] * b[p * n + j];
                }
                c[i * n + j] = s;
            }
        }
    }

    public static void GemmTransB(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n)
    {
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                c[i * n + j] = Dot(a.Slice(i * k, k), b.Slice(j * k, k));
            }
        }
    }
}
