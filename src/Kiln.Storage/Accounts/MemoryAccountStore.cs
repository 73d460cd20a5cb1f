using Kiln.Core;

namespace Kiln.Storage.Accounts;

/// <summary>The in-memory account store, for unit tests of code above the store.</summary>
public sealed class MemoryAccountStore(IClock clock) : IAccountStore
{
    private readonly Lock _lock = new();
    private readonly List<Account> _accounts = [];
    private readonly Dictionary<string, AccessKeyWithSecret> _keys = new(StringComparer.Ordinal);

    public Task<NewAccount> CreateAccountAsync(string name, string? accessKeyId, string? secretAccessKey,
        CancellationToken cancellationToken)
    {
        (accessKeyId, secretAccessKey) = AccountRules.CheckNewAccount(name, accessKeyId, secretAccessKey);
        lock (_lock)
        {
            if (_accounts.Any(a => a.Name == name))
            {
                throw new AccountException($"An account named '{name}' already exists.");
            }

            if (_keys.ContainsKey(accessKeyId))
            {
                throw new AccountException($"Access key id {accessKeyId} is already in use.");
            }

            string accountId;
            do
            {
                accountId = AccountRules.NewAccountId();
            }
            while (_accounts.Any(a => a.AccountId == accountId));

            var now = clock.UtcNow;
            var account = new Account(accountId, name, now);
            var key = new AccessKeyWithSecret(AccountRules.RootKey(accessKeyId, accountId, now), secretAccessKey);
            _accounts.Add(account);
            _keys.Add(accessKeyId, key);
            return Task.FromResult(new NewAccount(account, key));
        }
    }

    public Task<IReadOnlyList<Account>> ListAccountsAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult<IReadOnlyList<Account>>([.. _accounts]);
        }
    }

    public Task<AccessKeyWithSecret?> FindAccessKeyAsync(string accessKeyId, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult(_keys.GetValueOrDefault(accessKeyId));
        }
    }
}
