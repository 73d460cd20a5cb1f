using Kiln.Policy;

namespace Kiln.Services.Iam.Domain;

/// <summary>The policies of a user, group or role as SimulatePrincipalPolicy sees them.</summary>
public sealed record PrincipalPolicies(List<SimulatedPolicy> Identity, SimulatedPolicy? Boundary, SimulationCaller Caller);

public sealed partial class IamDirectory
{
    /// <summary>Every identity policy of the entity (for a user, its groups' too) with the source
    /// types AWS names them by: "user"/"group"/"role" for inline policies, "aws-managed" or
    /// "user-managed" for attached ones; and its permissions boundary.</summary>
    public async Task<PrincipalPolicies> PrincipalPoliciesAsync(string account, string? arn, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(arn))
        {
            throw IamErrors.ValidationError(
                "1 validation error detected: Value null at 'policySourceArn' failed to satisfy constraint: Member must not be null");
        }

        var parts = arn.Split(':', 6);
        if (parts is not { Length: 6 } || parts[0] != "arn" || parts[2] != "iam" || parts[4] != account)
        {
            throw IamErrors.InvalidInput($"Invalid ARN {arn}.");
        }

        var resource = parts[5];
        var kind = resource.StartsWith("user/", StringComparison.Ordinal) ? EntityKind.User
            : resource.StartsWith("group/", StringComparison.Ordinal) ? EntityKind.Group
            : resource.StartsWith("role/", StringComparison.Ordinal) ? EntityKind.Role
            : throw IamErrors.InvalidInput($"Invalid ARN {arn}: the policy source must be a user, group or role.");
        var holder = await FindHolderAsync(account, kind, IamNames.NameOf(arn), ct);
        if (holder is null || holder.Arn != arn)
        {
            throw IamErrors.NoSuchPolicySource(arn);
        }

        var identity = new List<SimulatedPolicy>();
        await AddSimulatedAsync(account, holder, kind, identity, ct);
        string? boundaryArn = null;
        SimulationCaller caller;
        switch (holder)
        {
            case IamUser user:
                foreach (var g in user.Groups)
                {
                    if (await FindAsync<IamGroup>(account, EntityKind.Group, g, ct) is { } group)
                    {
                        await AddSimulatedAsync(account, group, EntityKind.Group, identity, ct);
                    }
                }

                boundaryArn = user.PermissionsBoundary;
                caller = new SimulationCaller(user.Arn, PrincipalType.User, account, user.Name, null,
                    user.Tags.ToDictionary(t => t.Key, t => t.Value));
                break;
            case IamRole role:
                boundaryArn = role.PermissionsBoundary;
                caller = new SimulationCaller(role.Arn, PrincipalType.AssumedRole, account, null, role.Arn,
                    role.Tags.ToDictionary(t => t.Key, t => t.Value));
                break;
            default:
                caller = new SimulationCaller(holder.Arn, PrincipalType.User, account, null, null, null);
                break;
        }

        SimulatedPolicy? boundary = null;
        if (boundaryArn is not null && await FindManagedPolicyAsync(account, boundaryArn, ct) is { } b)
        {
            boundary = new SimulatedPolicy(b.Name, ManagedSourceType(b), b.DefaultVersion.Document);
        }

        return new PrincipalPolicies(identity, boundary, caller);
    }

    private async Task AddSimulatedAsync(string account, PolicyHolder holder, EntityKind kind, List<SimulatedPolicy> into,
        CancellationToken ct)
    {
        var type = kind switch { EntityKind.User => "user", EntityKind.Group => "group", _ => "role" };
        foreach (var (name, document) in holder.InlinePolicies)
        {
            into.Add(new SimulatedPolicy(name, type, document));
        }

        foreach (var arn in holder.AttachedPolicies)
        {
            if (await FindManagedPolicyAsync(account, arn, ct) is { } managed)
            {
                into.Add(new SimulatedPolicy(managed.Name, ManagedSourceType(managed), managed.DefaultVersion.Document));
            }
        }
    }

    private static string ManagedSourceType(ManagedPolicy p) =>
        p.Arn.StartsWith(AwsManagedPolicies.ArnPrefix, StringComparison.Ordinal) ? "aws-managed" : "user-managed";

    private async Task<PolicyHolder?> FindHolderAsync(string account, EntityKind kind, string name, CancellationToken ct) =>
        kind switch
        {
            EntityKind.User => await FindAsync<IamUser>(account, kind, name, ct),
            EntityKind.Group => await FindAsync<IamGroup>(account, kind, name, ct),
            _ => await FindAsync<IamRole>(account, kind, name, ct),
        };
}
