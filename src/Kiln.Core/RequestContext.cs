using Kiln.Core.Shapes;

namespace Kiln.Core;

/// <summary>Who is calling and on whose behalf, handed to every service API call. Knows no HTTP.</summary>
public sealed class RequestContext
{
    public required string RequestId { get; init; }
    public required Principal Principal { get; init; }
    public required string Region { get; init; }
    public required OperationInfo Operation { get; init; }
    public required DateTimeOffset ReceivedAt { get; init; }
    public CancellationToken Aborted { get; init; }
    public string? SourceIp { get; init; }
    public string? UserAgent { get; init; }
    public bool SecureTransport { get; init; }

    /// <summary>For an aws-chunked body, the size of the decoded payload (x-amz-decoded-content-length),
    /// which Content-Length does not give. Null for other bodies.</summary>
    public long? DecodedContentLength { get; init; }

    /// <summary>Trailing headers of an aws-chunked body (x-amz-checksum-crc32...), lowercase names;
    /// empty until the body has been read to its end. Null when the body had none.</summary>
    public Func<IReadOnlyDictionary<string, string>>? BodyTrailers { get; init; }

    /// <summary>Set by a handler when a successful response's status differs from the operation's
    /// (S3 206 Partial Content for a range, 304 Not Modified for a conditional GET).</summary>
    public int? ResponseStatusCode { get; set; }

    /// <summary>Headers the response carries beyond its output shape's members, on success and with an
    /// error (S3 HeadBucket's x-amz-bucket-region, which the model the shapes are generated from does not
    /// declare, and which S3 sends whether access is allowed or not). Null until one is set.</summary>
    public Dictionary<string, string>? ResponseHeaders { get; private set; }

    public void SetResponseHeader(string name, string value) =>
        (ResponseHeaders ??= new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase))[name] = value;

    // CloudTrail (issue 4): set by the authorize stage, copied into the audit event.
    /// <summary>The resource ARNs authorization resolved for this request, for the audit event's
    /// resources; null when there were none. The authorizer hands over its own list (no copy).</summary>
    public IReadOnlyList<string>? AuditResources { get; set; }

    /// <summary>For an operation authorized item by item (s3:DeleteObjects' keys), the positions in the
    /// request's list of the items the authorize stage refused; the handler answers each with its own
    /// AccessDenied. Null when every item was allowed.</summary>
    public IReadOnlySet<int>? DeniedItems { get; set; }

    public string AccountId => Principal.AccountId;
    public ServiceInfo Service => Operation.Service;
}

/// <summary>An authenticated caller.</summary>
/// <param name="AccountId">12-digit account id.</param>
/// <param name="Arn">Principal ARN, e.g. <c>arn:aws:iam::123456789012:root</c>.</param>
/// <param name="UserId">The id GetCallerIdentity reports (the account id for root).</param>
/// <param name="Kind">Root, IAMUser or AssumedRole.</param>
/// <param name="AccessKeyId">The access key the request was signed with.</param>
public sealed record Principal(string AccountId, string Arn, string UserId, PrincipalKind Kind, string AccessKeyId)
{
    /// <summary>The caller of an operation that needs no signature (authtype "none").</summary>
    public static readonly Principal Anonymous = new("", "*", "", PrincipalKind.Anonymous, "");

    public string? SessionToken { get; init; }
    public DateTimeOffset? Expiration { get; init; }
}

public enum PrincipalKind
{
    Root,
    IamUser,
    AssumedRole,
    Anonymous,
}
