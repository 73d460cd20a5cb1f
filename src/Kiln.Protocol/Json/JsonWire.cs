namespace Kiln.Protocol.Json;

/// <summary>Wire literals of the json and rest-json protocols.</summary>
public static class JsonWire
{
    public const string RequestIdHeader = "x-amzn-RequestId";
    public const string TargetHeader = "X-Amz-Target";
    /// <summary>The error code header; botocore's rest-json parser prefers it to the body.</summary>
    public const string ErrorTypeHeader = "x-amzn-ErrorType";
    /// <summary>For services that moved from query to JSON (<c>awsQueryCompatible</c>: SQS,
    /// CloudWatch): <c>&lt;Code&gt;;Sender|Receiver</c>, which botocore's JSON parser reads before
    /// <c>__type</c>.</summary>
    public const string QueryErrorHeader = "x-amzn-query-error";

    public const string RestJsonContentType = "application/json";
    public const string Json10ContentType = "application/x-amz-json-1.0";
    public const string Json11ContentType = "application/x-amz-json-1.1";
    public const string BinaryContentType = "application/octet-stream";
    public const string TextContentType = "text/plain";

    public const string TypeProperty = "__type";
    public const string MessageProperty = "message";

    public const string UnknownOperationCode = "UnknownOperationException";

    /// <summary>The Content-Type of a json-protocol service (<c>jsonVersion</c>; 1.0 when the model
    /// has none, which is what SQS and CloudWatch use over JSON).</summary>
    public static string ContentTypeFor(string? jsonVersion) =>
        jsonVersion == "1.1" ? Json11ContentType : Json10ContentType;
}
