using Kiln.ML.Data;
using Kiln.ML.Kernels;

namespace Kiln.ML.Trainers;

/// <summary>
/// The coarse quantizer of index_type faiss.IVFFlat (Jégou et al., 2011; faiss's IndexIVFFlat): the
/// stored rows are split into faiss_index_ivf_nlists inverted lists by their nearest k-means
/// centroid, and a query scans only the <see cref="Probes"/> lists whose centroids score best. The
/// centroids come from Lloyd's algorithm on at most 256 rows per list, faiss's own training cap;
/// for INNER_PRODUCT and COSINE the lists are chosen by inner product with the (L2-trained)
/// centroids, as faiss's IndexFlatIP quantizer does.
/// </summary>
internal sealed class KnnIvf
{
    private const int PointsPerCentroid = 256;
    private const int Iterations = 10;

    public KnnIvf(int lists, int probes, float[] centroids, int[] assignment)
    {
        Lists = lists;
        Probes = Math.Clamp(probes, 1, lists);
        Centroids = centroids;
        Assignment = assignment;
    }

    public int Lists { get; }

    /// <summary>
    /// Lists searched per query (faiss's nprobe). SageMaker does not document the value it uses;
    /// Kiln takes ⌈√lists⌉, so with the default √n lists of about √n rows each a query scans about
    /// n^(3/4) of the n stored rows.
    /// </summary>
    public int Probes { get; }

    /// <summary>Lists × dimension, in the model's search space.</summary>
    public float[] Centroids { get; }

    /// <summary>The list of each stored row.</summary>
    public int[] Assignment { get; }

    public static int DefaultProbes(int lists) => (int)Math.Ceiling(Math.Sqrt(lists));

    public KnnIvf WithProbes(int probes) => new(Lists, probes, Centroids, Assignment);

    public static KnnIvf Build(DenseMatrix search, int lists, bool innerProduct, int seed, int threads)
    {
        lists = Math.Min(lists, search.Rows);
        var d = search.Cols;
        var rng = new Random(seed);
        var order = Enumerable.Range(0, search.Rows).ToArray();
        rng.Shuffle(order);
        var sample = new DenseMatrix(Math.Min(search.Rows, PointsPerCentroid * lists), d);
        for (var i = 0; i < sample.Rows; i++)
        {
            search.Row(order[i]).CopyTo(sample.Row(i));
        }
        // Distinct random rows as the start, the same seeding faiss's Clustering uses.
        var centroids = new float[lists * d];
        sample.Data[..(lists * d)].CopyTo(centroids);
        var assign = new int[sample.Rows];
        var sums = new double[lists * d];
        var counts = new int[lists];
        for (var iter = 0; iter < Iterations; iter++)
        {
            Nearest(sample, centroids, lists, innerProduct: false, assign, threads);
            Array.Clear(sums);
            Array.Clear(counts);
            for (var i = 0; i < sample.Rows; i++)
            {
                var row = sample.Row(i);
                var c = assign[i];
                counts[c]++;
                for (var j = 0; j < d; j++)
                {
                    sums[c * d + j] += row[j];
                }
            }
            for (var c = 0; c < lists; c++)
            {
                var target = centroids.AsSpan(c * d, d);
                if (counts[c] == 0)
                {
                    // An empty list takes a random row, so no centroid is wasted.
                    sample.Row(rng.Next(sample.Rows)).CopyTo(target);
                    continue;
                }
                for (var j = 0; j < d; j++)
                {
                    target[j] = (float)(sums[c * d + j] / counts[c]);
                }
            }
        }
        var all = new int[search.Rows];
        Nearest(search, centroids, lists, innerProduct, all, threads);
        return new KnnIvf(lists, DefaultProbes(lists), centroids, all);
    }

    /// <summary>
    /// The best centroid of each row: least squared distance (‖c‖² − 2x·c ranks the same), or
    /// greatest inner product.
    /// </summary>
    internal static void Nearest(DenseMatrix x, float[] centroids, int lists, bool innerProduct, Span<int> assign, int threads)
    {
        const int Block = 256;
        var d = x.Cols;
        var norms = Norms(centroids, lists, d, innerProduct);
        var result = new int[x.Rows];
        Parallel.For(0, (x.Rows + Block - 1) / Block, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) }, b =>
        {
            var start = b * Block;
            var n = Math.Min(Block, x.Rows - start);
            var dots = new float[n * lists];
            Blas.GemmTransB(x.Data.Slice(start * d, n * d), centroids, dots, n, d, lists);
            for (var i = 0; i < n; i++)
            {
                result[start + i] = Best(dots.AsSpan(i * lists, lists), norms);
            }
        });
        result.CopyTo(assign);
    }

    /// <summary>‖c‖² per centroid for L2, zero for inner product: then ‖c‖² − 2q·c ranks both ways.</summary>
    internal static float[] Norms(float[] centroids, int lists, int d, bool innerProduct)
    {
        var norms = new float[lists];
        for (var c = 0; c < lists && !innerProduct; c++)
        {
            norms[c] = Blas.Dot(centroids.AsSpan(c * d, d), centroids.AsSpan(c * d, d));
        }
        return norms;
    }

    private static int Best(ReadOnlySpan<float> dots, ReadOnlySpan<float> norms)
    {
        var best = 0;
        var bestScore = float.PositiveInfinity;
        for (var c = 0; c < dots.Length; c++)
        {
            var s = norms[c] - 2 * dots[c];
            if (s < bestScore)
            {
                (best, bestScore) = (c, s);
            }
        }
        return best;
    }

    /// <summary>Payload: i32 lists, i32 probes, floats centroids, i32 rows + i32 list per row.</summary>
    public void Write(BinaryWriter w)
    {
        w.Write(Lists);
        w.Write(Probes);
        Artifacts.ModelFile.WriteFloats(w, Centroids);
        w.Write(Assignment.Length);
        foreach (var a in Assignment)
        {
            w.Write(a);
        }
    }

    public static KnnIvf Read(BinaryReader r, int rows, int dimension)
    {
        var lists = r.ReadInt32();
        var probes = r.ReadInt32();
        var centroids = Artifacts.ModelFile.ReadFloats(r);
        var assignment = new int[r.ReadInt32()];
        for (var i = 0; i < assignment.Length; i++)
        {
            assignment[i] = r.ReadInt32();
        }
        if (lists < 1 || probes < 1 || centroids.Length != lists * dimension || assignment.Length != rows
            || assignment.Any(a => a < 0 || a >= lists))
        {
            throw new InvalidDataException("knn inverted-file index does not match its dimensions");
        }
        return new KnnIvf(lists, probes, centroids, assignment);
    }
}
