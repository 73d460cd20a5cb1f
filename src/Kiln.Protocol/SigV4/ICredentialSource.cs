using Kiln.Core;

namespace Kiln.Protocol.SigV4;

/// <summary>Where the authenticator looks up the secret behind an access key id.</summary>
public interface ICredentialSource
{
    /// <summary>The credential for <paramref name="accessKeyId"/>, or null when there is none
    /// (the caller answers InvalidAccessKeyId / InvalidClientTokenId / UnrecognizedClientException).</summary>
    ValueTask<Credential?> FindAsync(string accessKeyId, CancellationToken cancellationToken);
}

/// <summary>A secret and the principal it authenticates. <see cref="SessionToken"/> is set for
/// temporary credentials, which must then arrive with the matching <c>X-Amz-Security-Token</c>.
/// <see cref="Active"/> false means the key exists but is disabled.</summary>
public sealed record Credential(string AccessKeyId, string SecretAccessKey, Principal Principal)
{
    public string? SessionToken { get; init; }
    public DateTimeOffset? Expiration { get; init; }
    public bool Active { get; init; } = true;
}
