namespace Kiln.CodeGen.Model;

/// <summary>One botocore <c>service-2.json</c>, reduced to the traits Kiln's run-time metadata carries.
/// Member and operation order is the model's order (XML bodies are written in member order).</summary>
public sealed class ServiceModel
{
    public required string ServiceId { get; init; }
    public required string ApiVersionFolder { get; init; }
    public required ServiceMetadata Metadata { get; init; }
    /// <summary>Every operation, sorted by name (ordinal).</summary>
    public required IReadOnlyList<OperationModel> Operations { get; init; }
    public required IReadOnlyDictionary<string, ShapeModel> Shapes { get; init; }

    public ShapeModel Shape(string name) =>
        Shapes.TryGetValue(name, out var shape)
            ? shape
            : throw new InvalidDataException($"{ServiceId}: shape '{name}' is referenced but not defined");
}

public sealed class ServiceMetadata
{
    public required string Protocol { get; init; }
    public required string ApiVersion { get; init; }
    public required string EndpointPrefix { get; init; }
    public string? JsonVersion { get; init; }
    public string? TargetPrefix { get; init; }
    public string? SigningName { get; init; }
    public string? XmlNamespace { get; init; }
    public string? GlobalEndpoint { get; init; }
}

public sealed class OperationModel
{
    public required string Name { get; init; }
    public required string HttpMethod { get; init; }
    public required string RequestUri { get; init; }
    public int? ResponseCode { get; init; }
    public string? InputShape { get; init; }
    /// <summary>Root element name of the input when it is the whole XML body (S3 Control, S3 SelectObjectContent).</summary>
    public string? InputLocationName { get; init; }
    public XmlNamespaceModel? InputXmlNamespace { get; init; }
    public string? OutputShape { get; init; }
    public string? ResultWrapper { get; init; }
    public IReadOnlyList<string> Errors { get; init; } = [];
    public string? AuthType { get; init; }
    /// <summary><c>httpChecksumRequired</c>, or <c>httpChecksum.requestChecksumRequired</c> (newer models).</summary>
    public bool HttpChecksumRequired { get; init; }
    public string? Documentation { get; init; }
}

public sealed record XmlNamespaceModel(string? Prefix, string Uri);

public sealed record ErrorTrait(string? Code, int? HttpStatusCode, bool? SenderFault);

public sealed class ShapeModel
{
    public required string Name { get; init; }
    /// <summary>botocore type: structure, list, map, string, integer, long, float, double, boolean, timestamp, blob.</summary>
    public required string Type { get; init; }

    // structure
    public IReadOnlyList<MemberModel> Members { get; init; } = [];
    public string? Payload { get; init; }
    public bool Exception { get; init; }
    public bool Fault { get; init; }
    public ErrorTrait? Error { get; init; }
    public bool Union { get; init; }
    public bool Document { get; init; }
    public bool EventStream { get; init; }
    public bool Event { get; init; }

    // list / map
    public RefModel? Member { get; init; }
    public RefModel? Key { get; init; }
    public RefModel? Value { get; init; }
    public bool Flattened { get; init; }

    // scalars (min/max also bound lists, maps and strings)
    public string? TimestampFormat { get; init; }
    public bool Streaming { get; init; }
    public IReadOnlyList<string>? Enum { get; init; }
    public double? Min { get; init; }
    public double? Max { get; init; }
    public string? Pattern { get; init; }

    public string? LocationName { get; init; }
    public XmlNamespaceModel? XmlNamespace { get; init; }
    public string? Documentation { get; init; }

    public bool IsStructure => Type == "structure";
    public bool IsException => IsStructure && Exception;
}

/// <summary>A list member or map key/value reference.</summary>
public sealed record RefModel(string Target, string? LocationName);

public sealed class MemberModel
{
    public required string Name { get; init; }
    public required string Target { get; init; }
    public string? Location { get; init; }
    public string? LocationName { get; init; }
    public string? QueryName { get; init; }
    public bool Required { get; init; }
    public bool XmlAttribute { get; init; }
    public XmlNamespaceModel? XmlNamespace { get; init; }
    public bool Flattened { get; init; }
    public string? TimestampFormat { get; init; }
    public bool JsonValue { get; init; }
    public bool HostLabel { get; init; }
    public bool IdempotencyToken { get; init; }
    /// <summary>Member-level <c>streaming</c> (S3 PutObject Body targets the plain blob shape Body).</summary>
    public bool Streaming { get; init; }
    public bool EventPayload { get; init; }
    public string? Documentation { get; init; }
}
