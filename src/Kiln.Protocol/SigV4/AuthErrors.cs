using System.Globalization;
using System.Runtime.CompilerServices;

namespace Kiln.Protocol.SigV4;

/// <summary>The one table from an authentication failure and a protocol family to the code, message
/// and HTTP status AWS answers. Nothing else in Kiln words an authentication error.
///
/// Sources, cited per row: AWS answers quoted in public issues (the error body as the client saw it),
/// moto (<c>moto/core/exceptions.py</c>, <c>moto/s3/exceptions.py</c>), LocalStack
/// (<c>services/s3/presigned_url.py</c>) and MinIO (<c>cmd/api-errors.go</c>). Where MinIO differs from
/// AWS (its 400 for MissingDateHeader, "The Access Key Id..." without "AWS"), the AWS answer wins.
/// Rows marked [ours] have no public AWS answer to copy; they reuse the family's nearest code.</summary>
public static class AuthErrors
{
    /// <summary>S3 reports the skew it allows (15 minutes) in every RequestTimeTooSkewed error.</summary>
    public const long MaxAllowedSkewMilliseconds = 900_000;

    private const string S3SignatureMessage =
        "The request signature we calculated does not match the signature you provided. Check your key and signing method.";
    private const string SignatureMessage =
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
    private const string InvalidTokenMessage = "The security token included in the request is invalid.";
    private const string ExpiredTokenMessage = "The security token included in the request is expired";
    private const string MissingTokenMessage = "Request is missing Authentication Token";
    private const string S3UnknownKeyMessage = "The AWS Access Key Id you provided does not exist in our records.";
    private const string CredentialFormat = "\"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\"";
    private const string MissingPresignMessage =
        "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.";
    private const string InvalidContentSha256Message =
        "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value.";
    private const string IncompleteBodyMessage =
        "You did not provide the number of bytes specified by the Content-Length HTTP header.";

    /// <summary>The error for <paramref name="failure"/> in <paramref name="style"/>, with the table's
    /// message or <paramref name="message"/> in its place.</summary>
    public static SigV4Exception ToAwsException(AuthFailure failure, AuthErrorStyle style, string? message = null) =>
        ToAwsException(failure, style, message is null ? AuthFailureDetail.None : new AuthFailureDetail { Message = message });

    /// <summary>The error for <paramref name="failure"/> in <paramref name="style"/>, filled in from
    /// <paramref name="detail"/> (times, key id, canonical request) where the protocol shows them.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static SigV4Exception ToAwsException(AuthFailure failure, AuthErrorStyle style, AuthFailureDetail detail)
    {
        var (code, status, message) = Wire(failure, style, detail);
        var error = new SigV4Exception(failure, style, detail, code, detail.Message ?? message, status);
        if (style == AuthErrorStyle.S3)
        {
            AddS3Fields(error, failure, detail);
        }

        return error;
    }

    /// <summary>The style for a service: by signing name (S3's own codes) and botocore protocol name.</summary>
    public static AuthErrorStyle StyleFor(string signingName, string protocol)
    {
        if (signingName == SigV4Strings.S3Service)
        {
            return AuthErrorStyle.S3;
        }

        return protocol switch
        {
            "json" => AuthErrorStyle.Json,
            "rest-json" => AuthErrorStyle.RestJson,
            _ => AuthErrorStyle.Query, // query, ec2, and rest-xml services other than S3 (Route 53, CloudFront)
        };
    }

    private static (string Code, int Status, string Message) Wire(AuthFailure failure, AuthErrorStyle style, AuthFailureDetail d)
    {
        switch (failure)
        {
            case AuthFailure.MissingAuthentication:
                // S3: anonymous access to a private resource (moto S3AccessDeniedError).
                // Query: STS <ErrorResponse> quoted in amzn/selling-partner-api-docs#3081.
                // JSON: DynamoDB's answer, architect/dynalite#105 and aws-dynamodb-session-tomcat#42 (400).
                // rest-json: API Gateway-fronted services answer 403 "Missing Authentication Token".
                return style switch
                {
                    AuthErrorStyle.S3 => ("AccessDenied", 403, "Access Denied"),
                    AuthErrorStyle.Query => ("MissingAuthenticationToken", 403, MissingTokenMessage),
                    AuthErrorStyle.Json => ("MissingAuthenticationTokenException", 400, MissingTokenMessage),
                    _ => ("MissingAuthenticationTokenException", 403, "Missing Authentication Token"),
                };

            case AuthFailure.UnsupportedAlgorithm:
                // S3: the answer to SigV2 in SigV4-only regions; presigned form is MinIO ErrInvalidQuerySignatureAlgo.
                // Others: aws-sdk-ruby#317 (CloudFront), aws-sdk-js#4285 (SSM) got IncompleteSignature for "AWS ..." headers.
                if (style == AuthErrorStyle.S3)
                {
                    return d.Presigned
                        ? ("AuthorizationQueryParametersError", 400, "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"")
                        : ("InvalidRequest", 400, "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.");
                }

                return Incomplete(style, d.Presigned
                    ? "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\""
                    : "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter.");

            case AuthFailure.IncompleteSignature:
                // S3: robmcvey/cakephp-amazon-s3#15. Others: amazonka#316 (SES) lists each missing part.
                // AWS then echoes "Authorization=<header>"; we do not, so no signature reaches a log.
                return style == AuthErrorStyle.S3
                    ? ("AuthorizationHeaderMalformed", 400,
                        "The authorization header is malformed; the authorization header requires three components: Credential, SignedHeaders, and Signature.")
                    : Incomplete(style, MissingComponents(d.MissingComponents));

            case AuthFailure.MalformedCredential:
                // S3 header: wp-amazon-s3-and-cloudfront#460; S3 presigned: LocalStack, MinIO ErrCredMalformed.
                // Others [ours]: IncompleteSignature family, stating the expected shape.
                if (style == AuthErrorStyle.S3)
                {
                    return d.Presigned
                        ? ("AuthorizationQueryParametersError", 400,
                            $"Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting {CredentialFormat}.")
                        : ("AuthorizationHeaderMalformed", 400,
                            $"The authorization header is malformed; the Credential is mal-formed; expecting {CredentialFormat}.");
                }

                return Incomplete(style,
                    $"Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{d.Credential}'");

            case AuthFailure.MissingPresignParameter:
                // LocalStack is_valid_sig_v4, MinIO ErrInvalidQueryParams.
                return style == AuthErrorStyle.S3
                    ? ("AuthorizationQueryParametersError", 400, MissingPresignMessage)
                    : Incomplete(style, MissingPresignMessage);

            case AuthFailure.MissingDate:
                // S3: the AccessDenied body quoted in hubrick/vertx-s3-client#5 (403; MinIO's 400 is its own).
                // Others: chalice#828 (API Gateway) wording.
                return style == AuthErrorStyle.S3
                    ? ("AccessDenied", 403, "AWS authentication requires a valid Date or x-amz-date header")
                    : Incomplete(style, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");

            case AuthFailure.MalformedPresignDate:
                // MinIO ErrMalformedPresignedDate.
                const string presignDate = "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"";
                return style == AuthErrorStyle.S3
                    ? ("AuthorizationQueryParametersError", 400, presignDate)
                    : Incomplete(style, presignDate);

            case AuthFailure.CredentialDateMismatch:
                // S3: alpakka#1690 / arq_restore#48. Others: requests-aws4auth#7 quotes the service answer.
                if (style == AuthErrorStyle.S3)
                {
                    return d.Presigned
                        ? ("AuthorizationQueryParametersError", 400, "Invalid credential date. Date is not the same as X-Amz-Date.")
                        : ("AuthorizationHeaderMalformed", 400,
                            "The authorization header is malformed; Invalid credential date. Date is not the same as X-Amz-Date.");
                }

                return Signature(style,
                    $"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{d.ScopeDate}' != '{d.RequestTime?[..Math.Min(8, d.RequestTime.Length)]}', from '{d.RequestTime}'.");

            case AuthFailure.WrongRegion:
                // S3: aws-cli#2954 and s3verify#128 (with <Region>). Others: aws-sdk-ruby#508 (SQS), aws-sdk-js#4545.
                return style == AuthErrorStyle.S3
                    ? ("AuthorizationHeaderMalformed", 400,
                        $"The authorization header is malformed; the region '{d.Region}' is wrong; expecting '{d.ExpectedRegion}'")
                    : Signature(style, $"Credential should be scoped to a valid region, not '{d.Region}'. ");

            case AuthFailure.WrongService:
                // Others: cllunsford/aws-signing-proxy#25. S3 [ours], after MinIO ErrInvalidServiceS3.
                return style == AuthErrorStyle.S3
                    ? ("AuthorizationHeaderMalformed", 400,
                        $"The authorization header is malformed; incorrect service \"{d.Service}\". This endpoint belongs to \"{d.ExpectedService}\".")
                    : Signature(style, $"Credential should be scoped to correct service: '{d.ExpectedService}'. ");

            case AuthFailure.InvalidExpires:
                // aws-cli#5464 and aws_auth#31 quote the over-a-week answer; MinIO has the other two.
                // The authenticator passes the specific sentence as the detail message.
                const string week =
                    "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds";
                return style == AuthErrorStyle.S3
                    ? ("AuthorizationQueryParametersError", 400, week)
                    : Incomplete(style, week);

            case AuthFailure.RequestTimeTooSkewed:
                // S3: versitygw#1514 and aws-sdk-php#612 (403, RequestTime/ServerTime/MaxAllowedSkewMilliseconds).
                // Query: aws-cli#6676 (STS), aws-sdk-js#265 (SNS) answer SignatureDoesNotMatch 403 "Signature
                // expired"; EC2's RequestExpired is EC2-only. JSON: aws-sdk-js#254 (InvalidSignatureException 400).
                return style == AuthErrorStyle.S3
                    ? ("RequestTimeTooSkewed", 403, "The difference between the request time and the current time is too large.")
                    : Signature(style, SkewMessage(d, TimeSpan.FromMinutes(15)));

            case AuthFailure.PresignExpired:
                // S3: MinIO ErrExpiredPresignRequest, LocalStack (with X-Amz-Expires, Expires, ServerTime).
                // Others [ours]: the "Signature expired" sentence measured against X-Amz-Expires.
                return style == AuthErrorStyle.S3
                    ? ("AccessDenied", 403, "Request has expired")
                    : Signature(style, SkewMessage(d, TimeSpan.FromSeconds(d.ExpiresSeconds ?? 900)));

            case AuthFailure.PresignNotYetValid:
                // S3: MinIO ErrRequestNotReadyYet. Others: the "Signature not yet current" sentence.
                return style == AuthErrorStyle.S3
                    ? ("AccessDenied", 403, "Request is not valid yet")
                    : Signature(style, SkewMessage(d, TimeSpan.FromMinutes(15)));

            case AuthFailure.UnknownAccessKey:
            case AuthFailure.InactiveAccessKey:
            case AuthFailure.MissingSecurityToken:
                // AWS does not tell an inactive key or a temporary key without its token from an unknown
                // key (fakecloud#1576 for inactive keys; botocore#228 shows an ASIA key without token).
                // S3: moto S3InvalidAccessKeyIdError. Query: moto InvalidClientTokenIdError, the SNS answer in
                // laravel-notification-channels/aws-sns#31. JSON: boto3#509 (400). rest-json: iamlive#58 (Lambda 403).
                return style switch
                {
                    AuthErrorStyle.S3 => ("InvalidAccessKeyId", 403, S3UnknownKeyMessage),
                    AuthErrorStyle.Query => ("InvalidClientTokenId", 403, InvalidTokenMessage),
                    AuthErrorStyle.Json => ("UnrecognizedClientException", 400, InvalidTokenMessage),
                    _ => ("UnrecognizedClientException", 403, InvalidTokenMessage),
                };

            case AuthFailure.InvalidSecurityToken:
                // S3: moto S3InvalidTokenError. Others: the same answer as an unknown key.
                return style switch
                {
                    AuthErrorStyle.S3 => ("InvalidToken", 400, "The provided token is malformed or otherwise invalid."),
                    AuthErrorStyle.Query => ("InvalidClientTokenId", 403, InvalidTokenMessage),
                    AuthErrorStyle.Json => ("UnrecognizedClientException", 400, InvalidTokenMessage),
                    _ => ("UnrecognizedClientException", 403, InvalidTokenMessage),
                };

            case AuthFailure.ExpiredSecurityToken:
                // S3: craftcms/aws-s3#182 (400; AWS adds <Token-0>, which we leave out: tokens stay out of logs).
                // Query: prowler#789 (STS). JSON: ExpiredTokenException, same sentence.
                return style switch
                {
                    AuthErrorStyle.S3 => ("ExpiredToken", 400, "The provided token has expired."),
                    AuthErrorStyle.Query => ("ExpiredToken", 400, ExpiredTokenMessage),
                    AuthErrorStyle.Json => ("ExpiredTokenException", 400, ExpiredTokenMessage),
                    _ => ("ExpiredTokenException", 403, ExpiredTokenMessage),
                };

            case AuthFailure.SignatureMismatch:
            case AuthFailure.ChunkSignatureMismatch:
                // S3: moto S3SignatureDoesNotMatchError (canonical request and string to sign go in fields).
                // Query: boto3#756 quotes STS appending both to the message. JSON: InvalidSignatureException 400.
                return style == AuthErrorStyle.S3
                    ? ("SignatureDoesNotMatch", 403, S3SignatureMessage)
                    : Signature(style, SignatureMessage + Explained(d));

            case AuthFailure.UnsignedHeaders:
                // LocalStack validate_presigned_url_s3v4 (AccessDenied with HeadersNotSigned).
                const string unsigned = "There were headers present in the request which were not signed";
                return style == AuthErrorStyle.S3 ? ("AccessDenied", 403, unsigned) : Signature(style, unsigned);

            case AuthFailure.MissingContentSha256:
                // S3's answer to a SigV4 request without the header [ours wording after the S3 docs, which
                // make the header required]. Other services never require it.
                return style == AuthErrorStyle.S3
                    ? ("InvalidRequest", 400, "Missing required header for this request: x-amz-content-sha256")
                    : Signature(style, SignatureMessage);

            case AuthFailure.InvalidContentSha256:
                // S3: versitygw#1352 quotes the full answer. Others: opendal-reqsign#346, SignatureDoesNotMatch.
                return style == AuthErrorStyle.S3
                    ? ("InvalidArgument", 400, InvalidContentSha256Message)
                    : Signature(style, SignatureMessage);

            case AuthFailure.ContentSha256Mismatch:
                // S3: MinIO ErrContentSHA256Mismatch (AWS adds ClientComputed/S3ComputedContentSHA256).
                // Others hash the body themselves, so a wrong hash is a wrong signature.
                return style == AuthErrorStyle.S3
                    ? ("XAmzContentSHA256Mismatch", 400, "The provided 'x-amz-content-sha256' header does not match what was computed.")
                    : Signature(style, SignatureMessage);

            case AuthFailure.MalformedChunkedEncoding:
                // aws-chunked is an S3 feature; AWS publishes no code for bad framing [ours: InvalidRequest].
                return ("InvalidRequest", 400, "The aws-chunked request body is malformed.");

            case AuthFailure.IncompleteBody:
                // The S3 error-code table: IncompleteBody 400.
                return ("IncompleteBody", 400, IncompleteBodyMessage);

            default:
                throw new ArgumentOutOfRangeException(nameof(failure), failure, null);
        }
    }

    private static (string, int, string) Incomplete(AuthErrorStyle style, string message) => style switch
    {
        AuthErrorStyle.Query => ("IncompleteSignature", 400, message),
        AuthErrorStyle.RestJson => ("IncompleteSignatureException", 403, message),
        _ => ("IncompleteSignatureException", 400, message),
    };

    private static (string, int, string) Signature(AuthErrorStyle style, string message) => style switch
    {
        AuthErrorStyle.Query or AuthErrorStyle.S3 => ("SignatureDoesNotMatch", 403, message),
        AuthErrorStyle.RestJson => ("InvalidSignatureException", 403, message),
        _ => ("InvalidSignatureException", 400, message),
    };

    private static string MissingComponents(IReadOnlyList<string>? missing)
    {
        if (missing is null || missing.Count == 0)
        {
            return "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter.";
        }

        var parts = new string[missing.Count];
        for (var i = 0; i < missing.Count; i++)
        {
            parts[i] = $"Authorization header requires '{missing[i]}' parameter.";
        }

        return string.Join(' ', parts);
    }

    // "Signature expired: 20220127T001427Z is now earlier than 20220127T014428Z (20220127T015928Z - 15 min.)"
    // (aws-cli#6676), and its mirror for a request from the future.
    private static string SkewMessage(AuthFailureDetail d, TimeSpan window)
    {
        var now = d.ServerTime ?? DateTimeOffset.UtcNow;
        var signed = d.RequestTime ?? (d.SignedAt is { } at ? Basic(at) : "");
        var span = window.TotalSeconds % 60 == 0
            ? $"{(long)window.TotalMinutes} min"
            : $"{(long)window.TotalSeconds} sec";
        return d.SignedAt is { } signedAt && signedAt > now
            ? $"Signature not yet current: {signed} is still later than {Basic(now + window)} ({Basic(now)} + {span}.)"
            : $"Signature expired: {signed} is now earlier than {Basic(now - window)} ({Basic(now)} - {span}.)";
    }

    private static string Explained(AuthFailureDetail d) =>
        d.CanonicalRequest is null || d.StringToSign is null
            ? ""
            : $"\n\nThe Canonical String for this request should have been\n'{d.CanonicalRequest}'\n\nThe String-to-Sign should have been\n'{d.StringToSign}'\n";

    private static void AddS3Fields(SigV4Exception error, AuthFailure failure, AuthFailureDetail d)
    {
        var fields = error.Fields;
        switch (failure)
        {
            case AuthFailure.UnknownAccessKey or AuthFailure.InactiveAccessKey or AuthFailure.MissingSecurityToken:
                Put(fields, "AWSAccessKeyId", d.AccessKeyId);
                break;
            case AuthFailure.SignatureMismatch or AuthFailure.ChunkSignatureMismatch:
                Put(fields, "AWSAccessKeyId", d.AccessKeyId);
                Put(fields, "StringToSign", d.StringToSign);
                Put(fields, "CanonicalRequest", d.CanonicalRequest);
                break;
            case AuthFailure.RequestTimeTooSkewed:
                Put(fields, "RequestTime", d.RequestTime);
                Put(fields, "ServerTime", d.ServerTime is { } server ? Extended(server) : null);
                fields["MaxAllowedSkewMilliseconds"] = MaxAllowedSkewMilliseconds.ToString(CultureInfo.InvariantCulture);
                break;
            case AuthFailure.PresignExpired:
                Put(fields, "X-Amz-Expires", d.ExpiresSeconds?.ToString(CultureInfo.InvariantCulture));
                Put(fields, "Expires", d.SignedAt is { } signed && d.ExpiresSeconds is { } seconds
                    ? Extended(signed.AddSeconds(seconds))
                    : null);
                Put(fields, "ServerTime", d.ServerTime is { } now ? Extended(now) : null);
                break;
            case AuthFailure.WrongRegion:
                Put(fields, "Region", d.ExpectedRegion);
                break;
            case AuthFailure.UnsignedHeaders:
                Put(fields, "HeadersNotSigned", d.HeadersNotSigned);
                break;
            case AuthFailure.InvalidContentSha256:
                fields["ArgumentName"] = SigV4Strings.XAmzContentSha256;
                Put(fields, "ArgumentValue", d.ClientSha256);
                break;
            case AuthFailure.ContentSha256Mismatch:
                Put(fields, "ClientComputedContentSHA256", d.ClientSha256);
                Put(fields, "S3ComputedContentSHA256", d.ComputedSha256);
                break;
        }
    }

    private static void Put(Dictionary<string, string> fields, string name, string? value)
    {
        if (value is not null)
        {
            fields[name] = value;
        }
    }

    internal static string Basic(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);

    private static string Extended(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
