using System.Globalization;
using System.Text.Json;
using Kiln.Core.Errors;
using Kiln.Core.Shapes;
using Kiln.Protocol.Json;
using Kiln.Protocol.Query;
using Kiln.Protocol.RestXml;
using Microsoft.AspNetCore.Http;

namespace Kiln.Protocol.Errors;

/// <summary>Writes the three AWS error documents. The codecs call these from
/// <see cref="IProtocolCodec.WriteErrorAsync"/>; the gateway calls <see cref="WriteS3ErrorAsync"/>
/// directly for a request that never resolved to a service (DESIGN.md: never an HTML page).</summary>
public static class ErrorDocuments
{
    /// <summary>S3's <c>&lt;Error&gt;</c>: Code, Message, the exception's extra fields, RequestId and
    /// HostId, as <c>application/xml</c>. HEAD gets status and headers only.</summary>
    public static async Task WriteS3ErrorAsync(HttpResponse response, int status, AwsException error, string requestId,
        CancellationToken cancellationToken)
    {
        response.StatusCode = status;
        CopyHeaders(error, response);
        var hostId = response.Headers[RestXmlWire.HostIdHeader].ToString();
        using var buffer = new PooledBufferWriter(1024);
        var xml = new XmlOutput(buffer);
        xml.Declaration();
        xml.StartElement(RestXmlWire.ErrorElement);
        xml.Element(RestXmlWire.CodeElement, error.Code);
        xml.Element(RestXmlWire.MessageElement, error.Message);
        foreach (var (name, value) in error.Fields)
        {
            xml.Element(name, value);
        }

        xml.Element(RestXmlWire.RequestIdElement, requestId);
        xml.Element(RestXmlWire.HostIdElement, hostId);
        xml.EndElement(RestXmlWire.ErrorElement);
        await buffer.SendAsync(response, RestXmlWire.ContentType, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The query protocol's <c>&lt;ErrorResponse&gt;</c> (IAM, STS, SNS, SQS, CloudWatch).</summary>
    public static async Task WriteQueryErrorAsync(HttpResponse response, int status, string? xmlNamespace,
        AwsException error, string requestId, CancellationToken cancellationToken)
    {
        response.StatusCode = status;
        CopyHeaders(error, response);
        using var buffer = new PooledBufferWriter(1024);
        var xml = new XmlOutput(buffer);
        xml.StartElement(QueryWire.ErrorResponseElement);
        if (xmlNamespace is not null)
        {
            xml.Attribute("xmlns", xmlNamespace);
        }

        xml.StartElement(QueryWire.ErrorElement);
        xml.Element(QueryWire.TypeElement, ErrorStatus.IsSenderFault(error, status) ? QueryWire.SenderType : QueryWire.ReceiverType);
        xml.Element(QueryWire.CodeElement, error.Code);
        xml.Element(QueryWire.MessageElement, error.Message);
        foreach (var (name, value) in error.Fields)
        {
            xml.Element(name, value);
        }

        xml.EndElement(QueryWire.ErrorElement);
        xml.Element(QueryWire.RequestIdElement, requestId);
        xml.EndElement(QueryWire.ErrorResponseElement);
        await buffer.SendAsync(response, QueryWire.ContentType, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The JSON error document <c>{"__type":"Code","message":"..."}</c> plus the extra
    /// fields, with <c>x-amzn-ErrorType</c>; <paramref name="queryCompatible"/> adds
    /// <c>x-amzn-query-error</c> for services that also speak query.</summary>
    /// <param name="errorShape">The model's shape for the error, if any: a field whose member is a
    /// number or boolean there is written as one (Fields hold invariant strings).</param>
    public static async Task WriteJsonErrorAsync(HttpResponse response, int status, string contentType,
        AwsException error, bool queryCompatible, ShapeInfo? errorShape, CancellationToken cancellationToken)
    {
        response.StatusCode = status;
        CopyHeaders(error, response);
        response.Headers[JsonWire.ErrorTypeHeader] = error.Code;
        if (queryCompatible)
        {
            response.Headers[JsonWire.QueryErrorHeader] =
                error.Code + (ErrorStatus.IsSenderFault(error, status) ? ";Sender" : ";Receiver");
        }

        using var buffer = new PooledBufferWriter(512);
        using (var json = new Utf8JsonWriter(buffer, JsonShapeWriter.Options))
        {
            json.WriteStartObject();
            json.WriteString(JsonWire.TypeProperty, error.Code);
            json.WriteString(JsonWire.MessageProperty, error.Message);
            foreach (var (name, value) in error.Fields)
            {
                if (name is not JsonWire.TypeProperty and not JsonWire.MessageProperty)
                {
                    WriteField(json, name, value, errorShape?.FindMember(name)?.Shape);
                }
            }

            json.WriteEndObject();
        }

        await buffer.SendAsync(response, contentType, cancellationToken).ConfigureAwait(false);
    }

    private static void WriteField(Utf8JsonWriter json, string name, string value, ShapeInfo? shape)
    {
        switch (shape?.Type)
        {
            case ShapeType.Integer or ShapeType.Long when long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l):
                json.WriteNumber(name, l);
                return;
            case ShapeType.Float or ShapeType.Double when double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
                                                          && double.IsFinite(d):
                json.WriteNumber(name, d);
                return;
            case ShapeType.Boolean when bool.TryParse(value, out var b):
                json.WriteBoolean(name, b);
                return;
            default:
                json.WriteString(name, value);
                return;
        }
    }

    private static void CopyHeaders(AwsException error, HttpResponse response)
    {
        foreach (var (name, value) in error.Headers)
        {
            response.Headers[name] = value;
        }
    }
}
