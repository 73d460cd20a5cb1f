using Kiln.Core.Errors;

namespace Kiln.Protocol.SigV4;

/// <summary>An authentication failure, already worded for its protocol by <see cref="AuthErrors"/>.
/// The gateway serializes it like any other <see cref="AwsException"/>; <see cref="Failure"/> keeps
/// the protocol-neutral reason for audit events and tests.</summary>
public sealed class SigV4Exception : AwsException
{
    internal SigV4Exception(AuthFailure failure, AuthErrorStyle style, AuthFailureDetail detail, string code,
        string message, int statusCode)
        : base(code, message, statusCode)
    {
        Failure = failure;
        Style = style;
        Detail = detail;
    }

    public AuthFailure Failure { get; }
    public AuthErrorStyle Style { get; }
    /// <summary>What the authenticator knew (canonical request, times); safe to log.</summary>
    public AuthFailureDetail Detail { get; }
}

/// <summary>What the authenticator knew when it failed; <see cref="AuthErrors"/> picks the parts the
/// protocol's error shows. Never carries a secret, a signature or a session token.</summary>
public sealed class AuthFailureDetail
{
    internal static readonly AuthFailureDetail None = new();

    /// <summary>Replaces the table's message (the code and status stay).</summary>
    public string? Message { get; init; }
    /// <summary>The request was presigned (S3 words query-parameter errors differently).</summary>
    public bool Presigned { get; init; }
    public string? AccessKeyId { get; init; }
    /// <summary>The credential as sent, for malformed-credential messages.</summary>
    public string? Credential { get; init; }
    /// <summary>The Authorization components that were missing (IncompleteSignature).</summary>
    public IReadOnlyList<string>? MissingComponents { get; init; }
    /// <summary>X-Amz-Date (or Date) exactly as sent.</summary>
    public string? RequestTime { get; init; }
    public DateTimeOffset? SignedAt { get; init; }
    public DateTimeOffset? ServerTime { get; init; }
    public long? ExpiresSeconds { get; init; }
    public string? ScopeDate { get; init; }
    public string? Region { get; init; }
    public string? ExpectedRegion { get; init; }
    public string? Service { get; init; }
    public string? ExpectedService { get; init; }
    public string? CanonicalRequest { get; init; }
    public string? StringToSign { get; init; }
    public string? ClientSha256 { get; init; }
    public string? ComputedSha256 { get; init; }
    public string? HeadersNotSigned { get; init; }
}
