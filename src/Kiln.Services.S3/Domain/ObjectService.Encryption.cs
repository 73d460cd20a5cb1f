using System.Security.Cryptography;
using Kiln.Core;
using Kiln.Core.Errors;
using Kiln.Services.Kms;
using Kiln.Services.S3.Storage;

namespace Kiln.Services.S3.Domain;

/// <summary>Server-side encryption: which key a new object is sealed under (SSE-S3, SSE-KMS, SSE-C)
/// and how a read gets it back. The layout is in <see cref="ObjectKey"/>.</summary>
public sealed partial class ObjectService
{
    public const string AwsKms = "aws:kms";
    public const string AwsKmsDsse = "aws:kms:dsse";
    /// <summary>The AWS managed key S3 uses when SSE-KMS names no key (alias/aws/s3).</summary>
    public const string ManagedKeyService = "s3";

    private IKmsDataKeys? _kms;
    private readonly DataKeyCache _dataKeys = new();
    // Disposing a master ObjectKey does nothing, so one instance serves every SSE-S3 read.
    private ObjectKey? _masterObjectKey;

    private ObjectKey MasterObjectKey => _masterObjectKey ??= ObjectKey.Master(masterKey);

    /// <summary>KMS for SSE-KMS; null where there is none (SSE-KMS then answers NotImplemented).</summary>
    public IKmsDataKeys? Kms
    {
        get => _kms ??= KmsSource?.Invoke();
        init => _kms = value;
    }

    /// <summary>Finds <see cref="Kms"/> on first use. The host resolves it late because KMS's
    /// authorizer reaches back to S3 (bucket policies), so building both eagerly would be a cycle.</summary>
    public Func<IKmsDataKeys?>? KmsSource { get; init; }

    public async Task SetBucketEncryptionAsync(string account, string name, BucketEncryption? encryption,
        CancellationToken cancellationToken)
    {
        var bucket = await GetBucketAsync(account, name, cancellationToken).ConfigureAwait(false);
        if (encryption is not null)
        {
            CheckAlgorithm(encryption.Algorithm);
            if (encryption.KmsMasterKeyId is not null && encryption.Algorithm != AwsKms)
            {
                throw S3Errors.KmsMasterKeyNotApplicable();
            }
        }

        await UpdateAsync(bucket with { DefaultEncryption = encryption }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sets just the algorithm (the SSE-S3-only form of PutBucketEncryption).</summary>
    public Task SetBucketEncryptionAsync(string account, string name, string? algorithm, CancellationToken cancellationToken) =>
        SetBucketEncryptionAsync(account, name, algorithm is null ? null : new BucketEncryption(algorithm), cancellationToken);

    /// <summary>AES256 and aws:kms. DSSE-KMS (aws:kms:dsse) would need a second, independent layer of
    /// encryption over every chunk; Kiln has one layer, so it refuses the value rather than claim
    /// two, with S3's answer for an algorithm it does not support.</summary>
    private static void CheckAlgorithm(string algorithm)
    {
        if (algorithm is not (Aes256 or AwsKms))
        {
            throw S3Errors.InvalidArgument("The encryption method specified is not supported",
                "x-amz-server-side-encryption", algorithm);
        }
    }

    /// <summary>The encryption of a new object or upload: SSE-C when its key was sent, else the
    /// algorithm asked for, else the bucket's default, else SSE-S3 (S3's default since 2023). For
    /// SSE-KMS a fresh KMS data key is generated as the caller; the key id is the one asked for, else
    /// the bucket default's KMSMasterKeyID (when the request named no algorithm), else aws/s3.</summary>
    /// <returns>The x-amz-server-side-encryption value (null for SSE-C), the keying to store, and the
    /// object key, which the caller disposes.</returns>
    private async Task<(string? Algorithm, ObjectEncryption? Record, ObjectKey Key)> NewObjectKeyAsync(string account,
        BucketRecord bucket, string key, ObjectWrite write, CancellationToken cancellationToken)
    {
        var requested = write.ServerSideEncryption;
        if (write.CustomerKey is { IsEmpty: false })
        {
            if (requested is not null)
            {
                throw S3Errors.SseCustomerWithSse(requested);
            }

            CheckKmsHeaders(write, requested);
            var customer = SseRules.ParseCustomerKey(write.CustomerKey, SseRules.CustomerHeader)!;
            var record = new ObjectEncryption
            {
                CustomerAlgorithm = Aes256,
                CustomerKeyMd5 = write.CustomerKey.KeyMd5,
                CustomerKeyHmac = SseRules.KeyHmac(customer),
            };
            return (null, record, ObjectKey.Of(customer));
        }

        if (requested is not null)
        {
            CheckAlgorithm(requested);
        }

        CheckKmsHeaders(write, requested);
        var byDefault = bucket.DefaultEncryption;
        var algorithm = requested ?? byDefault?.Algorithm ?? Aes256;
        if (algorithm != AwsKms)
        {
            return (Aes256, null, ObjectKey.Master(masterKey));
        }

        var kms = Kms ?? throw new AwsException("NotImplemented", "SSE-KMS needs Kiln's KMS service.", 501) { SenderFault = false };
        var bucketKey = write.BucketKeyEnabled ?? byDefault?.BucketKeyEnabled ?? false;
        var context = SseRules.ParseContext(write.SseKmsContext);
        // "aws:s3:arn" is S3's own pair: the object's ARN, or the bucket's with an S3 Bucket Key.
        context["aws:s3:arn"] = bucketKey ? $"arn:aws:s3:::{bucket.Name}" : $"arn:aws:s3:::{bucket.Name}/{key}";
        var keyId = write.SseKmsKeyId ?? (requested is null ? byDefault?.KmsMasterKeyId : null);
        DataKey dataKey;
        try
        {
            keyId ??= await kms.GetManagedKeyArnAsync(account, bucket.Region, ManagedKeyService, cancellationToken)
                .ConfigureAwait(false);
            dataKey = await kms.GenerateDataKeyAsync(account, bucket.Region, keyId, SseRules.CustomerKeySize, context,
                write.Caller, cancellationToken).ConfigureAwait(false);
        }
        catch (AwsException e)
        {
            throw S3Errors.Kms(e);
        }

        var kmsRecord = new ObjectEncryption
        {
            KmsKeyArn = dataKey.KeyArn,
            KmsKeyBlob = Convert.ToBase64String(dataKey.CiphertextBlob),
            KmsContext = context,
            KmsContextHeader = write.SseKmsContext,
            BucketKeyEnabled = bucketKey,
        };
        return (AwsKms, kmsRecord, ObjectKey.Of(dataKey.Plaintext));
    }

    /// <summary>The KMS key id and context headers need x-amz-server-side-encryption: aws:kms.</summary>
    private static void CheckKmsHeaders(ObjectWrite write, string? requested)
    {
        if (requested == AwsKms)
        {
            return;
        }

        if (write.SseKmsKeyId is { } keyId)
        {
            throw S3Errors.KmsHeaderWithoutKms("x-amz-server-side-encryption-aws-kms-key-id", keyId);
        }

        if (write.SseKmsContext is { } context)
        {
            throw S3Errors.KmsHeaderWithoutKms("x-amz-server-side-encryption-context", context);
        }
    }

    /// <summary>How a request's SSE-C key is judged: on a read, a copy source, or an upload's part.</summary>
    private enum KeyUse
    {
        Read,
        CopySource,
        Part,
    }

    /// <summary>Checks the SSE-C key a request brought against the object's (HEAD needs no more);
    /// returns the key, which the caller zeroes, or null when the object is not SSE-C.</summary>
    private static byte[]? CheckCustomerKey(ObjectEncryption? encryption, CustomerKeyHeaders? headers, KeyUse use)
    {
        var prefix = use == KeyUse.CopySource ? SseRules.CopySourceCustomerHeader : SseRules.CustomerHeader;
        if (encryption?.CustomerKeyHmac is not { } hmac)
        {
            if (headers is { IsEmpty: false })
            {
                throw use == KeyUse.Part ? S3Errors.UploadPartKeyMismatch() : S3Errors.SseCustomerNotApplicable();
            }

            return null;
        }

        if (headers is null || headers.IsEmpty)
        {
            throw use == KeyUse.Part ? S3Errors.UploadPartKeyMissing() : S3Errors.SseCustomerKeyRequired();
        }

        var key = SseRules.ParseCustomerKey(headers, prefix)!;
        if (!SseRules.HmacMatches(hmac, key))
        {
            CryptographicOperations.ZeroMemory(key);
            // S3 answers a wrong customer key with 403 (GetObject: "If you provide the wrong key ... 403 Forbidden").
            throw use == KeyUse.Part ? S3Errors.UploadPartKeyMismatch() : S3Errors.AccessDenied();
        }

        return key;
    }

    /// <summary>The object key of an existing object or upload: the SSE-C key the request brought,
    /// the KMS data key decrypted by KMS as the caller (kms:Decrypt), or the master key.</summary>
    private ValueTask<ObjectKey> OpenObjectKeyAsync(string account, ObjectEncryption? encryption, ObjectKeys keys,
        KeyUse use, CancellationToken cancellationToken)
    {
        if (CheckCustomerKey(encryption, keys.CustomerKey, use) is { } customer)
        {
            return ValueTask.FromResult(ObjectKey.Of(customer));
        }

        if (encryption?.KmsKeyBlob is not { } blob)
        {
            return ValueTask.FromResult(MasterObjectKey);
        }

        return DecryptKmsKeyAsync(account, encryption, blob, keys, cancellationToken);
    }

    private async ValueTask<ObjectKey> DecryptKmsKeyAsync(string account, ObjectEncryption encryption, string blob,
        ObjectKeys keys, CancellationToken cancellationToken)
    {
        var kms = Kms ?? throw new AwsException("NotImplemented", "SSE-KMS needs Kiln's KMS service.", 501) { SenderFault = false };
        try
        {
            var dataKey = await kms.DecryptDataKeyAsync(account, DefaultRegion, Convert.FromBase64String(blob),
                encryption.KmsContext, keys.Caller, cancellationToken).ConfigureAwait(false);
            return ObjectKey.Of(dataKey.Plaintext);
        }
        catch (AwsException e)
        {
            throw S3Errors.Kms(e);
        }
    }

    /// <summary>Streams a new blob sealed under a fresh data key, and wraps that key under the
    /// object key, bound to the blob id, for the segment that will point at it.</summary>
    private async Task<(BlobWrite Blob, BlobSegment Segment)> WriteSealedAsync(Stream source, ChecksumAlgorithms checksums,
        long maxBytes, ObjectKey objectKey, CancellationToken cancellationToken)
    {
        var dataKey = RandomNumberGenerator.GetBytes(32);
        try
        {
            var blob = await blobs.WriteAsync(source, checksums, maxBytes, dataKey, cancellationToken).ConfigureAwait(false);
            return (blob, new BlobSegment(blob.BlobId, blob.Size) { WrappedKey = objectKey.Wrap(blob.BlobId, dataKey) });
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    private byte[]? DataKeyOf(BlobSegment segment, ObjectKey objectKey) => segment.WrappedKey switch
    {
        null => null,
        { } wrapped when objectKey.IsMaster => _dataKeys.Get(segment.BlobId, wrapped, objectKey),
        { } wrapped => objectKey.Unwrap(segment.BlobId, wrapped),
    };
}
