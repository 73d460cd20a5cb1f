using System.Text;
using System.Text.Json;
using Kiln.Core.Errors;
using Kiln.Core.Shapes;
using Kiln.Protocol.Errors;
using Kiln.Protocol.Routing;
using Microsoft.AspNetCore.Http;

namespace Kiln.Protocol.Json;

/// <summary>The <c>rest-json</c> protocol (Lambda, SageMaker Runtime, Feature Store Runtime, DataBrew).
/// <para>The route table has matched method and URI template; members are read from where the model
/// puts them (<see cref="RestBinding"/>: URI labels, query string, headers, header maps), and the body
/// is either the payload member (a blob or string raw, a structure as JSON) or a JSON object of the
/// remaining members. Timestamps default to RFC 822 in headers, ISO 8601 in the query string and
/// epoch seconds in the body; <c>jsonvalue</c> headers are base64 JSON.</para>
/// <para>Responses mirror that: status from <c>http.responseCode</c> or a <c>statusCode</c> member,
/// located members as headers, payload or JSON body. Errors are the JSON error document with
/// <c>x-amzn-ErrorType</c>, which botocore's rest-json parser reads first.</para></summary>
public sealed class RestJsonCodec : IProtocolCodec
{
    public string Protocol => "rest-json";

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
        else
        {
            JsonShapeReader.ReadInto(target, input, body.Span, bodyMembersOnly: true);
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
                return body.IsEmpty ? null : DecodeUtf8(body.Span);
            default:
                return body.IsEmpty ? null : JsonShapeReader.ReadStructure(payload.Shape, body.Span, bodyMembersOnly: false);
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
        var noBody = NoBody(response);
        if (lookup.PayloadMember is { } payload)
        {
            await RestPayload.WriteRawOrAsync(payload, payload.Get(output), response, noBody,
                async (value, ct) =>
                {
                    using var buffer = new PooledBufferWriter();
                    using (var writer = new Utf8JsonWriter(buffer, JsonShapeWriter.Options))
                    {
                        JsonShapeWriter.WriteStructure(writer, value, payload.Shape, bodyMembersOnly: false);
                    }

                    await buffer.SendAsync(response, JsonWire.RestJsonContentType, ct).ConfigureAwait(false);
                }, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (lookup.BodyMembers.Length == 0 || noBody)
        {
            return;
        }

        using var body = new PooledBufferWriter();
        using (var writer = new Utf8JsonWriter(body, JsonShapeWriter.Options))
        {
            JsonShapeWriter.WriteStructure(writer, output, shape, bodyMembersOnly: true);
        }

        await body.SendAsync(response, JsonWire.RestJsonContentType, cancellationToken).ConfigureAwait(false);
    }

    public Task WriteErrorAsync(ServiceInfo service, OperationInfo? operation, AwsException error, HttpResponse response,
        string requestId, CancellationToken cancellationToken)
    {
        if (error is NotImplementedOperationException)
        {
            error = JsonCodec.UnknownOperation(error);
        }

        return ErrorDocuments.WriteJsonErrorAsync(response, ErrorStatus.Resolve(service, error),
            JsonWire.RestJsonContentType, error, queryCompatible: false, service.ErrorShapes.GetValueOrDefault(error.Code),
            cancellationToken);
    }

    /// <summary>1xx, 204 and 304 responses and HEAD requests carry no body.</summary>
    internal static bool NoBody(HttpResponse response) =>
        response.StatusCode is < 200 or 204 or 304 || HttpMethods.IsHead(response.HttpContext.Request.Method);

    private static AwsException InvalidValue(string where, string name, string value) =>
        ProtocolErrors.Serialization($"The {where} '{name}' has a value that is not valid for its type: '{ProtocolErrors.Describe(value)}'.");

    internal static string DecodeUtf8(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return new UTF8Encoding(false, true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw ProtocolErrors.Serialization("The request body is not valid UTF-8.");
        }
    }
}
