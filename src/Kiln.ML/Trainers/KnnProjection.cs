using Kiln.ML.Kernels;

namespace Kiln.ML.Trainers;

/// <summary>k-NN's dimension_reduction_type; the byte values are persisted in the model file.</summary>
internal enum KnnReduction : byte
{
    None = 0,
    Sign = 1,
    Fjlt = 2,
}

/// <summary>
/// The random linear maps of SageMaker k-NN's dimension_reduction_type, from d features to
/// t = dimension_reduction_target, each scaled so E‖y‖² = ‖x‖² and so every squared distance is kept
/// within 1 ± ε with high probability once t = O(log n / ε²) (Johnson–Lindenstrauss):
/// <list type="bullet">
/// <item><c>sign</c>: y = R·x with R a t × d matrix of independent ±1/√t (Achlioptas, 2003). O(t·d) per row.</item>
/// <item><c>fjlt</c>: y = S·H·D·x, the subsampled randomized Hadamard transform: D flips the signs of
/// the features at random, H is the Walsh–Hadamard transform of the vector zero-padded to the next
/// power of two m, and S keeps t of its m coordinates, chosen without replacement, times 1/√t.
/// O(m·log m) per row. The random signs spread each row's mass over all coordinates first, which is
/// why uniform subsampling afterwards loses little (Ailon and Chazelle, 2009).</item>
/// </list>
/// Because the maps are linear, centering before projecting changes no distance.
/// </summary>
internal sealed class KnnProjection
{
    // sign: the t × d matrix, row-major. fjlt: the d random signs.
    private readonly float[] _weights;

    // fjlt only: which coordinates of the m-point transform are kept.
    private readonly int[] _keep;

    private KnnProjection(KnnReduction kind, int inputs, int outputs, float[] weights, int[] keep)
    {
        Kind = kind;
        Inputs = inputs;
        Outputs = outputs;
        _weights = weights;
        _keep = keep;
    }

    public KnnReduction Kind { get; }

    public int Inputs { get; }

    public int Outputs { get; }

    /// <summary>sign: the t × d matrix R; fjlt: the d random signs of D.</summary>
    internal ReadOnlySpan<float> Weights => _weights;

    /// <summary>fjlt: the coordinates S keeps of the transformed, padded vector.</summary>
    internal ReadOnlySpan<int> Kept => _keep;

    /// <summary>Scratch floats <see cref="Apply"/> needs: the padded transform length for fjlt.</summary>
    public int ScratchLength => Kind == KnnReduction.Fjlt ? Hadamard.PaddedLength(Inputs) : 0;

    public static KnnProjection Create(KnnReduction kind, int inputs, int outputs, int seed)
    {
        if (outputs < 1 || outputs >= inputs)
        {
            throw new ArgumentOutOfRangeException(nameof(outputs), $"a projection maps {inputs} features to between 1 and {inputs - 1}");
        }
        var rng = new Random(seed);
        if (kind == KnnReduction.Sign)
        {
            var scale = 1 / MathF.Sqrt(outputs);
            var r = new float[outputs * inputs];
            foreach (ref var v in r.AsSpan())
            {
                v = rng.Next(2) == 0 ? -scale : scale;
            }
            return new KnnProjection(kind, inputs, outputs, r, []);
        }
        var signs = new float[inputs];
        foreach (ref var v in signs.AsSpan())
        {
            v = rng.Next(2) == 0 ? -1f : 1f;
        }
        var all = Enumerable.Range(0, Hadamard.PaddedLength(inputs)).ToArray();
        rng.Shuffle(all);
        var keep = all[..outputs];
        // Ascending order reads the transformed vector front to back.
        Array.Sort(keep);
        return new KnnProjection(kind, inputs, outputs, signs, keep);
    }

    /// <summary>y = projection of x (x: <see cref="Inputs"/> values, y: <see cref="Outputs"/>).</summary>
    public void Apply(ReadOnlySpan<float> x, Span<float> y, Span<float> scratch)
    {
        if (Kind == KnnReduction.Sign)
        {
            Blas.Gemv(_weights, Outputs, x, y);
            return;
        }
        var z = scratch[..ScratchLength];
        System.Numerics.Tensors.TensorPrimitives.Multiply(x, _weights, z[..Inputs]);
        z[Inputs..].Clear();
        Hadamard.Transform(z);
        var scale = 1 / MathF.Sqrt(Outputs);
        for (var j = 0; j < _keep.Length; j++)
        {
            y[j] = z[_keep[j]] * scale;
        }
    }

    /// <summary>Payload: u8 kind, i32 inputs, i32 outputs, floats weights, i32 count + i32 kept coordinates.</summary>
    public void Write(BinaryWriter w)
    {
        w.Write((byte)Kind);
        w.Write(Inputs);
        w.Write(Outputs);
        Artifacts.ModelFile.WriteFloats(w, _weights);
        w.Write(_keep.Length);
        foreach (var k in _keep)
        {
            w.Write(k);
        }
    }

    public static KnnProjection Read(BinaryReader r)
    {
        var kind = (KnnReduction)r.ReadByte();
        var inputs = r.ReadInt32();
        var outputs = r.ReadInt32();
        var weights = Artifacts.ModelFile.ReadFloats(r);
        var keep = new int[r.ReadInt32()];
        for (var i = 0; i < keep.Length; i++)
        {
            keep[i] = r.ReadInt32();
        }
        var valid = kind switch
        {
            KnnReduction.Sign => weights.Length == inputs * outputs && keep.Length == 0,
            KnnReduction.Fjlt => weights.Length == inputs && keep.Length == outputs
                && keep.All(k => k >= 0 && k < Hadamard.PaddedLength(inputs)),
            _ => false,
        };
        if (!valid || outputs < 1 || outputs >= inputs)
        {
            throw new InvalidDataException("knn projection does not match its dimensions");
        }
        return new KnnProjection(kind, inputs, outputs, weights, keep);
    }
}
