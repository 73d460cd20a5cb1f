namespace Kiln.Protocol.Gateway;

public sealed class GatewayOptions
{
    /// <summary>Region of requests that carry none (anonymous ones).</summary>
    public string DefaultRegion { get; set; } = "us-east-1";

    /// <summary>Cap on a buffered request document (JSON, XML, query form). Streaming payloads
    /// (S3 object bodies) are never buffered and are not bound by it.</summary>
    public int MaxDocumentBytes { get; set; } = 32 * 1024 * 1024;

    /// <summary>Cap on the request line plus headers; above it the request is refused in its protocol.</summary>
    public int MaxHeaderBytes { get; set; } = 64 * 1024;

    /// <summary>Host names under which <c>&lt;bucket&gt;.&lt;name&gt;</c> is a virtual-host-style S3
    /// request. <c>localhost</c> and <c>s3.localhost</c> are always included.</summary>
    public List<string> VirtualHostDomains { get; } = ["s3.localhost", "localhost"];
}
