using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Kiln.ML.Kernels;

/// <summary>The losses Linear Learner trains with (SageMaker's loss hyperparameter).</summary>
public enum LinearLoss
{
    Squared,
    Absolute,
    Huber,
    Logistic,
    Hinge,
    Softmax,
}

/// <summary>
/// Linear Learner's mini-batch kernels. A chunk of a batch is held column-major (xt is d × n: each
/// feature's values for the chunk's n rows are contiguous), so every kernel runs along the rows, 4 to
/// a Vector128, whatever the number of features, and the forward pass needs no horizontal sums. The p
/// rows of the weight matrix are the outputs of every model stepped together (num_models × outputs,
/// one block of memory), so one pass over a chunk serves all the models, as SageMaker trains its
/// num_models models on each mini-batch. Output-major buffers (z, g) are p × n.
/// Each kernel has a scalar reference in <see cref="LinearLearnerKernelsScalar"/>, which is also the
/// fallback without hardware intrinsics (DOTNET_EnableHWIntrinsic=0).
/// </summary>
/// <remarks>
/// Vector128, not Vector256, and no AggressiveOptimization, unlike <see cref="Blas"/>: ReadyToRun
/// precompiles Vector128 code (SSE4.2, the x64 baseline it targets) but neither Vector256 code nor
/// AggressiveOptimization methods, and on a small training set the JIT is the cost. On
/// california-housing (16k rows × 8 features, 15 epochs × 4 models) compiling the Vector256 kernels
/// took 8 ms of the first mini-batch, about as long as the rest of training; the arithmetic runs
/// 0.3 ms per epoch. Fused multiply-adds are left out for the same reason (FMA is outside the
/// baseline, so code using it would be compiled at run time), and the scalar references multiply
/// then add too, so the forward pass and the optimizers equal their references exactly.
/// </remarks>
public static class LinearLearnerKernels
{
    /// <summary>
    /// z[q·n + i] = bias[q] + Σ_j w[q·d + j] · xt[j·n + i] for q &lt; p, i &lt; n, summed in j order:
    /// each output row is computed the same way wherever it falls in a tile, so a model's
    /// result does not depend on which other models are stepped with it.
    /// </summary>
    public static void Forward(ReadOnlySpan<float> w, ReadOnlySpan<float> bias, int p, int d, ReadOnlySpan<float> xt, int n, Span<float> z)
    {
        CheckForward(w, bias, p, d, xt, n, z);
        if (!Vector128.IsHardwareAccelerated)
        {
            LinearLearnerKernelsScalar.Forward(w, bias, p, d, xt, n, z);
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
            for (; i <= n - 4; i += 4)
            {
                var a0 = Vector128.Create(bias[q]);
                var a1 = Vector128.Create(bias[q + 1]);
                var a2 = Vector128.Create(bias[q + 2]);
                var a3 = Vector128.Create(bias[q + 3]);
                for (var j = 0; j < d; j++)
                {
                    var x = Vector128.LoadUnsafe(ref px, (nuint)(j * n + i));
                    a0 = a0 + Vector128.Create(Unsafe.Add(ref w0, j)) * x;
                    a1 = a1 + Vector128.Create(Unsafe.Add(ref w1, j)) * x;
                    a2 = a2 + Vector128.Create(Unsafe.Add(ref w2, j)) * x;
                    a3 = a3 + Vector128.Create(Unsafe.Add(ref w3, j)) * x;
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
                    z[k * n + i] = LinearLearnerKernelsScalar.ForwardOne(w.Slice(k * d, d), bias[k], xt, n, i);
                }
            }
        }
        for (; q < p; q++)
        {
            ref var wq = ref Unsafe.Add(ref pw, q * d);
            var i = 0;
            for (; i <= n - 4; i += 4)
            {
                var a = Vector128.Create(bias[q]);
                for (var j = 0; j < d; j++)
                {
                    a = a + Vector128.Create(Unsafe.Add(ref wq, j)) * Vector128.LoadUnsafe(ref px, (nuint)(j * n + i));
                }
                a.StoreUnsafe(ref pz, (nuint)(q * n + i));
            }
            for (; i < n; i++)
            {
                z[q * n + i] = LinearLearnerKernelsScalar.ForwardOne(w.Slice(q * d, d), bias[q], xt, n, i);
            }
        }
    }

    /// <summary>
    /// gw[q·d + j] += Σ_i g[q·n + i] · xt[j·n + i] and gb[q] += Σ_i g[q·n + i]: the gradient of p
    /// output rows summed over a chunk's n rows.
    /// </summary>
    public static void AccumulateGradient(ReadOnlySpan<float> g, int p, int n, ReadOnlySpan<float> xt, int d, Span<float> gw, Span<float> gb)
    {
        CheckGradient(g, p, n, xt, d, gw, gb);
        if (!Vector128.IsHardwareAccelerated || n < Vector128<float>.Count)
        {
            LinearLearnerKernelsScalar.AccumulateGradient(g, p, n, xt, d, gw, gb);
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
                Vector128<float> a0 = default, a1 = default, a2 = default, a3 = default;
                var i = 0;
                for (; i <= n - 4; i += 4)
                {
                    var x = Vector128.LoadUnsafe(ref xj, (nuint)i);
                    a0 += Vector128.LoadUnsafe(ref g0, (nuint)i) * x;
                    a1 += Vector128.LoadUnsafe(ref g1, (nuint)i) * x;
                    a2 += Vector128.LoadUnsafe(ref g2, (nuint)i) * x;
                    a3 += Vector128.LoadUnsafe(ref g3, (nuint)i) * x;
                }
                float s0 = Vector128.Sum(a0), s1 = Vector128.Sum(a1), s2 = Vector128.Sum(a2), s3 = Vector128.Sum(a3);
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
                var a = Vector128<float>.Zero;
                var i = 0;
                for (; i <= n - 4; i += 4)
                {
                    a += Vector128.LoadUnsafe(ref gq, (nuint)i) * Vector128.LoadUnsafe(ref xj, (nuint)i);
                }
                var s = Vector128.Sum(a);
                for (; i < n; i++)
                {
                    s += Unsafe.Add(ref gq, i) * Unsafe.Add(ref xj, i);
                }
                gw[q * d + j] += s;
            }
        }
        for (q = 0; q < p; q++)
        {
            gb[q] += Sum(g.Slice(q * n, n));
        }
    }

    /// <summary>
    /// Loss of one output per row (every loss but softmax) and its gradient with respect to z, for n
    /// rows; returns the loss summed over them. <paramref name="parameter"/> is huber_delta for the
    /// Huber loss and margin for the hinge loss; positive rows (y = 1) of the classification losses
    /// weigh <paramref name="positiveWeight"/>.
    /// </summary>
    public static double LossGradient(LinearLoss loss, ReadOnlySpan<float> z, ReadOnlySpan<float> y, Span<float> g, float positiveWeight,
        float parameter)
    {
        var n = z.Length;
        if (y.Length < n || g.Length < n || loss == LinearLoss.Softmax)
        {
            throw new ArgumentException("spans too short, or softmax (use SoftmaxGradient)");
        }
        if (!Vector128.IsHardwareAccelerated || n < Vector128<float>.Count)
        {
            return LinearLearnerKernelsScalar.LossGradient(loss, z, y, g, positiveWeight, parameter);
        }
        var whole = n & ~3;
        // Logistic has its own method: Vector128.Exp and Log use instructions beyond ReadyToRun's
        // baseline, so code calling them is compiled at run time; kept apart, the other losses stay
        // precompiled. That method, softmax and sigmoid are AggressiveOptimization instead, so they
        // are compiled optimized once rather than run as tier-0 code until tiering catches up
        // (which made adult-income's training three times slower).
        var sum = loss == LinearLoss.Logistic
            ? Logistic(z[..whole], y, g, positiveWeight)
            : Piecewise(loss, z[..whole], y, g, positiveWeight, parameter);
        if (whole < n)
        {
            sum += LinearLearnerKernelsScalar.LossGradient(loss, z[whole..], y[whole..n], g[whole..n], positiveWeight, parameter);
        }
        return sum;
    }

    /// <summary>Squared, absolute, Huber and hinge losses over whole vectors of rows (z.Length a multiple of 4).</summary>
    private static double Piecewise(LinearLoss loss, ReadOnlySpan<float> z, ReadOnlySpan<float> y, Span<float> g, float positiveWeight,
        float parameter)
    {
        ref var pz = ref MemoryMarshal.GetReference(z);
        ref var py = ref MemoryMarshal.GetReference(y);
        ref var pg = ref MemoryMarshal.GetReference(g);
        var half = Vector128.Create(0.5f);
        var one = Vector128<float>.One;
        var p = Vector128.Create(parameter);
        var pw = Vector128.Create(positiveWeight);
        var acc = Vector128<float>.Zero;
        for (var i = 0; i < z.Length; i += 4)
        {
            var zi = Vector128.LoadUnsafe(ref pz, (nuint)i);
            var yi = Vector128.LoadUnsafe(ref py, (nuint)i);
            Vector128<float> gi, li;
            switch (loss)
            {
                case LinearLoss.Squared:
                {
                    var r = zi - yi;
                    gi = r;
                    li = half * r * r;
                    break;
                }
                case LinearLoss.Absolute:
                {
                    var r = zi - yi;
                    // sign(r): ±1, and 0 where r is 0.
                    gi = (Vector128.GreaterThan(r, Vector128<float>.Zero) & one) - (Vector128.LessThan(r, Vector128<float>.Zero) & one);
                    li = Vector128.Abs(r);
                    break;
                }
                case LinearLoss.Huber:
                {
                    var r = zi - yi;
                    var a = Vector128.Abs(r);
                    gi = Vector128.Min(Vector128.Max(r, -p), p);
                    li = Vector128.ConditionalSelect(Vector128.LessThanOrEqual(a, p), half * r * r, p * (a - half * p));
                    break;
                }
                default:
                {
                    var isPositive = Vector128.Equals(yi, one);
                    var sign = Vector128.ConditionalSelect(isPositive, one, -one);
                    var weight = Vector128.ConditionalSelect(isPositive, pw, one);
                    var m = p - sign * zi;
                    gi = Vector128.GreaterThan(m, Vector128<float>.Zero) & (-sign * weight);
                    li = weight * Vector128.Max(m, Vector128<float>.Zero);
                    break;
                }
            }
            gi.StoreUnsafe(ref pg, (nuint)i);
            acc += li;
        }
        return Vector128.Sum(acc);
    }

    /// <summary>The logistic loss over whole vectors of rows (z.Length a multiple of 4).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double Logistic(ReadOnlySpan<float> z, ReadOnlySpan<float> y, Span<float> g, float positiveWeight)
    {
        ref var pz = ref MemoryMarshal.GetReference(z);
        ref var py = ref MemoryMarshal.GetReference(y);
        ref var pg = ref MemoryMarshal.GetReference(g);
        var one = Vector128<float>.One;
        var pw = Vector128.Create(positiveWeight);
        var acc = Vector128<float>.Zero;
        for (var i = 0; i < z.Length; i += 4)
        {
            var zi = Vector128.LoadUnsafe(ref pz, (nuint)i);
            var yi = Vector128.LoadUnsafe(ref py, (nuint)i);
            var weight = Vector128.ConditionalSelect(Vector128.Equals(yi, one), pw, one);
            var e = Vector128.Exp(-Vector128.Abs(zi));
            var prob = Vector128.ConditionalSelect(Vector128.GreaterThanOrEqual(zi, Vector128<float>.Zero), one, e) / (one + e);
            (weight * (prob - yi)).StoreUnsafe(ref pg, (nuint)i);
            acc += weight * (Vector128.Max(zi, Vector128<float>.Zero) + Vector128.Log(one + e) - yi * zi);
        }
        return Vector128.Sum(acc);
    }

    /// <summary>
    /// result = x (rows × d, row-major) with each NaN replaced by its column's mean, then (v − mean) / scale,
    /// element by element as <c>ColumnStats.ApplyRow</c> computes it (the same float operations, so the
    /// same numbers). Four rows (4·d values, d whole vectors) at a time against the means and scales
    /// repeated four times; the rows left over one by one.
    /// </summary>
    public static void Standardize(ReadOnlySpan<float> x, int d, ReadOnlySpan<float> mean, ReadOnlySpan<float> scale, Span<float> result)
    {
        if (d <= 0 || x.Length % d != 0 || result.Length < x.Length || mean.Length < d || scale.Length < d)
        {
            throw new ArgumentException("x is not rows × d, or result, mean or scale is too short");
        }
        var block = 4 * d;
        var whole = Vector128.IsHardwareAccelerated ? x.Length / block * block : 0;
        if (whole > 0)
        {
            Span<float> m = block <= 1024 ? stackalloc float[block] : new float[block];
            Span<float> s = block <= 1024 ? stackalloc float[block] : new float[block];
            for (var k = 0; k < block; k++)
            {
                m[k] = mean[k % d];
                s[k] = scale[k % d];
            }
            ref var px = ref MemoryMarshal.GetReference(x);
            ref var pr = ref MemoryMarshal.GetReference(result);
            ref var pm = ref MemoryMarshal.GetReference(m);
            ref var ps = ref MemoryMarshal.GetReference(s);
            for (var start = 0; start < whole; start += block)
            {
                for (var k = 0; k < block; k += 4)
                {
                    var v = Vector128.LoadUnsafe(ref px, (nuint)(start + k));
                    var mk = Vector128.LoadUnsafe(ref pm, (nuint)k);
                    // NaN is the one value not equal to itself.
                    v = Vector128.ConditionalSelect(Vector128.Equals(v, v), v, mk);
                    ((v - mk) / Vector128.LoadUnsafe(ref ps, (nuint)k)).StoreUnsafe(ref pr, (nuint)(start + k));
                }
            }
        }
        for (var at = whole; at < x.Length; at++)
        {
            var j = at % d;
            var v = float.IsNaN(x[at]) ? mean[j] : x[at];
            result[at] = (v - mean[j]) / scale[j];
        }
    }

    /// <summary>
    /// Softmax cross-entropy of n rows over <paramref name="classes"/> outputs (z and g class-major,
    /// classes × n; y the class index): g = softmax(z) − onehot(y); returns the loss summed over the rows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double SoftmaxGradient(ReadOnlySpan<float> z, int classes, int n, ReadOnlySpan<float> y, Span<float> g)
    {
        Softmax(z, classes, n, g);
        if (!Vector128.IsHardwareAccelerated || n < Vector128<float>.Count)
        {
            return LinearLearnerKernelsScalar.CrossEntropy(g, classes, n, y, 0, n);
        }
        ref var pg = ref MemoryMarshal.GetReference(g);
        ref var py = ref MemoryMarshal.GetReference(y);
        var floor = Vector128.Create(1e-30f);
        var acc = Vector128<float>.Zero;
        var i = 0;
        for (; i <= n - 4; i += 4)
        {
            var yi = Vector128.LoadUnsafe(ref py, (nuint)i);
            var picked = Vector128<float>.Zero;
            for (var c = 0; c < classes; c++)
            {
                var isLabel = Vector128.Equals(yi, Vector128.Create((float)c));
                var pc = Vector128.LoadUnsafe(ref pg, (nuint)(c * n + i));
                picked = Vector128.ConditionalSelect(isLabel, pc, picked);
                (pc - (isLabel & Vector128<float>.One)).StoreUnsafe(ref pg, (nuint)(c * n + i));
            }
            acc -= Vector128.Log(Vector128.Max(picked, floor));
        }
        double sum = Vector128.Sum(acc);
        return sum + LinearLearnerKernelsScalar.CrossEntropy(g, classes, n, y, i, n);
    }

    /// <summary>Softmax over the <paramref name="classes"/> rows of z (classes × n) into <paramref name="into"/> (which may be z), shifted by each column's maximum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Softmax(ReadOnlySpan<float> z, int classes, int n, Span<float> into)
    {
        if (z.Length < classes * n || into.Length < classes * n)
        {
            throw new ArgumentException("spans too short");
        }
        if (!Vector128.IsHardwareAccelerated || n < Vector128<float>.Count)
        {
            LinearLearnerKernelsScalar.Softmax(z, classes, n, into, 0);
            return;
        }
        ref var pz = ref MemoryMarshal.GetReference(z);
        ref var pi = ref MemoryMarshal.GetReference(into);
        var i = 0;
        for (; i <= n - 4; i += 4)
        {
            var max = Vector128.Create(float.NegativeInfinity);
            for (var c = 0; c < classes; c++)
            {
                max = Vector128.Max(max, Vector128.LoadUnsafe(ref pz, (nuint)(c * n + i)));
            }
            var sum = Vector128<float>.Zero;
            for (var c = 0; c < classes; c++)
            {
                var e = Vector128.Exp(Vector128.LoadUnsafe(ref pz, (nuint)(c * n + i)) - max);
                e.StoreUnsafe(ref pi, (nuint)(c * n + i));
                sum += e;
            }
            for (var c = 0; c < classes; c++)
            {
                (Vector128.LoadUnsafe(ref pi, (nuint)(c * n + i)) / sum).StoreUnsafe(ref pi, (nuint)(c * n + i));
            }
        }
        LinearLearnerKernelsScalar.Softmax(z, classes, n, into, i);
    }

    /// <summary>z = 1 / (1 + e^−z), in place.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Sigmoid(Span<float> z)
    {
        if (!Vector128.IsHardwareAccelerated)
        {
            LinearLearnerKernelsScalar.Sigmoid(z);
            return;
        }
        ref var pz = ref MemoryMarshal.GetReference(z);
        var i = 0;
        for (; i <= z.Length - 4; i += 4)
        {
            (Vector128<float>.One / (Vector128<float>.One + Vector128.Exp(-Vector128.LoadUnsafe(ref pz, (nuint)i)))).StoreUnsafe(ref pz, (nuint)i);
        }
        LinearLearnerKernelsScalar.Sigmoid(z[i..]);
    }

    /// <summary>
    /// Adam on w with the gradient gsum·scale + wd·w: m and v are the moment estimates, c1 = 1 − β1^t
    /// and c2 = 1 − β2^t their bias corrections.
    /// </summary>
    public static void Adam(Span<float> w, Span<float> m, Span<float> v, ReadOnlySpan<float> gsum, float scale, float wd, float lr,
        float beta1, float beta2, float c1, float c2)
    {
        CheckUpdate(w, m, v, gsum);
        if (!Vector128.IsHardwareAccelerated)
        {
            LinearLearnerKernelsScalar.Adam(w, m, v, gsum, scale, wd, lr, beta1, beta2, c1, c2, 0);
            return;
        }
        ref var pw = ref MemoryMarshal.GetReference(w);
        ref var pm = ref MemoryMarshal.GetReference(m);
        ref var pv = ref MemoryMarshal.GetReference(v);
        ref var pg = ref MemoryMarshal.GetReference(gsum);
        Vector128<float> vs = Vector128.Create(scale), vwd = Vector128.Create(wd), vlr = Vector128.Create(lr);
        Vector128<float> b1 = Vector128.Create(beta1), b2 = Vector128.Create(beta2), ob1 = Vector128.Create(1 - beta1), ob2 = Vector128.Create(1 - beta2);
        Vector128<float> vc1 = Vector128.Create(c1), vc2 = Vector128.Create(c2), eps = Vector128.Create(1e-8f);
        var k = 0;
        for (; k <= w.Length - 4; k += 4)
        {
            var wk = Vector128.LoadUnsafe(ref pw, (nuint)k);
            var g = Vector128.LoadUnsafe(ref pg, (nuint)k) * vs + vwd * wk;
            var mk = b1 * Vector128.LoadUnsafe(ref pm, (nuint)k) + ob1 * g;
            var vk = b2 * Vector128.LoadUnsafe(ref pv, (nuint)k) + ob2 * g * g;
            mk.StoreUnsafe(ref pm, (nuint)k);
            vk.StoreUnsafe(ref pv, (nuint)k);
            (wk - vlr * (mk / vc1 / (Vector128.Sqrt(vk / vc2) + eps))).StoreUnsafe(ref pw, (nuint)k);
        }
        LinearLearnerKernelsScalar.Adam(w, m, v, gsum, scale, wd, lr, beta1, beta2, c1, c2, k);
    }

    /// <summary>SGD with momentum on w: m = momentum·m + g, w −= lr·m, g = gsum·scale + wd·w.</summary>
    public static void Sgd(Span<float> w, Span<float> m, ReadOnlySpan<float> gsum, float scale, float wd, float lr, float momentum)
    {
        CheckUpdate(w, m, m, gsum);
        if (!Vector128.IsHardwareAccelerated)
        {
            LinearLearnerKernelsScalar.Sgd(w, m, gsum, scale, wd, lr, momentum, 0);
            return;
        }
        ref var pw = ref MemoryMarshal.GetReference(w);
        ref var pm = ref MemoryMarshal.GetReference(m);
        ref var pg = ref MemoryMarshal.GetReference(gsum);
        Vector128<float> vs = Vector128.Create(scale), vwd = Vector128.Create(wd), vlr = Vector128.Create(lr), mu = Vector128.Create(momentum);
        var k = 0;
        for (; k <= w.Length - 4; k += 4)
        {
            var wk = Vector128.LoadUnsafe(ref pw, (nuint)k);
            var g = Vector128.LoadUnsafe(ref pg, (nuint)k) * vs + vwd * wk;
            var mk = mu * Vector128.LoadUnsafe(ref pm, (nuint)k) + g;
            mk.StoreUnsafe(ref pm, (nuint)k);
            (wk - vlr * mk).StoreUnsafe(ref pw, (nuint)k);
        }
        LinearLearnerKernelsScalar.Sgd(w, m, gsum, scale, wd, lr, momentum, k);
    }

    /// <summary>RMSProp with momentum on w: v = 0.9·v + 0.1·g², m = momentum·m + g/(√v + 1e-8), w −= lr·m.</summary>
    public static void RmsProp(Span<float> w, Span<float> m, Span<float> v, ReadOnlySpan<float> gsum, float scale, float wd, float lr, float momentum)
    {
        CheckUpdate(w, m, v, gsum);
        if (!Vector128.IsHardwareAccelerated)
        {
            LinearLearnerKernelsScalar.RmsProp(w, m, v, gsum, scale, wd, lr, momentum, 0);
            return;
        }
        ref var pw = ref MemoryMarshal.GetReference(w);
        ref var pm = ref MemoryMarshal.GetReference(m);
        ref var pv = ref MemoryMarshal.GetReference(v);
        ref var pg = ref MemoryMarshal.GetReference(gsum);
        Vector128<float> vs = Vector128.Create(scale), vwd = Vector128.Create(wd), vlr = Vector128.Create(lr), mu = Vector128.Create(momentum);
        Vector128<float> decay = Vector128.Create(0.9f), fresh = Vector128.Create(0.1f), eps = Vector128.Create(1e-8f);
        var k = 0;
        for (; k <= w.Length - 4; k += 4)
        {
            var wk = Vector128.LoadUnsafe(ref pw, (nuint)k);
            var g = Vector128.LoadUnsafe(ref pg, (nuint)k) * vs + vwd * wk;
            var vk = decay * Vector128.LoadUnsafe(ref pv, (nuint)k) + fresh * g * g;
            var mk = mu * Vector128.LoadUnsafe(ref pm, (nuint)k) + g / (Vector128.Sqrt(vk) + eps);
            vk.StoreUnsafe(ref pv, (nuint)k);
            mk.StoreUnsafe(ref pm, (nuint)k);
            (wk - vlr * mk).StoreUnsafe(ref pw, (nuint)k);
        }
        LinearLearnerKernelsScalar.RmsProp(w, m, v, gsum, scale, wd, lr, momentum, k);
    }

    /// <summary>The L1 proximal step: w = sign(w)·max(0, |w| − shrink), which keeps exact zeros.</summary>
    public static void SoftThreshold(Span<float> w, float shrink)
    {
        if (!Vector128.IsHardwareAccelerated)
        {
            LinearLearnerKernelsScalar.SoftThreshold(w, shrink, 0);
            return;
        }
        ref var pw = ref MemoryMarshal.GetReference(w);
        var s = Vector128.Create(shrink);
        var signBit = Vector128.Create(-0f);
        var k = 0;
        for (; k <= w.Length - 4; k += 4)
        {
            var wk = Vector128.LoadUnsafe(ref pw, (nuint)k);
            Vector128.ConditionalSelect(signBit, wk, Vector128.Max(Vector128.Abs(wk) - s, Vector128<float>.Zero)).StoreUnsafe(ref pw, (nuint)k);
        }
        LinearLearnerKernelsScalar.SoftThreshold(w, shrink, k);
    }

    internal static float Sum(ReadOnlySpan<float> x)
    {
        ref var p = ref MemoryMarshal.GetReference(x);
        var acc = Vector128<float>.Zero;
        var i = 0;
        for (; i <= x.Length - 4; i += 4)
        {
            acc += Vector128.LoadUnsafe(ref p, (nuint)i);
        }
        var s = Vector128.Sum(acc);
        for (; i < x.Length; i++)
        {
            s += Unsafe.Add(ref p, i);
        }
        return s;
    }

    internal static void CheckForward(ReadOnlySpan<float> w, ReadOnlySpan<float> bias, int p, int d, ReadOnlySpan<float> xt, int n, Span<float> z)
    {
        if (p < 0 || d < 0 || n < 0 || w.Length < p * d || bias.Length < p || xt.Length < d * n || z.Length < p * n)
        {
            throw new ArgumentException("spans too short for the given dimensions");
        }
    }

    internal static void CheckGradient(ReadOnlySpan<float> g, int p, int n, ReadOnlySpan<float> xt, int d, Span<float> gw, Span<float> gb)
    {
        if (p < 0 || d < 0 || n < 0 || g.Length < p * n || xt.Length < d * n || gw.Length < p * d || gb.Length < p)
        {
            throw new ArgumentException("spans too short for the given dimensions");
        }
    }

    private static void CheckUpdate(Span<float> w, Span<float> m, Span<float> v, ReadOnlySpan<float> gsum)
    {
        if (m.Length != w.Length || v.Length != w.Length || gsum.Length != w.Length)
        {
            throw new ArgumentException("spans differ in length");
        }
    }
}
