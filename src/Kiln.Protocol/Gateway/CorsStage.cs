using System.Collections.Frozen;
using Kiln.Core;
using Kiln.Protocol.Gateway.Stages;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Kiln.Protocol.Gateway;

/// <summary>Browser cross-origin requests, for services that register an <see cref="ICorsPolicy"/>
/// (S3 bucket CORS). Runs right after service resolution and only when the request has an Origin
/// header or is an OPTIONS preflight, so other requests pay one header lookup. A preflight is
/// answered here, before authentication (browsers never sign one); an actual request gets the
/// matching rule's headers on whatever response it ends with, error responses included.</summary>
internal sealed class CorsStage(IEnumerable<ICorsPolicy> policies)
{
    private const string Vary = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method";

    private readonly FrozenDictionary<string, ICorsPolicy> _byService =
        policies.ToFrozenDictionary(p => p.ServiceId, StringComparer.Ordinal);

    /// <summary>Whether <see cref="RunAsync"/> has anything to do for this request.</summary>
    public bool Applies(GatewayRequest request) =>
        _byService.Count > 0 && request.Service is not null &&
        (request.Request.Headers.Origin.Count > 0 || HttpMethods.IsOptions(request.Request.Method)) &&
        _byService.ContainsKey(request.Service.Info.ServiceId);

    /// <summary>True when the request was a preflight and has been answered (the pipeline stops);
    /// false when it goes on, its response decorated if a rule matched. A refused preflight throws
    /// the service's AwsException.</summary>
    public async ValueTask<bool> RunAsync(GatewayRequest request)
    {
        var policy = _byService[request.Service!.Info.ServiceId];
        var http = request.Request;
        var path = RawPath.Of(http, request.HostBucket);
        var origin = http.Headers.Origin is { Count: > 0 } o ? o.ToString() : null;
        if (HttpMethods.IsOptions(http.Method))
        {
            var method = http.Headers.AccessControlRequestMethod is { Count: > 0 } m ? m.ToString() : null;
            var grant = await policy.PreflightAsync(
                new CorsRequest(path, origin, method, Split(http.Headers.AccessControlRequestHeaders)), request.Aborted)
                .ConfigureAwait(false);
            var response = request.Http.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentLength = 0;
            Write(response.Headers, grant);
            return true;
        }

        var match = await policy.MatchAsync(new CorsRequest(path, origin, http.Method, []), request.Aborted)
            .ConfigureAwait(false);
        if (match is not null)
        {
            // OnStarting: the error writer clears headers, and the grant belongs on errors too.
            request.Http.Response.OnStarting(() =>
            {
                Write(request.Http.Response.Headers, match);
                return Task.CompletedTask;
            });
        }

        return false;
    }

    internal static void Write(IHeaderDictionary headers, CorsGrant grant)
    {
        headers.AccessControlAllowOrigin = grant.AllowOrigin;
        headers.AccessControlAllowMethods = string.Join(", ", grant.AllowMethods);
        if (grant.AllowHeaders.Count > 0)
        {
            headers.AccessControlAllowHeaders = string.Join(", ", grant.AllowHeaders);
        }

        if (grant.ExposeHeaders.Count > 0)
        {
            headers.AccessControlExposeHeaders = string.Join(", ", grant.ExposeHeaders);
        }

        if (grant.MaxAgeSeconds is { } age)
        {
            headers.AccessControlMaxAge = age.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (grant.AllowCredentials)
        {
            headers.AccessControlAllowCredentials = "true";
        }

        headers.Vary = Vary;
    }

    private static string[] Split(StringValues values)
    {
        if (values.Count == 0)
        {
            return [];
        }

        var list = new List<string>();
        foreach (var value in values)
        {
            foreach (var part in (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                list.Add(part);
            }
        }

        return [.. list];
    }
}
