using Kiln.Core.Errors;
using Kiln.Services.Iam.Domain;

namespace Kiln.Services.Iam.Tests;

/// <summary>Policy simulation, permissions boundaries after creation, pagination and the AWS managed policies.</summary>
public sealed class IamSimulationTests
{
    private const string S3Read = """
        {
          "Version": "2012-10-17",
          "Statement": [
            {
              "Sid": "Read",
              "Effect": "Allow",
              "Action": ["s3:GetObject", "s3:ListBucket"],
              "Resource": "*"
            },
            {
              "Sid": "NoSecrets",
              "Effect": "Deny",
              "Action": "s3:GetObject",
              "Resource": "arn:aws:s3:::data/secret/*"
            }
          ]
        }
        """;

    private static SimulationCaller Caller(string account) =>
        new($"arn:aws:iam::{account}:user/sim", Kiln.Policy.PrincipalType.User, account, "sim", null, null);

    [Fact]
    public void Simulate_AllowDenyImplicit_WithStatementPositions()
    {
        var sim = new PolicySimulator([new SimulatedPolicy("PolicyInputList.1", null, S3Read)], null, null);

        var results = sim.Run(Caller("123456789012"), ["s3:GetObject", "s3:PutObject"],
            ["arn:aws:s3:::data/public/a", "arn:aws:s3:::data/secret/b"], new(), null, DateTimeOffset.UtcNow);

        Assert.Equal(["allowed", "explicitDeny", "implicitDeny", "implicitDeny"], results.Select(r => r.Decision));
        Assert.Equal(("s3:GetObject", "arn:aws:s3:::data/public/a"), (results[0].Action, results[0].Resource));
        var allow = results[0].MatchedStatements.Single();
        Assert.Equal(("PolicyInputList.1", 4, 6, 9, 6), (allow.SourcePolicyId, allow.StartLine, allow.StartColumn, allow.EndLine, allow.EndColumn));
        var deny = results[1].MatchedStatements.Single();
        Assert.Equal((10, 6, 15, 6), (deny.StartLine, deny.StartColumn, deny.EndLine, deny.EndColumn));
        Assert.Empty(results[2].MatchedStatements);
    }

    /// <summary>The aws CLI's own example (awscli/examples/iam/simulate-custom-policy.rst): a policy
    /// allowing dynamodb:* after 2018-08-16, simulated with aws:CurrentTime given as a context entry.</summary>
    [Theory]
    [InlineData("2019-04-25T11:00:00Z", "allowed")]
    [InlineData("2014-04-25T11:00:00Z", "implicitDeny")]
    public void Simulate_AwsCliExample_SameDecisionAndPositions(string currentTime, string decision)
    {
        const string doc = """{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}}""";
        var sim = new PolicySimulator([new SimulatedPolicy("PolicyInputList.1", null, doc)], null, null);
        var context = new Kiln.Policy.ConditionKeys();
        context.Set("aws:CurrentTime", currentTime);

        var r = sim.Run(Caller("123456789012"), ["dynamodb:CreateBackup"], [], context, null, DateTimeOffset.UtcNow).Single();

        Assert.Equal(("dynamodb:CreateBackup", "*", decision), (r.Action, r.Resource, r.Decision));
        Assert.Empty(r.MissingContextValues);
        if (decision == "allowed")
        {
            var m = r.MatchedStatements.Single();
            Assert.Equal(("PolicyInputList.1", 1, 38, 1, 167), (m.SourcePolicyId, m.StartLine, m.StartColumn, m.EndLine, m.EndColumn));
        }
        else
        {
            Assert.Empty(r.MatchedStatements);
        }
    }

    [Fact]
    public void Simulate_ResourcePolicyGrantToCaller_AllowsWithoutIdentityGrant()
    {
        const string bucket = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/sim"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}""";
        var sim = new PolicySimulator([], null, new SimulatedPolicy("ResourcePolicy", "resource", bucket));

        var r = sim.Run(Caller("123456789012"), ["s3:GetObject", "s3:PutObject"], ["arn:aws:s3:::b/k"], new(), "123456789012",
            DateTimeOffset.UtcNow);

        Assert.Equal(["allowed", "implicitDeny"], r.Select(x => x.Decision));
        Assert.Equal(("ResourcePolicy", "resource"), (r[0].MatchedStatements.Single().SourcePolicyId, r[0].MatchedStatements.Single().SourcePolicyType));
    }

    [Fact]
    public void Simulate_ContextEntries_FeedConditions_AndMissingKeysAreListed()
    {
        const string mfa = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}""";
        var sim = new PolicySimulator([new SimulatedPolicy("PolicyInputList.1", null, mfa)], null, null);
        var withMfa = new Kiln.Policy.ConditionKeys();
        withMfa.Set("aws:MultiFactorAuthPresent", "true");

        var without = sim.Run(Caller("123456789012"), ["iam:ListUsers"], [], new(), null, DateTimeOffset.UtcNow).Single();
        var with = sim.Run(Caller("123456789012"), ["iam:ListUsers"], [], withMfa, null, DateTimeOffset.UtcNow).Single();

        Assert.Equal(("implicitDeny", "*"), (without.Decision, without.Resource));
        Assert.Equal(["aws:MultiFactorAuthPresent"], without.MissingContextValues);
        Assert.Equal("allowed", with.Decision);
        Assert.Empty(with.MissingContextValues);
    }

    [Fact]
    public void Simulate_MalformedInput_ReturnsInvalidInput()
    {
        var e = Assert.Throws<AwsException>(() => new PolicySimulator([new SimulatedPolicy("PolicyInputList.1", null, "{nope")], null, null));

        Assert.Equal(("InvalidInput", 400), (e.Code, e.StatusCode!.Value));
    }

    [Fact]
    public async Task SimulatePrincipal_UserWithGroupAndBoundary_BoundaryCapsTheGrant()
    {
        var t = await TestIam.CreateAsync();
        var user = await t.Iam.CreateUserAsync(t.Account, "sim", null, null, null, default);
        await t.Iam.CreateGroupAsync(t.Account, "admins", null, default);
        await t.Iam.AddUserToGroupAsync(t.Account, "admins", "sim", default);
        await t.Iam.AttachPolicyAsync(t.Account, EntityKind.Group, "admins", "arn:aws:iam::aws:policy/AdministratorAccess", default);
        await t.Iam.PutPermissionsBoundaryAsync(t.Account, EntityKind.User, "sim", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess", default);

        var p = await t.Iam.PrincipalPoliciesAsync(t.Account, user.Arn, default);
        var results = new PolicySimulator(p.Identity, p.Boundary, null)
            .Run(p.Caller, ["s3:GetObject", "iam:CreateUser"], [], new(), null, DateTimeOffset.UtcNow);
        await t.Iam.DeletePermissionsBoundaryAsync(t.Account, EntityKind.User, "sim", default);
        var after = await t.Iam.PrincipalPoliciesAsync(t.Account, user.Arn, default);

        Assert.Equal(("allowed", true), (results[0].Decision, results[0].AllowedByPermissionsBoundary));
        Assert.Equal(("AdministratorAccess", "aws-managed"), (results[0].MatchedStatements.Single().SourcePolicyId, results[0].MatchedStatements.Single().SourcePolicyType));
        Assert.Equal(("implicitDeny", false), (results[1].Decision, results[1].AllowedByPermissionsBoundary));
        Assert.Null(after.Boundary);
        Assert.Null((await t.Iam.GetUserAsync(t.Account, "sim", default)).PermissionsBoundary);
    }

    [Fact]
    public async Task SimulatePrincipal_UnknownEntity_NoSuchEntity()
    {
        var t = await TestIam.CreateAsync();

        var e = await Assert.ThrowsAsync<AwsException>(() => t.Iam.PrincipalPoliciesAsync(t.Account, $"arn:aws:iam::{t.Account}:role/ghost", default));

        Assert.Equal(("NoSuchEntity", 404), (e.Code, e.StatusCode!.Value));
    }

    [Fact]
    public async Task PutRolePermissionsBoundary_MissingPolicy_NoSuchEntity_ThenSetAndRemoved()
    {
        var t = await TestIam.CreateAsync();
        await t.Iam.CreateRoleAsync(t.Account, "r", null,
            """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"sagemaker.amazonaws.com"},"Action":"sts:AssumeRole"}]}""",
            null, null, null, null, default);

        var e = await Assert.ThrowsAsync<AwsException>(() => t.Iam.PutPermissionsBoundaryAsync(t.Account, EntityKind.Role, "r",
            $"arn:aws:iam::{t.Account}:policy/none", default));
        await t.Iam.PutPermissionsBoundaryAsync(t.Account, EntityKind.Role, "r", "arn:aws:iam::aws:policy/AmazonS3FullAccess", default);
        var set = (await t.Iam.GetRoleAsync(t.Account, "r", default)).PermissionsBoundary;
        await t.Iam.DeletePermissionsBoundaryAsync(t.Account, EntityKind.Role, "r", default);

        Assert.Equal("NoSuchEntity", e.Code);
        Assert.Equal("arn:aws:iam::aws:policy/AmazonS3FullAccess", set);
        Assert.Null((await t.Iam.GetRoleAsync(t.Account, "r", default)).PermissionsBoundary);
        Assert.Equal(0, await t.Iam.CountBoundaryUsesAsync(t.Account, "arn:aws:iam::aws:policy/AmazonS3FullAccess", default));
    }

    [Fact]
    public void Page_WalksAllItemsWithMarkers()
    {
        var items = Enumerable.Range(0, 7).ToList();
        var seen = new List<int>();
        string? marker = null;
        var pages = 0;
        do
        {
            var page = IamPage.Of(items, marker, 3);
            seen.AddRange(page.Items);
            Assert.Equal(page.IsTruncated, page.Marker is not null);
            marker = page.Marker;
            pages++;
        }
        while (marker is not null);

        Assert.Equal(items, seen);
        Assert.Equal(3, pages);
        Assert.Equal(100, IamPage.Of(Enumerable.Range(0, 150).ToList(), null, null).Items.Count);
    }

    [Theory]
    [InlineData(0, null, "Member must have value greater than or equal to 1")]
    [InlineData(1001, null, "Member must have value less than or equal to 1000")]
    [InlineData(10, "bm90LWEtbWFya2Vy", "Invalid Marker.")]
    [InlineData(10, "%%%", "Invalid Marker.")]
    public void Page_BadMaxItemsOrMarker_ValidationError(int max, string? marker, string message)
    {
        var e = Assert.Throws<AwsException>(() => IamPage.Of([1, 2, 3], marker, max));

        Assert.Equal(("ValidationError", 400), (e.Code, e.StatusCode!.Value));
        Assert.EndsWith(message, e.Message);
    }

    [Theory]
    [InlineData("arn:aws:iam::aws:policy/AmazonSageMakerFullAccess", "sagemaker:CreateTrainingJob")]
    [InlineData("arn:aws:iam::aws:policy/AmazonKinesisFullAccess", "kinesis:PutRecord")]
    [InlineData("arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole", "glue:GetTable")]
    [InlineData("arn:aws:iam::aws:policy/AmazonAthenaFullAccess", "athena:StartQueryExecution")]
    [InlineData("arn:aws:iam::aws:policy/CloudWatchFullAccess", "cloudwatch:PutMetricData")]
    [InlineData("arn:aws:iam::aws:policy/ReadOnlyAccess", "s3:GetObject")]
    public void ManagedPolicy_RealDocument_ParsesAndGrantsItsService(string arn, string action)
    {
        var policy = AwsManagedPolicies.Find(arn);

        Assert.NotNull(policy);
        var sim = new PolicySimulator([new SimulatedPolicy(policy.Name, "aws-managed", policy.DefaultVersion.Document)], null, null);
        var result = sim.Run(Caller("123456789012"), [action], [], new(), null, DateTimeOffset.UtcNow).Single();
        Assert.Equal("allowed", result.Decision);
    }

    [Fact]
    public void ManagedPolicies_AllParse_ReadOnlyAccessCannotWrite()
    {
        foreach (var p in AwsManagedPolicies.All)
        {
            Kiln.Policy.Policy.Parse(p.DefaultVersion.Document, Kiln.Policy.PolicyKind.Identity, p.Name);
            Assert.Matches("^ANPA[A-Z2-7]{17}$", p.Id);
        }

        var ro = AwsManagedPolicies.Find("arn:aws:iam::aws:policy/ReadOnlyAccess")!;
        var sim = new PolicySimulator([new SimulatedPolicy(ro.Name, "aws-managed", ro.DefaultVersion.Document)], null, null);
        var results = sim.Run(Caller("123456789012"), ["s3:PutObject", "iam:CreateUser", "sagemaker:DescribeTrainingJob"], [], new(), null,
            DateTimeOffset.UtcNow);
        Assert.Equal(["implicitDeny", "implicitDeny", "allowed"], results.Select(r => r.Decision));
        Assert.Equal("/service-role/", AwsManagedPolicies.Find("arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole")!.Path);
    }
}
