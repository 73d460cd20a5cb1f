using static Kiln.Policy.Tests.Fixtures;

namespace Kiln.Policy.Tests;

/// <summary>Every operator of "IAM JSON policy elements: Condition operators", its IfExists form, and
/// the set operators of "Set operators for multivalued context keys".</summary>
public class ConditionTests
{
    private static Decision Run(string op, string key, string values, params (string, string[])[] ctx) =>
        WithCondition("{\"" + op + "\":{\"" + key + "\":" + values + "}}", Keys(ctx));

    private static (string, string[]) K(string key, params string[] v) => (key, v);

    // Operator, policy values, context value (null = key missing), expected allow.
    [Theory]
    [InlineData("StringEquals", "[\"a\",\"b\"]", "b", true)]
    [InlineData("StringEquals", "\"A\"", "a", false)]
    [InlineData("StringEquals", "\"a\"", null, false)]
    [InlineData("StringNotEquals", "[\"a\",\"b\"]", "c", true)]
    [InlineData("StringNotEquals", "\"a\"", "a", false)]
    [InlineData("StringNotEquals", "\"a\"", null, true)]
    [InlineData("StringEqualsIgnoreCase", "\"AbC\"", "aBc", true)]
    [InlineData("StringNotEqualsIgnoreCase", "\"AbC\"", "aBc", false)]
    [InlineData("StringLike", "\"home/*/x?\"", "home/bob/x1", true)]
    [InlineData("StringLike", "\"home/*\"", "Home/bob", false)]
    [InlineData("StringNotLike", "\"tmp/*\"", "home/a", true)]
    [InlineData("StringNotLike", "\"tmp/*\"", null, true)]
    [InlineData("NumericEquals", "\"10\"", "10.0", true)]
    [InlineData("NumericNotEquals", "\"10\"", "11", true)]
    [InlineData("NumericLessThan", "10", "9", true)]
    [InlineData("NumericLessThan", "10", "10", false)]
    [InlineData("NumericLessThanEquals", "10", "10", true)]
    [InlineData("NumericGreaterThan", "\"1.5\"", "2", true)]
    [InlineData("NumericGreaterThanEquals", "\"2\"", "1", false)]
    [InlineData("NumericLessThan", "10", "abc", false)]
    [InlineData("DateEquals", "\"2020-01-01T00:00:00Z\"", "1577836800", true)]
    [InlineData("DateNotEquals", "\"2020-01-01T00:00:00Z\"", "2020-01-02T00:00:00Z", true)]
    [InlineData("DateLessThan", "\"2020-01-01T00:00:00Z\"", "2019-12-31T23:59:59Z", true)]
    [InlineData("DateLessThanEquals", "\"1577836800\"", "2020-01-01T00:00:00Z", true)]
    [InlineData("DateGreaterThan", "\"2020-01-01\"", "2020-01-01T00:00:01Z", true)]
    [InlineData("DateGreaterThanEquals", "\"2020-01-01T00:00:00+01:00\"", "2019-12-31T23:00:00Z", true)]
    [InlineData("Bool", "\"true\"", "true", true)]
    [InlineData("Bool", "false", "true", false)]
    [InlineData("BinaryEquals", "\"QmluYXJ5VmFsdWU=\"", "QmluYXJ5VmFsdWU=", true)]
    [InlineData("BinaryEquals", "\"QmluYXJ5VmFsdWU=\"", "b3RoZXI=", false)]
    [InlineData("IpAddress", "\"203.0.113.0/24\"", "203.0.113.77", true)]
    [InlineData("IpAddress", "\"203.0.113.0/24\"", "203.0.114.1", false)]
    [InlineData("IpAddress", "\"2001:DB8:1234:5678::/64\"", "2001:db8:1234:5678::1", true)]
    [InlineData("IpAddress", "\"2001:DB8:1234:5678::/64\"", "2001:db8:1234:5679::1", false)]
    [InlineData("IpAddress", "\"10.0.0.0/8\"", "2001:db8::1", false)]
    [InlineData("NotIpAddress", "\"203.0.113.0/24\"", "198.51.100.1", true)]
    [InlineData("NotIpAddress", "\"203.0.113.0/24\"", null, true)]
    [InlineData("ArnEquals", "\"arn:aws:sns:*:123456789012:topic\"", "arn:aws:sns:us-east-1:123456789012:topic", true)]
    [InlineData("ArnLike", "\"arn:aws:iam::*:role/*\"", "arn:aws:iam::123456789012:role/x", true)]
    [InlineData("ArnLike", "\"arn:aws:iam::*\"", "arn:aws:iam::123456789012:role/x", false)]
    [InlineData("ArnLike", "\"arn:aws:iam::*:role/Admin\"", "arn:aws:iam::123456789012:role/admin", false)]
    [InlineData("ArnNotEquals", "\"arn:aws:iam::123456789012:role/a\"", "arn:aws:iam::123456789012:role/b", true)]
    [InlineData("ArnNotLike", "\"arn:aws:iam::*:role/a*\"", "arn:aws:iam::123456789012:role/ab", false)]
    public void Operator_Table(string op, string values, string? ctx, bool allowed)
    {
        var keys = ctx is null ? Keys() : Keys(K("k:key", ctx));
        Assert.Equal(allowed ? Decision.Allow : Decision.ImplicitDeny, Run(op, "k:key", values, keys.Select(kv => (kv.Key, kv.Value)).ToArray()));
    }

    // "...IfExists condition operators": missing key → true; present key → evaluated as usual.
    [Theory]
    [InlineData("StringEqualsIfExists")]
    [InlineData("StringNotEqualsIfExists")]
    [InlineData("StringEqualsIgnoreCaseIfExists")]
    [InlineData("StringNotEqualsIgnoreCaseIfExists")]
    [InlineData("StringLikeIfExists")]
    [InlineData("StringNotLikeIfExists")]
    [InlineData("NumericEqualsIfExists")]
    [InlineData("NumericNotEqualsIfExists")]
    [InlineData("NumericLessThanIfExists")]
    [InlineData("NumericLessThanEqualsIfExists")]
    [InlineData("NumericGreaterThanIfExists")]
    [InlineData("NumericGreaterThanEqualsIfExists")]
    [InlineData("DateEqualsIfExists")]
    [InlineData("DateNotEqualsIfExists")]
    [InlineData("DateLessThanIfExists")]
    [InlineData("DateLessThanEqualsIfExists")]
    [InlineData("DateGreaterThanIfExists")]
    [InlineData("DateGreaterThanEqualsIfExists")]
    [InlineData("BoolIfExists")]
    [InlineData("BinaryEqualsIfExists")]
    [InlineData("IpAddressIfExists")]
    [InlineData("NotIpAddressIfExists")]
    [InlineData("ArnEqualsIfExists")]
    [InlineData("ArnLikeIfExists")]
    [InlineData("ArnNotEqualsIfExists")]
    [InlineData("ArnNotLikeIfExists")]
    public void IfExists_MissingKey_True(string op)
    {
        var value = op.StartsWith("Date") ? "\"2020-01-01T00:00:00Z\"" : op.StartsWith("Ip") || op.StartsWith("NotIp") ? "\"10.0.0.0/8\"" : "\"1\"";
        Assert.Equal(Decision.Allow, Run(op, "k:absent", value));
    }

    [Fact]
    public void IfExists_PresentKey_EvaluatedNormally()
    {
        Assert.Equal(Decision.ImplicitDeny, Run("StringEqualsIfExists", "ec2:InstanceType", "\"t2.micro\"", K("ec2:InstanceType", "m5.large")));
        Assert.Equal(Decision.Allow, Run("StringEqualsIfExists", "ec2:InstanceType", "\"t2.micro\"", K("ec2:InstanceType", "t2.micro")));
        Assert.Equal(Decision.ImplicitDeny, Run("NumericLessThanIfExists", "s3:max-keys", "10", K("s3:max-keys", "11")));
    }

    // "Condition operator to check existence of condition keys" (Null).
    [Theory]
    [InlineData("true", false, true)]
    [InlineData("true", true, false)]
    [InlineData("false", true, true)]
    [InlineData("false", false, false)]
    public void Null_ChecksPresence(string value, bool present, bool allowed)
    {
        var ctx = present ? new[] { K("aws:TokenIssueTime", "2020-01-01T00:00:00Z") } : [];
        Assert.Equal(allowed ? Decision.Allow : Decision.ImplicitDeny, Run("Null", "aws:TokenIssueTime", $"\"{value}\"", ctx));
    }

    // "Set operators for multivalued context keys", with aws:TagKeys as in its examples.
    [Theory]
    [InlineData("ForAllValues:StringEquals", new[] { "environment", "cost-center" }, true)]
    [InlineData("ForAllValues:StringEquals", new[] { "environment", "owner" }, false)]
    [InlineData("ForAllValues:StringEquals", new string[0], true)]   // empty set → true
    [InlineData("ForAllValues:StringEquals", null, true)]            // missing key → true
    [InlineData("ForAnyValue:StringEquals", new[] { "owner", "environment" }, true)]
    [InlineData("ForAnyValue:StringEquals", new[] { "owner" }, false)]
    [InlineData("ForAnyValue:StringEquals", new string[0], false)]  // empty set → false
    [InlineData("ForAnyValue:StringEquals", null, false)]           // missing key → false
    [InlineData("ForAnyValue:StringEqualsIfExists", null, true)]
    [InlineData("ForAllValues:StringNotEquals", new[] { "owner", "name" }, true)]
    [InlineData("ForAllValues:StringNotEquals", new[] { "owner", "environment" }, false)]
    [InlineData("ForAnyValue:StringNotEquals", new[] { "environment", "owner" }, true)]
    [InlineData("ForAnyValue:StringNotEquals", new[] { "environment" }, false)]
    [InlineData("ForAnyValue:StringLike", new[] { "x", "costcenter" }, false)]
    [InlineData("ForAnyValue:StringLike", new[] { "x", "cost-center" }, true)]
    public void SetOperators_TagKeys(string op, string[]? tagKeys, bool allowed)
    {
        var ctx = tagKeys is null ? [] : new[] { K("aws:TagKeys", tagKeys) };
        var values = op.EndsWith("StringLike") ? "[\"cost-*\"]" : "[\"environment\",\"cost-center\"]";
        Assert.Equal(allowed ? Decision.Allow : Decision.ImplicitDeny, Run(op, "aws:TagKeys", values, ctx));
    }

    // "Creating a condition with multiple keys or values": keys AND-ed, values OR-ed, operators AND-ed.
    [Fact]
    public void MultipleKeysAndOperators_AreAnded()
    {
        const string cond = """{"StringEquals":{"aws:PrincipalTag/dept":["eng","ops"],"s3:prefix":"home/"},"Bool":{"aws:SecureTransport":"true"}}""";
        Decision Run(string dept, string prefix, bool tls) => WithCondition(cond, Keys(K("s3:prefix", prefix)), b =>
        {
            b.Tags = new() { ["Dept"] = dept };
            b.SecureTransport = tls;
        });
        Assert.Equal(Decision.Allow, Run("ops", "home/", true));
        Assert.Equal(Decision.ImplicitDeny, Run("ops", "home/", false));
        Assert.Equal(Decision.ImplicitDeny, Run("sales", "home/", true));
        Assert.Equal(Decision.ImplicitDeny, Run("eng", "tmp/", true));
    }

    // Condition key names are case-insensitive ("Key names are case-insensitive"); values are not.
    [Fact]
    public void KeyNames_CaseInsensitive()
    {
        Assert.Equal(Decision.Allow, Run("StringEquals", "S3:PREFIX", "\"a/\"", K("s3:prefix", "a/")));
    }

    // Global keys computed from the request: aws:SourceIp, aws:CurrentTime, aws:EpochTime, aws:PrincipalArn...
    [Fact]
    public void GlobalKeys_ComputedFromRequest()
    {
        var now = new DateTimeOffset(2024, 6, 1, 12, 0, 0, TimeSpan.Zero);
        Assert.Equal(Decision.Allow, WithCondition("""{"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}""", Keys(), b => b.SourceIp = "192.0.2.9"));
        Assert.Equal(Decision.Allow, WithCondition("""{"DateLessThan":{"aws:CurrentTime":"2024-12-31T00:00:00Z"}}""", Keys(), b => b.CurrentTime = now));
        Assert.Equal(Decision.ImplicitDeny, WithCondition("""{"DateGreaterThan":{"aws:EpochTime":"1717243201"}}""", Keys(), b => b.CurrentTime = now));
        var session = PolicyEvaluator.Evaluate(new AuthorizationRequest
        {
            PrincipalArn = SessionArn, PrincipalAccount = Account, PrincipalType = PrincipalType.AssumedRole,
            Action = "s3:GetObject", Resources = ["arn:aws:s3:::b/k"],
            IdentityPolicies = [Identity(Allow("s3:GetObject", "*", """{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/reader"},"Null":{"aws:username":"true"}}"""))],
        });
        Assert.Equal(Decision.Allow, session.Decision);
    }

    [Fact]
    public void GlobalKeys_UserKeys()
    {
        var p = Identity(Allow("s3:GetObject", "*", """{"StringEquals":{"aws:PrincipalAccount":"111122223333","aws:username":"bob","aws:userid":"AIDAEXAMPLEBOB","aws:PrincipalType":"User"}}"""));
        Assert.Equal(Decision.Allow, Decide(User("s3:GetObject", "arn:aws:s3:::b/k", p)));
    }
}
