using Kiln.Core;
using Kiln.Core.Audit;

namespace Kiln.Protocol.Gateway.Stages;

/// <summary>The audit event of a finished request: who, what, from where, and how it ended.
/// Nothing of the Authorization header, the query signature or the body is copied.</summary>
internal static class AuditEvents
{
    /// <param name="resources">What the authorize stage resolved (RequestContext.AuditResources).</param>
    public static AuditEvent From(GatewayRequest request, IReadOnlyList<string>? resources = null)
    {
        var principal = request.Principal is { Kind: not PrincipalKind.Anonymous } known ? known : null;
        var response = request.Http.Response;
        return new AuditEvent(
            request.ReceivedAt,
            request.RequestId,
            principal?.AccountId,
            request.Region,
            principal?.Arn,
            principal?.AccessKeyId,
            request.Service?.Info.ServiceId ?? "unknown",
            request.Operation?.Name,
            request.Http.Connection.RemoteIpAddress?.ToString(),
            request.Request.Headers.UserAgent.ToString() is { Length: > 0 } agent ? agent : null,
            request.Error?.Code == "RequestAborted" ? 499 : response.StatusCode,
            request.Error?.Code,
            request.Error?.Message,
            resources);
    }
}
