using Kiln.ML.Data;
using Kiln.ML.Metrics;
using Kiln.ML.Trainers;

namespace Kiln.ML.Tests;

public sealed class LinearLearnerTests
{
    [Theory]
    [InlineData("adam")]
    [InlineData("sgd")]
    public void Train_Regressor_MatchesClosedFormLeastSquares(string optimizer)
    {
        const int n = 400, d = 3;
        var x = TestData.Gaussian(n, d, 1, scale: 3);
        var rng = new Random(2);
        var y = new float[n];
        for (var i = 0; i < n; i++)
        {
            y[i] = 2 * x[i, 0] - x[i, 1] + 0.5f * x[i, 2] + 3 + (float)(rng.NextDouble() - 0.5);
        }
        // Normal equations with an intercept column: (AᵀA) β = Aᵀy.
        var ata = new double[(d + 1) * (d + 1)];
        var aty = new double[d + 1];
        for (var i = 0; i < n; i++)
        {
            var row = x.Row(i).ToArray().Select(v => (double)v).Append(1.0).ToArray();
            for (var a = 0; a <= d; a++)
            {
                aty[a] += row[a] * y[i];
                for (var b = 0; b <= d; b++)
                {
                    ata[a * (d + 1) + b] += row[a] * row[b];
                }
            }
        }
        var beta = TestData.Solve(ata, aty, d + 1);

        var model = (LinearLearnerModel)new LinearLearnerTrainer().Train(new Dataset(x, y, "t"), null,
            TestData.Hp(("predictor_type", "regressor"), ("optimizer", optimizer), ("epochs", "300"), ("mini_batch_size", "40"),
                ("learning_rate", optimizer == "sgd" ? "0.05" : "0.005"), ("early_stopping_tolerance", "0")), TestData.Context);
        var (w, bias) = model.RawCoefficients();
        for (var j = 0; j < d; j++)
        {
            Assert.Equal(beta[j], w[j], 0.01);
        }
        Assert.Equal(beta[d], bias[0], 0.02);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Train_Metrics_AreThoseOfTheSavedModelOnRawRows(bool withValidation)
    {
        // Training scores its evaluation rows from their standardized copy; the figures must be the
        // ones the model gives on the raw rows, missing values included.
        static (DenseMatrix X, float[] Y) Rows(int n, int seed)
        {
            var x = TestData.Gaussian(n, 5, seed, scale: 7);
            var y = new float[n];
            for (var i = 0; i < n; i++)
            {
                y[i] = 100 + 3 * x[i, 0] - 2 * x[i, 3] + x[i, 4];
                if (i % 7 == 3)
                {
                    x[i, i % 5] = float.NaN;
                }
            }
            return (x, y);
        }
        var (x, y) = Rows(500, 4);
        var (xv, yv) = Rows(300, 5);
        var model = (LinearLearnerModel)new LinearLearnerTrainer().Train(new Dataset(x, y, "t"),
            withValidation ? new Dataset(xv, yv, "v") : null,
            TestData.Hp(("predictor_type", "regressor"), ("epochs", "5"), ("mini_batch_size", "64")), TestData.Context);
        var (features, labels, channel) = withValidation ? (xv, yv, "validation") : (x, y, "train");
        var scores = model.Scores(features, 1);
        Assert.Equal(RegressionMetrics.Mse(labels, scores), model.Metrics[$"{channel}:mse"]);
        Assert.True(model.Metrics[$"{channel}:mse"] > 0);
    }

    [Fact]
    public void Scores_SmallAndLargeInputs_Agree()
    {
        // Small inputs are scored with the scalar forward pass, large ones with the vector kernel (and on
        // two threads): a row's score must not depend on which.
        var x = TestData.Gaussian(70_003, 8, 6, scale: 4);
        var y = new float[x.Rows];
        for (var i = 0; i < y.Length; i++)
        {
            y[i] = x[i, 0] - 2 * x[i, 5] + 10;
        }
        var train = x.Slice(0, 2000);
        var model = (LinearLearnerModel)new LinearLearnerTrainer().Train(new Dataset(train, y[..2000], "t"), null,
            TestData.Hp(("predictor_type", "regressor"), ("epochs", "3")), TestData.Context);
        var large = model.Scores(x, 2);
        foreach (var start in new[] { 0, 1001, 69_990 })
        {
            var small = model.Scores(x.Slice(start, 13), 1);
            Assert.Equal(large.AsSpan(start, 13).ToArray(), small);
        }
    }

    [Fact]
    public void Train_BinaryClassifier_SeparatesAndPicksThreshold()
    {
        var x = TestData.Gaussian(600, 4, 3);
        var y = Enumerable.Range(0, 600).Select(i => x[i, 0] + 0.5f * x[i, 1] > 0.3f ? 1f : 0f).ToArray();
        var model = (LinearLearnerModel)new LinearLearnerTrainer().Train(new Dataset(x, y, "t"), null,
            TestData.Hp(("predictor_type", "binary_classifier"), ("epochs", "30"), ("mini_batch_size", "50")), TestData.Context);
        Assert.True(model.Metrics["train:binary_classification_accuracy"] > 0.97, model.Metrics["train:binary_classification_accuracy"].ToString());
        Assert.True(model.Metrics["train:roc_auc_score"] > 0.99);
    }

    [Fact]
    public void Train_Multiclass_LearnsThreeClasses()
    {
        var x = TestData.Gaussian(600, 2, 4);
        var y = Enumerable.Range(0, 600).Select(i => x[i, 0] > 0.5f ? 2f : x[i, 1] > 0 ? 1f : 0f).ToArray();
        var model = new LinearLearnerTrainer().Train(new Dataset(x, y, "t"), null,
            TestData.Hp(("predictor_type", "multiclass_classifier"), ("num_classes", "3"), ("epochs", "40"), ("mini_batch_size", "50")), TestData.Context);
        Assert.True(model.Metrics["train:multiclass_accuracy"] > 0.9);
    }

    [Fact]
    public void Train_ParallelModels_SameOnOneThreadOrTwo()
    {
        // Large enough (rows × features × num_models) that two threads each take a range of the models;
        // a model's arithmetic does not depend on which models it is stepped with, so the result is identical.
        var x = TestData.Gaussian(12_000, 90, 5);
        var y = Enumerable.Range(0, x.Rows).Select(i => x[i, 0] - 2 * x[i, 7] + 0.5f * x[i, 60] > 0.2f ? 1f : 0f).ToArray();
        var data = new Dataset(x, y, "t");
        (string, string)[] hp = [("predictor_type", "binary_classifier"), ("epochs", "5"), ("num_models", "5"), ("l1", "0.001")];
        var one = (LinearLearnerModel)new LinearLearnerTrainer().Train(data, null, TestData.Hp(hp), new TrainingContext { Threads = 1 });
        var two = (LinearLearnerModel)new LinearLearnerTrainer().Train(data, null, TestData.Hp(hp), new TrainingContext { Threads = 2 });
        Assert.Equal(one.RawCoefficients().Weights, two.RawCoefficients().Weights);
        Assert.Equal(one.RawCoefficients().Bias, two.RawCoefficients().Bias);
        Assert.Equal(one.Threshold, two.Threshold);
        Assert.True(two.Metrics["train:binary_classification_accuracy"] > 0.9, two.Metrics["train:binary_classification_accuracy"].ToString());
    }

    [Theory]
    [InlineData("regressor", 1)]
    [InlineData("binary_classifier", 1)]
    [InlineData("multiclass_classifier", 3)]
    public void Scores_EqualTheRawCoefficientsApplied(string type, int classes)
    {
        var x = TestData.Gaussian(1037, 6, 8, scale: 4);
        for (var i = 0; i < x.Rows; i++)
        {
            x[i, 2] += 100;
        }
        var y = Enumerable.Range(0, x.Rows).Select(i => type switch
        {
            "regressor" => 3 * x[i, 0] - x[i, 2] + 10,
            "binary_classifier" => x[i, 0] + x[i, 1] > 0 ? 1f : 0f,
            _ => x[i, 0] > 1 ? 2f : x[i, 1] > 0 ? 1f : 0f,
        }).ToArray();
        (string, string)[] hp = classes > 1
            ? [("predictor_type", type), ("num_classes", classes.ToString()), ("epochs", "3")]
            : [("predictor_type", type), ("epochs", "3")];
        var model = (LinearLearnerModel)new LinearLearnerTrainer().Train(new Dataset(x, y, "t"), null, TestData.Hp(hp), TestData.Context);
        var (w, b) = model.RawCoefficients();
        var scores = model.Scores(x, threads: 2);
        for (var i = 0; i < x.Rows; i++)
        {
            var z = new double[classes];
            for (var c = 0; c < classes; c++)
            {
                z[c] = b[c];
                for (var j = 0; j < x.Cols; j++)
                {
                    z[c] += (double)w[c * x.Cols + j] * x[i, j];
                }
            }
            var expected = type switch
            {
                "regressor" => z,
                "binary_classifier" => [1 / (1 + Math.Exp(-z[0]))],
                _ => z.Select(v => Math.Exp(v - z.Max()) / z.Sum(u => Math.Exp(u - z.Max()))).ToArray(),
            };
            for (var c = 0; c < classes; c++)
            {
                var tolerance = type == "regressor" ? 1e-3 * Math.Max(1, Math.Abs(expected[c])) : 1e-4;
                Assert.True(Math.Abs(expected[c] - scores[i * classes + c]) <= tolerance, $"row {i} output {c}: {expected[c]} vs {scores[i * classes + c]}");
            }
        }
    }

    [Theory]
    [InlineData("learning_rate", "-1")]
    [InlineData("epochs", "0")]
    [InlineData("optimizer", "lbfgs")]
    [InlineData("lerning_rate", "0.1")]
    [InlineData("mini_batch_size", "ten")]
    public void Train_BadHyperparameter_NamesIt(string name, string value)
    {
        var data = new Dataset(TestData.Gaussian(10, 2, 1), new float[10], "t");
        var e = Assert.Throws<HyperparameterException>(() => new LinearLearnerTrainer().Train(data, null,
            TestData.Hp(("predictor_type", "regressor"), (name, value)), TestData.Context));
        Assert.Equal(name, e.Name);
    }

    [Fact]
    public void Train_MissingPredictorType_IsRequired()
    {
        var data = new Dataset(TestData.Gaussian(10, 2, 1), new float[10], "t");
        var e = Assert.Throws<HyperparameterException>(() => new LinearLearnerTrainer().Train(data, null, TestData.Hp(), TestData.Context));
        Assert.Equal("predictor_type", e.Name);
    }

    [Fact]
    public void Train_BinaryLabelNotZeroOne_NamesRow()
    {
        var data = new Dataset(TestData.Gaussian(3, 2, 1), [0, 1, 2], "labels.csv");
        var e = Assert.Throws<DataFormatException>(() => new LinearLearnerTrainer().Train(data, null,
            TestData.Hp(("predictor_type", "binary_classifier")), TestData.Context));
        Assert.Equal(3, e.Line);
    }
}
