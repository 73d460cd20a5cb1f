using Kiln.Core.Errors;

namespace Kiln.Policy;

/// <summary>
/// AWS's AccessDenied wording ("Troubleshoot access denied error messages", IAM User Guide):
/// <c>User: ARN is not authorized to perform: ACTION on resource: RESOURCE because no
/// identity-based policy allows the ACTION action</c> for an implicit deny, and <c>... with an
/// explicit deny in an identity-based policy</c> for an explicit one. The policy type is one of
/// "identity-based policy", "resource-based policy", "permissions boundary", "session policy" (plus
/// SCP/RCP kinds Kiln does not have). The " on resource: ..." part is left out for actions that do
/// not act on a resource. S3 quotes the resource ARN in its variant ("Access denied message
/// examples" in the S3 User Guide), selectable with <paramref name="quoteResource"/>.
/// </summary>
public static class AccessDeniedMessage
{
    public static string Format(string principalArn, string action, AuthorizationResult result, bool quoteResource = false)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.Decision == Decision.Allow)
        {
            throw new ArgumentException("The request was allowed.", nameof(result));
        }
        var who = principalArn is "*" or "" ? "anonymous" : principalArn;
        var on = result.Resource is { Length: > 0 } r ? quoteResource ? $" on resource: \"{r}\"" : $" on resource: {r}" : "";
        return result.Decision == Decision.ExplicitDeny
            ? $"User: {who} is not authorized to perform: {action}{on} with an explicit deny in {Article(result.PolicyType)} {Name(result.PolicyType)}"
            : $"User: {who} is not authorized to perform: {action}{on} because no {Name(result.PolicyType)} allows the {action} action";
    }

    /// <summary>The AccessDenied error the gateway throws for a denied request (HTTP 403).</summary>
    public static AwsException ToException(string principalArn, string action, AuthorizationResult result, bool quoteResource = false) =>
        new("AccessDenied", Format(principalArn, action, result, quoteResource), 403);

    private static string Name(PolicyType t) => t switch
    {
        PolicyType.ResourceBased => "resource-based policy",
        PolicyType.PermissionsBoundary => "permissions boundary",
        PolicyType.SessionPolicy => "session policy",
        _ => "identity-based policy",
    };

    private static string Article(PolicyType t) => t is PolicyType.IdentityBased or PolicyType.None ? "an" : "a";
}
