namespace Kiln.Policy;

public enum Decision
{
    /// <summary>No applicable statement allowed the request (the default).</summary>
    ImplicitDeny,
    Allow,
    /// <summary>An applicable Deny statement; nothing can override it.</summary>
    ExplicitDeny,
}

/// <summary>The policy type that decided a request, as AWS names it in AccessDenied messages.</summary>
public enum PolicyType
{
    None,
    IdentityBased,
    ResourceBased,
    PermissionsBoundary,
    SessionPolicy,
}

/// <summary>The outcome of an authorization: the decision, the policy type and statement that
/// decided it, and the resource it concerns (the first one not allowed, for a denial).</summary>
public sealed record AuthorizationResult(Decision Decision, PolicyType PolicyType, Policy? Policy, PolicyStatement? Statement, string? Resource)
{
    public bool IsAllowed => Decision == Decision.Allow;
}

/// <summary>
/// AWS's evaluation logic, from the IAM User Guide's "Policy evaluation logic" chapter:
/// <list type="number">
/// <item>"By default, all requests are implicitly denied with the exception of the AWS account root
/// user, which has full access."</item>
/// <item>"An explicit deny in any of these policies overrides the allow" — identity-based,
/// resource-based, permissions boundary and session policies alike ("Deny evaluation").</item>
/// <item>Within one account, "If an action is allowed by an identity-based policy, a resource-based
/// policy, or both, then AWS allows the action" ("Evaluating identity-based policies with
/// resource-based policies"); identity-based grants are intersected with the permissions boundary
/// and the session policies ("Permissions boundaries for IAM entities", "Session policies").</item>
/// <item>The same-account resource-policy nuance ("How AWS enforcement code logic evaluates
/// requests", resource-based policies): a grant naming an IAM user ARN or a role session ARN is not
/// limited by an implicit deny in identity policies, boundary or session policy; a grant naming the
/// role ARN is limited by the boundary and session policies; a grant to the account principal
/// delegates to the account's identity policies and grants nothing on its own.</item>
/// <item>Across accounts "both the identity-based policy and the resource-based policy must allow"
/// ("Cross-account policy evaluation logic").</item>
/// <item>Role trust policies and KMS key policies must allow even within one account
/// (<see cref="AuthorizationRequest.ResourcePolicyRequired"/>).</item>
/// </list>
/// SCPs and RCPs are out of scope: Kiln has no Organizations.
/// </summary>
public static class PolicyEvaluator
{
    private static readonly string[] s_noResource = ["*"];

    public static AuthorizationResult Evaluate(AuthorizationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var scope = new RequestScope(request);
        var resources = request.Resources.Count == 0 ? s_noResource : request.Resources;
        AuthorizationResult? firstDenied = null;
        AuthorizationResult? allowed = null;
        foreach (var resource in resources)
        {
            var r = EvaluateResource(scope, resource);
            if (r.Decision == Decision.ExplicitDeny)
            {
                return r;
            }
            if (r.Decision == Decision.ImplicitDeny)
            {
                firstDenied ??= r;
            }
            else
            {
                allowed ??= r;
            }
        }
        return firstDenied ?? allowed!;
    }

    private static AuthorizationResult EvaluateResource(RequestScope scope, string resource)
    {
        var req = scope.Request;
        var reportResource = req.Resources.Count == 0 ? null : resource;
        var type = req.PrincipalType;
        // Identity policies, boundaries and session policies attach to IAM users and roles only.
        var hasIdentity = type is PrincipalType.User or PrincipalType.AssumedRole or PrincipalType.FederatedUser;

        var identity = hasIdentity ? Scan(req.IdentityPolicies, scope, resource) : default;
        var rbp = req.ResourcePolicy is { } rp ? Scan(rp, scope, resource) : default;
        var boundary = hasIdentity && req.PermissionsBoundary is { } b ? Scan(b, scope, resource) : default;
        var session = hasIdentity && req.SessionPolicies is { } sp ? Scan(sp, scope, resource) : default;

        // Deny evaluation first: any applicable Deny ends evaluation.
        if (identity.Deny is { } d1)
        {
            return new(Decision.ExplicitDeny, PolicyType.IdentityBased, identity.DenyPolicy, d1, reportResource);
        }
        if (rbp.Deny is { } d2)
        {
            return new(Decision.ExplicitDeny, PolicyType.ResourceBased, req.ResourcePolicy, d2, reportResource);
        }
        if (boundary.Deny is { } d3)
        {
            return new(Decision.ExplicitDeny, PolicyType.PermissionsBoundary, req.PermissionsBoundary, d3, reportResource);
        }
        if (session.Deny is { } d4)
        {
            return new(Decision.ExplicitDeny, PolicyType.SessionPolicy, session.DenyPolicy, d4, reportResource);
        }

        var crossAccount = req.ResourceAccount is { } owner && !string.Equals(owner, req.PrincipalAccount, StringComparison.Ordinal);
        var rbpAllowed = rbp.Allow is not null;

        // The identity side: identity policies intersected with the boundary and session policies.
        // Root needs none of them ("the AWS account root user, which has full access"); services,
        // web identities and anonymous callers have no identity side at all.
        PolicyType identityGap;
        AuthorizationResult? identityAllow = null;
        if (type == PrincipalType.Root)
        {
            identityGap = PolicyType.None;
            identityAllow = new(Decision.Allow, PolicyType.None, null, null, reportResource);
        }
        else if (!hasIdentity)
        {
            identityGap = PolicyType.ResourceBased;
        }
        else
        {
            identityGap = identity.Allow is null ? PolicyType.IdentityBased
                : req.PermissionsBoundary is not null && boundary.Allow is null ? PolicyType.PermissionsBoundary
                : req.SessionPolicies is not null && session.Allow is null ? PolicyType.SessionPolicy
                : PolicyType.None;
            if (identityGap == PolicyType.None)
            {
                identityAllow = new(Decision.Allow, PolicyType.IdentityBased, identity.AllowPolicy, identity.Allow, reportResource);
            }
        }
        var resourceAllow = rbpAllowed ? new AuthorizationResult(Decision.Allow, PolicyType.ResourceBased, req.ResourcePolicy, rbp.Allow, reportResource) : null;

        if (crossAccount || req.ResourcePolicyRequired)
        {
            if (!rbpAllowed)
            {
                // Across accounts the caller's own side is reported first when it fails too: that is
                // the side the caller's administrator can see and fix.
                return Implicit(crossAccount && identityGap is not (PolicyType.None or PolicyType.ResourceBased) ? identityGap : PolicyType.ResourceBased);
            }
            if (crossAccount || rbp.Grant == GrantKind.Account)
            {
                // Cross-account: both sides must allow. A same-account grant to the account principal in
                // a trust or key policy delegates to IAM ("Allows access to the AWS account and enables
                // IAM policies", AWS KMS "Default key policy").
                return identityAllow is not null || !hasIdentity ? resourceAllow! : Implicit(identityGap);
            }
            return SameAccountResourceGrant() ?? Implicit(identityGap);
        }

        if (identityAllow is not null)
        {
            return identityAllow;
        }
        return SameAccountResourceGrant() ?? Implicit(RoleGrantGap() ?? identityGap);

        // A grant to the role ARN was found but cut by the boundary or a session policy: name that one.
        PolicyType? RoleGrantGap() => rbp.Grant != GrantKind.RoleArn ? null
            : req.PermissionsBoundary is not null && boundary.Allow is null ? PolicyType.PermissionsBoundary
            : PolicyType.SessionPolicy;

        AuthorizationResult? SameAccountResourceGrant() => rbp.Grant switch
        {
            // Names the caller itself (user ARN, role session ARN, or "*"): stands on its own.
            GrantKind.Direct => resourceAllow,
            // Names the role while the caller is one of its sessions: limited by the boundary and the
            // session policies, but not by the identity policies.
            GrantKind.RoleArn when (req.PermissionsBoundary is null || boundary.Allow is not null)
                && (req.SessionPolicies is null || session.Allow is not null) => resourceAllow,
            _ => null,
        };

        AuthorizationResult Implicit(PolicyType t) =>
            new(Decision.ImplicitDeny, t == PolicyType.None ? PolicyType.IdentityBased : t, null, null, reportResource);
    }

    /// <summary>What one policy type says about the request: its first applicable Deny and Allow
    /// statements and, for resource policies, how strongly the Allow named the caller.</summary>
    private struct Verdict
    {
        public PolicyStatement? Deny;
        public Policy? DenyPolicy;
        public PolicyStatement? Allow;
        public Policy? AllowPolicy;
        public GrantKind Grant;
    }

    private static Verdict Scan(IReadOnlyList<Policy> policies, RequestScope scope, string resource)
    {
        var v = default(Verdict);
        for (var i = 0; i < policies.Count; i++)
        {
            ScanInto(ref v, policies[i], scope, resource);
            if (v.Deny is not null)
            {
                break;
            }
        }
        return v;
    }

    private static Verdict Scan(Policy policy, RequestScope scope, string resource)
    {
        var v = default(Verdict);
        ScanInto(ref v, policy, scope, resource);
        return v;
    }

    private static void ScanInto(ref Verdict v, Policy policy, RequestScope scope, string resource)
    {
        var statements = policy.Statements;
        for (var i = 0; i < statements.Count; i++)
        {
            var s = statements[i];
            // An Allow that is already as strong as it can be needs no second look; Denies always do.
            if (s.Effect == Effect.Allow && v.Grant == GrantKind.Direct && v.Allow is not null)
            {
                continue;
            }
            var grant = StatementMatcher.Applies(s, scope, resource);
            if (grant == GrantKind.None)
            {
                continue;
            }
            if (s.Effect == Effect.Deny)
            {
                v.Deny = s;
                v.DenyPolicy = policy;
                return;
            }
            if (v.Allow is null || grant > v.Grant)
            {
                v.Allow = s;
                v.AllowPolicy = policy;
                v.Grant = grant;
            }
        }
    }
}
