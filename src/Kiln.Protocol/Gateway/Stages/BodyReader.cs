using Kiln.Core.Errors;

namespace Kiln.Protocol.Gateway.Stages;

/// <summary>Reads a request document (JSON, XML, query form) whole, under a cap enforced while
/// reading, so a lying or absent Content-Length cannot make the server buffer more than the cap.
/// Streaming payloads never come here.</summary>
internal static class BodyReader
{
    public static async ValueTask<ReadOnlyMemory<byte>> ReadAsync(Stream body, long? contentLength, int cap,
        CancellationToken cancellationToken)
    {
        if (contentLength > cap)
        {
            throw TooLarge(cap);
        }

        if (contentLength == 0)
        {
            return ReadOnlyMemory<byte>.Empty;
        }

        var buffer = new byte[contentLength is { } known ? (int)known : 4096];
        var length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                if (contentLength is not null)
                {
                    // Content-Length bytes arrived; anything more is not part of this request.
                    break;
                }

                if (buffer.Length >= cap)
                {
                    throw TooLarge(cap);
                }

                Array.Resize(ref buffer, (int)Math.Min((long)buffer.Length * 2, cap));
            }

            var read = await body.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            length += read;
        }

        if (contentLength is { } expected && length < expected)
        {
            throw new AwsException("IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header.", 400);
        }

        return buffer.AsMemory(0, length);
    }

    private static AwsException TooLarge(int cap) =>
        new("RequestEntityTooLarge", $"The request body exceeds the maximum document size of {cap} bytes.", 413);
}
