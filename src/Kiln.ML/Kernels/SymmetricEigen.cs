namespace Kiln.ML.Kernels;

/// <summary>
/// Eigen-decomposition of a small symmetric matrix by cyclic Jacobi rotations, in double.
/// PCA only ever decomposes a features × features covariance (or a smaller projected one), where
/// Jacobi is accurate and fast enough; MathNet.Numerics would add a dependency for this one routine.
/// </summary>
public static class SymmetricEigen
{
    /// <summary>Returns eigenvalues in descending order and the matching eigenvectors as rows (n × n, row-major).</summary>
    public static (double[] Values, double[] Vectors) Decompose(double[] matrix, int n)
    {
        var a = (double[])matrix.Clone();
        var v = new double[n * n];
        for (var i = 0; i < n; i++)
        {
            v[i * n + i] = 1;
        }
        for (var sweep = 0; sweep < 100; sweep++)
        {
            var off = 0.0;
            for (var p = 0; p < n; p++)
            {
                for (var q = p + 1; q < n; q++)
                {
                    off += a[p * n + q] * a[p * n + q];
                }
            }
            if (off < 1e-30)
            {
                break;
            }
            for (var p = 0; p < n; p++)
            {
                for (var q = p + 1; q < n; q++)
                {
                    var apq = a[p * n + q];
                    if (Math.Abs(apq) < 1e-300)
                    {
                        continue;
                    }
                    var theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
                    var t = Math.Sign(theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
                    if (theta == 0)
                    {
                        t = 1;
                    }
                    var c = 1 / Math.Sqrt(t * t + 1);
                    var s = t * c;
                    for (var k = 0; k < n; k++)
                    {
                        var akp = a[k * n + p];
                        var akq = a[k * n + q];
                        a[k * n + p] = c * akp - s * akq;
                        a[k * n + q] = s * akp + c * akq;
                    }
                    for (var k = 0; k < n; k++)
                    {
                        var apk = a[p * n + k];
                        var aqk = a[q * n + k];
                        a[p * n + k] = c * apk - s * aqk;
                        a[q * n + k] = s * apk + c * aqk;
                    }
                    for (var k = 0; k < n; k++)
                    {
                        var vkp = v[k * n + p];
                        var vkq = v[k * n + q];
                        v[k * n + p] = c * vkp - s * vkq;
                        v[k * n + q] = s * vkp + c * vkq;
                    }
                }
            }
        }
        var order = Enumerable.Range(0, n).OrderByDescending(i => a[i * n + i]).ToArray();
        var values = order.Select(i => a[i * n + i]).ToArray();
        var vectors = new double[n * n];
        for (var r = 0; r < n; r++)
        {
            for (var k = 0; k < n; k++)
            {
                vectors[r * n + k] = v[k * n + order[r]];
            }
        }
        return (values, vectors);
    }
}
