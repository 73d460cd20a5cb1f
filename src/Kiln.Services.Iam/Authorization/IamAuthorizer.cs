using System.Collections.Concurrent;
using Kiln.Core;
using Kiln.Core.Errors;
using Kiln.Policy;
using Kiln.Protocol.Gateway;
using Kiln.Services.Iam.Domain;
using Kiln.Storage.Accounts;

namespace Kiln.Services.Iam.Authorization;

/// <summary>
/// The gateway's authorize stage (STYLE.md §3.6): one decision per request with Kiln.Policy.
/// Root passes ("the AWS account root user, which has full access" to its own account) unless a
/// resource policy (an S3 bucket policy, from <see cref="IResourcePolicySource"/>) denies it, or the
/// resource belongs to another account, whose policy must then allow it. IAM users are evaluated against
/// their attached, inline and group policies and their permissions boundary; role sessions against
/// the role's policies and boundary and the session policies fixed at AssumeRole.
/// </summary>
public sealed class IamAuthorizer(IamDirectory iam, IAccountStore accounts,
    IEnumerable<IResourcePolicySource>? resourcePolicies = null) : IRequestAuthorizer
{
    private readonly Dictionary<string, IResourcePolicySource> _resourcePolicies =
        (resourcePolicies ?? []).ToDictionary(s => s.Service, StringComparer.Ordinal);

    private static readonly TimeSpan s_useInterval = TimeSpan.FromMinutes(1);
    private const int MaxCached = 10_000;

    // Resolved identities by principal ARN, valid while the directory's generation is unchanged.
    private readonly ConcurrentDictionary<string, (long Generation, ResolvedIdentity? Identity)> _identities = new(StringComparer.Ordinal);
    // Session facts never change for a temporary key, so they are cached until the key expires.
    private readonly ConcurrentDictionary<string, SessionContext?> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _lastRecorded = new(StringComparer.Ordinal);

    public async ValueTask AuthorizeAsync(RequestContext context, object? input)
    {
        var principal = context.Principal;
        if (context.Operation.AuthType == "none")
        {
            return;
        }

        await RecordUseAsync(context).ConfigureAwait(false);
        var (mode, checks) = ActionMap.Resolve(context.Operation, input, context.AccountId, context.Region);
        // CloudTrail (issue 4): the resolved resources become the audit event's resources.
        context.AuditResources = AuditResourcesOf(checks);
        if (mode is not (ActionMap.Mode.Checked or ActionMap.Mode.PerItem))
        {
            return;
        }

        _resourcePolicies.TryGetValue(context.Service.SigningName, out var source);
        if (principal.Kind == PrincipalKind.Root && source is null)
        {
            return;
        }

        Caller? caller = null;
        HashSet<int>? denied = null;
        for (var i = 0; i < checks.Count; i++)
        {
            var check = checks[i];
            var resource = source is not null && check.Resources.Count > 0
                ? await source.FindAsync(check.Resources[0], check.VersionId, context).ConfigureAwait(false)
                : null;
            // Root in its own account needs nothing unless a resource policy could deny it.
            if (principal.Kind == PrincipalKind.Root &&
                (resource is null || (resource.Policy is null && resource.OwnerAccount == principal.AccountId)))
            {
                continue;
            }

            caller ??= principal.Kind == PrincipalKind.Root
                ? new Caller(null, null, null)
                : await CallerAsync(context).ConfigureAwait(false);
            var request = BuildRequest(context, check, caller, resource);
            var result = PolicyEvaluator.Evaluate(request);
            if (result.IsAllowed)
            {
                continue;
            }

            if (mode == ActionMap.Mode.PerItem)
            {
                // The item is refused on its own; the request goes on for the others.
                (denied ??= []).Add(i);
                continue;
            }

            throw AccessDeniedMessage.ToException(principal.Arn, check.Action, result,
                quoteResource: context.Service.SigningName == "s3");
        }

        context.DeniedItems = denied;
    }

    // CloudTrail (issue 4): one check hands over its own list; only several checks (CopyObject) allocate.
    private static IReadOnlyList<string>? AuditResourcesOf(IReadOnlyList<ActionCheck> checks) => checks.Count switch
    {
        0 => null,
        1 => checks[0].Resources.Count == 0 ? null : checks[0].Resources,
        _ => checks.SelectMany(c => c.Resources).Distinct(StringComparer.Ordinal).ToList() is { Count: > 0 } all ? all : null,
    };

    /// <summary>What the evaluator needs about the caller, resolved once per request.</summary>
    public sealed record Caller(ResolvedIdentity? Identity, SessionContext? Session, IReadOnlyList<Policy.Policy>? SessionPolicies);

    public async Task<Caller> CallerAsync(RequestContext context)
    {
        var principal = context.Principal;
        var session = await SessionAsync(principal, context.Aborted).ConfigureAwait(false);
        ResolvedIdentity? identity;
        if (principal.Kind == PrincipalKind.AssumedRole && session?.RoleName is { } roleName)
        {
            identity = await ResolveAsync(principal.AccountId, session.RoleArn!, isRole: true, roleName, context.Aborted).ConfigureAwait(false);
        }
        else if (principal.Kind == PrincipalKind.IamUser)
        {
            identity = await ResolveAsync(principal.AccountId, principal.Arn, isRole: false, null, context.Aborted).ConfigureAwait(false);
        }
        else
        {
            identity = null;
        }

        IReadOnlyList<Policy.Policy>? sessionPolicies = session is { HasSessionPolicies: true }
            ? [.. session.SessionPolicies.Select((d, i) => iam.Parse(d, PolicyKind.Identity, $"session-policy-{i}"))]
            : null;
        return new Caller(identity, session, sessionPolicies);
    }

    /// <summary>The evaluator's request for one check. A principal whose user or role no longer
    /// exists has no policies, so everything it asks is implicitly denied.</summary>
    /// <param name="resource">The resource's owner and policy, when its service has resource policies.</param>
    public static AuthorizationRequest BuildRequest(RequestContext context, ActionCheck check, Caller caller,
        ResourcePolicy? resource = null)
    {
        var tags = caller.Identity?.Tags;
        if (caller.Session is { Tags.Count: > 0 } s)
        {
            // Session tags override the role's tags of the same key ("Passing session tags in AWS STS").
            var merged = new Dictionary<string, string>(tags ?? new Dictionary<string, string>(), StringComparer.OrdinalIgnoreCase);
            foreach (var (k, v) in s.Tags)
            {
                merged[k] = v;
            }

            tags = merged;
        }

        var baseRequest = AuthorizationRequest.For(context, check.Action, check.Resources);
        var conditions = new ConditionKeys();
        foreach (var (k, v) in check.Conditions)
        {
            conditions.Set(k, v);
        }

        // Temporary credentials say whether MFA was used (aws:MultiFactorAuthPresent / ...Age).
        caller.Session?.AddMfaConditionKeys(conditions, context.ReceivedAt);

        return new AuthorizationRequest
        {
            PrincipalArn = baseRequest.PrincipalArn,
            PrincipalAccount = baseRequest.PrincipalAccount,
            PrincipalType = baseRequest.PrincipalType,
            UserId = baseRequest.UserId,
            UserName = context.Principal.Kind == PrincipalKind.IamUser ? caller.Identity?.Name : null,
            RoleArn = caller.Session?.RoleArn,
            PrincipalTags = tags,
            Action = check.Action,
            Resources = check.Resources,
            IdentityPolicies = caller.Identity?.IdentityPolicies ?? [],
            PermissionsBoundary = caller.Identity?.PermissionsBoundary,
            SessionPolicies = caller.SessionPolicies,
            ResourcePolicy = resource?.Policy,
            ResourceAccount = resource?.OwnerAccount,
            Context = conditions,
            CurrentTime = baseRequest.CurrentTime,
            SourceIp = baseRequest.SourceIp,
            SecureTransport = baseRequest.SecureTransport,
        };
    }

    private async Task<ResolvedIdentity?> ResolveAsync(string account, string arn, bool isRole, string? roleName,
        CancellationToken ct)
    {
        var generation = iam.Generation;
        if (_identities.TryGetValue(arn, out var hit) && hit.Generation == generation)
        {
            return hit.Identity;
        }

        var identity = isRole
            ? await iam.ResolveRoleAsync(account, roleName!, ct).ConfigureAwait(false)
            : await iam.ResolveUserAsync(account, arn, ct).ConfigureAwait(false);
        if (_identities.Count >= MaxCached)
        {
            _identities.Clear();
        }

        _identities[arn] = (generation, identity);
        return identity;
    }

    private async Task<SessionContext?> SessionAsync(Principal principal, CancellationToken ct)
    {
        if (principal.SessionToken is null && principal.Kind != PrincipalKind.AssumedRole)
        {
            return null;
        }

        if (_sessions.TryGetValue(principal.AccessKeyId, out var cached))
        {
            return cached;
        }

        var key = await accounts.FindAccessKeyAsync(principal.AccessKeyId, ct).ConfigureAwait(false);
        var session = SessionContext.FromJson(key?.Key.Session);
        if (_sessions.Count >= MaxCached)
        {
            _sessions.Clear();
        }

        _sessions[principal.AccessKeyId] = session;
        return session;
    }

    /// <summary>GetAccessKeyLastUsed: written at most once a minute per key, so the hot path stays
    /// free of database writes.</summary>
    private async Task RecordUseAsync(RequestContext context)
    {
        var id = context.Principal.AccessKeyId;
        if (id.Length == 0)
        {
            return;
        }

        var now = context.ReceivedAt;
        if (_lastRecorded.TryGetValue(id, out var last) && now - last < s_useInterval)
        {
            return;
        }

        _lastRecorded[id] = now;
        try
        {
            await accounts.RecordAccessKeyUseAsync(id, new AccessKeyUse(now, context.Service.SigningName, context.Region),
                context.Aborted).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not AwsException and not OperationCanceledException)
        {
            // Last-used bookkeeping must never fail a request.
            _lastRecorded.TryRemove(id, out _);
        }
    }
}
