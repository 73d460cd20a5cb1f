using Kiln.Policy;

namespace Kiln.Services.Iam.Domain;

public sealed partial class IamDirectory
{
    public async Task<IamRole> CreateRoleAsync(string account, string? name, string? path, string? trustPolicy,
        string? description, int? maxSessionDuration, string? boundary, IReadOnlyList<IamTag>? tags, CancellationToken ct)
    {
        IamNames.CheckName(name, "roleName", 64);
        path = IamNames.CheckPath(path);
        CheckTags(tags);
        CheckTrustPolicy(trustPolicy);
        var max = CheckMaxSessionDuration(maxSessionDuration);
        return await WriteAsync(account, async () =>
        {
            if (await FindAsync<IamRole>(account, EntityKind.Role, name!, ct) is not null)
            {
                throw IamErrors.RoleExists(name!);
            }

            if (boundary is not null)
            {
                await GetManagedPolicyAsync(account, boundary, ct);
            }

            var role = new IamRole
            {
                Name = name!,
                Path = path,
                Id = IamIds.Role(),
                Arn = IamNames.RoleArn(account, path, name!),
                CreateDate = clock.UtcNow,
                AssumeRolePolicyDocument = trustPolicy!,
                Description = description,
                MaxSessionDuration = max,
                PermissionsBoundary = boundary,
                Tags = tags?.ToList() ?? [],
            };
            return (role, new[] { Put(EntityKind.Role, role) });
        }, ct);
    }

    public async Task<IamRole> GetRoleAsync(string account, string name, CancellationToken ct) =>
        await FindAsync<IamRole>(account, EntityKind.Role, name, ct) ?? throw IamErrors.NoSuchRole(name);

    /// <summary>The role, or null (STS must not reveal whether a role exists).</summary>
    public Task<IamRole?> FindRoleAsync(string account, string name, CancellationToken ct) =>
        FindAsync<IamRole>(account, EntityKind.Role, name, ct);

    public async Task<IReadOnlyList<IamRole>> ListRolesAsync(string account, string? pathPrefix, CancellationToken ct) =>
        [.. (await store.ListAsync<IamRole>(account, EntityKind.Role, ct)).Where(r => r.Path.StartsWith(pathPrefix ?? "/", StringComparison.Ordinal))];

    public Task DeleteRoleAsync(string account, string name, CancellationToken ct) => WriteAsync(account, async () =>
    {
        var role = await GetRoleAsync(account, name, ct);
        if (role.AttachedPolicies.Count > 0)
        {
            throw IamErrors.DeleteConflict("Cannot delete entity, must detach all policies first.");
        }

        if (role.InlinePolicies.Count > 0)
        {
            throw IamErrors.DeleteConflict("Cannot delete entity, must delete policies first.");
        }

        return (true, new[] { Delete(EntityKind.Role, role.Name) });
    }, ct);

    public Task UpdateAssumeRolePolicyAsync(string account, string name, string? document, CancellationToken ct)
    {
        CheckTrustPolicy(document);
        return WriteAsync(account, async () =>
        {
            var role = await GetRoleAsync(account, name, ct);
            role.AssumeRolePolicyDocument = document!;
            return (true, new[] { Put(EntityKind.Role, role) });
        }, ct);
    }

    public Task UpdateRoleAsync(string account, string name, string? description, int? maxSessionDuration,
        CancellationToken ct) => WriteAsync(account, async () =>
    {
        var role = await GetRoleAsync(account, name, ct);
        if (description is not null)
        {
            role.Description = description;
        }

        if (maxSessionDuration is not null)
        {
            role.MaxSessionDuration = CheckMaxSessionDuration(maxSessionDuration);
        }

        return (true, new[] { Put(EntityKind.Role, role) });
    }, ct);

    public Task TagRoleAsync(string account, string name, IReadOnlyList<IamTag> tags, CancellationToken ct) =>
        WriteAsync(account, async () =>
        {
            var role = await GetRoleAsync(account, name, ct);
            role.Tags = MergeTags(role.Tags, tags);
            return (true, new[] { Put(EntityKind.Role, role) });
        }, ct);

    public Task UntagRoleAsync(string account, string name, IReadOnlyList<string> keys, CancellationToken ct) =>
        WriteAsync(account, async () =>
        {
            var role = await GetRoleAsync(account, name, ct);
            role.Tags.RemoveAll(t => keys.Contains(t.Key, StringComparer.Ordinal));
            return (true, new[] { Put(EntityKind.Role, role) });
        }, ct);

    /// <summary>Records a successful AssumeRole (GetRole's RoleLastUsed).</summary>
    public Task RecordRoleUseAsync(string account, string name, string region, CancellationToken ct) =>
        WriteAsync(account, async () =>
        {
            if (await FindAsync<IamRole>(account, EntityKind.Role, name, ct) is not { } role)
            {
                return (false, Array.Empty<EntityWrite>());
            }

            role.LastUsedDate = clock.UtcNow;
            role.LastUsedRegion = region;
            return (true, new[] { Put(EntityKind.Role, role) });
        }, ct);

    /// <summary>A trust policy must parse as one: a Principal, sts:AssumeRole* actions only, no
    /// Resource (Kiln.Policy's Trust grammar answers MalformedPolicyDocument in AWS's words).</summary>
    private static void CheckTrustPolicy(string? document)
    {
        if (string.IsNullOrEmpty(document))
        {
            throw IamErrors.ValidationError(
                "1 validation error detected: Value null at 'assumeRolePolicyDocument' failed to satisfy constraint: Member must not be null");
        }

        Policy.Policy.Parse(document, PolicyKind.Trust);
    }

    /// <summary>MaxSessionDuration is 3600 to 43200 seconds, 3600 by default (CreateRole).</summary>
    private static int CheckMaxSessionDuration(int? value)
    {
        var v = value ?? 3600;
        if (v is < 3600 or > 43200)
        {
            throw IamErrors.ValidationError(
                $"1 validation error detected: Value '{v}' at 'maxSessionDuration' failed to satisfy constraint: " +
                "Member must have value less than or equal to 43200");
        }

        return v;
    }
}
