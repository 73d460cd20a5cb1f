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

    /// <summary>
    /// <see cref="PanelSquaredDistances"/> for 4 rows at once, bit for bit the same per row: four
    /// independent accumulator chains, where one row's single chain waits on the FMA latency.
    /// distances[r·8 + j] is row r's distance to point j.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PanelSquaredDistances4(ReadOnlySpan<float> row0, ReadOnlySpan<float> row1, ReadOnlySpan<float> row2,
        ReadOnlySpan<float> row3, ReadOnlySpan<float> panel, Span<float> distances)
    {
        var d = row0.Length;
        if (row1.Length != d || row2.Length != d || row3.Length != d || panel.Length < d * PanelGemm.Width
            || distances.Length < 4 * PanelGemm.Width)
        {
            throw new ArgumentException("rows, panel or output do not match");
        }
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

/// <summary>The plain loops of <see cref="KMeansKernels"/>: reference and fallback, bit for bit the same sums.</summary>
public static class KMeansKernelsScalar
{
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
