namespace Kiln.Services.Iam.Domain;

/// <summary>Permissions boundaries set or removed after creation (Put/DeleteUserPermissionsBoundary,
/// Put/DeleteRolePermissionsBoundary). A boundary is a managed policy: customer or AWS managed.</summary>
public sealed partial class IamDirectory
{
    public Task PutPermissionsBoundaryAsync(string account, EntityKind kind, string name, string? policyArn,
        CancellationToken ct)
    {
        if (string.IsNullOrEmpty(policyArn))
        {
            throw IamErrors.ValidationError(
                "1 validation error detected: Value null at 'permissionsBoundary' failed to satisfy constraint: Member must not be null");
        }

        return WriteAsync(account, async () =>
        {
            var policy = await GetManagedPolicyAsync(account, policyArn, ct);
            switch (await GetHolderAsync(account, kind, name, ct))
            {
                case IamUser user:
                    user.PermissionsBoundary = policy.Arn;
                    return (true, new[] { Put(kind, user) });
                case IamRole role:
                    role.PermissionsBoundary = policy.Arn;
                    return (true, new[] { Put(kind, role) });
                default:
                    throw new ArgumentOutOfRangeException(nameof(kind));
            }
        }, ct);
    }

    /// <summary>Removing a boundary that is not set changes nothing and succeeds.</summary>
    public Task DeletePermissionsBoundaryAsync(string account, EntityKind kind, string name, CancellationToken ct) =>
        WriteAsync(account, async () =>
        {
            switch (await GetHolderAsync(account, kind, name, ct))
            {
                case IamUser { PermissionsBoundary: not null } user:
                    user.PermissionsBoundary = null;
                    return (true, new[] { Put(kind, user) });
                case IamRole { PermissionsBoundary: not null } role:
                    role.PermissionsBoundary = null;
                    return (true, new[] { Put(kind, role) });
                default:
                    return (true, Array.Empty<EntityWrite>());
            }
        }, ct);
}
