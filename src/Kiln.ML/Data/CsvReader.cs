using System.Globalization;

namespace Kiln.ML.Data;

/// <summary>
/// text/csv in SageMaker's convention: no header, numbers only, and for training the label in the
/// first column. An empty field is a missing value (NaN); a missing label is an error, because no
/// algorithm can learn from it. Rows are parsed straight into a caller's buffer, so streaming a
/// file of any size needs memory for one batch only.
/// </summary>
public sealed class CsvReader : IDisposable, IBatchReader
{
    private readonly StreamReader _reader;
    private readonly string _source;
    private readonly bool _hasLabel;
    private long _line;

    public CsvReader(string path, bool hasLabel, int? featureCount = null)
        : this(InputFile.Open(path), Path.GetFileName(path), hasLabel, featureCount)
    {
    }

    public CsvReader(Stream stream, string source, bool hasLabel, int? featureCount = null)
    {
        _reader = new StreamReader(stream, System.Text.Encoding.UTF8, false, 1 << 16);
        _source = source;
        _hasLabel = hasLabel;
        FeatureCount = featureCount ?? -1;
    }

    /// <summary>Columns after the label; -1 until the first row has been read.</summary>
    public int FeatureCount { get; private set; }

    /// <summary>
    /// Reads the first row to learn the width; the row is kept and returned by the next <see cref="Read"/>.
    /// </summary>
    public int PeekFeatureCount()
    {
        if (FeatureCount >= 0)
        {
            return FeatureCount;
        }
        _pending = NextLine();
        if (_pending is null)
        {
            throw new DataFormatException(_source, _line, 0, "the file holds no rows");
        }
        FeatureCount = _pending.AsSpan().Count(',') + 1 - (_hasLabel ? 1 : 0);
        if (FeatureCount < 1)
        {
            throw Error(1, "a training row needs a label and at least one feature");
        }
        return FeatureCount;
    }

    /// <summary>
    /// Reads up to <paramref name="maxRows"/> rows into <paramref name="features"/> (row-major,
    /// <see cref="FeatureCount"/> wide) and <paramref name="labels"/>; returns the rows read, 0 at the end.
    /// </summary>
    public int Read(Span<float> features, Span<float> labels, int maxRows)
    {
        PeekFeatureCount();
        var rows = 0;
        while (rows < maxRows)
        {
            var text = _pending ?? NextLine();
            _pending = null;
            if (text is null)
            {
                break;
            }
            ParseRow(text.AsSpan().TrimEnd('\r'), features.Slice(rows * FeatureCount, FeatureCount), ref rows, labels);
        }
        return rows;
    }

    private string? _pending;

    private string? NextLine()
    {
        while (_reader.ReadLine() is { } text)
        {
            _line++;
            if (!text.AsSpan().IsWhiteSpace())
            {
                return text;
            }
        }
        return null;
    }

    private void ParseRow(ReadOnlySpan<char> line, Span<float> row, ref int rows, Span<float> labels)
    {
        var column = 0;
        var expected = FeatureCount + (_hasLabel ? 1 : 0);
        while (true)
        {
            var comma = line.IndexOf(',');
            var field = (comma < 0 ? line : line[..comma]).Trim();
            column++;
            if (column > expected)
            {
                throw Error(column, $"expected {expected} columns, found {column + line.Count(',')}");
            }
            float value;
            if (field.IsEmpty)
            {
                value = float.NaN;
            }
            else if (!float.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out value))
            {
                throw Error(column, $"'{field.ToString()}' is not a number");
            }
            if (_hasLabel && column == 1)
            {
                if (float.IsNaN(value))
                {
                    throw Error(column, "the label is missing or NaN");
                }
                labels[rows] = value;
            }
            else
            {
                row[column - 1 - (_hasLabel ? 1 : 0)] = value;
            }
            if (comma < 0)
            {
                break;
            }
            line = line[(comma + 1)..];
        }
        if (column != expected)
        {
            throw Error(column, $"expected {expected} columns, found {column}");
        }
        rows++;
    }

    private DataFormatException Error(int column, string reason) => new(_source, _line, column, reason);

    public void Dispose() => _reader.Dispose();
}
