namespace Kiln.Policy;

/// <summary>Decides whether one statement applies to a request: action, resource, principal and
/// conditions all have to match (IAM User Guide, "Determining whether a request is allowed or denied
/// within an account"). Cheap string tests run first and conditions last.</summary>
internal static class StatementMatcher
{
    /// <summary>None when the statement does not apply; otherwise how it named the principal
    /// (always Direct for statements without a Principal element).</summary>
    public static GrantKind Applies(PolicyStatement s, RequestScope scope, string resource)
    {
        if (MatchesAny(s.Actions, scope.Request.Action) == s.NotAction)
        {
            return GrantKind.None;
        }
        if (s.HasResource)
        {
            // "NotResource ... matches every resource except those specified"; a variable that cannot
            // be resolved makes the whole statement not apply, whichever element holds it.
            var m = MatchResource(s.Resources, scope, resource);
            if (m is null || m.Value == s.NotResource)
            {
                return GrantKind.None;
            }
        }
        var grant = GrantKind.Direct;
        if (s.Principals is { } principals)
        {
            grant = s.NotPrincipal ? NotPrincipalApplies(s, principals, scope) : BestGrant(principals, scope);
            if (grant == GrantKind.None)
            {
                return GrantKind.None;
            }
        }
        // Conditions: "If there are multiple condition operators, or if there are multiple keys
        // attached to a single condition operator, the conditions are evaluated using a logical AND"
        // ("Creating a condition with multiple keys or values").
        var invalid = false;
        foreach (var c in s.Conditions)
        {
            if (!c.Evaluate(scope, ref invalid) || invalid)
            {
                return GrantKind.None;
            }
        }
        return grant;
    }

    private static bool MatchesAny(CompiledPattern[] patterns, string value)
    {
        foreach (var p in patterns)
        {
            if (p.IsMatch(value))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>True/false for a match; null when a policy variable could not be resolved.</summary>
    private static bool? MatchResource(PolicyString[] patterns, RequestScope scope, string resource)
    {
        var unresolved = false;
        foreach (var p in patterns)
        {
            if (p.Pattern is { } compiled)
            {
                if (compiled.IsMatch(resource))
                {
                    return true;
                }
                continue;
            }
            if (!p.TryResolve(scope, asPattern: true, out var pattern))
            {
                unresolved = true;
                continue;
            }
            if (Wildcard.ArnMatch(pattern, resource))
            {
                return true;
            }
        }
        return unresolved ? null : false;
    }

    private static GrantKind BestGrant(PrincipalEntry[] principals, RequestScope scope)
    {
        var best = GrantKind.None;
        foreach (var p in principals)
        {
            var g = p.Match(scope);
            if (g > best)
            {
                best = g;
            }
        }
        return best;
    }

    /// <summary>
    /// "AWS JSON policy elements: NotPrincipal": a Deny with NotPrincipal applies to every principal
    /// not listed. A caller counts as listed only when each of its identities is: its own ARN (for a
    /// role session, the session ARN or its role ARN) and its account ("you must also include the
    /// account ARN ... otherwise the policy might deny access to the entire account").
    /// And per "Permissions boundaries for IAM entities": "The NotPrincipal element with a Deny effect
    /// will always deny any IAM principal that has a permissions boundary policy attached, regardless
    /// of the values specified in the NotPrincipal element."
    /// </summary>
    private static GrantKind NotPrincipalApplies(PolicyStatement s, PrincipalEntry[] principals, RequestScope scope)
    {
        var req = scope.Request;
        if (s.Effect == Effect.Deny && req.PermissionsBoundary is not null)
        {
            return GrantKind.Direct;
        }
        var selfListed = false;
        var accountListed = false;
        foreach (var p in principals)
        {
            switch (p.Kind)
            {
                case PrincipalEntryKind.Everyone:
                    return GrantKind.None;
                case PrincipalEntryKind.Account:
                    accountListed |= req.PrincipalAccount.Length > 0 && string.Equals(p.Value, req.PrincipalAccount, StringComparison.Ordinal);
                    break;
                default:
                    selfListed |= p.Match(scope) is GrantKind.Direct or GrantKind.RoleArn;
                    break;
            }
        }
        var listed = req.PrincipalType switch
        {
            PrincipalType.Root => accountListed,
            PrincipalType.User or PrincipalType.AssumedRole or PrincipalType.FederatedUser => selfListed && accountListed,
            PrincipalType.Anonymous => false,
            _ => selfListed,
        };
        return listed ? GrantKind.None : GrantKind.Direct;
    }
}
