namespace Kiln.Services.S3.Storage;

/// <summary>A bucket's versioning state. Persisted as its number: never renumber (a test pins them).</summary>
public enum VersioningState
{
    Unversioned = 0,
    Enabled = 1,
    Suspended = 2,
}

/// <summary>A bucket as the metadata store holds it. Names are global across accounts.</summary>
public sealed record BucketRecord(string Name, string OwnerAccountId, string Region, DateTimeOffset CreatedAt)
{
    public VersioningState Versioning { get; init; }
    /// <summary>Null when the bucket has no tag set (GetBucketTagging answers NoSuchTagSet).</summary>
    public IReadOnlyList<ObjectTag>? Tags { get; init; }
    /// <summary>The default-encryption algorithm set by PutBucketEncryption; null means S3's own
    /// default since 2023, SSE-S3 (AES256).</summary>
    public string? DefaultEncryption { get; init; }
}

public sealed record ObjectTag(string Key, string Value);

/// <summary>One stored run of an object's bytes. A single PUT has one; a completed multipart
/// upload keeps its parts' blobs in order, so completion never copies bytes.</summary>
public sealed record BlobSegment(string BlobId, long Size)
{
    /// <summary>For an encrypted blob: its data key sealed under the master key (base64), bound to
    /// the blob id as associated data. Null for a plaintext blob.</summary>
    public string? WrappedKey { get; init; }
}

/// <summary>The content headers S3 stores with an object and returns on GET and HEAD.</summary>
public sealed record ContentHeaders
{
    public string? ContentType { get; init; }
    public string? ContentEncoding { get; init; }
    public string? ContentDisposition { get; init; }
    public string? ContentLanguage { get; init; }
    public string? CacheControl { get; init; }
    public DateTimeOffset? Expires { get; init; }
    public string? WebsiteRedirectLocation { get; init; }
}

/// <summary>One version of an object, or a delete marker. Unversioned buckets hold one version per
/// key, whose id is "null".</summary>
public sealed record ObjectVersionRecord
{
    public const string NullVersionId = "null";

    public required string Bucket { get; init; }
    public required string Key { get; init; }
    public required string VersionId { get; init; }
    /// <summary>Maintained by the store: true for the newest version of the key.</summary>
    public bool IsLatest { get; init; }
    public bool IsDeleteMarker { get; init; }
    public long Size { get; init; }
    /// <summary>Unquoted: MD5 hex, or for a multipart object MD5-of-part-MD5s hex + "-N".</summary>
    public string ETag { get; init; } = "";
    public ContentHeaders Content { get; init; } = new();
    /// <summary>User metadata (x-amz-meta-*), names lowercase.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();
    public IReadOnlyList<ObjectTag> Tags { get; init; } = [];
    public string StorageClass { get; init; } = "STANDARD";
    public DateTimeOffset LastModified { get; init; }
    public string OwnerAccountId { get; init; } = "";
    public IReadOnlyList<BlobSegment> Segments { get; init; } = [];
    /// <summary>Additional checksums by algorithm name (CRC32...), base64.</summary>
    public IReadOnlyDictionary<string, string> Checksums { get; init; } = new Dictionary<string, string>();
    /// <summary>Number of parts for a multipart object, else null.</summary>
    public int? PartsCount { get; init; }
    /// <summary>x-amz-server-side-encryption of the object (AES256), null for plaintext.</summary>
    public string? ServerSideEncryption { get; init; }
    /// <summary>Assigned by the store: orders versions of a key, newest highest.</summary>
    public long Sequence { get; init; }
    /// <summary>GLACIER/DEEP_ARCHIVE restore (RestoreObject): when the temporary copy becomes
    /// readable; null when no restore was asked for.</summary>
    public DateTimeOffset? RestoreReadyAt { get; init; }
    /// <summary>When the restored copy is removed again (RestoreObject Days after it is ready).</summary>
    public DateTimeOffset? RestoreExpiresAt { get; init; }
}

/// <summary>An in-progress multipart upload and what the final object will carry.</summary>
public sealed record UploadRecord
{
    public required string UploadId { get; init; }
    public required string Bucket { get; init; }
    public required string Key { get; init; }
    public required DateTimeOffset Initiated { get; init; }
    public string OwnerAccountId { get; init; } = "";
    public ContentHeaders Content { get; init; } = new();
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();
    public IReadOnlyList<ObjectTag> Tags { get; init; } = [];
    public string StorageClass { get; init; } = "STANDARD";
    public string? ChecksumAlgorithm { get; init; }
    /// <summary>Decided when the upload starts; every part is sealed accordingly.</summary>
    public string? ServerSideEncryption { get; init; }
}

public sealed record PartRecord
{
    public required string UploadId { get; init; }
    public required int PartNumber { get; init; }
    public required string ETag { get; init; }
    public required long Size { get; init; }
    public required DateTimeOffset LastModified { get; init; }
    public required BlobSegment Blob { get; init; }
    public IReadOnlyDictionary<string, string> Checksums { get; init; } = new Dictionary<string, string>();
}

/// <summary>The bucket named in a store call no longer exists (deleted concurrently).</summary>
public sealed class MissingBucketException(string bucket) : Exception($"Bucket {bucket} does not exist")
{
    public string Bucket { get; } = bucket;
}

/// <summary>The multipart upload named in a store call no longer exists (aborted or completed).</summary>
public sealed class MissingUploadException(string uploadId) : Exception($"Upload {uploadId} does not exist")
{
    public string UploadId { get; } = uploadId;
}
