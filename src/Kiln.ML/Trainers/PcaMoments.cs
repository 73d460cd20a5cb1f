using System.Runtime.CompilerServices;
using Kiln.ML.Data;
using Kiln.ML.Kernels;

namespace Kiln.ML.Trainers;

/// <summary>
/// PCA's regular mode in one pass over the rows: Σ y and Σ y yᵀ of the shifted rows y = x − s
/// (SageMaker's "Σ xᵢ and Σ xᵢᵀxᵢ", How PCA Works), from which the mean and the covariance follow.
/// Rows arrive one at a time, so the same accumulator serves a matrix in memory (one per thread
/// over fixed row ranges, then merged in order) and a file read batch by batch (out-of-core).
///
/// The shift s is the mean of the first rows: summing raw x xᵀ and subtracting n·m mᵀ at the end
/// would cancel catastrophically when a column's mean is large against its spread (longitude
/// -119 ± 2 in california-housing); about the shift, the terms stay of the size of the variance.
///
/// Missing values take the column mean, which is only known at the end. A missing entry is stored
/// as y = 0 and counted; with δ = m − s and p the indicator of a present value, the centred value
/// is c = y − δ·p, so Σ c_a c_b = Σ y_a y_b − δ_b Σ y_a p_b − δ_a Σ p_a y_b + δ_a δ_b Σ p_a p_b.
/// The p-sums differ from Σ y and n only through rows with missing values, which are few, and
/// are kept for those rows alone (d × d each, allocated on the first missing value).
/// </summary>
internal sealed class PcaMoments
{
    /// <summary>Rows per block: the kernel sums a block in float, the accumulator adds blocks in double.</summary>
    public const int BlockRows = 256;

    private const int Stride = BlockRows * PcaGram.Width;
    private readonly int _d, _panels, _width;
    private readonly float[] _shift;
    private readonly double[] _cross;
    private readonly double[] _sum;
    private readonly long[] _missing;
    private double[]? _missingSum;
    private long[]? _missingPairs;
    private readonly float[] _block, _gram, _row;
    private readonly double[] _blockSum;
    private readonly List<int> _absent = [];
    private readonly bool _wide;
    private int _pending;

    /// <summary>
    /// Values of the upper tiles (rows × padded features²) from which the Vector256 kernels
    /// (<see cref="PcaGram"/>, compiled at their first call, about 3 ms) pay for themselves; below it
    /// the precompiled <see cref="PcaGramNarrow"/> runs. california-housing: 16k × 16² = 4M, narrow;
    /// covertype: 465k × 56² = 1.5G, wide.
    /// </summary>
    private const long WideWork = 1L << 26;

    /// <param name="shift">The shift s of every row (see the class remarks).</param>
    /// <param name="rows">Rows this accumulator and the others of the same pass will see in all, or -1 when not known
    /// (a file read in batches): it chooses the kernels, <see cref="PcaGram"/> from <see cref="WideWork"/> on.</param>
    public PcaMoments(float[] shift, long rows)
    {
        _d = shift.Length;
        _panels = (_d + PcaGram.Width - 1) / PcaGram.Width;
        _width = _panels * PcaGram.Width;
        _shift = new float[_width];
        shift.CopyTo(_shift, 0);
        _cross = new double[_width * _width];
        _sum = new double[_width];
        _missing = new long[_d];
        _block = new float[_panels * Stride];
        _gram = new float[_width * _width];
        _row = new float[_width];
        _blockSum = new double[_width];
        _wide = rows < 0 || rows * _width * _width >= WideWork;
    }

    public long Rows { get; private set; }

    /// <summary>The shift: column means over the present values of the first <see cref="BlockRows"/> rows (0 where none).</summary>
    public static float[] FirstRowsMean(DenseMatrix x)
    {
        var sum = new double[x.Cols];
        var count = new int[x.Cols];
        for (var i = 0; i < Math.Min(x.Rows, BlockRows); i++)
        {
            var row = x.Row(i);
            for (var j = 0; j < row.Length; j++)
            {
                if (!float.IsNaN(row[j]))
                {
                    sum[j] += row[j];
                    count[j]++;
                }
            }
        }
        var mean = new float[x.Cols];
        for (var j = 0; j < mean.Length; j++)
        {
            mean[j] = count[j] == 0 ? 0 : (float)(sum[j] / count[j]);
        }
        return mean;
    }

    public void Add(ReadOnlySpan<float> x)
    {
        var r = _pending;
        bool missing;
        if (_wide)
        {
            // A loop, not CopyTo: ReadyToRun holds no Buffer.Memmove<float>, which ran as tier-0 code, a call per row.
            for (var j = 0; j < x.Length; j++)
            {
                _row[j] = x[j];
            }
            missing = PcaGram.ShiftIntoPanels(_row, _shift, _block, Stride, r);
        }
        else
        {
            missing = ShiftRow(x, r);
        }
        if (missing)
        {
            AddMissing(x, r);
        }
        if (++_pending == BlockRows)
        {
            Flush();
        }
    }

    /// <summary>
    /// The narrow path's row shift, one pass over the row's features: y = x − s into the block (NaN
    /// written as 0; the padding lanes, never written, stay 0) and y added to the block's column sums,
    /// which are the sums Flush took over the block before (the same doubles, added in row order).
    /// </summary>
    private bool ShiftRow(ReadOnlySpan<float> x, int r)
    {
        const int w = PcaGram.Width;
        ref var block = ref _block[r * w];
        ref var shift = ref _shift[0];
        ref var sums = ref _blockSum[0];
        var missing = false;
        for (var j = 0; j < x.Length; j++)
        {
            var v = x[j];
            float y;
            if (float.IsNaN(v))
            {
                y = 0;
                missing = true;
            }
            else
            {
                y = v - Unsafe.Add(ref shift, j);
            }
            Unsafe.Add(ref block, (j >> 3) * Stride + (j & (w - 1))) = y;
            Unsafe.Add(ref sums, j) += y;
        }
        return missing;
    }

    /// <summary>Rows [start, start + count) of <paramref name="x"/>.</summary>
    public void Add(DenseMatrix x, int start, int count)
    {
        for (var i = start; i < start + count; i++)
        {
            Add(x.Row(i));
        }
    }

    private void AddMissing(ReadOnlySpan<float> x, int r)
    {
        _missingSum ??= new double[_d * _d];
        _missingPairs ??= new long[_d * _d];
        _absent.Clear();
        for (var j = 0; j < _d; j++)
        {
            if (float.IsNaN(x[j]))
            {
                _absent.Add(j);
            }
        }
        foreach (var b in _absent)
        {
            _missing[b]++;
            for (var a = 0; a < _d; a++)
            {
                _missingSum[a * _d + b] += _block[a / PcaGram.Width * Stride + r * PcaGram.Width + a % PcaGram.Width];
            }
            foreach (var a in _absent)
            {
                _missingPairs[a * _d + b]++;
            }
        }
    }

    /// <summary>Adds the rows still held in the block; call before <see cref="Merge"/> or <see cref="Result"/>.</summary>
    public void Flush()
    {
        if (_pending == 0)
        {
            return;
        }
        if (_wide)
        {
            PcaGram.Upper(_block, _panels, Stride, _pending, _gram);
        }
        else
        {
            PcaGramNarrow.Upper(_block, _panels, Stride, _pending, _gram);
        }
        Span<double> sums = stackalloc double[PcaGram.Width];
        for (var a = 0; a < _panels; a++)
        {
            for (var i = a * PcaGram.Width; i < (a + 1) * PcaGram.Width; i++)
            {
                for (var j = a * PcaGram.Width; j < _width; j++)
                {
                    _cross[i * _width + j] += _gram[i * _width + j];
                }
            }
            if (!_wide)
            {
                // ShiftRow kept these sums row by row.
                for (var j = a * PcaGram.Width; j < Math.Min(_d, (a + 1) * PcaGram.Width); j++)
                {
                    _sum[j] += _blockSum[j];
                    _blockSum[j] = 0;
                }
                continue;
            }
            sums.Clear();
            for (var r = 0; r < _pending; r++)
            {
                var row = a * Stride + r * PcaGram.Width;
                for (var j = 0; j < PcaGram.Width; j++)
                {
                    sums[j] += _block[row + j];
                }
            }
            for (var j = 0; j < PcaGram.Width; j++)
            {
                _sum[a * PcaGram.Width + j] += sums[j];
            }
        }
        Rows += _pending;
        _pending = 0;
    }

    /// <summary>Adds another accumulator over other rows, flushed, with the same shift.</summary>
    public void Merge(PcaMoments other)
    {
        Add(_cross, other._cross);
        Add(_sum, other._sum);
        for (var j = 0; j < _d; j++)
        {
            _missing[j] += other._missing[j];
        }
        if (other._missingSum is not null)
        {
            _missingSum ??= new double[_d * _d];
            _missingPairs ??= new long[_d * _d];
            Add(_missingSum, other._missingSum);
            for (var i = 0; i < _missingPairs.Length; i++)
            {
                _missingPairs[i] += other._missingPairs![i];
            }
        }
        Rows += other.Rows;

        static void Add(double[] into, double[] from)
        {
            for (var i = 0; i < into.Length; i++)
            {
                into[i] += from[i];
            }
        }
    }

    /// <summary>
    /// The column means (over present values; 0 for a column with none) and the covariance (1/n) Σ c cᵀ
    /// of the rows with missing values filled by the mean, c = x − m; with <paramref name="subtractMean"/>
    /// false, the second moment (1/n) Σ x xᵀ of the filled rows (= covariance + m mᵀ).
    /// </summary>
    public (double[] Mean, double[] Covariance) Result(bool subtractMean)
    {
        var n = (double)Rows;
        var d = _d;
        var delta = new double[d];
        var mean = new double[d];
        for (var a = 0; a < d; a++)
        {
            var count = Rows - _missing[a];
            delta[a] = count == 0 ? 0 : _sum[a] / count;
            mean[a] = _shift[a] + delta[a];
        }
        var cov = new double[d * d];
        for (var a = 0; a < d; a++)
        {
            for (var b = a; b < d; b++)
            {
                // Σ y_a p_b = Σ y_a − Σ_{b missing} y_a;  Σ p_a p_b = n − miss_a − miss_b + miss_ab.
                var ya = _sum[a] - (_missingSum?[a * d + b] ?? 0);
                var yb = _sum[b] - (_missingSum?[b * d + a] ?? 0);
                var both = n - _missing[a] - _missing[b] + (_missingPairs?[a * d + b] ?? 0);
                var c = (_cross[a * _width + b] - delta[b] * ya - delta[a] * yb + delta[a] * delta[b] * both) / n;
                if (!subtractMean)
                {
                    c += mean[a] * mean[b];
                }
                cov[a * d + b] = c;
                cov[b * d + a] = c;
            }
        }
        return (mean, cov);
    }
}
