namespace Kiln.ML.Kernels;

/// <summary>
/// Eigen-decomposition of a small symmetric matrix in double: Householder reduction to tridiagonal
/// form, then the implicit QL method with Wilkinson shifts (EISPACK's tred2 and tql2, as JAMA
/// publishes them). PCA decomposes a features × features covariance (or a smaller projected one).
/// Cyclic Jacobi did the same before, but needs some ten sweeps of n² rotations: 8 ms for
/// covertype's 54 features against under 1 ms here. MathNet.Numerics would add a dependency for
/// this one routine.
/// </summary>
public static class SymmetricEigen
{
    /// <summary>Returns eigenvalues in descending order and the matching eigenvectors as rows (n × n, row-major).</summary>
    public static (double[] Values, double[] Vectors) Decompose(double[] matrix, int n)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(matrix.Length, n * n);
        var v = new double[n * n];
        Array.Copy(matrix, v, n * n);
        var d = new double[n];
        var e = new double[n];
        if (n > 0)
        {
            Tridiagonalize(v, d, e, n);
            // The rotations of QL act on columns of V; on the transpose they act on contiguous rows,
            // and its rows are the eigenvectors the caller wants.
            var w = Transpose(v, n);
            QL(w, d, e, n);
            v = w;
        }
        // Insertion sort by descending eigenvalue: Array.Sort(keys, items) over (double, int) is a
        // generic instantiation ReadyToRun does not hold, a dozen methods JIT-compiled at first call
        // (1-2 ms, more than the whole decomposition of california-housing's 13 × 13 covariance).
        var order = new int[n];
        for (var i = 0; i < n; i++)
        {
            var j = i;
            for (; j > 0 && d[order[j - 1]] < d[i]; j--)
            {
                order[j] = order[j - 1];
            }
            order[j] = i;
        }
        var values = new double[n];
        var vectors = new double[n * n];
        for (var r = 0; r < n; r++)
        {
            values[r] = d[order[r]];
            Array.Copy(v, order[r] * n, vectors, r * n, n);
        }
        return (values, vectors);
    }

    private static double[] Transpose(double[] a, int n)
    {
        var t = new double[n * n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                t[j * n + i] = a[i * n + j];
            }
        }
        return t;
    }

    /// <summary>
    /// tred2: V (row-major, holding the matrix on entry) becomes the orthogonal transformation, d the
    /// diagonal and e[1..n) the sub-diagonal of the tridiagonal form.
    /// </summary>
    private static void Tridiagonalize(double[] v, double[] d, double[] e, int n)
    {
        for (var j = 0; j < n; j++)
        {
            d[j] = v[(n - 1) * n + j];
        }
        for (var i = n - 1; i > 0; i--)
        {
            var scale = 0.0;
            var h = 0.0;
            for (var k = 0; k < i; k++)
            {
                scale += Math.Abs(d[k]);
            }
            if (scale == 0)
            {
                e[i] = d[i - 1];
                for (var j = 0; j < i; j++)
                {
                    d[j] = v[(i - 1) * n + j];
                    v[i * n + j] = 0;
                    v[j * n + i] = 0;
                }
            }
            else
            {
                for (var k = 0; k < i; k++)
                {
                    d[k] /= scale;
                    h += d[k] * d[k];
                }
                var f = d[i - 1];
                var g = Math.Sqrt(h);
                if (f > 0)
                {
                    g = -g;
                }
                e[i] = scale * g;
                h -= f * g;
                d[i - 1] = f - g;
                for (var j = 0; j < i; j++)
                {
                    e[j] = 0;
                }
                for (var j = 0; j < i; j++)
                {
                    f = d[j];
                    v[j * n + i] = f;
                    g = e[j] + v[j * n + j] * f;
                    for (var k = j + 1; k <= i - 1; k++)
                    {
                        g += v[k * n + j] * d[k];
                        e[k] += v[k * n + j] * f;
                    }
                    e[j] = g;
                }
                f = 0;
                for (var j = 0; j < i; j++)
                {
                    e[j] /= h;
                    f += e[j] * d[j];
                }
                var hh = f / (h + h);
                for (var j = 0; j < i; j++)
                {
                    e[j] -= hh * d[j];
                }
                for (var j = 0; j < i; j++)
                {
                    f = d[j];
                    g = e[j];
                    for (var k = j; k <= i - 1; k++)
                    {
                        v[k * n + j] -= f * e[k] + g * d[k];
                    }
                    d[j] = v[(i - 1) * n + j];
                    v[i * n + j] = 0;
                }
            }
            d[i] = h;
        }
        // Accumulate the transformations.
        for (var i = 0; i < n - 1; i++)
        {
            v[(n - 1) * n + i] = v[i * n + i];
            v[i * n + i] = 1;
            var h = d[i + 1];
            if (h != 0)
            {
                for (var k = 0; k <= i; k++)
                {
                    d[k] = v[k * n + i + 1] / h;
                }
                for (var j = 0; j <= i; j++)
                {
                    var g = 0.0;
                    for (var k = 0; k <= i; k++)
                    {
                        g += v[k * n + i + 1] * v[k * n + j];
                    }
                    for (var k = 0; k <= i; k++)
                    {
                        v[k * n + j] -= g * d[k];
                    }
                }
            }
            for (var k = 0; k <= i; k++)
            {
                v[k * n + i + 1] = 0;
            }
        }
        for (var j = 0; j < n; j++)
        {
            d[j] = v[(n - 1) * n + j];
            v[(n - 1) * n + j] = 0;
        }
        v[(n - 1) * n + n - 1] = 1;
        e[0] = 0;
    }

    /// <summary>
    /// tql2 on the tridiagonal (d, e); <paramref name="w"/> holds the transformation transposed (one
    /// vector per row) and ends holding the eigenvectors, row i for eigenvalue d[i].
    /// </summary>
    private static void QL(double[] w, double[] d, double[] e, int n)
    {
        for (var i = 1; i < n; i++)
        {
            e[i - 1] = e[i];
        }
        e[n - 1] = 0;
        var f = 0.0;
        var tst1 = 0.0;
        var eps = Math.Pow(2, -52);
        for (var l = 0; l < n; l++)
        {
            tst1 = Math.Max(tst1, Math.Abs(d[l]) + Math.Abs(e[l]));
            var m = l;
            while (m < n && Math.Abs(e[m]) > eps * tst1)
            {
                m++;
            }
            // e[n-1] is 0, so m stops at n-1 at the latest.
            if (m > l)
            {
                for (var iter = 0; iter < 60 * n; iter++)
                {
                    var g = d[l];
                    var p = (d[l + 1] - g) / (2 * e[l]);
                    var r = Hypot(p, 1);
                    if (p < 0)
                    {
                        r = -r;
                    }
                    d[l] = e[l] / (p + r);
                    d[l + 1] = e[l] * (p + r);
                    var dl1 = d[l + 1];
                    var h = g - d[l];
                    for (var i = l + 2; i < n; i++)
                    {
                        d[i] -= h;
                    }
                    f += h;
                    p = d[m];
                    double c = 1, c2 = 1, c3 = 1, s = 0, s2 = 0;
                    var el1 = e[l + 1];
                    for (var i = m - 1; i >= l; i--)
                    {
                        c3 = c2;
                        c2 = c;
                        s2 = s;
                        g = c * e[i];
                        h = c * p;
                        r = Hypot(p, e[i]);
                        e[i + 1] = s * r;
                        s = e[i] / r;
                        c = p / r;
                        p = c * d[i] - s * g;
                        d[i + 1] = h + s * (c * g + s * d[i]);
                        var wi = w.AsSpan(i * n, n);
                        var wi1 = w.AsSpan((i + 1) * n, n);
                        for (var k = 0; k < n; k++)
                        {
                            var t = wi1[k];
                            wi1[k] = s * wi[k] + c * t;
                            wi[k] = c * wi[k] - s * t;
                        }
                    }
                    p = -s * s2 * c3 * el1 * e[l] / dl1;
                    e[l] = s * p;
                    d[l] = c * p;
                    if (Math.Abs(e[l]) <= eps * tst1)
                    {
                        break;
                    }
                }
            }
            d[l] += f;
            e[l] = 0;
        }
    }

    private static double Hypot(double a, double b)
    {
        a = Math.Abs(a);
        b = Math.Abs(b);
        var big = Math.Max(a, b);
        if (big == 0)
        {
            return 0;
        }
        var small = Math.Min(a, b) / big;
        return big * Math.Sqrt(1 + small * small);
    }
}
