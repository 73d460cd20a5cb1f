namespace Kiln.Protocol.Query;

/// <summary>Wire literals of the query protocol (IAM, STS, SNS, SQS, CloudWatch).</summary>
public static class QueryWire
{
    public const string RequestIdHeader = "x-amzn-RequestId";
    public const string ContentType = "text/xml";
    public const string FormContentType = "application/x-www-form-urlencoded";

    /// <summary>Form keys the gateway routes on; the parser never binds them to members.</summary>
    public const string ActionKey = "Action";
    public const string VersionKey = "Version";

    public const string ErrorResponseElement = "ErrorResponse";
    public const string ErrorElement = "Error";
    public const string TypeElement = "Type";
    public const string CodeElement = "Code";
    public const string MessageElement = "Message";
    public const string RequestIdElement = "RequestId";
    public const string ResponseMetadataElement = "ResponseMetadata";
    public const string SenderType = "Sender";
    public const string ReceiverType = "Receiver";

    public const string InvalidActionCode = "InvalidAction";

    /// <summary>List items and map entries when the model names none (botocore's defaults).</summary>
    public const string MemberElement = "member";
    public const string EntryElement = "entry";
    public const string KeyElement = "key";
    public const string ValueElement = "value";

    public static string ResponseElement(string operation) => operation + "Response";
}
