using System.Globalization;
using Kiln.Core.Errors;

namespace Kiln.Services.S3;

/// <summary>S3's errors with AWS's codes, messages and statuses in one place (STYLE.md §6). The
/// botocore model gives most of S3's errors no status (NoSuchKey would come out 400), so each sets
/// its own, as S3's error-code table documents.</summary>
internal static class S3Errors
{
    public static AwsException NoSuchBucket(string bucket) =>
        new("NoSuchBucket", "The specified bucket does not exist", 404) { Fields = { ["BucketName"] = bucket } };

    public static AwsException NoSuchKey(string key) =>
        new("NoSuchKey", "The specified key does not exist.", 404) { Fields = { ["Key"] = key } };

    /// <summary>GET/HEAD of a key whose latest version is a delete marker.</summary>
    public static AwsException NoSuchKeyDeleteMarker(string key, string markerVersionId)
    {
        var error = NoSuchKey(key);
        error.Headers[S3Wire.DeleteMarkerHeader] = "true";
        error.Headers[S3Wire.VersionIdHeader] = markerVersionId;
        return error;
    }

    /// <summary>GET/HEAD of a delete marker by its version id: 405, and only DELETE is allowed.</summary>
    public static AwsException DeleteMarkerNotAllowed(string markerVersionId, DateTimeOffset lastModified)
    {
        var error = MethodNotAllowed();
        error.Headers[S3Wire.DeleteMarkerHeader] = "true";
        error.Headers[S3Wire.VersionIdHeader] = markerVersionId;
        error.Headers["Allow"] = "DELETE";
        error.Headers["Last-Modified"] = lastModified.ToString("r", CultureInfo.InvariantCulture);
        return error;
    }

    public static AwsException NoSuchVersion(string key, string versionId) =>
        new("NoSuchVersion", "The specified version does not exist.", 404)
        {
            Fields = { ["Key"] = key, ["VersionId"] = versionId },
        };

    public static AwsException NoSuchUpload(string uploadId) =>
        new("NoSuchUpload",
            "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
            404) { Fields = { ["UploadId"] = uploadId } };

    public static AwsException NoSuchTagSet(string bucket) =>
        new("NoSuchTagSet", "The TagSet does not exist", 404) { Fields = { ["BucketName"] = bucket } };

    public static AwsException BucketAlreadyExists(string bucket) =>
        new("BucketAlreadyExists",
            "The requested bucket name is not available. The bucket namespace is shared by all users of the system. " +
            "Please select a different name and try again.", 409) { Fields = { ["BucketName"] = bucket } };

    public static AwsException BucketAlreadyOwnedByYou(string bucket) =>
        new("BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it.",
            409) { Fields = { ["BucketName"] = bucket } };

    public static AwsException BucketNotEmpty(string bucket) =>
        new("BucketNotEmpty", "The bucket you tried to delete is not empty", 409) { Fields = { ["BucketName"] = bucket } };

    public static AwsException InvalidBucketName(string bucket) =>
        new("InvalidBucketName", "The specified bucket is not valid.", 400) { Fields = { ["BucketName"] = bucket } };

    public static AwsException IllegalLocationConstraint(string? constraint) =>
        new("IllegalLocationConstraintException",
            $"The {constraint ?? "unspecified"} location constraint is incompatible for the region specific endpoint this request was sent to.",
            400);

    public static AwsException WrongSigningRegion(string region, string expected) =>
        new("AuthorizationHeaderMalformed",
            $"The authorization header is malformed; the region '{region}' is wrong; expecting '{expected}'", 400)
        {
            Fields = { ["Region"] = expected },
        };

    public static AwsException InvalidLocationConstraint(string constraint) =>
        new("InvalidLocationConstraint", "The specified location-constraint is not valid", 400)
        {
            Fields = { ["LocationConstraint"] = constraint },
        };

    public static AwsException AccessDenied() => new("AccessDenied", "Access Denied", 403);

    public static AwsException KeyTooLong() => new("KeyTooLongError", "Your key is too long", 400);

    public static AwsException InvalidRange(string range, long size) =>
        new("InvalidRange", "The requested range is not satisfiable", 416)
        {
            Fields = { ["RangeRequested"] = range, ["ActualObjectSize"] = size.ToString(CultureInfo.InvariantCulture) },
        };

    public static AwsException PreconditionFailed(string condition) =>
        new("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", 412)
        {
            Fields = { ["Condition"] = condition },
        };

    public static AwsException BadDigest() =>
        new("BadDigest", "The Content-MD5 you specified did not match what we received.", 400);

    public static AwsException InvalidDigest() => new("InvalidDigest", "The Content-MD5 you specified was invalid.", 400);

    public static AwsException ChecksumMismatch(string algorithm) =>
        new("BadDigest", $"The {algorithm} you specified did not match the calculated checksum.", 400);

    public static AwsException InvalidChecksum(string algorithm) =>
        new("InvalidRequest", $"Value for x-amz-checksum-{algorithm.ToLowerInvariant()} header is invalid.", 400);

    public static AwsException EntityTooLarge(long maxSize) =>
        new("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size", 400)
        {
            Fields = { ["MaxSizeAllowed"] = maxSize.ToString(CultureInfo.InvariantCulture) },
        };

    public static AwsException EntityTooSmall(long proposed, long min, int partNumber, string etag) =>
        new("EntityTooSmall", "Your proposed upload is smaller than the minimum allowed object size.", 400)
        {
            Fields =
            {
                ["ProposedSize"] = proposed.ToString(CultureInfo.InvariantCulture),
                ["MinSizeAllowed"] = min.ToString(CultureInfo.InvariantCulture),
                ["PartNumber"] = partNumber.ToString(CultureInfo.InvariantCulture),
                ["ETag"] = etag,
            },
        };

    public static AwsException InvalidPart(string uploadId, int partNumber, string etag) =>
        new("InvalidPart",
            "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not have matched the part's entity tag.",
            400)
        {
            Fields =
            {
                ["UploadId"] = uploadId, ["PartNumber"] = partNumber.ToString(CultureInfo.InvariantCulture), ["ETag"] = etag,
            },
        };

    public static AwsException InvalidPartOrder(string uploadId) =>
        new("InvalidPartOrder", "The list of parts was not in ascending order. Parts must be ordered by part number.", 400)
        {
            Fields = { ["UploadId"] = uploadId },
        };

    public static AwsException InvalidPartNumber() =>
        new("InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive", 400)
        {
            Fields = { ["ArgumentName"] = "partNumber" },
        };

    public static AwsException MalformedXml() =>
        new("MalformedXML",
            "The XML you provided was not well-formed or did not validate against our published schema", 400);

    public static AwsException InvalidArgument(string message, string? name = null, string? value = null)
    {
        var error = new AwsException("InvalidArgument", message, 400);
        if (name is not null)
        {
            error.Fields["ArgumentName"] = name;
            error.Fields["ArgumentValue"] = value ?? "";
        }

        return error;
    }

    public static AwsException InvalidRequest(string message) => new("InvalidRequest", message, 400);

    public static AwsException InvalidTag(string message) => new("InvalidTag", message, 400);

    public static AwsException TooManyTags() => new("BadRequest", "Object tags cannot be greater than 10", 400);

    public static AwsException MetadataTooLarge(int max) =>
        new("MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size.", 400)
        {
            Fields = { ["MaxSizeAllowed"] = max.ToString(CultureInfo.InvariantCulture) },
        };

    public static AwsException MethodNotAllowed() =>
        new("MethodNotAllowed", "The specified method is not allowed against this resource.", 405);

    public static AwsException IllegalVersioningConfiguration() =>
        new("IllegalVersioningConfigurationException",
            "The Versioning element must be specified", 400);

    public static AwsException CopyToItself() =>
        InvalidRequest("This copy request is illegal because it is trying to copy an object to itself without changing " +
                       "the object's metadata, storage class, website redirect location or encryption attributes.");

    public static AwsException InvalidStorageClass() =>
        new("InvalidStorageClass", "The storage class you specified is not valid", 400);

    /// <summary>GET or copy of a GLACIER/DEEP_ARCHIVE object that has no restored copy.</summary>
    public static AwsException InvalidObjectState(string storageClass) =>
        new("InvalidObjectState", "The operation is not valid for the object's storage class", 403)
        {
            Fields = { ["StorageClass"] = storageClass },
        };

    public static AwsException InvalidObjectStateForRestore() =>
        new("InvalidObjectState", "Restore is not allowed for the object's current storage class", 403);

    public static AwsException RestoreAlreadyInProgress() =>
        new("RestoreAlreadyInProgress", "Object restore is already in progress", 409);

    public static AwsException NoSuchLifecycleConfiguration(string bucket) =>
        new("NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist", 404)
        {
            Fields = { ["BucketName"] = bucket },
        };

    public static AwsException InvalidTargetBucketForLogging(string message) =>
        new("InvalidTargetBucketForLogging", message, 400);

    // S3's code keeps its historical misspelling.
    public static AwsException CrossLocationLoggingProhibited() =>
        new("CrossLocationLoggingProhibitted", "Cross S3 location logging not allowed. ", 403);

    // ---- server-side encryption (SSE-KMS, SSE-C) ----

    /// <summary>A KMS error met while S3 called KMS for the caller: S3 answers AccessDenied (403) for
    /// a permission KMS refused, otherwise KMS's code prefixed "KMS." with status 400
    /// (KMS.DisabledException, KMS.NotFoundException, KMS.KMSInvalidStateException), keeping KMS's message.</summary>
    public static AwsException Kms(AwsException kmsError) => kmsError.Code == "AccessDeniedException"
        ? new AwsException("AccessDenied", kmsError.Message, 403)
        : new AwsException("KMS." + kmsError.Code, kmsError.Message, 400);

    public static AwsException KmsHeaderWithoutKms(string header, string value) => InvalidArgument(
        "Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms",
        header, value);

    public static AwsException InvalidEncryptionContext(string value) => InvalidArgument(
        "The header 'x-amz-server-side-encryption-context' shall be Base64-encoded UTF-8 string holding JSON which represents a string-string map",
        "x-amz-server-side-encryption-context", value);

    public static AwsException KmsMasterKeyNotApplicable() => InvalidArgument(
        "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse",
        "ApplyServerSideEncryptionByDefault", "");

    public static AwsException SseCustomerAlgorithmInvalid(string prefix, string? value) => InvalidArgument(
        "Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.",
        prefix + "-algorithm", value);

    public static AwsException SseCustomerKeyMissing(string prefix) => InvalidArgument(
        "Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key.",
        prefix + "-key", "");

    /// <summary>The key is not base64 or not 256 bits; its value is never echoed.</summary>
    public static AwsException SseCustomerKeyInvalid(string prefix) => InvalidArgument(
        "The secret key was invalid for the specified algorithm.", prefix + "-key", "");

    public static AwsException SseCustomerKeyMd5Missing(string prefix) => InvalidArgument(
        "Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key.",
        prefix + "-key-MD5", "");

    public static AwsException SseCustomerKeyMd5Mismatch(string prefix) => InvalidArgument(
        "The calculated MD5 hash of the key did not match the hash that was provided.", prefix + "-key-MD5", "");

    public static AwsException SseCustomerWithSse(string algorithm) => InvalidArgument(
        "Server Side Encryption with Customer provided key is incompatible with the encryption method specified",
        "x-amz-server-side-encryption", algorithm);

    /// <summary>GET/HEAD (or copy) of an SSE-C object without its key.</summary>
    public static AwsException SseCustomerKeyRequired() => InvalidRequest(
        "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.");

    /// <summary>SSE-C headers on a read of an object that is not SSE-C.</summary>
    public static AwsException SseCustomerNotApplicable() => InvalidRequest(
        "The encryption parameters are not applicable to this object.");

    public static AwsException SseCustomerInsecure() => InvalidRequest(
        "Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection.");

    public static AwsException UploadPartKeyMissing() => InvalidRequest(
        "The multipart upload initiate requested encryption. Subsequent part requests must include the appropriate encryption parameters.");

    public static AwsException UploadPartKeyMismatch() => InvalidRequest(
        "The provided encryption parameters did not match the ones used originally.");
}

/// <summary>S3 header names the service sets itself (the codec writes the modelled ones).</summary>
internal static class S3Wire
{
    public const string DeleteMarkerHeader = "x-amz-delete-marker";
    public const string VersionIdHeader = "x-amz-version-id";
    /// <summary>HeadBucket's BucketRegion and AccessPointAlias, members of its output in later S3 models.</summary>
    public const string BucketRegionHeader = "x-amz-bucket-region";
    public const string AccessPointAliasHeader = "x-amz-access-point-alias";
    /// <summary>Trailers of aws-chunked uploads carry checksums as x-amz-checksum-&lt;algorithm&gt;.</summary>
    public const string ChecksumHeaderPrefix = "x-amz-checksum-";
}
