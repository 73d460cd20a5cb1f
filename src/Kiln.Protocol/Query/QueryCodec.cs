using System.Collections;
using Kiln.Core.Errors;
using Kiln.Core.Shapes;
using Kiln.Protocol.Errors;
using Kiln.Protocol.RestXml;
using Kiln.Protocol.Routing;
using Microsoft.AspNetCore.Http;

namespace Kiln.Protocol.Query;

/// <summary>The <c>query</c> protocol (IAM, STS, SNS, SQS, CloudWatch).
/// <para>Requests: flat <c>key=value</c> parameters from the form body and the URL query string
/// (<see cref="QueryForm"/>), walked by the input shape the way botocore's <c>QuerySerializer</c>
/// builds them: nested structures <c>A.B</c>; lists <c>A.member.N</c> (or the item's
/// locationName), flattened lists <c>A.N</c> (the last segment renamed to the item's
/// locationName when it has one), an empty list as <c>A=</c>; maps <c>A.entry.N.key</c> /
/// <c>.value</c> with the key/value locationNames, flattened maps <c>A.N.key</c>. <c>Action</c> and
/// <c>Version</c> are routing keys and bind to nothing. Text that is not a value of the member's
/// type is 400 <c>InvalidParameterValue</c>; broken URL encoding is 400 <c>MalformedQueryString</c>.</para>
/// <para>Responses: <c>&lt;OpResponse xmlns="ns"&gt;&lt;OpResult&gt;...&lt;/OpResult&gt;
/// &lt;ResponseMetadata&gt;&lt;RequestId&gt;</c> as <c>text/xml</c>, the Result element named by the
/// operation's resultWrapper and left out when there is no output. Errors are
/// <c>&lt;ErrorResponse&gt;</c>; a not-implemented operation is 400 <c>InvalidAction</c>.</para></summary>
public sealed class QueryCodec : IProtocolCodec
{
    public string Protocol => "query";

    public object? ParseRequest(OperationInfo operation, HttpRequest request, IReadOnlyDictionary<string, string> uriLabels,
        ReadOnlyMemory<byte> body, Stream? streamingBody)
    {
        var form = QueryForm.Parse(body.Span, request.QueryString.Value);
        if (operation.Input is not { } input)
        {
            return null;
        }

        return ReadStructure(form, input, prefix: null);
    }

    private static object ReadStructure(QueryForm form, ShapeInfo shape, string? prefix)
    {
        var target = RestBinding.NewStructure(shape);
        foreach (var m in shape.Members)
        {
            var key = Join(prefix, ShapeLookup.QueryName(m));
            var value = ReadMember(form, m, key);
            if (value is not null)
            {
                m.Set(target, value);
            }
        }

        return target;
    }

    private static object? ReadMember(QueryForm form, MemberInfo member, string key)
    {
        var shape = member.Shape;
        if (shape.Type == ShapeType.List && ShapeLookup.IsFlattened(member))
        {
            // botocore replaces the member's own name with the item's locationName (SQS
            // Entries -> SendMessageBatchRequestEntry.1).
            if (shape.Member?.LocationName is { } itemName)
            {
                var dot = key.LastIndexOf('.');
                key = dot < 0 ? itemName : string.Concat(key.AsSpan(0, dot + 1), itemName);
            }

            return ReadList(form, shape, key, key);
        }

        if (shape.Type == ShapeType.Map && ShapeLookup.IsFlattened(member))
        {
            return ReadMap(form, shape, key, key);
        }

        return ReadValue(form, shape, key);
    }

    private static object? ReadValue(QueryForm form, ShapeInfo shape, string key)
    {
        switch (shape.Type)
        {
            case ShapeType.Structure:
                return form.Has(key) ? ReadStructure(form, shape, key) : null;
            case ShapeType.List:
                return ReadList(form, shape, key, string.Concat(key, ".", shape.Member?.LocationName ?? QueryWire.MemberElement));
            case ShapeType.Map:
                return ReadMap(form, shape, key, key + "." + QueryWire.EntryElement);
            default:
                if (!form.TryGetValue(key, out var text))
                {
                    return null;
                }

                if (!WireText.TryParseScalar(text, shape, out var value))
                {
                    throw ProtocolErrors.InvalidParameterValue(
                        $"Value '{ProtocolErrors.Describe(text)}' for parameter {key} is invalid. It must be {Expected(shape.Type)}.");
                }

                return value;
        }
    }

    private static IList? ReadList(QueryForm form, ShapeInfo shape, string key, string itemPrefix)
    {
        var itemShape = shape.Member?.Shape ?? throw RestBinding.MissingMetadata(shape);
        IList? list = null;
        for (var i = 1; ; i++)
        {
            var itemKey = string.Concat(itemPrefix, ".", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (!form.Has(itemKey))
            {
                break;
            }

            list ??= RestBinding.NewList(shape);
            var item = ReadValue(form, itemShape, itemKey);
            if (item is not null)
            {
                list.Add(item);
            }
        }

        // botocore sends an empty list as "Name=" so that the service can tell empty from absent.
        if (list is null && form.TryGetValue(key, out var empty) && empty.Length == 0)
        {
            list = RestBinding.NewList(shape);
        }

        return list;
    }

    private static IDictionary? ReadMap(QueryForm form, ShapeInfo shape, string key, string entryPrefix)
    {
        var keyName = shape.Key?.LocationName ?? QueryWire.KeyElement;
        var valueName = shape.Value?.LocationName ?? QueryWire.ValueElement;
        var keyShape = shape.Key?.Shape ?? throw RestBinding.MissingMetadata(shape);
        var valueShape = shape.Value?.Shape ?? throw RestBinding.MissingMetadata(shape);
        IDictionary? map = null;
        for (var i = 1; ; i++)
        {
            var entry = string.Concat(entryPrefix, ".", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (!form.Has(entry))
            {
                break;
            }

            map ??= RestBinding.NewMap(shape);
            if (ReadValue(form, keyShape, entry + "." + keyName) is not string k)
            {
                throw ProtocolErrors.InvalidParameterValue($"The map entry {entry} of {key} has no {keyName}.");
            }

            var v = ReadValue(form, valueShape, entry + "." + valueName);
            if (v is not null)
            {
                map[k] = v;
            }
        }

        return map;
    }

    private static string Join(string? prefix, string name) => prefix is null ? name : string.Concat(prefix, ".", name);

    private static string Expected(ShapeType type) => type switch
    {
        ShapeType.Boolean => "true or false",
        ShapeType.Integer => "an integer",
        ShapeType.Long => "a long integer",
        ShapeType.Float or ShapeType.Double => "a number",
        ShapeType.Timestamp => "an ISO 8601 timestamp",
        ShapeType.Blob => "base64-encoded",
        _ => "a string",
    };

    public async Task WriteResponseAsync(OperationInfo operation, object? output, HttpResponse response, string requestId,
        CancellationToken cancellationToken)
    {
        response.StatusCode = operation.ResponseCode;
        var responseElement = QueryWire.ResponseElement(operation.Name);
        using var buffer = new PooledBufferWriter();
        var xml = new XmlOutput(buffer);
        xml.StartElement(responseElement);
        if (operation.Service.XmlNamespace is { } ns)
        {
            xml.Attribute("xmlns", ns);
        }

        if (operation.Output is { } shape)
        {
            if (operation.ResultWrapper is { } wrapper)
            {
                xml.StartElement(wrapper);
                if (output is not null)
                {
                    XmlShapeWriter.WriteMembers(xml, output, shape.Members);
                }

                xml.EndElement(wrapper);
            }
            else if (output is not null)
            {
                XmlShapeWriter.WriteMembers(xml, output, shape.Members);
            }
        }

        xml.StartElement(QueryWire.ResponseMetadataElement);
        xml.Element(QueryWire.RequestIdElement, requestId);
        xml.EndElement(QueryWire.ResponseMetadataElement);
        xml.EndElement(responseElement);
        await buffer.SendAsync(response, QueryWire.ContentType, cancellationToken).ConfigureAwait(false);
    }

    public Task WriteErrorAsync(ServiceInfo service, OperationInfo? operation, AwsException error, HttpResponse response,
        string requestId, CancellationToken cancellationToken)
    {
        if (error is NotImplementedOperationException notImplemented)
        {
            var invalid = new AwsException(QueryWire.InvalidActionCode,
                $"Could not find operation {notImplemented.Operation} for version {service.ApiVersion}", 400);
            foreach (var (k, v) in error.Headers)
            {
                invalid.Headers[k] = v;
            }

            error = invalid;
        }

        return ErrorDocuments.WriteQueryErrorAsync(response, ErrorStatus.Resolve(service, error), service.XmlNamespace,
            error, requestId, cancellationToken);
    }
}
