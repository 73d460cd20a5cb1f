namespace Kiln.Core.Audit;

/// <summary>One request as CloudTrail will report it. Never holds a secret, a signature, a session
/// token or a body: only who, what, where from, and how it ended.</summary>
/// <param name="Resources">The resource ARNs the authorize stage resolved for the request (bucket,
/// object, user, key...); null when it resolved none or the request never got that far.</param>
public sealed record AuditEvent(
    DateTimeOffset EventTime,
    string RequestId,
    string? AccountId,
    string Region,
    string? PrincipalArn,
    string? AccessKeyId,
    string Service,
    string? Operation,
    string? SourceIp,
    string? UserAgent,
    int HttpStatus,
    string? ErrorCode,
    string? ErrorMessage,
    IReadOnlyList<string>? Resources = null);

/// <summary>Where the gateway records every request, accepted or rejected.</summary>
public interface IAuditLog
{
    /// <summary>Queues the event; it is written durably within a short batch window.</summary>
    void Append(AuditEvent auditEvent);

    /// <summary>Waits until every event appended so far is durable.</summary>
    Task FlushAsync(CancellationToken cancellationToken);

    /// <summary>Events of an account, newest first (CloudTrail LookupEvents builds on this).</summary>
    Task<IReadOnlyList<AuditEvent>> ListAsync(string? accountId, DateTimeOffset? since, int limit,
        CancellationToken cancellationToken);
}
