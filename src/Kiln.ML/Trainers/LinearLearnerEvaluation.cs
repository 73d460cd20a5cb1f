using Kiln.ML.Metrics;

namespace Kiln.ML.Trainers;

public sealed partial class LinearLearnerTrainer
{
    /// <summary>
    /// The closing metrics of the evaluation rows (validation, else training), fed batch by batch
    /// (<see cref="Add"/>), so that streamed training keeps sums and counts rather than every row's
    /// scores: a regressor's squared, absolute and centred sums, a multiclass classifier's confusion
    /// matrix and log loss. The figures equal the array functions of <see cref="ClassificationMetrics"/>
    /// and <see cref="RegressionMetrics"/> over all the rows, bit for bit (same additions in row order,
    /// exact counts). A binary classifier still keeps each row's score and label (8 bytes a row): the
    /// decision threshold is chosen by sweeping the sorted scores, and ROC AUC ranks them.
    /// </summary>
    private sealed class Evaluation
    {
        private readonly Settings _s;
        private readonly int _outputs;
        private readonly RegressionSums? _regression;
        private readonly ConfusionCounts? _confusion;
        private readonly LogLossSum? _logLoss;
        private readonly float[]? _scores;
        private readonly float[]? _labels;
        private float[] _predicted = [];
        private long _at;

        /// <param name="rows">Evaluation rows that <see cref="Add"/> will be given.</param>
        /// <param name="labelSum">Their labels summed in row order in double (R²'s mean).</param>
        public Evaluation(Settings s, int outputs, long rows, double labelSum)
        {
            _s = s;
            _outputs = outputs;
            switch (s.PredictorType)
            {
                case "regressor":
                    _regression = new RegressionSums(labelSum / rows);
                    break;
                case "binary_classifier":
                    _scores = new float[rows];
                    _labels = new float[rows];
                    break;
                default:
                    _confusion = new ConfusionCounts(outputs);
                    _logLoss = new LogLossSum();
                    break;
            }
        }

        /// <summary>Adds a batch: its scores row-major (rows × outputs) and its labels.</summary>
        public void Add(ReadOnlySpan<float> scores, ReadOnlySpan<float> labels)
        {
            if (_regression is not null)
            {
                _regression.Add(labels, scores);
            }
            else if (_scores is not null)
            {
                scores.CopyTo(_scores.AsSpan((int)_at));
                labels.CopyTo(_labels.AsSpan((int)_at));
            }
            else
            {
                var k = _outputs;
                if (_predicted.Length < labels.Length)
                {
                    _predicted = new float[labels.Length];
                }
                var argmax = _predicted.AsSpan(0, labels.Length);
                for (var i = 0; i < labels.Length; i++)
                {
                    argmax[i] = LinearLearnerModel.ArgMax(scores.Slice(i * k, k));
                }
                _confusion!.Add(labels, argmax);
                _logLoss!.AddMulticlass(labels, scores, k);
            }
            _at += labels.Length;
        }

        /// <summary>The model with its decision threshold (binary logistic) and the metrics, named channel:metric.</summary>
        public LinearLearnerModel Finish(LinearLearnerModel model, string channel)
        {
            var m = new Dictionary<string, double>();
            if (_regression is { } r)
            {
                m[$"{channel}:mse"] = r.Mse;
                m[$"{channel}:rmse"] = r.Rmse;
                m[$"{channel}:absolute_loss"] = r.Mae;
                m[$"{channel}:r2"] = r.R2;
            }
            else if (_scores is not null)
            {
                var (scores, labels) = (_scores, _labels!);
                if (_at != scores.Length)
                {
                    throw new InvalidOperationException($"evaluation expected {scores.Length} rows, was given {_at}");
                }
                if (_s.Loss == "logistic")
                {
                    model = model.WithThreshold(ChooseThreshold(scores, labels, _s));
                }
                var confusion = new ConfusionCounts(2);
                for (var i = 0; i < scores.Length; i++)
                {
                    confusion.Add((int)labels[i], scores[i] > model.Threshold ? 1 : 0);
                }
                var logLoss = new LogLossSum();
                logLoss.AddBinary(labels, scores);
                m[$"{channel}:binary_classification_accuracy"] = confusion.Accuracy;
                m[$"{channel}:precision"] = confusion.Precision();
                m[$"{channel}:recall"] = confusion.Recall();
                m[$"{channel}:binary_f_beta"] = confusion.F1();
                m[$"{channel}:roc_auc_score"] = ClassificationMetrics.RocAuc(labels, scores);
                m[$"{channel}:objective_loss"] = logLoss.Mean;
            }
            else
            {
                m[$"{channel}:multiclass_accuracy"] = _confusion!.Accuracy;
                m[$"{channel}:macro_f_beta"] = _confusion.MacroF1();
                m[$"{channel}:objective_loss"] = _logLoss!.Mean;
            }
            return model.WithMetrics(m);
        }
    }
}
