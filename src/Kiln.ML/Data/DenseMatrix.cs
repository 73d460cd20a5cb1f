namespace Kiln.ML.Data;

/// <summary>
/// A dense float32 matrix stored row-major in one array, so a row is a contiguous span and a whole
/// dataset costs one allocation rather than one per row. Missing values are NaN.
/// </summary>
public sealed class DenseMatrix
{
    private readonly float[] _data;

    public DenseMatrix(int rows, int cols)
        : this(new float[checked(rows * cols)], rows, cols)
    {
    }

    public DenseMatrix(float[] data, int rows, int cols)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(cols);
        ArgumentOutOfRangeException.ThrowIfLessThan(data.Length, rows * cols);
        _data = data;
        Rows = rows;
        Cols = cols;
    }

    public int Rows { get; }

    public int Cols { get; }

    /// <summary>The rows × cols values, row after row.</summary>
    public Span<float> Data => new(_data, 0, Rows * Cols);

    /// <summary>The backing array; it may be longer than <see cref="Data"/> when a buffer is reused.</summary>
    internal float[] Array => _data;

    public Span<float> Row(int i) => new(_data, i * Cols, Cols);

    public ref float this[int row, int col] => ref _data[row * Cols + col];

    public static DenseMatrix FromRows(float[][] rows)
    {
        var cols = rows.Length == 0 ? 0 : rows[0].Length;
        var m = new DenseMatrix(rows.Length, cols);
        for (var i = 0; i < rows.Length; i++)
        {
            if (rows[i].Length != cols)
            {
                throw new ArgumentException($"row {i} has {rows[i].Length} values, expected {cols}", nameof(rows));
            }
            rows[i].CopyTo(m.Row(i));
        }
        return m;
    }

    /// <summary>A copy of rows [start, start+count).</summary>
    public DenseMatrix Slice(int start, int count)
    {
        var m = new DenseMatrix(count, Cols);
        _data.AsSpan(start * Cols, count * Cols).CopyTo(m.Data);
        return m;
    }
}

/// <summary>
/// Features plus, for training data, one label per row. Sparse input (text/libsvm) stays sparse:
/// <see cref="Sparse"/> holds it and <see cref="Features"/> densifies it on first use, so the
/// algorithms that learn on sparse rows (Factorization Machines) never pay for the dense copy.
/// </summary>
public sealed class Dataset
{
    private DenseMatrix? _features;

    public Dataset(DenseMatrix features, float[]? labels, string source)
    {
        _features = features;
        Labels = labels;
        Source = source;
        Cols = features.Cols;
    }

    public Dataset(SparseMatrix sparse, float[]? labels, string source)
    {
        Sparse = sparse;
        Labels = labels;
        Source = source;
        Cols = sparse.Cols;
    }

    public DenseMatrix Features => _features ??= Sparse!.ToDense();

    /// <summary>The rows as read when the input was sparse; null for dense input.</summary>
    public SparseMatrix? Sparse { get; }

    /// <summary>Null for inference input, which carries no label column.</summary>
    public float[]? Labels { get; }

    /// <summary>Where the rows came from (file name), for error messages.</summary>
    public string Source { get; }

    public int Rows => Sparse?.Rows ?? _features!.Rows;

    public int Cols { get; }

    /// <summary>The rows in compressed sparse row form (a copy without the zeros when the input was dense).</summary>
    public SparseMatrix AsSparse() => Sparse ?? SparseMatrix.FromDense(_features!);

    public float[] RequireLabels() =>
        Labels ?? throw new DataFormatException(Source, 0, 0, "this algorithm needs labels (first CSV column)");
}
