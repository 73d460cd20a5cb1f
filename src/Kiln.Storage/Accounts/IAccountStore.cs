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
}
