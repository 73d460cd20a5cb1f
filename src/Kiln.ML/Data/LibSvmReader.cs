using System.Globalization;

namespace Kiln.ML.Data;

/// <summary>
/// text/libsvm: <c>label index:value index:value ...</c>, one row per line. Indices are column
/// numbers used as given (XGBoost's convention, so 0-based and 1-based files both load; a 1-based
/// file simply has an empty column 0). An absent index is 0, the sparse convention the linear
/// algorithms assume. A <c>qid:</c> token (ranking groups) is skipped here. The rows stay sparse
/// (<see cref="Dataset.Sparse"/>) until an algorithm asks for them dense.
/// </summary>
public static class LibSvmReader
{
    public static Dataset Read(string path, bool hasLabel, int? featureCount = null)
    {
        var source = Path.GetFileName(path);
        var labels = new List<float>();
        var rowStarts = new List<int> { 0 };
        var indices = new List<int>();
        var values = new List<float>();
        var maxIndex = -1;
        using (var reader = new StreamReader(InputFile.Open(path)))
        {
            long lineNo = 0;
            while (reader.ReadLine() is { } text)
            {
                lineNo++;
                var line = text.AsSpan().Trim();
                if (line.IsEmpty || line[0] == '#')
                {
                    continue;
                }
                var column = 0;
                var first = true;
                foreach (var range in line.Split(' '))
                {
                    var token = line[range];
                    if (token.IsEmpty)
                    {
                        continue;
                    }
                    column++;
                    if (first && hasLabel)
                    {
                        first = false;
                        if (!float.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out var label))
                        {
                            throw new DataFormatException(source, lineNo, column, $"label '{token.ToString()}' is not a number");
                        }
                        if (float.IsNaN(label))
                        {
                            throw new DataFormatException(source, lineNo, column, "the label is NaN");
                        }
                        labels.Add(label);
                        continue;
                    }
                    first = false;
                    var colon = token.IndexOf(':');
                    if (colon > 0 && token[..colon].SequenceEqual("qid"))
                    {
                        continue;
                    }
                    if (colon <= 0
                        || !int.TryParse(token[..colon], NumberStyles.None, CultureInfo.InvariantCulture, out var index)
                        || !float.TryParse(token[(colon + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                    {
                        throw new DataFormatException(source, lineNo, column, $"'{token.ToString()}' is not index:value");
                    }
                    if (featureCount is { } width && index >= width)
                    {
                        throw new DataFormatException(source, lineNo, column, $"index {index} is outside feature_dim {width}");
                    }
                    indices.Add(index);
                    values.Add(value);
                    maxIndex = Math.Max(maxIndex, index);
                }
                if (hasLabel && first)
                {
                    throw new DataFormatException(source, lineNo, 1, "the row has no label");
                }
                rowStarts.Add(indices.Count);
            }
        }
        var cols = featureCount ?? maxIndex + 1;
        return new Dataset(new SparseMatrix(rowStarts.ToArray(), indices.ToArray(), values.ToArray(), cols),
            hasLabel ? labels.ToArray() : null, source);
    }
}
