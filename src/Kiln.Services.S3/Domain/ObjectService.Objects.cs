using System.Security.Cryptography;
using Kiln.Core.Errors;
using Kiln.Services.S3.Storage;

namespace Kiln.Services.S3.Domain;

public sealed partial class ObjectService
{
    /// <summary>Streams the body into a blob, checks the digests sent with it, then commits the new
    /// version. Returns only when the object is durable.</summary>
    public async Task<ObjectVersionRecord> PutObjectAsync(string account, string bucketName, string key, Stream body,
        ObjectWrite write, CancellationToken cancellationToken)
    {
        var bucket = await GetBucketAsync(account, bucketName, cancellationToken).ConfigureAwait(false);
        Rules.CheckKey(key);
        var tags = Rules.ParseTagging(write.Tagging);
        var metadata = Rules.Metadata(write.Metadata);
        var storageClass = Rules.StorageClass(write.StorageClass);
        if (write.DeclaredLength > limits.MaxObjectSize)
        {
            throw S3Errors.EntityTooLarge(limits.MaxObjectSize);
        }

        var (encryption, keying, objectKey) = await NewObjectKeyAsync(account, bucket, key, write, cancellationToken)
            .ConfigureAwait(false);
        BlobWrite blob;
        BlobSegment segment;
        using (objectKey)
        {
            (blob, segment) = await WriteCheckedAsync(body, write, limits.MaxObjectSize, objectKey, cancellationToken)
                .ConfigureAwait(false);
        }

        var version = new ObjectVersionRecord
        {
            Bucket = bucketName,
            Key = key,
            VersionId = NewVersionIdFor(bucket),
            Size = blob.Size,
            ETag = Convert.ToHexStringLower(blob.Md5),
            Content = write.Content,
            Metadata = metadata,
            Tags = tags,
            StorageClass = storageClass,
            LastModified = clock.UtcNow,
            OwnerAccountId = account,
            Segments = [segment],
            Checksums = blob.Checksums,
            ServerSideEncryption = encryption,
            Encryption = keying,
        };
        return await CommitAsync(version, [blob.BlobId], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes a blob and verifies Content-MD5 and x-amz-checksum-* (headers or trailers);
    /// on any mismatch the blob is deleted before the error is thrown.</summary>
    private async Task<(BlobWrite Blob, BlobSegment Segment)> WriteCheckedAsync(Stream body, ObjectWrite write,
        long maxBytes, ObjectKey objectKey, CancellationToken cancellationToken)
    {
        byte[]? md5 = null;
        if (write.ContentMd5 is { } contentMd5)
        {
            md5 = new byte[16];
            if (!Convert.TryFromBase64String(contentMd5, md5, out var n) || n != 16)
            {
                throw S3Errors.InvalidDigest();
            }
        }

        var algorithms = ChecksumNames.Parse(write.ChecksumAlgorithm);
        foreach (var name in write.Checksums.Keys)
        {
            algorithms |= ChecksumNames.Parse(name);
        }

        BlobWrite blob;
        BlobSegment segment;
        try
        {
            (blob, segment) = await WriteSealedAsync(body, algorithms, maxBytes, objectKey, cancellationToken).ConfigureAwait(false);
        }
        catch (BlobTooLargeException)
        {
            throw S3Errors.EntityTooLarge(maxBytes);
        }

        try
        {
            if (md5 is not null && !md5.AsSpan().SequenceEqual(blob.Md5))
            {
                throw S3Errors.BadDigest();
            }

            var expected = new Dictionary<string, string>(write.Checksums, StringComparer.OrdinalIgnoreCase);
            if (write.Trailers?.Invoke() is { } trailers)
            {
                foreach (var (name, value) in trailers)
                {
                    if (name.StartsWith(S3Wire.ChecksumHeaderPrefix, StringComparison.OrdinalIgnoreCase))
                    {
                        expected[name[S3Wire.ChecksumHeaderPrefix.Length..].ToUpperInvariant()] = value;
                    }
                }
            }

            foreach (var (name, value) in expected)
            {
                if (!blob.Checksums.TryGetValue(name.ToUpperInvariant(), out var actual))
                {
                    // Declared only in a trailer that the algorithm header did not announce.
                    throw S3Errors.InvalidChecksum(name);
                }

                if (!string.Equals(actual, value.Trim(), StringComparison.Ordinal))
                {
                    throw S3Errors.ChecksumMismatch(name.ToUpperInvariant());
                }
            }

            return (blob, segment);
        }
        catch
        {
            blobs.Delete(blob.BlobId);
            throw;
        }
    }

    private async Task<ObjectVersionRecord> CommitAsync(ObjectVersionRecord version, IReadOnlyList<string> newBlobs,
        CancellationToken cancellationToken)
    {
        IReadOnlyList<string> freed;
        long sequence;
        try
        {
            // Committed even if the client has gone: the bytes are durable and the outcome must not
            // depend on when a disconnect is noticed.
            (freed, sequence) = await store.PutVersionAsync(version, CancellationToken.None).ConfigureAwait(false);
        }
        catch (MissingBucketException)
        {
            Free(newBlobs);
            throw S3Errors.NoSuchBucket(version.Bucket);
        }
        catch
        {
            Free(newBlobs);
            throw;
        }

        Free(freed);
        return version with { IsLatest = true, Sequence = sequence };
    }

    private static string NewVersionIdFor(BucketRecord bucket) =>
        bucket.Versioning == VersioningState.Enabled ? Rules.NewVersionId() : ObjectVersionRecord.NullVersionId;

    /// <summary>GET (withBody) or HEAD of an object that needs no SSE-C key, as the service itself.</summary>
    public Task<ObjectRead> GetObjectAsync(string account, string bucketName, string key, string? versionId,
        string? range, Conditions conditions, bool withBody, CancellationToken cancellationToken) =>
        GetObjectAsync(account, bucketName, key, versionId, range, conditions, withBody, ObjectKeys.None, cancellationToken);

    /// <summary>GET (withBody) or HEAD: the version, its SSE-C key, conditions, then the range. A GET
    /// of an SSE-KMS object asks KMS to decrypt its key as the caller; HEAD needs no key from KMS.</summary>
    public async Task<ObjectRead> GetObjectAsync(string account, string bucketName, string key, string? versionId,
        string? range, Conditions conditions, bool withBody, ObjectKeys keys, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var version = await FindVersionAsync(account, bucketName, key, versionId, cancellationToken).ConfigureAwait(false);
            if (withBody)
            {
                // HEAD of an archived object answers (with x-amz-restore); its bytes need a restore.
                CheckReadable(version);
            }

            if (CheckCustomerKey(version.Encryption, keys.CustomerKey, KeyUse.Read) is { } customer)
            {
                CryptographicOperations.ZeroMemory(customer);
            }

            if (Evaluate(version, conditions, forCopy: false))
            {
                return new ObjectRead(version) { NotModified = true };
            }

            var (start, length, partial) = ByteRange.Resolve(range, version.Size);
            if (!withBody)
            {
                return new ObjectRead(version) { Start = start, Length = length, Partial = partial };
            }

            try
            {
                using var objectKey = await OpenObjectKeyAsync(account, version.Encryption, keys, KeyUse.Read, cancellationToken)
                    .ConfigureAwait(false);
                return new ObjectRead(version)
                {
                    Body = OpenRange(version, start, length, objectKey), Start = start, Length = length, Partial = partial,
                };
            }
            catch (FileNotFoundException) when (attempt < 3)
            {
                // A concurrent overwrite freed the blob between the metadata read and the open:
                // read the metadata again and serve the new version.
            }
        }
    }

    /// <summary>The version a read names, with S3's errors for missing keys and delete markers.</summary>
    private async Task<ObjectVersionRecord> FindVersionAsync(string account, string bucketName, string key,
        string? versionId, CancellationToken cancellationToken)
    {
        await GetBucketAsync(account, bucketName, cancellationToken).ConfigureAwait(false);
        if (versionId is not null)
        {
            Rules.CheckVersionId(versionId);
        }

        var version = await store.GetVersionAsync(bucketName, key, versionId, cancellationToken).ConfigureAwait(false);
        if (version is null)
        {
            throw versionId is null ? S3Errors.NoSuchKey(key) : S3Errors.NoSuchVersion(key, versionId);
        }

        if (version.IsDeleteMarker)
        {
            throw versionId is null
                ? S3Errors.NoSuchKeyDeleteMarker(key, version.VersionId)
                : S3Errors.DeleteMarkerNotAllowed(version.VersionId, version.LastModified);
        }

        return version;
    }

    /// <summary>RFC 7232 order as S3 applies it: If-Match, else If-Unmodified-Since (412); then
    /// If-None-Match, else If-Modified-Since (304 for reads, 412 for copy sources).</summary>
    /// <returns>true when the answer is 304 Not Modified.</returns>
    private static bool Evaluate(ObjectVersionRecord version, Conditions c, bool forCopy)
    {
        // HTTP dates have whole seconds.
        var modified = DateTimeOffset.FromUnixTimeSeconds(version.LastModified.ToUnixTimeSeconds());
        if (c.IfMatch is { } ifMatch)
        {
            if (!MatchesAny(ifMatch, version.ETag))
            {
                throw S3Errors.PreconditionFailed(forCopy ? "x-amz-copy-source-If-Match" : "If-Match");
            }
        }
        else if (c.IfUnmodifiedSince is { } since && modified > since)
        {
            throw S3Errors.PreconditionFailed(forCopy ? "x-amz-copy-source-If-Unmodified-Since" : "If-Unmodified-Since");
        }

        var notModified = c.IfNoneMatch is { } ifNoneMatch
            ? MatchesAny(ifNoneMatch, version.ETag)
            : c.IfModifiedSince is { } ims && modified <= ims;
        if (notModified && forCopy)
        {
            throw S3Errors.PreconditionFailed(c.IfNoneMatch is not null
                ? "x-amz-copy-source-If-None-Match"
                : "x-amz-copy-source-If-Modified-Since");
        }

        return notModified;
    }

    private static bool MatchesAny(string header, string etag)
    {
        foreach (var candidate in header.Split(','))
        {
            var value = candidate.Trim();
            if (value == "*" || Rules.Unquote(value) == etag)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A stream over [start, start + length) of the object, across its segments.</summary>
    private Stream OpenRange(ObjectVersionRecord version, long start, long length, ObjectKey objectKey)
    {
        var pieces = new List<BlobPiece>();
        long offset = 0;
        foreach (var segment in version.Segments)
        {
            var segmentEnd = offset + segment.Size;
            var from = Math.Max(start, offset);
            var to = Math.Min(start + length, segmentEnd);
            if (from < to)
            {
                pieces.Add(new BlobPiece(segment.BlobId, from - offset, to - from, DataKeyOf(segment, objectKey), segment.Size));
            }

            offset = segmentEnd;
        }

        var stream = new SegmentedStream(blobs, pieces);
        stream.OpenFirst();
        return stream;
    }

    public async Task<DeleteResult> DeleteObjectAsync(string account, string bucketName, string key, string? versionId,
        CancellationToken cancellationToken)
    {
        var bucket = await GetBucketAsync(account, bucketName, cancellationToken).ConfigureAwait(false);
        if (versionId is not null)
        {
            Rules.CheckVersionId(versionId);
            var (removed, freed) = await store.DeleteVersionAsync(bucketName, key, versionId, CancellationToken.None)
                .ConfigureAwait(false);
            Free(freed);
            return new DeleteResult(versionId, removed?.IsDeleteMarker == true);
        }

        if (bucket.Versioning == VersioningState.Unversioned)
        {
            var (_, freed) = await store.DeleteVersionAsync(bucketName, key, ObjectVersionRecord.NullVersionId,
                CancellationToken.None).ConfigureAwait(false);
            Free(freed);
            return new DeleteResult(null, false);
        }

        var marker = new ObjectVersionRecord
        {
            Bucket = bucketName,
            Key = key,
            VersionId = NewVersionIdFor(bucket),
            IsDeleteMarker = true,
            LastModified = clock.UtcNow,
            OwnerAccountId = account,
            StorageClass = "",
        };
        await CommitAsync(marker, [], cancellationToken).ConfigureAwait(false);
        return new DeleteResult(marker.VersionId, true);
    }

    /// <summary>DeleteObjects: each key on its own; failures are reported per key, not thrown.</summary>
    public Task<IReadOnlyList<(string Key, string? VersionId, DeleteResult? Result, AwsException? Error)>>
        DeleteObjectsAsync(string account, string bucketName, IReadOnlyList<(string Key, string? VersionId)> keys,
            CancellationToken cancellationToken) =>
        DeleteObjectsAsync(account, bucketName, keys, null, cancellationToken);

    /// <summary>DeleteObjects: each key on its own; failures are reported per key, not thrown.</summary>
    /// <param name="denied">The positions in <paramref name="keys"/> the caller may not delete (the
    /// authorize stage decides each key on its own): each is an AccessDenied of its own and is left in place.</param>
    public async Task<IReadOnlyList<(string Key, string? VersionId, DeleteResult? Result, AwsException? Error)>>
        DeleteObjectsAsync(string account, string bucketName, IReadOnlyList<(string Key, string? VersionId)> keys,
            IReadOnlySet<int>? denied, CancellationToken cancellationToken)
    {
        await GetBucketAsync(account, bucketName, cancellationToken).ConfigureAwait(false);
        if (keys.Count is 0 or > 1000)
        {
            throw S3Errors.MalformedXml();
        }

        var results = new List<(string, string?, DeleteResult?, AwsException?)>(keys.Count);
        for (var i = 0; i < keys.Count; i++)
        {
            var (key, versionId) = keys[i];
            if (denied?.Contains(i) == true)
            {
                results.Add((key, versionId, null, S3Errors.AccessDenied()));
                continue;
            }

            try
            {
                results.Add((key, versionId,
                    await DeleteObjectAsync(account, bucketName, key, versionId, cancellationToken).ConfigureAwait(false),
                    null));
            }
            catch (AwsException error)
            {
                results.Add((key, versionId, null, error));
            }
        }

        return results;
    }

    /// <summary>CopyObject: the source's bytes are streamed into a new blob (a copy is a new,
    /// single-part object, so its ETag is the MD5 of the whole).</summary>
    /// <param name="replaceMetadata">MetadataDirective REPLACE: content headers and metadata come from
    /// <paramref name="write"/>; COPY keeps the source's.</param>
    /// <param name="replaceTags">TaggingDirective REPLACE.</param>
    public Task<(ObjectVersionRecord Source, ObjectVersionRecord Copy)> CopyObjectAsync(string account,
        string sourceBucket, string sourceKey, string? sourceVersionId, Conditions sourceConditions,
        string bucketName, string key, bool replaceMetadata, bool replaceTags, ObjectWrite write,
        CancellationToken cancellationToken) =>
        CopyObjectAsync(account, sourceBucket, sourceKey, sourceVersionId, sourceConditions, bucketName, key,
            replaceMetadata, replaceTags, write, ObjectKeys.None, cancellationToken);

    /// <param name="sourceKeys">The source's SSE-C key (x-amz-copy-source-server-side-encryption-customer-*)
    /// and the caller KMS authorizes kms:Decrypt for an SSE-KMS source. The copy's own encryption
    /// comes from <paramref name="write"/>, as for a PUT: a copy does not inherit the source's.</param>
    public async Task<(ObjectVersionRecord Source, ObjectVersionRecord Copy)> CopyObjectAsync(string account,
        string sourceBucket, string sourceKey, string? sourceVersionId, Conditions sourceConditions,
        string bucketName, string key, bool replaceMetadata, bool replaceTags, ObjectWrite write, ObjectKeys sourceKeys,
        CancellationToken cancellationToken)
    {
        var bucket = await GetBucketAsync(account, bucketName, cancellationToken).ConfigureAwait(false);
        Rules.CheckKey(key);
        var source = await FindVersionAsync(account, sourceBucket, sourceKey, sourceVersionId, cancellationToken)
            .ConfigureAwait(false);
        Evaluate(source, sourceConditions, forCopy: true);
        CheckReadable(source);
        if (sourceBucket == bucketName && sourceKey == key && sourceVersionId is null && !replaceMetadata &&
            write.StorageClass is null && write.Content.WebsiteRedirectLocation is null && write.ServerSideEncryption is null &&
            write.CustomerKey is null or { IsEmpty: true } && write.SseKmsKeyId is null &&
            bucket.Versioning == VersioningState.Unversioned)
        {
            throw S3Errors.CopyToItself();
        }

        var tags = replaceTags ? Rules.ParseTagging(write.Tagging) : source.Tags;
        var metadata = replaceMetadata ? Rules.Metadata(write.Metadata) : source.Metadata;
        var content = replaceMetadata ? write.Content : source.Content;
        var storageClass = write.StorageClass is null ? "STANDARD" : Rules.StorageClass(write.StorageClass);
        var algorithms = ChecksumNames.Parse(write.ChecksumAlgorithm);
        foreach (var name in source.Checksums.Keys)
        {
            algorithms |= ChecksumNames.Parse(name);
        }

        BlobWrite blob;
        BlobSegment segment;
        string? encryption;
        ObjectEncryption? keying;
        using (var sourceObjectKey = await OpenObjectKeyAsync(account, source.Encryption, sourceKeys, KeyUse.CopySource,
                   cancellationToken).ConfigureAwait(false))
        {
            (encryption, keying, var objectKey) = await NewObjectKeyAsync(account, bucket, key, write, cancellationToken)
                .ConfigureAwait(false);
            using (objectKey)
            {
                await using var reader = OpenRange(source, 0, source.Size, sourceObjectKey);
                (blob, segment) = await WriteSealedAsync(reader, algorithms, long.MaxValue, objectKey, cancellationToken)
                    .ConfigureAwait(false);
            }
        }

        var copy = new ObjectVersionRecord
        {
            Bucket = bucketName,
            Key = key,
            VersionId = NewVersionIdFor(bucket),
            Size = blob.Size,
            ETag = Convert.ToHexStringLower(blob.Md5),
            Content = content,
            Metadata = metadata,
            Tags = tags,
            StorageClass = storageClass,
            LastModified = clock.UtcNow,
            OwnerAccountId = account,
            Segments = [segment],
            Checksums = blob.Checksums,
            ServerSideEncryption = encryption,
            Encryption = keying,
        };
        return (source, await CommitAsync(copy, [blob.BlobId], cancellationToken).ConfigureAwait(false));
    }

    public async Task<ObjectVersionRecord> GetObjectTagsAsync(string account, string bucketName, string key,
        string? versionId, CancellationToken cancellationToken) =>
        await FindVersionAsync(account, bucketName, key, versionId, cancellationToken).ConfigureAwait(false);

    /// <returns>The version id the tags were set on.</returns>
    public async Task<string> SetObjectTagsAsync(string account, string bucketName, string key, string? versionId,
        IReadOnlyList<ObjectTag> tags, CancellationToken cancellationToken)
    {
        Rules.CheckTags(tags, Rules.MaxObjectTags);
        var version = await FindVersionAsync(account, bucketName, key, versionId, cancellationToken).ConfigureAwait(false);
        if (!await store.SetTagsAsync(bucketName, key, version.VersionId, tags, cancellationToken).ConfigureAwait(false))
        {
            throw versionId is null ? S3Errors.NoSuchKey(key) : S3Errors.NoSuchVersion(key, versionId);
        }

        return version.VersionId;
    }
}
