using Kiln.Core;

namespace Kiln.Storage.Accounts;

/// <summary>The in-memory account store, for unit tests of code above the store.</summary>
public sealed class MemoryAccountStore(IClock clock) : IAccountStore
{
    private readonly Lock _lock = new();
    private readonly List<Account> _accounts = [];
    private readonly Dictionary<string, AccessKeyWithSecret> _keys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, AccessKeyUse> _uses = new(StringComparer.Ordinal);

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

    public Task AddAccessKeyAsync(AccessKeyWithSecret key, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (!_accounts.Any(a => a.AccountId == key.Key.AccountId))
            {
                throw new AccountException($"No account {key.Key.AccountId}.");
            }

            if (!_keys.TryAdd(key.Key.AccessKeyId, key))
            {
                throw new AccountException($"Access key id {key.Key.AccessKeyId} is already in use.");
            }

            return Task.CompletedTask;
        }
    }

    public Task<IReadOnlyList<AccessKey>> ListAccessKeysAsync(string accountId, string principalArn,
        CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult<IReadOnlyList<AccessKey>>(_keys.Values
                .Where(k => k.Key.AccountId == accountId && k.Key.PrincipalArn == principalArn)
                .Select(k => k.Key).OrderBy(k => k.CreatedAt).ThenBy(k => k.AccessKeyId, StringComparer.Ordinal)
                .ToList());
        }
    }

    public Task<bool> SetAccessKeyActiveAsync(string accessKeyId, bool active, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (!_keys.TryGetValue(accessKeyId, out var key))
            {
                return Task.FromResult(false);
            }

            _keys[accessKeyId] = key with { Key = key.Key with { Active = active } };
            return Task.FromResult(true);
        }
    }

    public Task<bool> DeleteAccessKeyAsync(string accessKeyId, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _uses.Remove(accessKeyId);
            return Task.FromResult(_keys.Remove(accessKeyId));
        }
    }

    public Task RecordAccessKeyUseAsync(string accessKeyId, AccessKeyUse use, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_keys.ContainsKey(accessKeyId))
            {
                _uses[accessKeyId] = use;
            }

            return Task.CompletedTask;
        }
    }

    public Task<AccessKeyUse?> FindAccessKeyUseAsync(string accessKeyId, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult(_uses.GetValueOrDefault(accessKeyId));
        }
    }

    public Task<int> DeleteExpiredAccessKeysAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            var expired = _keys.Where(k => k.Value.Key.Expiration < before).Select(k => k.Key).ToList();
            foreach (var id in expired)
            {
                _keys.Remove(id);
                _uses.Remove(id);
            }

            return Task.FromResult(expired.Count);
        }
    }
}
