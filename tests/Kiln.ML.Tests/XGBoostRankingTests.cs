using System.Diagnostics;
using System.Globalization;
using Kiln.ML.Data;
using Kiln.ML.Trainers;
using Kiln.ML.Trainers.XGBoost;

namespace Kiln.ML.Tests;

/// <summary>XGBoost's rank: objectives with query groups read from libsvm qid tokens or a .group file.</summary>
public sealed class XGBoostRankingTests
{
    private const int Docs = 8;

    /// <summary>
    /// Queries of 8 documents with 4 features; relevance 0–3 grows with x0 + x1/2 plus noise. Rows
    /// are written as text/libsvm with qid tokens (or without, plus a .group file).
    /// </summary>
    private static string WriteRanking(TempDir dir, string name, int queries, int seed, bool qid)
    {
        var rng = new Random(seed);
        var x = TestData.Gaussian(queries * Docs, 4, seed + 1);
        var lines = new List<string>();
        for (var i = 0; i < x.Rows; i++)
        {
            var score = x[i, 0] + 0.5 * x[i, 1] + 0.3 * (rng.NextDouble() - 0.5) + 1.5;
            var rel = Math.Clamp(Math.Round(score), 0, 3);
            var features = string.Join(' ', Enumerable.Range(0, 4).Select(j => $"{j}:{x[i, j].ToString("R", CultureInfo.InvariantCulture)}"));
            lines.Add(qid ? $"{rel} qid:{100 + i / Docs} {features}" : $"{rel} {features}");
        }
        var path = dir.File(name, string.Join('\n', lines) + "\n");
        if (!qid)
        {
            File.WriteAllLines(path + ".group", Enumerable.Repeat(Docs.ToString(CultureInfo.InvariantCulture), queries));
        }
        return path;
    }

    /// <summary>Mean NDCG over queries of 8 rows each, with gains 2^rel − 1 and log2 discounts.</summary>
    private static double Ndcg(float[] relevance, float[] scores)
    {
        var total = 0.0;
        var queries = relevance.Length / Docs;
        for (var q = 0; q < queries; q++)
        {
            var rows = Enumerable.Range(q * Docs, Docs).ToArray();
            double Dcg(IEnumerable<int> order) => order.Select((r, i) => (Math.Pow(2, relevance[r]) - 1) / Math.Log2(i + 2)).Sum();
            var ideal = Dcg(rows.OrderByDescending(r => relevance[r]));
            total += ideal == 0 ? 1 : Dcg(rows.OrderByDescending(r => scores[r])) / ideal;
        }
        return total / queries;
    }

    [Theory]
    [InlineData("rank:pairwise")]
    [InlineData("rank:ndcg")]
    [InlineData("rank:map")]
    public void Ranking_QidGroups_NdcgBeatsRandomOrder(string objective)
    {
        using var dir = new TempDir();
        var trainPath = WriteRanking(dir, "train.libsvm", 40, 1, qid: true);
        var testPath = WriteRanking(dir, "test.libsvm", 20, 2, qid: true);
        var train = DataReader.ReadAll(trainPath, "text/libsvm", hasLabel: true);
        var test = DataReader.ReadAll(testPath, "text/libsvm", hasLabel: true, train.Cols);
        var groups = QueryGroups.Find(trainPath, ContentTypes.LibSvm)!;
        Assert.Equal(Enumerable.Repeat((uint)Docs, 40), groups);
        using var model = (XGBoostModel)new XGBoostTrainer().Train(train, null,
            TestData.Hp(("num_round", "30"), ("objective", objective), ("max_depth", "3"), ("eta", "0.3")), TestData.Context, groups, null);
        var scores = model.Predict(test.Features, 1).Values;
        var rng = new Random(3);
        var random = Enumerable.Range(0, 50).Average(_ => Ndcg(test.Labels!, Enumerable.Range(0, test.Rows).Select(_ => (float)rng.NextDouble()).ToArray()));
        var ours = Ndcg(test.Labels!, scores);
        Assert.True(ours > random + 0.15, $"NDCG {ours:F3} vs random order {random:F3}");
    }

    [Fact]
    public void Ranking_WithoutGroups_NamesObjective()
    {
        var x = TestData.Gaussian(16, 2, 1);
        var e = Assert.Throws<HyperparameterException>(() => new XGBoostTrainer().Train(new Dataset(x, new float[16], "t"), null,
            TestData.Hp(("num_round", "2"), ("objective", "rank:pairwise")), TestData.Context));
        Assert.Equal("objective", e.Name);
    }

    [Fact]
    public void QueryGroups_GroupFile_IsUsedWhenRowsHaveNoQid()
    {
        using var dir = new TempDir();
        var path = WriteRanking(dir, "train.libsvm", 5, 1, qid: false);
        Assert.Null(QueryGroups.FromLibSvm(path));
        Assert.Equal(Enumerable.Repeat((uint)Docs, 5), QueryGroups.Find(path, ContentTypes.LibSvm));
    }

    [Fact]
    public void QueryGroups_Csv_OnlyItsGroupFileIsRead()
    {
        using var dir = new TempDir();
        // Read as libsvm this row's "qid:x,0.5" is a malformed qid; CSV has no qid tokens, so it is not looked at.
        var csv = dir.File("train.csv", "1 qid:x,0.5\n0,0.25\n");
        Assert.Null(QueryGroups.Find(csv, ContentTypes.Csv));
        Assert.Throws<DataFormatException>(() => QueryGroups.Find(csv, "text/x-libsvm"));
        File.WriteAllLines(csv + ".group", ["2"]);
        Assert.Equal([2u], QueryGroups.Find(csv, "text/csv;label_size=1")!);
    }

    [Theory]
    [InlineData("1 qid:1 0:1\n0 qid:2 0:2\n1 qid:1 0:3\n", 3)]
    [InlineData("1 qid:1 0:1\n0 0:2\n", 2)]
    [InlineData("1 0:1\n0 qid:3 0:2\n", 2)]
    [InlineData("1 qid:x 0:1\n", 1)]
    public void QueryGroups_Malformed_NamesLine(string text, int line)
    {
        using var dir = new TempDir();
        var e = Assert.Throws<DataFormatException>(() => QueryGroups.FromLibSvm(dir.File("bad.libsvm", text)));
        Assert.Equal(line, e.Line);
    }

    [Fact]
    public void QueryGroups_WrongTotal_IsRejected()
    {
        var x = TestData.Gaussian(16, 2, 1);
        Assert.Throws<DataFormatException>(() => new XGBoostTrainer().Train(new Dataset(x, new float[16], "t"), null,
            TestData.Hp(("num_round", "2"), ("objective", "rank:pairwise")), TestData.Context, [8, 7], null));
    }

    [PythonXGBoostFact]
    public void Ranking_Artifact_LoadsInPythonXGBoost_SameScores()
    {
        using var dir = new TempDir();
        var trainPath = WriteRanking(dir, "train.libsvm", 30, 4, qid: true);
        var train = DataReader.ReadAll(trainPath, "text/libsvm", hasLabel: true);
        using var model = (XGBoostModel)new XGBoostTrainer().Train(train, null,
            TestData.Hp(("num_round", "15"), ("objective", "rank:pairwise"), ("max_depth", "4")), TestData.Context, QueryGroups.Find(trainPath, ContentTypes.LibSvm), null);
        var modelDir = Path.Combine(dir.Path, "model");
        Directory.CreateDirectory(modelDir);
        model.Save(modelDir);
        var input = dir.File("x.csv", string.Join('\n', Enumerable.Range(0, train.Rows).Select(i =>
            string.Join(',', train.Features.Row(i).ToArray().Select(v => v.ToString("R", CultureInfo.InvariantCulture))))) + "\n");
        const string script = """
            import sys, numpy as np, xgboost as xgb
            b = xgb.Booster(); b.load_model(sys.argv[1])
            x = np.loadtxt(sys.argv[2], delimiter=",", dtype=np.float32, ndmin=2)
            for p in b.predict(xgb.DMatrix(x)): print(repr(float(p)))
            """;
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-c", script, Path.Combine(modelDir, XGBoostModel.FileName), input })
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEnd();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, stderr);
        var python = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var ours = model.Predict(train.Features, 1).Values;
        Assert.Equal(ours.Length, python.Length);
        for (var i = 0; i < ours.Length; i++)
        {
            Assert.Equal(python[i], ours[i], 1e-6);
        }
    }
}
