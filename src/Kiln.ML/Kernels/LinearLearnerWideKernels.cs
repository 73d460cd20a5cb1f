using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Kiln.ML.Kernels;
/// <summary>
/// <see cref="LinearLearnerKernels.Forward"/> and <see cref="LinearLearnerKernels.AccumulateGradient"/>
/// with Vector256 and fused multiply-adds, for large data sets: twice the width and half the
/// instructions, at the price of compiling them at run time (ReadyToRun cannot precompile them;
/// see <see cref="LinearLearnerKernels"/>), which only pays on an epoch of millions of
/// multiply-adds. Without Vector256 they are the Vector128 kernels.
/// </summary>
public static class LinearLearnerWideKernels
{
    /// <summary>
    /// z[q·n + i] = bias[q] + Σ_j w[q·d + j] · xt[j·n + i] for q &lt; p, i &lt; n, summed in j order:
    /// each output row is computed the same way wherever it falls in a tile, so a model's
    /// result does not depend on which other models are stepped with it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward(ReadOnlySpan<float> w, ReadOnlySpan<float> bias, int p, int d, ReadOnlySpan<float> xt, int n, Span<float> z)
    {
        LinearLearnerKernels.CheckForward(w, bias, p, d, xt, n, z);
        if (!Vector256.IsHardwareAccelerated)
        {
            LinearLearnerKernels.Forward(w, bias, p, d, xt, n, z);
            return;
        }
        ref var pw = ref MemoryMarshal.GetReference(w);
        ref var px = ref MemoryMarshal.GetReference(xt);
        ref var pz = ref MemoryMarshal.GetReference(z);
        var q = 0;
        for (; q <= p - 4; q += 4)
        {
            ref var w0 = ref Unsafe.Add(ref pw, q * d);
            ref var w1 = ref Unsafe.Add(ref pw, (q + 1) * d);
            ref var w2 = ref Unsafe.Add(ref pw, (q + 2) * d);
            ref var w3 = ref Unsafe.Add(ref pw, (q + 3) * d);
            var i = 0;
            for (; i <= n - 8; i += 8)
            {
                var a0 = Vector256.Create(bias[q]);
                var a1 = Vector256.Create(bias[q + 1]);
                var a2 = Vector256.Create(bias[q + 2]);
                var a3 = Vector256.Create(bias[q + 3]);
                for (var j = 0; j < d; j++)
                {
                    var x = Vector256.LoadUnsafe(ref px, (nuint)(j * n + i));
                    a0 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref w0, j)), x, a0);
                    a1 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref w1, j)), x, a1);
                    a2 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref w2, j)), x, a2);
                    a3 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref w3, j)), x, a3);
                }
                a0.StoreUnsafe(ref pz, (nuint)(q * n + i));
                a1.StoreUnsafe(ref pz, (nuint)((q + 1) * n + i));
                a2.StoreUnsafe(ref pz, (nuint)((q + 2) * n + i));
                a3.StoreUnsafe(ref pz, (nuint)((q + 3) * n + i));
            }
            for (; i < n; i++)
            {
                for (var k = q; k < q + 4; k++)
                {
                    z[k * n + i] = ForwardOne(w.Slice(k * d, d), bias[k], xt, n, i);
                }
            }
        }
        for (; q < p; q++)
        {
            ref var wq = ref Unsafe.Add(ref pw, q * d);
            var i = 0;
            for (; i <= n - 8; i += 8)
            {
                var a = Vector256.Create(bias[q]);
                for (var j = 0; j < d; j++)
                {
                    a = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref wq, j)), Vector256.LoadUnsafe(ref px, (nuint)(j * n + i)), a);
                }
                a.StoreUnsafe(ref pz, (nuint)(q * n + i));
            }
            for (; i < n; i++)
            {
                z[q * n + i] = ForwardOne(w.Slice(q * d, d), bias[q], xt, n, i);
            }
        }
    }

    /// <summary>
    /// gw[q·d + j] += Σ_i g[q·n + i] · xt[j·n + i] and gb[q] += Σ_i g[q·n + i]: the gradient of p
    /// output rows summed over a chunk's n rows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AccumulateGradient(ReadOnlySpan<float> g, int p, int n, ReadOnlySpan<float> xt, int d, Span<float> gw, Span<float> gb)
    {
        LinearLearnerKernels.CheckGradient(g, p, n, xt, d, gw, gb);
        if (!Vector256.IsHardwareAccelerated || n < Vector256<float>.Count)
        {
            LinearLearnerKernels.AccumulateGradient(g, p, n, xt, d, gw, gb);
            return;
        }
        ref var pg = ref MemoryMarshal.GetReference(g);
        ref var px = ref MemoryMarshal.GetReference(xt);
        var q = 0;
        for (; q <= p - 4; q += 4)
        {
            ref var g0 = ref Unsafe.Add(ref pg, q * n);
            ref var g1 = ref Unsafe.Add(ref pg, (q + 1) * n);
            ref var g2 = ref Unsafe.Add(ref pg, (q + 2) * n);
            ref var g3 = ref Unsafe.Add(ref pg, (q + 3) * n);
            for (var j = 0; j < d; j++)
            {
                ref var xj = ref Unsafe.Add(ref px, j * n);
                Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
                var i = 0;
                for (; i <= n - 8; i += 8)
                {
                    var x = Vector256.LoadUnsafe(ref xj, (nuint)i);
                    a0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref g0, (nuint)i), x, a0);
                    a1 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref g1, (nuint)i), x, a1);
                    a2 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref g2, (nuint)i), x, a2);
                    a3 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref g3, (nuint)i), x, a3);
                }
                float s0 = Vector256.Sum(a0), s1 = Vector256.Sum(a1), s2 = Vector256.Sum(a2), s3 = Vector256.Sum(a3);
                for (; i < n; i++)
                {
                    var x = Unsafe.Add(ref xj, i);
                    s0 += Unsafe.Add(ref g0, i) * x;
                    s1 += Unsafe.Add(ref g1, i) * x;
                    s2 += Unsafe.Add(ref g2, i) * x;
                    s3 += Unsafe.Add(ref g3, i) * x;
                }
                gw[q * d + j] += s0;
                gw[(q + 1) * d + j] += s1;
                gw[(q + 2) * d + j] += s2;
                gw[(q + 3) * d + j] += s3;
            }
        }
        for (; q < p; q++)
        {
            ref var gq = ref Unsafe.Add(ref pg, q * n);
            for (var j = 0; j < d; j++)
            {
                // One accumulator, as each row of the 4-row tile has: the sum does not depend on the tiling.
                ref var xj = ref Unsafe.Add(ref px, j * n);
                var a = Vector256<float>.Zero;
                var i = 0;
                for (; i <= n - 8; i += 8)
                {
                    a = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref gq, (nuint)i), Vector256.LoadUnsafe(ref xj, (nuint)i), a);
                }
                var s = Vector256.Sum(a);
                for (; i < n; i++)
                {
                    s += Unsafe.Add(ref gq, i) * Unsafe.Add(ref xj, i);
                }
                gw[q * d + j] += s;
            }
        }
        for (q = 0; q < p; q++)
        {
            gb[q] += LinearLearnerKernels.Sum(g.Slice(q * n, n));
        }
    }

    /// <summary>bias + Σ_j w[j]·xt[j·n + i], fused in j order as each lane of <see cref="Forward"/> computes it.</summary>
    private static float ForwardOne(ReadOnlySpan<float> w, float bias, ReadOnlySpan<float> xt, int n, int i)
    {
        var a = bias;
        for (var j = 0; j < w.Length; j++)
        {
            a = MathF.FusedMultiplyAdd(w[j], xt[j * n + i], a);
        }
        return a;
    }
}
