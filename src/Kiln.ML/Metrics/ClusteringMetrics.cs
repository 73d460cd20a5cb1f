using Kiln.ML.Data;
using Kiln.ML.Kernels;

namespace Kiln.ML.Metrics;

/// <summary>SageMaker K-Means' evaluation metrics, and cluster-quality scores with scikit-learn's definitions.</summary>
public static class ClusteringMetrics
{
    /// <summary>Sum of squared distances from each row to its closest center.</summary>
    public static double Ssd(ReadOnlySpan<float> squaredDistances)
    {
        var sum = 0.0;
        foreach (var d in squaredDistances)
        {
            sum += d;
        }
        return sum;
    }

    /// <summary>Mean of the squared distances: SSD divided by the row count.</summary>
    public static double Msd(ReadOnlySpan<float> squaredDistances) =>
        squaredDistances.IsEmpty ? double.NaN : Ssd(squaredDistances) / squaredDistances.Length;

    /// <summary>
    /// Mean silhouette coefficient (Rousseeuw 1987; scikit-learn's <c>silhouette_score</c>, Euclidean):
    /// per row, a = mean distance to the other rows of its cluster, b = the lowest mean distance to the
    /// rows of another cluster, s = (b − a) / max(a, b), and s = 0 for a row alone in its cluster.
    /// Exact, so O(rows²) distances: sample large sets first. Needs 2 ≤ clusters ≤ rows − 1.
    /// </summary>
    public static double Silhouette(DenseMatrix x, ReadOnlySpan<int> cluster)
    {
        ClassificationMetrics.CheckLengths(x.Rows, cluster.Length);
        var k = CountClusters(cluster);
        if (k < 2 || k > x.Rows - 1)
        {
            throw new ArgumentException($"the silhouette needs 2 to rows − 1 clusters; found {k} for {x.Rows} rows");
        }
        var size = new int[k];
        foreach (var c in cluster)
        {
            size[c]++;
        }
        var labels = cluster.ToArray();
        var total = 0.0;
        var perCluster = new double[k];
        for (var i = 0; i < x.Rows; i++)
        {
            Array.Clear(perCluster);
            var row = x.Row(i);
            for (var j = 0; j < x.Rows; j++)
            {
                if (j != i)
                {
                    perCluster[labels[j]] += Math.Sqrt(Blas.SquaredDistance(row, x.Row(j)));
                }
            }
            var own = labels[i];
            if (size[own] == 1)
            {
                continue;
            }
            var a = perCluster[own] / (size[own] - 1);
            var b = double.PositiveInfinity;
            for (var c = 0; c < k; c++)
            {
                if (c != own && size[c] > 0)
                {
                    b = Math.Min(b, perCluster[c] / size[c]);
                }
            }
            total += (b - a) / Math.Max(a, b);
        }
        return total / x.Rows;
    }

    /// <summary>
    /// Davies-Bouldin index (Davies and Bouldin 1979; scikit-learn's <c>davies_bouldin_score</c>): with
    /// Sᵢ the mean Euclidean distance of cluster i's rows to its centroid and Mᵢⱼ the distance between
    /// centroids, the mean over clusters of maxⱼ≠ᵢ (Sᵢ + Sⱼ) / Mᵢⱼ. Lower is better; 0 when every
    /// cluster is a point or all centroids coincide, as scikit-learn returns.
    /// </summary>
    public static double DaviesBouldin(DenseMatrix x, ReadOnlySpan<int> cluster)
    {
        ClassificationMetrics.CheckLengths(x.Rows, cluster.Length);
        var k = CountClusters(cluster);
        if (k < 2)
        {
            throw new ArgumentException($"the Davies-Bouldin index needs at least 2 clusters; found {k}");
        }
        var d = x.Cols;
        var centroids = new double[k * d];
        var size = new int[k];
        for (var i = 0; i < x.Rows; i++)
        {
            size[cluster[i]]++;
            var row = x.Row(i);
            for (var j = 0; j < d; j++)
            {
                centroids[cluster[i] * d + j] += row[j];
            }
        }
        for (var c = 0; c < k; c++)
        {
            for (var j = 0; j < d; j++)
            {
                centroids[c * d + j] /= Math.Max(1, size[c]);
            }
        }
        var scatter = new double[k];
        for (var i = 0; i < x.Rows; i++)
        {
            scatter[cluster[i]] += Distance(x.Row(i), centroids.AsSpan(cluster[i] * d, d));
        }
        for (var c = 0; c < k; c++)
        {
            scatter[c] /= Math.Max(1, size[c]);
        }
        var sum = 0.0;
        var anySeparated = false;
        for (var a = 0; a < k; a++)
        {
            var worst = 0.0;
            for (var b = 0; b < k; b++)
            {
                if (b == a)
                {
                    continue;
                }
                var m = Distance(centroids.AsSpan(a * d, d), centroids.AsSpan(b * d, d));
                anySeparated |= m > 0;
                // Coinciding centroids count as infinitely far apart, as scikit-learn sets them.
                worst = Math.Max(worst, m == 0 ? 0 : (scatter[a] + scatter[b]) / m);
            }
            sum += worst;
        }
        return scatter.All(s => s == 0) || !anySeparated ? 0 : sum / k;
    }

    private static int CountClusters(ReadOnlySpan<int> cluster)
    {
        var k = 0;
        foreach (var c in cluster)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(c);
            k = Math.Max(k, c + 1);
        }
        return k;
    }

    private static double Distance(ReadOnlySpan<float> row, ReadOnlySpan<double> center)
    {
        var sum = 0.0;
        for (var j = 0; j < row.Length; j++)
        {
            var t = row[j] - center[j];
            sum += t * t;
        }
        return Math.Sqrt(sum);
    }

    private static double Distance(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        var sum = 0.0;
        for (var j = 0; j < a.Length; j++)
        {
            var t = a[j] - b[j];
            sum += t * t;
        }
        return Math.Sqrt(sum);
    }
}
