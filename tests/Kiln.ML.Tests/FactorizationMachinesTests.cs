using Kiln.ML.Data;
using Kiln.ML.Trainers;

namespace Kiln.ML.Tests;

public sealed class FactorizationMachinesTests
{
    /// <summary>users × items one-hot rows (user u → column u, item i → column users + i), rating = 3 + ⟨p_u, q_i⟩ + noise.</summary>
    private static (Dataset Train, Dataset Test) Ratings(int users, int items, int rank, int seed)
    {
        var rng = new Random(seed);
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        var p = Enumerable.Range(0, users * rank).Select(_ => Normal()).ToArray();
        var q = Enumerable.Range(0, items * rank).Select(_ => Normal()).ToArray();
        var pairs = Enumerable.Range(0, users * items).ToArray();
        rng.Shuffle(pairs);
        Dataset Build(ReadOnlySpan<int> chosen)
        {
            var starts = new int[chosen.Length + 1];
            var index = new int[2 * chosen.Length];
            var values = new float[2 * chosen.Length];
            var labels = new float[chosen.Length];
            for (var r = 0; r < chosen.Length; r++)
            {
                var (u, i) = (chosen[r] / items, chosen[r] % items);
                index[2 * r] = u;
                index[2 * r + 1] = users + i;
                values[2 * r] = values[2 * r + 1] = 1;
                starts[r + 1] = 2 * r + 2;
                var dot = 0.0;
                for (var f = 0; f < rank; f++)
                {
                    dot += p[u * rank + f] * q[i * rank + f];
                }
                labels[r] = (float)(3 + dot + 0.1 * Normal());
            }
            return new Dataset(new SparseMatrix(starts, index, values, users + items), labels, "ratings");
        }
        var cut = pairs.Length * 4 / 5;
        return (Build(pairs.AsSpan(0, cut)), Build(pairs.AsSpan(cut)));
    }

    /// <summary>Best additive model (global mean + user bias + item bias) by alternating least squares.</summary>
    private static double AdditiveRmse(Dataset train, Dataset test, int users, int items)
    {
        var x = train.Sparse!;
        var y = train.Labels!;
        var mean = y.Average();
        var bu = new double[users];
        var bi = new double[items];
        for (var sweep = 0; sweep < 50; sweep++)
        {
            var su = new double[users];
            var cu = new int[users];
            for (var r = 0; r < x.Rows; r++)
            {
                var (u, i) = (x.RowIndices(r)[0], x.RowIndices(r)[1] - users);
                su[u] += y[r] - mean - bi[i];
                cu[u]++;
            }
            for (var u = 0; u < users; u++)
            {
                bu[u] = cu[u] == 0 ? 0 : su[u] / cu[u];
            }
            var si = new double[items];
            var ci = new int[items];
            for (var r = 0; r < x.Rows; r++)
            {
                var (u, i) = (x.RowIndices(r)[0], x.RowIndices(r)[1] - users);
                si[i] += y[r] - mean - bu[u];
                ci[i]++;
            }
            for (var i = 0; i < items; i++)
            {
                bi[i] = ci[i] == 0 ? 0 : si[i] / ci[i];
            }
        }
        var t = test.Sparse!;
        var sq = 0.0;
        for (var r = 0; r < t.Rows; r++)
        {
            var e = mean + bu[t.RowIndices(r)[0]] + bi[t.RowIndices(r)[1] - users] - test.Labels![r];
            sq += e * e;
        }
        return Math.Sqrt(sq / t.Rows);
    }

    [Fact]
    public void Train_LowRankInteraction_BeatsAdditiveModel()
    {
        const int users = 40, items = 30;
        var (train, test) = Ratings(users, items, rank: 2, seed: 3);
        var model = (FactorizationMachinesModel)new FactorizationMachinesTrainer().Train(train, test, TestData.Hp(
            ("feature_dim", $"{users + items}"), ("num_factors", "4"), ("predictor_type", "regressor"), ("epochs", "200"),
            ("mini_batch_size", "32"), ("factors_lr", "0.01"), ("linear_lr", "0.01"), ("factors_init_sigma", "0.1")), TestData.Context);
        var fm = model.Metrics["test:rmse"];
        var additive = AdditiveRmse(train, test, users, items);
        Assert.True(fm < 0.6 * additive, $"FM test RMSE {fm}, additive model {additive}");
    }

    [Fact]
    public void Predict_RendleIdentity_EqualsNaivePairSum()
    {
        const int n = 13, k = 5;
        var rng = new Random(4);
        var w = Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        var v = Enumerable.Range(0, n * k).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        var model = new FactorizationMachinesModel("regressor", n, k, 0.3f, w, v, new Dictionary<string, double>());
        int[] index = [0, 2, 3, 7, 8, 12];
        float[] value = [1f, -2f, 0.5f, 3f, 1f, -0.25f];
        var naive = 0.3;
        for (var a = 0; a < index.Length; a++)
        {
            naive += w[index[a]] * value[a];
            for (var b = a + 1; b < index.Length; b++)
            {
                var dot = 0.0;
                for (var f = 0; f < k; f++)
                {
                    dot += v[index[a] * k + f] * v[index[b] * k + f];
                }
                naive += dot * value[a] * value[b];
            }
        }
        Assert.Equal(naive, model.Predict(index, value, new float[k]), 1e-5);
    }

    [Fact]
    public void Train_BinaryClassifier_LearnsInteraction_AndAnswersSageMakerShape()
    {
        var (train, test) = Ratings(30, 20, rank: 2, seed: 5);
        var binary = new Dataset(train.Sparse!, train.Labels!.Select(r => r > 3 ? 1f : 0f).ToArray(), "b");
        var model = new FactorizationMachinesTrainer().Train(binary, null, TestData.Hp(
            ("feature_dim", "50"), ("num_factors", "4"), ("predictor_type", "binary_classifier"), ("epochs", "100"),
            ("mini_batch_size", "32"), ("factors_lr", "0.01"), ("linear_lr", "0.01"), ("factors_init_sigma", "0.1")), TestData.Context);
        Assert.True(model.Metrics["train:roc_auc_score"] > 0.9, model.Metrics["train:roc_auc_score"].ToString());
        var w = new StringWriter();
        ((ISparseModel)model).WriteResponse(test.Sparse!, "application/json", w, 1);
        Assert.Matches("""^\{"predictions":\[\{"score":[0-9.E-]+,"predicted_label":[01]\}""", w.ToString());
    }

    [Theory]
    [InlineData("num_factors", "0")]
    [InlineData("predictor_type", "multiclass_classifier")]
    [InlineData("bias_init_method", "xavier")]
    [InlineData("factors_lr", "-1")]
    [InlineData("linear_wd", "x")]
    [InlineData("feature_dim", "2")]
    [InlineData("factor_lr", "0.1")]
    public void Train_BadHyperparameter_NamesIt(string name, string value)
    {
        var (train, _) = Ratings(5, 4, 1, 1);
        var hp = new Dictionary<string, string> { ["feature_dim"] = "9", ["num_factors"] = "2", ["predictor_type"] = "regressor", [name] = value };
        var e = Assert.Throws<HyperparameterException>(() => new FactorizationMachinesTrainer().Train(
            train, null, new Hyperparameters(hp), TestData.Context));
        Assert.Equal(name, e.Name);
    }
}
