namespace Kiln.Policy.Tests;

/// <summary>Builders shared by the test tables. Accounts follow the IAM docs' examples.</summary>
internal static class Fixtures
{
    public const string Account = "111122223333";
    public const string OtherAccount = "444455556666";
    public const string Bob = "arn:aws:iam::111122223333:user/bob";
    public const string RoleArn = "arn:aws:iam::111122223333:role/reader";
    public const string SessionArn = "arn:aws:sts::111122223333:assumed-role/reader/sess";

    public static Policy Identity(string statements) =>
        Policy.Parse($$"""{"Version":"2012-10-17","Statement":[{{statements}}]}""", PolicyKind.Identity);

    public static Policy Resource(string statements) =>
        Policy.Parse($$"""{"Version":"2012-10-17","Statement":[{{statements}}]}""", PolicyKind.Resource);

    public static string Allow(string action, string resource, string? condition = null) =>
        $$"""{"Effect":"Allow","Action":"{{action}}","Resource":"{{resource}}"{{Cond(condition)}}}""";

    public static string Deny(string action, string resource, string? condition = null) =>
        $$"""{"Effect":"Deny","Action":"{{action}}","Resource":"{{resource}}"{{Cond(condition)}}}""";

    public static string AllowTo(string principal, string action, string resource) =>
        $$"""{"Effect":"Allow","Principal":{{principal}},"Action":"{{action}}","Resource":"{{resource}}"}""";

    private static string Cond(string? c) => c is null ? "" : $",\"Condition\":{c}";

    public static AuthorizationRequest User(string action, string resource, params Policy[] identity) => new()
    {
        PrincipalArn = Bob,
        PrincipalAccount = Account,
        PrincipalType = PrincipalType.User,
        UserId = "AIDAEXAMPLEBOB",
        Action = action,
        Resources = [resource],
        IdentityPolicies = identity,
    };

    public static AuthorizationRequest Session(string action, string resource, params Policy[] identity) => new()
    {
        PrincipalArn = SessionArn,
        PrincipalAccount = Account,
        PrincipalType = PrincipalType.AssumedRole,
        UserId = "AROAEXAMPLE:sess",
        Action = action,
        Resources = [resource],
        IdentityPolicies = identity,
    };

    public static Decision Decide(AuthorizationRequest r) => PolicyEvaluator.Evaluate(r).Decision;

    /// <summary>Evaluates one condition block on an allow-all statement.</summary>
    public static Decision WithCondition(string condition, ConditionKeys keys, Action<AuthorizationRequestBuilder>? more = null)
    {
        var b = new AuthorizationRequestBuilder { Context = keys };
        more?.Invoke(b);
        var policy = Identity(Allow("s3:GetObject", "*", condition));
        return Decide(new AuthorizationRequest
        {
            PrincipalArn = Bob,
            PrincipalAccount = Account,
            Action = "s3:GetObject",
            Resources = ["arn:aws:s3:::b/k"],
            IdentityPolicies = [policy],
            Context = keys,
            SourceIp = b.SourceIp,
            CurrentTime = b.CurrentTime,
            PrincipalTags = b.Tags,
            SecureTransport = b.SecureTransport,
        });
    }

    public static ConditionKeys Keys(params (string Key, string[] Values)[] entries)
    {
        var k = new ConditionKeys();
        foreach (var (key, values) in entries)
        {
            k.Set(key, values);
        }
        return k;
    }
}

internal sealed class AuthorizationRequestBuilder
{
    public ConditionKeys Context { get; set; } = new();
    public string? SourceIp { get; set; }
    public DateTimeOffset? CurrentTime { get; set; }
    public Dictionary<string, string>? Tags { get; set; }
    public bool? SecureTransport { get; set; }
}
