using Kiln.ML.Data;

namespace Kiln.ML.Trainers.XGBoost;

/// <summary>
/// A trained booster. Its artifact is libxgboost's own binary model file named <c>xgboost-model</c>,
/// which is what SageMaker's XGBoost container writes and what Python's Booster.load_model reads.
/// </summary>
public sealed unsafe class XGBoostModel : IModel, IDisposable
{
    public const string FileName = "xgboost-model";
    private readonly BoosterHandle _booster;

    internal XGBoostModel(BoosterHandle booster, IReadOnlyDictionary<string, double> metrics)
    {
        _booster = booster;
        Metrics = metrics;
    }

    public string Algorithm => XGBoostTrainer.Name;

    public IReadOnlyDictionary<string, double> Metrics { get; }

    public static XGBoostModel Load(string path)
    {
        XGBoostNative.Check(XGBoostNative.XGBoosterCreate(null, 0, out var raw));
        var booster = new BoosterHandle(raw);
        XGBoostNative.Check(XGBoostNative.XGBoosterLoadModel(raw, path));
        return new XGBoostModel(booster, new Dictionary<string, double>());
    }

    public void Save(string directory) =>
        XGBoostNative.Check(XGBoostNative.XGBoosterSaveModel(_booster.DangerousGetHandle(), Path.Combine(directory, FileName)));

    /// <summary>Predictions row-major: one value per row, or one per class for multi:softprob.</summary>
    public (float[] Values, int Width) Predict(DenseMatrix features, int threads)
    {
        using var d = DMatrixHandle.FromDense(features, null, threads);
        XGBoostNative.Check(XGBoostNative.XGBoosterSetParam(_booster.DangerousGetHandle(), "nthread", threads.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        // type 0 = plain prediction over all trees (iteration_end 0 means "to the last").
        const string config = """{"type": 0, "training": false, "iteration_begin": 0, "iteration_end": 0, "strict_shape": false}""";
        XGBoostNative.Check(XGBoostNative.XGBoosterPredictFromDMatrix(_booster.DangerousGetHandle(), d.DangerousGetHandle(), config,
            out var shape, out var dim, out var result));
        ulong total = 1;
        for (ulong i = 0; i < dim; i++)
        {
            total *= shape[i];
        }
        var width = dim > 1 ? (int)shape[1] : 1;
        // libxgboost owns the result buffer until the next call on this booster, so copy it out now.
        return (new ReadOnlySpan<float>(result, (int)total).ToArray(), width);
    }

    /// <summary>
    /// SageMaker XGBoost's response: text/csv is one line per record (the class probabilities
    /// comma-separated for multi:softprob); JSON is {"predictions": [{"score": ...}]}.
    /// </summary>
    public void WriteResponse(DenseMatrix features, string accept, TextWriter output, int threads)
    {
        var (values, width) = Predict(features, threads);
        Responses.Write(output, accept, "predictions", features.Rows, threads,
            (w, i) =>
            {
                w.WriteStartObject();
                if (width == 1)
                {
                    w.WriteNumber("score", values[i]);
                }
                else
                {
                    w.WriteStartArray("score");
                    foreach (var v in values.AsSpan(i * width, width))
                    {
                        w.WriteNumberValue(v);
                    }
                    w.WriteEndArray();
                }
                w.WriteEndObject();
            },
            width * (Responses.FloatBytes + 1),
            (i, text) => Responses.Floats(new ReadOnlySpan<float>(values, i * width, width), text));
    }

    public void Dispose() => _booster.Dispose();
}
