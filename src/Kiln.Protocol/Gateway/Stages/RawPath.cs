using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Kiln.Protocol.Gateway.Stages;

/// <summary>The request path as the client sent it, still percent-encoded, for REST routing: S3
/// keys may hold encoded slashes that a decoded path would turn into separators. A
/// virtual-host-style S3 request (<c>bucket.host/key</c>) becomes <c>/bucket/key</c>.</summary>
internal static class RawPath
{
    public static string Of(HttpRequest request, string? hostBucket)
    {
        var raw = request.HttpContext.Features.Get<IHttpRequestFeature>()?.RawTarget;
        string path;
        if (string.IsNullOrEmpty(raw) || raw[0] != '/')
        {
            path = (request.PathBase + request.Path).ToUriComponent();
        }
        else
        {
            var query = raw.IndexOf('?');
            path = query < 0 ? raw : raw[..query];
        }

        if (path.Length == 0)
        {
            path = "/";
        }

        return hostBucket is null ? path : "/" + Uri.EscapeDataString(hostBucket) + (path == "/" ? "" : path);
    }
}
