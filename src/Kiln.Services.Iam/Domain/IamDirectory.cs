using Kiln.Core;
using Kiln.Services.Iam.Storage;
using Kiln.Storage.Accounts;
using Kiln.Storage.Crypto;

namespace Kiln.Services.Iam.Domain;

/// <summary>IAM's rules over the store: users, groups, roles, managed and inline policies,
/// attachments, tags and access keys. Every change reads, decides and writes under one lock, so two
/// concurrent calls cannot both pass a check that only one of them should (one process owns the
/// IAM tables; the CLI does not write them). Every write bumps <see cref="Generation"/>, which the
/// authorizer's cache of resolved policies keys on.</summary>
/// <param name="masterKey">Seals MFA seeds at rest; tests pass none and get an ephemeral key.</param>
public sealed partial class IamDirectory(IIamStore store, IAccountStore accounts, IClock clock, MasterKey? masterKey = null)
{
    // "IAM object quotas" (IAM User Guide): managed policies per user/role/group, access keys per
    // user, versions per managed policy, tags per user/role.
    public const int MaxAttachedPolicies = 10;
    public const int MaxAccessKeys = 2;
    public const int MaxPolicyVersions = 5;
    public const int MaxTags = 50;

    private readonly SemaphoreSlim _lock = new(1, 1);
    private long _generation;

    /// <summary>Changes whenever any IAM entity changes.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    public IClock Clock => clock;

    // ---- users ---------------------------------------------------------------------------------

    public async Task<IamUser> CreateUserAsync(string account, string? name, string? path, string? boundary,
        IReadOnlyList<IamTag>? tags, CancellationToken ct)
    {
        IamNames.CheckName(name, "userName", 64);
        path = IamNames.CheckPath(path);
        CheckTags(tags);
        return await WriteAsync(account, async () =>
        {
            if (await FindAsync<IamUser>(account, EntityKind.User, name!, ct) is not null)
            {
                throw IamErrors.UserExists(name!);
            }

            if (boundary is not null)
            {
                await GetManagedPolicyAsync(account, boundary, ct);
            }

            var user = new IamUser
            {
                Name = name!,
                Path = path,
                Id = IamIds.User(),
                Arn = IamNames.UserArn(account, path, name!),
                CreateDate = clock.UtcNow,
                PermissionsBoundary = boundary,
                Tags = tags?.ToList() ?? [],
            };
            return (user, new[] { Put(EntityKind.User, user) });
        }, ct);
    }

    public async Task<IamUser> GetUserAsync(string account, string name, CancellationToken ct) =>
        await FindAsync<IamUser>(account, EntityKind.User, name, ct) ?? throw IamErrors.NoSuchUser(name);

    public Task<IamUser?> FindUserAsync(string account, string name, CancellationToken ct) =>
        FindAsync<IamUser>(account, EntityKind.User, name, ct);

    public async Task<IReadOnlyList<IamUser>> ListUsersAsync(string account, string? pathPrefix, CancellationToken ct) =>
        [.. (await store.ListAsync<IamUser>(account, EntityKind.User, ct)).Where(u => u.Path.StartsWith(pathPrefix ?? "/", StringComparison.Ordinal))];

    /// <summary>AWS refuses to delete a user that still has keys, policies or groups
    /// ("Deleting an IAM user": the CLI/API does not remove them for you).</summary>
    public Task DeleteUserAsync(string account, string name, CancellationToken ct) => WriteAsync(account, async () =>
    {
        var user = await GetUserAsync(account, name, ct);
        if ((await accounts.ListAccessKeysAsync(account, user.Arn, ct)).Any(k => k.Expiration is null))
        {
            throw IamErrors.DeleteConflict("Cannot delete entity, must delete access keys first.");
        }

        if (user.AttachedPolicies.Count > 0)
        {
            throw IamErrors.DeleteConflict("Cannot delete entity, must detach all policies first.");
        }

        if (user.InlinePolicies.Count > 0)
        {
            throw IamErrors.DeleteConflict("Cannot delete entity, must delete policies first.");
        }

        if (user.Groups.Count > 0)
        {
            throw IamErrors.DeleteConflict("Cannot delete entity, must remove user from all groups first.");
        }

        if ((await ListMfaDevicesAsync(account, user.Name, ct)).Count > 0)
        {
            throw IamErrors.DeleteConflict("Cannot delete entity, must delete MFA device first.");
        }

        return (true, new[] { Delete(EntityKind.User, user.Name) });
    }, ct);

    public Task TagUserAsync(string account, string name, IReadOnlyList<IamTag> tags, CancellationToken ct) =>
        WriteAsync(account, async () =>
        {
            var user = await GetUserAsync(account, name, ct);
            user.Tags = MergeTags(user.Tags, tags);
            return (true, new[] { Put(EntityKind.User, user) });
        }, ct);

    public Task UntagUserAsync(string account, string name, IReadOnlyList<string> keys, CancellationToken ct) =>
        WriteAsync(account, async () =>
        {
            var user = await GetUserAsync(account, name, ct);
            user.Tags.RemoveAll(t => keys.Contains(t.Key, StringComparer.Ordinal));
            return (true, new[] { Put(EntityKind.User, user) });
        }, ct);

    // ---- groups --------------------------------------------------------------------------------

    public async Task<IamGroup> CreateGroupAsync(string account, string? name, string? path, CancellationToken ct)
    {
        IamNames.CheckName(name, "groupName", 128);
        path = IamNames.CheckPath(path);
        return await WriteAsync(account, async () =>
        {
            if (await FindAsync<IamGroup>(account, EntityKind.Group, name!, ct) is not null)
            {
                throw IamErrors.GroupExists(name!);
            }

            var group = new IamGroup
            {
                Name = name!,
                Path = path,
                Id = IamIds.Group(),
                Arn = IamNames.GroupArn(account, path, name!),
                CreateDate = clock.UtcNow,
            };
            return (group, new[] { Put(EntityKind.Group, group) });
        }, ct);
    }

    public async Task<IamGroup> GetGroupAsync(string account, string name, CancellationToken ct) =>
        await FindAsync<IamGroup>(account, EntityKind.Group, name, ct) ?? throw IamErrors.NoSuchGroup(name);

    public async Task<IReadOnlyList<IamUser>> ListGroupMembersAsync(string account, IamGroup group, CancellationToken ct) =>
        [.. (await store.ListAsync<IamUser>(account, EntityKind.User, ct)).Where(u => u.Groups.Contains(IamNames.Key(group.Name)))];

    public async Task<IReadOnlyList<IamGroup>> ListGroupsAsync(string account, string? pathPrefix, CancellationToken ct) =>
        [.. (await store.ListAsync<IamGroup>(account, EntityKind.Group, ct)).Where(g => g.Path.StartsWith(pathPrefix ?? "/", StringComparison.Ordinal))];

    public async Task<IReadOnlyList<IamGroup>> ListGroupsForUserAsync(string account, string userName, CancellationToken ct)
    {
        var user = await GetUserAsync(account, userName, ct);
        var groups = new List<IamGroup>();
        foreach (var g in user.Groups)
        {
            if (await FindAsync<IamGroup>(account, EntityKind.Group, g, ct) is { } group)
            {
                groups.Add(group);
            }
        }

        return groups;
    }

    public Task DeleteGroupAsync(string account, string name, CancellationToken ct) => WriteAsync(account, async () =>
    {
        var group = await GetGroupAsync(account, name, ct);
        if ((await ListGroupMembersAsync(account, group, ct)).Count > 0)
        {
            throw IamErrors.DeleteConflict("Cannot delete entity, must remove users from group first.");
        }

        if (group.AttachedPolicies.Count > 0)
        {
            throw IamErrors.DeleteConflict("Cannot delete entity, must detach all policies first.");
        }

        if (group.InlinePolicies.Count > 0)
        {
            throw IamErrors.DeleteConflict("Cannot delete entity, must delete policies first.");
        }

        return (true, new[] { Delete(EntityKind.Group, group.Name) });
    }, ct);

    public Task AddUserToGroupAsync(string account, string groupName, string userName, CancellationToken ct) =>
        WriteAsync(account, async () =>
        {
            var group = await GetGroupAsync(account, groupName, ct);
            var user = await GetUserAsync(account, userName, ct);
            var key = IamNames.Key(group.Name);
            if (user.Groups.Contains(key))
            {
                return (true, Array.Empty<EntityWrite>());
            }

            user.Groups.Add(key);
            return (true, new[] { Put(EntityKind.User, user) });
        }, ct);

    public Task RemoveUserFromGroupAsync(string account, string groupName, string userName, CancellationToken ct) =>
        WriteAsync(account, async () =>
        {
            var group = await GetGroupAsync(account, groupName, ct);
            var user = await GetUserAsync(account, userName, ct);
            if (!user.Groups.Remove(IamNames.Key(group.Name)))
            {
                throw IamErrors.NoSuchUser(userName);
            }

            return (true, new[] { Put(EntityKind.User, user) });
        }, ct);

    // ---- shared --------------------------------------------------------------------------------

    internal Task<T?> FindAsync<T>(string account, EntityKind kind, string name, CancellationToken ct)
        where T : class => store.GetAsync<T>(account, kind, IamNames.Key(name), ct);

    /// <summary>Runs read-decide under the lock, then applies the writes in one store transaction.</summary>
    internal async Task<T> WriteAsync<T>(string account, Func<Task<(T Result, EntityWrite[] Writes)>> change,
        CancellationToken ct)
    {
        await _lock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var (result, writes) = await change().ConfigureAwait(false);
            if (writes.Length > 0)
            {
                await store.WriteAsync(account, writes, ct).ConfigureAwait(false);
                Interlocked.Increment(ref _generation);
            }

            return result;
        }
        finally
        {
            _lock.Release();
        }
    }

    internal static EntityWrite Put(EntityKind kind, object entity) => kind switch
    {
        EntityKind.Policy => new(kind, IamNames.Key(((ManagedPolicy)entity).Name), entity),
        EntityKind.MfaDevice => new(kind, IamNames.Key(((MfaDevice)entity).Name), entity),
        _ => new(kind, IamNames.Key(((PolicyHolder)entity).Name), entity),
    };

    internal static EntityWrite Delete(EntityKind kind, string name) => new(kind, IamNames.Key(name), null);

    internal static void CheckTags(IReadOnlyList<IamTag>? tags)
    {
        if (tags is null)
        {
            return;
        }

        if (tags.Count > MaxTags)
        {
            throw IamErrors.LimitExceeded($"The number of tags has reached the maximum limit of {MaxTags}.");
        }

        foreach (var t in tags)
        {
            if (t.Key.Length is < 1 or > 128 || t.Value.Length > 256)
            {
                throw IamErrors.ValidationError(
                    $"1 validation error detected: Value '{t.Key}' at 'tags' failed to satisfy constraint: " +
                    "Member must have length less than or equal to 128");
            }
        }
    }

    /// <summary>TagUser/TagRole overwrite the value of a key already present ("Tagging IAM resources").</summary>
    internal static List<IamTag> MergeTags(List<IamTag> current, IReadOnlyList<IamTag> added)
    {
        var merged = current.Where(t => !added.Any(a => a.Key == t.Key)).Concat(added).ToList();
        CheckTags(merged);
        return merged;
    }
}
