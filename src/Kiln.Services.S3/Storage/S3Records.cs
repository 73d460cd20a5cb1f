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
    /// <summary>The default encryption set by PutBucketEncryption; null means S3's own default since
    /// 2023, SSE-S3 (AES256).</summary>
    public BucketEncryption? DefaultEncryption { get; init; }
    /// <summary>The LocationConstraint CreateBucket named when it is not the region's own name: "EU", S3's
    /// legacy name for eu-west-1, which GetBucketLocation answers as given. Null otherwise.</summary>
    public string? LocationConstraint { get; init; }
}

/// <summary>A bucket's default encryption (PutBucketEncryption's ServerSideEncryptionByDefault and
/// BucketKeyEnabled). Stored in the bucket's <c>encryption</c> column as JSON; a column written
/// before SSE-KMS holds the bare algorithm ("AES256"), which <see cref="FromColumn"/> still reads.</summary>
public sealed record BucketEncryption(string Algorithm)
{
    /// <summary>KMSMasterKeyID as given (key id, key ARN, alias name or alias ARN); null means the
    /// account's AWS managed key aws/s3.</summary>
    public string? KmsMasterKeyId { get; init; }
    public bool BucketKeyEnabled { get; init; }

    public static string? ToColumn(BucketEncryption? value) => value is null
        ? null
        : System.Text.Json.JsonSerializer.Serialize(value, BucketEncryptionJson.Default.BucketEncryption);

    public static BucketEncryption? FromColumn(string? column) => column switch
    {
        null or "" => null,
        ['{', ..] => System.Text.Json.JsonSerializer.Deserialize(column, BucketEncryptionJson.Default.BucketEncryption),
        _ => new BucketEncryption(column),
    };
}

[System.Text.Json.Serialization.JsonSourceGenerationOptions(
    DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
[System.Text.Json.Serialization.JsonSerializable(typeof(BucketEncryption))]
internal sealed partial class BucketEncryptionJson : System.Text.Json.Serialization.JsonSerializerContext;

/// <summary>How an SSE-KMS or SSE-C object (or multipart upload) is keyed, beside
/// <see cref="ObjectVersionRecord.ServerSideEncryption"/>. Each blob still has its own random data
/// key; for SSE-KMS and SSE-C that key is wrapped (<see cref="BlobSegment.WrappedKey"/>) under the
/// object key: the KMS data key whose KMS ciphertext is <see cref="KmsKeyBlob"/>, or the customer's
/// key, which is never stored (only <see cref="CustomerKeyHmac"/>, to recognise it).</summary>
public sealed record ObjectEncryption
{
    /// <summary>The KMS key's ARN (x-amz-server-side-encryption-aws-kms-key-id in responses).</summary>
    public string? KmsKeyArn { get; init; }
    /// <summary>The object key as KMS encrypted it (GenerateDataKey's CiphertextBlob), base64.</summary>
    public string? KmsKeyBlob { get; init; }
    /// <summary>The encryption context the KMS data key was made with (aws:s3:arn and the caller's pairs).</summary>
    public IReadOnlyDictionary<string, string>? KmsContext { get; init; }
    /// <summary>x-amz-server-side-encryption-context as the caller sent it (base64 JSON), echoed back.</summary>
    public string? KmsContextHeader { get; init; }
    public bool BucketKeyEnabled { get; init; }
    /// <summary>SSE-C: x-amz-server-side-encryption-customer-algorithm (AES256).</summary>
    public string? CustomerAlgorithm { get; init; }
    /// <summary>SSE-C: the base64 MD5 of the customer's key, returned on reads as S3 does.</summary>
    public string? CustomerKeyMd5 { get; init; }
    /// <summary>SSE-C: base64 of a random 16-byte salt then HMAC-SHA256(salt, key).</summary>
    public string? CustomerKeyHmac { get; init; }
}

public sealed record ObjectTag(string Key, string Value);

/// <summary>One stored run of an object's bytes. A single PUT has one; a completed multipart
/// upload keeps its parts' blobs in order, so completion never copies bytes.</summary>
public sealed record BlobSegment(string BlobId, long Size)
{
    /// <summary>For an encrypted blob: its data key sealed (base64), bound to the blob id as
    /// associated data: under the master key for SSE-S3, under the object key for SSE-KMS and SSE-C
    /// (<see cref="ObjectEncryption"/>). Null for a plaintext blob.</summary>
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
    /// <summary>x-amz-server-side-encryption of the object (AES256, aws:kms); null for SSE-C (see
    /// <see cref="Encryption"/>) and for a plaintext blob.</summary>
    public string? ServerSideEncryption { get; init; }
    /// <summary>SSE-KMS and SSE-C keying; null for SSE-S3.</summary>
    public ObjectEncryption? Encryption { get; init; }
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
    /// <summary>SSE-KMS and SSE-C keying, one object key per upload; null for SSE-S3.</summary>
    public ObjectEncryption? Encryption { get; init; }
    /// <summary>The ACL grants CreateMultipartUpload asked for, checked then and stored with the
    /// version the completion makes; null for the owner-only default.</summary>
    public IReadOnlyList<AclGrant>? Acl { get; init; }
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
