using Kiln.Core;
using Kiln.Model.S3;
using Kiln.Services.S3.Domain;
using Kiln.Services.S3.Storage;

namespace Kiln.Services.S3.Api;

internal sealed partial class S3Api
{
    public override async Task<CreateMultipartUploadOutput> CreateMultipartUploadAsync(CreateMultipartUploadRequest input,
        RequestContext context)
    {
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
        var upload = await objects.CreateUploadAsync(context.AccountId, Required(input.Bucket, "Bucket"),
            Required(input.Key, "Key"), write, context.Aborted,
            AclOf(input.ACL, null, input.GrantFullControl, input.GrantRead, input.GrantReadACP, null, input.GrantWriteACP))
            .ConfigureAwait(false);
        return new CreateMultipartUploadOutput
        {
            Bucket = upload.Bucket,
            Key = upload.Key,
            UploadId = upload.UploadId,
            ChecksumAlgorithm = upload.ChecksumAlgorithm,
            ServerSideEncryption = upload.ServerSideEncryption,
            SSEKMSKeyId = upload.Encryption?.KmsKeyArn,
            SSEKMSEncryptionContext = upload.Encryption?.KmsContextHeader,
            BucketKeyEnabled = BucketKey(upload.Encryption),
            SSECustomerAlgorithm = upload.Encryption?.CustomerAlgorithm,
            SSECustomerKeyMD5 = upload.Encryption?.CustomerKeyMd5,
        };
    }

    public override async Task<UploadPartOutput> UploadPartAsync(UploadPartRequest input, RequestContext context)
    {
        var write = new ObjectWrite
        {
            ContentMd5 = input.ContentMD5,
            ChecksumAlgorithm = input.ChecksumAlgorithm,
            Checksums = Checksums(input.ChecksumCRC32, input.ChecksumCRC32C, input.ChecksumSHA1, input.ChecksumSHA256),
            Trailers = Trailers(context),
            DeclaredLength = context.DecodedContentLength ?? input.ContentLength,
            CustomerKey = CustomerKey(input.SSECustomerAlgorithm, input.SSECustomerKey, input.SSECustomerKeyMD5, context),
            Caller = context,
        };
        var (upload, part) = await objects.WritePartAsync(context.AccountId, Required(input.Bucket, "Bucket"),
            Required(input.Key, "Key"), Required(input.UploadId, "UploadId"),
            input.PartNumber ?? throw S3Errors.InvalidPartNumber(), input.Body ?? Stream.Null, write, context.Aborted)
            .ConfigureAwait(false);
        return new UploadPartOutput
        {
            ETag = Quote(part.ETag),
            ServerSideEncryption = upload.ServerSideEncryption,
            SSEKMSKeyId = upload.Encryption?.KmsKeyArn,
            BucketKeyEnabled = BucketKey(upload.Encryption),
            SSECustomerAlgorithm = upload.Encryption?.CustomerAlgorithm,
            SSECustomerKeyMD5 = upload.Encryption?.CustomerKeyMd5,
            ChecksumCRC32 = part.Checksums.GetValueOrDefault(ChecksumNames.Crc32),
            ChecksumCRC32C = part.Checksums.GetValueOrDefault(ChecksumNames.Crc32C),
            ChecksumSHA1 = part.Checksums.GetValueOrDefault(ChecksumNames.Sha1),
            ChecksumSHA256 = part.Checksums.GetValueOrDefault(ChecksumNames.Sha256),
        };
    }

    public override async Task<UploadPartCopyOutput> UploadPartCopyAsync(UploadPartCopyRequest input, RequestContext context)
    {
        var (sourceBucket, sourceKey, sourceVersion) = ParseCopySource(Required(input.CopySource, "CopySource"));
        var sourceKeys = new ObjectKeys(CustomerKey(input.CopySourceSSECustomerAlgorithm, input.CopySourceSSECustomerKey,
            input.CopySourceSSECustomerKeyMD5, context), context);
        var uploadKeys = new ObjectKeys(CustomerKey(input.SSECustomerAlgorithm, input.SSECustomerKey, input.SSECustomerKeyMD5,
            context), context);
        var (source, upload, part) = await objects.CopyPartAsync(context.AccountId, sourceBucket, sourceKey, sourceVersion,
            input.CopySourceRange,
            new Conditions(input.CopySourceIfMatch, input.CopySourceIfNoneMatch, input.CopySourceIfModifiedSince,
                input.CopySourceIfUnmodifiedSince),
            Required(input.Bucket, "Bucket"), Required(input.Key, "Key"), Required(input.UploadId, "UploadId"),
            input.PartNumber ?? throw S3Errors.InvalidPartNumber(), sourceKeys, uploadKeys, context.Aborted).ConfigureAwait(false);
        return new UploadPartCopyOutput
        {
            CopySourceVersionId = WireVersion(source.VersionId),
            CopyPartResult = new CopyPartResult { ETag = Quote(part.ETag), LastModified = part.LastModified },
            ServerSideEncryption = upload.ServerSideEncryption,
            SSEKMSKeyId = upload.Encryption?.KmsKeyArn,
            BucketKeyEnabled = BucketKey(upload.Encryption),
            SSECustomerAlgorithm = upload.Encryption?.CustomerAlgorithm,
            SSECustomerKeyMD5 = upload.Encryption?.CustomerKeyMd5,
        };
    }

    public override async Task<CompleteMultipartUploadOutput> CompleteMultipartUploadAsync(
        CompleteMultipartUploadRequest input, RequestContext context)
    {
        var bucket = Required(input.Bucket, "Bucket");
        var key = Required(input.Key, "Key");
        var parts = (input.MultipartUpload?.Parts ?? [])
            .Select(p => (p.PartNumber ?? 0, p.ETag ?? "")).ToList();
        var version = await objects.CompleteUploadAsync(context.AccountId, bucket, key,
            Required(input.UploadId, "UploadId"), parts, context.Aborted).ConfigureAwait(false);
        return new CompleteMultipartUploadOutput
        {
            Location = $"/{bucket}/{Uri.EscapeDataString(key).Replace("%2F", "/", StringComparison.Ordinal)}",
            Bucket = bucket,
            Key = key,
            ETag = Quote(version.ETag),
            VersionId = WireVersion(version.VersionId),
            ServerSideEncryption = version.ServerSideEncryption,
            SSEKMSKeyId = version.Encryption?.KmsKeyArn,
            BucketKeyEnabled = BucketKey(version.Encryption),
        };
    }

    public override async Task<AbortMultipartUploadOutput> AbortMultipartUploadAsync(AbortMultipartUploadRequest input,
        RequestContext context)
    {
        await objects.AbortUploadAsync(context.AccountId, Required(input.Bucket, "Bucket"), Required(input.Key, "Key"),
            Required(input.UploadId, "UploadId"), context.Aborted).ConfigureAwait(false);
        return new AbortMultipartUploadOutput();
    }

    public override async Task<ListPartsOutput> ListPartsAsync(ListPartsRequest input, RequestContext context)
    {
        var maxParts = MaxKeys(input.MaxParts, 1000);
        var result = await objects.ListPartsAsync(context.AccountId, Required(input.Bucket, "Bucket"),
            Required(input.Key, "Key"), Required(input.UploadId, "UploadId"), input.PartNumberMarker ?? 0, maxParts,
            context.Aborted).ConfigureAwait(false);
        var owner = OwnerOf(result.Upload.OwnerAccountId);
        return new ListPartsOutput
        {
            Bucket = result.Upload.Bucket,
            Key = result.Upload.Key,
            UploadId = result.Upload.UploadId,
            PartNumberMarker = input.PartNumberMarker ?? 0,
            NextPartNumberMarker = result.NextPartNumberMarker,
            MaxParts = maxParts,
            IsTruncated = result.IsTruncated,
            StorageClass = result.Upload.StorageClass,
            ChecksumAlgorithm = result.Upload.ChecksumAlgorithm,
            Owner = owner,
            Initiator = new Initiator { ID = owner.ID, DisplayName = owner.DisplayName },
            Parts = result.Parts.Select(p => new Part
            {
                PartNumber = p.PartNumber,
                LastModified = p.LastModified,
                ETag = Quote(p.ETag),
                Size = (int)Math.Min(p.Size, int.MaxValue),
                ChecksumCRC32 = p.Checksums.GetValueOrDefault(ChecksumNames.Crc32),
                ChecksumCRC32C = p.Checksums.GetValueOrDefault(ChecksumNames.Crc32C),
                ChecksumSHA1 = p.Checksums.GetValueOrDefault(ChecksumNames.Sha1),
                ChecksumSHA256 = p.Checksums.GetValueOrDefault(ChecksumNames.Sha256),
            }).ToList(),
        };
    }

    public override async Task<ListMultipartUploadsOutput> ListMultipartUploadsAsync(ListMultipartUploadsRequest input,
        RequestContext context)
    {
        var encode = Encoder(input.EncodingType);
        var bucket = Required(input.Bucket, "Bucket");
        var max = MaxKeys(input.MaxUploads, 1000);
        var result = await objects.ListUploadsAsync(context.AccountId, bucket, input.Prefix ?? "", input.Delimiter,
            input.KeyMarker, input.UploadIdMarker, max, context.Aborted).ConfigureAwait(false);
        return new ListMultipartUploadsOutput
        {
            Bucket = bucket,
            Prefix = encode(input.Prefix ?? ""),
            Delimiter = encode(input.Delimiter),
            KeyMarker = encode(input.KeyMarker ?? ""),
            UploadIdMarker = input.UploadIdMarker ?? "",
            NextKeyMarker = encode(result.NextKeyMarker),
            NextUploadIdMarker = result.NextUploadIdMarker,
            MaxUploads = max,
            EncodingType = input.EncodingType,
            IsTruncated = result.IsTruncated,
            Uploads = result.Uploads.Select(u => new MultipartUpload
            {
                UploadId = u.UploadId,
                Key = encode(u.Key),
                Initiated = u.Initiated,
                StorageClass = u.StorageClass,
                Owner = OwnerOf(u.OwnerAccountId),
                Initiator = new Initiator { ID = u.OwnerAccountId, DisplayName = u.OwnerAccountId },
                ChecksumAlgorithm = u.ChecksumAlgorithm,
            }).ToList(),
            CommonPrefixes = result.CommonPrefixes.Select(p => new CommonPrefix { Prefix = encode(p) }).ToList(),
        };
    }
}
