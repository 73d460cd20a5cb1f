using System.Numerics;
using Kiln.ML.Artifacts;
using Kiln.ML.Data;
using Kiln.ML.Kernels;
using Kiln.ML.Trainers;

namespace Kiln.ML.Tests;

/// <summary>k-NN's dimension reductions, inverted-file index and metrics against independent computations.</summary>
public sealed class KnnIndexTests
{
    private static float[] Random(int n, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(8)]
    [InlineData(16)]
    [InlineData(32)]
    [InlineData(1024)]
    public void Hadamard_MatchesScalar(int n)
    {
        var x = Random(n, 1);
        var y = (float[])x.Clone();
        HadamardScalar.Transform(x);
        Hadamard.Transform(y);
        for (var i = 0; i < n; i++)
        {
            Assert.True(Math.Abs(x[i] - y[i]) <= 1e-4f * Math.Max(1, n), $"{i}: {x[i]} vs {y[i]}");
        }
    }

    [Fact]
    public void HadamardScalar_MatchesSylvesterMatrix()
    {
        const int N = 16;
        var x = Random(N, 2);
        var expected = new float[N];
        for (var i = 0; i < N; i++)
        {
            for (var j = 0; j < N; j++)
            {
                expected[i] += (BitOperations.PopCount((uint)(i & j)) % 2 == 0 ? 1 : -1) * x[j];
            }
        }
        HadamardScalar.Transform(x);
        for (var i = 0; i < N; i++)
        {
            Assert.Equal(expected[i], x[i], 1e-4f);
        }
    }

    [Theory]
    [InlineData(7)]
    [InlineData(9)]
    public void Hadamard_NotPowerOfTwo_Throws(int n) =>
        Assert.Throws<ArgumentException>(() => Hadamard.Transform(new float[n]));

    [Theory]
    [InlineData(2, 1)]
    [InlineData(7, 3)]
    [InlineData(8, 5)]
    [InlineData(9, 8)]
    [InlineData(17, 4)]
    public void Fjlt_EqualsExplicitSubsampledHadamard(int d, int t)
    {
        var p = KnnProjection.Create(KnnReduction.Fjlt, d, t, seed: 3);
        var x = Random(d, 4);
        var y = new float[t];
        p.Apply(x, y, new float[p.ScratchLength]);
        var m = Hadamard.PaddedLength(d);
        for (var a = 0; a < t; a++)
        {
            var row = p.Kept[a];
            var expected = 0.0;
            for (var j = 0; j < d; j++)
            {
                expected += (BitOperations.PopCount((uint)(row & j)) % 2 == 0 ? 1 : -1) * p.Weights[j] * x[j];
            }
            Assert.True(row < m);
            Assert.Equal(expected / Math.Sqrt(t), y[a], 1e-4);
        }
    }

    /// <summary>
    /// Johnson–Lindenstrauss: t ≥ 4·ln(n) / (ε²/2 − ε³/3) keeps every pairwise squared distance of n
    /// points within 1 ± ε with probability ≥ 1 − 1/n (Dasgupta and Gupta, 2003). For n = 40 and
    /// ε = 0.5 that is t ≥ 178; t = 200 here, at an awkward d (padded to 512 and 1024 for fjlt).
    /// </summary>
    [Theory]
    [InlineData("fjlt", 300)]
    [InlineData("fjlt", 1023)]
    [InlineData("sign", 300)]
    public void Projection_PreservesPairwiseDistances_WithinJohnsonLindenstraussBound(string type, int d)
    {
        var kind = type == "fjlt" ? KnnReduction.Fjlt : KnnReduction.Sign;
        const int N = 40;
        const int T = 200;
        const double Eps = 0.5;
        Assert.True(T >= 4 * Math.Log(N) / (Eps * Eps / 2 - Eps * Eps * Eps / 3));
        var x = TestData.Gaussian(N, d, 5);
        var p = KnnProjection.Create(kind, d, T, seed: 6);
        var y = new DenseMatrix(N, T);
        var scratch = new float[p.ScratchLength];
        for (var i = 0; i < N; i++)
        {
            p.Apply(x.Row(i), y.Row(i), scratch);
        }
        for (var i = 0; i < N; i++)
        {
            for (var j = i + 1; j < N; j++)
            {
                var ratio = BlasScalar.SquaredDistance(y.Row(i), y.Row(j)) / BlasScalar.SquaredDistance(x.Row(i), x.Row(j));
                Assert.InRange(ratio, 1 - Eps, 1 + Eps);
            }
        }
    }

    private static (DenseMatrix Train, float[] Labels, DenseMatrix Queries) Clustered(int rows, int queries, int cols, int clusters, int seed)
    {
        var centers = TestData.Gaussian(clusters, cols, seed, scale: 5);
        var noise = TestData.Gaussian(rows + queries, cols, seed + 1);
        var all = new DenseMatrix(rows + queries, cols);
        for (var i = 0; i < all.Rows; i++)
        {
            var c = centers.Row(i % clusters);
            for (var j = 0; j < cols; j++)
            {
                all[i, j] = c[j] + noise[i, j];
            }
        }
        var labels = Enumerable.Range(0, rows).Select(i => (float)(i % clusters)).ToArray();
        return (all.Slice(0, rows), labels, all.Slice(rows, queries));
    }

    private static KnnModel Train(DenseMatrix x, float[] labels, params (string, string)[] hp)
    {
        var all = new[] { ("predictor_type", "classifier"), ("sample_size", x.Rows.ToString()) }.Concat(hp).ToArray();
        return (KnnModel)new KnnTrainer().Train(new Dataset(x, labels, "t"), null, TestData.Hp(all), TestData.Context);
    }

    /// <summary>The k best rows by an exact double-precision score, best first.</summary>
    private static int[] BruteForce(DenseMatrix x, ReadOnlySpan<float> q, string metric, int k)
    {
        var query = q.ToArray();
        double Score(int i)
        {
            var row = x.Row(i);
            double dot = 0, qq = 0, xx = 0, d2 = 0;
            for (var j = 0; j < row.Length; j++)
            {
                dot += (double)query[j] * row[j];
                qq += (double)query[j] * query[j];
                xx += (double)row[j] * row[j];
                d2 += ((double)query[j] - row[j]) * ((double)query[j] - row[j]);
            }
            return metric switch
            {
                "INNER_PRODUCT" => -dot,
                "COSINE" => -dot / Math.Sqrt(qq * xx),
                _ => d2,
            };
        }
        return Enumerable.Range(0, x.Rows).OrderBy(Score).Take(k).ToArray();
    }

    [Theory]
    [InlineData("L2", "faiss.Flat")]
    [InlineData("L2", "faiss.IVFFlat")]
    [InlineData("INNER_PRODUCT", "faiss.Flat")]
    [InlineData("INNER_PRODUCT", "faiss.IVFFlat")]
    [InlineData("COSINE", "faiss.Flat")]
    [InlineData("COSINE", "faiss.IVFFlat")]
    public void Search_AllListsProbed_EqualsBruteForce(string metric, string index)
    {
        const int K = 5;
        var (x, labels, queries) = Clustered(900, 40, 11, 6, 20);
        var model = Train(x, labels, ("k", "5"), ("index_metric", metric), ("index_type", index), ("faiss_index_ivf_nlists", "12"));
        if (model.Index is { } ivf)
        {
            Assert.Equal(12, ivf.Lists);
            model = model.WithProbes(ivf.Lists);
        }
        var (found, _) = model.Neighbors(queries, 2);
        for (var q = 0; q < queries.Rows; q++)
        {
            Assert.Equal(BruteForce(x, queries.Row(q), metric, K), found.AsSpan(q * K, K).ToArray());
        }
    }

    /// <summary>
    /// 40 well-separated clusters, default √n lists and ⌈√lists⌉ probes: the inverted file must find
    /// at least 95% of the true 10 nearest neighbours while scanning a fraction of the rows.
    /// </summary>
    [Fact]
    public void IvfFlat_ClusteredData_RecallAtTenAbove95Percent()
    {
        const int K = 10;
        var (x, labels, queries) = Clustered(6000, 200, 16, 40, 30);
        var model = Train(x, labels, ("k", "10"), ("index_type", "faiss.IVFFlat"));
        Assert.Equal(77, model.Index!.Lists);
        Assert.Equal(9, model.Index.Probes);
        var (found, _) = model.Neighbors(queries, 2);
        var hits = 0;
        for (var q = 0; q < queries.Rows; q++)
        {
            hits += BruteForce(x, queries.Row(q), "L2", K).Intersect(found.AsSpan(q * K, K).ToArray()).Count();
        }
        var recall = hits / (double)(queries.Rows * K);
        Assert.True(recall >= 0.95, $"recall@10 {recall:F3}");
    }

    [Fact]
    public void Fjlt_Classifier_KeepsAccuracyOnClusteredData()
    {
        var (x, labels, queries) = Clustered(2000, 100, 64, 10, 40);
        var model = Train(x, labels, ("k", "5"), ("dimension_reduction_type", "fjlt"), ("dimension_reduction_target", "16"));
        var predicted = model.Predict(queries, 2).Label;
        var truth = Enumerable.Range(2000, 100).Select(i => (float)(i % 10)).ToArray();
        Assert.Equal(truth, predicted);
    }

    [Theory]
    [InlineData("dimension_reduction_type", "pca")]
    [InlineData("dimension_reduction_target", "")]
    [InlineData("dimension_reduction_target", "8")]
    [InlineData("dimension_reduction_target", "0")]
    [InlineData("index_type", "faiss.IVFPQ")]
    [InlineData("index_type", "hnsw")]
    [InlineData("index_metric", "L1")]
    [InlineData("faiss_index_ivf_nlists", "0")]
    [InlineData("faiss_index_pq_m", "5")]
    [InlineData("dimension_reduction_mode", "fjlt")]
    public void Knn_BadHyperparameter_NamesIt(string name, string value)
    {
        var hp = new Dictionary<string, string>
        {
            ["k"] = "3", ["predictor_type"] = "classifier", ["sample_size"] = "50",
            ["dimension_reduction_type"] = "sign", ["index_type"] = "faiss.IVFFlat", [name] = value,
        };
        if (name == "dimension_reduction_target" && value == "")
        {
            hp.Remove(name);
        }
        else if (name != "dimension_reduction_type")
        {
            hp["dimension_reduction_target"] = hp.GetValueOrDefault("dimension_reduction_target", "4");
        }
        var x = TestData.Gaussian(50, 8, 1);
        var e = Assert.Throws<HyperparameterException>(() =>
            new KnnTrainer().Train(new Dataset(x, new float[50], "t"), null, new Hyperparameters(hp), TestData.Context));
        Assert.Equal(name, e.Name);
        Assert.Contains(name, e.Message);
    }

    [Fact]
    public void SaveArchive_FjltIvfCosine_AnswersIdentically()
    {
        using var dir = new TempDir();
        var (x, labels, queries) = Clustered(500, 30, 20, 5, 50);
        var model = Train(x, labels, ("k", "4"), ("dimension_reduction_type", "fjlt"), ("dimension_reduction_target", "10"),
            ("index_type", "faiss.IVFFlat"), ("index_metric", "COSINE"));
        var loaded = Algorithms.LoadArchive(Algorithms.SaveArchive(model, dir.Path));
        var a = new StringWriter();
        var b = new StringWriter();
        model.WriteResponse(queries, "application/jsonlines; verbose=true", a, 1);
        loaded.WriteResponse(queries, "application/jsonlines; verbose=true", b, 1);
        Assert.Equal(a.ToString(), b.ToString());
    }

    [Fact]
    public void Read_Version1Payload_StillLoads()
    {
        using var dir = new TempDir();
        ModelFile.Write(dir.Path, KnnTrainer.Name, w =>
        {
            w.Write(1);
            w.Write((byte)0);
            w.Write(3);
            w.Write(1);
            w.WriteFloats([0f, 1f, 10f]);
            w.WriteFloats([5f, 6f, 7f]);
            w.WriteFloats([3.67f]);
        });
        var (_, reader) = ModelFile.Open(Path.Combine(dir.Path, ModelFile.FileName));
        using (reader)
        {
            var model = KnnModel.Read(reader);
            Assert.Equal(7f, model.Predict(DenseMatrix.FromRows([[9f]]), 1).Label[0]);
        }
    }
}
