namespace Kiln.ML.Data;

/// <summary>
/// A channel file that a streaming trainer reads again on every pass, a batch at a time, instead of
/// holding it in memory: memory then depends on the batch size and the feature count, never on the
/// file size (out-of-core training). text/csv, application/jsonlines, application/x-recordio-protobuf
/// and text/libsvm stream, as dense batches (<see cref="Batches"/>) or, for the algorithms that learn
/// on sparse rows, as sparse ones (<see cref="SparseBatches"/>).
/// </summary>
public sealed class BatchSource
{
    private readonly int? _featureCount;
    private int? _libSvmWidth;

    public BatchSource(string path, string contentType, bool hasLabel, int? featureCount = null)
    {
        ContentType = ContentTypes.Normalize(contentType, ContentTypes.Csv, ContentTypes.RecordIOProtobuf, ContentTypes.JsonLines,
            ContentTypes.LibSvm);
        Path = path;
        HasLabel = hasLabel;
        _featureCount = featureCount;
        Source = System.IO.Path.GetFileName(path);
    }

    public string Path { get; }

    public string ContentType { get; }

    public bool HasLabel { get; }

    /// <summary>The file name, for error messages.</summary>
    public string Source { get; }

    /// <summary>
    /// Features per row, from the caller or else from the first row of the file; for text/libsvm,
    /// whose rows do not declare their width, the largest index + 1 over the whole file (one pass, once).
    /// </summary>
    public int FeatureCount => _featureCount ?? (ContentType == ContentTypes.LibSvm
        ? _libSvmWidth ??= LibSvmReader.Width(Path, HasLabel)
        : PeekFeatureCount());

    private int PeekFeatureCount()
    {
        using var batches = DataReader.ReadBatches(Path, ContentType, HasLabel, batchRows: 1).GetEnumerator();
        return batches.MoveNext() ? batches.Current.Cols : throw new DataFormatException(Source, 0, 0, "the file holds no rows");
    }

    /// <summary>One pass over the file; each batch is valid until the enumerator moves on (the buffer is reused).</summary>
    public IEnumerable<Dataset> Batches(int batchRows) => DataReader.ReadBatches(Path, ContentType, HasLabel, batchRows,
        ContentType == ContentTypes.LibSvm ? FeatureCount : _featureCount);

    /// <summary>
    /// One pass over the file as sparse batches (<see cref="Dataset.Sparse"/>) of at most
    /// <paramref name="batchRows"/> rows whose indices lie below <paramref name="width"/>: sparse
    /// records stay sparse, dense rows keep their non-zero values. Each batch is its own arrays.
    /// </summary>
    public IEnumerable<Dataset> SparseBatches(int batchRows, int width) =>
        DataReader.ReadSparseBatches(Path, ContentType, HasLabel, batchRows, width);

    /// <summary>Whether files of this content type can be read in batches (every type <see cref="DataReader"/> reads).</summary>
    public static bool CanStream(string contentType) =>
        ContentTypes.Normalize(contentType, ContentTypes.Readable) is ContentTypes.Csv or ContentTypes.RecordIOProtobuf or ContentTypes.JsonLines
            or ContentTypes.LibSvm;
}

/// <summary>
/// Per-column count, sum and sum of squares of the non-missing values, accumulated batch by batch
/// in double: a streaming trainer's first pass, giving the same means and deviations as a pass over
/// the whole matrix.
/// </summary>
public sealed class ColumnMoments(int cols)
{
    private readonly double[] _sum = new double[cols];
    private readonly double[] _sumSq = new double[cols];
    private readonly long[] _count = new long[cols];

    public long Rows { get; private set; }

    public void Add(DenseMatrix x)
    {
        for (var i = 0; i < x.Rows; i++)
        {
            var row = x.Row(i);
            for (var j = 0; j < row.Length; j++)
            {
                var v = row[j];
                if (!float.IsNaN(v))
                {
                    _sum[j] += v;
                    _sumSq[j] += (double)v * v;
                    _count[j]++;
                }
            }
        }
        Rows += x.Rows;
    }

    /// <summary>Column means (0 for a column with no values) and population standard deviations (1 when constant).</summary>
    public (float[] Mean, float[] Scale) MeanAndScale()
    {
        var mean = new float[_sum.Length];
        var scale = new float[_sum.Length];
        for (var j = 0; j < _sum.Length; j++)
        {
            var m = _count[j] == 0 ? 0 : _sum[j] / _count[j];
            var variance = _count[j] == 0 ? 0 : Math.Max(0, _sumSq[j] / _count[j] - m * m);
            mean[j] = (float)m;
            scale[j] = variance > 1e-12 ? (float)Math.Sqrt(variance) : 1f;
        }
        return (mean, scale);
    }
}
