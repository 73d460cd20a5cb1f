namespace Kiln.Core.Shapes;

/// <summary>Service-level facts of an AWS model (<c>metadata</c>) plus its operations and error shapes.</summary>
public sealed class ServiceInfo
{
    public ServiceInfo(string serviceId)
    {
        ServiceId = serviceId;
    }

    /// <summary>The key in api-coverage.json and the botocore data folder name, e.g. <c>sagemaker-runtime</c>.</summary>
    public string ServiceId { get; }
    /// <summary><c>rest-xml</c>, <c>json</c>, <c>query</c> or <c>rest-json</c>.</summary>
    public string Protocol { get; set; } = "";
    public string ApiVersion { get; set; } = "";
    public string? JsonVersion { get; set; }
    public string? TargetPrefix { get; set; }
    public string SigningName { get; set; } = "";
    public string EndpointPrefix { get; set; } = "";
    public string? XmlNamespace { get; set; }
    public bool GlobalEndpoint { get; set; }

    public IReadOnlyDictionary<string, OperationInfo> Operations { get; set; } =
        new Dictionary<string, OperationInfo>();
    /// <summary>Error shapes by their wire code (the <c>error.code</c> trait, else the shape name).</summary>
    public IReadOnlyDictionary<string, ShapeInfo> ErrorShapes { get; set; } =
        new Dictionary<string, ShapeInfo>();

    public override string ToString() => ServiceId;
}
