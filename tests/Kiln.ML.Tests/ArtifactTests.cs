using System.Diagnostics;
using System.Runtime.InteropServices;
using Kiln.ML.Artifacts;
using Kiln.ML.Data;
using Kiln.ML.Trainers;
using Kiln.ML.Trainers.XGBoost;

namespace Kiln.ML.Tests;

/// <summary>A fact that is skipped, with the reason, when Debian's python3-xgboost is not installed.</summary>
public sealed class PythonXGBoostFactAttribute : FactAttribute
{
    private static readonly Lazy<bool> Available = new(() =>
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo("/usr/bin/python3", "-c \"import xgboost\"")
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            })!;
            p.WaitForExit();
            return p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    });

    public PythonXGBoostFactAttribute()
    {
        if (!Available.Value)
        {
            Skip = "python3-xgboost is not installed (apt-get install python3-xgboost); cannot check the artifact in Python";
        }
    }
}

public sealed class ArtifactTests
{
    private static Dataset Binary(int rows, int seed)
    {
        var x = TestData.Gaussian(rows, 5, seed);
        x[0, 1] = float.NaN;
        var y = Enumerable.Range(0, rows).Select(i => x[i, 0] - x[i, 2] > 0 ? 1f : 0f).ToArray();
        return new Dataset(x, y, "t");
    }

    public static TheoryData<string, string[]> Models => new()
    {
        { "linear-learner", ["predictor_type=binary_classifier", "epochs=3"] },
        { "kmeans", ["k=3"] },
        { "pca", ["num_components=2"] },
        { "knn", ["k=3", "predictor_type=classifier", "sample_size=100"] },
        { "xgboost", ["num_round=5", "objective=binary:logistic"] },
        { "factorization-machines", ["feature_dim=5", "num_factors=2", "predictor_type=binary_classifier", "epochs=2"] },
        { "randomcutforest", ["feature_dim=5", "num_trees=50", "num_samples_per_tree=32"] },
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void SaveArchive_LoadArchive_AnswersIdentically(string algorithm, string[] hp)
    {
        using var dir = new TempDir();
        var data = Binary(200, 11);
        var values = hp.Select(h => h.Split('=')).ToDictionary(p => p[0], p => p[1]);
        var model = Algorithms.Get(algorithm).Train(data, null, new Hyperparameters(values), TestData.Context);
        var archive = Algorithms.SaveArchive(model, dir.Path);
        var loaded = Algorithms.LoadArchive(archive);
        Assert.Equal(algorithm, loaded.Algorithm);
        foreach (var accept in new[] { "application/json", "text/csv", "application/jsonlines" })
        {
            var a = new StringWriter();
            var b = new StringWriter();
            model.WriteResponse(data.Features, accept, a, 1);
            loaded.WriteResponse(data.Features, accept, b, 1);
            Assert.Equal(a.ToString(), b.ToString());
            Assert.NotEmpty(a.ToString());
        }
    }

    [Fact]
    public void ModelFile_WrongMagic_IsRejected()
    {
        using var dir = new TempDir();
        var path = dir.File(ModelFile.FileName, "NOTAMODEL");
        Assert.Throws<InvalidDataException>(() => ModelFile.Open(path));
    }

    [Fact]
    public void LinearLearner_JsonResponse_HasSageMakerShape()
    {
        var data = Binary(100, 12);
        var model = new LinearLearnerTrainer().Train(data, null, TestData.Hp(("predictor_type", "binary_classifier")), TestData.Context);
        var w = new StringWriter();
        model.WriteResponse(DenseMatrix.FromRows([[1f, 0f, -1f, 0f, 0f]]), "application/json", w, 1);
        Assert.Matches("""^\{"predictions":\[\{"score":[0-9.E-]+,"predicted_label":1\}\]\}$""", w.ToString().Trim());
    }

    [PythonXGBoostFact]
    public void XGBoost_Artifact_LoadsInPythonXGBoost_SamePredictions()
    {
        using var dir = new TempDir();
        var data = Binary(500, 13);
        var model = (XGBoostModel)new XGBoostTrainer().Train(data, null,
            TestData.Hp(("num_round", "20"), ("objective", "binary:logistic"), ("max_depth", "4"), ("eta", "0.3")), TestData.Context);
        var archive = Algorithms.SaveArchive(model, dir.Path);
        var extracted = Path.Combine(dir.Path, "extracted");
        Directory.CreateDirectory(extracted);
        ModelArchive.Unpack(archive, extracted);
        var input = Path.Combine(dir.Path, "x.csv");
        File.WriteAllLines(input, Enumerable.Range(0, data.Rows).Select(i =>
            string.Join(',', data.Features.Row(i).ToArray().Select(v => float.IsNaN(v) ? "" : v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))));
        const string script = """
            import sys, numpy as np, pandas as pd, xgboost as xgb
            b = xgb.Booster(); b.load_model(sys.argv[1])
            x = pd.read_csv(sys.argv[2], header=None).to_numpy(dtype=np.float32)
            for p in b.predict(xgb.DMatrix(x, missing=np.nan)): print(repr(float(p)))
            """;
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        psi.ArgumentList.Add(Path.Combine(extracted, XGBoostModel.FileName));
        psi.ArgumentList.Add(input);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEnd();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, stderr);
        var python = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(s => double.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var (ours, width) = model.Predict(data.Features, 1);
        Assert.Equal(1, width);
        Assert.Equal(ours.Length, python.Length);
        for (var i = 0; i < ours.Length; i++)
        {
            Assert.Equal(python[i], ours[i], 1e-6);
        }
    }

    [Fact]
    public void XGBoost_EarlyStopping_KeepsBestRounds()
    {
        var train = Binary(400, 14);
        var valid = Binary(200, 15);
        var lines = new List<string>();
        var model = new XGBoostTrainer().Train(train, valid,
            TestData.Hp(("num_round", "200"), ("objective", "binary:logistic"), ("eval_metric", "logloss"), ("early_stopping_rounds", "3"), ("eta", "0.8")),
            new TrainingContext { Threads = 2, Progress = lines.Add });
        var stop = Assert.Single(lines, l => l.StartsWith("early stopping", StringComparison.Ordinal));
        Assert.True(lines.Count < 200);
        // The metrics are the best round's, as its progress line printed them.
        var best = int.Parse(stop.Split(' ')[4], System.Globalization.CultureInfo.InvariantCulture);
        var bestLine = lines.Single(l => l.StartsWith($"[{best}]\t", StringComparison.Ordinal));
        Assert.Equal(XGBoostTrainer.ParseEval(bestLine, out _, out _), model.Metrics);
        Assert.True(model.Metrics.ContainsKey("validation:logloss"));
    }

    [Fact]
    public void XGBoost_Metrics_AreTheLastRoundsEvaluation()
    {
        var lines = new List<string>();
        var model = new XGBoostTrainer().Train(Binary(300, 16), Binary(100, 17),
            TestData.Hp(("num_round", "7"), ("objective", "binary:logistic"), ("eval_metric", "auc,logloss")),
            new TrainingContext { Threads = 2, Progress = lines.Add });
        Assert.Equal(7, lines.Count);
        Assert.StartsWith("[6]\ttrain-auc:", lines[^1], StringComparison.Ordinal);
        Assert.Equal(["train:auc", "train:logloss", "validation:auc", "validation:logloss"], model.Metrics.Keys.Order());
        foreach (var (name, value) in model.Metrics)
        {
            var token = $"{name.Replace(':', '-')}:";
            var printed = lines[^1].Split('\t').Single(t => t.StartsWith(token, StringComparison.Ordinal))[token.Length..];
            Assert.Equal(double.Parse(printed, System.Globalization.CultureInfo.InvariantCulture), value);
        }
    }

    [Theory]
    [InlineData("[3]\ttrain-rmse:1.25\tvalidation-rmse:1.5")]
    [InlineData("[0]\tvalidación-rmse:2")]
    [InlineData("")]
    public void XGBoost_EvalLine_DecodesUtf8(string line)
    {
        foreach (var text in new[] { line, line + new string('x', 300) })
        {
            var p = Marshal.StringToCoTaskMemUTF8(text);
            try
            {
                Assert.Equal(text, XGBoostTrainer.EvalLine(p));
            }
            finally
            {
                Marshal.FreeCoTaskMem(p);
            }
        }
    }

    [Theory]
    [InlineData("eta", "1.5")]
    [InlineData("num_round", "0")]
    [InlineData("objective", "binary:magic")]
    public void XGBoost_BadHyperparameter_NamesIt(string name, string value)
    {
        var hp = new Dictionary<string, string> { ["num_round"] = "2", [name] = value };
        var e = Assert.Throws<HyperparameterException>(() => new XGBoostTrainer().Train(Binary(20, 1), null, new Hyperparameters(hp), TestData.Context));
        Assert.Equal(name, e.Name);
    }
}
