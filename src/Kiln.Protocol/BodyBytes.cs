using System.Runtime.InteropServices;

namespace Kiln.Protocol;

/// <summary>A buffered request document seen as a stream (XmlReader, a decoding wrapper) without
/// copying it when it is backed by an array, as the gateway's buffers always are.</summary>
internal static class BodyBytes
{
    public static MemoryStream AsStream(ReadOnlyMemory<byte> body) =>
        MemoryMarshal.TryGetArray(body, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(body.ToArray(), writable: false);
}
