using Kiln.Protocol.Json;
using Kiln.Protocol.RestXml;
using Microsoft.AspNetCore.Http;

namespace Kiln.Protocol.Errors;

/// <summary>The request-id headers each protocol's clients read: botocore takes
/// <c>x-amzn-RequestId</c> (json, rest-json, query) or <c>x-amz-request-id</c> plus
/// <c>x-amz-id-2</c> (rest-xml, where both are also echoed in error bodies).</summary>
public static class RequestIdHeaders
{
    /// <summary>Sets the request-id headers for <paramref name="protocol"/>. For rest-xml,
    /// <paramref name="hostId"/> defaults to a value derived from the request id.</summary>
    public static void Write(HttpResponse response, string protocol, string requestId, string? hostId = null)
    {
        if (protocol == "rest-xml")
        {
            response.Headers[RestXmlWire.RequestIdHeader] = requestId;
            response.Headers[RestXmlWire.HostIdHeader] = hostId ?? HostIdFor(requestId);
            return;
        }

        response.Headers[JsonWire.RequestIdHeader] = requestId;
    }

    /// <summary>A stable, opaque host id for a request id (S3's is base64 of an internal token).</summary>
    public static string HostIdFor(string requestId) =>
        Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(requestId)));
}
