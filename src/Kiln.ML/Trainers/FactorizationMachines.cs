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
public sealed class FactorizationMachinesTrainer : ITrainer
{
    public const string Name = "factorization-machines";

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

    // Defaults from SageMaker's Factorization Machines hyperparameter documentation.
    private static Group ParseGroup(Hyperparameters hp, string prefix, double lr, double wd) => new(
        hp.Choice($"{prefix}_init_method", "normal", "normal", "uniform", "constant"),
        hp.Float($"{prefix}_init_scale", 0.01, 0),
        hp.Float($"{prefix}_init_sigma", 0.01, 0),
        hp.Float($"{prefix}_init_value", 0),
        hp.Float($"{prefix}_lr", lr, 0),
        hp.Float($"{prefix}_wd", wd, 0));

    public IModel Train(Dataset train, Dataset? validation, Hyperparameters hp, TrainingContext context)
    {
        var featureDim = hp.Int("feature_dim", null, 1);
        var factors = hp.Int("num_factors", null, 1, 1000);
        var type = hp.Choice("predictor_type", null, "binary_classifier", "regressor");
        var epochs = hp.Int("epochs", 1, 1);
        var batchSize = hp.Int("mini_batch_size", 1000, 1, 10_000_000);
        var bias = ParseGroup(hp, "bias", 0.1, 0.01);
        var linear = ParseGroup(hp, "linear", 0.001, 0.001);
        var factor = ParseGroup(hp, "factors", 0.0001, 0.00001);
        var clip = hp.IsSet("clip_gradient") ? hp.Float("clip_gradient", null, 0, minExclusive: true) : double.PositiveInfinity;
        var eps = hp.Float("eps", 1e-8, 0, minExclusive: true);
        var rescale = hp.Float("rescale_grad", 1, 0, minExclusive: true);
        hp.RejectUnknown(Name);
        if (train.Cols > featureDim)
        {
            throw new HyperparameterException("feature_dim", $"is {featureDim} but the data has {train.Cols} features");
        }
        var x = train.AsSparse();
        var y = train.RequireLabels();
        CheckLabels(train, type);
        var xv = validation?.AsSparse();
        if (validation is not null)
        {
            CheckLabels(validation, type);
        }

        var rng = new Random(context.Seed);
        var model = new FactorizationMachinesModel(type, featureDim, factors, bias.Draw(rng),
            Enumerable.Range(0, featureDim).Select(_ => linear.Draw(rng)).ToArray(),
            Enumerable.Range(0, featureDim * factors).Select(_ => factor.Draw(rng)).ToArray(),
            new Dictionary<string, double>());
        var adam = new Adam(model, bias, linear, factor, clip, eps, rescale);
        var order = Enumerable.Range(0, x.Rows).ToArray();
        for (var epoch = 0; epoch < epochs; epoch++)
        {
            rng.Shuffle(order);
            var loss = 0.0;
            for (var start = 0; start < order.Length; start += batchSize)
            {
                loss += adam.Step(x, y, order.AsSpan(start, Math.Min(batchSize, order.Length - start)));
            }
            var line = $"epoch {epoch + 1}: train_{(type == "regressor" ? "mse" : "log_loss")}={loss / x.Rows:G6}";
            if (xv is not null)
            {
                line += $" validation_{(type == "regressor" ? "rmse" : "log_loss")}={Watch(model, xv, validation!.RequireLabels(), context.Threads):G6}";
            }
            context.Progress(line);
        }
        var evalSet = validation ?? train;
        return model.WithMetrics(Evaluate(model, evalSet.AsSparse(), evalSet.RequireLabels(), validation is null ? "train" : "test", context.Threads));
    }

    private static void CheckLabels(Dataset data, string type)
    {
        var labels = data.RequireLabels();
        for (var i = 0; i < labels.Length; i++)
        {
            if (type == "binary_classifier" ? labels[i] is not (0f or 1f) : !float.IsFinite(labels[i]))
            {
                throw new DataFormatException(data.Source, i + 1, 1, $"label {labels[i]} is not valid for {type}");
            }
        }
    }

    private static double Watch(FactorizationMachinesModel model, SparseMatrix x, float[] y, int threads)
    {
        var scores = model.Scores(x, threads);
        return model.PredictorType == "regressor" ? RegressionMetrics.Rmse(y, scores) : ClassificationMetrics.LogLoss(y, scores);
    }

    private static Dictionary<string, double> Evaluate(FactorizationMachinesModel model, SparseMatrix x, float[] y, string channel, int threads)
    {
        var scores = model.Scores(x, threads);
        if (model.PredictorType == "regressor")
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
        Responses.Write(output, accept, "predictions", features.Rows,
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
            (o, i) => o.Write(binary ? $"{(scores[i] > 0.5f ? 1 : 0)},{Responses.F(scores[i])}" : Responses.F(scores[i])));
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
