using System.Security.Cryptography;
using Kiln.Services.S3.Storage;

namespace Kiln.Services.S3.Domain;

public sealed partial class ObjectService
{
    public const int MaxPartNumber = 10_000;

    public async Task<UploadRecord> CreateUploadAsync(string account, string bucketName, string key, ObjectWrite write,
        CancellationToken cancellationToken, AclInput? acl = null)
    {
        var bucket = await GetBucketAsync(account, bucketName, cancellationToken).ConfigureAwait(false);
        Rules.CheckKey(key);
        var metadata = Rules.Metadata(write.Metadata);
        var tags = Rules.ParseTagging(write.Tagging);
        var storageClass = Rules.StorageClass(write.StorageClass);
        var grants = acl is null
            ? null
            : await ResolveNewObjectAclAsync(account, bucketName, acl, cancellationToken).ConfigureAwait(false);
        // One object key per upload (a KMS data key, or the customer's key), made now: every part's
        // own data key is wrapped under it, so UploadPart needs kms:Decrypt, as in S3.
        var (encryption, keying, objectKey) = await NewObjectKeyAsync(account, bucket, key, write, cancellationToken)
            .ConfigureAwait(false);
        objectKey.Dispose();
        var upload = new UploadRecord
        {
            UploadId = Rules.NewUploadId(),
            Bucket = bucketName,
            Key = key,
            Initiated = clock.UtcNow,
            OwnerAccountId = account,
            Content = write.Content,
            Metadata = metadata,
            Tags = tags,
            StorageClass = storageClass,
            ChecksumAlgorithm = write.ChecksumAlgorithm?.ToUpperInvariant(),
            ServerSideEncryption = encryption,
            Encryption = keying,
            Acl = grants?.Grants,
        };
        try
        {
            await store.CreateUploadAsync(upload, cancellationToken).ConfigureAwait(false);
        }
        catch (MissingBucketException)
        {
            throw S3Errors.NoSuchBucket(bucketName);
        }

        return upload;
    }

    private async Task<UploadRecord> FindUploadAsync(string account, string bucketName, string key, string uploadId,
        CancellationToken cancellationToken)
    {
        await GetBucketAsync(account, bucketName, cancellationToken).ConfigureAwait(false);
        var upload = await store.GetUploadAsync(uploadId, cancellationToken).ConfigureAwait(false);
        return upload is not null && upload.Bucket == bucketName && upload.Key == key
            ? upload
            : throw S3Errors.NoSuchUpload(uploadId);
    }

    public async Task<PartRecord> UploadPartAsync(string account, string bucketName, string key, string uploadId,
        int partNumber, Stream body, ObjectWrite write, CancellationToken cancellationToken) =>
        (await WritePartAsync(account, bucketName, key, uploadId, partNumber, body, write, cancellationToken)
            .ConfigureAwait(false)).Part;

    /// <summary>UploadPart, returning the upload too (its encryption is the part's). An SSE-C upload
    /// needs its key again; an SSE-KMS upload's key is decrypted by KMS as the caller.</summary>
    public async Task<(UploadRecord Upload, PartRecord Part)> WritePartAsync(string account, string bucketName, string key,
        string uploadId, int partNumber, Stream body, ObjectWrite write, CancellationToken cancellationToken)
    {
        if (partNumber is < 1 or > MaxPartNumber)
        {
            throw S3Errors.InvalidPartNumber();
        }

        var upload = await FindUploadAsync(account, bucketName, key, uploadId, cancellationToken).ConfigureAwait(false);
        if (write.DeclaredLength > limits.MaxObjectSize)
        {
            throw S3Errors.EntityTooLarge(limits.MaxObjectSize);
        }

        BlobWrite blob;
        BlobSegment segment;
        using (var objectKey = await OpenObjectKeyAsync(account, upload.Encryption,
                   new ObjectKeys(write.CustomerKey, write.Caller), KeyUse.Part, cancellationToken).ConfigureAwait(false))
        {
            (blob, segment) = await WriteCheckedAsync(body,
                write with { ChecksumAlgorithm = write.ChecksumAlgorithm ?? upload.ChecksumAlgorithm },
                limits.MaxObjectSize, objectKey, cancellationToken).ConfigureAwait(false);
        }

        var part = new PartRecord
        {
            UploadId = uploadId,
            PartNumber = partNumber,
            ETag = Convert.ToHexStringLower(blob.Md5),
            Size = blob.Size,
            LastModified = clock.UtcNow,
            Blob = segment,
            Checksums = blob.Checksums,
        };
        try
        {
            Free(await store.PutPartAsync(part, CancellationToken.None).ConfigureAwait(false));
        }
        catch (MissingUploadException)
        {
            blobs.Delete(blob.BlobId);
            throw S3Errors.NoSuchUpload(uploadId);
        }

        return (upload, part);
    }

    /// <summary>UploadPartCopy: a byte range of an existing object (decrypted, re-sealed under the
    /// part's own key) becomes a part.</summary>
    /// <param name="range">x-amz-copy-source-range, "bytes=first-last", or null for the whole source.</param>
    public async Task<(ObjectVersionRecord Source, PartRecord Part)> UploadPartCopyAsync(string account,
        string sourceBucket, string sourceKey, string? sourceVersionId, string? range, Conditions sourceConditions,
        string bucketName, string key, string uploadId, int partNumber, CancellationToken cancellationToken)
    {
        var (source, _, part) = await CopyPartAsync(account, sourceBucket, sourceKey, sourceVersionId, range,
            sourceConditions, bucketName, key, uploadId, partNumber, ObjectKeys.None, ObjectKeys.None, cancellationToken)
            .ConfigureAwait(false);
        return (source, part);
    }

    /// <summary>UploadPartCopy with keys: <paramref name="sourceKeys"/> opens the source (SSE-C
    /// copy-source key, KMS caller), <paramref name="uploadKeys"/> the upload (its SSE-C key).</summary>
    public async Task<(ObjectVersionRecord Source, UploadRecord Upload, PartRecord Part)> CopyPartAsync(string account,
        string sourceBucket, string sourceKey, string? sourceVersionId, string? range, Conditions sourceConditions,
        string bucketName, string key, string uploadId, int partNumber, ObjectKeys sourceKeys, ObjectKeys uploadKeys,
        CancellationToken cancellationToken)
    {
        if (partNumber is < 1 or > MaxPartNumber)
        {
            throw S3Errors.InvalidPartNumber();
        }

        var upload = await FindUploadAsync(account, bucketName, key, uploadId, cancellationToken).ConfigureAwait(false);
        var source = await FindVersionAsync(account, sourceBucket, sourceKey, sourceVersionId, cancellationToken)
            .ConfigureAwait(false);
        Evaluate(source, sourceConditions, forCopy: true);
        CheckReadable(source);
        var (start, length) = CopyRange(range, source.Size);
        BlobWrite blob;
        BlobSegment segment;
        using (var sourceObjectKey = await OpenObjectKeyAsync(account, source.Encryption, sourceKeys, KeyUse.CopySource,
                   cancellationToken).ConfigureAwait(false))
        using (var objectKey = await OpenObjectKeyAsync(account, upload.Encryption, uploadKeys, KeyUse.Part,
                   cancellationToken).ConfigureAwait(false))
        await using (var reader = OpenRange(source, start, length, sourceObjectKey))
        {
            (blob, segment) = await WriteSealedAsync(reader, ChecksumAlgorithms.None, limits.MaxObjectSize, objectKey,
                cancellationToken).ConfigureAwait(false);
        }

        var part = new PartRecord
        {
            UploadId = uploadId,
            PartNumber = partNumber,
            ETag = Convert.ToHexStringLower(blob.Md5),
            Size = blob.Size,
            LastModified = clock.UtcNow,
            Blob = segment,
        };
        try
        {
            Free(await store.PutPartAsync(part, CancellationToken.None).ConfigureAwait(false));
        }
        catch (MissingUploadException)
        {
            blobs.Delete(blob.BlobId);
            throw S3Errors.NoSuchUpload(uploadId);
        }

        return (source, upload, part);
    }

    private static (long Start, long Length) CopyRange(string? range, long size)
    {
        if (range is null)
        {
            return (0, size);
        }

        var parts = range.StartsWith("bytes=", StringComparison.Ordinal) ? range[6..].Split('-') : [];
        if (parts.Length != 2 ||
            !long.TryParse(parts[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var first) ||
            !long.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var last) ||
            last < first)
        {
            throw S3Errors.InvalidArgument(
                "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy",
                "x-amz-copy-source-range", range);
        }

        if (last >= size)
        {
            throw S3Errors.InvalidArgument($"Range specified is not valid for source object of size: {size}",
                "x-amz-copy-source-range", range);
        }

        return (first, last - first + 1);
    }

    /// <summary>Validates the part list and turns the upload into an object without copying bytes:
    /// the object's segments are the chosen parts' blobs. ETag: MD5 of the parts' binary MD5s, "-N".</summary>
    public async Task<ObjectVersionRecord> CompleteUploadAsync(string account, string bucketName, string key,
        string uploadId, IReadOnlyList<(int PartNumber, string ETag)> requested, CancellationToken cancellationToken)
    {
        var upload = await FindUploadAsync(account, bucketName, key, uploadId, cancellationToken).ConfigureAwait(false);
        var bucket = await GetBucketAsync(account, bucketName, cancellationToken).ConfigureAwait(false);
        if (requested.Count == 0)
        {
            throw S3Errors.MalformedXml();
        }

        for (var i = 1; i < requested.Count; i++)
        {
            if (requested[i].PartNumber <= requested[i - 1].PartNumber)
            {
                throw S3Errors.InvalidPartOrder(uploadId);
            }
        }

        var stored = new Dictionary<int, PartRecord>();
        var after = 0;
        while (true)
        {
            var page = await store.ListPartsAsync(uploadId, after, 1000, cancellationToken).ConfigureAwait(false);
            foreach (var p in page)
            {
                stored[p.PartNumber] = p;
                after = p.PartNumber;
            }

            if (page.Count < 1000)
            {
                break;
            }
        }

        var chosen = new List<PartRecord>(requested.Count);
        foreach (var (number, etag) in requested)
        {
            if (!stored.TryGetValue(number, out var part) || part.ETag != Rules.Unquote(etag))
            {
                throw S3Errors.InvalidPart(uploadId, number, etag);
            }

            chosen.Add(part);
        }

        for (var i = 0; i < chosen.Count - 1; i++)
        {
            if (chosen[i].Size < limits.MinPartSize)
            {
                throw S3Errors.EntityTooSmall(chosen[i].Size, limits.MinPartSize, chosen[i].PartNumber,
                    chosen[i].ETag);
            }
        }

        var md5s = new byte[16 * chosen.Count];
        for (var i = 0; i < chosen.Count; i++)
        {
            Convert.FromHexString(chosen[i].ETag).CopyTo(md5s, 16 * i);
        }

        var version = new ObjectVersionRecord
        {
            Bucket = bucketName,
            Key = key,
            VersionId = NewVersionIdFor(bucket),
            Size = chosen.Sum(p => p.Size),
            ETag = $"{Convert.ToHexStringLower(MD5.HashData(md5s))}-{chosen.Count}",
            Content = upload.Content,
            Metadata = upload.Metadata,
            Tags = upload.Tags,
            StorageClass = upload.StorageClass,
            LastModified = clock.UtcNow,
            OwnerAccountId = account,
            Segments = chosen.Select(p => p.Blob).ToList(),
            PartsCount = chosen.Count,
            ServerSideEncryption = upload.ServerSideEncryption,
            Encryption = upload.Encryption,
        };
        IReadOnlyList<string> freed;
        long sequence;
        try
        {
            (freed, sequence) = await store.CompleteUploadAsync(uploadId, version, CancellationToken.None)
                .ConfigureAwait(false);
        }
        catch (MissingUploadException)
        {
            throw S3Errors.NoSuchUpload(uploadId);
        }
        catch (MissingBucketException)
        {
            throw S3Errors.NoSuchBucket(bucketName);
        }

        Free(freed);
        version = version with { IsLatest = true, Sequence = sequence };
        if (upload.Acl is { } grants)
        {
            StoreObjectAcl(bucket, version, grants);
        }

        return version;
    }

    public async Task AbortUploadAsync(string account, string bucketName, string key, string uploadId,
        CancellationToken cancellationToken)
    {
        await FindUploadAsync(account, bucketName, key, uploadId, cancellationToken).ConfigureAwait(false);
        try
        {
            Free(await store.AbortUploadAsync(uploadId, CancellationToken.None).ConfigureAwait(false));
        }
        catch (MissingUploadException)
        {
            throw S3Errors.NoSuchUpload(uploadId);
        }
    }

    public async Task<PartListResult> ListPartsAsync(string account, string bucketName, string key, string uploadId,
        int afterPartNumber, int maxParts, CancellationToken cancellationToken)
    {
        var upload = await FindUploadAsync(account, bucketName, key, uploadId, cancellationToken).ConfigureAwait(false);
        var page = await store.ListPartsAsync(uploadId, afterPartNumber, maxParts + 1, cancellationToken)
            .ConfigureAwait(false);
        var truncated = page.Count > maxParts;
        var parts = truncated ? page.Take(maxParts).ToList() : page;
        return new PartListResult(upload, parts, truncated, parts.Count > 0 ? parts[^1].PartNumber : null);
    }

    public async Task<UploadListResult> ListUploadsAsync(string account, string bucketName, string prefix,
        string? delimiter, string? keyMarker, string? uploadIdMarker, int maxUploads, CancellationToken cancellationToken)
    {
        await GetBucketAsync(account, bucketName, cancellationToken).ConfigureAwait(false);
        var afterKey = keyMarker ?? "";
        // Without an upload-id marker, the key marker excludes every upload of that key.
        var afterUpload = string.IsNullOrEmpty(uploadIdMarker) ? AfterAll : uploadIdMarker;
        var uploads = new List<UploadRecord>();
        var prefixes = new List<string>();
        string? lastPrefix = null;
        UploadRecord? lastUpload = null;
        while (true)
        {
            var page = await store.ListUploadsAsync(bucketName, prefix, afterKey, afterUpload, 1001, cancellationToken)
                .ConfigureAwait(false);
            foreach (var u in page)
            {
                (afterKey, afterUpload) = (u.Key, u.UploadId);
                string? rolled = null;
                if (!string.IsNullOrEmpty(delimiter))
                {
                    var at = u.Key.IndexOf(delimiter, prefix.Length, StringComparison.Ordinal);
                    if (at >= 0)
                    {
                        rolled = u.Key[..(at + delimiter.Length)];
                        if (rolled == lastPrefix)
                        {
                            continue;
                        }
                    }
                }

                if (uploads.Count + prefixes.Count >= maxUploads)
                {
                    return new UploadListResult(uploads, prefixes, true, lastUpload?.Key ?? lastPrefix, lastUpload?.UploadId);
                }

                if (rolled is not null)
                {
                    prefixes.Add(rolled);
                    lastPrefix = rolled;
                }
                else
                {
                    uploads.Add(u);
                    lastUpload = u;
                }
            }

            if (page.Count < 1001)
            {
                return new UploadListResult(uploads, prefixes, false, null, null);
            }
        }
    }
}
