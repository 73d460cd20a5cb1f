using System.Runtime.CompilerServices;
using Kiln.Protocol.Json;
using Kiln.Protocol.Query;
using Kiln.Protocol.RestXml;
using Microsoft.AspNetCore.Http;

namespace Kiln.Protocol.Tests.Codecs;

/// <summary>In-memory requests and responses for codec tests (no server, no socket).</summary>
internal static class Http
{
    public static string FixturesDir { get; } = Path.Combine(SourceDir(), "fixtures");

    public static string ScriptPath { get; } = Path.Combine(SourceDir(), "make-fixtures.py");

    private static string SourceDir([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;

    public static IProtocolCodec Codec(string protocol) => protocol switch
    {
        "json" => new JsonCodec(),
        "rest-json" => new RestJsonCodec(),
        "query" => new QueryCodec(),
        "rest-xml" => new RestXmlCodec(),
        _ => throw new NotSupportedException(protocol),
    };

    public static HttpRequest Request(string method, string path = "/", string query = "",
        IEnumerable<(string Name, string Value)>? headers = null)
    {
        var context = new DefaultHttpContext();
        var request = context.Request;
        request.Method = method;
        request.Path = PathString.FromUriComponent(path.StartsWith('/') ? path : "/" + path);
        if (query.Length > 0)
        {
            request.QueryString = new QueryString(query.StartsWith('?') ? query : "?" + query);
        }

        foreach (var (name, value) in headers ?? [])
        {
            request.Headers.Append(name, value);
        }

        context.Response.Body = new MemoryStream();
        return request;
    }

    /// <summary>A response to write into, for a request with <paramref name="method"/>.</summary>
    public static HttpResponse Response(string method = "POST") => Request(method).HttpContext.Response;

    public static byte[] Body(HttpResponse response) => ((MemoryStream)response.Body).ToArray();

    public static string Text(HttpResponse response) => System.Text.Encoding.UTF8.GetString(Body(response));

    public static List<(string Name, string Value)> Headers(HttpResponse response) =>
        response.Headers.Select(h => (h.Key, h.Value.ToString())).ToList();
}
