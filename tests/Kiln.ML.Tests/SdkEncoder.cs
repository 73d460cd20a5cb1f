using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Kiln.ML.Data;

namespace Kiln.ML.Tests;

/// <summary>
/// The layout the SageMaker Python SDK writes (sagemaker/amazon/common.py: write_numpy_to_dense_tensor,
/// write_spmatrix_to_sparse_tensor and _write_recordio): per row one Record with
/// features["values"].float32_tensor {values; keys and shape = [n_cols] when sparse} and
/// label["values"].float32_tensor.values = [y], serialized and framed with magic, length and
/// zero padding to 4 bytes.
/// </summary>
internal static class SdkEncoder
{
    public static byte[] Dense(float[][] rows, float[]? labels) =>
        Frame(rows.Select((r, i) => Record(Tensor(r, null, null), labels is null ? null : Tensor([labels[i]], null, null))));

    public static byte[] Sparse((int[] Keys, float[] Values)[] rows, int width, float[] labels) =>
        Frame(rows.Select((r, i) => Record(Tensor(r.Values, r.Keys, [width]), Tensor([labels[i]], null, null))));

    private static byte[] Frame(IEnumerable<byte[]> records)
    {
        var output = new MemoryStream();
        Span<byte> word = stackalloc byte[4];
        foreach (var record in records)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(word, RecordIOProtobufReader.Magic);
            output.Write(word);
            BinaryPrimitives.WriteUInt32LittleEndian(word, (uint)record.Length);
            output.Write(word);
            output.Write(record);
            output.Write(new byte[(4 - record.Length % 4) % 4]);
        }
        return output.ToArray();
    }

    private static byte[] Record(byte[] features, byte[]? label)
    {
        var body = Field(1, MapEntry("values", features));
        return label is null ? body : [.. body, .. Field(2, MapEntry("values", label))];
    }

    private static byte[] MapEntry(string key, byte[] value) => [.. Field(1, Encoding.UTF8.GetBytes(key)), .. Field(2, value)];

    /// <summary>A Value holding float32_tensor (field 2) with packed values = 1, keys = 2, shape = 3.</summary>
    private static byte[] Tensor(float[] values, int[]? keys, int[]? shape)
    {
        var packed = new byte[values.Length * 4];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(packed.AsSpan(i * 4), values[i]);
        }
        var body = Field(1, packed);
        if (keys is not null)
        {
            body = [.. body, .. Field(2, keys.SelectMany(k => Varint((ulong)k)).ToArray())];
        }
        if (shape is not null)
        {
            body = [.. body, .. Field(3, shape.SelectMany(s => Varint((ulong)s)).ToArray())];
        }
        return Field(2, body);
    }

    /// <summary>A length-delimited field (wire type 2).</summary>
    private static byte[] Field(int number, byte[] payload) =>
        [.. Varint((ulong)(number << 3 | 2)), .. Varint((ulong)payload.Length), .. payload];

    private static byte[] Varint(ulong v)
    {
        var bytes = new List<byte>();
        do
        {
            var b = (byte)(v & 0x7f);
            v >>= 7;
            bytes.Add(v == 0 ? b : (byte)(b | 0x80));
        }
        while (v != 0);
        return bytes.ToArray();
    }
}
