namespace Kiln.Policy.Tests;

/// <summary>MalformedPolicyDocument messages as IAM words them (see PolicyParser for the sources).</summary>
public class ValidationTests
{
    private static string Error(string json, PolicyKind kind)
    {
        var e = Assert.Throws<MalformedPolicyDocumentException>(() => Policy.Parse(json, kind));
        Assert.Equal("MalformedPolicyDocument", e.Code);
        return e.Message;
    }

    private static string Doc(string statement, string version = "\"Version\":\"2012-10-17\",") => "{" + version + "\"Statement\":" + statement + "}";

    [Theory]
    [InlineData("{not json", "This policy contains invalid Json")]
    [InlineData("[]", "Syntax errors in policy.")]
    [InlineData("{\"Version\":\"2012-10-17\"}", "Syntax errors in policy.")]
    [InlineData("{\"Version\":\"2012-10-17\",\"Statement\":[]}", "Syntax errors in policy.")]
    [InlineData("{\"Version\":\"2012-10-17\",\"Foo\":1,\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\"}}", "Syntax errors in policy.")]
    [InlineData("{\"Version\":\"2013-01-01\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\"}}", "Syntax errors in policy.")]
    [InlineData("{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\"}}", "Policy document must be version 2012-10-17 or greater.")]
    [InlineData("{\"Version\":\"2008-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\"}}", "Policy document must be version 2012-10-17 or greater.")]
    public void Identity_DocumentErrors(string json, string message) => Assert.Equal(message, Error(json, PolicyKind.Identity));

    [Theory]
    [InlineData("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":\"*\"}", "Policy document should not specify a principal.")]
    [InlineData("{\"Effect\":\"Deny\",\"NotPrincipal\":{\"AWS\":\"*\"},\"Action\":\"s3:*\",\"Resource\":\"*\"}", "Policy document should not specify a principal.")]
    [InlineData("{\"Action\":\"s3:*\",\"Resource\":\"*\"}", "Missing required field Effect")]
    [InlineData("{\"Effect\":\"allow\",\"Action\":\"s3:*\",\"Resource\":\"*\"}", "The policy failed legacy parsing")]
    [InlineData("{\"Effect\":\"Permit\",\"Action\":\"s3:*\",\"Resource\":\"*\"}", "Syntax errors in policy.")]
    [InlineData("{\"Effect\":\"Allow\",\"Resource\":\"*\"}", "Policy statement must contain actions.")]
    [InlineData("{\"Effect\":\"Allow\",\"Action\":[],\"Resource\":\"*\"}", "Policy statement must contain actions.")]
    [InlineData("{\"Effect\":\"Allow\",\"Action\":\"s3:*\"}", "Policy statement must contain resources.")]
    [InlineData("{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"NotAction\":\"iam:*\",\"Resource\":\"*\"}", "Syntax errors in policy.")]
    [InlineData("{\"Effect\":\"Allow\",\"Action\":\"s3\",\"Resource\":\"*\"}", "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")]
    [InlineData("{\"Effect\":\"Allow\",\"Action\":\"s3:Get:Object\",\"Resource\":\"*\"}", "Actions/Condition can contain only one colon.")]
    [InlineData("{\"Effect\":\"Allow\",\"Action\":\"s#3:GetObject\",\"Resource\":\"*\"}", "Vendor s#3 is not valid")]
    [InlineData("{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"bucket\"}", "Resource bucket must be in ARN format or \"*\".")]
    [InlineData("{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"arn:aws:*:::b\"}", "Resource vendor must be fully qualified and cannot contain regexes.")]
    [InlineData("{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"arn:aws:s3:us-east-1::b\"}", "Resource arn:aws:s3:us-east-1::b can not contain region information.")]
    [InlineData("{\"Effect\":\"Allow\",\"Action\":\"iam:*\",\"Resource\":\"arn:aws:iam:us-east-1::user/x\"}", "IAM resource arn:aws:iam:us-east-1::user/x cannot contain region information.")]
    [InlineData("{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"arn:foo:s3:::b\"}", "Partition \"foo\" is not valid for resource \"arn:foo:s3:::b\".")]
    [InlineData("{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\",\"Condition\":{\"StringFoo\":{\"k\":\"v\"}}}", "Syntax errors in policy.")]
    [InlineData("{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\",\"Condition\":{\"NullIfExists\":{\"k\":\"true\"}}}", "Syntax errors in policy.")]
    [InlineData("{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\",\"Condition\":{\"DateLessThan\":{\"aws:CurrentTime\":\"yesterday\"}}}", "The policy failed legacy parsing")]
    public void Identity_StatementErrors(string statement, string message) => Assert.Equal(message, Error(Doc(statement), PolicyKind.Identity));

    [Fact]
    public void Identity_DuplicateSid_Rejected()
    {
        var json = Doc("[{\"Sid\":\"A\",\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\"},{\"Sid\":\"A\",\"Effect\":\"Deny\",\"Action\":\"s3:*\",\"Resource\":\"*\"}]");
        Assert.Equal("Statement IDs (SID) in a single policy must be unique.", Error(json, PolicyKind.Identity));
    }

    [Theory]
    [InlineData("{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\"}", "Missing required field Principal")]
    [InlineData("{\"Effect\":\"Allow\",\"Principal\":{},\"Action\":\"s3:*\",\"Resource\":\"*\"}", "Missing required field Principal cannot be empty!")]
    [InlineData("{\"Effect\":\"Allow\",\"NotPrincipal\":{\"AWS\":\"111122223333\"},\"Action\":\"s3:*\",\"Resource\":\"*\"}", "Allow with NotPrincipal is not allowed.")]
    [InlineData("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"bob\"},\"Action\":\"s3:*\",\"Resource\":\"*\"}", "Invalid principal in policy: \"AWS\":\"bob\"")]
    [InlineData("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::111122223333:user/*\"},\"Action\":\"s3:*\",\"Resource\":\"*\"}", "Invalid principal in policy: \"AWS\":\"arn:aws:iam::111122223333:user/*\"")]
    [InlineData("{\"Effect\":\"Allow\",\"Principal\":{\"Group\":\"x\"},\"Action\":\"s3:*\",\"Resource\":\"*\"}", "Invalid principal in policy: \"Group\"")]
    public void Resource_PrincipalErrors(string statement, string message) => Assert.Equal(message, Error(Doc(statement), PolicyKind.Resource));

    [Theory]
    [InlineData("{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"sagemaker.amazonaws.com\"},\"Action\":\"s3:GetObject\"}", "AssumeRole policy may only specify STS AssumeRole actions.")]
    [InlineData("{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"sagemaker.amazonaws.com\"},\"Action\":\"sts:AssumeRole\",\"Resource\":\"*\"}", "Has prohibited field Resource")]
    [InlineData("{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"sagemaker.amazonaws.com\"}}", "Missing required field Action")]
    [InlineData("{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\"}", "Missing required field Principal")]
    [InlineData("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"sts:AssumeRole\"}", "Principal must be a JSON object.")]
    [InlineData("{\"Effect\":\"Deny\",\"NotPrincipal\":{\"AWS\":\"111122223333\"},\"Action\":\"sts:AssumeRole\"}", "AssumeRole policy must not contain NotPrincipal field.")]
    public void Trust_Errors(string statement, string message) => Assert.Equal(message, Error(Doc(statement), PolicyKind.Trust));

    // "IAM JSON policy elements: Version": resource and trust policies may omit Version; every list
    // element may be a string or an array, and Statement an object or an array.
    [Fact]
    public void Parse_ValidShapes_Accepted()
    {
        var trust = Policy.Parse("""{"Statement":{"Effect":"Allow","Principal":{"AWS":["111122223333","arn:aws:iam::444455556666:root"],"Federated":"cognito-identity.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}}""", PolicyKind.Trust);
        Assert.Null(trust.Version);
        var rbp = Policy.Parse("""{"Version":"2008-10-17","Id":"p1","Statement":[{"Sid":"1","Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject","Resource":["arn:aws:s3:::b/*"],"Condition":{"Bool":{"aws:SecureTransport":true},"NumericLessThan":{"s3:max-keys":10}}}]}""", PolicyKind.Resource);
        Assert.Equal("p1", rbp.Id);
        Assert.Equal("1", rbp.Statements[0].Sid);
        Assert.True(Policy.TryParse("""{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}""", PolicyKind.Identity, out var p, out var err));
        Assert.NotNull(p);
        Assert.Null(err);
        Assert.False(Policy.TryParse("{", PolicyKind.Identity, out _, out err));
        Assert.Equal("This policy contains invalid Json", err);
    }
}
