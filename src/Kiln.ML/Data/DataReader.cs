namespace Kiln.ML.Data;

/// <summary>Reads a channel file in any supported content type, whole or in bounded batches.</summary>
public static class DataReader
{
    public static Dataset ReadAll(string path, string contentType, bool hasLabel, int? featureCount = null)
    {
        var type = ContentTypes.Normalize(contentType, ContentTypes.Readable);
        if (type == ContentTypes.LibSvm)
        {
            return LibSvmReader.Read(path, hasLabel, featureCount);
        }

        if (type == ContentTypes.Csv)
        {
            // Parallel block parsing: a third of CsvReader's CPU on adult-income (CsvBlockParser.cs);
            // CsvReader stays the streaming path (ReadBatches).
            return Kernels.CsvBlockParser.ReadAll(path, hasLabel, featureCount);
        }

        var records = OpenRecords(path, type);
        // The first record decides the layout: sparse records (the SDK's write_spmatrix_to_sparse_tensor)
        // stay sparse, as libsvm rows do; dense ones fill a dense matrix like CSV rows.
        if (!records.Next())
        {
            records.Dispose();
            throw new DataFormatException(Path.GetFileName(path), 0, 0, "the file holds no records");
        }

        if (records.IsSparse)
        {
            using (records)
            {
                return ReadSparse(records, hasLabel, featureCount);
            }
        }

        IBatchReader reader = new RecordBatchReader(records, hasLabel, featureCount, positioned: true);
        using var _ = reader;
        var cols = reader.PeekFeatureCount();
        var capacity = 4096;
        var features = new float[capacity * cols];
        var labels = new float[hasLabel ? capacity : 0];
        var rows = 0;
        while (true)
        {
            if (rows == capacity)
            {
                capacity *= 2;
                Array.Resize(ref features, capacity * cols);
                if (hasLabel)
                {
                    Array.Resize(ref labels, capacity);
                }
            }
            var n = reader.Read(features.AsSpan(rows * cols), hasLabel ? labels.AsSpan(rows) : default, capacity - rows);
            if (n == 0)
            {
                break;
            }
            rows += n;
        }
        if (hasLabel)
        {
            Array.Resize(ref labels, rows);
        }
        return new Dataset(new DenseMatrix(features, rows, cols), hasLabel ? labels : null, Path.GetFileName(path));
    }

    /// <summary>A text/csv file as batches; see the overload with a content type.</summary>
    public static IEnumerable<Dataset> ReadBatches(string path, bool hasLabel, int batchRows, int? featureCount = null) =>
        ReadBatches(path, ContentTypes.Csv, hasLabel, batchRows, featureCount);

    /// <summary>
    /// Streams a text/csv, JSON Lines, RecordIO-protobuf or text/libsvm file as dense batches of at most
    /// <paramref name="batchRows"/> rows. The batches share one buffer: each is valid until the
    /// enumerator moves on, which keeps memory at one batch whatever the file size (out-of-core training).
    /// </summary>
    public static IEnumerable<Dataset> ReadBatches(string path, string contentType, bool hasLabel, int batchRows, int? featureCount = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchRows, 1);
        var type = ContentTypes.Normalize(contentType, ContentTypes.Csv, ContentTypes.RecordIOProtobuf, ContentTypes.JsonLines,
            ContentTypes.LibSvm);
        return Batches(path, type, hasLabel, batchRows, featureCount);
    }

    /// <summary>
    /// Streams a file as sparse batches of at most <paramref name="batchRows"/> rows with indices below
    /// <paramref name="width"/> (Factorization Machines' feature_dim). Sparse records (libsvm, sparse
    /// RecordIO-protobuf or JSON Lines) keep their entries as written; dense rows (CSV, dense records)
    /// keep their non-zero, non-missing values, as <see cref="SparseMatrix.FromDense"/> does in memory.
    /// </summary>
    public static IEnumerable<Dataset> ReadSparseBatches(string path, string contentType, bool hasLabel, int batchRows, int width)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchRows, 1);
        var type = ContentTypes.Normalize(contentType, ContentTypes.Readable);
        return type == ContentTypes.Csv
            ? Batches(path, type, hasLabel, batchRows, null).Select(b => new Dataset(SparseMatrix.FromDense(b.Features), b.Labels, b.Source))
            : SparseBatches(type == ContentTypes.LibSvm ? new LibSvmRecords(path, hasLabel, width) : OpenRecords(path, type), hasLabel, batchRows, width);
    }

    private static IEnumerable<Dataset> SparseBatches(RecordSource records, bool hasLabel, int batchRows, int width)
    {
        using (records)
        {
            var more = records.Next();
            while (more)
            {
                var starts = new List<int>(batchRows + 1) { 0 };
                var index = new List<int>();
                var value = new List<float>();
                var labels = new List<float>(hasLabel ? batchRows : 0);
                for (; more && starts.Count <= batchRows; more = records.Next())
                {
                    if (records.Width > width)
                    {
                        throw records.Error("features", $"the record has {records.Width} features, more than {width}");
                    }
                    for (var p = 0; p < records.Values.Count; p++)
                    {
                        var v = records.Values[p];
                        if (records.IsSparse)
                        {
                            index.Add(RecordBatchReader.CheckedKey(records, p, width));
                            value.Add(v);
                        }
                        else if (v != 0f && !float.IsNaN(v))
                        {
                            index.Add(p < width ? p : throw records.Error("features", $"more than {width} features"));
                            value.Add(v);
                        }
                    }
                    starts.Add(index.Count);
                    if (hasLabel)
                    {
                        labels.Add(RecordBatchReader.CheckedLabel(records));
                    }
                }
                yield return new Dataset(new SparseMatrix(starts.ToArray(), index.ToArray(), value.ToArray(), width),
                    hasLabel ? labels.ToArray() : null, records.Source);
            }
        }
    }

    private static IEnumerable<Dataset> Batches(string path, string type, bool hasLabel, int batchRows, int? featureCount)
    {
        using var reader = OpenBatches(path, type, hasLabel, featureCount);
        var cols = reader.PeekFeatureCount();
        var features = new float[batchRows * cols];
        var labels = new float[hasLabel ? batchRows : 0];
        var source = Path.GetFileName(path);
        while (true)
        {
            var n = reader.Read(features, labels, batchRows);
            if (n == 0)
            {
                yield break;
            }
            yield return new Dataset(new DenseMatrix(features, n, cols), hasLabel ? labels[..n] : null, source);
        }
    }

    private static RecordSource OpenRecords(string path, string type) =>
        type == ContentTypes.JsonLines ? new JsonLinesReader(path) : new RecordIOProtobufReader(path);

    private static IBatchReader OpenBatches(string path, string type, bool hasLabel, int? featureCount)
    {
        if (type == ContentTypes.Csv)
        {
            return new CsvReader(path, hasLabel, featureCount);
        }
        if (type == ContentTypes.LibSvm)
        {
            // libsvm rows do not declare their width: without feature_dim it is the largest index of the file.
            var width = featureCount ?? LibSvmReader.Width(path, hasLabel);
            return new RecordBatchReader(new LibSvmRecords(path, hasLabel, width), hasLabel, width);
        }
        return new RecordBatchReader(OpenRecords(path, type), hasLabel, featureCount);
    }

    /// <summary>Every record, already positioned on the first, into compressed sparse rows.</summary>
    private static Dataset ReadSparse(RecordSource records, bool hasLabel, int? featureCount)
    {
        var width = featureCount ?? records.Width;
        var starts = new List<int> { 0 };
        var index = new List<int>();
        var value = new List<float>();
        var labels = new List<float>();
        do
        {
            if (width < 0)
            {
                throw records.Error("features.shape", "a sparse record needs a shape (or feature_dim) to give its width");
            }
            if (records.Width >= 0 && records.Width != width)
            {
                throw records.Error("features", $"expected {width} features, found {records.Width}");
            }
            for (var p = 0; p < records.Values.Count; p++)
            {
                index.Add(records.IsSparse ? RecordBatchReader.CheckedKey(records, p, width) : p);
                value.Add(records.Values[p]);
            }
            starts.Add(index.Count);
            if (hasLabel)
            {
                labels.Add(RecordBatchReader.CheckedLabel(records));
            }
        }
        while (records.Next());
        return new Dataset(new SparseMatrix(starts.ToArray(), index.ToArray(), value.ToArray(), width),
            hasLabel ? labels.ToArray() : null, records.Source);
    }
}
