using Kiln.Core.Errors;
using Kiln.Core.Shapes;
using Kiln.Protocol.Query;
using Microsoft.AspNetCore.Http;

namespace Kiln.Protocol.Gateway.Stages;

/// <summary>Writes an AwsException in the protocol of the resolved service. A request that never
/// resolved to a service (an unknown signing name) gets a query-style XML error document, the
/// shape AWS's own front door uses for that case.</summary>
internal static class ErrorWriter
{
    private static readonly ServiceInfo s_unknownService = new("unknown") { Protocol = "query" };
    private static readonly QueryCodec s_fallback = new();

    public static async Task WriteAsync(GatewayRequest request, AwsException error)
    {
        var response = request.Http.Response;
        if (response.HasStarted)
        {
            // Headers (and maybe part of a body) are on the wire: the only honest signal left is
            // to cut the connection, so the client sees a failed transfer, never a short success.
            request.Http.Abort();
            return;
        }

        response.Clear();
        RequestIds.Write(request);
        if (request.StreamingBody is not null)
        {
            // A failed upload's body may be unread, and a client that sent Expect: 100-continue
            // never sends it: Kestrel would then take the next request's bytes for the rest of
            // this body. Closing the connection is the answer RFC 9110 §10.1.1 allows.
            response.Headers.Connection = "close";
        }

        foreach (var (name, value) in error.Headers)
        {
            response.Headers[name] = value;
        }

        if (request.Service is { } service)
        {
            await service.Codec.WriteErrorAsync(service.Info, request.Operation, error, response, request.RequestId,
                request.Aborted).ConfigureAwait(false);
        }
        else
        {
            await s_fallback.WriteErrorAsync(s_unknownService, null, error, response, request.RequestId,
                request.Aborted).ConfigureAwait(false);
        }
    }
}
