#!/usr/bin/env python3
"""Writes the RecordIO-protobuf fixture embedded in RecordIOProtobufTests.cs, with the stdlib only.

An implementation independent of Kiln's reader: protobuf wire format from
https://protobuf.dev/programming-guides/encoding/, Record messages as in SageMaker's record.proto
(https://docs.aws.amazon.com/sagemaker/latest/dg/cdf-training.html), framing and magic splitting as
dmlc-core's RecordIOWriter::WriteRecord does. Usage: python3 recordio_fixture.py  (prints hex).
"""
import struct

MAGIC = 0xCED7230A


def varint(n):
    out = bytearray()
    n &= (1 << 64) - 1
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field(number, wire_type, payload):
    head = varint(number << 3 | wire_type)
    return head + (varint(len(payload)) + payload if wire_type == 2 else payload)


def tensor(kind, values, keys=None, shape=None):
    if kind == "float32":
        packed, number = b"".join(struct.pack("<f", v) for v in values), 2
    else:  # int32, varint-encoded (negative values sign-extend to 10 bytes)
        packed, number = b"".join(varint(v) for v in values), 7
    body = field(1, 2, packed)
    if keys is not None:
        body += field(2, 2, b"".join(varint(k) for k in keys))
    if shape is not None:
        body += field(3, 2, b"".join(varint(s) for s in shape))
    return field(number, 2, body)  # Value { oneof: float32_tensor = 2, int32_tensor = 7 }


def entry(name, value):
    return field(1, 2, name.encode()) + field(2, 2, value)


def record(features, label=None):
    body = field(1, 2, entry("values", features))
    if label is not None:
        body += field(2, 2, entry("values", label))
    return body


def frame(data):
    """dmlc RecordIO: split where the magic occurs at an aligned offset, flag 1/2/3; 0 for a whole record."""
    magic = struct.pack("<I", MAGIC)
    out, start = bytearray(), 0
    for i in range(0, len(data) // 4 * 4, 4):
        if data[i:i + 4] == magic:
            out += magic + struct.pack("<I", (1 if start == 0 else 2) << 29 | (i - start)) + data[start:i]
            start = i + 4
    tail = data[start:]
    out += magic + struct.pack("<I", (3 if start else 0) << 29 | len(tail)) + tail
    out += b"\0" * ((-len(tail)) % 4)
    return bytes(out)


magic_float = struct.unpack("<f", struct.pack("<I", MAGIC))[0]
parts = [
    frame(record(tensor("float32", [1.5, -2.0, 0.25]), tensor("float32", [1.0]))),
    # int32 label, as the SDK writes for integer label arrays
    frame(record(tensor("float32", [0.0, 3.0, 4.0]), tensor("int32", [0]))),
]
# A payload holding the magic at an aligned offset is split by the writer: shift the magic-valued
# float until it lands on a multiple of 4 within the record.
for pad in range(3):
    data = record(tensor("float32", [7.0] * pad + [magic_float] + [9.0] * (2 - pad)), tensor("float32", [1.0]))
    if data.find(struct.pack("<I", MAGIC)) % 4 == 0:
        parts.append(frame(data))
        break
else:
    raise SystemExit("no placement puts the magic on a 4-byte boundary")
print(b"".join(parts).hex())
