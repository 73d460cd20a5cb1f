using System.Runtime.InteropServices;
using System.Text;

namespace Kiln.ML.Artifacts;

/// <summary>
/// Kiln's own model file, <c>model_algo-1</c> inside model.tar.gz (the name SageMaker's built-ins
/// use). XGBoost models are the exception: they are libxgboost's own file.
///
/// Layout, little-endian:
///   8 bytes  magic "KILNMODL"
///   u16      format version
///   string   algorithm name (BinaryWriter: 7-bit length + UTF-8)
///   ...      the algorithm's payload, documented beside its Save method
///
/// Version history:
///   1 — first version.
/// </summary>
public static class ModelFile
{
    public const string FileName = "model_algo-1";
    public const ushort Version = 1;
    private static readonly byte[] Magic = "KILNMODL"u8.ToArray();

    public static void Write(string directory, string algorithm, Action<BinaryWriter> payload)
    {
        using var stream = File.Create(Path.Combine(directory, FileName));
        using var writer = new BinaryWriter(stream, Encoding.UTF8);
        writer.Write(Magic);
        writer.Write(Version);
        writer.Write(algorithm);
        payload(writer);
    }

    /// <summary>Opens a model file, checks magic and version, and returns the reader positioned at the payload.</summary>
    public static (string Algorithm, BinaryReader Reader) Open(string path)
    {
        var reader = new BinaryReader(File.OpenRead(path), Encoding.UTF8);
        try
        {
            var magic = reader.ReadBytes(Magic.Length);
            if (!magic.AsSpan().SequenceEqual(Magic))
            {
                throw new InvalidDataException($"{path} is not a Kiln model file");
            }
            var version = reader.ReadUInt16();
            if (version is 0 or > Version)
            {
                throw new InvalidDataException($"{path} has model format version {version}; this Kiln reads 1..{Version}");
            }
            return (reader.ReadString(), reader);
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    public static void WriteFloats(this BinaryWriter w, ReadOnlySpan<float> values)
    {
        w.Write(values.Length);
        w.Write(MemoryMarshal.AsBytes(values));
    }

    public static float[] ReadFloats(this BinaryReader r)
    {
        var n = r.ReadInt32();
        if (n < 0)
        {
            throw new InvalidDataException("negative array length in model file");
        }
        var values = new float[n];
        var bytes = MemoryMarshal.AsBytes(values.AsSpan());
        if (r.Read(bytes) != bytes.Length)
        {
            throw new InvalidDataException("model file is truncated");
        }
        return values;
    }
}
