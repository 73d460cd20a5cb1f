using static Kiln.Policy.Tests.Fixtures;

namespace Kiln.Policy.Tests;

/// <summary>Wildcards ("IAM JSON policy elements: Action" / "Resource") and policy variables
/// ("IAM policy elements: Variables and tags").</summary>
public class MatchingTests
{
    // Actions: "*" and "?" wildcards, case-insensitive ("IAM JSON policy elements: Action").
    [Theory]
    [InlineData("s3:*", "s3:GetObject", true)]
    [InlineData("s3:Get*", "S3:getobject", true)]
    [InlineData("s3:Get*", "s3:PutObject", false)]
    [InlineData("iam:*AccessKey*", "iam:CreateAccessKey", true)]
    [InlineData("s3:GetObjec?", "s3:GetObject", true)]
    [InlineData("s3:GetObjec?", "s3:GetObjects", false)]
    [InlineData("*", "kms:Decrypt", true)]
    [InlineData("s3:*Object", "s3:GetObjectAcl", false)]
    public void Action_Wildcards(string pattern, string action, bool allowed)
    {
        var p = Identity(Allow(pattern, "*"));
        Assert.Equal(allowed ? Decision.Allow : Decision.ImplicitDeny, Decide(User(action, "arn:aws:s3:::b/k", p)));
    }

    // Resources: case-sensitive, "*" does not cross the first five ARN colons.
    [Theory]
    [InlineData("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b/c", true)]
    [InlineData("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket", false)]
    [InlineData("arn:aws:s3:::bucket/*", "arn:aws:s3:::Bucket/a", false)]
    [InlineData("arn:aws:s3:::bucket/file?.txt", "arn:aws:s3:::bucket/file1.txt", true)]
    [InlineData("arn:aws:s3:::bucket/file?.txt", "arn:aws:s3:::bucket/file12.txt", false)]
    [InlineData("arn:aws:iam::*:user/*", "arn:aws:iam::111122223333:user/bob", true)]
    [InlineData("arn:aws:iam::*:user/*", "arn:aws:iam::111122223333:role/bob", false)]
    [InlineData("arn:aws:sqs:*:*:queue", "arn:aws:sqs:us-east-1:111122223333:queue", true)]
    [InlineData("arn:aws:sqs:us-*:*:queue", "arn:aws:sqs:eu-west-1:111122223333:queue", false)]
    [InlineData("arn:aws:s3:::*a*b*", "arn:aws:s3:::xaxxbx", true)]
    [InlineData("arn:aws:s3:::*a*b", "arn:aws:s3:::xaxxbx", false)]
    public void Resource_Wildcards(string pattern, string resource, bool allowed)
    {
        var p = Identity(Allow("*", pattern));
        Assert.Equal(allowed ? Decision.Allow : Decision.ImplicitDeny, Decide(User("s3:GetObject", resource, p)));
    }

    // "Variables and tags", Introduction: each user's home prefix.
    [Theory]
    [InlineData("arn:aws:s3:::mybucket/bob/x", Decision.Allow)]
    [InlineData("arn:aws:s3:::mybucket/alice/x", Decision.ImplicitDeny)]
    public void Variable_Username_InResource(string resource, Decision expected)
    {
        var p = Identity(Allow("s3:GetObject", "arn:aws:s3:::mybucket/${aws:username}/*"));
        Assert.Equal(expected, Decide(User("s3:GetObject", resource, p)));
    }

    // "Principal key values": aws:username is not present for role sessions, so a statement using
    // it does not apply — neither an Allow nor a Deny.
    [Fact]
    public void Variable_MissingForRoleSession_StatementDoesNotApply()
    {
        var allow = Identity(Allow("s3:GetObject", "arn:aws:s3:::mybucket/${aws:username}/*"));
        Assert.Equal(Decision.ImplicitDeny, Decide(Session("s3:GetObject", "arn:aws:s3:::mybucket/reader/x", allow)));
        var denyNot = Identity(Allow("s3:*", "*") + ",{\"Effect\":\"Deny\",\"Action\":\"s3:*\",\"NotResource\":\"arn:aws:s3:::mybucket/${aws:username}/*\"}");
        Assert.Equal(Decision.Allow, Decide(Session("s3:GetObject", "arn:aws:s3:::other/x", denyNot)));
        Assert.Equal(Decision.ExplicitDeny, Decide(User("s3:GetObject", "arn:aws:s3:::other/x", denyNot)));
    }

    // "Specifying default values": ${aws:PrincipalTag/team, 'company-wide'}.
    [Fact]
    public void Variable_DefaultValue_UsedWhenMissing()
    {
        var p = Identity(Allow("s3:GetObject", "arn:aws:s3:::bucket/${aws:PrincipalTag/team, 'company-wide'}/*"));
        Assert.Equal(Decision.Allow, Decide(User("s3:GetObject", "arn:aws:s3:::bucket/company-wide/x", p)));
        var tagged = new AuthorizationRequest
        {
            PrincipalArn = Bob, PrincipalAccount = Account, Action = "s3:GetObject", Resources = ["arn:aws:s3:::bucket/ml/x"],
            IdentityPolicies = [p], PrincipalTags = new Dictionary<string, string> { ["team"] = "ml" },
        };
        Assert.Equal(Decision.Allow, Decide(tagged));
    }

    // "Special characters": ${*} ${?} ${$} are literal characters, not wildcards.
    [Theory]
    [InlineData("arn:aws:s3:::bucket/a*b?c$", Decision.Allow)]
    [InlineData("arn:aws:s3:::bucket/aXbYc$", Decision.ImplicitDeny)]
    public void Variable_Escapes_AreLiteral(string resource, Decision expected)
    {
        var p = Identity(Allow("s3:GetObject", "arn:aws:s3:::bucket/a${*}b${?}c${$}"));
        Assert.Equal(expected, Decide(User("s3:GetObject", resource, p)));
    }

    // A substituted value is data: a tag value "*" must not become a wildcard.
    [Fact]
    public void Variable_SubstitutedWildcard_IsLiteral()
    {
        var p = Identity(Allow("s3:GetObject", "arn:aws:s3:::bucket/${aws:PrincipalTag/team}/*"));
        AuthorizationRequest Req(string r) => new()
        {
            PrincipalArn = Bob, PrincipalAccount = Account, Action = "s3:GetObject", Resources = [r],
            IdentityPolicies = [p], PrincipalTags = new Dictionary<string, string> { ["team"] = "*" },
        };
        Assert.Equal(Decision.ImplicitDeny, Decide(Req("arn:aws:s3:::bucket/finance/x")));
        Assert.Equal(Decision.Allow, Decide(Req("arn:aws:s3:::bucket/*/x")));
    }

    // "Introduction": without Version 2012-10-17 variables are literal text.
    [Fact]
    public void Variable_Version2008_IsLiteral()
    {
        var rbp = Policy.Parse("""{"Version":"2008-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/bob"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:username}/*"}}""", PolicyKind.Resource);
        AuthorizationRequest Req(string r) => new() { PrincipalArn = Bob, PrincipalAccount = Account, Action = "s3:GetObject", Resources = [r], ResourcePolicy = rbp };
        Assert.Equal(Decision.ImplicitDeny, Decide(Req("arn:aws:s3:::b/bob/x")));
        Assert.Equal(Decision.Allow, Decide(Req("arn:aws:s3:::b/${aws:username}/x")));
    }

    // "Condition element": variables in String and Arn operators, e.g. s3:prefix home directories.
    [Theory]
    [InlineData("bob/", Decision.Allow)]
    [InlineData("bob/photos/", Decision.Allow)]
    [InlineData("alice/", Decision.ImplicitDeny)]
    public void Variable_InCondition_S3Prefix(string prefix, Decision expected)
    {
        var p = Identity(Allow("s3:ListBucket", "arn:aws:s3:::mybucket", """{"StringLike":{"s3:prefix":["${aws:username}/*"]}}"""));
        var req = new AuthorizationRequest
        {
            PrincipalArn = Bob, PrincipalAccount = Account, Action = "s3:ListBucket", Resources = ["arn:aws:s3:::mybucket"],
            IdentityPolicies = [p], Context = Fixtures.Keys(("s3:prefix", [prefix])),
        };
        Assert.Equal(expected, Decide(req));
    }

    // Variables are not substituted in Numeric conditions ("You can't use a policy variable with
    // other operators"); ResourceTag compared to PrincipalTag (ABAC, "Tags as policy variables").
    [Fact]
    public void Variable_AbacResourceTagMatchesPrincipalTag()
    {
        var p = Identity(Allow("s3:GetObject", "*", """{"StringEquals":{"aws:ResourceTag/project":"${aws:PrincipalTag/project}"}}"""));
        AuthorizationRequest Req(string tag) => new()
        {
            PrincipalArn = Bob, PrincipalAccount = Account, Action = "s3:GetObject", Resources = ["arn:aws:s3:::b/k"],
            IdentityPolicies = [p], PrincipalTags = new Dictionary<string, string> { ["Project"] = "alpha" },
            Context = Fixtures.Keys(("aws:ResourceTag/project", [tag])),
        };
        Assert.Equal(Decision.Allow, Decide(Req("alpha")));
        Assert.Equal(Decision.ImplicitDeny, Decide(Req("beta")));
    }

    // The matcher itself, on edge cases.
    [Theory]
    [InlineData("", "", true)]
    [InlineData("*", "", true)]
    [InlineData("?", "", false)]
    [InlineData("a*", "a", true)]
    [InlineData("**a", "ba", true)]
    [InlineData("a*b*c", "abbbc", true)]
    [InlineData("a*b*c", "acb", false)]
    [InlineData("\\*", "*", true)]
    [InlineData("\\*", "x", false)]
    public void Wildcard_EdgeCases(string pattern, string text, bool expected) =>
        Assert.Equal(expected, Wildcard.IsMatch(pattern, text, ignoreCase: false));
}
