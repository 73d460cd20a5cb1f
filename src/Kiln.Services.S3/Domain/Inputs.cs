using Kiln.Core;
using Kiln.Services.S3.Storage;

namespace Kiln.Services.S3.Domain;

/// <summary>What a write (PUT, copy with REPLACE, multipart create) says about the new object.</summary>
public sealed record ObjectWrite
{
    public ContentHeaders Content { get; init; } = new();
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }
    /// <summary>The x-amz-tagging header (URL query form), unparsed.</summary>
    public string? Tagging { get; init; }
    public string? StorageClass { get; init; }
    /// <summary>Content-MD5, base64, checked against the bytes received.</summary>
    public string? ContentMd5 { get; init; }
    /// <summary>x-amz-checksum-algorithm: compute and store this checksum.</summary>
    public string? ChecksumAlgorithm { get; init; }
    /// <summary>x-amz-checksum-* values sent as headers, by algorithm name.</summary>
    public IReadOnlyDictionary<string, string> Checksums { get; init; } = new Dictionary<string, string>();
    /// <summary>Trailing headers of an aws-chunked body, read once the body has ended.</summary>
    public Func<IReadOnlyDictionary<string, string>>? Trailers { get; init; }
    /// <summary>The declared size (Content-Length or x-amz-decoded-content-length), if known.</summary>
    public long? DeclaredLength { get; init; }
    /// <summary>x-amz-server-side-encryption; null means the bucket's default.</summary>
    public string? ServerSideEncryption { get; init; }
    /// <summary>x-amz-server-side-encryption-aws-kms-key-id.</summary>
    public string? SseKmsKeyId { get; init; }
    /// <summary>x-amz-server-side-encryption-context (base64 JSON), unparsed.</summary>
    public string? SseKmsContext { get; init; }
    /// <summary>x-amz-server-side-encryption-bucket-key-enabled.</summary>
    public bool? BucketKeyEnabled { get; init; }
    /// <summary>SSE-C: the new object's key (UploadPart: the upload's key).</summary>
    public CustomerKeyHeaders? CustomerKey { get; init; }
    /// <summary>Who asks: KMS authorizes kms:GenerateDataKey / kms:Decrypt as this caller. Null for
    /// Kiln's own writes (access logs), which KMS does not authorize.</summary>
    public RequestContext? Caller { get; init; }
}

/// <summary>The SSE-C headers of a request: x-amz-server-side-encryption-customer-algorithm, -key and
/// -key-MD5, or their x-amz-copy-source- forms for a copy's source.</summary>
public sealed record CustomerKeyHeaders(string? Algorithm, string? Key, string? KeyMd5)
{
    public bool IsEmpty => Algorithm is null && Key is null && KeyMd5 is null;
}

/// <summary>What a read brings to open an encrypted object: the SSE-C key, if any, and the caller
/// KMS authorizes kms:Decrypt for.</summary>
public sealed record ObjectKeys(CustomerKeyHeaders? CustomerKey, RequestContext? Caller)
{
    public static readonly ObjectKeys None = new(null, null);
}

/// <summary>If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since (or their copy-source forms).</summary>
public sealed record Conditions(string? IfMatch, string? IfNoneMatch, DateTimeOffset? IfModifiedSince,
    DateTimeOffset? IfUnmodifiedSince)
{
    public static readonly Conditions None = new(null, null, null, null);
}

/// <summary>An object read: its version, and for GET the requested bytes.</summary>
public sealed record ObjectRead(ObjectVersionRecord Version)
{
    /// <summary>The bytes to send (GET only); the caller disposes it.</summary>
    public Stream? Body { get; init; }
    public long Start { get; init; }
    public long Length { get; init; }
    /// <summary>A Range was honoured: answer 206 with Content-Range.</summary>
    public bool Partial { get; init; }
    /// <summary>A condition said the client's copy is current: answer 304.</summary>
    public bool NotModified { get; init; }
}

public sealed record DeleteResult(string? VersionId, bool DeleteMarker);

public sealed record ListResult(IReadOnlyList<ObjectVersionRecord> Objects, IReadOnlyList<string> CommonPrefixes,
    bool IsTruncated, string? LastReturned);

public sealed record VersionListResult(IReadOnlyList<ObjectVersionRecord> Versions, IReadOnlyList<string> CommonPrefixes,
    bool IsTruncated, string? NextKeyMarker, string? NextVersionIdMarker);

public sealed record UploadListResult(IReadOnlyList<UploadRecord> Uploads, IReadOnlyList<string> CommonPrefixes,
    bool IsTruncated, string? NextKeyMarker, string? NextUploadIdMarker);

public sealed record PartListResult(UploadRecord Upload, IReadOnlyList<PartRecord> Parts, bool IsTruncated,
    int? NextPartNumberMarker);

/// <summary>Sizes S3 enforces; the multipart minimum is a setting so tests and demos can use small parts.</summary>
public sealed record S3Limits
{
    public long MaxObjectSize { get; init; } = 5L * 1024 * 1024 * 1024;
    public long MinPartSize { get; init; } = 5L * 1024 * 1024;
    public int MaxKeys { get; init; } = 1000;
}
