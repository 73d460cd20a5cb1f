using Kiln.Core.Errors;
using Kiln.Core.Shapes;
using Microsoft.AspNetCore.Http;

namespace Kiln.Protocol;

/// <summary>One wire protocol (rest-xml, json, query, rest-json): reads a request into the
/// operation's generated input shape and writes output shapes and errors, all driven by the
/// <see cref="ShapeInfo"/> metadata the generator emits. Codecs are stateless and thread-safe.</summary>
public interface IProtocolCodec
{
    /// <summary>The botocore protocol name this codec speaks.</summary>
    string Protocol { get; }

    /// <summary>Builds the input shape of <paramref name="operation"/> (null when it has none).</summary>
    /// <param name="request">Headers and query string are read from here; the body is not.</param>
    /// <param name="uriLabels">URI template labels the router matched (rest protocols), else empty.</param>
    /// <param name="body">The whole body, already read under the size cap (empty for streaming input).</param>
    /// <param name="streamingBody">For an operation whose input payload is a streaming blob: the body
    /// stream (already wrapped by SigV4 checks), assigned to the payload member as is. Else null.</param>
    /// <exception cref="AwsException">Malformed input, with the protocol's error code.</exception>
    object? ParseRequest(OperationInfo operation, HttpRequest request, IReadOnlyDictionary<string, string> uriLabels,
        ReadOnlyMemory<byte> body, Stream? streamingBody);

    /// <summary>Writes a successful response: status, headers and body. The gateway has already set
    /// the request-id headers; a body that needs the request id (query ResponseMetadata) gets it here.</summary>
    Task WriteResponseAsync(OperationInfo operation, object? output, HttpResponse response, string requestId,
        CancellationToken cancellationToken);

    /// <summary>Writes an error as this protocol's AWS error document. A
    /// <see cref="NotImplementedOperationException"/> becomes the protocol's not-implemented error.
    /// <paramref name="operation"/> is null when the request never resolved to one.</summary>
    Task WriteErrorAsync(ServiceInfo service, OperationInfo? operation, AwsException error, HttpResponse response,
        string requestId, CancellationToken cancellationToken);
}
