using System.Security.Cryptography;
using Kiln.Protocol.Errors;

namespace Kiln.Protocol.Gateway.Stages;

/// <summary>Request ids: one per request, on every response and in the audit event.</summary>
internal static class RequestIds
{
    // x-amz-id-2 identifies the host that answered; one value per process is what it means.
    private static readonly string s_hostId = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));

    // Ids are unique per process by a counter and across processes by a random prefix; drawing
    // 16 random bytes per request (Guid.NewGuid) costs a getrandom system call each time.
    private static readonly ulong s_prefix = BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));
    private static long s_counter;

    public static string Next()
    {
        var n = (ulong)Interlocked.Increment(ref s_counter);
        return string.Create(36, n, static (span, n) =>
        {
            // The shape of a UUID (8-4-4-4-12 hex), as AWS request ids have.
            Span<char> hex = stackalloc char[32];
            s_prefix.TryFormat(hex, out _, "x16");
            n.TryFormat(hex[16..], out _, "x16");
            hex[..8].CopyTo(span);
            span[8] = '-';
            hex[8..12].CopyTo(span[9..]);
            span[13] = '-';
            hex[12..16].CopyTo(span[14..]);
            span[18] = '-';
            hex[16..20].CopyTo(span[19..]);
            span[23] = '-';
            hex[20..].CopyTo(span[24..]);
        });
    }

    /// <summary>Sets the request-id headers of the resolved service's protocol: S3 answers with
    /// x-amz-request-id and x-amz-id-2, every other service with x-amzn-RequestId. Before a
    /// service is known, both kinds are set.</summary>
    public static void Write(GatewayRequest request)
    {
        var response = request.Http.Response;
        if (request.Service is { } service)
        {
            RequestIdHeaders.Write(response, service.Info.Protocol, request.RequestId, s_hostId);
            return;
        }

        RequestIdHeaders.Write(response, "rest-xml", request.RequestId, s_hostId);
        RequestIdHeaders.Write(response, "query", request.RequestId);
    }
}
