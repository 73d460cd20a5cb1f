namespace Kiln.Services.S3.Storage;

/// <summary>S3's metadata: buckets, object versions, multipart uploads and parts. Every call that
/// changes more than one row is one transaction. Calls that free blobs return their ids: the caller
/// deletes those files only after the change is committed, so a crash leaves an orphan (swept at
/// start), never a reference to a missing file.</summary>
public interface IS3MetadataStore
{
    /// <summary>The buckets' access settings (policy, block public access, CORS, ownership, ACLs), kept
    /// beside this metadata so that a new bucket and its settings are one commit.</summary>
    IBucketAccessStore Access { get; }

    /// <summary>Creates the bucket, or returns the existing bucket of that name (any owner) untouched.</summary>
    Task<BucketRecord?> CreateBucketAsync(BucketRecord bucket, CancellationToken cancellationToken);
    /// <summary>Creates the bucket with its initial access settings (CreateBucket's x-amz-object-ownership
    /// and ACL) in one commit: after a crash the bucket exists with them or not at all. Returns the
    /// existing bucket of that name (any owner) and writes nothing when there is one.</summary>
    /// <param name="access">Null: the defaults, nothing written beside the bucket.</param>
    Task<BucketRecord?> CreateBucketAsync(BucketRecord bucket, BucketAccessRecord? access, CancellationToken cancellationToken);
    Task<BucketRecord?> GetBucketAsync(string name, CancellationToken cancellationToken);
    Task<IReadOnlyList<BucketRecord>> ListBucketsAsync(string ownerAccountId, CancellationToken cancellationToken);
    /// <summary>Replaces the bucket's versioning state and tags.</summary>
    /// <exception cref="MissingBucketException"/>
    Task UpdateBucketAsync(BucketRecord bucket, CancellationToken cancellationToken);
    /// <summary>Deletes an empty bucket (no versions, no delete markers); aborts its uploads.</summary>
    /// <returns>null when the bucket still holds objects; else the freed blobs of its uploads.</returns>
    /// <exception cref="MissingBucketException"/>
    Task<IReadOnlyList<string>?> DeleteBucketAsync(string name, CancellationToken cancellationToken);

    /// <summary>Adds a version as the key's latest. A version whose id is "null" replaces the key's
    /// existing null version.</summary>
    /// <returns>Blobs of the replaced null version, and the sequence the store gave the version.</returns>
    /// <exception cref="MissingBucketException"/>
    Task<(IReadOnlyList<string> FreedBlobs, long Sequence)> PutVersionAsync(ObjectVersionRecord version, CancellationToken cancellationToken);
    /// <summary>The given version, or the key's latest (possibly a delete marker) when versionId is null.</summary>
    Task<ObjectVersionRecord?> GetVersionAsync(string bucket, string key, string? versionId, CancellationToken cancellationToken);
    /// <summary>Removes one version for good; the next newest becomes latest.</summary>
    Task<(ObjectVersionRecord? Removed, IReadOnlyList<string> FreedBlobs)> DeleteVersionAsync(string bucket, string key,
        string versionId, CancellationToken cancellationToken);
    /// <returns>false when the version does not exist.</returns>
    Task<bool> SetTagsAsync(string bucket, string key, string versionId, IReadOnlyList<ObjectTag> tags,
        CancellationToken cancellationToken);
    /// <summary>Replaces one version's record by <paramref name="change"/> of it (storage class,
    /// restore state), in one transaction; identity, segments and sequence are kept.</summary>
    /// <returns>The changed record, or null when the version does not exist.</returns>
    Task<ObjectVersionRecord?> UpdateVersionAsync(string bucket, string key, string versionId,
        Func<ObjectVersionRecord, ObjectVersionRecord> change, CancellationToken cancellationToken);
    /// <summary>Latest versions that are not delete markers, keys after <paramref name="after"/>
    /// (exclusive) starting with <paramref name="prefix"/>, in key order.</summary>
    Task<IReadOnlyList<ObjectVersionRecord>> ListLatestAsync(string bucket, string prefix, string after, int limit,
        CancellationToken cancellationToken);
    /// <summary>All versions and delete markers with the prefix, by key then newest first, starting
    /// after (afterKey, afterSequence) — a null sequence means after every version of afterKey.</summary>
    Task<IReadOnlyList<ObjectVersionRecord>> ListVersionsAsync(string bucket, string prefix, string afterKey,
        long? afterSequence, int limit, CancellationToken cancellationToken);

    /// <exception cref="MissingBucketException"/>
    Task CreateUploadAsync(UploadRecord upload, CancellationToken cancellationToken);
    Task<UploadRecord?> GetUploadAsync(string uploadId, CancellationToken cancellationToken);
    /// <summary>Adds or replaces a part.</summary>
    /// <returns>The blob of the replaced part, if any.</returns>
    /// <exception cref="MissingUploadException"/>
    Task<IReadOnlyList<string>> PutPartAsync(PartRecord part, CancellationToken cancellationToken);
    Task<IReadOnlyList<PartRecord>> ListPartsAsync(string uploadId, int afterPartNumber, int limit,
        CancellationToken cancellationToken);
    /// <summary>Uploads of a bucket with the prefix, by key then upload id, after the markers.</summary>
    Task<IReadOnlyList<UploadRecord>> ListUploadsAsync(string bucket, string prefix, string afterKey,
        string afterUploadId, int limit, CancellationToken cancellationToken);
    /// <summary>Turns the upload into <paramref name="version"/> (whose segments are the chosen
    /// parts' blobs) and removes the upload and all its parts, in one transaction.</summary>
    /// <returns>Blobs of the parts not used and of a replaced null version, and the sequence the
    /// store gave the version.</returns>
    /// <exception cref="MissingUploadException"/>
    Task<(IReadOnlyList<string> FreedBlobs, long Sequence)> CompleteUploadAsync(string uploadId,
        ObjectVersionRecord version, CancellationToken cancellationToken);
    /// <returns>Blobs of the upload's parts.</returns>
    /// <exception cref="MissingUploadException"/>
    Task<IReadOnlyList<string>> AbortUploadAsync(string uploadId, CancellationToken cancellationToken);

    /// <summary>Every blob id referenced by a version or a part (for the orphan sweep).</summary>
    Task<IReadOnlySet<string>> ReferencedBlobsAsync(CancellationToken cancellationToken);
}
