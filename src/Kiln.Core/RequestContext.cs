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
