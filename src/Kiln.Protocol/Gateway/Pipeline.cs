using Kiln.Core;
using Kiln.Core.Audit;
using Kiln.Core.Errors;
using Kiln.Protocol.Gateway.Stages;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Kiln.Protocol.Gateway;

/// <summary>The gateway: the one terminal middleware every AWS request goes through. Kestrel owns
/// sockets and HTTP parsing; from here each request passes fixed stages, in this order:
///
///   1. context            request id, start time, abort token
///   2. resolve service    SigV4 scope → X-Amz-Target → Action/Version → host/path (S3)
///      cors               only with an Origin header or OPTIONS, for a service with an ICorsPolicy:
///                         answers a preflight (unsigned) or adds the matching rule's headers
///   3. authenticate       SigV4 (header, presigned, streaming chunks); reads a document body
///   4. resolve operation  target header, Action, or method + URI template
///   5. parse              the protocol codec builds the generated input shape
///   6. authorize          one decision per request, never inside handlers
///   7. invoke             the service API
///   8. serialize          the output or the AwsException, in the same protocol
///   finally: audit        one event for every request, accepted or rejected
///
/// Do not reorder: authentication must precede anything that reveals whether a resource or an
/// operation exists, and the audit stage must see the final status. The one exception is a CORS
/// preflight, which browsers never sign and which S3 answers unauthenticated, as here.</summary>
public sealed class Pipeline(
    ServiceCatalog catalog,
    Authenticator authenticator,
    IRequestAuthorizer authorizer,
    IAuditLog audit,
    IClock clock,
    GatewayOptions options,
    ILogger<Pipeline> log,
    IEnumerable<ICorsPolicy> corsPolicies)
{
    private readonly ServiceResolver _services = new(catalog, options);
    private readonly OperationResolver _operations = new(catalog);
    private readonly CorsStage _cors = new(corsPolicies);

    public async Task InvokeAsync(HttpContext http)
    {
        var request = new GatewayRequest(http, RequestIds.Next(), clock.UtcNow);
        RequestContext? context = null; // CloudTrail (issue 4): read by the audit stage for resources.
        try
        {
            _services.Resolve(request);
            RequestIds.Write(request);
            RequestLimits.CheckHeaders(request, options);
            if (_cors.Applies(request) && await _cors.RunAsync(request).ConfigureAwait(false))
            {
                return;
            }

            await authenticator.AuthenticateAsync(request).ConfigureAwait(false);
            await _operations.ResolveAsync(request, options).ConfigureAwait(false);
            var codec = request.Service!.Codec;
            request.Input = codec.ParseRequest(request.Operation!, request.Request, request.UriLabels, request.Body,
                request.StreamingBody);
            context = NewContext(request);
            await authorizer.AuthorizeAsync(context, request.Input).ConfigureAwait(false);
            request.Output = await request.Service.Api.InvokeAsync(request.Operation!, request.Input, context)
                .ConfigureAwait(false);
            if (context.ResponseStatusCode is { } status)
            {
                // The codec sets the operation's status; this runs just before the headers go out,
                // so a handler's 206 or 304 wins without the codec knowing about it.
                http.Response.OnStarting(() =>
                {
                    if (request.Error is null)
                    {
                        http.Response.StatusCode = status;
                    }

                    return Task.CompletedTask;
                });
            }

            if (context.ResponseHeaders is { } headers)
            {
                foreach (var (name, value) in headers)
                {
                    http.Response.Headers[name] = value;
                }
            }

            await codec.WriteResponseAsync(request.Operation!, request.Output, http.Response, request.RequestId,
                request.Aborted).ConfigureAwait(false);
        }
        catch (AwsException error)
        {
            request.Error = error;
            if (context?.ResponseHeaders is { } headers)
            {
                // The error's own headers win.
                foreach (var (name, value) in headers)
                {
                    error.Headers.TryAdd(name, value);
                }
            }

            await ErrorWriter.WriteAsync(request, error).ConfigureAwait(false);
        }
        catch (Exception) when (http.RequestAborted.IsCancellationRequested)
        {
            // The client went away; there is no one to answer.
            request.Error = new AwsException("RequestAborted", "The client closed the connection", 499);
        }
        catch (Exception ex)
        {
            log.LogError(ex, "Unhandled error in {Service} {Operation}, request {RequestId}",
                request.Service?.Info.ServiceId, request.Operation?.Name, request.RequestId);
            var error = new AwsException("InternalError", "We encountered an internal error. Please try again.", 500)
            {
                SenderFault = false,
            };
            request.Error = error;
            await ErrorWriter.WriteAsync(request, error).ConfigureAwait(false);
        }
        finally
        {
            await DisposeBodiesAsync(request).ConfigureAwait(false);
            audit.Append(AuditEvents.From(request, context?.AuditResources));
        }
    }

    private static RequestContext NewContext(GatewayRequest request) => new()
    {
        RequestId = request.RequestId,
        Principal = request.Principal!,
        Region = request.Region,
        Operation = request.Operation!,
        ReceivedAt = request.ReceivedAt,
        Aborted = request.Aborted,
        SourceIp = request.Http.Connection.RemoteIpAddress?.ToString(),
        UserAgent = request.Request.Headers.UserAgent.ToString(),
        SecureTransport = request.Request.IsHttps,
        DecodedContentLength = request.Authentication?.DecodedContentLength,
        BodyTrailers = request.Authentication is { } auth ? () => auth.Trailers : null,
    };

    private static async ValueTask DisposeBodiesAsync(GatewayRequest request)
    {
        if (request.StreamingBody is { } body)
        {
            await body.DisposeAsync().ConfigureAwait(false);
        }
    }
}
