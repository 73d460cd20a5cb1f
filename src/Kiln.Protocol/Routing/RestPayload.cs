using System.Buffers;
using System.IO.Pipelines;
using System.Security.Cryptography;
using System.Text;
using Kiln.Core.Shapes;
using Microsoft.AspNetCore.Http;

namespace Kiln.Protocol.Routing;

/// <summary>Writes the payload member of a rest-xml or rest-json output: a streaming blob is copied
/// from its <see cref="Stream"/> to the response as it is read (never buffered) and always disposed;
/// a byte array or string goes out raw; a structure is left to the codec's document writer.</summary>
internal static class RestPayload
{
    public const string BinaryContentType = "application/octet-stream";
    public const string TextContentType = "text/plain";

    public static async Task WriteRawOrAsync(MemberInfo payload, object? value, HttpResponse response, bool noBody,
        Func<object, CancellationToken, Task> writeStructure, CancellationToken cancellationToken)
    {
        switch (value)
        {
            case null:
                return;
            case Stream stream:
                // Content-Length, if known, came from a header member (S3 ContentLength); without it
                // Kestrel sends the body chunked.
                await using (stream.ConfigureAwait(false))
                {
                    if (!noBody)
                    {
                        await CopyAsync(stream, response.Body, cancellationToken).ConfigureAwait(false);
                    }
                }

                return;
            case byte[] bytes:
                await WriteBytesAsync(bytes, BinaryContentType, response, noBody, cancellationToken).ConfigureAwait(false);
                return;
            case ReadOnlyMemory<byte> memory:
                await WriteBytesAsync(memory, BinaryContentType, response, noBody, cancellationToken).ConfigureAwait(false);
                return;
            case string text when payload.Shape.Type == ShapeType.String:
                await WriteBytesAsync(Encoding.UTF8.GetBytes(text), TextContentType, response, noBody, cancellationToken)
                    .ConfigureAwait(false);
                return;
            default:
                if (!noBody)
                {
                    await writeStructure(value, cancellationToken).ConfigureAwait(false);
                }

                return;
        }
    }

    /// <summary>Copies in writes of up to 256 KiB, each filled by as many reads as it takes: one flush
    /// to the socket per write. (Copying into the PipeWriter went in Kestrel's 4 KiB blocks, a flush
    /// each, and held large GETs to half of nginx; 64 KiB writes, one per decrypted chunk, still cost a
    /// send and a thread hand-off each.)</summary>
    private static async Task CopyAsync(Stream source, Stream destination, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        var used = 0;
        try
        {
            var done = false;
            while (!done)
            {
                var filled = 0;
                while (filled < CopyBufferSize)
                {
                    var read = await source.ReadAsync(buffer.AsMemory(filled, CopyBufferSize - filled), cancellationToken)
                        .ConfigureAwait(false);
                    if (read == 0)
                    {
                        done = true;
                        break;
                    }

                    filled += read;
                }

                used = Math.Max(used, filled);
                if (filled > 0)
                {
                    await destination.WriteAsync(buffer.AsMemory(0, filled), cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            // It held a decrypted object: wiped before it goes back to the shared pool (only what was used).
            CryptographicOperations.ZeroMemory(buffer.AsSpan(0, used));
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private const int CopyBufferSize = 256 * 1024;

    private static async Task WriteBytesAsync(ReadOnlyMemory<byte> bytes, string contentType, HttpResponse response,
        bool noBody, CancellationToken cancellationToken)
    {
        response.ContentType ??= contentType;
        response.ContentLength ??= bytes.Length;
        if (!noBody && bytes.Length > 0)
        {
            await response.BodyWriter.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        }
    }
}
