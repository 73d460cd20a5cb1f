using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Kiln.ML.Kernels;

/// <summary>
/// The fast Walsh–Hadamard transform, unnormalized: x ← H·x with H the Sylvester Hadamard matrix,
/// H[i, j] = (−1)^popcount(i AND j), in n·log2(n) additions. The core of the fast
/// Johnson–Lindenstrauss transform (Ailon and Chazelle, 2009), which k-NN's fjlt reduction uses.
/// </summary>
public static class Hadamard
{
    /// <summary>Transforms <paramref name="x"/> in place; its length must be a power of two (or 0).</summary>
    public static void Transform(Span<float> x)
    {
        CheckLength(x.Length);
        var n = x.Length;
        var width = Vector256<float>.Count;
        if (!Vector256.IsHardwareAccelerated || n < width)
        {
            HadamardScalar.Transform(x);
            return;
        }
        // Butterflies of span h < 8 stay inside one vector: do them on scalars, 8 values at a time,
        // then every wider stage pairs whole vectors h apart.
        for (var b = 0; b < n; b += width)
        {
            HadamardScalar.Transform(x.Slice(b, width));
        }
        ref var p = ref MemoryMarshal.GetReference(x);
        for (var h = width; h < n; h *= 2)
        {
            for (var i = 0; i < n; i += 2 * h)
            {
                for (var j = i; j < i + h; j += width)
                {
                    var a = Vector256.LoadUnsafe(ref p, (nuint)j);
                    var c = Vector256.LoadUnsafe(ref p, (nuint)(j + h));
                    (a + c).StoreUnsafe(ref p, (nuint)j);
                    (a - c).StoreUnsafe(ref p, (nuint)(j + h));
                }
            }
        }
    }

    /// <summary>The smallest power of two ≥ <paramref name="n"/> (1 for 0): the zero-padded length.</summary>
    public static int PaddedLength(int n) => n <= 1 ? 1 : (int)BitOperations.RoundUpToPowerOf2((uint)n);

    internal static void CheckLength(int n)
    {
        if (n != 0 && !BitOperations.IsPow2(n))
        {
            throw new ArgumentException($"the Hadamard transform needs a power-of-two length, not {n}");
        }
    }
}

/// <summary>The plain butterfly loops: the reference <see cref="Hadamard"/> is tested against, and its fallback.</summary>
public static class HadamardScalar
{
    public static void Transform(Span<float> x)
    {
        Hadamard.CheckLength(x.Length);
        for (var h = 1; h < x.Length; h *= 2)
        {
            for (var i = 0; i < x.Length; i += 2 * h)
            {
                for (var j = i; j < i + h; j++)
                {
                    var a = x[j];
                    var c = x[j + h];
                    x[j] = a + c;
                    x[j + h] = a - c;
                }
            }
        }
    }
}
