namespace Kiln.ML.Data;

/// <summary>
/// A float32 matrix in compressed sparse row form: row i's column indices and values are
/// <see cref="Index"/> and <see cref="Value"/> over [RowStart[i], RowStart[i+1]). One-hot user × item
/// data has a handful of non-zeros in thousands of columns, where a dense copy would not fit.
/// </summary>
public sealed class SparseMatrix
{
    public SparseMatrix(int[] rowStart, int[] index, float[] value, int cols)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rowStart.Length, 1);
        if (index.Length != value.Length || rowStart[^1] != index.Length)
        {
            throw new ArgumentException("row starts, indices and values do not agree");
        }
        RowStart = rowStart;
        Index = index;
        Value = value;
        Cols = cols;
    }

    public int Rows => RowStart.Length - 1;

    public int Cols { get; }

    public int[] RowStart { get; }

    public int[] Index { get; }

    public float[] Value { get; }

    public ReadOnlySpan<int> RowIndices(int i) => Index.AsSpan(RowStart[i], RowStart[i + 1] - RowStart[i]);

    public ReadOnlySpan<float> RowValues(int i) => Value.AsSpan(RowStart[i], RowStart[i + 1] - RowStart[i]);

    public DenseMatrix ToDense()
    {
        var m = new DenseMatrix(Rows, Cols);
        for (var i = 0; i < Rows; i++)
        {
            var row = m.Row(i);
            for (var p = RowStart[i]; p < RowStart[i + 1]; p++)
            {
                row[Index[p]] = Value[p];
            }
        }
        return m;
    }

    /// <summary>The non-zero entries of <paramref name="x"/>; a missing value (NaN) counts as absent, i.e. zero.</summary>
    public static SparseMatrix FromDense(DenseMatrix x)
    {
        var starts = new int[x.Rows + 1];
        var index = new List<int>();
        var value = new List<float>();
        for (var i = 0; i < x.Rows; i++)
        {
            var row = x.Row(i);
            for (var j = 0; j < row.Length; j++)
            {
                if (row[j] != 0f && !float.IsNaN(row[j]))
                {
                    index.Add(j);
                    value.Add(row[j]);
                }
            }
            starts[i + 1] = index.Count;
        }
        return new SparseMatrix(starts, index.ToArray(), value.ToArray(), x.Cols);
    }
}
