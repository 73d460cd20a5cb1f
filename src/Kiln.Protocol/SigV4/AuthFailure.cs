namespace Kiln.Protocol.SigV4;

/// <summary>Why a request failed SigV4 authentication, independent of how a protocol words it.
/// <see cref="AuthErrors"/> turns a kind into the code, message and status AWS answers.</summary>
public enum AuthFailure
{
    /// <summary>No Authorization header and no presigned query parameters.</summary>
    MissingAuthentication,
    /// <summary>An algorithm other than AWS4-HMAC-SHA256 (SigV2, SigV4a).</summary>
    UnsupportedAlgorithm,
    /// <summary>The Authorization header lacks Credential, SignedHeaders or Signature.</summary>
    IncompleteSignature,
    /// <summary>The credential is not <c>AKID/yyyyMMdd/region/service/aws4_request</c>.</summary>
    MalformedCredential,
    /// <summary>A presigned URL lacks one of the six required X-Amz-* parameters.</summary>
    MissingPresignParameter,
    /// <summary>Neither a valid X-Amz-Date nor a valid Date header.</summary>
    MissingDate,
    /// <summary>A presigned URL's X-Amz-Date is not <c>yyyyMMddTHHmmssZ</c>.</summary>
    MalformedPresignDate,
    /// <summary>The credential scope's date is not the request date.</summary>
    CredentialDateMismatch,
    /// <summary>The scope names another region than the resource's (S3 bucket region checks).</summary>
    WrongRegion,
    /// <summary>The scope names another service than the endpoint that received it.</summary>
    WrongService,
    /// <summary>X-Amz-Expires is not a number, negative, or above 604800 seconds.</summary>
    InvalidExpires,
    /// <summary>The request time is more than 15 minutes from the server's clock.</summary>
    RequestTimeTooSkewed,
    /// <summary>A presigned URL used after X-Amz-Date + X-Amz-Expires.</summary>
    PresignExpired,
    /// <summary>A presigned URL dated more than 15 minutes in the future.</summary>
    PresignNotYetValid,
    /// <summary>The access key id is not known.</summary>
    UnknownAccessKey,
    /// <summary>The access key exists but is inactive.</summary>
    InactiveAccessKey,
    /// <summary>A temporary access key arrived without its X-Amz-Security-Token.</summary>
    MissingSecurityToken,
    /// <summary>The security token does not belong to the key, or a long-term key came with one.</summary>
    InvalidSecurityToken,
    /// <summary>The temporary credential has expired.</summary>
    ExpiredSecurityToken,
    /// <summary>The signature does not match the one computed with the key's secret.</summary>
    SignatureMismatch,
    /// <summary>A presigned S3 request carries x-amz-* headers that were not signed.</summary>
    UnsignedHeaders,
    /// <summary>An S3 header-signed request without x-amz-content-sha256.</summary>
    MissingContentSha256,
    /// <summary>x-amz-content-sha256 is neither a hex digest nor a known sentinel.</summary>
    InvalidContentSha256,
    /// <summary>The body's SHA-256 is not the one x-amz-content-sha256 declared.</summary>
    ContentSha256Mismatch,
    /// <summary>An aws-chunked chunk (or the trailer) carries a wrong signature.</summary>
    ChunkSignatureMismatch,
    /// <summary>The aws-chunked framing is broken (bad size line, missing CRLF, oversized chunk).</summary>
    MalformedChunkedEncoding,
    /// <summary>The body ended early or its decoded length differs from x-amz-decoded-content-length.</summary>
    IncompleteBody,
}

/// <summary>The family of wire wording an authentication error takes. AWS words the same failure
/// differently per protocol: S3 has its own codes, query services (and non-S3 rest-xml) answer
/// <c>SignatureDoesNotMatch</c> / <c>InvalidClientTokenId</c>, JSON services the <c>*Exception</c>
/// forms with status 400, rest-json services (fronted like API Gateway) the same forms with 403.</summary>
public enum AuthErrorStyle
{
    S3,
    Query,
    Json,
    RestJson,
}
