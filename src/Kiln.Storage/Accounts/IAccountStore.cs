namespace Kiln.Storage.Accounts;

/// <summary>Accounts and their access keys. Implementations: <see cref="SqliteAccountStore"/> (the
/// server and the CLI, on the data directory) and <see cref="MemoryAccountStore"/> (unit tests).</summary>
public interface IAccountStore
{
    /// <summary>Creates an account with a root access key, generated unless given.</summary>
    /// <exception cref="AccountException">Bad name or key, or one already taken.</exception>
    Task<NewAccount> CreateAccountAsync(string name, string? accessKeyId, string? secretAccessKey,
        CancellationToken cancellationToken);

    Task<IReadOnlyList<Account>> ListAccountsAsync(CancellationToken cancellationToken);

    /// <summary>The key and its secret, or null when no such key exists.</summary>
    Task<AccessKeyWithSecret?> FindAccessKeyAsync(string accessKeyId, CancellationToken cancellationToken);

    /// <summary>Stores a key made by IAM (CreateAccessKey) or STS (temporary credentials); the
    /// secret and session token are sealed at rest.</summary>
    /// <exception cref="AccountException">The id is taken or the account does not exist.</exception>
    Task AddAccessKeyAsync(AccessKeyWithSecret key, CancellationToken cancellationToken);

    /// <summary>The keys of one principal, oldest first, without secrets.</summary>
    Task<IReadOnlyList<AccessKey>> ListAccessKeysAsync(string accountId, string principalArn,
        CancellationToken cancellationToken);

    /// <summary>Activates or deactivates a key; false when there is no such key.</summary>
    Task<bool> SetAccessKeyActiveAsync(string accessKeyId, bool active, CancellationToken cancellationToken);

    /// <summary>Deletes a key; false when there is no such key.</summary>
    Task<bool> DeleteAccessKeyAsync(string accessKeyId, CancellationToken cancellationToken);

    /// <summary>Records a use of the key (IAM GetAccessKeyLastUsed).</summary>
    Task RecordAccessKeyUseAsync(string accessKeyId, AccessKeyUse use, CancellationToken cancellationToken);

    /// <summary>The key's last use, or null when it was never used.</summary>
    Task<AccessKeyUse?> FindAccessKeyUseAsync(string accessKeyId, CancellationToken cancellationToken);

    /// <summary>Removes temporary keys that expired before <paramref name="before"/>; returns how many.</summary>
    Task<int> DeleteExpiredAccessKeysAsync(DateTimeOffset before, CancellationToken cancellationToken);
}
