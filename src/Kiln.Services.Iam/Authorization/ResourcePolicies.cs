using Kiln.Core;

namespace Kiln.Services.Iam.Authorization;

/// <summary>The resource-based policy attached to a resource, and the account that owns it.</summary>
/// <param name="Policy">Null when the resource has no policy.</param>
public sealed record ResourcePolicy(string OwnerAccount, Policy.Policy? Policy);

/// <summary>
/// A service whose resources carry resource-based policies the gateway evaluates (S3 bucket
/// policies). The authorizer asks it once per check; the policy then takes part in the decision
/// as AWS's evaluation logic says: within one account the identity or the resource policy may
/// allow, across accounts both must, and an explicit deny in either wins.
/// </summary>
public interface IResourcePolicySource
{
    /// <summary>The signing name of the service whose requests this source answers ("s3").</summary>
    string Service { get; }

    /// <summary>The owner and policy of the resource named by <paramref name="resourceArn"/>; null
    /// when the resource does not exist (the handler then answers with its own error).</summary>
    /// <param name="versionId">The version of the resource the request names (an S3 object version,
    /// whose ACL is its own); null for the latest.</param>
    ValueTask<ResourcePolicy?> FindAsync(string resourceArn, string? versionId, RequestContext context);
}
