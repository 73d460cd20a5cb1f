using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Kiln.ML.Kernels;
/// <summary>Plain loops: the reference <see cref="LinearLearnerKernels"/> is tested against, and its fallback and tails.</summary>
public static class LinearLearnerKernelsScalar
{
    public static void Forward(ReadOnlySpan<float> w, ReadOnlySpan<float> bias, int p, int d, ReadOnlySpan<float> xt, int n, Span<float> z)
    {
        for (var q = 0; q < p; q++)
        {
            for (var i = 0; i < n; i++)
            {
                z[q * n + i] = ForwardOne(w.Slice(q * d, d), bias[q], xt, n, i);
            }
        }
    }

    /// <summary>bias + Σ_j w[j]·xt[j·n + i], in j order, as each lane of the vector kernel computes it.</summary>
    public static float ForwardOne(ReadOnlySpan<float> w, float bias, ReadOnlySpan<float> xt, int n, int i)
    {
        var a = bias;
        for (var j = 0; j < w.Length; j++)
        {
            a += w[j] * xt[j * n + i];
        }
        return a;
    }

    public static void AccumulateGradient(ReadOnlySpan<float> g, int p, int n, ReadOnlySpan<float> xt, int d, Span<float> gw, Span<float> gb)
    {
        for (var q = 0; q < p; q++)
        {
            var bias = 0f;
            for (var i = 0; i < n; i++)
            {
                bias += g[q * n + i];
            }
            gb[q] += bias;
            for (var j = 0; j < d; j++)
            {
                var s = 0f;
                for (var i = 0; i < n; i++)
                {
                    s += g[q * n + i] * xt[j * n + i];
                }
                gw[q * d + j] += s;
            }
        }
    }

    public static double LossGradient(LinearLoss loss, ReadOnlySpan<float> z, ReadOnlySpan<float> y, Span<float> g, float positiveWeight,
        float parameter)
    {
        double sum = 0;
        for (var i = 0; i < z.Length; i++)
        {
            var zi = z[i];
            var yi = y[i];
            switch (loss)
            {
                case LinearLoss.Squared:
                {
                    var r = zi - yi;
                    g[i] = r;
                    sum += 0.5f * r * r;
                    break;
                }
                case LinearLoss.Absolute:
                {
                    var r = zi - yi;
                    g[i] = MathF.Sign(r);
                    sum += MathF.Abs(r);
                    break;
                }
                case LinearLoss.Huber:
                {
                    var r = zi - yi;
                    var a = MathF.Abs(r);
                    g[i] = Math.Clamp(r, -parameter, parameter);
                    sum += a <= parameter ? 0.5f * r * r : parameter * (a - 0.5f * parameter);
                    break;
                }
                case LinearLoss.Logistic:
                {
                    // With e = exp(−|z|): P(1) = 1/(1+e) for z ≥ 0, e/(1+e) below; the loss
                    // log(1+e^z) − y·z = max(z, 0) + log(1+e) − y·z stays finite for any z.
                    var weight = yi == 1f ? positiveWeight : 1f;
                    var e = MathF.Exp(-MathF.Abs(zi));
                    var prob = (zi >= 0 ? 1f : e) / (1f + e);
                    g[i] = weight * (prob - yi);
                    sum += weight * (MathF.Max(zi, 0) + MathF.Log(1f + e) - yi * zi);
                    break;
                }
                case LinearLoss.Hinge:
                {
                    var sign = yi == 1f ? 1f : -1f;
                    var weight = yi == 1f ? positiveWeight : 1f;
                    var m = parameter - sign * zi;
                    g[i] = m > 0 ? -sign * weight : 0f;
                    sum += weight * MathF.Max(m, 0);
                    break;
                }
                default:
                    throw new ArgumentException("softmax has its own kernel", nameof(loss));
            }
        }
        return sum;
    }

    public static double SoftmaxGradient(ReadOnlySpan<float> z, int classes, int n, ReadOnlySpan<float> y, Span<float> g)
    {
        Softmax(z, classes, n, g, 0);
        return CrossEntropy(g, classes, n, y, 0, n);
    }

    /// <summary>For rows [from, to): −log p(label) summed, and the label's probability in p lowered by one.</summary>
    public static double CrossEntropy(Span<float> p, int classes, int n, ReadOnlySpan<float> y, int from, int to)
    {
        double sum = 0;
        for (var i = from; i < to; i++)
        {
            var label = (int)y[i];
            if (label < 0 || label >= classes)
            {
                throw new ArgumentException($"label {y[i]} is not a class index", nameof(y));
            }
            sum -= MathF.Log(MathF.Max(p[label * n + i], 1e-30f));
            p[label * n + i] -= 1f;
        }
        return sum;
    }

    /// <summary>Softmax of columns [from, n) of z (classes × n).</summary>
    public static void Softmax(ReadOnlySpan<float> z, int classes, int n, Span<float> into, int from)
    {
        for (var i = from; i < n; i++)
        {
            var max = float.NegativeInfinity;
            for (var c = 0; c < classes; c++)
            {
                max = MathF.Max(max, z[c * n + i]);
            }
            var sum = 0f;
            for (var c = 0; c < classes; c++)
            {
                into[c * n + i] = MathF.Exp(z[c * n + i] - max);
                sum += into[c * n + i];
            }
            for (var c = 0; c < classes; c++)
            {
                into[c * n + i] /= sum;
            }
        }
    }

    public static void Sigmoid(Span<float> z)
    {
        for (var i = 0; i < z.Length; i++)
        {
            z[i] = 1f / (1f + MathF.Exp(-z[i]));
        }
    }

    /// <summary>Adam from element <paramref name="from"/> on; see <see cref="LinearLearnerKernels.Adam"/>.</summary>
    public static void Adam(Span<float> w, Span<float> m, Span<float> v, ReadOnlySpan<float> gsum, float scale, float wd, float lr,
        float beta1, float beta2, float c1, float c2, int from)
    {
        for (var k = from; k < w.Length; k++)
        {
            var g = gsum[k] * scale + wd * w[k];
            m[k] = beta1 * m[k] + (1 - beta1) * g;
            v[k] = beta2 * v[k] + (1 - beta2) * g * g;
            w[k] -= lr * (m[k] / c1 / (MathF.Sqrt(v[k] / c2) + 1e-8f));
        }
    }

    public static void Sgd(Span<float> w, Span<float> m, ReadOnlySpan<float> gsum, float scale, float wd, float lr, float momentum, int from)
    {
        for (var k = from; k < w.Length; k++)
        {
            var g = gsum[k] * scale + wd * w[k];
            m[k] = momentum * m[k] + g;
            w[k] -= lr * m[k];
        }
    }

    public static void RmsProp(Span<float> w, Span<float> m, Span<float> v, ReadOnlySpan<float> gsum, float scale, float wd, float lr,
        float momentum, int from)
    {
        for (var k = from; k < w.Length; k++)
        {
            var g = gsum[k] * scale + wd * w[k];
            v[k] = 0.9f * v[k] + 0.1f * g * g;
            m[k] = momentum * m[k] + g / (MathF.Sqrt(v[k]) + 1e-8f);
            w[k] -= lr * m[k];
        }
    }

    public static void SoftThreshold(Span<float> w, float shrink, int from)
    {
        for (var k = from; k < w.Length; k++)
        {
            w[k] = MathF.CopySign(MathF.Max(MathF.Abs(w[k]) - shrink, 0), w[k]);
        }
    }
}
