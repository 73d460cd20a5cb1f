using Kiln.Services.Kms.Domain;

namespace Kiln.Services.Kms.Storage;

/// <summary>The in-memory KMS store, for unit tests. Keeps JSON so readers get copies.</summary>
public sealed class MemoryKmsStore : IKmsStore
{
    private readonly Lock _lock = new();
    private readonly SortedDictionary<(string Account, string Region, string Id), string> _keys = new();
    private readonly SortedDictionary<(string Account, string Region, string Name), string> _aliases = new();

    public Task<KmsKey?> GetKeyAsync(string accountId, string region, string keyId, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult(_keys.TryGetValue((accountId, region, keyId), out var json) ? KmsJson.Deserialize<KmsKey>(json) : null);
        }
    }

    public Task<IReadOnlyList<KmsKey>> ListKeysAsync(string accountId, string region, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult<IReadOnlyList<KmsKey>>(_keys
                .Where(k => k.Key.Account == accountId && k.Key.Region == region)
                .OrderBy(k => k.Key.Id, StringComparer.Ordinal)
                .Select(k => KmsJson.Deserialize<KmsKey>(k.Value)).ToList());
        }
    }

    public Task PutKeyAsync(KmsKey key, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _keys[(key.AccountId, key.Region, key.KeyId)] = KmsJson.Serialize(key);
            return Task.CompletedTask;
        }
    }

    public Task DeleteKeyAsync(string accountId, string region, string keyId, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _keys.Remove((accountId, region, keyId));
            foreach (var (k, json) in _aliases.ToList())
            {
                if (k.Account == accountId && k.Region == region && KmsJson.Deserialize<KmsAlias>(json).TargetKeyId == keyId)
                {
                    _aliases.Remove(k);
                }
            }

            return Task.CompletedTask;
        }
    }

    public Task<KmsAlias?> GetAliasAsync(string accountId, string region, string name, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult(_aliases.TryGetValue((accountId, region, name), out var json) ? KmsJson.Deserialize<KmsAlias>(json) : null);
        }
    }

    public Task<IReadOnlyList<KmsAlias>> ListAliasesAsync(string accountId, string region, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult<IReadOnlyList<KmsAlias>>(_aliases
                .Where(a => a.Key.Account == accountId && a.Key.Region == region)
                .OrderBy(a => a.Key.Name, StringComparer.Ordinal)
                .Select(a => KmsJson.Deserialize<KmsAlias>(a.Value)).ToList());
        }
    }

    public Task<bool> TryAddAliasAsync(KmsAlias alias, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult(_aliases.TryAdd((alias.AccountId, alias.Region, alias.Name), KmsJson.Serialize(alias)));
        }
    }

    public Task PutAliasAsync(KmsAlias alias, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _aliases[(alias.AccountId, alias.Region, alias.Name)] = KmsJson.Serialize(alias);
            return Task.CompletedTask;
        }
    }

    public Task DeleteAliasAsync(string accountId, string region, string name, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _aliases.Remove((accountId, region, name));
            return Task.CompletedTask;
        }
    }
}
