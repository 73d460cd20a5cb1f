using Kiln.Core;
using Kiln.Core.Errors;
using Kiln.Core.Shapes;
using Microsoft.AspNetCore.Http;

namespace Kiln.Protocol.Gateway;

/// <summary>What the gateway has learned about one request so far. Each stage fills in its part;
/// the error writer and the audit stage read whatever was reached.</summary>
public sealed class GatewayRequest(HttpContext http, string requestId, DateTimeOffset receivedAt)
{
    public HttpContext Http { get; } = http;
    public HttpRequest Request => Http.Request;
    public string RequestId { get; } = requestId;
    public DateTimeOffset ReceivedAt { get; } = receivedAt;
    public CancellationToken Aborted => Http.RequestAborted;

    // Resolve service
    public RegisteredService? Service { get; set; }
    /// <summary>For virtual-host-style S3 requests: the bucket taken from the Host header.</summary>
    public string? HostBucket { get; set; }
    public string Region { get; set; } = "us-east-1";

    // Authenticate
    public Principal? Principal { get; set; }
    public ReadOnlyMemory<byte> Body { get; set; }
    public Stream? StreamingBody { get; set; }
    /// <summary>The SigV4 outcome (decoded length and trailers of an aws-chunked body), when signed.</summary>
    public Kiln.Protocol.SigV4.SigV4Result? Authentication { get; set; }

    // Resolve operation and parse
    public OperationInfo? Operation { get; set; }
    public IReadOnlyDictionary<string, string> UriLabels { get; set; } = Empty;
    public object? Input { get; set; }

    // Invoke
    public object? Output { get; set; }
    public AwsException? Error { get; set; }

    private static readonly IReadOnlyDictionary<string, string> Empty = new Dictionary<string, string>();
}
