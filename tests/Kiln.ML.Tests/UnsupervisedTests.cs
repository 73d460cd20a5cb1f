using Kiln.ML.Data;
using Kiln.ML.Kernels;
using Kiln.ML.Trainers;

namespace Kiln.ML.Tests;

public sealed class UnsupervisedTests
{
    [Fact]
    public void KMeans_FullBatchEpochs_EqualLloydFromSameStart()
    {
        const int n = 300, d = 4, k = 3, iterations = 6;
        var x = TestData.Gaussian(n, d, 5);
        for (var i = 0; i < n; i++)
        {
            x[i, 0] += 4 * (i % 3); // three loose blobs
        }
        var start = x.Data[..(k * d)].ToArray();

        // Reference Lloyd: assign every row to its nearest center, move each center to its rows' mean.
        var expected = (float[])start.Clone();
        for (var it = 0; it < iterations; it++)
        {
            var sums = new double[k * d];
            var counts = new int[k];
            for (var i = 0; i < n; i++)
            {
                var best = Enumerable.Range(0, k).MinBy(c => BlasScalar.SquaredDistance(x.Row(i), expected.AsSpan(c * d, d)));
                counts[best]++;
                for (var j = 0; j < d; j++)
                {
                    sums[best * d + j] += x[i, j];
                }
            }
            for (var c = 0; c < k; c++)
            {
                for (var j = 0; j < d; j++)
                {
                    expected[c * d + j] = (float)(sums[c * d + j] / counts[c]);
                }
            }
        }

        var centers = (float[])start.Clone();
        KMeansTrainer.MiniBatch(x, centers, k, batchSize: n, epochs: iterations, new Random(1), TestData.Context, narrow: false);
        for (var i = 0; i < centers.Length; i++)
        {
            Assert.Equal(expected[i], centers[i], 1e-4);
        }
    }

    [Fact]
    public void KMeans_Refinement_StopsAtLloydFixedPoint()
    {
        // Overlapping blobs with badly scaled columns, started from poor centers, so Lloyd needs many
        // passes; the refinement must end where plain Lloyd stops changing any assignment.
        const int n = 400, d = 3, k = 4;
        var x = TestData.Gaussian(n, d, 11);
        for (var i = 0; i < n; i++)
        {
            x[i, 0] = 100 * x[i, 0] + 150 * (i % 4);
            x[i, 1] += i % 2;
        }
        var start = x.Data[..(k * d)].ToArray();

        var expected = (float[])start.Clone();
        var owner = new int[n];
        Array.Fill(owner, -1);
        var passes = 0;
        for (var changed = true; changed; passes++)
        {
            changed = false;
            var sums = new double[k * d];
            var counts = new int[k];
            for (var i = 0; i < n; i++)
            {
                var best = Enumerable.Range(0, k).MinBy(c => BlasScalar.SquaredDistance(x.Row(i), expected.AsSpan(c * d, d)));
                changed |= owner[i] != best;
                owner[i] = best;
                counts[best]++;
                for (var j = 0; j < d; j++)
                {
                    sums[best * d + j] += x[i, j];
                }
            }
            for (var c = 0; c < k; c++)
            {
                for (var j = 0; j < d && counts[c] > 0; j++)
                {
                    expected[c * d + j] = (float)(sums[c * d + j] / counts[c]);
                }
            }
        }
        Assert.True(passes > 3, $"the data should need several Lloyd passes, took {passes}");

        var (centers, ssd) = KMeansTrainer.LloydPasses(() => [new KMeansBatch(x, null)], (float[])start.Clone(), k, d, maxIter: 300, TestData.Context, narrow: false);
        Assert.NotNull(ssd);
        for (var i = 0; i < centers.Length; i++)
        {
            Assert.Equal(expected[i], centers[i], 1e-3);
        }
        // A pass cap stops it early, away from the fixed point.
        var capped = KMeansTrainer.LloydPasses(() => [new KMeansBatch(x, null)], (float[])start.Clone(), k, d, maxIter: 1, TestData.Context, narrow: false);
        Assert.NotEqual(expected, capped.Centers);
        Assert.Null(capped.Ssd);
    }

    [Fact]
    public void KMeans_Train_FindsBlobsAndReportsMetrics()
    {
        var x = TestData.Gaussian(600, 2, 6, scale: 0.1f);
        for (var i = 0; i < 600; i++)
        {
            x[i, 0] += 5 * (i % 3);
        }
        var model = (KMeansModel)new KMeansTrainer().Train(new Dataset(x, null, "t"), null,
            TestData.Hp(("k", "3"), ("init_method", "kmeans++"), ("epochs", "5"), ("extra_center_factor", "2"),
                ("eval_metrics", "[\"msd\",\"ssd\"]")), TestData.Context);
        Assert.True(model.Metrics["train:msd"] < 0.05, model.Metrics["train:msd"].ToString());
        Assert.Equal(model.Metrics["train:msd"] * 600, model.Metrics["train:ssd"], 1e-3);
    }

    [Theory]
    [InlineData("k", "0")]
    [InlineData("init_method", "farthest")]
    [InlineData("eval_metrics", "[\"rmse\"]")]
    public void KMeans_BadHyperparameter_NamesIt(string name, string value)
    {
        var hp = new Dictionary<string, string> { ["k"] = "2", [name] = value };
        var e = Assert.Throws<HyperparameterException>(() => new KMeansTrainer().Train(
            new Dataset(TestData.Gaussian(10, 2, 1), null, "t"), null, new Hyperparameters(hp), TestData.Context));
        Assert.Equal(name, e.Name);
    }

    [Theory]
    [InlineData("regular")]
    [InlineData("randomized")]
    public void Pca_MatchesEigenvectorsByPowerIteration(string mode)
    {
        const int n = 500, d = 6, k = 2;
        var x = TestData.Gaussian(n, d, 7);
        for (var i = 0; i < n; i++)
        {
            x[i, 0] *= 5;
            x[i, 1] = 3 * x[i, 1] + x[i, 0];
            x[i, 2] += 10; // an offset that subtract_mean must remove
        }
        // Independent reference: covariance in double, then power iteration with deflation.
        var mean = Enumerable.Range(0, d).Select(j => Enumerable.Range(0, n).Average(i => (double)x[i, j])).ToArray();
        var cov = new double[d, d];
        for (var i = 0; i < n; i++)
        {
            for (var a = 0; a < d; a++)
            {
                for (var b = 0; b < d; b++)
                {
                    cov[a, b] += (x[i, a] - mean[a]) * (x[i, b] - mean[b]) / n;
                }
            }
        }
        var model = (PcaModel)new PcaTrainer().Train(new Dataset(x, null, "t"), null,
            TestData.Hp(("num_components", k.ToString()), ("algorithm_mode", mode)), TestData.Context);
        for (var c = 0; c < k; c++)
        {
            var v = Enumerable.Repeat(1.0, d).ToArray();
            double lambda = 0;
            for (var it = 0; it < 2000; it++)
            {
                var w = new double[d];
                for (var a = 0; a < d; a++)
                {
                    for (var b = 0; b < d; b++)
                    {
                        w[a] += cov[a, b] * v[b];
                    }
                }
                lambda = Math.Sqrt(w.Sum(t => t * t));
                v = w.Select(t => t / lambda).ToArray();
            }
            Assert.Equal(lambda, model.Eigenvalues[c], lambda * 1e-4);
            var dot = Enumerable.Range(0, d).Sum(j => v[j] * model.Components[c * d + j]);
            Assert.Equal(1, Math.Abs(dot), 1e-4);
            for (var a = 0; a < d; a++)
            {
                for (var b = 0; b < d; b++)
                {
                    cov[a, b] -= lambda * v[a] * v[b];
                }
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    public void Knn_MatchesBruteForce(int k)
    {
        var train = TestData.Gaussian(700, 9, 8);
        var labels = Enumerable.Range(0, 700).Select(i => (float)(i % 3)).ToArray();
        var queries = TestData.Gaussian(70, 9, 9);
        var model = (KnnModel)new KnnTrainer().Train(new Dataset(train, labels, "t"), null,
            TestData.Hp(("k", k.ToString()), ("predictor_type", "classifier"), ("sample_size", "700")), TestData.Context);
        var (label, index, _) = model.Predict(queries, 2);
        for (var q = 0; q < queries.Rows; q++)
        {
            var expected = Enumerable.Range(0, 700)
                .OrderBy(i => BlasScalar.SquaredDistance(queries.Row(q), train.Row(i))).Take(k).ToArray();
            Assert.Equal(expected, index.AsSpan(q * k, k).ToArray());
            var votes = expected.GroupBy(i => labels[i]).Select(g => (Label: g.Key, Count: g.Count(), First: Array.IndexOf(expected, g.First())))
                .OrderByDescending(g => g.Count).ThenBy(g => g.First).First();
            Assert.Equal(votes.Label, label[q]);
        }
    }

    [Fact]
    public void Knn_Regressor_AveragesNeighbours()
    {
        var train = DenseMatrix.FromRows([[0f], [1f], [2f], [10f]]);
        var model = (KnnModel)new KnnTrainer().Train(new Dataset(train, [1, 2, 3, 100], "t"), null,
            TestData.Hp(("k", "3"), ("predictor_type", "regressor"), ("sample_size", "4")), TestData.Context);
        Assert.Equal(2f, model.Predict(DenseMatrix.FromRows([[0.9f]]), 1).Label[0]);
    }
}
