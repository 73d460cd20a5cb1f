namespace Kiln.ML.Data;

/// <summary>Reads a channel file in any supported content type, whole or in bounded batches.</summary>
public static class DataReader
{
    public static Dataset ReadAll(string path, string contentType, bool hasLabel, int? featureCount = null)
    {
        var type = ContentTypes.Normalize(contentType, ContentTypes.Csv, ContentTypes.LibSvm);
        if (type == ContentTypes.LibSvm)
        {
            return LibSvmReader.Read(path, hasLabel, featureCount);
        }
        using var csv = new CsvReader(path, hasLabel, featureCount);
        var cols = csv.PeekFeatureCount();
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
            var n = csv.Read(features.AsSpan(rows * cols), hasLabel ? labels.AsSpan(rows) : default, capacity - rows);
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

    /// <summary>
    /// Streams a CSV file as batches of at most <paramref name="batchRows"/> rows. The batches share
    /// one buffer: each is valid until the enumerator moves on, which keeps memory at one batch
    /// whatever the file size (out-of-core training).
    /// </summary>
    public static IEnumerable<Dataset> ReadBatches(string path, bool hasLabel, int batchRows, int? featureCount = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchRows, 1);
        using var csv = new CsvReader(path, hasLabel, featureCount);
        var cols = csv.PeekFeatureCount();
        var features = new float[batchRows * cols];
        var labels = new float[hasLabel ? batchRows : 0];
        var source = Path.GetFileName(path);
        while (true)
        {
            var n = csv.Read(features, labels, batchRows);
            if (n == 0)
            {
                yield break;
            }
            yield return new Dataset(new DenseMatrix(features, n, cols), hasLabel ? labels[..n] : null, source);
        }
    }
}
