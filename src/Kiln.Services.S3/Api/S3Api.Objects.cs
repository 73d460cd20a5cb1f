using System.Globalization;
using Kiln.Core;
using Kiln.Model.S3;
using Kiln.Services.S3.Domain;
using Kiln.Services.S3.Storage;

namespace Kiln.Services.S3.Api;

internal sealed partial class S3Api
{
    public override async Task<PutObjectOutput> PutObjectAsync(PutObjectRequest input, RequestContext context)
    {
        var write = new ObjectWrite
        {
            Content = ContentOf(input.ContentType, input.ContentEncoding, input.ContentDisposition, input.ContentLanguage,
                input.CacheControl, input.Expires, input.WebsiteRedirectLocation),
            Metadata = input.Metadata,
            Tagging = input.Tagging,
            StorageClass = input.StorageClass,
            ContentMd5 = input.ContentMD5,
            ChecksumAlgorithm = input.ChecksumAlgorithm,
            Checksums = Checksums(input.ChecksumCRC32, input.ChecksumCRC32C, input.ChecksumSHA1, input.ChecksumSHA256),
            Trailers = Trailers(context),
            DeclaredLength = context.DecodedContentLength ?? input.ContentLength,
            ServerSideEncryption = input.ServerSideEncryption,
            SseKmsKeyId = input.SSEKMSKeyId,
            SseKmsContext = input.SSEKMSEncryptionContext,
            BucketKeyEnabled = input.BucketKeyEnabled,
            CustomerKey = CustomerKey(input.SSECustomerAlgorithm, input.SSECustomerKey, input.SSECustomerKeyMD5, context),
            Caller = context,
        };
        var acl = await objects.ResolveNewObjectAclAsync(context.AccountId, Required(input.Bucket, "Bucket"),
            AclOf(input.ACL, null, input.GrantFullControl, input.GrantRead, input.GrantReadACP, null, input.GrantWriteACP),
            context.Aborted).ConfigureAwait(false);
        var version = await objects.PutObjectAsync(context.AccountId, Required(input.Bucket, "Bucket"),
            Required(input.Key, "Key"), input.Body ?? Stream.Null, write, context.Aborted).ConfigureAwait(false);
        if (acl is not null)
        {
            objects.StoreNewObjectAcl(acl, version);
        }

        return new PutObjectOutput
        {
            ETag = Quote(version.ETag),
            VersionId = WireVersion(version.VersionId),
            ServerSideEncryption = version.ServerSideEncryption,
            SSEKMSKeyId = version.Encryption?.KmsKeyArn,
            SSEKMSEncryptionContext = version.Encryption?.KmsContextHeader,
            BucketKeyEnabled = BucketKey(version.Encryption),
            SSECustomerAlgorithm = version.Encryption?.CustomerAlgorithm,
            SSECustomerKeyMD5 = version.Encryption?.CustomerKeyMd5,
            ChecksumCRC32 = version.Checksums.GetValueOrDefault(ChecksumNames.Crc32),
            ChecksumCRC32C = version.Checksums.GetValueOrDefault(ChecksumNames.Crc32C),
            ChecksumSHA1 = version.Checksums.GetValueOrDefault(ChecksumNames.Sha1),
            ChecksumSHA256 = version.Checksums.GetValueOrDefault(ChecksumNames.Sha256),
        };
    }

    private static ContentHeaders ContentOf(string? type, string? encoding, string? disposition, string? language,
        string? cacheControl, DateTimeOffset? expires, string? redirect) => new()
    {
        ContentType = type,
        ContentEncoding = encoding,
        ContentDisposition = disposition,
        ContentLanguage = language,
        CacheControl = cacheControl,
        Expires = expires,
        WebsiteRedirectLocation = redirect,
    };

    public override async Task<GetObjectOutput> GetObjectAsync(GetObjectRequest input, RequestContext context)
    {
        var (read, checksums) = await ReadAsync(input.Bucket, input.Key, input.VersionId, input.Range,
            new Conditions(input.IfMatch, input.IfNoneMatch, input.IfModifiedSince, input.IfUnmodifiedSince),
            input.ChecksumMode, CustomerKey(input.SSECustomerAlgorithm, input.SSECustomerKey, input.SSECustomerKeyMD5, context),
            withBody: true, context).ConfigureAwait(false);
        var v = read.Version;
        if (read.NotModified)
        {
            return new GetObjectOutput { ETag = Quote(v.ETag), LastModified = v.LastModified, VersionId = WireVersion(v.VersionId) };
        }

        return new GetObjectOutput
        {
            Body = read.Body,
            AcceptRanges = "bytes",
            LastModified = v.LastModified,
            ContentLength = read.Length,
            ContentRange = read.Partial ? ContentRange(read) : null,
            ETag = Quote(v.ETag),
            VersionId = WireVersion(v.VersionId),
            CacheControl = input.ResponseCacheControl ?? v.Content.CacheControl,
            ContentDisposition = input.ResponseContentDisposition ?? v.Content.ContentDisposition,
            ContentEncoding = input.ResponseContentEncoding ?? v.Content.ContentEncoding,
            ContentLanguage = input.ResponseContentLanguage ?? v.Content.ContentLanguage,
            ContentType = input.ResponseContentType ?? v.Content.ContentType ?? "binary/octet-stream",
            Expires = input.ResponseExpires ?? v.Content.Expires,
            WebsiteRedirectLocation = v.Content.WebsiteRedirectLocation,
            ServerSideEncryption = v.ServerSideEncryption,
            SSEKMSKeyId = v.Encryption?.KmsKeyArn,
            BucketKeyEnabled = BucketKey(v.Encryption),
            SSECustomerAlgorithm = v.Encryption?.CustomerAlgorithm,
            SSECustomerKeyMD5 = v.Encryption?.CustomerKeyMd5,
            Metadata = v.Metadata.Count > 0 ? new Dictionary<string, string>(v.Metadata) : null,
            StorageClass = v.StorageClass == "STANDARD" ? null : v.StorageClass,
            Restore = objects.RestoreHeader(v),
            PartsCount = v.PartsCount,
            TagCount = v.Tags.Count > 0 ? v.Tags.Count : null,
            ChecksumCRC32 = checksums.GetValueOrDefault(ChecksumNames.Crc32),
            ChecksumCRC32C = checksums.GetValueOrDefault(ChecksumNames.Crc32C),
            ChecksumSHA1 = checksums.GetValueOrDefault(ChecksumNames.Sha1),
            ChecksumSHA256 = checksums.GetValueOrDefault(ChecksumNames.Sha256),
        };
    }

    /// <summary>The read GetObject and HeadObject share: the success status (304 when a condition
    /// says not modified, 206 for a range) and the checksums to return. A checksum covers the whole
    /// object, so a ranged read carries none (as S3 answers).</summary>
    private async Task<(ObjectRead Read, IReadOnlyDictionary<string, string> Checksums)> ReadAsync(string? bucket,
        string? key, string? versionId, string? range, Conditions conditions, string? checksumMode,
        CustomerKeyHeaders? customerKey, bool withBody, RequestContext context)
    {
        var read = await objects.GetObjectAsync(context.AccountId, Required(bucket, "Bucket"), Required(key, "Key"),
            versionId, range, conditions, withBody, new ObjectKeys(customerKey, context), context.Aborted).ConfigureAwait(false);
        context.ResponseStatusCode = read.NotModified ? 304 : read.Partial ? 206 : null;
        var checksums = string.Equals(checksumMode, "ENABLED", StringComparison.OrdinalIgnoreCase) && !read.Partial
            ? read.Version.Checksums
            : s_noChecksums;
        return (read, checksums);
    }

    private static readonly IReadOnlyDictionary<string, string> s_noChecksums = new Dictionary<string, string>();

    private static string ContentRange(ObjectRead read) => string.Create(CultureInfo.InvariantCulture,
        $"bytes {read.Start}-{read.Start + read.Length - 1}/{read.Version.Size}");

    public override async Task<HeadObjectOutput> HeadObjectAsync(HeadObjectRequest input, RequestContext context)
    {
        var (read, checksums) = await ReadAsync(input.Bucket, input.Key, input.VersionId, input.Range,
            new Conditions(input.IfMatch, input.IfNoneMatch, input.IfModifiedSince, input.IfUnmodifiedSince),
            input.ChecksumMode, CustomerKey(input.SSECustomerAlgorithm, input.SSECustomerKey, input.SSECustomerKeyMD5, context),
            withBody: false, context).ConfigureAwait(false);
        var v = read.Version;
        if (read.NotModified)
        {
            return new HeadObjectOutput { ETag = Quote(v.ETag), LastModified = v.LastModified, VersionId = WireVersion(v.VersionId) };
        }

        return new HeadObjectOutput
        {
            AcceptRanges = "bytes",
            LastModified = v.LastModified,
            ContentLength = read.Length,
            ETag = Quote(v.ETag),
            VersionId = WireVersion(v.VersionId),
            CacheControl = v.Content.CacheControl,
            ContentDisposition = v.Content.ContentDisposition,
            ContentEncoding = v.Content.ContentEncoding,
            ContentLanguage = v.Content.ContentLanguage,
            ContentType = v.Content.ContentType ?? "binary/octet-stream",
            Expires = v.Content.Expires,
            WebsiteRedirectLocation = v.Content.WebsiteRedirectLocation,
            ServerSideEncryption = v.ServerSideEncryption,
            SSEKMSKeyId = v.Encryption?.KmsKeyArn,
            BucketKeyEnabled = BucketKey(v.Encryption),
            SSECustomerAlgorithm = v.Encryption?.CustomerAlgorithm,
            SSECustomerKeyMD5 = v.Encryption?.CustomerKeyMd5,
            Metadata = v.Metadata.Count > 0 ? new Dictionary<string, string>(v.Metadata) : null,
            StorageClass = v.StorageClass == "STANDARD" ? null : v.StorageClass,
            Restore = objects.RestoreHeader(v),
            PartsCount = v.PartsCount,
            ChecksumCRC32 = checksums.GetValueOrDefault(ChecksumNames.Crc32),
            ChecksumCRC32C = checksums.GetValueOrDefault(ChecksumNames.Crc32C),
            ChecksumSHA1 = checksums.GetValueOrDefault(ChecksumNames.Sha1),
            ChecksumSHA256 = checksums.GetValueOrDefault(ChecksumNames.Sha256),
        };
    }

    private static readonly string[] s_objectAttributes = ["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"];

    /// <summary>GetObjectAttributes: HeadObject's metadata as a document, only the attributes asked for
    /// (x-amz-object-attributes). The version is read as HeadObject reads it (delete markers, SSE-C key).
    /// ObjectParts carries the part count; Kiln keeps no per-part checksums to list.</summary>
    public override async Task<GetObjectAttributesOutput> GetObjectAttributesAsync(GetObjectAttributesRequest input,
        RequestContext context)
    {
        var asked = input.ObjectAttributes ?? [];
        if (asked.Count == 0 || asked.Any(a => !s_objectAttributes.Contains(a, StringComparer.Ordinal)))
        {
            throw S3Errors.InvalidArgument("Invalid attribute name specified.", "x-amz-object-attributes",
                string.Join(',', asked));
        }

        var read = await objects.GetObjectAsync(context.AccountId, Required(input.Bucket, "Bucket"), Required(input.Key, "Key"),
            input.VersionId, null, Conditions.None, withBody: false,
            new ObjectKeys(CustomerKey(input.SSECustomerAlgorithm, input.SSECustomerKey, input.SSECustomerKeyMD5, context), context),
            context.Aborted).ConfigureAwait(false);
        var v = read.Version;
        var checksums = v.Checksums;
        return new GetObjectAttributesOutput
        {
            LastModified = v.LastModified,
            VersionId = WireVersion(v.VersionId),
            ETag = asked.Contains("ETag") ? v.ETag : null,
            Checksum = asked.Contains("Checksum") && checksums.Count > 0
                ? new Checksum
                {
                    ChecksumCRC32 = checksums.GetValueOrDefault(ChecksumNames.Crc32),
                    ChecksumCRC32C = checksums.GetValueOrDefault(ChecksumNames.Crc32C),
                    ChecksumSHA1 = checksums.GetValueOrDefault(ChecksumNames.Sha1),
                    ChecksumSHA256 = checksums.GetValueOrDefault(ChecksumNames.Sha256),
                }
                : null,
            ObjectParts = asked.Contains("ObjectParts") && v.PartsCount is { } parts
                ? new GetObjectAttributesParts { TotalPartsCount = parts }
                : null,
            StorageClass = asked.Contains("StorageClass") ? v.StorageClass : null,
            ObjectSize = asked.Contains("ObjectSize") ? v.Size : null,
        };
    }

    public override async Task<DeleteObjectOutput> DeleteObjectAsync(DeleteObjectRequest input, RequestContext context)
    {
        var result = await objects.DeleteObjectAsync(context.AccountId, Required(input.Bucket, "Bucket"),
            Required(input.Key, "Key"), input.VersionId, context.Aborted).ConfigureAwait(false);
        return new DeleteObjectOutput
        {
            DeleteMarker = result.DeleteMarker ? true : null,
            VersionId = result.VersionId is { } id ? WireVersion(id) ?? (input.VersionId is null ? null : id) : null,
        };
    }

    public override async Task<DeleteObjectsOutput> DeleteObjectsAsync(DeleteObjectsRequest input, RequestContext context)
    {
        var delete = input.Delete ?? throw S3Errors.MalformedXml();
        var keys = (delete.Objects ?? []).Select(o => (o.Key ?? "", o.VersionId)).ToList();
        // Each key was authorized on its own (ActionMap, Mode.PerItem): the refused ones come back as errors.
        var results = await objects.DeleteObjectsAsync(context.AccountId, Required(input.Bucket, "Bucket"), keys,
            context.DeniedItems, context.Aborted).ConfigureAwait(false);
        var output = new DeleteObjectsOutput { Deleted = [], Errors = [] };
        foreach (var (key, versionId, result, error) in results)
        {
            if (error is not null)
            {
                output.Errors.Add(new Error { Key = key, VersionId = versionId, Code = error.Code, Message = error.Message });
            }
            else if (delete.Quiet != true)
            {
                // Quiet mode reports only the failures.
                output.Deleted.Add(new DeletedObject
                {
                    Key = key,
                    VersionId = versionId,
                    DeleteMarker = result!.DeleteMarker ? true : null,
                    DeleteMarkerVersionId = result.DeleteMarker && versionId is null ? result.VersionId : null,
                });
            }
        }

        return output;
    }

    public override async Task<CopyObjectOutput> CopyObjectAsync(CopyObjectRequest input, RequestContext context)
    {
        var (sourceBucket, sourceKey, sourceVersion) = ParseCopySource(Required(input.CopySource, "CopySource"));
        var replaceMetadata = Directive(input.MetadataDirective, "MetadataDirective");
        var replaceTags = Directive(input.TaggingDirective, "TaggingDirective");
        var write = new ObjectWrite
        {
            Content = ContentOf(input.ContentType, input.ContentEncoding, input.ContentDisposition, input.ContentLanguage,
                input.CacheControl, input.Expires, input.WebsiteRedirectLocation),
            Metadata = input.Metadata,
            Tagging = input.Tagging,
            StorageClass = input.StorageClass,
            ChecksumAlgorithm = input.ChecksumAlgorithm,
            ServerSideEncryption = input.ServerSideEncryption,
            SseKmsKeyId = input.SSEKMSKeyId,
            SseKmsContext = input.SSEKMSEncryptionContext,
            BucketKeyEnabled = input.BucketKeyEnabled,
            CustomerKey = CustomerKey(input.SSECustomerAlgorithm, input.SSECustomerKey, input.SSECustomerKeyMD5, context),
            Caller = context,
        };
        var sourceKeys = new ObjectKeys(CustomerKey(input.CopySourceSSECustomerAlgorithm, input.CopySourceSSECustomerKey,
            input.CopySourceSSECustomerKeyMD5, context), context);
        var (source, copy) = await objects.CopyObjectAsync(context.AccountId, sourceBucket, sourceKey, sourceVersion,
            new Conditions(input.CopySourceIfMatch, input.CopySourceIfNoneMatch, input.CopySourceIfModifiedSince,
                input.CopySourceIfUnmodifiedSince),
            Required(input.Bucket, "Bucket"), Required(input.Key, "Key"), replaceMetadata, replaceTags, write, sourceKeys,
            context.Aborted).ConfigureAwait(false);
        return new CopyObjectOutput
        {
            CopyObjectResult = new CopyObjectResult
            {
                ETag = Quote(copy.ETag),
                LastModified = copy.LastModified,
                ChecksumCRC32 = copy.Checksums.GetValueOrDefault(ChecksumNames.Crc32),
                ChecksumCRC32C = copy.Checksums.GetValueOrDefault(ChecksumNames.Crc32C),
                ChecksumSHA1 = copy.Checksums.GetValueOrDefault(ChecksumNames.Sha1),
                ChecksumSHA256 = copy.Checksums.GetValueOrDefault(ChecksumNames.Sha256),
            },
            VersionId = WireVersion(copy.VersionId),
            ServerSideEncryption = copy.ServerSideEncryption,
            SSEKMSKeyId = copy.Encryption?.KmsKeyArn,
            SSEKMSEncryptionContext = copy.Encryption?.KmsContextHeader,
            BucketKeyEnabled = BucketKey(copy.Encryption),
            SSECustomerAlgorithm = copy.Encryption?.CustomerAlgorithm,
            SSECustomerKeyMD5 = copy.Encryption?.CustomerKeyMd5,
            CopySourceVersionId = WireVersion(source.VersionId),
        };
    }

    /// <summary>The SSE-C headers of a request, or null when it sent none. S3 takes SSE-C only over
    /// HTTPS; Kiln also takes it over plain HTTP from loopback, where the key crosses no network
    /// (Kiln serves loopback HTTP; README, Encryption).</summary>
    private static CustomerKeyHeaders? CustomerKey(string? algorithm, string? key, string? keyMd5, RequestContext context)
    {
        if (algorithm is null && key is null && keyMd5 is null)
        {
            return null;
        }

        if (!context.SecureTransport && !IsLoopback(context.SourceIp))
        {
            throw S3Errors.SseCustomerInsecure();
        }

        return new CustomerKeyHeaders(algorithm, key, keyMd5);
    }

    private static bool IsLoopback(string? ip) =>
        System.Net.IPAddress.TryParse(ip, out var address) &&
        System.Net.IPAddress.IsLoopback(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);

    /// <summary>x-amz-server-side-encryption-bucket-key-enabled is sent only when true.</summary>
    private static bool? BucketKey(ObjectEncryption? encryption) => encryption?.BucketKeyEnabled == true ? true : null;

    private static bool Directive(string? value, string name) => value switch
    {
        null or "COPY" => false,
        "REPLACE" => true,
        _ => throw S3Errors.InvalidArgument($"Unknown {name}", name, value),
    };

    /// <summary>x-amz-copy-source: "bucket/key" or "/bucket/key", URL-encoded, optionally
    /// followed by "?versionId=...".</summary>
    internal static (string Bucket, string Key, string? VersionId) ParseCopySource(string header)
    {
        var value = header;
        string? versionId = null;
        var q = value.IndexOf("?versionId=", StringComparison.Ordinal);
        if (q >= 0)
        {
            versionId = Uri.UnescapeDataString(value[(q + "?versionId=".Length)..]);
            value = value[..q];
        }

        value = Uri.UnescapeDataString(value).TrimStart('/');
        var slash = value.IndexOf('/');
        if (slash <= 0 || slash == value.Length - 1)
        {
            throw S3Errors.InvalidArgument("Invalid copy source object key", "x-amz-copy-source", header);
        }

        return (value[..slash], value[(slash + 1)..], versionId);
    }

    public override async Task<PutObjectTaggingOutput> PutObjectTaggingAsync(PutObjectTaggingRequest input,
        RequestContext context)
    {
        var versionId = await objects.SetObjectTagsAsync(context.AccountId, Required(input.Bucket, "Bucket"),
            Required(input.Key, "Key"), input.VersionId, DomainTags(input.Tagging?.TagSet ?? throw S3Errors.MalformedXml()),
            context.Aborted).ConfigureAwait(false);
        return new PutObjectTaggingOutput { VersionId = WireVersion(versionId) };
    }

    public override async Task<GetObjectTaggingOutput> GetObjectTaggingAsync(GetObjectTaggingRequest input,
        RequestContext context)
    {
        var version = await objects.GetObjectTagsAsync(context.AccountId, Required(input.Bucket, "Bucket"),
            Required(input.Key, "Key"), input.VersionId, context.Aborted).ConfigureAwait(false);
        return new GetObjectTaggingOutput { VersionId = WireVersion(version.VersionId), TagSet = WireTags(version.Tags) };
    }

    public override async Task<DeleteObjectTaggingOutput> DeleteObjectTaggingAsync(DeleteObjectTaggingRequest input,
        RequestContext context)
    {
        var versionId = await objects.SetObjectTagsAsync(context.AccountId, Required(input.Bucket, "Bucket"),
            Required(input.Key, "Key"), input.VersionId, [], context.Aborted).ConfigureAwait(false);
        return new DeleteObjectTaggingOutput { VersionId = WireVersion(versionId) };
    }
}
