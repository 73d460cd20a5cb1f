using Kiln.Core;

namespace Kiln.Storage.Accounts;

/// <summary>A tenant: its own buckets, users and keys, isolated from every other account.</summary>
public sealed record Account(string AccountId, string Name, DateTimeOffset CreatedAt);

/// <summary>An access key and whom it authenticates. The secret is kept apart, sealed at rest.</summary>
public sealed record AccessKey(
    string AccessKeyId,
    string AccountId,
    string PrincipalArn,
    string UserId,
    PrincipalKind Kind,
    bool Active,
    DateTimeOffset CreatedAt)
{
    public Principal ToPrincipal() => new(AccountId, PrincipalArn, UserId, Kind, AccessKeyId);
}

/// <summary>An access key with its secret in the clear: only ever in memory.</summary>
public sealed record AccessKeyWithSecret(AccessKey Key, string SecretAccessKey);

/// <summary>An account as just created, with the root key's secret (shown once).</summary>
public sealed record NewAccount(Account Account, AccessKeyWithSecret RootKey);

/// <summary>Rejected account input: the CLI prints the message and exits non-zero.</summary>
public sealed class AccountException(string message) : Exception(message);
