using Kiln.Core.Errors;

namespace Kiln.Protocol.Errors;

/// <summary>The errors the protocol layer itself raises for input it cannot read, with AWS's codes
/// and wording (STYLE.md §6: one factory, so the wording lives in one place).</summary>
public static class ProtocolErrors
{
    /// <summary>What AWS JSON services answer for a body that is not JSON or has a value of the
    /// wrong type (Coral's <c>SerializationException</c>).</summary>
    public static AwsException Serialization(string message) => new("SerializationException", message, 400);

    /// <summary>S3's answer for a body that is not well-formed XML, a DTD, or a wrong root element.</summary>
    public static AwsException MalformedXml() =>
        new("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema", 400);

    /// <summary>S3's answer for a header or query-string value of the wrong type.</summary>
    public static AwsException InvalidArgument(string message, string? name = null, string? value = null)
    {
        var e = new AwsException("InvalidArgument", message, 400);
        if (name is not null)
        {
            e.Fields["ArgumentName"] = name;
            e.Fields["ArgumentValue"] = value ?? "";
        }

        return e;
    }

    /// <summary>Query protocol: the form or query string is not valid URL encoding. The AWS common
    /// errors page lists this code with HTTP 404; Kiln answers 400 like every other malformed input.</summary>
    public static AwsException MalformedQueryString(string message) => new("MalformedQueryString", message, 400);

    /// <summary>Query protocol: a parameter whose text is not a value of its type (a non-numeric
    /// integer, a boolean other than true/false, an unreadable timestamp or base64).</summary>
    public static AwsException InvalidParameterValue(string message) => new("InvalidParameterValue", message, 400);

    /// <summary>The 500 every protocol answers for an unexpected exception, with that protocol's code:
    /// S3 <c>InternalError</c>, the others <c>InternalFailure</c> (AWS common errors).</summary>
    public static AwsException Internal(string protocol) => protocol == "rest-xml"
        ? new("InternalError", "We encountered an internal error. Please try again.", 500) { SenderFault = false }
        : new("InternalFailure", "The request processing has failed because of an unknown error, exception or failure.", 500)
        {
            SenderFault = false,
        };

    internal static string Describe(string value) => value.Length <= 64 ? value : string.Concat(value.AsSpan(0, 64), "...");
}
