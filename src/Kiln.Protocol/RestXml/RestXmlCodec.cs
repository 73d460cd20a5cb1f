using System.Text;
using Kiln.Core.Errors;
using Kiln.Core.Shapes;
using Kiln.Protocol.Errors;
using Kiln.Protocol.Json;
using Kiln.Protocol.Routing;
using Microsoft.AspNetCore.Http;

namespace Kiln.Protocol.RestXml;

/// <summary>The <c>rest-xml</c> protocol (S3, S3 Control).
/// <para>Requests: the route table has matched method and URI template and decoded the labels
/// (a greedy <c>{Key+}</c> keeps its slashes); <see cref="RestBinding"/> reads query-string and
/// header members (<c>x-amz-meta-*</c> into the Metadata map, names as sent); the body is the
/// payload member: a streaming blob is the gateway's body stream as is, a structure is an XML
/// document whose root is the member's locationName (namespace optional). An empty body leaves the
/// payload unset. Malformed XML, a DTD or a wrong root is 400 <c>MalformedXML</c>; a mistyped header
/// or query value is 400 <c>InvalidArgument</c>.</para>
/// <para>Responses: header members become headers (timestamps RFC 1123), then the payload (a
/// stream is copied to the response as read and disposed; a structure is an XML document), or
/// else the output's body members as a document rooted at S3's element name
/// (<see cref="RestXmlWire.S3OutputRoots"/>) with S3's namespace. HEAD, 204 and 304 responses
/// carry no body. Errors are S3's <c>&lt;Error&gt;</c> document; a not-implemented operation is 501
/// <c>NotImplemented</c>.</para></summary>
public sealed class RestXmlCodec : IProtocolCodec
{
    public string Protocol => "rest-xml";

    public object? ParseRequest(OperationInfo operation, HttpRequest request, IReadOnlyDictionary<string, string> uriLabels,
        ReadOnlyMemory<byte> body, Stream? streamingBody)
    {
        if (operation.Input is not { } input)
        {
            return null;
        }

        var lookup = ShapeLookup.For(input);
        var target = RestBinding.NewStructure(input);
        RestBinding.ReadLocated(target, lookup, request, uriLabels, InvalidValue);
        if (lookup.PayloadMember is { } payload)
        {
            var value = ReadPayload(payload, body, streamingBody);
            if (value is not null)
            {
                payload.Set(target, value);
            }
        }
        else if (!body.IsEmpty && lookup.BodyMembers.Length > 0)
        {
            XmlShapeReader.ReadInto(target, input, body);
        }

        return target;
    }

    private static object? ReadPayload(MemberInfo payload, ReadOnlyMemory<byte> body, Stream? streamingBody)
    {
        switch (payload.Shape.Type)
        {
            case ShapeType.Blob when payload.Shape.Streaming:
                return streamingBody ?? BodyBytes.AsStream(body);
            case ShapeType.Blob:
                return body.IsEmpty ? null : body.ToArray();
            case ShapeType.String:
                if (body.IsEmpty)
                {
                    return null;
                }

                try
                {
                    return new UTF8Encoding(false, true).GetString(body.Span);
                }
                catch (DecoderFallbackException)
                {
                    throw ProtocolErrors.InvalidArgument("The request body is not valid UTF-8.");
                }

            default:
                if (body.IsEmpty)
                {
                    return null;
                }

                // botocore names the root after the member's locationName; other SDKs use the
                // shape's name (PutBucketLifecycleConfiguration: LifecycleConfiguration vs
                // BucketLifecycleConfiguration), so either is accepted.
                return XmlShapeReader.ReadDocument(payload.Shape, body,
                    ShapeLookup.SerializedName(payload), payload.Shape.Name, payload.Name);
        }
    }

    public async Task WriteResponseAsync(OperationInfo operation, object? output, HttpResponse response, string requestId,
        CancellationToken cancellationToken)
    {
        var status = operation.ResponseCode;
        if (output is null || operation.Output is not { } shape)
        {
            response.StatusCode = status;
            return;
        }

        var lookup = ShapeLookup.For(shape);
        response.StatusCode = RestBinding.WriteLocated(output, lookup, response, status);
        var noBody = RestJsonCodec.NoBody(response);
        var service = operation.Service;
        var defaultNamespace = service.XmlNamespace ?? RestXmlWire.DefaultNamespace(service.ServiceId);
        if (lookup.PayloadMember is { } payload)
        {
            await RestPayload.WriteRawOrAsync(payload, payload.Get(output), response, noBody, (value, ct) =>
                    WriteDocumentAsync(response, ShapeLookup.SerializedName(payload), value, payload.Shape,
                        payload.XmlNamespaceUri ?? defaultNamespace, bodyMembersOnly: false, ct),
                cancellationToken).ConfigureAwait(false);
            return;
        }

        if (lookup.BodyMembers.Length == 0 || noBody)
        {
            return;
        }

        if (operation.Name == RestXmlWire.GetBucketLocation && lookup.BodyMembers.Length == 1)
        {
            await WriteBareRootAsync(response, RestXmlWire.S3OutputRoots[operation.Name], lookup.BodyMembers[0].Get(output),
                lookup.BodyMembers[0], defaultNamespace, cancellationToken).ConfigureAwait(false);
            return;
        }

        var root = service.ServiceId == "s3" && RestXmlWire.S3OutputRoots.TryGetValue(operation.Name, out var s3Root)
            ? s3Root
            : shape.LocationName ?? shape.Name;
        await WriteDocumentAsync(response, root, output, shape, defaultNamespace, bodyMembersOnly: true, cancellationToken)
            .ConfigureAwait(false);
    }

    private static async Task WriteDocumentAsync(HttpResponse response, string root, object value, ShapeInfo shape,
        string? xmlns, bool bodyMembersOnly, CancellationToken cancellationToken)
    {
        using var buffer = new PooledBufferWriter();
        var xml = new XmlOutput(buffer);
        xml.Declaration();
        XmlShapeWriter.WriteStructure(xml, root, value, shape, xmlns, bodyMembersOnly);
        await buffer.SendAsync(response, RestXmlWire.ContentType, cancellationToken).ConfigureAwait(false);
    }

    // GetBucketLocation: <LocationConstraint xmlns="...">eu-west-1</LocationConstraint>, empty for
    // us-east-1. The model describes a structure; S3 and botocore's handler use the root's text.
    private static async Task WriteBareRootAsync(HttpResponse response, string root, object? value, MemberInfo member,
        string? xmlns, CancellationToken cancellationToken)
    {
        using var buffer = new PooledBufferWriter(256);
        var xml = new XmlOutput(buffer);
        xml.Declaration();
        xml.StartElement(root);
        if (xmlns is not null)
        {
            xml.Attribute("xmlns", xmlns);
        }

        if (value is not null)
        {
            var text = WireText.FormatScalar(value, member.Shape, WireText.TimestampFormatOf(member, WireText.Iso8601));
            if (text.Length > 0)
            {
                xml.Text(text);
            }
        }

        xml.EndElement(root);
        await buffer.SendAsync(response, RestXmlWire.ContentType, cancellationToken).ConfigureAwait(false);
    }

    public Task WriteErrorAsync(ServiceInfo service, OperationInfo? operation, AwsException error, HttpResponse response,
        string requestId, CancellationToken cancellationToken)
    {
        if (error is NotImplementedOperationException)
        {
            var notImplemented = new AwsException(RestXmlWire.NotImplementedCode, error.Message, 501) { SenderFault = false };
            foreach (var (k, v) in error.Headers)
            {
                notImplemented.Headers[k] = v;
            }

            error = notImplemented;
        }

        return ErrorDocuments.WriteS3ErrorAsync(response, ErrorStatus.Resolve(service, error), error, requestId,
            cancellationToken);
    }

    private static AwsException InvalidValue(string where, string name, string value) =>
        ProtocolErrors.InvalidArgument($"The {where} {name} has a value that is not valid for its type.", name, value);
}
