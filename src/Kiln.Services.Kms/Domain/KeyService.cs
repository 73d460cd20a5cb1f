using System.Security.Cryptography;
using Kiln.Core;
using Kiln.Services.Kms.Storage;
using Kiln.Storage.Crypto;

namespace Kiln.Services.Kms.Domain;

/// <summary>
/// KMS keys and aliases: lifecycle here, cryptography in KeyService.Crypto.cs. Knows no caller:
/// authorization (key policy plus IAM) happens in Api/ before these methods run.
/// Mutations of one key are serialized in-process by <see cref="_writes"/>; the store is the only
/// copy of state, so a restart loses nothing acknowledged.
/// </summary>
public sealed partial class KeyService(IKmsStore store, MasterKey masterKey, IClock clock, KmsOptions options)
{
    public const int MinPendingWindowDays = 7;
    public const int MaxPendingWindowDays = 30;

    private readonly SemaphoreSlim _writes = new(1, 1);

    public IClock Clock => clock;

    public async Task<KmsKey> CreateKeyAsync(string accountId, string region, string? description, string? policy,
        IReadOnlyDictionary<string, string>? tags, CancellationToken ct)
    {
        var document = policy ?? KeyPolicies.Default(accountId);
        KeyPolicies.Parse(document);
        var now = clock.UtcNow;
        var key = new KmsKey
        {
            AccountId = accountId,
            Region = region,
            KeyId = KeyIds.NewKeyId(),
            Description = description ?? "",
            CreationDate = now,
            Policy = document,
        };
        if (tags is not null)
        {
            foreach (var (k, v) in tags)
            {
                key.Tags[k] = v;
            }
        }

        key.Materials.Add(NewMaterial(key.Arn, 1, now));
        await store.PutKeyAsync(key, ct).ConfigureAwait(false);
        return key;
    }

    /// <summary>Finds a key by any of its four identifiers. A key past its deletion date is deleted
    /// here, lazily: to callers it is gone either way.</summary>
    public async Task<KmsKey> GetKeyAsync(string accountId, string region, string? identifier, CancellationToken ct)
    {
        var reference = KeyIds.Parse(identifier, accountId, region) ?? throw KmsErrors.InvalidKeyId(identifier ?? "");
        var keyId = reference.KeyId;
        if (reference.AliasName is { } aliasName)
        {
            var alias = await store.GetAliasAsync(reference.AccountId, reference.Region, aliasName, ct).ConfigureAwait(false)
                        ?? throw KmsErrors.AliasNotFound(KeyIds.AliasArn(reference.Region, reference.AccountId, aliasName));
            keyId = alias.TargetKeyId;
        }

        var key = await store.GetKeyAsync(reference.AccountId, reference.Region, keyId!, ct).ConfigureAwait(false);
        if (key is { State: KeyState.PendingDeletion, DeletionDate: { } due } && clock.UtcNow >= due)
        {
            await store.DeleteKeyAsync(key.AccountId, key.Region, key.KeyId, ct).ConfigureAwait(false);
            key = null;
        }

        return key ?? throw KmsErrors.KeyNotFound(KeyIds.KeyArn(reference.Region, reference.AccountId, keyId!));
    }

    /// <summary>Keys not yet past their deletion date, ordered by key id.</summary>
    public async Task<IReadOnlyList<KmsKey>> ListKeysAsync(string accountId, string region, CancellationToken ct)
    {
        var now = clock.UtcNow;
        var keys = await store.ListKeysAsync(accountId, region, ct).ConfigureAwait(false);
        return [.. keys.Where(k => k is not { State: KeyState.PendingDeletion, DeletionDate: { } due } || now < due)];
    }

    public Task<KmsKey> EnableKeyAsync(KmsKey key, CancellationToken ct) => UpdateAsync(key, k =>
    {
        RequireNotPendingDeletion(k);
        k.State = KeyState.Enabled;
    }, ct);

    public Task<KmsKey> DisableKeyAsync(KmsKey key, CancellationToken ct) => UpdateAsync(key, k =>
    {
        RequireNotPendingDeletion(k);
        k.State = KeyState.Disabled;
    }, ct);

    /// <summary>"PendingWindowInDays: ... a value between 7 and 30, inclusive. If you do not include a
    /// value, it defaults to 30" (ScheduleKeyDeletion API reference).</summary>
    public Task<KmsKey> ScheduleKeyDeletionAsync(KmsKey key, int? pendingWindowInDays, CancellationToken ct)
    {
        var days = pendingWindowInDays ?? MaxPendingWindowDays;
        if (days is < MinPendingWindowDays or > MaxPendingWindowDays)
        {
            throw KmsErrors.Range("pendingWindowInDays", days, MinPendingWindowDays, MaxPendingWindowDays);
        }

        return UpdateAsync(key, k =>
        {
            RequireNotPendingDeletion(k);
            k.State = KeyState.PendingDeletion;
            k.PendingWindowInDays = days;
            k.DeletionDate = clock.UtcNow + options.Day * days;
        }, ct);
    }

    /// <summary>"When this operation succeeds, the key state of the KMS key is Disabled" (CancelKeyDeletion).</summary>
    public Task<KmsKey> CancelKeyDeletionAsync(KmsKey key, CancellationToken ct) => UpdateAsync(key, k =>
    {
        if (k.State != KeyState.PendingDeletion)
        {
            throw KmsErrors.NotPendingDeletion(k.Arn);
        }

        k.State = KeyState.Disabled;
        k.DeletionDate = null;
        k.PendingWindowInDays = null;
    }, ct);

    public Task<KmsKey> SetRotationAsync(KmsKey key, bool enabled, CancellationToken ct) => UpdateAsync(key, k =>
    {
        RequireUsable(k);
        if (enabled && !k.RotationEnabled)
        {
            k.RotationEnabledAt = clock.UtcNow;
        }

        k.RotationEnabled = enabled;
    }, ct);

    public Task<KmsKey> PutKeyPolicyAsync(KmsKey key, string policy, CancellationToken ct)
    {
        KeyPolicies.Parse(policy);
        return UpdateAsync(key, k => k.Policy = policy, ct);
    }

    public Task<KmsKey> UpdateDescriptionAsync(KmsKey key, string description, CancellationToken ct) =>
        UpdateAsync(key, k => k.Description = description, ct);

    /// <summary>The AWS managed key of a service (<c>alias/aws/&lt;service&gt;</c>, e.g. aws/s3), created the
    /// first time the account uses it in the region, as KMS does: "AWS services create the AWS managed
    /// key ... when you first use the service's encryption" (AWS KMS Developer Guide, AWS managed keys).
    /// Its material rotates every rotation period, as AWS managed keys do.</summary>
    public async Task<KmsKey> GetOrCreateManagedKeyAsync(string accountId, string region, string service, CancellationToken ct)
    {
        var aliasName = KeyIds.ReservedAliasPrefix + service;
        if (!KeyIds.IsValidAliasName(aliasName))
        {
            throw KmsErrors.InvalidAliasName(aliasName);
        }

        await _writes.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (await store.GetAliasAsync(accountId, region, aliasName, ct).ConfigureAwait(false) is not { } alias)
            {
                var now = clock.UtcNow;
                var key = new KmsKey
                {
                    AccountId = accountId,
                    Region = region,
                    KeyId = KeyIds.NewKeyId(),
                    Description = $"Default key that protects my {service.ToUpperInvariant()} objects when no other key is defined",
                    CreationDate = now,
                    Policy = KeyPolicies.AwsManaged(accountId),
                    RotationEnabled = true,
                    RotationEnabledAt = now,
                };
                key.Materials.Add(NewMaterial(key.Arn, 1, now));
                await store.PutKeyAsync(key, ct).ConfigureAwait(false);
                alias = new KmsAlias
                {
                    AccountId = accountId, Region = region, Name = aliasName, TargetKeyId = key.KeyId,
                    CreationDate = now, LastUpdatedDate = now,
                };
                if (!await store.TryAddAliasAsync(alias, ct).ConfigureAwait(false))
                {
                    throw KmsErrors.AliasExists(alias.Arn);
                }
            }
        }
        finally
        {
            _writes.Release();
        }

        return await GetKeyAsync(accountId, region, aliasName, ct).ConfigureAwait(false);
    }

    // ---- aliases -----------------------------------------------------------------------------

    public async Task<KmsAlias> CreateAliasAsync(string accountId, string region, string aliasName, KmsKey target, CancellationToken ct)
    {
        CheckAliasName(aliasName);
        RequireNotPendingDeletion(target);
        var now = clock.UtcNow;
        var alias = new KmsAlias
        {
            AccountId = accountId, Region = region, Name = aliasName, TargetKeyId = target.KeyId,
            CreationDate = now, LastUpdatedDate = now,
        };
        if (!await store.TryAddAliasAsync(alias, ct).ConfigureAwait(false))
        {
            throw KmsErrors.AliasExists(alias.Arn);
        }

        return alias;
    }

    public async Task<KmsAlias> GetAliasAsync(string accountId, string region, string aliasName, CancellationToken ct)
    {
        if (aliasName.StartsWith(KeyIds.ReservedAliasPrefix, StringComparison.Ordinal))
        {
            throw KmsErrors.ReservedAlias();
        }

        return await store.GetAliasAsync(accountId, region, aliasName, ct).ConfigureAwait(false)
               ?? throw KmsErrors.AliasNotFound(KeyIds.AliasArn(region, accountId, aliasName));
    }

    public async Task UpdateAliasAsync(KmsAlias alias, KmsKey target, CancellationToken ct)
    {
        RequireNotPendingDeletion(target);
        alias.TargetKeyId = target.KeyId;
        alias.LastUpdatedDate = clock.UtcNow;
        await store.PutAliasAsync(alias, ct).ConfigureAwait(false);
    }

    public Task DeleteAliasAsync(KmsAlias alias, CancellationToken ct) =>
        store.DeleteAliasAsync(alias.AccountId, alias.Region, alias.Name, ct);

    public Task<IReadOnlyList<KmsAlias>> ListAliasesAsync(string accountId, string region, CancellationToken ct) =>
        store.ListAliasesAsync(accountId, region, ct);

    private static void CheckAliasName(string name)
    {
        if (name.StartsWith(KeyIds.ReservedAliasPrefix, StringComparison.Ordinal))
        {
            throw KmsErrors.ReservedAlias();
        }

        if (!KeyIds.IsValidAliasName(name))
        {
            throw KmsErrors.InvalidAliasName(name);
        }
    }

    // ---- state -------------------------------------------------------------------------------

    private static void RequireNotPendingDeletion(KmsKey key)
    {
        if (key.State == KeyState.PendingDeletion)
        {
            throw KmsErrors.PendingDeletion(key.Arn);
        }
    }

    /// <summary>Cryptographic operations need an enabled key ("Key states of AWS KMS keys": Disabled →
    /// DisabledException, PendingDeletion → KMSInvalidStateException).</summary>
    internal static void RequireUsable(KmsKey key)
    {
        RequireNotPendingDeletion(key);
        if (key.State == KeyState.Disabled)
        {
            throw KmsErrors.Disabled(key.Arn);
        }
    }

    /// <summary>Re-reads the key under the write lock, applies the change and stores it, so two
    /// requests changing one key do not lose each other's update.</summary>
    private async Task<KmsKey> UpdateAsync(KmsKey key, Action<KmsKey> change, CancellationToken ct)
    {
        await _writes.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var fresh = await store.GetKeyAsync(key.AccountId, key.Region, key.KeyId, ct).ConfigureAwait(false)
                        ?? throw KmsErrors.KeyNotFound(key.Arn);
            change(fresh);
            await store.PutKeyAsync(fresh, ct).ConfigureAwait(false);
            return fresh;
        }
        finally
        {
            _writes.Release();
        }
    }

    private KeyMaterial NewMaterial(string keyArn, int version, DateTimeOffset now)
    {
        var material = RandomNumberGenerator.GetBytes(32);
        try
        {
            return new KeyMaterial(version, now, masterKey.Seal(material, MaterialBinding(keyArn, version)));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(material);
        }
    }

    private static byte[] MaterialBinding(string keyArn, int version) =>
        System.Text.Encoding.UTF8.GetBytes($"kms-material-v1:{keyArn}:{version}");
}

/// <summary>KMS settings. <see cref="Day"/> is the length of a "day" in pending-deletion windows and
/// <see cref="RotationPeriod"/> the automatic rotation period (AWS: 365 days); both can be shortened
/// so a demo or a test watches a key rotate or get deleted (DESIGN.md, Time).</summary>
public sealed class KmsOptions
{
    public TimeSpan Day { get; init; } = TimeSpan.FromDays(1);
    public TimeSpan RotationPeriod { get; init; } = TimeSpan.FromDays(365);
}
