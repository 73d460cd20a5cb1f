using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Kiln.ML.Data;

namespace Kiln.ML.Trainers.XGBoost;

/// <summary>
/// SageMaker's XGBoost algorithm: the real libxgboost. Every hyperparameter except SageMaker's own
/// (num_round, early_stopping_rounds, csv_weights) goes to XGBoosterSetParam unchanged, so anything
/// libxgboost 1.7 understands works; the common ones are range-checked first so a bad value names
/// the hyperparameter, as SageMaker's container does.
/// </summary>
public sealed unsafe class XGBoostTrainer : ITrainer
{
    public const string Name = "xgboost";

    /// <summary>SageMaker-only hyperparameters that libxgboost does not know.</summary>
    private static readonly string[] SageMakerOnly = ["num_round", "early_stopping_rounds", "csv_weights"];

    private static readonly string[] Objectives =
    [
        "reg:squarederror", "reg:squaredlogerror", "reg:logistic", "reg:pseudohubererror", "reg:absoluteerror",
        "reg:gamma", "reg:tweedie", "binary:logistic", "binary:logitraw", "binary:hinge", "count:poisson",
        "survival:cox", "survival:aft", "multi:softmax", "multi:softprob", "rank:pairwise", "rank:ndcg", "rank:map",
    ];

    public string Algorithm => Name;

    /// <summary>
    /// Loads libxgboost (and libgomp with it) now rather than at the first call of a training run:
    /// a missing library is reported before any data is read, and the loading (the dynamic linking,
    /// libxgboost's static registries, OpenMP's start-up) is not timed as training, just as it
    /// happens before main() in a program linked against libxgboost.
    /// </summary>
    public static void LoadLibrary()
    {
        try
        {
            XGBoostNative.XGBoostVersion(out _, out _, out _);
        }
        catch (DllNotFoundException e)
        {
            throw new InvalidOperationException("libxgboost.so.0 cannot be loaded (Debian package libxgboost0): " + e.Message, e);
        }
    }

    public IModel Train(Dataset train, Dataset? validation, Hyperparameters hp, TrainingContext context) =>
        Train(train, validation, hp, context, null, null);

    /// <summary>
    /// Training with query groups (<see cref="QueryGroups"/>): the sizes of consecutive runs of rows
    /// that belong to one query, which the rank: objectives need for each channel.
    /// </summary>
    public IModel Train(Dataset train, Dataset? validation, Hyperparameters hp, TrainingContext context,
        uint[]? trainGroups, uint[]? validationGroups)
    {
        var rounds = hp.Int("num_round", null, 1);
        var earlyStopping = hp.IsSet("early_stopping_rounds") ? hp.Int("early_stopping_rounds", null, 1) : 0;
        var objective = hp.Choice("objective", "reg:squarederror", Objectives);
        hp.Float("eta", 0.3, 0, 1);
        hp.Int("max_depth", 6, 0);
        hp.Float("subsample", 1, 0, 1, minExclusive: true);
        hp.Float("colsample_bytree", 1, 0, 1, minExclusive: true);
        hp.Float("min_child_weight", 1, 0);
        hp.Float("gamma", 0, 0);
        hp.Float("lambda", 1, 0);
        hp.Float("alpha", 0, 0);
        if (objective.StartsWith("multi:", StringComparison.Ordinal))
        {
            hp.Int("num_class", null, 2);
        }
        if (objective.StartsWith("rank:", StringComparison.Ordinal) && (trainGroups is null || (validation is not null && validationGroups is null)))
        {
            throw new HyperparameterException("objective",
                $"{objective} needs query groups for every channel: qid: tokens in text/libsvm rows or a FILE.group file beside the data");
        }
        if (earlyStopping > 0 && validation is null)
        {
            throw new HyperparameterException("early_stopping_rounds", "needs a validation channel");
        }

        using var dtrain = DMatrixHandle.FromDense(train.Features, train.RequireLabels(), context.Threads);
        using var dvalid = validation is null ? null : DMatrixHandle.FromDense(validation.Features, validation.RequireLabels(), context.Threads);
        if (trainGroups is not null)
        {
            QueryGroups.Check(trainGroups, train.Rows, train.Source);
            dtrain.SetGroups(trainGroups);
        }
        if (dvalid is not null && validationGroups is not null)
        {
            QueryGroups.Check(validationGroups, validation!.Rows, validation.Source);
            dvalid.SetGroups(validationGroups);
        }
        var matrices = dvalid is null ? [dtrain.DangerousGetHandle()] : new[] { dtrain.DangerousGetHandle(), dvalid.DangerousGetHandle() };
        nint raw;
        fixed (nint* m = matrices)
        {
            XGBoostNative.Check(XGBoostNative.XGBoosterCreate(m, (ulong)matrices.Length, out raw));
        }
        var booster = new BoosterHandle(raw);
        var set = (string k, string v) => XGBoostNative.Check(XGBoostNative.XGBoosterSetParam(booster.DangerousGetHandle(), k, v));
        set("nthread", context.Threads.ToString(CultureInfo.InvariantCulture));
        set("objective", objective);
        foreach (var (key, value) in hp.Values)
        {
            if (!SageMakerOnly.Contains(key) && key != "objective")
            {
                // eval_metric may list several metrics, as SageMaker allows ("auc,logloss"); libxgboost takes one per call.
                foreach (var part in key == "eval_metric" ? value.Split(',') : [value])
                {
                    set(key, part.Trim());
                }
            }
        }

        // The round loop does as little .NET work as it can. Code run in every round becomes hot, and
        // the runtime then recompiles it (twice, with TieredPGO) on a background thread, which on a
        // small machine takes CPU from libxgboost's OpenMP threads: so the evaluation line is parsed
        // only when it is used (every round with early stopping, else once at the end), and the
        // handles and channel names are looked up once.
        var boosterHandle = booster.DangerousGetHandle();
        var trainHandle = dtrain.DangerousGetHandle();
        var names = new nint[matrices.Length];
        var line = "";
        var best = (Round: -1, Score: double.NaN);
        var bestEval = new Dictionary<string, double>();
        try
        {
            for (var i = 0; i < names.Length; i++)
            {
                names[i] = Marshal.StringToCoTaskMemUTF8(i == 0 ? "train" : "validation");
            }
            for (var round = 0; round < rounds; round++)
            {
                XGBoostNative.Check(XGBoostNative.XGBoosterUpdateOneIter(boosterHandle, round, trainHandle));
                nint result;
                fixed (nint* m = matrices)
                fixed (nint* n = names)
                {
                    XGBoostNative.Check(XGBoostNative.XGBoosterEvalOneIter(boosterHandle, round, m, n, (ulong)matrices.Length, out result));
                }
                line = EvalLine(result);
                context.Progress(line);
                if (earlyStopping == 0)
                {
                    continue;
                }
                // As in xgboost's own callback, the last metric on the validation set decides.
                var eval = ParseEval(line, out var stopMetric, out var stopScore);
                var better = best.Round < 0 || (Maximize(stopMetric) ? stopScore > best.Score : stopScore < best.Score);
                if (better)
                {
                    best = (round, stopScore);
                    bestEval = eval;
                }
                else if (round - best.Round >= earlyStopping)
                {
                    context.Progress($"early stopping: best round {best.Round} ({stopMetric}={best.Score.ToString(CultureInfo.InvariantCulture)})");
                    break;
                }
            }
        }
        finally
        {
            foreach (var n in names)
            {
                Marshal.FreeCoTaskMem(n);
            }
        }
        if (best.Round < 0)
        {
            return new XGBoostModel(booster, ParseEval(line, out _, out _));
        }
        // Keep only the best rounds, so the saved model predicts like the one that scored best
        // in any xgboost reader, without relying on a best_iteration attribute.
        XGBoostNative.Check(XGBoostNative.XGBoosterSlice(boosterHandle, 0, best.Round + 1, 1, out var sliced));
        booster.Dispose();
        return new XGBoostModel(new BoosterHandle(sliced), bestEval);
    }

    /// <summary>
    /// The evaluation line libxgboost returns, as a string. It is ASCII (channel and metric names,
    /// numbers), and widening it here takes one small method per round where
    /// Marshal.PtrToStringUTF8 runs eight large vectorized ones (strlen, UTF-8 validation and
    /// transcoding), each of which the runtime then recompiles during training; anything else
    /// goes through PtrToStringUTF8.
    /// </summary>
    [SkipLocalsInit]
    internal static string EvalLine(nint result)
    {
        var text = (byte*)result;
        Span<char> chars = stackalloc char[256];
        for (var n = 0; n < chars.Length; n++)
        {
            if (text[n] == 0)
            {
                return new string(chars[..n]);
            }
            if (text[n] >= 0x80)
            {
                break;
            }
            chars[n] = (char)text[n];
        }
        return Marshal.PtrToStringUTF8(result) ?? "";
    }

    /// <summary>Parses "[3]\ttrain-rmse:1.2\tvalidation-rmse:1.4" into {"train:rmse": 1.2, ...}.</summary>
    internal static Dictionary<string, double> ParseEval(string line, out string lastMetric, out double lastScore)
    {
        var metrics = new Dictionary<string, double>();
        lastMetric = "";
        lastScore = double.NaN;
        foreach (var token in line.Split('\t').Skip(1))
        {
            var colon = token.LastIndexOf(':');
            var dash = token.IndexOf('-');
            if (colon < 0 || dash < 0 || dash > colon)
            {
                continue;
            }
            var metric = token[(dash + 1)..colon];
            var score = double.Parse(token[(colon + 1)..], CultureInfo.InvariantCulture);
            metrics[token[..dash] + ":" + metric] = score;
            lastMetric = metric;
            lastScore = score;
        }
        return metrics;
    }

    private static bool Maximize(string metric) =>
        metric.StartsWith("auc", StringComparison.Ordinal) || metric.StartsWith("map", StringComparison.Ordinal)
        || metric.StartsWith("ndcg", StringComparison.Ordinal) || metric.StartsWith("pre", StringComparison.Ordinal);
}
