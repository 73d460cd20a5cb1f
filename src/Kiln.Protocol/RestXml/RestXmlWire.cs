using System.Collections.Frozen;

namespace Kiln.Protocol.RestXml;

/// <summary>Wire literals of the rest-xml protocol (S3, S3 Control): header names, content types,
/// XML element names, and the facts S3 puts on the wire that its model does not carry.</summary>
public static class RestXmlWire
{
    public const string RequestIdHeader = "x-amz-request-id";
    /// <summary>S3's extended request id; also written as <c>&lt;HostId&gt;</c> in error bodies.</summary>
    public const string HostIdHeader = "x-amz-id-2";
    public const string ContentType = "application/xml";
    public const string S3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/";
    public const string S3ControlNamespace = "http://awss3control.amazonaws.com/doc/2018-08-20/";

    public const string ErrorElement = "Error";
    public const string CodeElement = "Code";
    public const string MessageElement = "Message";
    public const string RequestIdElement = "RequestId";
    public const string HostIdElement = "HostId";

    public const string NotImplementedCode = "NotImplemented";

    /// <summary>The operation S3 answers with a bare <c>&lt;LocationConstraint&gt;</c> root whose
    /// text is the value (botocore parses it by hand in <c>parse_get_bucket_location</c>).</summary>
    public const string GetBucketLocation = "GetBucketLocation";

    public static ReadOnlySpan<byte> Declaration => "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"u8;

    /// <summary>The default namespace S3 and S3 Control put on every document they write; neither
    /// model's metadata has an <c>xmlNamespace</c>, only the input payload members do.</summary>
    public static string? DefaultNamespace(string serviceId) => serviceId switch
    {
        "s3" => S3Namespace,
        "s3control" => S3ControlNamespace,
        _ => null,
    };

    /// <summary>Root elements of S3 outputs that are written from the output structure itself (no
    /// payload member). The model names none of them, and some clients (the Java SDK v1's SAX
    /// handlers among them) look for these names, so they are kept here as S3 writes them
    /// (AWS API reference response syntax, and responses captured from S3).</summary>
    public static readonly FrozenDictionary<string, string> S3OutputRoots = new Dictionary<string, string>
    {
        ["CompleteMultipartUpload"] = "CompleteMultipartUploadResult",
        ["CreateMultipartUpload"] = "InitiateMultipartUploadResult",
        ["DeleteObjects"] = "DeleteResult",
        ["GetBucketAccelerateConfiguration"] = "AccelerateConfiguration",
        ["GetBucketAcl"] = "AccessControlPolicy",
        ["GetBucketCors"] = "CORSConfiguration",
        ["GetBucketLifecycle"] = "LifecycleConfiguration",
        ["GetBucketLifecycleConfiguration"] = "LifecycleConfiguration",
        ["GetBucketLocation"] = "LocationConstraint",
        ["GetBucketLogging"] = "BucketLoggingStatus",
        ["GetBucketNotification"] = "NotificationConfiguration",
        ["GetBucketNotificationConfiguration"] = "NotificationConfiguration",
        ["GetBucketRequestPayment"] = "RequestPaymentConfiguration",
        ["GetBucketTagging"] = "Tagging",
        ["GetBucketVersioning"] = "VersioningConfiguration",
        ["GetBucketWebsite"] = "WebsiteConfiguration",
        ["GetObjectAcl"] = "AccessControlPolicy",
        ["GetObjectAttributes"] = "GetObjectAttributesResponse",
        ["GetObjectTagging"] = "Tagging",
        ["ListBucketAnalyticsConfigurations"] = "ListBucketAnalyticsConfigurationsResult",
        ["ListBucketIntelligentTieringConfigurations"] = "ListIntelligentTieringConfigurationsResult",
        ["ListBucketInventoryConfigurations"] = "ListInventoryConfigurationsResult",
        ["ListBucketMetricsConfigurations"] = "ListMetricsConfigurationsResult",
        ["ListBuckets"] = "ListAllMyBucketsResult",
        ["ListDirectoryBuckets"] = "ListAllMyDirectoryBucketsResult",
        ["ListMultipartUploads"] = "ListMultipartUploadsResult",
        ["ListObjectVersions"] = "ListVersionsResult",
        ["ListObjects"] = "ListBucketResult",
        ["ListObjectsV2"] = "ListBucketResult",
        ["ListParts"] = "ListPartsResult",
    }.ToFrozenDictionary(StringComparer.Ordinal);
}
