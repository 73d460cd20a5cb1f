using Kiln.ML.Artifacts;
using Kiln.ML.Data;
using Kiln.ML.Kernels;
using Kiln.ML.Metrics;

namespace Kiln.ML.Trainers;

/// <summary>
/// SageMaker's Linear Learner: a linear model trained by mini-batch SGD, Adam or RMSProp on
/// standardized features (normalize_data) and, for regression, a standardized label
/// (normalize_label), with L1 (proximal step) and L2 (wd) penalties and early stopping on the
/// validation loss (the training loss when there is no validation channel, as SageMaker does).
/// A binary classifier's decision threshold is then chosen by
/// binary_classifier_model_selection_criteria on the validation data.
/// </summary>
public sealed partial class LinearLearnerTrainer : IStreamingTrainer
{
    public const string Name = "linear-learner";

    public string Algorithm => Name;

    private sealed record Settings(
        string PredictorType, int Classes, int Epochs, int BatchSize, double LearningRate, string Optimizer, string Loss,
        double L1, double Wd, double Momentum, double Beta1, double Beta2, bool NormalizeData, bool NormalizeLabel,
        int Patience, double Tolerance, bool UseBias, double HuberDelta, double Margin, string PositiveWeight,
        string Criteria, double FBeta, double TargetPrecision, double TargetRecall,
        int NumModels, bool UseScheduler, int SchedulerStep, double SchedulerFactor, double MinimumLr);

    private static Settings Parse(Hyperparameters hp, int featureCount)
    {
        var type = hp.Choice("predictor_type", null, "binary_classifier", "multiclass_classifier", "regressor");
        var classes = type switch
        {
            "multiclass_classifier" => hp.Int("num_classes", null, 3, 1_000_000),
            _ => 1,
        };
        if (hp.IsSet("feature_dim") && hp.Int("feature_dim", null, 1) != featureCount)
        {
            throw new HyperparameterException("feature_dim", $"is {hp.Raw("feature_dim")} but the data has {featureCount} features");
        }
        var optimizer = hp.Choice("optimizer", "auto", "auto", "sgd", "adam", "rmsprop");
        optimizer = optimizer == "auto" ? "adam" : optimizer;
        string[] losses = type switch
        {
            "regressor" => ["auto", "squared_loss", "absolute_loss", "huber_loss"],
            "binary_classifier" => ["auto", "logistic", "hinge_loss"],
            _ => ["auto", "softmax_loss"],
        };
        var loss = hp.Choice("loss", "auto", losses);
        loss = loss != "auto" ? loss : type switch
        {
            "regressor" => "squared_loss",
            "binary_classifier" => "logistic",
            _ => "softmax_loss",
        };
        var positive = hp.Raw("positive_example_weight_mult") ?? "1.0";
        if (positive != "balanced" && positive != "auto")
        {
            hp.Float("positive_example_weight_mult", 1, 0, minExclusive: true);
        }
        // Parameters SageMaker accepts that this implementation does not act on (yet).
        hp.Accept("init_method", "init_scale", "init_sigma", "init_bias", "bias_lr_mult", "bias_wd_mult", "unbias_data",
            "unbias_label", "num_point_for_scaler", "num_calibration_samples", "accuracy_top_k",
            "balance_multiclass_weights", "quantile", "loss_insensitivity", "feature_dim");
        return new Settings(
            type, classes,
            hp.Int("epochs", 15, 1),
            hp.Int("mini_batch_size", 1000, 1),
            hp.Float("learning_rate", optimizer == "sgd" ? 0.1 : 0.01, 0, minExclusive: true),
            optimizer, loss,
            hp.Float("l1", 0, 0),
            hp.Float("wd", 0, 0),
            hp.Float("momentum", 0, 0, 1),
            hp.Float("beta_1", 0.9, 0, 1),
            hp.Float("beta_2", 0.999, 0, 1),
            hp.Bool("normalize_data", true),
            hp.Bool("normalize_label", type == "regressor"),
            hp.Int("early_stopping_patience", 3, 1),
            hp.Float("early_stopping_tolerance", 0.001, 0),
            hp.Bool("use_bias", true),
            hp.Float("huber_delta", 1, 0),
            hp.Float("margin", 1, 0),
            positive,
            hp.Choice("binary_classifier_model_selection_criteria", "accuracy",
                "accuracy", "f_beta", "precision_at_target_recall", "recall_at_target_precision", "loss_function"),
            hp.Float("f_beta", 1, 0, minExclusive: true),
            hp.Float("target_precision", 0.8, 0, 1),
            hp.Float("target_recall", 0.8, 0, 1),
            // auto: the given settings plus three neighbours (see Variant).
            hp.Int("num_models", 4, 1, 32),
            hp.Bool("use_lr_scheduler", true),
            // auto step (0): once per epoch.
            hp.Int("lr_scheduler_step", 0, 1),
            hp.Float("lr_scheduler_factor", 0.99, 0, 1, minExclusive: true),
            hp.Float("lr_scheduler_minimum_lr", 1e-5, 0, minExclusive: true));
    }

    public IModel Train(Dataset train, Dataset? validation, Hyperparameters hp, TrainingContext context)
    {
        var s = Parse(hp, train.Features.Cols);
        hp.RejectUnknown(Name);
        var y = train.RequireLabels();
        CheckLabels(y, train.Source, 0, s);
        if (validation is not null)
        {
            CheckLabels(validation.RequireLabels(), validation.Source, 0, s);
        }
        var stats = ColumnStats.Compute(train.Features);
        if (!s.NormalizeData)
        {
            Array.Fill(stats.Scale, 1f);
        }
        var x = Standardize(train.Features, stats, context);
        var xv = validation is null ? null : Standardize(validation.Features, stats, context);
        var (labelMean, labelScale) = s.NormalizeLabel ? LabelStats(y) : (0f, 1f);
        var yt = Scale(y, labelMean, labelScale);
        var yv = validation is null ? null : Scale(validation.RequireLabels(), labelMean, labelScale);

        var d = x.Cols;
        var outputs = Outputs(s);
        var models = new ParallelModels(s, d, outputs, x.Rows);
        var positiveWeight = PositiveWeight(s, y.Length, Positives(y));
        var rng = new SubtractiveRandom(context.Seed);
        var order = new int[x.Rows];
        var watch = new EpochWatch(models, s, onValidation: xv is not null, context);
        var groups = models.Groups(context.Threads);
        var workspaces = models.NewWorkspaces(groups);
        for (var epoch = 0; epoch < s.Epochs; epoch++)
        {
            // A fresh permutation of the rows every epoch, as the streaming path draws for each window,
            // so the two paths train identically when the file fits one window.
            rng.Permute(order);
            var trainLoss = new double[models.Count];
            var watched = xv is null ? trainLoss : new double[models.Count];
            // Each group (thread) steps a range of the models through every batch of the epoch.
            ForEachGroup(groups, context, g =>
            {
                var (first, end) = models.Group(g, groups);
                for (var start = 0; start < order.Length; start += s.BatchSize)
                {
                    var batch = order.AsSpan(start, Math.Min(s.BatchSize, order.Length - start));
                    models.Step(first, end, x, yt, batch, positiveWeight, trainLoss, workspaces[g]);
                }
                if (xv is not null)
                {
                    models.AddLosses(first, end, xv, yv!, positiveWeight, watched, workspaces[g]);
                }
                for (var m = first; m < end; m++)
                {
                    trainLoss[m] /= x.Rows;
                    if (xv is not null)
                    {
                        watched[m] /= xv.Rows;
                    }
                    watch.Offer(m, watched[m]);
                }
            });
            if (watch.EndEpoch(epoch, trainLoss[0]))
            {
                break;
            }
        }
        // The evaluation rows are scored from their standardized copy, as training saw them: the same numbers
        // Scores computes from the raw rows, without standardizing them again.
        var (evaluationX, evaluationY) = validation is null ? (x, y) : (xv!, validation.RequireLabels());
        return Finish(s, d, outputs, watch.Best, stats, labelMean, labelScale, evaluationX.Rows, Sum(evaluationY),
            (model, evaluation) => evaluation.Add(model.Scores(evaluationX, context.Threads, standardized: true), evaluationY),
            validation is null ? "train" : "validation");
    }

    /// <summary>
    /// A copy of x with missing values filled and standardized: <see cref="ColumnStats.Apply"/>'s
    /// numbers, computed four rows to a few vectors (california-housing: 0.9 ms in ColumnStats' row loop).
    /// </summary>
    private static DenseMatrix Standardize(DenseMatrix x, ColumnStats stats, TrainingContext context)
    {
        var result = new DenseMatrix(x.Rows, x.Cols);
        var d = x.Cols;
        if (context.Threads <= 1 || (long)x.Rows * d < ParallelWork)
        {
            LinearLearnerKernels.Standardize(x.Data, d, stats.Mean, stats.Scale, result.Data);
            return result;
        }
        // Blocks of 4096 rows on the threads (each row is computed alone, so the result is the same).
        Parallel.For(0, (x.Rows + 4095) / 4096, context.Parallel, block =>
        {
            var (start, rows) = (block * 4096, Math.Min(4096, x.Rows - block * 4096));
            LinearLearnerKernels.Standardize(x.Data.Slice(start * d, rows * d), d, stats.Mean, stats.Scale,
                result.Data.Slice(start * d, rows * d));
        });
        return result;
    }

    private static int Outputs(Settings s) => s.PredictorType == "multiclass_classifier" ? s.Classes : 1;

    /// <summary>
    /// The trained model with its decision threshold and metrics. <paramref name="score"/> adds the
    /// scores and labels of the evaluation rows (validation, else training; <paramref name="rows"/> rows
    /// whose labels sum to <paramref name="labelSum"/>, added in row order) to the evaluation, batch by batch.
    /// </summary>
    private static LinearLearnerModel Finish(Settings s, int d, int outputs, Snapshot best, ColumnStats stats,
        float labelMean, float labelScale, long rows, double labelSum, Action<LinearLearnerModel, Evaluation> score, string channel)
    {
        var model = new LinearLearnerModel(s.PredictorType, d, outputs, best.W, best.B, stats.Mean, stats.Scale,
            labelMean, labelScale, threshold: 0.5f, s.Loss, new Dictionary<string, double>());
        var evaluation = new Evaluation(s, outputs, rows, labelSum);
        score(model, evaluation);
        return evaluation.Finish(model, channel);
    }

    /// <summary>Σ y in row order, in double.</summary>
    private static double Sum(float[] y)
    {
        var sum = 0.0;
        foreach (var v in y)
        {
            sum += v;
        }
        return sum;
    }

    /// <summary><paramref name="firstRow"/>: rows before these in the file, so the error names the right one.</summary>
    private static void CheckLabels(float[] labels, string source, long firstRow, Settings s)
    {
        // The predictor type is compared once, not per label: two string comparisons a label were most of this check.
        var (binary, multiclass) = (s.PredictorType == "binary_classifier", s.PredictorType == "multiclass_classifier");
        for (var i = 0; i < labels.Length; i++)
        {
            var v = labels[i];
            var ok = binary ? v is 0f or 1f
                : multiclass ? v >= 0 && v < s.Classes && v == MathF.Floor(v)
                : float.IsFinite(v);
            if (!ok)
            {
                throw new DataFormatException(source, firstRow + i + 1, 1,
                    $"label {v} is not valid for {s.PredictorType}" + (s.Classes > 1 ? $" with num_classes={s.Classes}" : ""));
            }
        }
    }

    private static (float Mean, float Scale) LabelStats(float[] y)
    {
        double sum = 0, sumSq = 0;
        foreach (var v in y)
        {
            sum += v;
            sumSq += (double)v * v;
        }
        return LabelStats(sum, sumSq, y.Length);
    }

    private static (float Mean, float Scale) LabelStats(double sum, double sumSq, long n)
    {
        var mean = sum / n;
        var sd = Math.Sqrt(Math.Max(0, sumSq / n - mean * mean));
        return ((float)mean, sd > 1e-12 ? (float)sd : 1f);
    }

    private static float[] Scale(float[] y, float mean, float scale)
    {
        var scaled = new float[y.Length];
        for (var i = 0; i < y.Length; i++)
        {
            scaled[i] = (y[i] - mean) / scale;
        }
        return scaled;
    }

    private static long Positives(float[] y)
    {
        long positives = 0;
        foreach (var v in y)
        {
            positives += v == 1f ? 1 : 0;
        }
        return positives;
    }

    private static float PositiveWeight(Settings s, long rows, long positives)
    {
        if (s.PredictorType != "binary_classifier")
        {
            return 1f;
        }
        if (s.PositiveWeight == "balanced")
        {
            return positives == 0 ? 1f : (float)(rows - positives) / positives;
        }
        return s.PositiveWeight == "auto" ? 1f : float.Parse(s.PositiveWeight, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>A model's weights and biases after the epoch with its lowest watched loss.</summary>
    private sealed record Snapshot(double Loss, float[] W, float[] B);

    /// <summary>
    /// Each model's best epoch so far, and early stopping: training stops once the best watched loss
    /// of all models has not improved by early_stopping_tolerance (relative) for early_stopping_patience epochs.
    /// The model with the lowest watched loss (validation, else training) is the one returned.
    /// </summary>
    private sealed class EpochWatch(ParallelModels models, Settings s, bool onValidation, TrainingContext context)
    {
        private readonly Snapshot[] _bests = Initial(models);
        private double _overall = double.PositiveInfinity;
        private int _stale;

        /// <summary>The model with the lowest watched loss (the first of equals).</summary>
        public Snapshot Best
        {
            get
            {
                var best = _bests[0];
                foreach (var b in _bests)
                {
                    best = b.Loss < best.Loss ? b : best;
                }
                return best;
            }
        }

        private static Snapshot[] Initial(ParallelModels models)
        {
            var bests = new Snapshot[models.Count];
            for (var m = 0; m < bests.Length; m++)
            {
                bests[m] = new Snapshot(double.PositiveInfinity, models.Weights(m).ToArray(), models.Biases(m).ToArray());
            }
            return bests;
        }

        /// <summary>Records model m's watched loss after an epoch; safe to call for different models in parallel.</summary>
        public void Offer(int m, double watched)
        {
            if (watched < _bests[m].Loss)
            {
                _bests[m] = new Snapshot(watched, models.Weights(m).ToArray(), models.Biases(m).ToArray());
            }
        }

        /// <summary>Reports the epoch; true when training should stop.</summary>
        public bool EndEpoch(int epoch, double trainLoss)
        {
            var leader = Best.Loss;
            context.Progress($"epoch {epoch + 1}: train_loss={trainLoss:G6} best_{(onValidation ? "validation" : "train")}_loss={leader:G6} ({models.Count} models)");
            if (leader < _overall - s.Tolerance * Math.Abs(_overall) || double.IsPositiveInfinity(_overall))
            {
                _overall = leader;
                _stale = 0;
                return false;
            }
            if (++_stale >= s.Patience)
            {
                context.Progress($"early stopping after epoch {epoch + 1}: no improvement above {s.Tolerance} for {s.Patience} epochs");
                return true;
            }
            return false;
        }
    }

    /// <summary>
    /// Picks the probability cut that is best for the chosen criterion on the evaluation rows by
    /// sweeping every distinct score, high to low: predicting the top j rows positive.
    /// </summary>
    private static float ChooseThreshold(float[] scores, float[] labels, Settings s)
    {
        if (s.Criteria == "loss_function")
        {
            return 0.5f;
        }
        var order = Enumerable.Range(0, scores.Length).OrderByDescending(i => scores[i]).ToArray();
        long positives = labels.Count(v => v == 1f);
        long tp = 0, fp = 0;
        var bestValue = double.NegativeInfinity;
        var bestThreshold = 0.5f;
        for (var j = 0; j < order.Length; j++)
        {
            if (labels[order[j]] == 1f)
            {
                tp++;
            }
            else
            {
                fp++;
            }
            if (j + 1 < order.Length && scores[order[j + 1]] == scores[order[j]])
            {
                continue;
            }
            var fn = positives - tp;
            var tn = order.Length - tp - fp - fn;
            var precision = tp + fp == 0 ? 0 : (double)tp / (tp + fp);
            var recall = positives == 0 ? 0 : (double)tp / positives;
            var b2 = s.FBeta * s.FBeta;
            var value = s.Criteria switch
            {
                "accuracy" => (double)(tp + tn) / order.Length,
                "f_beta" => (1 + b2) * tp + b2 * fn + fp == 0 ? 0 : (1 + b2) * tp / ((1 + b2) * tp + b2 * fn + fp),
                "precision_at_target_recall" => recall >= s.TargetRecall ? precision : double.NegativeInfinity,
                _ => precision >= s.TargetPrecision ? recall : double.NegativeInfinity,
            };
            if (value > bestValue)
            {
                bestValue = value;
                var next = j + 1 < order.Length ? scores[order[j + 1]] : 0f;
                bestThreshold = (scores[order[j]] + next) / 2;
            }
        }
        return bestThreshold;
    }

    /// <summary>
    /// Model m of num_models: model 0 uses the given settings, the others learning rates a factor
    /// 2 and 4 below and above, with wd and l1 alternately raised tenfold (from 1e-6 when zero).
    /// </summary>
    private static Settings Variant(Settings s, int m)
    {
        if (m == 0)
        {
            return s;
        }
        var lr = s.LearningRate * Math.Pow(2, (m % 2 == 1 ? -1 : 1) * ((m + 1) / 2));
        return (m % 4) switch
        {
            3 => s with { LearningRate = lr, Wd = Math.Max(s.Wd, 1e-6) * 10 },
            0 => s with { LearningRate = lr, L1 = Math.Max(s.L1, 1e-6) * 10 },
            _ => s with { LearningRate = lr },
        };
    }
}
