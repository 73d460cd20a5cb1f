using System.Globalization;
using Kiln.Core;

namespace Kiln.Policy;

/// <summary>The kind of caller, as <c>aws:PrincipalType</c> and the Principal element see it.</summary>
public enum PrincipalType
{
    /// <summary>The account root user (aws:PrincipalType "Account").</summary>
    Root,
    /// <summary>An IAM user.</summary>
    User,
    /// <summary>A role session, <c>arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION</c>.</summary>
    AssumedRole,
    /// <summary>A GetFederationToken session, <c>arn:aws:sts::ACCOUNT:federated-user/NAME</c>.</summary>
    FederatedUser,
    /// <summary>An AWS service principal such as <c>sagemaker.amazonaws.com</c> (PrincipalArn holds the name).</summary>
    Service,
    /// <summary>A web identity or SAML provider assuming a role (PrincipalArn holds the provider).</summary>
    WebIdentity,
    /// <summary>An unsigned request.</summary>
    Anonymous,
}

/// <summary>Condition keys of the request context: multi-valued, names case-insensitive ("Key names
/// are case-insensitive", IAM User Guide, "Variables and tags"). Values keep their case.</summary>
public sealed class ConditionKeys : Dictionary<string, string[]>
{
    public ConditionKeys()
        : base(StringComparer.OrdinalIgnoreCase)
    {
    }

    /// <summary>Sets a single-valued key.</summary>
    public void Set(string key, string value) => this[key] = [value];

    /// <summary>Sets a multivalued key such as <c>aws:TagKeys</c>; an empty array is an empty set.</summary>
    public void Set(string key, params string[] values) => this[key] = values;
}

/// <summary>
/// Everything the evaluator needs about one request: the caller, the action, the resources, the
/// policies in play and the request context ("Processing the request context" in the IAM User Guide).
/// The gateway builds one per request; global keys derived from the caller (aws:PrincipalArn,
/// aws:username, aws:PrincipalTag/*, aws:CurrentTime...) are answered from these properties unless
/// <see cref="Context"/> sets them explicitly.
/// </summary>
public sealed class AuthorizationRequest
{
    /// <summary>The caller's ARN (for a role session the assumed-role ARN; for a service its name).</summary>
    public required string PrincipalArn { get; init; }
    /// <summary>The caller's account id; empty for anonymous and service callers.</summary>
    public string PrincipalAccount { get; init; } = "";
    public PrincipalType PrincipalType { get; init; } = PrincipalType.User;
    /// <summary>aws:userid: the user's unique id, <c>ROLEID:session</c> for role sessions, the account id for root.</summary>
    public string? UserId { get; init; }
    /// <summary>aws:username: the friendly name; present for IAM users only. Derived from the ARN when null.</summary>
    public string? UserName { get; init; }
    /// <summary>For a role session, the role's ARN with its path (aws:PrincipalArn). Derived from the
    /// session ARN, without path, when null.</summary>
    public string? RoleArn { get; init; }
    /// <summary>Tags of the user or role, and session tags (aws:PrincipalTag/KEY).</summary>
    public IReadOnlyDictionary<string, string>? PrincipalTags { get; init; }

    /// <summary>The IAM action, <c>service:Operation</c>, e.g. <c>s3:GetObject</c>.</summary>
    public required string Action { get; init; }
    /// <summary>The resource ARNs; each must be allowed. Empty for actions without a resource type,
    /// which are matched as <c>*</c>.</summary>
    public IReadOnlyList<string> Resources { get; init; } = [];
    /// <summary>The account that owns the resource (and its resource policy); the caller's account when null.</summary>
    public string? ResourceAccount { get; init; }

    public IReadOnlyList<Policy> IdentityPolicies { get; init; } = [];
    public Policy? ResourcePolicy { get; init; }
    public Policy? PermissionsBoundary { get; init; }
    /// <summary>Session policies passed to AssumeRole/GetFederationToken; null when the session has none.</summary>
    public IReadOnlyList<Policy>? SessionPolicies { get; init; }
    /// <summary>True for role trust policies and KMS key policies, where the resource policy must allow
    /// even within one account ("Policy evaluation logic": "IAM role trust policies and KMS key
    /// policies are exceptions to this logic").</summary>
    public bool ResourcePolicyRequired { get; init; }

    /// <summary>Request-specific condition keys: aws:RequestTag/*, aws:ResourceTag/*, aws:TagKeys,
    /// s3:prefix, s3:delimiter, s3:ExistingObjectTag/*, s3:x-amz-server-side-encryption...</summary>
    public ConditionKeys Context { get; init; } = new();
    /// <summary>aws:CurrentTime and aws:EpochTime; the time the request was received.</summary>
    public DateTimeOffset? CurrentTime { get; init; }
    /// <summary>aws:SourceIp.</summary>
    public string? SourceIp { get; init; }
    /// <summary>aws:SecureTransport.</summary>
    public bool? SecureTransport { get; init; }
    /// <summary>aws:MultiFactorAuthPresent; absent for long-term credentials, as AWS documents.</summary>
    public bool? MultiFactorAuthPresent { get; init; }

    /// <summary>Maps Kiln's authenticated principal onto the request's caller fields.</summary>
    public static PrincipalType ToPrincipalType(PrincipalKind kind) => kind switch
    {
        PrincipalKind.Root => PrincipalType.Root,
        PrincipalKind.IamUser => PrincipalType.User,
        PrincipalKind.AssumedRole => PrincipalType.AssumedRole,
        _ => PrincipalType.Anonymous,
    };

    /// <summary>Starts a request for an authenticated Kiln principal, filling the caller fields and
    /// the global keys of <paramref name="ctx"/> (source IP, TLS, receive time).</summary>
    public static AuthorizationRequest For(RequestContext ctx, string action, IReadOnlyList<string> resources) => new()
    {
        PrincipalArn = ctx.Principal.Arn,
        PrincipalAccount = ctx.Principal.AccountId,
        PrincipalType = ToPrincipalType(ctx.Principal.Kind),
        UserId = ctx.Principal.UserId,
        Action = action,
        Resources = resources,
        CurrentTime = ctx.ReceivedAt,
        SourceIp = ctx.SourceIp,
        SecureTransport = ctx.SecureTransport,
    };
}

/// <summary>Per-evaluation view of a request that answers condition keys, computing the global keys
/// on first use only (most requests touch none of them).</summary>
internal sealed class RequestScope(AuthorizationRequest request)
{
    private Dictionary<string, string[]>? _computed;
    private string? _roleArn;

    public AuthorizationRequest Request { get; } = request;

    /// <summary>The role ARN of a role session, which aws:PrincipalArn reports and a Principal element
    /// may name ("Role session principals" vs "IAM role principals").</summary>
    public string? RoleArn => Request.PrincipalType == PrincipalType.AssumedRole ? _roleArn ??= Request.RoleArn ?? DeriveRoleArn(Request.PrincipalArn) : null;

    public bool TryGetValues(string key, out string[] values)
    {
        if (Request.Context.TryGetValue(key, out values!))
        {
            return true;
        }
        if (_computed is not null && _computed.TryGetValue(key, out values!))
        {
            return true;
        }
        var v = Compute(key);
        if (v is null)
        {
            values = [];
            return false;
        }
        (_computed ??= new(StringComparer.OrdinalIgnoreCase))[key] = v;
        values = v;
        return true;
    }

    private string[]? Compute(string key)
    {
        var r = Request;
        if (!key.StartsWith("aws:", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        var name = key.AsSpan(4);
        if (name.StartsWith("PrincipalTag/", StringComparison.OrdinalIgnoreCase))
        {
            var tag = name["PrincipalTag/".Length..].ToString();
            if (r.PrincipalTags is null)
            {
                return null;
            }
            // Tag keys are matched case-insensitively, as IAM does for principal tags.
            foreach (var kv in r.PrincipalTags)
            {
                if (string.Equals(kv.Key, tag, StringComparison.OrdinalIgnoreCase))
                {
                    return [kv.Value];
                }
            }
            return null;
        }
        var anonymous = r.PrincipalType == PrincipalType.Anonymous;
        return name switch
        {
            _ when name.Equals("PrincipalArn", StringComparison.OrdinalIgnoreCase) => anonymous ? null : [RoleArn ?? r.PrincipalArn],
            _ when name.Equals("PrincipalAccount", StringComparison.OrdinalIgnoreCase) => r.PrincipalAccount.Length == 0 ? null : [r.PrincipalAccount],
            _ when name.Equals("PrincipalType", StringComparison.OrdinalIgnoreCase) => anonymous ? ["Anonymous"] : [PrincipalTypeValue(r.PrincipalType)],
            _ when name.Equals("username", StringComparison.OrdinalIgnoreCase) => UserName() is { } u ? [u] : null,
            _ when name.Equals("userid", StringComparison.OrdinalIgnoreCase) => r.UserId is { Length: > 0 } id ? [id] : anonymous ? ["anonymous"] : null,
            _ when name.Equals("CurrentTime", StringComparison.OrdinalIgnoreCase) => r.CurrentTime is { } t ? [t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)] : null,
            _ when name.Equals("EpochTime", StringComparison.OrdinalIgnoreCase) => r.CurrentTime is { } e ? [e.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)] : null,
            _ when name.Equals("SourceIp", StringComparison.OrdinalIgnoreCase) => r.SourceIp is { } ip ? [ip] : null,
            _ when name.Equals("SecureTransport", StringComparison.OrdinalIgnoreCase) => r.SecureTransport is { } s ? [s ? "true" : "false"] : null,
            _ when name.Equals("MultiFactorAuthPresent", StringComparison.OrdinalIgnoreCase) => r.MultiFactorAuthPresent is { } m ? [m ? "true" : "false"] : null,
            _ => null,
        };
    }

    /// <summary>aws:username exists for IAM users only ("Principal key values").</summary>
    private string? UserName()
    {
        var r = Request;
        if (r.PrincipalType != PrincipalType.User)
        {
            return null;
        }
        if (r.UserName is not null)
        {
            return r.UserName;
        }
        var slash = r.PrincipalArn.LastIndexOf('/');
        return slash < 0 ? null : r.PrincipalArn[(slash + 1)..];
    }

    private static string PrincipalTypeValue(PrincipalType t) => t switch
    {
        PrincipalType.Root => "Account",
        PrincipalType.User => "User",
        PrincipalType.AssumedRole => "AssumedRole",
        PrincipalType.FederatedUser => "FederatedUser",
        PrincipalType.Service => "Service",
        PrincipalType.WebIdentity => "WebIdentityUser",
        _ => "Anonymous",
    };

    /// <summary><c>arn:aws:sts::A:assumed-role/NAME/SESSION</c> → <c>arn:aws:iam::A:role/NAME</c>.</summary>
    internal static string? DeriveRoleArn(string sessionArn)
    {
        var parts = sessionArn.Split(':', 6);
        if (parts.Length != 6 || !parts[5].StartsWith("assumed-role/", StringComparison.Ordinal))
        {
            return null;
        }
        var rest = parts[5]["assumed-role/".Length..];
        var slash = rest.IndexOf('/');
        var role = slash < 0 ? rest : rest[..slash];
        return $"arn:{parts[1]}:iam::{parts[4]}:role/{role}";
    }
}
