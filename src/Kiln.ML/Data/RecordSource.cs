namespace Kiln.ML.Data;

/// <summary>A reader that fills caller-owned, row-major batches: what streaming (out-of-core) training consumes.</summary>
internal interface IBatchReader : IDisposable
{
    /// <summary>Reads ahead as far as needed to learn the feature count, without losing the row it read.</summary>
    int PeekFeatureCount();

    /// <summary>Reads up to <paramref name="maxRows"/> rows; returns the rows read, 0 at the end.</summary>
    int Read(Span<float> features, Span<float> labels, int maxRows);
}

/// <summary>
/// The formats whose records describe themselves — RecordIO-protobuf and JSON Lines — as a cursor
/// over records, each dense (values only) or sparse (keys with values, plus a width). One record is
/// decoded at a time into reused buffers, so a file of any size is read in the memory of one record.
/// </summary>
internal abstract class RecordSource : IDisposable
{
    protected RecordSource(string source) => Source = source;

    public string Source { get; }

    /// <summary>1-based number of the current record (RecordIO) or line (JSON Lines) in the file.</summary>
    public long Position { get; protected set; }

    /// <summary>The current record's feature values, and for a sparse record their column indices.</summary>
    public List<float> Values { get; } = [];

    public List<int> Keys { get; } = [];

    public bool IsSparse { get; protected set; }

    /// <summary>Columns the record declares (shape[0], or the value count of a dense record); -1 when unknown.</summary>
    public int Width { get; protected set; }

    /// <summary>NaN when the record has no label.</summary>
    public float Label { get; protected set; }

    /// <summary>Moves to the next record; false at the end of the file.</summary>
    public bool Next()
    {
        Values.Clear();
        Keys.Clear();
        IsSparse = false;
        Width = -1;
        Label = float.NaN;
        return ReadRecord();
    }

    protected abstract bool ReadRecord();

    /// <summary>Column 0: errors in these formats point at a record and a field, not a column.</summary>
    public DataFormatException Error(string field, string reason) => new(Source, Position, 0, $"{field}: {reason}");

    public abstract void Dispose();
}

/// <summary>
/// Dense batches from a <see cref="RecordSource"/>; a sparse record is scattered into a zero row.
/// <paramref name="positioned"/>: the source already stands on its first record, which is read first.
/// </summary>
internal sealed class RecordBatchReader(RecordSource records, bool hasLabel, int? featureCount, bool positioned = false) : IBatchReader
{
    private int _width = featureCount ?? -1;
    private bool _pending = positioned;

    public int PeekFeatureCount()
    {
        if (_width >= 0)
        {
            return _width;
        }
        if (!_pending && !records.Next())
        {
            throw new DataFormatException(records.Source, 0, 0, "the file holds no records");
        }
        _pending = true;
        _width = records.Width >= 0 ? records.Width
            : throw records.Error("features", "a sparse record needs a shape (or feature_dim) to give its width");
        return _width;
    }

    public int Read(Span<float> features, Span<float> labels, int maxRows)
    {
        var width = PeekFeatureCount();
        var rows = 0;
        while (rows < maxRows && (_pending || records.Next()))
        {
            _pending = false;
            var row = features.Slice(rows * width, width);
            Fill(records, row, width);
            if (hasLabel)
            {
                labels[rows] = CheckedLabel(records);
            }
            rows++;
        }
        return rows;
    }

    /// <summary>Writes the current record into a dense row of <paramref name="width"/> columns.</summary>
    public static void Fill(RecordSource r, Span<float> row, int width)
    {
        if (r.Width >= 0 && r.Width != width)
        {
            throw r.Error("features", $"expected {width} features, found {r.Width}");
        }
        if (!r.IsSparse)
        {
            System.Runtime.InteropServices.CollectionsMarshal.AsSpan(r.Values).CopyTo(row);
            return;
        }
        row.Clear();
        for (var p = 0; p < r.Keys.Count; p++)
        {
            row[CheckedKey(r, p, width)] = r.Values[p];
        }
    }

    public static int CheckedKey(RecordSource r, int p, int width)
    {
        var key = r.Keys[p];
        if (key < 0 || key >= width)
        {
            throw r.Error("features.keys", $"key {key} is outside the {width} features");
        }
        return key;
    }

    public static float CheckedLabel(RecordSource r) =>
        float.IsNaN(r.Label) ? throw r.Error("label", "the label is missing or NaN") : r.Label;

    public void Dispose() => records.Dispose();
}
