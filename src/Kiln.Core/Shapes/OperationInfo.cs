namespace Kiln.Core.Shapes;

/// <summary>One operation of a service model: its HTTP binding and its input, output and error shapes.</summary>
public sealed class OperationInfo
{
    public OperationInfo(string name, ServiceInfo service)
    {
        Name = name;
        Service = service;
    }

    public string Name { get; }
    public ServiceInfo Service { get; }
    public string HttpMethod { get; set; } = "POST";
    /// <summary>The model's requestUri, e.g. <c>/{Bucket}/{Key+}?uploads</c>.</summary>
    public string RequestUri { get; set; } = "/";
    /// <summary>Success status from the model's <c>http.responseCode</c>, else 200.</summary>
    public int ResponseCode { get; set; } = 200;
    public ShapeInfo? Input { get; set; }
    public ShapeInfo? Output { get; set; }
    /// <summary>Query protocol: the element that wraps the output (<c>resultWrapper</c>).</summary>
    public string? ResultWrapper { get; set; }
    public ShapeInfo[] Errors { get; set; } = [];
    /// <summary><c>authtype</c>: null (SigV4), <c>none</c>, or <c>v4-unsigned-body</c>.</summary>
    public string? AuthType { get; set; }
    public bool HttpChecksumRequired { get; set; }
    /// <summary>The input has a streaming blob payload: the body is handed over as a Stream, never buffered.</summary>
    public bool StreamingInput => Input?.Payload is { } p && Input.FindMember(p)?.Shape.Streaming == true;
    public bool StreamingOutput => Output?.Payload is { } p && Output.FindMember(p)?.Shape.Streaming == true;

    public override string ToString() => $"{Service.ServiceId}:{Name}";
}
