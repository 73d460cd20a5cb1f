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
        var labels = new List<float>();
        var rowStarts = new List<int> { 0 };
        var indices = new List<int>();
        var values = new List<float>();
        var maxIndex = -1;
        using var rows = new LibSvmRecords(path, hasLabel, featureCount);
        while (rows.Next())
        {
            if (hasLabel)
            {
                labels.Add(rows.Label);
            }
            indices.AddRange(rows.Keys);
            values.AddRange(rows.Values);
            rowStarts.Add(indices.Count);
            maxIndex = Math.Max(maxIndex, rows.MaxKey);
        }
        var cols = featureCount ?? maxIndex + 1;
        return new Dataset(new SparseMatrix(rowStarts.ToArray(), indices.ToArray(), values.ToArray(), cols),
            hasLabel ? labels.ToArray() : null, rows.Source);
    }

    /// <summary>
    /// The number of columns of a file (largest index + 1), read in one pass without keeping the
    /// rows: what a stream of dense rows needs before its first batch when feature_dim is not given.
    /// </summary>
    public static int Width(string path, bool hasLabel)
    {
        using var rows = new LibSvmRecords(path, hasLabel, null);
        var maxIndex = -1;
        while (rows.Next())
        {
            maxIndex = Math.Max(maxIndex, rows.MaxKey);
        }
        return maxIndex + 1;
    }
}

/// <summary>
/// A text/libsvm file as a cursor of sparse records, one line at a time, so it streams in the
/// memory of one line (out-of-core training). <see cref="RecordSource.Width"/> is the feature
/// count when the caller gives one (then an index at or past it is an error), -1 otherwise.
/// </summary>
internal sealed class LibSvmRecords : RecordSource
{
    private readonly StreamReader _reader;
    private readonly bool _hasLabel;
    private readonly int? _width;

    public LibSvmRecords(string path, bool hasLabel, int? width)
        : base(Path.GetFileName(path))
    {
        _reader = new StreamReader(InputFile.Open(path));
        _hasLabel = hasLabel;
        _width = width;
    }

    /// <summary>The largest index of the current record, -1 when it has none.</summary>
    public int MaxKey { get; private set; }

    protected override bool ReadRecord()
    {
        IsSparse = true;
        Width = _width ?? -1;
        MaxKey = -1;
        while (_reader.ReadLine() is { } text)
        {
            Position++;
            var line = text.AsSpan().Trim();
            if (line.IsEmpty || line[0] == '#')
            {
                continue;
            }
            Parse(line);
            return true;
        }
        return false;
    }

    private void Parse(ReadOnlySpan<char> line)
    {
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
            if (first && _hasLabel)
            {
                first = false;
                if (!float.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out var label))
                {
                    throw new DataFormatException(Source, Position, column, $"label '{token.ToString()}' is not a number");
                }
                if (float.IsNaN(label))
                {
                    throw new DataFormatException(Source, Position, column, "the label is NaN");
                }
                Label = label;
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
                throw new DataFormatException(Source, Position, column, $"'{token.ToString()}' is not index:value");
            }
            if (_width is { } width && index >= width)
            {
                throw new DataFormatException(Source, Position, column, $"index {index} is outside feature_dim {width}");
            }
            Keys.Add(index);
            Values.Add(value);
            MaxKey = Math.Max(MaxKey, index);
        }
        if (_hasLabel && first)
        {
            throw new DataFormatException(Source, Position, 1, "the row has no label");
        }
    }

    public override void Dispose() => _reader.Dispose();
}
