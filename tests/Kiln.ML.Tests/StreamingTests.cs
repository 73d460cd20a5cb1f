using System.Globalization;
using System.Text;
using Kiln.ML.Data;
using Kiln.ML.Metrics;
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

    /// <summary>
    /// Every closing metric, as the array functions give it from the model's scores of all the
    /// evaluation rows at once (what training computed before the metrics were summed batch by batch).
    /// </summary>
    private static Dictionary<string, double> ArrayMetrics(LinearLearnerModel model, DenseMatrix x, float[] y, string channel)
    {
        var scores = model.Scores(x, 1);
        var m = new Dictionary<string, double>();
        switch (model.PredictorType)
        {
            case "regressor":
                m[$"{channel}:mse"] = RegressionMetrics.Mse(y, scores);
                m[$"{channel}:rmse"] = RegressionMetrics.Rmse(y, scores);
                m[$"{channel}:absolute_loss"] = RegressionMetrics.Mae(y, scores);
                m[$"{channel}:r2"] = RegressionMetrics.R2(y, scores);
                break;
            case "binary_classifier":
                var predicted = scores.Select(v => v > model.Threshold ? 1f : 0f).ToArray();
                m[$"{channel}:binary_classification_accuracy"] = ClassificationMetrics.Accuracy(y, predicted);
                m[$"{channel}:precision"] = ClassificationMetrics.Precision(y, predicted);
                m[$"{channel}:recall"] = ClassificationMetrics.Recall(y, predicted);
                m[$"{channel}:binary_f_beta"] = ClassificationMetrics.F1(y, predicted);
                m[$"{channel}:roc_auc_score"] = ClassificationMetrics.RocAuc(y, scores);
                m[$"{channel}:objective_loss"] = ClassificationMetrics.LogLoss(y, scores);
                break;
            default:
                var k = model.Outputs;
                var argmax = Enumerable.Range(0, y.Length).Select(i => (float)LinearLearnerModel.ArgMax(scores.AsSpan(i * k, k))).ToArray();
                m[$"{channel}:multiclass_accuracy"] = ClassificationMetrics.Accuracy(y, argmax);
                m[$"{channel}:macro_f_beta"] = ClassificationMetrics.MacroF1(y, argmax, k);
                m[$"{channel}:objective_loss"] = ClassificationMetrics.MultiLogLoss(y, scores, k);
                break;
        }
        return m;
    }

    [Theory]
    [InlineData("regressor", false)]
    [InlineData("regressor", true)]
    [InlineData("binary_classifier", false)]
    [InlineData("binary_classifier", true)]
    [InlineData("multiclass_classifier", false)]
    [InlineData("multiclass_classifier", true)]
    public void LinearLearner_Metrics_StreamedOrInMemory_EqualTheArrayMetricsOfAllScores(string type, bool withValidation)
    {
        // Over several shuffle windows (32768 rows each), so the streamed metrics are summed over several
        // batches; labels far from zero for the regressor, so R²'s centring on the label mean matters.
        using var dir = new TempDir();
        static float[] Labels(string type, DenseMatrix x, float[] target) => type switch
        {
            "regressor" => target.Select(v => 2e5f + 1e4f * v).ToArray(),
            "binary_classifier" => target.Select((v, i) => v + 0.7f * x[i, 2] > 7 ? 1f : 0f).ToArray(),
            _ => target.Select((v, i) => v + 0.7f * x[i, 2] > 9 ? 2f : v > 5 ? 1f : 0f).ToArray(),
        };
        var (x, target) = Regression(70_000, 21);
        var (xv, targetv) = Regression(40_000, 23);
        var (y, yv) = (Labels(type, x, target), Labels(type, xv, targetv));
        var hp = new List<(string, string)> { ("predictor_type", type), ("epochs", "1"), ("num_models", "2") };
        if (type == "multiclass_classifier")
        {
            hp.Add(("num_classes", "3"));
        }
        var (train, validation) = (WriteCsv(dir, "train.csv", x, y), WriteCsv(dir, "validation.csv", xv, yv));
        var streamed = (LinearLearnerModel)new LinearLearnerTrainer().Train(new BatchSource(train, "text/csv", true),
            withValidation ? new BatchSource(validation, "text/csv", true) : null, TestData.Hp([.. hp]), TestData.Context);
        var memory = (LinearLearnerModel)new LinearLearnerTrainer().Train(DataReader.ReadAll(train, "text/csv", true),
            withValidation ? DataReader.ReadAll(validation, "text/csv", true) : null, TestData.Hp([.. hp]), TestData.Context);
        var channel = withValidation ? "validation" : "train";
        foreach (var model in new[] { streamed, memory })
        {
            // The rows as the CSV holds them (the labels and features written with "R" round-trip exactly).
            var expected = withValidation ? ArrayMetrics(model, xv, yv, channel) : ArrayMetrics(model, x, y, channel);
            Assert.Equal(expected.OrderBy(p => p.Key), model.Metrics.OrderBy(p => p.Key));
        }
        var quality = type == "regressor" ? $"{channel}:r2" : type == "binary_classifier" ? $"{channel}:roc_auc_score" : $"{channel}:multiclass_accuracy";
        Assert.True(streamed.Metrics[quality] > 0.8, streamed.Metrics[quality].ToString(CultureInfo.InvariantCulture));
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
