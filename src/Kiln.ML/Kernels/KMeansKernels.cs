using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Kiln.ML.Kernels;

/// <summary>
/// Squared distances from one row to up to 8 points packed as a <see cref="PanelGemm"/> panel
/// (feature-major: panel[p·8 + j] = point j's feature p): each feature of the row is broadcast,
/// its difference from 8 points taken in one vector and squared into 8 accumulators, so a row
/// against 8 points costs d vector steps and no horizontal sums (and 4 rows go together, see
/// <see cref="PanelSquaredDistances4"/>). K-Means' k-means++ scores all the
/// candidate centers of a step this way. The difference form, not ‖x‖² − 2x·c + ‖c‖², because the
/// seeding compares these distances with each other and with earlier ones directly.
/// </summary>
public static class KMeansKernels
{
    /// <summary>distances[j] = Σₚ (row[p] − panel[p·8 + j])² for j &lt; 8, summed over p in order with fused multiply-adds.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PanelSquaredDistances(ReadOnlySpan<float> row, ReadOnlySpan<float> panel, Span<float> distances)
    {
        var d = row.Length;
        if (panel.Length < d * PanelGemm.Width || distances.Length < PanelGemm.Width)
        {
            throw new ArgumentException("panel or output too short for the row");
        }
        if (!Vector256.IsHardwareAccelerated)
        {
            KMeansKernelsScalar.PanelSquaredDistances(row, panel, distances);
            return;
        }
        ref var pr = ref MemoryMarshal.GetReference(row);
        ref var pp = ref MemoryMarshal.GetReference(panel);
        var acc = Vector256<float>.Zero;
        for (var p = 0; p < d; p++)
        {
            var diff = Vector256.Create(Unsafe.Add(ref pr, p)) - Vector256.LoadUnsafe(ref pp, (nuint)(p * PanelGemm.Width));
            acc = Vector256.FusedMultiplyAdd(diff, diff, acc);
        }
        acc.StoreUnsafe(ref MemoryMarshal.GetReference(distances));
    }

    /// <summary>The row length the 4-row panel kernels work on, once the rows, panel and output agree with it.</summary>
    internal static int CheckPanel4(ReadOnlySpan<float> row0, ReadOnlySpan<float> row1, ReadOnlySpan<float> row2,
        ReadOnlySpan<float> row3, ReadOnlySpan<float> panel, Span<float> distances)
    {
        var d = row0.Length;
        if (row1.Length != d || row2.Length != d || row3.Length != d || panel.Length < d * PanelGemm.Width
            || distances.Length < 4 * PanelGemm.Width)
        {
            throw new ArgumentException("rows, panel or output do not match");
        }
        return d;
    }

    /// <summary>
    /// <see cref="PanelSquaredDistances"/> for 4 rows at once, bit for bit the same per row: four
    /// independent accumulator chains, where one row's single chain waits on the FMA latency.
    /// distances[r·8 + j] is row r's distance to point j.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PanelSquaredDistances4(ReadOnlySpan<float> row0, ReadOnlySpan<float> row1, ReadOnlySpan<float> row2,
        ReadOnlySpan<float> row3, ReadOnlySpan<float> panel, Span<float> distances)
    {
        var d = CheckPanel4(row0, row1, row2, row3, panel, distances);
        if (!Vector256.IsHardwareAccelerated)
        {
            KMeansKernelsScalar.PanelSquaredDistances(row0, panel, distances);
            KMeansKernelsScalar.PanelSquaredDistances(row1, panel, distances[PanelGemm.Width..]);
            KMeansKernelsScalar.PanelSquaredDistances(row2, panel, distances[(2 * PanelGemm.Width)..]);
            KMeansKernelsScalar.PanelSquaredDistances(row3, panel, distances[(3 * PanelGemm.Width)..]);
            return;
        }
        ref var p0 = ref MemoryMarshal.GetReference(row0);
        ref var p1 = ref MemoryMarshal.GetReference(row1);
        ref var p2 = ref MemoryMarshal.GetReference(row2);
        ref var p3 = ref MemoryMarshal.GetReference(row3);
        ref var pp = ref MemoryMarshal.GetReference(panel);
        Vector256<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
        for (var p = 0; p < d; p++)
        {
            var c = Vector256.LoadUnsafe(ref pp, (nuint)(p * PanelGemm.Width));
            var d0 = Vector256.Create(Unsafe.Add(ref p0, p)) - c;
            var d1 = Vector256.Create(Unsafe.Add(ref p1, p)) - c;
            var d2 = Vector256.Create(Unsafe.Add(ref p2, p)) - c;
            var d3 = Vector256.Create(Unsafe.Add(ref p3, p)) - c;
            acc0 = Vector256.FusedMultiplyAdd(d0, d0, acc0);
            acc1 = Vector256.FusedMultiplyAdd(d1, d1, acc1);
            acc2 = Vector256.FusedMultiplyAdd(d2, d2, acc2);
            acc3 = Vector256.FusedMultiplyAdd(d3, d3, acc3);
        }
        ref var out0 = ref MemoryMarshal.GetReference(distances);
        acc0.StoreUnsafe(ref out0);
        acc1.StoreUnsafe(ref out0, PanelGemm.Width);
        acc2.StoreUnsafe(ref out0, 2 * PanelGemm.Width);
        acc3.StoreUnsafe(ref out0, 3 * PanelGemm.Width);
    }
}

/// <summary>
/// The kernels K-Means runs on small inputs: <see cref="KMeansKernels"/> and <see cref="PanelGemm.Multiply"/>
/// in Vector128 without fused multiply-adds, and no AggressiveOptimization. ReadyToRun precompiles
/// these (it compiles neither Vector256 code nor AggressiveOptimization methods), and on a small
/// training set (california-housing: 16,512 rows × 8 features) the JIT compiling the wide kernels at
/// first call cost more than all the passes they then ran. <see cref="Use"/> picks the family from the
/// work size alone, so the result does not depend on the thread count; every caller that must agree
/// with another (the Hamerly bounds with <see cref="Trainers.KMeansModel.Nearest"/>, the seeding's one-row
/// and four-row scores) decides from the same rows × centers × features.
/// </summary>
public static class KMeansNarrowKernels
{
    /// <summary>rows × centers × features below which the narrow kernels run (a few milliseconds of work).</summary>
    public const long Work = 1L << 24;

    public static bool Use(long rows, int centers, int features) => rows * centers * features < Work;

    /// <summary>The span's first element (a null reference when empty): MemoryMarshal.GetReference&lt;float&gt; is a
    /// generic instantiation ReadyToRun does not hold, so it ran as tier-0 code, one call per kernel call.</summary>
    private static ref float Ref(ReadOnlySpan<float> span) => ref span.IsEmpty ? ref Unsafe.NullRef<float>() : ref Unsafe.AsRef(in span[0]);

    private static ref float Ref(Span<float> span) => ref span.IsEmpty ? ref Unsafe.NullRef<float>() : ref span[0];

    /// <summary>y[i] += a · x[i] in double, multiplied then added: bit for bit <see cref="BlasScalar.AxpyWidened"/>, 4 floats a step.</summary>
    public static void AxpyWidened(double a, ReadOnlySpan<float> x, Span<double> y)
    {
        var n = x.Length;
        if (y.Length != n)
        {
            throw new ArgumentException("spans differ in length");
        }
        if (n == 0)
        {
            return;
        }
        // x[0] and y[0], not MemoryMarshal.GetReference, and WidenLower/WidenUpper, not Widen's tuple:
        // ReadyToRun holds no code for those generic instantiations, which run as tier-0 code, a call per row.
        ref var px = ref Unsafe.AsRef(in x[0]);
        ref var py = ref y[0];
        var i = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            var va = Vector128.Create(a);
            for (; i <= n - 4; i += 4)
            {
                var v = Vector128.LoadUnsafe(ref px, (nuint)i);
                (Vector128.LoadUnsafe(ref py, (nuint)i) + va * Vector128.WidenLower(v)).StoreUnsafe(ref py, (nuint)i);
                (Vector128.LoadUnsafe(ref py, (nuint)(i + 2)) + va * Vector128.WidenUpper(v)).StoreUnsafe(ref py, (nuint)(i + 2));
            }
        }
        for (; i < n; i++)
        {
            Unsafe.Add(ref py, i) += a * Unsafe.Add(ref px, i);
        }
    }

    /// <summary>
    /// The squared distances from one point to rows [<paramref name="start"/>, <paramref name="end"/>) of a
    /// feature-major matrix (columns[p·stride + i] is row i's feature p): distances[i − start] =
    /// Σₚ (columns[p·stride + i] − point[p])², summed over p in order, each square rounded then added, the
    /// sums of <see cref="PanelSquaredDistances"/> (so the same floats). Four rows a vector, the loads
    /// contiguous: the per-row work of the panel kernels (a call, a broadcast per feature) is gone.
    /// </summary>
    public static void ColumnSquaredDistances(ReadOnlySpan<float> columns, int stride, int start, int end, ReadOnlySpan<float> point,
        Span<float> distances)
    {
        var d = point.Length;
        if (start < 0 || end < start || end > stride || (d > 0 && columns.Length < (d - 1) * stride + end) || distances.Length < end - start)
        {
            throw new ArgumentException("columns, point or output do not match");
        }
        if (end == start)
        {
            return;
        }
        ref var pc = ref Ref(columns);
        ref var pp = ref Ref(point);
        ref var po = ref Ref(distances);
        var i = start;
        if (Vector128.IsHardwareAccelerated)
        {
            for (; i <= end - 8; i += 8)
            {
                Vector128<float> a0 = default, a1 = default;
                for (var p = 0; p < d; p++)
                {
                    var c = Vector128.Create(Unsafe.Add(ref pp, p));
                    var d0 = Vector128.LoadUnsafe(ref pc, (nuint)(p * stride + i)) - c;
                    var d1 = Vector128.LoadUnsafe(ref pc, (nuint)(p * stride + i + 4)) - c;
                    a0 += d0 * d0;
                    a1 += d1 * d1;
                }
                a0.StoreUnsafe(ref po, (nuint)(i - start));
                a1.StoreUnsafe(ref po, (nuint)(i - start + 4));
            }
        }
        for (; i < end; i++)
        {
            var sum = 0f;
            for (var p = 0; p < d; p++)
            {
                var diff = Unsafe.Add(ref pc, p * stride + i) - Unsafe.Add(ref pp, p);
                sum += diff * diff;
            }
            Unsafe.Add(ref po, i - start) = sum;
        }
    }

    /// <summary>The matrix feature-major: columns[p·rows + i] = x[i, p], for <see cref="ColumnSquaredDistances"/>.</summary>
    public static float[] Columns(ReadOnlySpan<float> x, int rows, int cols)
    {
        if (x.Length < rows * cols)
        {
            throw new ArgumentException("matrix too short");
        }
        var columns = new float[rows * cols];
        for (var i = 0; i < rows; i++)
        {
            for (var p = 0; p < cols; p++)
            {
                columns[p * rows + i] = x[i * cols + p];
            }
        }
        return columns;
    }

    /// <summary>distances[j] = Σₚ (row[p] − panel[p·8 + j])² for j &lt; 8, summed over p in order, each product rounded.</summary>
    public static void PanelSquaredDistances(ReadOnlySpan<float> row, ReadOnlySpan<float> panel, Span<float> distances)
    {
        var d = row.Length;
        if (panel.Length < d * PanelGemm.Width || distances.Length < PanelGemm.Width)
        {
            throw new ArgumentException("panel or output too short for the row");
        }
        if (!Vector128.IsHardwareAccelerated)
        {
            KMeansKernelsScalar.PanelSquaredDistancesUnfused(row, panel, distances);
            return;
        }
        ref var pr = ref Ref(row);
        ref var pp = ref Ref(panel);
        Vector128<float> lo = default, hi = default;
        for (var p = 0; p < d; p++)
        {
            var x = Vector128.Create(Unsafe.Add(ref pr, p));
            var dl = x - Vector128.LoadUnsafe(ref pp, (nuint)(p * PanelGemm.Width));
            var dh = x - Vector128.LoadUnsafe(ref pp, (nuint)(p * PanelGemm.Width + 4));
            lo += dl * dl;
            hi += dh * dh;
        }
        ref var o = ref Ref(distances);
        lo.StoreUnsafe(ref o);
        hi.StoreUnsafe(ref o, 4);
    }

    /// <summary><see cref="PanelSquaredDistances"/> for 4 rows, bit for bit the same per row; distances[r·8 + j].</summary>
    public static void PanelSquaredDistances4(ReadOnlySpan<float> row0, ReadOnlySpan<float> row1, ReadOnlySpan<float> row2,
        ReadOnlySpan<float> row3, ReadOnlySpan<float> panel, Span<float> distances)
    {
        var d = KMeansKernels.CheckPanel4(row0, row1, row2, row3, panel, distances);
        if (!Vector128.IsHardwareAccelerated)
        {
            KMeansKernelsScalar.PanelSquaredDistancesUnfused(row0, panel, distances);
            KMeansKernelsScalar.PanelSquaredDistancesUnfused(row1, panel, distances[PanelGemm.Width..]);
            KMeansKernelsScalar.PanelSquaredDistancesUnfused(row2, panel, distances[(2 * PanelGemm.Width)..]);
            KMeansKernelsScalar.PanelSquaredDistancesUnfused(row3, panel, distances[(3 * PanelGemm.Width)..]);
            return;
        }
        ref var p0 = ref Ref(row0);
        ref var p1 = ref Ref(row1);
        ref var p2 = ref Ref(row2);
        ref var p3 = ref Ref(row3);
        ref var pp = ref Ref(panel);
        Vector128<float> l0 = default, h0 = default, l1 = default, h1 = default, l2 = default, h2 = default, l3 = default, h3 = default;
        for (var p = 0; p < d; p++)
        {
            var cl = Vector128.LoadUnsafe(ref pp, (nuint)(p * PanelGemm.Width));
            var ch = Vector128.LoadUnsafe(ref pp, (nuint)(p * PanelGemm.Width + 4));
            var x0 = Vector128.Create(Unsafe.Add(ref p0, p));
            var x1 = Vector128.Create(Unsafe.Add(ref p1, p));
            var x2 = Vector128.Create(Unsafe.Add(ref p2, p));
            var x3 = Vector128.Create(Unsafe.Add(ref p3, p));
            var dl0 = x0 - cl;
            var dh0 = x0 - ch;
            var dl1 = x1 - cl;
            var dh1 = x1 - ch;
            var dl2 = x2 - cl;
            var dh2 = x2 - ch;
            var dl3 = x3 - cl;
            var dh3 = x3 - ch;
            l0 += dl0 * dl0;
            h0 += dh0 * dh0;
            l1 += dl1 * dl1;
            h1 += dh1 * dh1;
            l2 += dl2 * dl2;
            h2 += dh2 * dh2;
            l3 += dl3 * dl3;
            h3 += dh3 * dh3;
        }
        ref var o = ref Ref(distances);
        l0.StoreUnsafe(ref o);
        h0.StoreUnsafe(ref o, 4);
        l1.StoreUnsafe(ref o, 8);
        h1.StoreUnsafe(ref o, 12);
        l2.StoreUnsafe(ref o, 16);
        h2.StoreUnsafe(ref o, 20);
        l3.StoreUnsafe(ref o, 24);
        h3.StoreUnsafe(ref o, 28);
    }

    /// <summary>
    /// <see cref="PanelGemm.Multiply"/> over every panel (first = 0): C (m × 8·count) = A (m × k) times the
    /// packed panels' transposes, each product rounded then added in feature order (see <see cref="PanelGemmScalar"/>'s
    /// order; <see cref="KMeansKernelsScalar.MultiplyUnfused"/> is the reference). Two rows at a time.
    /// </summary>
    public static void Multiply(ReadOnlySpan<float> a, int m, int k, ReadOnlySpan<float> packed, int count, Span<float> c)
    {
        var ldc = count * PanelGemm.Width;
        if (a.Length < m * k || packed.Length < count * PanelGemm.Width * k || c.Length < m * ldc)
        {
            throw new ArgumentException("matrix sizes do not match");
        }
        if (!Vector128.IsHardwareAccelerated)
        {
            KMeansKernelsScalar.MultiplyUnfused(a, m, k, packed, count, c);
            return;
        }
        ref var pa = ref Ref(a);
        ref var pc = ref Ref(c);
        for (var j = 0; j < count; j++)
        {
            ref var pb = ref Unsafe.Add(ref Ref(packed), j * PanelGemm.Width * k);
            var i = 0;
            for (; i <= m - 2; i += 2)
            {
                ref var a0 = ref Unsafe.Add(ref pa, i * k);
                ref var a1 = ref Unsafe.Add(ref pa, (i + 1) * k);
                Vector128<float> l0 = default, h0 = default, l1 = default, h1 = default;
                for (var p = 0; p < k; p++)
                {
                    var bl = Vector128.LoadUnsafe(ref pb, (nuint)(p * PanelGemm.Width));
                    var bh = Vector128.LoadUnsafe(ref pb, (nuint)(p * PanelGemm.Width + 4));
                    var x0 = Vector128.Create(Unsafe.Add(ref a0, p));
                    var x1 = Vector128.Create(Unsafe.Add(ref a1, p));
                    l0 += x0 * bl;
                    h0 += x0 * bh;
                    l1 += x1 * bl;
                    h1 += x1 * bh;
                }
                ref var c0 = ref Unsafe.Add(ref pc, i * ldc + j * PanelGemm.Width);
                l0.StoreUnsafe(ref c0);
                h0.StoreUnsafe(ref c0, 4);
                l1.StoreUnsafe(ref c0, (nuint)ldc);
                h1.StoreUnsafe(ref c0, (nuint)(ldc + 4));
            }
            for (; i < m; i++)
            {
                ref var a0 = ref Unsafe.Add(ref pa, i * k);
                Vector128<float> l0 = default, h0 = default;
                for (var p = 0; p < k; p++)
                {
                    var x0 = Vector128.Create(Unsafe.Add(ref a0, p));
                    l0 += x0 * Vector128.LoadUnsafe(ref pb, (nuint)(p * PanelGemm.Width));
                    h0 += x0 * Vector128.LoadUnsafe(ref pb, (nuint)(p * PanelGemm.Width + 4));
                }
                ref var c0 = ref Unsafe.Add(ref pc, i * ldc + j * PanelGemm.Width);
                l0.StoreUnsafe(ref c0);
                h0.StoreUnsafe(ref c0, 4);
            }
        }
    }
}

/// <summary>The plain loops of <see cref="KMeansKernels"/> and <see cref="KMeansNarrowKernels"/>: reference and fallback, bit for bit the same sums.</summary>
public static class KMeansKernelsScalar
{
    /// <summary>The sums of <see cref="KMeansNarrowKernels.PanelSquaredDistances"/>: each square rounded, then added.</summary>
    public static void PanelSquaredDistancesUnfused(ReadOnlySpan<float> row, ReadOnlySpan<float> panel, Span<float> distances)
    {
        var w = PanelGemm.Width;
        for (var j = 0; j < w; j++)
        {
            var sum = 0f;
            for (var p = 0; p < row.Length; p++)
            {
                var diff = row[p] - panel[p * w + j];
                sum += diff * diff;
            }
            distances[j] = sum;
        }
    }

    /// <summary>The sums of <see cref="KMeansNarrowKernels.Multiply"/>: each product rounded, then added in feature order.</summary>
    public static void MultiplyUnfused(ReadOnlySpan<float> a, int m, int k, ReadOnlySpan<float> packed, int count, Span<float> c)
    {
        var w = PanelGemm.Width;
        for (var i = 0; i < m; i++)
        {
            for (var col = 0; col < count * w; col++)
            {
                var sum = 0f;
                for (var p = 0; p < k; p++)
                {
                    sum += a[i * k + p] * packed[col / w * w * k + p * w + col % w];
                }
                c[i * count * w + col] = sum;
            }
        }
    }

    public static void PanelSquaredDistances(ReadOnlySpan<float> row, ReadOnlySpan<float> panel, Span<float> distances)
    {
        var w = PanelGemm.Width;
        for (var j = 0; j < w; j++)
        {
            var sum = 0f;
            for (var p = 0; p < row.Length; p++)
            {
                var diff = row[p] - panel[p * w + j];
                sum = MathF.FusedMultiplyAdd(diff, diff, sum);
            }
            distances[j] = sum;
        }
    }
}
