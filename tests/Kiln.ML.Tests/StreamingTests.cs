using System.Globalization;
using System.Text;
using Kiln.ML.Data;
using Kiln.ML.Trainers;

namespace Kiln.ML.Tests;

/// <summary>Out-of-core training: Linear Learner and K-Means reading their channel batch by batch on every pass.</summary>
public sealed class StreamingTests
{
    private static string WriteCsv(TempDir dir, string name, DenseMatrix x, float[] y)
    {
        var text = new StringBuilder();
        for (var i = 0; i < x.Rows; i++)
        {
            text.Append(y[i].ToString("R", CultureInfo.InvariantCulture));
            foreach (var v in x.Row(i))
            {
                text.Append(',').Append(v.ToString("R", CultureInfo.InvariantCulture));
            }
            text.Append('\n');
        }
        return dir.File(name, text.ToString());
    }

    private static (DenseMatrix X, float[] Y) Regression(int rows, int seed)
    {
        var x = TestData.Gaussian(rows, 4, seed);
        var noise = TestData.Gaussian(rows, 1, seed + 1, scale: 0.1f);
        var y = Enumerable.Range(0, rows).Select(i => 3 * x[i, 0] - 2 * x[i, 1] + 0.5f * x[i, 3] + 7 + noise[i, 0]).ToArray();
        return (x, y);
    }

    [Fact]
    public void LinearLearner_Streamed_EqualsInMemory_WhenTheFileFitsOneShuffleWindow()
    {
        // Same statistics, the same shuffle of the same rows, the same steps: the streamed model is the in-memory one.
        using var dir = new TempDir();
        var (x, y) = Regression(2000, 3);
        var path = WriteCsv(dir, "train.csv", x, y);
        (string, string)[] hp = [("predictor_type", "regressor"), ("epochs", "4"), ("mini_batch_size", "100"), ("num_models", "2")];
        var memory = (LinearLearnerModel)new LinearLearnerTrainer().Train(DataReader.ReadAll(path, "text/csv", true), null, TestData.Hp(hp), TestData.Context);
        var streamed = (LinearLearnerModel)new LinearLearnerTrainer().Train(new BatchSource(path, "text/csv", true), null, TestData.Hp(hp), TestData.Context);
        var (w1, b1) = memory.RawCoefficients();
        var (w2, b2) = streamed.RawCoefficients();
        Assert.Equal(w1, w2);
        Assert.Equal(b1, b2);
        Assert.Equal(memory.Metrics["train:rmse"], streamed.Metrics["train:rmse"], 1e-9);
        Assert.True(streamed.Metrics["train:r2"] > 0.95, streamed.Metrics["train:r2"].ToString(CultureInfo.InvariantCulture));
    }

    [Fact]
    public void LinearLearner_Streamed_OverSeveralWindows_WithValidation_Learns()
    {
        using var dir = new TempDir();
        var (x, y) = Regression(70_000, 5);
        var (xv, yv) = Regression(2_000, 9);
        var model = new LinearLearnerTrainer().Train(new BatchSource(WriteCsv(dir, "train.csv", x, y), "text/csv", true),
            new BatchSource(WriteCsv(dir, "validation.csv", xv, yv), "text/csv", true),
            TestData.Hp(("predictor_type", "regressor"), ("epochs", "2"), ("num_models", "1")), TestData.Context);
        Assert.True(model.Metrics["validation:r2"] > 0.99, model.Metrics["validation:r2"].ToString(CultureInfo.InvariantCulture));
    }

    [Fact]
    public void LinearLearner_Streamed_BadLabelInALaterBatch_NamesItsLine()
    {
        using var dir = new TempDir();
        var x = TestData.Gaussian(40_000, 2, 1);
        var y = Enumerable.Range(0, 40_000).Select(i => i == 35_000 ? 2f : i % 2).ToArray();
        var e = Assert.Throws<DataFormatException>(() => new LinearLearnerTrainer().Train(
            new BatchSource(WriteCsv(dir, "t.csv", x, y), "text/csv", true), null,
            TestData.Hp(("predictor_type", "binary_classifier")), TestData.Context));
        Assert.StartsWith("t.csv:35001:1: label 2 is not valid for binary_classifier", e.Message);
    }

    [Fact]
    public void KMeans_Streamed_FindsBlobs_SameFromJsonLines()
    {
        using var dir = new TempDir();
        var x = TestData.Gaussian(3000, 2, 6, scale: 0.1f);
        for (var i = 0; i < x.Rows; i++)
        {
            x[i, 0] += 5 * (i % 3);
        }
        x[7, 1] = float.NaN;
        var csv = WriteCsv(dir, "blobs.csv", x, new float[x.Rows]);
        (string, string)[] hp = [("k", "3"), ("init_method", "kmeans++"), ("epochs", "3"), ("mini_batch_size", "500"),
            ("eval_metrics", "[\"msd\",\"ssd\"]")];
        var model = (KMeansModel)new KMeansTrainer().Train(new BatchSource(csv, "text/csv", true), null, TestData.Hp(hp), TestData.Context);
        Assert.True(model.Metrics["train:msd"] < 0.05, model.Metrics["train:msd"].ToString(CultureInfo.InvariantCulture));
        Assert.Equal(model.Metrics["train:msd"] * x.Rows, model.Metrics["train:ssd"], 1e-2);
        var xs = Enumerable.Range(0, 3).Select(c => model.Centers[c * 2]).Order().ToArray();
        Assert.Equal([0f, 5f, 10f], xs.Select(v => MathF.Round(v)).ToArray());

        var jsonl = dir.File("blobs.jsonl", string.Join('\n', Enumerable.Range(0, x.Rows).Select(i =>
            $"{{\"features\": [{x[i, 0].ToString("R", CultureInfo.InvariantCulture)}, {(float.IsNaN(x[i, 1]) ? "null" : x[i, 1].ToString("R", CultureInfo.InvariantCulture))}], \"label\": 0}}")));
        var fromJson = (KMeansModel)new KMeansTrainer().Train(new BatchSource(jsonl, "application/jsonlines", true), null, TestData.Hp(hp), TestData.Context);
        Assert.Equal(model.Centers.ToArray(), fromJson.Centers.ToArray());
    }
}
