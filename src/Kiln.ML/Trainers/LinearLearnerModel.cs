using System.Globalization;
using Kiln.ML.Artifacts;
using Kiln.ML.Data;
using Kiln.ML.Kernels;

namespace Kiln.ML.Trainers;

/// <summary>
/// A trained linear model. Scores: regressor → the prediction in label units; binary classifier →
/// P(label = 1) (the raw margin for hinge loss); multiclass → softmax probabilities.
///
/// Payload of model_algo-1 (see <see cref="ModelFile"/>), version 1:
///   string predictor_type, string loss, i32 features, i32 outputs,
///   floats weights (outputs × features, on standardized features), floats biases,
///   floats feature means, floats feature scales, f32 label mean, f32 label scale, f32 threshold.
/// </summary>
public sealed class LinearLearnerModel : IModel
{
    private readonly float[] _w;
    private readonly float[] _b;
    private readonly ColumnStats _stats;
    private readonly float _labelMean;
    private readonly float _labelScale;
    private readonly string _loss;

    internal LinearLearnerModel(string predictorType, int features, int outputs, float[] w, float[] b, float[] mean,
        float[] scale, float labelMean, float labelScale, float threshold, string loss, IReadOnlyDictionary<string, double> metrics)
    {
        PredictorType = predictorType;
        Features = features;
        Outputs = outputs;
        _w = w;
        _b = b;
        _stats = new ColumnStats { Mean = mean, Scale = scale };
        _labelMean = labelMean;
        _labelScale = labelScale;
        Threshold = threshold;
        _loss = loss;
        Metrics = metrics;
    }

    public string Algorithm => LinearLearnerTrainer.Name;

    public IReadOnlyDictionary<string, double> Metrics { get; }

    public string PredictorType { get; }

    public int Features { get; }

    public int Outputs { get; }

    public float Threshold { get; }

    /// <summary>Weights in the original feature units (for tests and inspection): w/scale, bias folded back.</summary>
    public (float[] Weights, float[] Bias) RawCoefficients()
    {
        var w = new float[_w.Length];
        var b = new float[Outputs];
        for (var c = 0; c < Outputs; c++)
        {
            double bias = _b[c];
            for (var j = 0; j < Features; j++)
            {
                w[c * Features + j] = _w[c * Features + j] / _stats.Scale[j] * _labelScale;
                bias -= (double)_w[c * Features + j] * _stats.Mean[j] / _stats.Scale[j];
            }
            b[c] = (float)(bias * _labelScale + _labelMean);
        }
        return (w, b);
    }

    internal LinearLearnerModel WithThreshold(float threshold) =>
        new(PredictorType, Features, Outputs, _w, _b, _stats.Mean, _stats.Scale, _labelMean, _labelScale, threshold, _loss, Metrics);

    internal LinearLearnerModel WithMetrics(IReadOnlyDictionary<string, double> metrics) =>
        new(PredictorType, Features, Outputs, _w, _b, _stats.Mean, _stats.Scale, _labelMean, _labelScale, Threshold, _loss, metrics);

    /// <summary>Rows × features × outputs below which scoring stays on the calling thread (see LinearLearnerTrainer.ParallelWork).</summary>
    private const long ParallelWork = 1L << 22;

    /// <summary>
    /// Rows × features × outputs below which a fresh process scores with the scalar forward pass (the
    /// same numbers as the vector kernel): the first use of Vector128&lt;float&gt; in a process loads the
    /// type and checks its layout for the precompiled code, 0.5–0.7 ms measured, more than the vector
    /// kernel saves below about half a million multiply-adds (california-housing's 4,128 test rows × 8
    /// features: 1.05 ms first scoring with the vector kernel, 0.37 ms with the scalar one).
    /// </summary>
    private const long VectorWork = 1L << 19;

    /// <summary>Scores row-major (rows × outputs).</summary>
    public float[] Scores(DenseMatrix x, int threads) => Scores(x, threads, standardized: false);

    /// <summary>
    /// Scores row-major (rows × outputs). <paramref name="standardized"/>: <paramref name="x"/> is already
    /// standardized with this model's statistics (missing values filled), as training holds its rows,
    /// so scoring the training or validation set at the end of training does not standardize it again.
    /// </summary>
    internal float[] Scores(DenseMatrix x, int threads, bool standardized)
    {
        if (x.Cols != Features)
        {
            throw new DataFormatException("input", 1, x.Cols, $"the model expects {Features} features, the input has {x.Cols}");
        }
        var scores = new float[x.Rows * Outputs];
        var chunk = LinearLearnerTrainer.ChunkRows(Features);
        var chunks = (x.Rows + chunk - 1) / chunk;
        // Standardized rows come from training, which has already paid for the vector types.
        var vector = standardized || (long)x.Rows * Features * Outputs >= VectorWork;
        if (threads <= 1 || (long)x.Rows * Features * Outputs < ParallelWork)
        {
            var (xt, z) = (new float[Features * chunk], new float[Outputs * chunk]);
            for (var c = 0; c < chunks; c++)
            {
                ScoreChunk(x, standardized, vector, c * chunk, Math.Min(chunk, x.Rows - c * chunk), xt, z, scores);
            }
            return scores;
        }
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = threads },
            () => (Xt: new float[Features * chunk], Z: new float[Outputs * chunk]),
            (c, _, buffers) =>
            {
                ScoreChunk(x, standardized, vector, c * chunk, Math.Min(chunk, x.Rows - c * chunk), buffers.Xt, buffers.Z, scores);
                return buffers;
            },
            _ => { });
        return scores;
    }

    /// <summary>
    /// Scores rows [start, start + n): standardized (missing values filled with the training mean) into
    /// a column-major chunk, as training sees them, then the linear outputs and the link. Rows already
    /// <paramref name="standardized"/> are only transposed. <paramref name="vector"/>: the Vector128
    /// forward kernel, else its scalar reference (equal results).
    /// </summary>
    private void ScoreChunk(DenseMatrix x, bool standardized, bool vector, int start, int n, float[] xt, float[] z, float[] scores)
    {
        var (d, k) = (Features, Outputs);
        var (mean, scale) = (_stats.Mean, _stats.Scale);
        // Feature by feature over blocks of 8 rows, so each column of xt is written 32 contiguous bytes at a time.
        for (var i0 = 0; i0 < n; i0 += 8)
        {
            var rows = Math.Min(8, n - i0);
            var block = x.Data.Slice((start + i0) * d, rows * d);
            if (standardized)
            {
                for (var j = 0; j < d; j++)
                {
                    for (var r = 0; r < rows; r++)
                    {
                        xt[j * n + i0 + r] = block[r * d + j];
                    }
                }
                continue;
            }
            for (var j = 0; j < d; j++)
            {
                for (var r = 0; r < rows; r++)
                {
                    var v = block[r * d + j];
                    v = float.IsNaN(v) ? mean[j] : v;
                    xt[j * n + i0 + r] = (v - mean[j]) / scale[j];
                }
            }
        }
        var zs = new Span<float>(z, 0, k * n);
        if (vector)
        {
            LinearLearnerKernels.Forward(_w, _b, k, d, xt, n, zs);
        }
        else
        {
            LinearLearnerKernelsScalar.Forward(_w, _b, k, d, xt, n, zs);
        }
        switch (PredictorType)
        {
            case "regressor":
                for (var i = 0; i < n; i++)
                {
                    zs[i] = zs[i] * _labelScale + _labelMean;
                }
                break;
            case "binary_classifier":
                if (_loss == "logistic")
                {
                    LinearLearnerKernels.Sigmoid(zs);
                }
                break;
            default:
                LinearLearnerKernels.Softmax(zs, k, n, zs);
                break;
        }
        for (var c = 0; c < k; c++)
        {
            for (var i = 0; i < n; i++)
            {
                scores[(start + i) * k + c] = zs[c * n + i];
            }
        }
    }

    internal static int ArgMax(ReadOnlySpan<float> v)
    {
        var best = 0;
        for (var c = 1; c < v.Length; c++)
        {
            if (v[c] > v[best])
            {
                best = c;
            }
        }
        return best;
    }

    private float Label(ReadOnlySpan<float> scores) => PredictorType == "binary_classifier"
        ? (scores[0] > Threshold ? 1 : 0)
        : ArgMax(scores);

    /// <summary>
    /// SageMaker's Linear Learner response: {"predictions": [{"score": s, "predicted_label": l}]},
    /// score alone for a regressor, a list of class scores for multiclass. CSV: the score for a
    /// regressor, "predicted_label,score" for binary, the label then the class scores for multiclass.
    /// </summary>
    public void WriteResponse(DenseMatrix features, string accept, TextWriter output, int threads)
    {
        var scores = Scores(features, threads);
        var k = Outputs;
        var label = PredictorType != "regressor";
        Responses.Write(output, accept, "predictions", features.Rows, threads,
            (w, i) =>
            {
                var s = new ReadOnlySpan<float>(scores, i * k, k);
                w.WriteStartObject();
                if (k == 1)
                {
                    w.WriteNumber("score", s[0]);
                }
                else
                {
                    w.WriteStartArray("score");
                    foreach (var v in s)
                    {
                        w.WriteNumberValue(v);
                    }
                    w.WriteEndArray();
                }
                if (label)
                {
                    w.WriteNumber("predicted_label", (int)Label(s));
                }
                w.WriteEndObject();
            },
            Responses.IntBytes + 1 + k * (Responses.FloatBytes + 1),
            (i, text) =>
            {
                var s = new ReadOnlySpan<float>(scores, i * k, k);
                var at = 0;
                if (label)
                {
                    at = Responses.Int((int)Label(s), text);
                    text[at++] = (byte)',';
                }
                return at + Responses.Floats(s, text[at..]);
            });
    }

    public void Save(string directory) => ModelFile.Write(directory, Algorithm, w =>
    {
        w.Write(PredictorType);
        w.Write(_loss);
        w.Write(Features);
        w.Write(Outputs);
        w.WriteFloats(_w);
        w.WriteFloats(_b);
        w.WriteFloats(_stats.Mean);
        w.WriteFloats(_stats.Scale);
        w.Write(_labelMean);
        w.Write(_labelScale);
        w.Write(Threshold);
    });

    internal static LinearLearnerModel Read(BinaryReader r)
    {
        var type = r.ReadString();
        var loss = r.ReadString();
        var features = r.ReadInt32();
        var outputs = r.ReadInt32();
        var w = r.ReadFloats();
        var b = r.ReadFloats();
        var mean = r.ReadFloats();
        var scale = r.ReadFloats();
        if (w.Length != features * outputs || b.Length != outputs || mean.Length != features || scale.Length != features)
        {
            throw new InvalidDataException("linear-learner model arrays do not match its dimensions");
        }
        return new LinearLearnerModel(type, features, outputs, w, b, mean, scale, r.ReadSingle(), r.ReadSingle(), r.ReadSingle(),
            loss, new Dictionary<string, double>());
    }
}
