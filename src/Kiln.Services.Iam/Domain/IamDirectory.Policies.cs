using Kiln.Policy;

namespace Kiln.Services.Iam.Domain;

/// <summary>Managed policies (versions, default version), attachments and inline policies.</summary>
public sealed partial class IamDirectory
{
    // "IAM and AWS STS quotas": characters of a document, whitespace not counted.
    private const int ManagedPolicyMaxSize = 6144;

    public async Task<ManagedPolicy> CreatePolicyAsync(string account, string? name, string? path, string? document,
        string? description, IReadOnlyList<IamTag>? tags, CancellationToken ct)
    {
        IamNames.CheckName(name, "policyName", 128);
        path = IamNames.CheckPath(path);
        CheckTags(tags);
        CheckIdentityPolicy(document, ManagedPolicyMaxSize, "Cannot exceed quota for PolicySize: 6144");
        return await WriteAsync(account, async () =>
        {
            if (await FindAsync<ManagedPolicy>(account, EntityKind.Policy, name!, ct) is not null)
            {
                throw IamErrors.PolicyExists(name!);
            }

            var now = clock.UtcNow;
            var policy = new ManagedPolicy
            {
                Name = name!,
                Path = path,
                Id = IamIds.Policy(),
                Arn = IamNames.PolicyArn(account, path, name!),
                Description = description,
                CreateDate = now,
                UpdateDate = now,
                Versions = [new ManagedPolicyVersion("v1", document!, now)],
                Tags = tags?.ToList() ?? [],
            };
            return (policy, new[] { Put(EntityKind.Policy, policy) });
        }, ct);
    }

    /// <summary>A customer managed policy of this account or an AWS managed one, by ARN.</summary>
    public async Task<ManagedPolicy> GetManagedPolicyAsync(string account, string? arn, CancellationToken ct) =>
        await FindManagedPolicyAsync(account, arn, ct) ?? throw IamErrors.NoSuchPolicy(arn ?? "");

    public async Task<ManagedPolicy?> FindManagedPolicyAsync(string account, string? arn, CancellationToken ct)
    {
        if (arn is null)
        {
            return null;
        }

        if (AwsManagedPolicies.Find(arn) is { } aws)
        {
            return aws;
        }

        var own = $"arn:aws:iam::{account}:policy/";
        if (!arn.StartsWith(own, StringComparison.Ordinal))
        {
            return null;
        }

        var policy = await FindAsync<ManagedPolicy>(account, EntityKind.Policy, IamNames.NameOf(arn), ct);
        return policy?.Arn == arn ? policy : null;
    }

    /// <summary>ListPolicies: Scope All, AWS or Local; OnlyAttached.</summary>
    public async Task<IReadOnlyList<ManagedPolicy>> ListPoliciesAsync(string account, string? scope, bool onlyAttached,
        string? pathPrefix, CancellationToken ct)
    {
        var list = new List<ManagedPolicy>();
        if (scope is null or "All" or "AWS")
        {
            list.AddRange(AwsManagedPolicies.All);
        }

        if (scope is null or "All" or "Local")
        {
            list.AddRange(await store.ListAsync<ManagedPolicy>(account, EntityKind.Policy, ct));
        }

        var result = new List<ManagedPolicy>();
        foreach (var p in list.Where(p => p.Path.StartsWith(pathPrefix ?? "/", StringComparison.Ordinal)))
        {
            if (!onlyAttached || await CountAttachmentsAsync(account, p.Arn, ct) > 0)
            {
                result.Add(p);
            }
        }

        return result;
    }

    /// <summary>How many users, groups and roles the policy is attached to (AttachmentCount).</summary>
    public async Task<int> CountAttachmentsAsync(string account, string arn, CancellationToken ct)
    {
        var n = 0;
        foreach (var kind in s_holderKinds)
        {
            n += (await ListHoldersAsync(account, kind, ct)).Count(h => h.AttachedPolicies.Contains(arn));
        }

        return n;
    }

    /// <summary>How many users and roles use the policy as their permissions boundary.</summary>
    public async Task<int> CountBoundaryUsesAsync(string account, string arn, CancellationToken ct) =>
        (await store.ListAsync<IamUser>(account, EntityKind.User, ct)).Count(u => u.PermissionsBoundary == arn) +
        (await store.ListAsync<IamRole>(account, EntityKind.Role, ct)).Count(r => r.PermissionsBoundary == arn);

    public Task DeletePolicyAsync(string account, string? arn, CancellationToken ct) => WriteAsync(account, async () =>
    {
        var policy = await GetCustomerPolicyAsync(account, arn, ct);
        if (await CountAttachmentsAsync(account, policy.Arn, ct) > 0)
        {
            throw IamErrors.DeleteConflict("Cannot delete a policy attached to entities.");
        }

        if (policy.Versions.Count > 1)
        {
            throw IamErrors.DeleteConflict("This policy has more than one version. Before you delete a policy, " +
                                           "you must delete the policy's versions. The default version is deleted with the policy.");
        }

        return (true, new[] { Delete(EntityKind.Policy, policy.Name) });
    }, ct);

    public async Task<ManagedPolicyVersion> CreatePolicyVersionAsync(string account, string? arn, string? document,
        bool setAsDefault, CancellationToken ct)
    {
        CheckIdentityPolicy(document, ManagedPolicyMaxSize, "Cannot exceed quota for PolicySize: 6144");
        return await WriteAsync(account, async () =>
        {
            var policy = await GetCustomerPolicyAsync(account, arn, ct);
            if (policy.Versions.Count >= MaxPolicyVersions)
            {
                throw IamErrors.LimitExceeded(
                    $"A managed policy can have up to {MaxPolicyVersions} versions. Before you create a new version, " +
                    "you must delete an existing version.");
            }

            var now = clock.UtcNow;
            var version = new ManagedPolicyVersion($"v{policy.NextVersion}", document!, now);
            policy.NextVersion++;
            policy.Versions.Add(version);
            policy.UpdateDate = now;
            if (setAsDefault)
            {
                policy.DefaultVersionId = version.VersionId;
            }

            return (version, new[] { Put(EntityKind.Policy, policy) });
        }, ct);
    }

    public async Task<(ManagedPolicy Policy, ManagedPolicyVersion Version)> GetPolicyVersionAsync(string account,
        string? arn, string? versionId, CancellationToken ct)
    {
        var policy = await GetManagedPolicyAsync(account, arn, ct);
        var version = policy.Versions.FirstOrDefault(v => v.VersionId == versionId)
                      ?? throw IamErrors.NoSuchPolicyVersion(policy.Arn, versionId ?? "");
        return (policy, version);
    }

    public Task DeletePolicyVersionAsync(string account, string? arn, string? versionId, CancellationToken ct) =>
        WriteAsync(account, async () =>
        {
            var policy = await GetCustomerPolicyAsync(account, arn, ct);
            var version = policy.Versions.FirstOrDefault(v => v.VersionId == versionId)
                          ?? throw IamErrors.NoSuchPolicyVersion(policy.Arn, versionId ?? "");
            if (version.VersionId == policy.DefaultVersionId)
            {
                throw IamErrors.DeleteConflict("Cannot delete the default version of a policy.");
            }

            policy.Versions.Remove(version);
            return (true, new[] { Put(EntityKind.Policy, policy) });
        }, ct);

    public Task SetDefaultPolicyVersionAsync(string account, string? arn, string? versionId, CancellationToken ct) =>
        WriteAsync(account, async () =>
        {
            var policy = await GetCustomerPolicyAsync(account, arn, ct);
            if (policy.Versions.All(v => v.VersionId != versionId))
            {
                throw IamErrors.NoSuchPolicyVersion(policy.Arn, versionId ?? "");
            }

            policy.DefaultVersionId = versionId!;
            policy.UpdateDate = clock.UtcNow;
            return (true, new[] { Put(EntityKind.Policy, policy) });
        }, ct);

    // ---- attachments ---------------------------------------------------------------------------

    public Task AttachPolicyAsync(string account, EntityKind kind, string name, string? arn, CancellationToken ct) =>
        WriteAsync(account, async () =>
        {
            var holder = await GetHolderAsync(account, kind, name, ct);
            var policy = await GetManagedPolicyAsync(account, arn, ct);
            if (holder.AttachedPolicies.Contains(policy.Arn))
            {
                return (true, Array.Empty<EntityWrite>());
            }

            if (holder.AttachedPolicies.Count >= MaxAttachedPolicies)
            {
                throw IamErrors.LimitExceeded($"Cannot exceed quota for PoliciesPer{kind}: {MaxAttachedPolicies}");
            }

            holder.AttachedPolicies.Add(policy.Arn);
            return (true, new[] { Put(kind, holder) });
        }, ct);

    public Task DetachPolicyAsync(string account, EntityKind kind, string name, string? arn, CancellationToken ct) =>
        WriteAsync(account, async () =>
        {
            var holder = await GetHolderAsync(account, kind, name, ct);
            if (arn is null || !holder.AttachedPolicies.Remove(arn))
            {
                throw IamErrors.PolicyNotFound(arn ?? "");
            }

            return (true, new[] { Put(kind, holder) });
        }, ct);

    public async Task<IReadOnlyList<ManagedPolicy>> ListAttachedPoliciesAsync(string account, EntityKind kind, string name,
        string? pathPrefix, CancellationToken ct)
    {
        var holder = await GetHolderAsync(account, kind, name, ct);
        var list = new List<ManagedPolicy>();
        foreach (var arn in holder.AttachedPolicies)
        {
            if (await FindManagedPolicyAsync(account, arn, ct) is { } p && p.Path.StartsWith(pathPrefix ?? "/", StringComparison.Ordinal))
            {
                list.Add(p);
            }
        }

        return list;
    }

    // ---- inline policies -----------------------------------------------------------------------

    public Task PutInlinePolicyAsync(string account, EntityKind kind, string name, string? policyName, string? document,
        CancellationToken ct)
    {
        IamNames.CheckName(policyName, "policyName", 128);
        // Aggregate inline sizes per identity ("IAM and AWS STS quotas"): user 2048, group 5120, role 10240.
        var max = kind switch { EntityKind.User => 2048, EntityKind.Group => 5120, _ => 10240 };
        CheckIdentityPolicy(document, max, $"Maximum policy size of {max} bytes exceeded for {kind.ToString().ToLowerInvariant()} {name}");
        return WriteAsync(account, async () =>
        {
            var holder = await GetHolderAsync(account, kind, name, ct);
            holder.InlinePolicies[policyName!] = document!;
            var total = holder.InlinePolicies.Values.Sum(NonWhitespaceLength);
            if (total > max)
            {
                throw IamErrors.LimitExceeded($"Maximum policy size of {max} bytes exceeded for {kind.ToString().ToLowerInvariant()} {holder.Name}");
            }

            return (true, new[] { Put(kind, holder) });
        }, ct);
    }

    public async Task<string> GetInlinePolicyAsync(string account, EntityKind kind, string name, string? policyName,
        CancellationToken ct)
    {
        var holder = await GetHolderAsync(account, kind, name, ct);
        return policyName is not null && holder.InlinePolicies.TryGetValue(policyName, out var doc)
            ? doc
            : throw IamErrors.NoSuchInlinePolicy(kind.ToString().ToLowerInvariant(), policyName ?? "");
    }

    public async Task<IReadOnlyList<string>> ListInlinePoliciesAsync(string account, EntityKind kind, string name,
        CancellationToken ct) => [.. (await GetHolderAsync(account, kind, name, ct)).InlinePolicies.Keys];

    public Task DeleteInlinePolicyAsync(string account, EntityKind kind, string name, string? policyName,
        CancellationToken ct) => WriteAsync(account, async () =>
    {
        var holder = await GetHolderAsync(account, kind, name, ct);
        if (policyName is null || !holder.InlinePolicies.Remove(policyName))
        {
            throw IamErrors.NoSuchInlinePolicy(kind.ToString().ToLowerInvariant(), policyName ?? "");
        }

        return (true, new[] { Put(kind, holder) });
    }, ct);

    // ---- helpers -------------------------------------------------------------------------------

    private static readonly EntityKind[] s_holderKinds = [EntityKind.User, EntityKind.Group, EntityKind.Role];

    private async Task<IReadOnlyList<PolicyHolder>> ListHoldersAsync(string account, EntityKind kind, CancellationToken ct) =>
        kind switch
        {
            EntityKind.User => await store.ListAsync<IamUser>(account, kind, ct),
            EntityKind.Group => await store.ListAsync<IamGroup>(account, kind, ct),
            _ => await store.ListAsync<IamRole>(account, kind, ct),
        };

    internal async Task<PolicyHolder> GetHolderAsync(string account, EntityKind kind, string name, CancellationToken ct) =>
        kind switch
        {
            EntityKind.User => await GetUserAsync(account, name, ct),
            EntityKind.Group => await GetGroupAsync(account, name, ct),
            _ => await GetRoleAsync(account, name, ct),
        };

    /// <summary>AWS managed policies cannot be changed or deleted.</summary>
    private async Task<ManagedPolicy> GetCustomerPolicyAsync(string account, string? arn, CancellationToken ct)
    {
        var policy = await GetManagedPolicyAsync(account, arn, ct);
        if (policy.Arn.StartsWith(AwsManagedPolicies.ArnPrefix, StringComparison.Ordinal))
        {
            throw IamErrors.InvalidInput($"Cannot modify an AWS managed policy: {policy.Arn}");
        }

        return policy;
    }

    /// <summary>Identity policies (managed, inline, boundaries) are validated when written.</summary>
    private static void CheckIdentityPolicy(string? document, int maxSize, string tooLarge)
    {
        if (string.IsNullOrEmpty(document))
        {
            throw IamErrors.ValidationError(
                "1 validation error detected: Value null at 'policyDocument' failed to satisfy constraint: Member must not be null");
        }

        if (NonWhitespaceLength(document) > maxSize)
        {
            throw IamErrors.LimitExceeded(tooLarge);
        }

        Policy.Policy.Parse(document, PolicyKind.Identity);
    }

    private static int NonWhitespaceLength(string s) => s.Count(c => !char.IsWhiteSpace(c));
}
