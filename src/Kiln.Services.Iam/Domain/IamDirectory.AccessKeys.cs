using Kiln.Core;
using Kiln.Storage.Accounts;

namespace Kiln.Services.Iam.Domain;

/// <summary>Access keys of IAM users, kept by the account store beside the root keys so SigV4 finds
/// them the same way; the secret is sealed under the master key there.</summary>
public sealed partial class IamDirectory
{
    public Task<AccessKeyWithSecret> CreateAccessKeyAsync(string account, string userName, CancellationToken ct) =>
        WriteAsync(account, async () =>
        {
            var user = await GetUserAsync(account, userName, ct);
            var existing = await accounts.ListAccessKeysAsync(account, user.Arn, ct);
            if (existing.Count >= MaxAccessKeys)
            {
                throw IamErrors.LimitExceeded($"Cannot exceed quota for AccessKeysPerUser: {MaxAccessKeys}");
            }

            var key = new AccessKeyWithSecret(
                new AccessKey(IamIds.AccessKey(), account, user.Arn, user.Id, PrincipalKind.IamUser, true, clock.UtcNow),
                AccountRules.NewSecretAccessKey());
            await accounts.AddAccessKeyAsync(key, ct);
            return (key, Array.Empty<EntityWrite>());
        }, ct);

    public async Task<IReadOnlyList<AccessKey>> ListAccessKeysAsync(string account, string userName, CancellationToken ct)
    {
        var user = await GetUserAsync(account, userName, ct);
        return [.. (await accounts.ListAccessKeysAsync(account, user.Arn, ct)).Where(k => k.Expiration is null)];
    }

    public async Task UpdateAccessKeyAsync(string account, string userName, string? accessKeyId, bool active,
        CancellationToken ct)
    {
        var key = await FindUserKeyAsync(account, userName, accessKeyId, ct);
        await accounts.SetAccessKeyActiveAsync(key.AccessKeyId, active, ct);
    }

    public async Task DeleteAccessKeyAsync(string account, string userName, string? accessKeyId, CancellationToken ct)
    {
        var key = await FindUserKeyAsync(account, userName, accessKeyId, ct);
        await accounts.DeleteAccessKeyAsync(key.AccessKeyId, ct);
    }

    /// <summary>GetAccessKeyLastUsed: the key's user name and last use. Only keys of the caller's
    /// own account are visible.</summary>
    public async Task<(AccessKey Key, AccessKeyUse? Use)> GetAccessKeyLastUsedAsync(string account, string? accessKeyId,
        CancellationToken ct)
    {
        var found = accessKeyId is null ? null : await accounts.FindAccessKeyAsync(accessKeyId, ct);
        if (found is null || found.Key.AccountId != account || found.Key.Expiration is not null)
        {
            throw IamErrors.NoSuchAccessKey(accessKeyId ?? "");
        }

        return (found.Key, await accounts.FindAccessKeyUseAsync(found.Key.AccessKeyId, ct));
    }

    private async Task<AccessKey> FindUserKeyAsync(string account, string userName, string? accessKeyId, CancellationToken ct)
    {
        var user = await GetUserAsync(account, userName, ct);
        var keys = await accounts.ListAccessKeysAsync(account, user.Arn, ct);
        return keys.FirstOrDefault(k => k.AccessKeyId == accessKeyId && k.Expiration is null)
               ?? throw IamErrors.NoSuchAccessKey(accessKeyId ?? "");
    }
}
