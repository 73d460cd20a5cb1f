using Kiln.Core;

namespace Kiln.Storage.Accounts;

/// <summary>A tenant: its own buckets, users and keys, isolated from every other account.</summary>
public sealed record Account(string AccountId, string Name, DateTimeOffset CreatedAt);

/// <summary>An access key and whom it authenticates. The secret is kept apart, sealed at rest.
/// Temporary keys (STS) carry an <see cref="Expiration"/> and a <see cref="Session"/>: the session's
/// facts the authorizer needs (role, session policies, tags), as JSON owned by STS.</summary>
public sealed record AccessKey(
    string AccessKeyId,
    string AccountId,
    string PrincipalArn,
    string UserId,
    PrincipalKind Kind,
    bool Active,
    DateTimeOffset CreatedAt)
{
    public DateTimeOffset? Expiration { get; init; }
    public string? Session { get; init; }

    public Principal ToPrincipal() => new(AccountId, PrincipalArn, UserId, Kind, AccessKeyId) { Expiration = Expiration };
}

/// <summary>An access key with its secret (and, for temporary credentials, its session token) in
/// the clear: only ever in memory.</summary>
public sealed record AccessKeyWithSecret(AccessKey Key, string SecretAccessKey)
{
    public string? SessionToken { get; init; }
}

/// <summary>When and where a key was last used (IAM GetAccessKeyLastUsed).</summary>
public sealed record AccessKeyUse(DateTimeOffset At, string Service, string Region);

/// <summary>An account as just created, with the root key's secret (shown once).</summary>
public sealed record NewAccount(Account Account, AccessKeyWithSecret RootKey);

/// <summary>Rejected account input: the CLI prints the message and exits non-zero.</summary>
public sealed class AccountException(string message) : Exception(message);
