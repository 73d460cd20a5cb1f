using Kiln.Core;
using Kiln.Protocol.SigV2;
using Kiln.Protocol.SigV4;

namespace Kiln.Protocol.Gateway.Stages;

/// <summary>Stage 3: SigV4. An S3 request, or one that declares x-amz-content-sha256, is
/// authenticated in streaming mode: its body is wrapped so the declared hash or the aws-chunked
/// signatures are checked as it is read, and the operation stage decides later whether to keep it
/// as a stream or read it as a document. A request without it (JSON and query services) has its
/// document read first, under the cap, because the signature covers the body's SHA-256.</summary>
public sealed class Authenticator(ICredentialSource credentials, IClock clock, GatewayOptions options, ServiceCatalog catalog)
{
    private const string ContentSha256 = "x-amz-content-sha256";

    private readonly SigV4Authenticator _sigV4 = new(credentials, clock);
    private readonly S3QueryAuthenticator _sigV2 = new(credentials, clock);
    private readonly OperationResolver _operations = new(catalog);

    internal async ValueTask AuthenticateAsync(GatewayRequest request)
    {
        var http = request.Request;
        var info = request.Service!.Info;
        var style = AuthErrors.StyleFor(info.SigningName, info.Protocol);
        if (style == AuthErrorStyle.S3 && S3QueryAuthenticator.IsPresigned(http))
        {
            // A legacy SigV2 presigned URL: the body (a presigned PUT) is not covered by it.
            request.Principal = await _sigV2.AuthenticateAsync(http, request.HostBucket, request.Aborted)
                .ConfigureAwait(false);
            request.StreamingBody = http.Body;
            return;
        }

        SigV4Payload payload;
        // S3 always streams: a presigned PUT carries no x-amz-content-sha256 but may be 5 GiB.
        if (style == AuthErrorStyle.S3 || http.Headers.ContainsKey(ContentSha256))
        {
            payload = SigV4Payload.Streaming();
        }
        else
        {
            request.Body = await BodyReader.ReadAsync(http.Body, http.ContentLength, options.MaxDocumentBytes,
                request.Aborted).ConfigureAwait(false);
            payload = SigV4Payload.Buffered(request.Body);
            // A few operations are unsigned by design (the model's authtype "none": STS
            // AssumeRoleWithWebIdentity and AssumeRoleWithSAML carry their own proof).
            if (SigV4Authenticator.IsAnonymous(http) && _operations.Find(request, out _)?.AuthType == "none")
            {
                request.Principal = Principal.Anonymous;
                return;
            }
        }

        var result = await _sigV4.AuthenticateAsync(http, payload, style, request.Aborted).ConfigureAwait(false);
        request.Principal = result.Principal;
        request.Authentication = result;
        request.Region = result.Region;
        if (result.Body is { } body)
        {
            request.StreamingBody = body;
        }
    }
}
