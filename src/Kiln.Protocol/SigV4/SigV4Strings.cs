namespace Kiln.Protocol.SigV4;

/// <summary>SigV4 wire literals: header and query names, payload-hash sentinels, algorithm names.
/// Names follow the AWS documentation "Authenticating Requests (AWS Signature Version 4)".</summary>
internal static class SigV4Strings
{
    public const string Algorithm = "AWS4-HMAC-SHA256";
    public const string Terminator = "aws4_request";
    public const string S3Service = "s3";

    public const string XAmzDate = "x-amz-date";
    public const string Date = "date";
    public const string Host = "host";
    public const string XAmzContentSha256 = "x-amz-content-sha256";
    public const string XAmzSecurityToken = "x-amz-security-token";
    public const string XAmzDecodedContentLength = "x-amz-decoded-content-length";
    public const string XAmzTrailer = "x-amz-trailer";
    public const string XAmzTrailerSignature = "x-amz-trailer-signature";

    // Presigned-URL query parameters. The names are case-sensitive on the wire.
    public const string QueryAlgorithm = "X-Amz-Algorithm";
    public const string QueryCredential = "X-Amz-Credential";
    public const string QueryDate = "X-Amz-Date";
    public const string QueryExpires = "X-Amz-Expires";
    public const string QuerySignedHeaders = "X-Amz-SignedHeaders";
    public const string QuerySignature = "X-Amz-Signature";
    public const string QuerySecurityToken = "X-Amz-Security-Token";
    public const string QueryContentSha256 = "X-Amz-Content-Sha256";

    // x-amz-content-sha256 values other than a hex digest.
    public const string UnsignedPayload = "UNSIGNED-PAYLOAD";
    public const string StreamingSigned = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
    public const string StreamingSignedTrailer = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
    public const string StreamingUnsignedTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";

    public const string EmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    public static ReadOnlySpan<byte> AlgorithmLine => "AWS4-HMAC-SHA256\n"u8;
    public static ReadOnlySpan<byte> ChunkAlgorithmLine => "AWS4-HMAC-SHA256-PAYLOAD\n"u8;
    public static ReadOnlySpan<byte> TrailerAlgorithmLine => "AWS4-HMAC-SHA256-TRAILER\n"u8;
    public static ReadOnlySpan<byte> TerminatorBytes => "aws4_request"u8;
    public static ReadOnlySpan<byte> EmptySha256Bytes => "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"u8;
    public static ReadOnlySpan<byte> ChunkSignaturePrefix => ";chunk-signature="u8;
    public static ReadOnlySpan<byte> TrailerSignaturePrefix => "x-amz-trailer-signature:"u8;
}
