using Kiln.ML.Data;
using Kiln.ML.Trainers;

namespace Kiln.ML.Tests;

public sealed class RandomCutForestTests
{
    private static Dataset Inliers(int rows, int seed) => new(TestData.Gaussian(rows, 3, seed), null, "t");

    private static RandomCutForestModel Train(Dataset data, int seed = 1, params (string, string)[] extra) =>
        (RandomCutForestModel)new RandomCutForestTrainer().Train(data, null,
            TestData.Hp([("feature_dim", data.Features.Cols.ToString()), ("num_trees", "50"), ("num_samples_per_tree", "64"), .. extra]),
            new TrainingContext { Threads = 2, Seed = seed });

    [Fact]
    public void Scores_ClearOutlier_ScoresAboveEveryInlier()
    {
        var model = Train(Inliers(500, 3));
        var test = TestData.Gaussian(101, 3, 4);
        test[100, 0] = 8;
        test[100, 1] = -8;
        var scores = model.Scores(test, 2);
        var outlier = scores[100];
        Assert.All(scores[..100], s => Assert.True(s < outlier, $"inlier {s} >= outlier {outlier}"));
    }

    [Fact]
    public void Train_SameSeed_SameScores_OtherSeed_Differs()
    {
        var data = Inliers(300, 5);
        var a = Train(data, seed: 7).Scores(data.Features, 2);
        var b = Train(data, seed: 7).Scores(data.Features, 2);
        var c = Train(data, seed: 8).Scores(data.Features, 2);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void CoDisp_LeafPoint_MatchesDefinitionOnTinyTree()
    {
        // Points 0, 1, 10 on a line: the first cut lies in [0, 10] and nearly always isolates 10.
        var x = DenseMatrix.FromRows([[0f], [1f], [10f]]);
        var tree = RandomCutTree.Build(x, [0, 1, 2], new Random(3));
        // A copy of a training point: path root → ... → leaf; CoDisp from the ancestors only.
        var far = tree.CoDisp([10f]);
        var near = tree.CoDisp([0f]);
        Assert.True(far > near, $"far {far}, near {near}");
        // A new point beyond the box is cut off at the root with probability growth / (growth + range).
        var beyond = tree.CoDisp([20f]);
        Assert.True(beyond >= 10.0 / 20 * 3, beyond.ToString());
    }

    [Theory]
    [InlineData("num_trees", "10")]
    [InlineData("num_samples_per_tree", "0")]
    [InlineData("feature_dim", "4")]
    [InlineData("eval_metrics", "[\"rmse\"]")]
    [InlineData("num_tree", "100")]
    public void Train_BadHyperparameter_NamesIt(string name, string value)
    {
        var hp = new Dictionary<string, string> { ["feature_dim"] = "3", [name] = value };
        var e = Assert.Throws<HyperparameterException>(() => new RandomCutForestTrainer().Train(
            Inliers(20, 1), null, new Hyperparameters(hp), TestData.Context));
        Assert.Equal(name, e.Name);
    }

    [Fact]
    public void Train_FeatureDimMissing_IsRequired()
    {
        var e = Assert.Throws<HyperparameterException>(() => new RandomCutForestTrainer().Train(
            Inliers(20, 1), null, TestData.Hp(), TestData.Context));
        Assert.Equal("feature_dim", e.Name);
    }

    [Fact]
    public void WriteResponse_HasSageMakerShape()
    {
        var model = Train(Inliers(100, 2));
        var json = new StringWriter();
        model.WriteResponse(DenseMatrix.FromRows([[0f, 0f, 0f], [5f, 5f, 5f]]), "application/json", json, 1);
        Assert.Matches("""^\{"scores":\[\{"score":[0-9.E-]+\},\{"score":[0-9.E-]+\}\]\}$""", json.ToString().Trim());
        var lines = new StringWriter();
        model.WriteResponse(DenseMatrix.FromRows([[0f, 0f, 0f]]), "application/jsonlines", lines, 1);
        Assert.Matches("""^\{"score":[0-9.E-]+\}$""", lines.ToString().Trim());
    }
}
