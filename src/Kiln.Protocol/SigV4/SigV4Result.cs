using Kiln.Core;

namespace Kiln.Protocol.SigV4;

/// <summary>How the authenticator sees the request body.</summary>
public readonly struct SigV4Payload
{
    private SigV4Payload(ReadOnlyMemory<byte> body, Stream? stream, bool buffered)
    {
        Body = body;
        Stream = stream;
        IsBuffered = buffered;
    }

    /// <summary>True when <see cref="Body"/> holds the whole body.</summary>
    public bool IsBuffered { get; }

    /// <summary>The whole body (buffered payloads only).</summary>
    public ReadOnlyMemory<byte> Body { get; }

    /// <summary>The body stream for streaming payloads; null means <c>HttpRequest.Body</c>.</summary>
    public Stream? Stream { get; }

    /// <summary>A small document already read whole (JSON, query form, XML). Its SHA-256 is checked
    /// (or computed, for services whose clients send no x-amz-content-sha256) before returning.</summary>
    public static SigV4Payload Buffered(ReadOnlyMemory<byte> body) => new(body, null, true);

    /// <summary>A body that must not be buffered (S3 objects). It is wrapped, not read: the
    /// returned <see cref="SigV4Result.Body"/> checks the declared hash or the chunk signatures as
    /// the handler reads it and throws <see cref="SigV4Exception"/> at the first bad byte range.</summary>
    public static SigV4Payload Streaming(Stream? body = null) => new(default, body, false);
}

/// <summary>How the payload was covered by the signature (the x-amz-content-sha256 value).</summary>
public enum PayloadSigning
{
    /// <summary>A SHA-256 of the whole body is signed (declared in the header or computed from the body).</summary>
    Signed,
    /// <summary><c>UNSIGNED-PAYLOAD</c>: the body is not covered (presigned S3 URLs, S3 over TLS).</summary>
    Unsigned,
    /// <summary><c>STREAMING-AWS4-HMAC-SHA256-PAYLOAD</c>: aws-chunked, each chunk signed.</summary>
    SignedChunks,
    /// <summary><c>STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER</c>: signed chunks and signed trailers.</summary>
    SignedChunksWithTrailer,
    /// <summary><c>STREAMING-UNSIGNED-PAYLOAD-TRAILER</c>: aws-chunked without signatures, trailers after.</summary>
    UnsignedChunksWithTrailer,
}

/// <summary>A request that passed SigV4 authentication.</summary>
public sealed class SigV4Result
{
    private static readonly IReadOnlyDictionary<string, string> NoTrailers = new Dictionary<string, string>();

    /// <summary>Who signed the request (the credential's principal).</summary>
    public required Principal Principal { get; init; }
    public required string AccessKeyId { get; init; }
    /// <summary>The region of the credential scope.</summary>
    public required string Region { get; init; }
    /// <summary>The signing name of the credential scope.</summary>
    public required string Service { get; init; }
    /// <summary>X-Amz-Date (or Date) of the request.</summary>
    public required DateTimeOffset SignedAt { get; init; }
    public bool Presigned { get; init; }
    public PayloadSigning PayloadSigning { get; init; }

    /// <summary>The body the handler must read instead of <c>HttpRequest.Body</c>: for a streaming
    /// payload always set (the original stream, or a verifying/decoding wrapper around it); for a
    /// buffered payload set only when the buffered bytes were aws-chunked (the decoded stream).</summary>
    public Stream? Body { get; init; }

    /// <summary>x-amz-decoded-content-length: the object's size for aws-chunked uploads.</summary>
    public long? DecodedContentLength { get; init; }

    /// <summary>Trailing headers of an aws-chunked body (x-amz-checksum-crc32...), lowercase names.
    /// Empty until <see cref="Body"/> has been read to its end; the signed variant's trailer
    /// signature has been verified by then.</summary>
    public IReadOnlyDictionary<string, string> Trailers => (Body as AwsChunkedStream)?.Trailers ?? NoTrailers;
}
