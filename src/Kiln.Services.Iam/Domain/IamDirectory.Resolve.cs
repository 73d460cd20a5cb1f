using Kiln.Core;
using Kiln.Policy;

namespace Kiln.Services.Iam.Domain;

/// <summary>The policies in force for an IAM user or a role, as the authorizer needs them: every
/// identity policy (attached, inline, and for users their groups' attached and inline), the
/// permissions boundary, and the principal's tags.</summary>
public sealed record ResolvedIdentity(
    string Arn,
    string Name,
    string Id,
    IReadOnlyList<Policy.Policy> IdentityPolicies,
    Policy.Policy? PermissionsBoundary,
    IReadOnlyDictionary<string, string> Tags);

public sealed partial class IamDirectory
{
    // Parsed documents by text: policies are validated when written, so parsing here never fails
    // for stored documents, and the same document attached to many identities is compiled once.
    private readonly BoundedCache<string, Policy.Policy> _parsed = new(10_000, StringComparer.Ordinal);

    public async Task<ResolvedIdentity?> ResolveUserAsync(string account, string userArn, CancellationToken ct)
    {
        var user = await FindAsync<IamUser>(account, EntityKind.User, IamNames.NameOf(userArn), ct);
        if (user is null || user.Arn != userArn)
        {
            return null;
        }

        var policies = new List<Policy.Policy>();
        await AddPoliciesAsync(account, user, policies, ct);
        foreach (var g in user.Groups)
        {
            if (await FindAsync<IamGroup>(account, EntityKind.Group, g, ct) is { } group)
            {
                await AddPoliciesAsync(account, group, policies, ct);
            }
        }

        return new ResolvedIdentity(user.Arn, user.Name, user.Id, policies,
            await BoundaryAsync(account, user.PermissionsBoundary, ct), user.Tags.ToDictionary(t => t.Key, t => t.Value));
    }

    public async Task<ResolvedIdentity?> ResolveRoleAsync(string account, string roleName, CancellationToken ct)
    {
        var role = await FindAsync<IamRole>(account, EntityKind.Role, roleName, ct);
        if (role is null)
        {
            return null;
        }

        var policies = new List<Policy.Policy>();
        await AddPoliciesAsync(account, role, policies, ct);
        return new ResolvedIdentity(role.Arn, role.Name, role.Id, policies,
            await BoundaryAsync(account, role.PermissionsBoundary, ct), role.Tags.ToDictionary(t => t.Key, t => t.Value));
    }

    /// <summary>Parses a stored or session document, once per distinct text.</summary>
    public Policy.Policy Parse(string document, PolicyKind kind, string name)
    {
        if (_parsed.TryGet(document, out var cached) && cached.Kind == kind)
        {
            return cached;
        }

        var policy = Policy.Policy.Parse(document, kind, name);
        _parsed.Set(document, policy);
        return policy;
    }

    private async Task AddPoliciesAsync(string account, PolicyHolder holder, List<Policy.Policy> into, CancellationToken ct)
    {
        foreach (var arn in holder.AttachedPolicies)
        {
            if (await FindManagedPolicyAsync(account, arn, ct) is { } managed)
            {
                into.Add(Parse(managed.DefaultVersion.Document, PolicyKind.Identity, managed.Arn));
            }
        }

        foreach (var (name, document) in holder.InlinePolicies)
        {
            into.Add(Parse(document, PolicyKind.Identity, name));
        }
    }

    private async Task<Policy.Policy?> BoundaryAsync(string account, string? arn, CancellationToken ct) =>
        arn is not null && await FindManagedPolicyAsync(account, arn, ct) is { } b
            ? Parse(b.DefaultVersion.Document, PolicyKind.Identity, b.Arn)
            : null;
}
