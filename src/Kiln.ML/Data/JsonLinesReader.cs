using System.Text.Json;

namespace Kiln.ML.Data;

/// <summary>
/// application/jsonlines: one JSON object per line, as in SageMaker's "Common data formats for
/// inference" (https://docs.aws.amazon.com/sagemaker/latest/dg/cdf-inference.html), JSONLINES request
/// format: <c>{"features": [1.5, 16.0, 14.0, 23.0]}</c>, or the protobuf-equivalent sparse form
/// <c>{"features": {"keys": [...], "shape": [n], "values": [...]}}</c>, optionally wrapped as
/// <c>{"data": {"features": ...}}</c>. Training lines add <c>"label": y</c> (a number, or a one-element
/// array as the SDK's label tensors are). Blank lines are skipped.
/// </summary>
internal sealed class JsonLinesReader : RecordSource
{
    private readonly StreamReader _reader;

    public JsonLinesReader(string path)
        : this(InputFile.Open(path), Path.GetFileName(path))
    {
    }

    public JsonLinesReader(Stream stream, string source)
        : base(source) => _reader = new StreamReader(stream, System.Text.Encoding.UTF8, false, 1 << 16);

    protected override bool ReadRecord()
    {
        string? text;
        do
        {
            text = _reader.ReadLine();
            if (text is null)
            {
                return false;
            }
            Position++;
        }
        while (string.IsNullOrWhiteSpace(text));
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(text);
        }
        catch (JsonException e)
        {
            throw Error("line", $"not valid JSON ({e.Message})");
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Error("line", "expected a JSON object per line");
            }
            if (root.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object)
            {
                root = data;
            }
            if (!root.TryGetProperty("features", out var features))
            {
                throw Error("features", "the line has no \"features\"");
            }
            ReadFeatures(features);
            if (doc.RootElement.TryGetProperty("label", out var label) || root.TryGetProperty("label", out label))
            {
                Label = ReadLabel(label);
            }
        }
        return true;
    }

    private void ReadFeatures(JsonElement features)
    {
        switch (features.ValueKind)
        {
            case JsonValueKind.Array:
                Numbers(features, "features", Values);
                Width = Values.Count;
                break;
            case JsonValueKind.Object:
                if (!features.TryGetProperty("values", out var values))
                {
                    throw Error("features.values", "missing");
                }
                Numbers(values, "features.values", Values);
                if (features.TryGetProperty("keys", out var keys))
                {
                    IsSparse = true;
                    var list = new List<float>();
                    Numbers(keys, "features.keys", list);
                    foreach (var k in list)
                    {
                        if (k < 0 || k != MathF.Floor(k) || k > int.MaxValue)
                        {
                            throw Error("features.keys", $"{k} is not a column index");
                        }
                        Keys.Add((int)k);
                    }
                    if (Keys.Count != Values.Count)
                    {
                        throw Error("features.keys", $"{Keys.Count} keys for {Values.Count} values");
                    }
                }
                if (features.TryGetProperty("shape", out var shape))
                {
                    var dims = new List<float>();
                    Numbers(shape, "features.shape", dims);
                    Width = dims.Count == 1 ? (int)dims[0] : throw Error("features.shape", "expected [width]");
                }
                else if (!IsSparse)
                {
                    Width = Values.Count;
                }
                if (!IsSparse && Width != Values.Count)
                {
                    throw Error("features.shape", $"shape {Width} but {Values.Count} values");
                }
                break;
            default:
                throw Error("features", "expected an array of numbers or {keys, shape, values}");
        }
    }

    private float ReadLabel(JsonElement label)
    {
        if (label.ValueKind == JsonValueKind.Array && label.GetArrayLength() == 1)
        {
            label = label[0];
        }
        if (label.ValueKind != JsonValueKind.Number || !label.TryGetSingle(out var y) || !float.IsFinite(y))
        {
            throw Error("label", $"{label.GetRawText()} is not a number");
        }
        return y;
    }

    private void Numbers(JsonElement array, string field, List<float> target)
    {
        if (array.ValueKind != JsonValueKind.Array)
        {
            throw Error(field, "expected an array of numbers");
        }
        var i = 0;
        foreach (var v in array.EnumerateArray())
        {
            // null is a missing value, as an empty CSV field is.
            if (v.ValueKind == JsonValueKind.Null)
            {
                target.Add(float.NaN);
            }
            else if (v.ValueKind == JsonValueKind.Number && v.TryGetSingle(out var f))
            {
                target.Add(f);
            }
            else
            {
                throw Error($"{field}[{i}]", $"{v.GetRawText()} is not a number");
            }
            i++;
        }
    }

    public override void Dispose() => _reader.Dispose();
}
