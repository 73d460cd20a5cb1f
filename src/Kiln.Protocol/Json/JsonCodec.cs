using System.Text.Json;
using Kiln.Core.Errors;
using Kiln.Core.Shapes;
using Kiln.Protocol.Errors;
using Microsoft.AspNetCore.Http;

namespace Kiln.Protocol.Json;

/// <summary>The <c>json</c> protocol (Kinesis, SageMaker, Glue, KMS, ... ; JSON 1.0 and 1.1).
/// <para>The gateway has already picked the operation from <c>X-Amz-Target</c>. The request body is
/// one JSON object holding the whole input (an empty body is an empty input); the response body is
/// the whole output as a JSON object, with the service's <c>application/x-amz-json-1.x</c> content
/// type. Errors are <c>{"__type": code, "message": ...}</c> plus <c>x-amzn-ErrorType</c>; a
/// not-implemented operation answers 400 <c>UnknownOperationException</c>, malformed or mistyped
/// JSON 400 <c>SerializationException</c>.</para>
/// <para>A service whose model protocol is <c>query</c> but that the client reached over JSON
/// (SQS and CloudWatch are <c>awsQueryCompatible</c> upstream) also gets <c>x-amzn-query-error</c>,
/// from which botocore takes the query-style error code.</para></summary>
public sealed class JsonCodec : IProtocolCodec
{
    public string Protocol => "json";

    public object? ParseRequest(OperationInfo operation, HttpRequest request, IReadOnlyDictionary<string, string> uriLabels,
        ReadOnlyMemory<byte> body, Stream? streamingBody)
    {
        if (operation.Input is not { } input)
        {
            return null;
        }

        return JsonShapeReader.ReadStructure(input, body.Span, bodyMembersOnly: false);
    }

    public async Task WriteResponseAsync(OperationInfo operation, object? output, HttpResponse response, string requestId,
        CancellationToken cancellationToken)
    {
        response.StatusCode = operation.ResponseCode;
        using var buffer = new PooledBufferWriter();
        using (var writer = new Utf8JsonWriter(buffer, JsonShapeWriter.Options))
        {
            if (output is not null && operation.Output is { } shape)
            {
                JsonShapeWriter.WriteStructure(writer, output, shape, bodyMembersOnly: false);
            }
            else
            {
                // AWS answers an operation without output with an empty object.
                writer.WriteStartObject();
                writer.WriteEndObject();
            }
        }

        await buffer.SendAsync(response, JsonWire.ContentTypeFor(operation.Service.JsonVersion), cancellationToken)
            .ConfigureAwait(false);
    }

    public Task WriteErrorAsync(ServiceInfo service, OperationInfo? operation, AwsException error, HttpResponse response,
        string requestId, CancellationToken cancellationToken)
    {
        if (error is NotImplementedOperationException)
        {
            error = UnknownOperation(error);
        }

        return ErrorDocuments.WriteJsonErrorAsync(response, ErrorStatus.Resolve(service, error),
            JsonWire.ContentTypeFor(service.JsonVersion), error, queryCompatible: service.Protocol == "query",
            service.ErrorShapes.GetValueOrDefault(error.Code), cancellationToken);
    }

    /// <summary>What JSON services answer for an operation they do not have (DESIGN.md).</summary>
    internal static AwsException UnknownOperation(AwsException notImplemented)
    {
        var e = new AwsException(JsonWire.UnknownOperationCode, notImplemented.Message, 400);
        foreach (var (k, v) in notImplemented.Headers)
        {
            e.Headers[k] = v;
        }

        return e;
    }
}
