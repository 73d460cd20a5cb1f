using Kiln.ML.Artifacts;
using Kiln.ML.Data;
using Kiln.ML.Kernels;
using Kiln.ML.Metrics;

namespace Kiln.ML.Trainers;

/// <summary>
/// SageMaker's Factorization Machines (Rendle, "Factorization Machines", ICDM 2010):
/// ŷ = w0 + Σ wi·xi + Σ_{i&lt;j} ⟨vi, vj⟩·xi·xj with vi ∈ R^num_factors, squared loss for a regressor and
/// logistic loss on 0/1 labels for a binary classifier. The pairwise term is computed in O(k·nnz) by
/// Rendle's identity ½ Σ_f [(Σ_i v_if xi)² − Σ_i v_if² xi²], over the non-zeros of each row only.
///
/// Training is mini-batch Adam with one learning rate and weight decay per parameter group (bias_*,
/// linear_*, factors_*), applied lazily: a batch updates only the weights of the features it contains,
/// as sparse optimizers do, so an epoch costs O(k·nnz) rather than O(k·features) per batch.
/// </summary>
public sealed class FactorizationMachinesTrainer : IStreamingTrainer
{
    public const string Name = "factorization-machines";

    /// <summary>
    /// Rows shuffled together when streaming: SGD needs batches that look like the whole data, and a
    /// file sorted by user or by label would otherwise hand it one kind of row per batch.
    /// </summary>
    private const int ShuffleRows = 32768;

    public string Algorithm => Name;

    /// <summary>Initialization and optimizer settings of one parameter group.</summary>
    internal sealed record Group(string Method, double Scale, double Sigma, double Value, double Lr, double Wd)
    {
        public float Draw(Random rng) => Method switch
        {
            "uniform" => (float)((rng.NextDouble() * 2 - 1) * Scale),
            "constant" => (float)Value,
            _ => (float)(Sigma * Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble())),
        };
    }

    private sealed record Settings(int FeatureDim, int Factors, string Type, int Epochs, int BatchSize, Group Bias, Group Linear,
        Group Factor, double Clip, double Eps, double Rescale)
    {
        public bool Regressor => Type == "regressor";
    }

    // Defaults from SageMaker's Factorization Machines hyperparameter documentation.
    private static Group ParseGroup(Hyperparameters hp, string prefix, double lr, double wd) => new(
        hp.Choice($"{prefix}_init_method", "normal", "normal", "uniform", "constant"),
        hp.Float($"{prefix}_init_scale", 0.01, 0),
        hp.Float($"{prefix}_init_sigma", 0.01, 0),
        hp.Float($"{prefix}_init_value", 0),
        hp.Float($"{prefix}_lr", lr, 0),
        hp.Float($"{prefix}_wd", wd, 0));

    private static Settings Parse(Hyperparameters hp)
    {
        var s = new Settings(
            hp.Int("feature_dim", null, 1),
            hp.Int("num_factors", null, 1, 1000),
            hp.Choice("predictor_type", null, "binary_classifier", "regressor"),
            hp.Int("epochs", 1, 1),
            hp.Int("mini_batch_size", 1000, 1, 10_000_000),
            ParseGroup(hp, "bias", 0.1, 0.01),
            ParseGroup(hp, "linear", 0.001, 0.001),
            ParseGroup(hp, "factors", 0.0001, 0.00001),
            hp.IsSet("clip_gradient") ? hp.Float("clip_gradient", null, 0, minExclusive: true) : double.PositiveInfinity,
            hp.Float("eps", 1e-8, 0, minExclusive: true),
            hp.Float("rescale_grad", 1, 0, minExclusive: true));
        hp.RejectUnknown(Name);
        return s;
    }

    private static (FactorizationMachinesModel Model, Adam Adam, Random Rng) Start(Settings s, TrainingContext context)
    {
        var rng = new Random(context.Seed);
        var model = new FactorizationMachinesModel(s.Type, s.FeatureDim, s.Factors, s.Bias.Draw(rng),
            Enumerable.Range(0, s.FeatureDim).Select(_ => s.Linear.Draw(rng)).ToArray(),
            Enumerable.Range(0, s.FeatureDim * s.Factors).Select(_ => s.Factor.Draw(rng)).ToArray(),
            new Dictionary<string, double>());
        return (model, new Adam(model, s.Bias, s.Linear, s.Factor, s.Clip, s.Eps, s.Rescale), rng);
    }

    public IModel Train(Dataset train, Dataset? validation, Hyperparameters hp, TrainingContext context)
    {
        var s = Parse(hp);
        if (train.Cols > s.FeatureDim)
        {
            throw new HyperparameterException("feature_dim", $"is {s.FeatureDim} but the data has {train.Cols} features");
        }
        var x = train.AsSparse();
        var y = train.RequireLabels();
        CheckLabels(y, s.Type, train.Source, 0);
        var xv = validation?.AsSparse();
        if (validation is not null)
        {
            CheckLabels(validation.RequireLabels(), s.Type, validation.Source, 0);
        }
        var (model, adam, rng) = Start(s, context);
        var order = new int[x.Rows];
        for (var epoch = 0; epoch < s.Epochs; epoch++)
        {
            var loss = Window(adam, rng, x, y, order, s.BatchSize);
            var line = $"epoch {epoch + 1}: train_{(s.Regressor ? "mse" : "log_loss")}={loss / x.Rows:G6}";
            if (xv is not null)
            {
                line += $" validation_{(s.Regressor ? "rmse" : "log_loss")}={Watch(model, xv, validation!.RequireLabels(), context.Threads):G6}";
            }
            context.Progress(line);
        }
        var evalSet = validation ?? train;
        var labels = evalSet.RequireLabels();
        return model.WithMetrics(Evaluate(model.Scores(evalSet.AsSparse(), context.Threads), labels, s.Regressor,
            validation is null ? "train" : "test"));
    }

    /// <summary>
    /// Factorization Machines out of core: each epoch reads the file in windows of
    /// <see cref="ShuffleRows"/> rows (or a mini-batch, if larger) as sparse rows, shuffles each
    /// window and steps through its mini-batches, so memory is the model, its Adam state and one
    /// window, whatever the file size. A file that fits one window trains exactly as in memory. The
    /// labels are checked as the first epoch reads them. The closing metrics are summed batch by
    /// batch for a regressor; a binary classifier keeps the score and label of each evaluation row,
    /// which ROC AUC needs all at once (8 bytes a row), as Linear Learner's streaming does.
    /// </summary>
    public IModel Train(BatchSource train, BatchSource? validation, Hyperparameters hp, TrainingContext context)
    {
        var s = Parse(hp);
        if (!train.HasLabel)
        {
            throw new DataFormatException(train.Source, 0, 0, "this algorithm needs labels (first CSV column)");
        }
        var window = Math.Max(s.BatchSize, ShuffleRows);
        var (model, adam, rng) = Start(s, context);
        var order = new int[window];
        long rows = 0;
        for (var epoch = 0; epoch < s.Epochs; epoch++)
        {
            var loss = 0.0;
            rows = 0;
            foreach (var batch in train.SparseBatches(window, s.FeatureDim))
            {
                var y = batch.RequireLabels();
                if (epoch == 0)
                {
                    if (batch.Cols > s.FeatureDim)
                    {
                        throw new HyperparameterException("feature_dim", $"is {s.FeatureDim} but the data has {batch.Cols} features");
                    }
                    CheckLabels(y, s.Type, batch.Source, rows);
                }
                loss += Window(adam, rng, batch.Sparse!, y, order, s.BatchSize);
                rows += batch.Rows;
            }
            if (rows == 0)
            {
                throw new DataFormatException(train.Source, 0, 0, "the file holds no rows");
            }
            var line = $"epoch {epoch + 1}: train_{(s.Regressor ? "mse" : "log_loss")}={loss / rows:G6}";
            if (validation is not null)
            {
                var (watched, _) = Streamed(model, validation, s, window, context.Threads, epoch == 0);
                line += $" validation_{(s.Regressor ? "rmse" : "log_loss")}={watched:G6}";
            }
            context.Progress(line);
        }
        var (_, metrics) = Streamed(model, validation ?? train, s, window, context.Threads, check: false);
        return model.WithMetrics(metrics.Finish(validation is null ? "train" : "test"));
    }

    /// <summary>One shuffled pass over the rows of <paramref name="x"/> in mini-batches; returns the summed loss.</summary>
    private static double Window(Adam adam, Random rng, SparseMatrix x, float[] y, int[] order, int batchSize)
    {
        var n = x.Rows;
        for (var i = 0; i < n; i++)
        {
            order[i] = i;
        }
        rng.Shuffle(order.AsSpan(0, n));
        var loss = 0.0;
        for (var start = 0; start < n; start += batchSize)
        {
            loss += adam.Step(x, y, order.AsSpan(start, Math.Min(batchSize, n - start)));
        }
        return loss;
    }

    private static void CheckLabels(float[] labels, string type, string source, long first)
    {
        for (var i = 0; i < labels.Length; i++)
        {
            if (type == "binary_classifier" ? labels[i] is not (0f or 1f) : !float.IsFinite(labels[i]))
            {
                throw new DataFormatException(source, first + i + 1, 1, $"label {labels[i]} is not valid for {type}");
            }
        }
    }

    private static double Watch(FactorizationMachinesModel model, SparseMatrix x, float[] y, int threads)
    {
        var scores = model.Scores(x, threads);
        return model.PredictorType == "regressor" ? RegressionMetrics.Rmse(y, scores) : ClassificationMetrics.LogLoss(y, scores);
    }

    /// <summary>
    /// Scores a channel batch by batch: the per-epoch watch value (RMSE or log loss, each batch's
    /// mean weighted by its rows) and the closing metrics.
    /// </summary>
    private static (double Watched, StreamedMetrics Metrics) Streamed(FactorizationMachinesModel model, BatchSource channel, Settings s,
        int window, int threads, bool check)
    {
        var metrics = new StreamedMetrics(s.Regressor);
        double sum = 0;
        long rows = 0;
        foreach (var batch in channel.SparseBatches(window, s.FeatureDim))
        {
            var y = batch.RequireLabels();
            if (check)
            {
                CheckLabels(y, s.Type, batch.Source, rows);
            }
            var scores = model.Scores(batch.Sparse!, threads);
            sum += (s.Regressor ? RegressionMetrics.Mse(y, scores) : ClassificationMetrics.LogLoss(y, scores)) * y.Length;
            rows += y.Length;
            metrics.Add(scores, y);
        }
        var mean = rows == 0 ? double.NaN : sum / rows;
        return (s.Regressor ? Math.Sqrt(mean) : mean, metrics);
    }

    /// <summary>The closing metrics of a streamed channel: sums for a regressor, every score and label for a classifier.</summary>
    private sealed class StreamedMetrics(bool regressor)
    {
        private readonly List<float> _scores = [], _labels = [];
        private double _squared, _absolute;
        private long _rows;

        public void Add(float[] scores, float[] labels)
        {
            if (!regressor)
            {
                _scores.AddRange(scores);
                _labels.AddRange(labels);
                return;
            }
            _squared += RegressionMetrics.Mse(labels, scores) * labels.Length;
            _absolute += RegressionMetrics.Mae(labels, scores) * labels.Length;
            _rows += labels.Length;
        }

        public Dictionary<string, double> Finish(string channel)
        {
            if (!regressor)
            {
                return Evaluate(_scores.ToArray(), _labels.ToArray(), regressor: false, channel);
            }
            var mse = _squared / _rows;
            return new Dictionary<string, double>
            {
                [$"{channel}:rmse"] = Math.Sqrt(mse),
                [$"{channel}:mse"] = mse,
                [$"{channel}:absolute_loss"] = _absolute / _rows,
            };
        }
    }

    private static Dictionary<string, double> Evaluate(float[] scores, float[] y, bool regressor, string channel)
    {
        if (regressor)
        {
            return new Dictionary<string, double>
            {
                [$"{channel}:rmse"] = RegressionMetrics.Rmse(y, scores),
                [$"{channel}:mse"] = RegressionMetrics.Mse(y, scores),
                [$"{channel}:absolute_loss"] = RegressionMetrics.Mae(y, scores),
            };
        }
        var predicted = scores.Select(p => p > 0.5f ? 1f : 0f).ToArray();
        return new Dictionary<string, double>
        {
            [$"{channel}:binary_classification_accuracy"] = ClassificationMetrics.Accuracy(y, predicted),
            [$"{channel}:binary_classification_cross_entropy"] = ClassificationMetrics.LogLoss(y, scores),
            [$"{channel}:binary_f_beta"] = ClassificationMetrics.F1(y, predicted),
            [$"{channel}:roc_auc_score"] = ClassificationMetrics.RocAuc(y, scores),
        };
    }

    /// <summary>Adam (Kingma and Ba 2015) with lazy sparse updates and a step count per weight.</summary>
    private sealed class Adam
    {
        private const float Beta1 = 0.9f;
        private const float Beta2 = 0.999f;
        private readonly FactorizationMachinesModel _m;
        private readonly Group _bias, _linear, _factor;
        private readonly float _clip, _eps, _rescale;
        private readonly int _k;
        private readonly float[] _gw, _gv, _mw, _vw, _mv, _vv, _s;
        private readonly int[] _tw;
        private readonly bool[] _touched;
        private readonly List<int> _present = [];
        private float _gb, _mb, _vb;
        private int _tb;

        public Adam(FactorizationMachinesModel m, Group bias, Group linear, Group factor, double clip, double eps, double rescale)
        {
            _m = m;
            (_bias, _linear, _factor) = (bias, linear, factor);
            (_clip, _eps, _rescale) = ((float)clip, (float)eps, (float)rescale);
            _k = m.Factors;
            var n = m.Features;
            (_gw, _mw, _vw, _tw, _touched) = (new float[n], new float[n], new float[n], new int[n], new bool[n]);
            (_gv, _mv, _vv) = (new float[n * _k], new float[n * _k], new float[n * _k]);
            _s = new float[_k];
        }

        /// <summary>One mini-batch; returns the batch's summed loss before the step.</summary>
        public double Step(SparseMatrix x, float[] y, ReadOnlySpan<int> batch)
        {
            var w = _m.Linear;
            var v = _m.FactorMatrix;
            var k = _k;
            var loss = 0.0;
            _gb = 0;
            foreach (var i in batch)
            {
                var idx = x.RowIndices(i);
                var val = x.RowValues(i);
                var z = _m.Predict(idx, val, _s);
                float g;
                if (_m.PredictorType == "regressor")
                {
                    var r = z - y[i];
                    loss += r * r;
                    g = r;
                }
                else
                {
                    var p = 1f / (1f + MathF.Exp(-z));
                    loss += Math.Max(z, 0) + Math.Log(1 + Math.Exp(-Math.Abs(z))) - y[i] * z;
                    g = p - y[i];
                }
                _gb += g;
                for (var p = 0; p < idx.Length; p++)
                {
                    var j = idx[p];
                    var xj = val[p];
                    if (!_touched[j])
                    {
                        _touched[j] = true;
                        _present.Add(j);
                    }
                    _gw[j] += g * xj;
                    // ∂ŷ/∂v_jf = x_j·(s_f − v_jf·x_j), s_f = Σ_i v_if·x_i.
                    var vj = v.AsSpan(j * k, k);
                    var gvj = _gv.AsSpan(j * k, k);
                    for (var f = 0; f < k; f++)
                    {
                        gvj[f] += g * xj * (_s[f] - vj[f] * xj);
                    }
                }
            }
            var scale = _rescale / batch.Length;
            _m.Bias -= Update(_m.Bias, _gb * scale, _bias, ref _mb, ref _vb, ++_tb);
            foreach (var j in _present)
            {
                var t = ++_tw[j];
                w[j] -= Update(w[j], _gw[j] * scale, _linear, ref _mw[j], ref _vw[j], t);
                for (var f = j * k; f < (j + 1) * k; f++)
                {
                    v[f] -= Update(v[f], _gv[f] * scale, _factor, ref _mv[f], ref _vv[f], t);
                    _gv[f] = 0;
                }
                _gw[j] = 0;
                _touched[j] = false;
            }
            _present.Clear();
            return loss;
        }

        private float Update(float weight, float grad, Group group, ref float m, ref float v, int t)
        {
            var g = Math.Clamp(grad, -_clip, _clip) + (float)group.Wd * weight;
            m = Beta1 * m + (1 - Beta1) * g;
            v = Beta2 * v + (1 - Beta2) * g * g;
            var mHat = m / (1 - MathF.Pow(Beta1, t));
            var vHat = v / (1 - MathF.Pow(Beta2, t));
            return (float)group.Lr * mHat / (MathF.Sqrt(vHat) + _eps);
        }
    }
}

/// <summary>
/// A factorization machine. Payload of model_algo-1, version 1:
///   string predictor_type, i32 features, i32 factors, f32 bias, floats linear weights (features),
///   floats factors (features × factors, row j = v_j).
/// </summary>
public sealed class FactorizationMachinesModel : IModel, ISparseModel
{
    internal FactorizationMachinesModel(string predictorType, int features, int factors, float bias, float[] linear, float[] v,
        IReadOnlyDictionary<string, double> metrics)
    {
        PredictorType = predictorType;
        Features = features;
        Factors = factors;
        Bias = bias;
        Linear = linear;
        FactorMatrix = v;
        Metrics = metrics;
    }

    public string Algorithm => FactorizationMachinesTrainer.Name;

    public IReadOnlyDictionary<string, double> Metrics { get; }

    public string PredictorType { get; }

    public int Features { get; }

    public int Factors { get; }

    // Mutable only while the trainer owns the model; a returned model is never changed again.
    internal float Bias { get; set; }

    internal float[] Linear { get; }

    internal float[] FactorMatrix { get; }

    internal FactorizationMachinesModel WithMetrics(IReadOnlyDictionary<string, double> metrics) =>
        new(PredictorType, Features, Factors, Bias, Linear, FactorMatrix, metrics);

    /// <summary>
    /// The raw output w0 + Σ wi·xi + ½ Σ_f [(Σ_i v_if xi)² − Σ_i v_if² xi²] of one sparse row, in
    /// O(k·nnz); <paramref name="sums"/> (length k) receives s_f = Σ_i v_if·xi for the gradient.
    /// </summary>
    internal float Predict(ReadOnlySpan<int> index, ReadOnlySpan<float> value, Span<float> sums)
    {
        var k = Factors;
        sums.Clear();
        var z = Bias;
        var squares = 0f;
        for (var p = 0; p < index.Length; p++)
        {
            var j = index[p];
            var xj = value[p];
            z += Linear[j] * xj;
            var vj = FactorMatrix.AsSpan(j * k, k);
            Blas.Axpy(xj, vj, sums);
            squares += xj * xj * Blas.Dot(vj, vj);
        }
        return z + 0.5f * (Blas.Dot(sums, sums) - squares);
    }

    /// <summary>The scores of every row: the prediction for a regressor, P(label = 1) for a binary classifier.</summary>
    public float[] Scores(SparseMatrix x, int threads)
    {
        if (x.Cols > Features)
        {
            throw new DataFormatException("input", 1, x.Cols, $"the model has feature_dim {Features}, the input has {x.Cols} features");
        }
        var scores = new float[x.Rows];
        Parallel.For(0, (x.Rows + 1023) / 1024, new ParallelOptions { MaxDegreeOfParallelism = threads }, block =>
        {
            var sums = new float[Factors];
            var end = Math.Min(x.Rows, (block + 1) * 1024);
            for (var i = block * 1024; i < end; i++)
            {
                var z = Predict(x.RowIndices(i), x.RowValues(i), sums);
                scores[i] = PredictorType == "regressor" ? z : 1f / (1f + MathF.Exp(-z));
            }
        });
        return scores;
    }

    public void WriteResponse(DenseMatrix features, string accept, TextWriter output, int threads) =>
        WriteResponse(SparseMatrix.FromDense(features), accept, output, threads);

    /// <summary>
    /// SageMaker's Factorization Machines response: {"predictions": [{"score": s, "predicted_label": l}]}
    /// for a binary classifier (label 1 when the probability is above 0.5), {"score": s} for a
    /// regressor. CSV: "predicted_label,score" or the score, as Linear Learner writes them.
    /// </summary>
    public void WriteResponse(SparseMatrix features, string accept, TextWriter output, int threads)
    {
        var scores = Scores(features, threads);
        var binary = PredictorType == "binary_classifier";
        Responses.Write(output, accept, "predictions", features.Rows, threads,
            (w, i) =>
            {
                w.WriteStartObject();
                w.WriteNumber("score", scores[i]);
                if (binary)
                {
                    w.WriteNumber("predicted_label", scores[i] > 0.5f ? 1 : 0);
                }
                w.WriteEndObject();
            },
            2 + Responses.FloatBytes,
            (i, text) =>
            {
                var at = 0;
                if (binary)
                {
                    text[0] = scores[i] > 0.5f ? (byte)'1' : (byte)'0';
                    text[1] = (byte)',';
                    at = 2;
                }
                return at + Responses.Float(scores[i], text[at..]);
            });
    }

    public void Save(string directory) => ModelFile.Write(directory, Algorithm, w =>
    {
        w.Write(PredictorType);
        w.Write(Features);
        w.Write(Factors);
        w.Write(Bias);
        w.WriteFloats(Linear);
        w.WriteFloats(FactorMatrix);
    });

    internal static FactorizationMachinesModel Read(BinaryReader r)
    {
        var type = r.ReadString();
        var features = r.ReadInt32();
        var factors = r.ReadInt32();
        var bias = r.ReadSingle();
        var linear = r.ReadFloats();
        var v = r.ReadFloats();
        if (type is not ("regressor" or "binary_classifier") || linear.Length != features || v.Length != (long)features * factors)
        {
            throw new InvalidDataException("factorization-machines model arrays do not match its dimensions");
        }
        return new FactorizationMachinesModel(type, features, factors, bias, linear, v, new Dictionary<string, double>());
    }
}
