using System.Buffers.Binary;
using System.Text;

namespace Kiln.ML.Data;

/// <summary>
/// application/x-recordio-protobuf, SageMaker's "Common Data Formats for Training"
/// (https://docs.aws.amazon.com/sagemaker/latest/dg/cdf-training.html): MXNet/dmlc RecordIO framing
/// around <c>aialgs.data.Record</c> protobuf messages.
///
/// Framing (dmlc-core recordio.h): u32 magic 0xced7230a, u32 lrecord whose top 3 bits are cflag and
/// low 29 bits the payload length, the payload, zero padding to a 4-byte boundary. cflag 0 is a whole
/// record; a writer that finds the magic inside a payload splits it there (1 = first part, 2 = middle,
/// 3 = last) and drops the magic, so the reader joins the parts with the magic put back.
///
/// Messages (record.proto): Record { map&lt;string, Value&gt; features = 1; map&lt;string, Value&gt; label = 2;
/// uid = 3; metadata = 4; configuration = 5 }; Value { oneof: Float32Tensor float32_tensor = 2;
/// Float64Tensor float64_tensor = 3; Int32Tensor int32_tensor = 7; Bytes bytes = 9 }; each tensor
/// { repeated values = 1 [packed]; repeated uint64 keys = 2 [packed]; repeated uint64 shape = 3 [packed] }.
/// Keys make a tensor sparse; shape[0] is then its width. The SageMaker Python SDK writes one feature
/// and one label, both named "values"; a record with several features is refused rather than guessed at.
/// The protobuf wire format is decoded by hand (varints and length-delimited fields are all it uses),
/// which keeps the reader free of a code generator and allocation-free per record.
/// </summary>
internal sealed class RecordIOProtobufReader : RecordSource
{
    public const uint Magic = 0xced7230a;

    private readonly Stream _stream;
    private byte[] _payload = new byte[4096];
    private int _length;

    public RecordIOProtobufReader(string path)
        : this(InputFile.Open(path), Path.GetFileName(path))
    {
    }

    public RecordIOProtobufReader(Stream stream, string source)
        : base(source) => _stream = stream;

    protected override bool ReadRecord()
    {
        if (!ReadFrame())
        {
            return false;
        }
        ParseRecord(_payload.AsSpan(0, _length));
        return true;
    }

    private bool ReadFrame()
    {
        Span<byte> header = stackalloc byte[8];
        _length = 0;
        var first = true;
        while (true)
        {
            var n = _stream.ReadAtLeast(header, 8, throwOnEndOfStream: false);
            if (n == 0 && first)
            {
                return false;
            }
            Position += first ? 1 : 0;
            if (n < 8)
            {
                throw Error("recordio", "the file ends inside a record header");
            }
            var magic = BinaryPrimitives.ReadUInt32LittleEndian(header);
            if (magic != Magic)
            {
                throw Error("recordio", $"bad magic 0x{magic:x8} (expected 0x{Magic:x8}); is this really application/x-recordio-protobuf?");
            }
            var word = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
            var cflag = word >> 29;
            var length = (int)(word & ((1u << 29) - 1));
            if (cflag != (first ? 0u : 2u) && cflag != (first ? 1u : 3u))
            {
                throw Error("recordio", $"continuation flag {cflag} out of sequence");
            }
            var padded = (length + 3) & ~3;
            EnsureCapacity(_length + padded + 4);
            if (_stream.ReadAtLeast(_payload.AsSpan(_length, padded), padded, throwOnEndOfStream: false) < padded)
            {
                throw Error("recordio", $"the file ends inside a record of {length} bytes");
            }
            _length += length;
            if (cflag is 0 or 3)
            {
                return true;
            }
            BinaryPrimitives.WriteUInt32LittleEndian(_payload.AsSpan(_length), Magic);
            _length += 4;
            first = false;
        }
    }

    private void EnsureCapacity(int size)
    {
        if (size > _payload.Length)
        {
            Array.Resize(ref _payload, Math.Max(size, _payload.Length * 2));
        }
    }

    private void ParseRecord(ReadOnlySpan<byte> record)
    {
        var wire = new Wire(record, this, "record");
        var sawFeatures = false;
        while (wire.More)
        {
            var (field, type) = wire.Tag();
            if (field is 1 or 2 && type == 2)
            {
                var name = MapEntry(wire.Bytes(), field == 1 ? "features" : "label", out var value);
                if (field == 1)
                {
                    if (sawFeatures)
                    {
                        throw Error($"features[{name}]", "more than one feature tensor; Kiln reads the single \"values\" tensor the SageMaker SDK writes");
                    }
                    sawFeatures = true;
                    Tensor(value, $"features[{name}]", Values, Keys, isLabel: false);
                }
                else
                {
                    Tensor(value, $"label[{name}]", _label, null, isLabel: true);
                    if (_label.Count != 1)
                    {
                        throw Error($"label[{name}]", $"expected one label value, found {_label.Count}");
                    }
                    Label = _label[0];
                    _label.Clear();
                }
            }
            else
            {
                wire.Skip(type);
            }
        }
        if (!sawFeatures)
        {
            throw Error("features", "the record has no features");
        }
    }

    private readonly List<float> _label = [];

    /// <summary>A map&lt;string, Value&gt; entry: key = 1 (string), value = 2 (Value message).</summary>
    private string MapEntry(ReadOnlySpan<byte> entry, string map, out ReadOnlySpan<byte> value)
    {
        var wire = new Wire(entry, this, map);
        var name = "";
        value = default;
        while (wire.More)
        {
            var (field, type) = wire.Tag();
            if (field == 1 && type == 2)
            {
                name = Encoding.UTF8.GetString(wire.Bytes());
            }
            else if (field == 2 && type == 2)
            {
                value = wire.Bytes();
            }
            else
            {
                wire.Skip(type);
            }
        }
        return name;
    }

    /// <summary>Decodes a Value holding a float32, float64 or int32 tensor into values (and keys, shape).</summary>
    private void Tensor(ReadOnlySpan<byte> value, string field, List<float> values, List<int>? keys, bool isLabel)
    {
        var outer = new Wire(value, this, field);
        var kind = 0;
        ReadOnlySpan<byte> tensor = default;
        while (outer.More)
        {
            var (f, type) = outer.Tag();
            if (f is 2 or 3 or 7 && type == 2)
            {
                kind = f;
                tensor = outer.Bytes();
            }
            else if (f == 9)
            {
                throw Error(field, "a bytes value is not numeric; Kiln reads float32, float64 and int32 tensors");
            }
            else
            {
                outer.Skip(type);
            }
        }
        if (kind == 0)
        {
            throw Error(field, "the value holds no tensor");
        }
        var wire = new Wire(tensor, this, field);
        var width = -1L;
        var hasKeys = false;
        while (wire.More)
        {
            var (f, type) = wire.Tag();
            switch (f)
            {
                case 1:
                    ReadValues(ref wire, type, kind, values, field);
                    break;
                case 2:
                    hasKeys = true;
                    ReadVarints(ref wire, type, keys, field);
                    break;
                case 3:
                    // Only shape[0] matters for a vector; a later dimension would make it a matrix.
                    var shape = new List<int>();
                    ReadVarints(ref wire, type, shape, field);
                    if (shape.Count > 1 && !(shape.Count == 2 && shape[0] == 1))
                    {
                        throw Error($"{field}.shape", $"rank {shape.Count} tensors are not supported; a record is one vector");
                    }
                    width = shape.Count == 0 ? -1 : shape[^1];
                    break;
                default:
                    wire.Skip(type);
                    break;
            }
        }
        if (isLabel)
        {
            return;
        }
        IsSparse = hasKeys;
        if (hasKeys && keys!.Count != values.Count)
        {
            throw Error($"{field}.keys", $"{keys.Count} keys for {values.Count} values");
        }
        if (!hasKeys && width >= 0 && width != values.Count)
        {
            throw Error($"{field}.shape", $"shape {width} but {values.Count} values");
        }
        Width = (int)(width >= 0 ? width : hasKeys ? -1 : values.Count);
    }

    private void ReadValues(ref Wire wire, int type, int kind, List<float> values, string field)
    {
        var packed = type == 2 ? wire.Bytes() : default;
        var inner = new Wire(packed, this, field);
        // Packed (wire type 2) is what proto2 [packed = true] writes; one value per tag is accepted too.
        switch (kind)
        {
            case 2 when type == 2:
                if (packed.Length % 4 != 0)
                {
                    throw Error($"{field}.values", "packed float32 values are not a multiple of 4 bytes");
                }
                for (var p = 0; p < packed.Length; p += 4)
                {
                    values.Add(BinaryPrimitives.ReadSingleLittleEndian(packed[p..]));
                }
                break;
            case 2 when type == 5:
                values.Add(BitConverter.Int32BitsToSingle((int)wire.Fixed32()));
                break;
            case 3 when type == 2:
                if (packed.Length % 8 != 0)
                {
                    throw Error($"{field}.values", "packed float64 values are not a multiple of 8 bytes");
                }
                for (var p = 0; p < packed.Length; p += 8)
                {
                    values.Add((float)BinaryPrimitives.ReadDoubleLittleEndian(packed[p..]));
                }
                break;
            case 3 when type == 1:
                values.Add((float)BitConverter.Int64BitsToDouble((long)wire.Fixed64()));
                break;
            case 7 when type == 2:
                while (inner.More)
                {
                    values.Add((int)inner.Varint());
                }
                break;
            case 7 when type == 0:
                values.Add((int)wire.Varint());
                break;
            default:
                throw Error($"{field}.values", $"wire type {type} does not match the tensor's element type");
        }
    }

    private void ReadVarints(ref Wire wire, int type, List<int>? target, string field)
    {
        void Add(ulong v)
        {
            if (v > int.MaxValue)
            {
                throw Error(field, $"index {v} is too large");
            }
            target?.Add((int)v);
        }
        if (type == 0)
        {
            Add(wire.Varint());
            return;
        }
        if (type != 2)
        {
            throw Error(field, $"wire type {type} where uint64 values were expected");
        }
        var inner = new Wire(wire.Bytes(), this, field);
        while (inner.More)
        {
            Add(inner.Varint());
        }
    }

    public override void Dispose() => _stream.Dispose();

    /// <summary>A cursor over protobuf wire-format bytes (https://protobuf.dev/programming-guides/encoding/).</summary>
    private ref struct Wire(ReadOnlySpan<byte> data, RecordIOProtobufReader owner, string field)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _at;

        public readonly bool More => _at < _data.Length;

        public (int Field, int Type) Tag()
        {
            var tag = Varint();
            return ((int)(tag >> 3), (int)(tag & 7));
        }

        public ulong Varint()
        {
            ulong result = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                if (_at >= _data.Length)
                {
                    throw owner.Error(field, "truncated varint");
                }
                var b = _data[_at++];
                result |= (ulong)(b & 0x7f) << shift;
                if (b < 0x80)
                {
                    return result;
                }
            }
            throw owner.Error(field, "varint longer than 10 bytes");
        }

        public ReadOnlySpan<byte> Bytes()
        {
            var length = Varint();
            if (length > (ulong)(_data.Length - _at))
            {
                throw owner.Error(field, $"length {length} runs past the end of the message");
            }
            var slice = _data.Slice(_at, (int)length);
            _at += (int)length;
            return slice;
        }

        public uint Fixed32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

        public ulong Fixed64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

        public void Skip(int type)
        {
            switch (type)
            {
                case 0: Varint(); break;
                case 1: Take(8); break;
                case 2: Bytes(); break;
                case 5: Take(4); break;
                default: throw owner.Error(field, $"unsupported wire type {type}");
            }
        }

        private ReadOnlySpan<byte> Take(int n)
        {
            if (_data.Length - _at < n)
            {
                throw owner.Error(field, "truncated fixed-width value");
            }
            var slice = _data.Slice(_at, n);
            _at += n;
            return slice;
        }
    }
}
