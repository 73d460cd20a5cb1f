namespace Kiln.Policy;

/// <summary>Where a policy document is used; each place has its own grammar (IAM User Guide,
/// "Policy types"): identity policies name no principal, resource policies must, and role trust
/// policies must name one and may only grant STS AssumeRole actions.</summary>
public enum PolicyKind
{
    /// <summary>Identity-based policies, permissions boundaries and session policies.</summary>
    Identity,
    /// <summary>Resource-based policies: bucket policies, KMS key policies...</summary>
    Resource,
    /// <summary>Role trust policies (AssumeRolePolicyDocument).</summary>
    Trust,
}

public enum Effect
{
    Allow,
    Deny,
}

/// <summary>A parsed, validated and compiled policy document. Immutable and thread-safe: parse it
/// once when it is written and evaluate it on every request.</summary>
public sealed class Policy
{
    internal Policy(string? version, string? id, PolicyKind kind, PolicyStatement[] statements)
    {
        Version = version;
        Id = id;
        Kind = kind;
        Statements = statements;
    }

    /// <summary>The Version element, or null when the document has none (then 2008-10-17 applies).</summary>
    public string? Version { get; }
    public string? Id { get; }
    public PolicyKind Kind { get; }
    public IReadOnlyList<PolicyStatement> Statements { get; }

    /// <summary>An optional label (policy name or ARN) carried through to results for diagnostics.</summary>
    public string? Name { get; init; }

    /// <summary>Parses and validates a document, throwing <see cref="MalformedPolicyDocumentException"/>
    /// with AWS's message when it is not valid for <paramref name="kind"/>.</summary>
    public static Policy Parse(string json, PolicyKind kind, string? name = null) =>
        PolicyParser.Parse(json, kind, name);

    /// <summary>Like <see cref="Parse"/> but returns the AWS error message instead of throwing.</summary>
    public static bool TryParse(string json, PolicyKind kind, out Policy? policy, out string? error)
    {
        try
        {
            policy = PolicyParser.Parse(json, kind, null);
            error = null;
            return true;
        }
        catch (MalformedPolicyDocumentException e)
        {
            policy = null;
            error = e.Message;
            return false;
        }
    }
}

/// <summary>One statement of a policy, compiled for evaluation.</summary>
public sealed class PolicyStatement
{
    internal PolicyStatement(
        int index, string? sid, Effect effect,
        CompiledPattern[] actions, bool notAction,
        PolicyString[] resources, bool notResource, bool hasResource,
        PrincipalEntry[]? principals, bool notPrincipal,
        Condition[] conditions)
    {
        Index = index;
        Sid = sid;
        Effect = effect;
        Actions = actions;
        NotAction = notAction;
        Resources = resources;
        NotResource = notResource;
        HasResource = hasResource;
        Principals = principals;
        NotPrincipal = notPrincipal;
        Conditions = conditions;
    }

    /// <summary>Zero-based position in the policy, to name a statement that has no Sid.</summary>
    public int Index { get; }
    public string? Sid { get; }
    public Effect Effect { get; }

    internal CompiledPattern[] Actions { get; }
    internal bool NotAction { get; }
    internal PolicyString[] Resources { get; }
    internal bool NotResource { get; }
    /// <summary>False for trust policies, which have no Resource element: the role is implied.</summary>
    internal bool HasResource { get; }
    internal PrincipalEntry[]? Principals { get; }
    internal bool NotPrincipal { get; }
    internal Condition[] Conditions { get; }

    public override string ToString() => Sid ?? $"Statement[{Index}]";
}

/// <summary>A thrown <c>MalformedPolicyDocument</c> error, as IAM answers when a document is written.</summary>
public sealed class MalformedPolicyDocumentException(string message)
    : Kiln.Core.Errors.AwsException("MalformedPolicyDocument", message, 400);
