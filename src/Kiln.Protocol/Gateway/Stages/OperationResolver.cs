using System.Text;
using Kiln.Core.Errors;
using Kiln.Core.Shapes;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;

namespace Kiln.Protocol.Gateway.Stages;

/// <summary>Stage 4: which operation of the resolved service, from X-Amz-Target (json), Action
/// (query) or method + URI template (rest). Also settles the body: a streaming-input operation
/// keeps the (SigV4-wrapped) stream, every other operation gets its document read under the cap.</summary>
internal sealed class OperationResolver(ServiceCatalog catalog)
{
    public async ValueTask ResolveAsync(GatewayRequest request, GatewayOptions options)
    {
        var service = request.Service!;
        var info = service.Info;
        if (service.IsRest)
        {
            var match = catalog.Routes(service).Match(request.Request, RawPath.Of(request.Request, request.HostBucket))
                ?? throw AwsException.NotImplemented(info.ServiceId, $"{request.Request.Method} {request.Request.Path}");
            request.Operation = match.Operation;
            request.UriLabels = match.Labels;
        }

        if (request.StreamingBody is { } pending && request.Operation?.StreamingInput != true)
        {
            request.StreamingBody = null;
            // A GET or HEAD with no body (Kestrel knows from the framing) that SigV4 left unwrapped:
            // nothing to read, so no read buffer to allocate for every such request.
            if (!ReferenceEquals(pending, request.Request.Body) ||
                request.Http.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody != false)
            {
                await using (pending.ConfigureAwait(false))
                {
                    request.Body = await BodyReader.ReadAsync(pending, null, options.MaxDocumentBytes, request.Aborted)
                        .ConfigureAwait(false);
                }
            }
        }

        if (service.IsRest)
        {
            return;
        }

        request.Operation = Find(request, out var name) ?? throw AwsException.NotImplemented(info.ServiceId, name);
    }

    /// <summary>The operation a json or query request names (target header or Action), or null.
    /// The body must have been read.</summary>
    public OperationInfo? Find(GatewayRequest request, out string name)
    {
        var info = request.Service!.Info;
        name = info.Protocol == "query" ? ActionOf(request) : TargetOperation(request, info);
        return info.Operations.GetValueOrDefault(name);
    }

    private string TargetOperation(GatewayRequest request, ServiceInfo info)
    {
        var target = request.Request.Headers["X-Amz-Target"].ToString();
        return catalog.ByTarget(target, out var name)?.Info == info ? name : target;
    }

    private static string ActionOf(GatewayRequest request)
    {
        var fromQuery = request.Request.Query["Action"];
        if (fromQuery.Count > 0)
        {
            return fromQuery.ToString();
        }

        var form = QueryHelpers.ParseNullableQuery(Encoding.UTF8.GetString(request.Body.Span));
        return form is not null && form.TryGetValue("Action", out var action) ? action.ToString() : "";
    }
}
