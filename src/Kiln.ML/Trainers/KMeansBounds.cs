using System.Runtime.CompilerServices;
using Kiln.ML.Data;
using Kiln.ML.Kernels;

namespace Kiln.ML.Trainers;

/// <summary>
/// The nearest center of each of a fixed range of rows held in memory, found again every time the
/// centers move (full-batch epochs, Lloyd passes), with Hamerly's bounds (Hamerly 2010, "Making
/// k-means even faster"): per row an upper bound on the distance to its center and a lower bound on
/// the distance to every other one. When the centers move, the bounds move by how far they moved,
/// and a row whose bounds still separate its center from the rest keeps it without a distance
/// being computed. Late epochs, whose centers barely move, skip nearly every row.
/// The bounds move lazily: each pass adds the centers' drifts to running totals, and a row is
/// visited only once the largest-drift total passes its expiry, the total its bounds' slack
/// allows (<see cref="Expire"/>); until then its center is proven without touching the row.
/// </summary>
/// <remarks>
/// The result is the assignment <see cref="KMeansModel.Nearest"/> computes, not an approximation
/// of it. Nearest ranks centers by the float value v_c = ‖c‖² − 2x·c, whose rounding error is at most
/// about (d+2)·2⁻²⁴·(‖x‖ + ‖c‖)². A row keeps its center a only while its bounds prove the true
/// squared distances of every other center exceed a's by more than twice a margin M that is at least
/// twice that error, so Nearest's v_a is strictly the smallest and it would pick a too. Rows the
/// bounds cannot settle are scored exactly as Nearest scores them (the same <see cref="PanelGemm"/>
/// products and the same float expression), which also rebuilds their bounds from the scores widened
/// by M. The bounds themselves are kept in double and rounded outwards, far below M.
/// </remarks>
internal sealed class KMeansBounds
{
    private const int Block = 512;
    private const int Gather = 64;

    private readonly DenseMatrix _x;
    private readonly int _start;
    private readonly int _rows;
    private readonly float[] _self;
    private readonly double[] _norm;
    private readonly double[] _upper;
    private readonly double[] _lower;
    private readonly bool _narrow;
    private float[]? _previous;

    // Lazy bounds: a row's bounds are as of its last check, when the running drift totals were
    // _mark[i] (largest drift, summed over passes) and _ownMark[i] (its own center's drift, summed);
    // they move by what the totals gained since. _expiry[i] is the largest-drift total up to which
    // the row's center is proven, so a row below it is not visited at all.
    private readonly double[] _mark;
    private readonly double[] _ownMark;
    private readonly double[] _expiry;
    private double _maxDriftTotal;
    private double _totalError;
    private double[]? _driftTotal;
    private readonly Scratch?[] _scratch;

    /// <summary>One block's gathered row indices, their rows and their scores.</summary>
    private sealed record Scratch(int[] Gathered, float[] Rows, float[] Dots);

    /// <summary>Bounds over rows [<paramref name="start"/>, start + <paramref name="rows"/>) of <paramref name="x"/>,
    /// scored with the kernels <see cref="KMeansModel.Nearest"/> uses for the same <paramref name="narrow"/>.</summary>
    public KMeansBounds(DenseMatrix x, int start, int rows, bool narrow)
    {
        (_x, _start, _rows, _narrow) = (x, start, rows, narrow);
        _self = new float[rows];
        _norm = new double[rows];
        // A loop, not LINQ's Sum with a lambda, which ran as tier-0 code over every row (then OSR).
        var total = 0.0;
        for (var i = 0; i < rows; i++)
        {
            var row = x.Row(start + i);
            _self[i] = narrow ? BlasScalar.Dot(row, row) : Blas.Dot(row, row);
            _norm[i] = Math.Sqrt(Norm2(row)) * (1 + 1e-9);
            total += _self[i];
        }
        SelfTotal = total;
        _upper = new double[rows];
        _lower = new double[rows];
        _mark = new double[rows];
        _ownMark = new double[rows];
        _expiry = new double[rows];
        _scratch = new Scratch?[(rows + Block - 1) / Block];
        Assignment = new int[rows];
        Sums = new KMeansTrainer.BlockSums(rows, narrow);
    }

    /// <summary>The cluster sums of these rows, block by block, as last summed (see <see cref="KMeansTrainer.SumByCluster"/>).</summary>
    public KMeansTrainer.BlockSums Sums { get; }

    /// <summary>Each row's nearest center, as of the last <see cref="Assign"/>.</summary>
    public int[] Assignment { get; }

    /// <summary>Σ ‖x‖² over the rows, for the SSD of an assignment from its cluster sums.</summary>
    public double SelfTotal { get; }

    /// <summary>Assigns every row to its nearest of the first <paramref name="k"/> <paramref name="centers"/>;
    /// returns how many rows changed center (all of them on the first call).</summary>
    public int Assign(float[] centers, int k, int threads)
    {
        var d = _x.Cols;
        var norms = new float[k];
        var largest = 0.0;
        for (var c = 0; c < k; c++)
        {
            norms[c] = KMeansModel.Norm2(centers, c, d, _narrow);
            largest = Math.Max(largest, Math.Sqrt(Norm2(new ReadOnlySpan<float>(centers, c * d, d))));
        }
        var state = new Pass
        {
            Centers = centers,
            K = k,
            Norms = norms,
            // Spans built, not AsSpan: ReadyToRun holds no AsSpan over float (tier-0 code).
            Packed = PanelGemm.Pack(new ReadOnlySpan<float>(centers, 0, k * d), k, d),
            Largest = largest * (1 + 1e-9),
            MarginScale = 4.0 * (d + 4) / (1 << 24),
            Widen = 1 + 2.0 * (d + 2) / (1 << 24) + 1e-9,
            Drift = new double[k],
            Separation = new double[k],
            First = _previous is null,
        };
        _driftTotal ??= new double[k];
        if (_previous is not null)
        {
            MoveBounds(state, _previous, centers, k, d);
            for (var c = 0; c < k; c++)
            {
                _driftTotal[c] += state.Drift[c];
            }
            _maxDriftTotal += state.MaxDrift;
            // The totals are sums of doubles: each addition may round down by half an ulp of the total.
            _totalError += (_maxDriftTotal + state.MaxDrift) * (1.0 / (1L << 52));
        }
        _previous = new float[k * d];
        Array.Copy(centers, _previous, k * d);
        var changed = new int[(_rows + Block - 1) / Block];
        KMeansTrainer.For(changed.Length, threads, block => changed[block] = AssignBlock(state, block));
        // A loop, not LINQ's Sum, whose instantiation over int ReadyToRun does not hold (JIT-compiled at first call).
        var total = 0;
        foreach (var count in changed)
        {
            total += count;
        }
        return total;
    }

    /// <summary>What one call of <see cref="Assign"/> shares between its blocks.</summary>
    private sealed class Pass
    {
        public required float[] Centers { get; init; }
        public required int K { get; init; }
        public required float[] Norms { get; init; }
        public required float[] Packed { get; init; }
        public required double Largest { get; init; }
        public required double MarginScale { get; init; }
        /// <summary>1 + twice the relative error of a computed squared distance.</summary>
        public required double Widen { get; init; }
        /// <summary>How far each center moved since the last call (rounded up).</summary>
        public required double[] Drift { get; init; }
        /// <summary>Each center's distance to its nearest other center (rounded down).</summary>
        public required double[] Separation { get; init; }
        public required bool First { get; init; }
        public double MaxDrift { get; set; }
    }

    private static void MoveBounds(Pass state, float[] previous, float[] centers, int k, int d)
    {
        for (var c = 0; c < k; c++)
        {
            var drift = Math.Sqrt(BlasScalar.SquaredDistanceInDouble(new ReadOnlySpan<float>(previous, c * d, d), new ReadOnlySpan<float>(centers, c * d, d))) * (1 + 1e-9);
            state.Drift[c] = drift;
            state.MaxDrift = Math.Max(state.MaxDrift, drift);
        }
        for (var c = 0; c < k; c++)
        {
            var nearest = double.PositiveInfinity;
            for (var o = 0; o < k; o++)
            {
                if (o != c)
                {
                    nearest = Math.Min(nearest, BlasScalar.SquaredDistanceInDouble(new ReadOnlySpan<float>(centers, c * d, d), new ReadOnlySpan<float>(centers, o * d, d)));
                }
            }
            state.Separation[c] = Math.Sqrt(nearest) * (1 - 1e-9);
        }
    }

    private int AssignBlock(Pass state, int block)
    {
        var d = _x.Cols;
        var k = state.K;
        var width = PanelGemm.Panels(k) * PanelGemm.Width;
        // Each block keeps its scratch arrays from one pass to the next: allocating them every pass
        // (tens of passes × blocks) showed as the allocator clearing memory in profiles.
        var scratch = _scratch[block];
        if (scratch is null || scratch.Dots.Length < Gather * width)
        {
            _scratch[block] = scratch = new Scratch(new int[Gather], new float[Gather * d], new float[Gather * width]);
        }
        var (gathered, rows, dots) = (scratch.Gathered, scratch.Rows, scratch.Dots);
        var count = 0;
        var changed = 0;
        var data = _x.Array;
        var end = Math.Min(_rows, (block + 1) * Block);
        for (var i = block * Block; i < end; i++)
        {
            // A row within its expiry keeps its center untouched; the others are checked, and scored if that fails.
            if (!state.First && (_expiry[i] > _maxDriftTotal + _totalError || Settled(state, i)))
            {
                continue;
            }
            gathered[count] = i;
            // A loop over the array, not Span.CopyTo into AsSpan (ReadyToRun holds neither instantiation: tier-0
            // calls per row) nor DenseMatrix.Row (not inlined in ReadyToRun code: a call per row).
            var source = (_start + i) * d;
            for (var j = 0; j < d; j++)
            {
                rows[count * d + j] = data[source + j];
            }
            if (++count == Gather)
            {
                changed += Score(state, gathered, count, rows, dots, width);
                count = 0;
            }
        }
        return changed + Score(state, gathered, count, rows, dots, width);
    }

    /// <summary>Moves row i's bounds by the centers' drift; true when they prove its center unchanged.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Settled(Pass state, int i)
    {
        var a = Assignment[i];
        // Every center moved by at most the largest drift of each pass, and the row's own center by its own.
        var upper = _upper[i] + (_driftTotal![a] - _ownMark[i] + _totalError) * (1 + 1e-9);
        var lower = _lower[i] - (_maxDriftTotal - _mark[i] + _totalError) * (1 + 1e-9);
        _upper[i] = upper;
        _lower[i] = lower;
        _mark[i] = _maxDriftTotal;
        _ownMark[i] = _driftTotal[a];
        var norm = _norm[i];
        var margin = state.MarginScale * (norm + state.Largest) * (norm + state.Largest);
        if (Separates(Math.Max(lower, state.Separation[a] - upper), upper, margin))
        {
            Expire(state, i, Math.Max(lower, state.Separation[a] - upper), upper);
            return true;
        }
        // The drifts loosen the upper bound fastest; the distance to the row's own center tightens it.
        // Blas.SquaredDistance's relative error is below (d+2)·2⁻²⁴; twice that rounds it up.
        upper = Math.Sqrt(SquaredDistance(state.Centers, a, i) * state.Widen);
        _upper[i] = upper;
        if (Separates(Math.Max(lower, state.Separation[a] - upper), upper, margin))
        {
            Expire(state, i, Math.Max(lower, state.Separation[a] - upper), upper);
            return true;
        }
        _expiry[i] = double.NegativeInfinity;
        return false;
    }

    /// <summary>Row i's squared distance to center a: <see cref="BlasScalar.SquaredDistance"/> (narrow, its loop
    /// over the arrays, the same float) or <see cref="Blas.SquaredDistance"/>.</summary>
    private float SquaredDistance(float[] centers, int a, int i)
    {
        var d = _x.Cols;
        if (!_narrow)
        {
            return Blas.SquaredDistance(_x.Row(_start + i), new ReadOnlySpan<float>(centers, a * d, d));
        }
        var data = _x.Array;
        var (row, center) = ((_start + i) * d, a * d);
        var sum = 0f;
        for (var j = 0; j < d; j++)
        {
            var diff = data[row + j] - centers[center + j];
            sum += diff * diff;
        }
        return sum;
    }

    /// <summary>
    /// Sets row i's expiry from its bounds as of now. After a further largest-drift total δ its bounds are
    /// l − δ and u + δ, and the centers' norms, hence the margin, grew by at most δ; with δ &lt; (l − u)/2 &lt; l
    /// the margin is at most M = scale·(‖x‖ + largest + l)², and (l − δ)² − (u + δ)² = l² − u² − 2δ(l + u)
    /// stays above 2M while δ &lt; (l² − u² − 2M) / (2(l + u)).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Expire(Pass state, int i, double lower, double upper)
    {
        if (double.IsPositiveInfinity(lower))
        {
            _expiry[i] = double.PositiveInfinity;
            return;
        }
        var reach = _norm[i] + state.Largest + lower;
        var margin = state.MarginScale * reach * reach;
        var room = (lower * lower - upper * upper - 2 * margin) / (2 * (lower + upper)) * (1 - 1e-9);
        _expiry[i] = room > 0 ? _maxDriftTotal + room : double.NegativeInfinity;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Separates(double lower, double upper, double margin) => lower > 0 && lower * lower - upper * upper > 2 * margin;

    /// <summary>Nearest's scores for the gathered rows; sets their centers and bounds, returns how many changed.</summary>
    private int Score(Pass state, int[] gathered, int count, float[] rows, float[] dots, int width)
    {
        if (count == 0)
        {
            return 0;
        }
        var d = _x.Cols;
        var k = state.K;
        KMeansModel.Multiply(new ReadOnlySpan<float>(rows, 0, count * d), count, d, state.Packed, width / PanelGemm.Width, dots, _narrow);
        var changed = 0;
        var norms = state.Norms;
        for (var r = 0; r < count; r++)
        {
            var i = gathered[r];
            var best = 0;
            var bestValue = float.PositiveInfinity;
            var secondValue = float.PositiveInfinity;
            for (var c = 0; c < k; c++)
            {
                // The same expression as Nearest, so the same float.
                var v = norms[c] - 2 * dots[r * width + c];
                if (v < bestValue)
                {
                    (secondValue, bestValue, best) = (bestValue, v, c);
                }
                else if (v < secondValue)
                {
                    secondValue = v;
                }
            }
            var norm = _norm[i];
            var margin = state.MarginScale * (norm + state.Largest) * (norm + state.Largest);
            _upper[i] = Math.Sqrt(Math.Max(0, (double)bestValue + _self[i] + margin)) * (1 + 1e-9);
            _lower[i] = k == 1 ? double.PositiveInfinity : Math.Sqrt(Math.Max(0, (double)secondValue + _self[i] - margin)) * (1 - 1e-9);
            _mark[i] = _maxDriftTotal;
            _ownMark[i] = _driftTotal![best];
            Expire(state, i, _lower[i], _upper[i]);
            if (state.First || Assignment[i] != best)
            {
                changed++;
            }
            Assignment[i] = best;
        }
        return changed;
    }

    private static double Norm2(ReadOnlySpan<float> a)
    {
        var sum = 0.0;
        foreach (var v in a)
        {
            sum += (double)v * v;
        }
        return sum;
    }
}
