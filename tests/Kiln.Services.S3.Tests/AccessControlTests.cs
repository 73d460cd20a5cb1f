using Kiln.Core.Errors;
using Kiln.Services.S3.Domain;
using Kiln.Services.S3.Storage;

namespace Kiln.Services.S3.Tests;

public sealed class AccessControlTests : IDisposable
{
    private const string Arn = "arn:aws:iam::111111111111:root";
    private readonly Harness _h = new();

    public void Dispose() => _h.Dispose();

    private async Task<string> NewBucketAsync()
    {
        var name = "acc-" + Guid.NewGuid().ToString("N")[..8];
        await _h.Objects.CreateBucketAsync(Harness.Account, "us-east-1", name, null, default);
        return name;
    }

    private static string Grant(string bucket, string principal, string? condition = null) =>
        $$"""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{{principal}},"Action":"s3:GetObject","Resource":"arn:aws:s3:::{{bucket}}/*"{{condition}}}]}""";

    [Fact]
    public async Task PublicAccessBlock_NewBucket_AllOn()
    {
        var bucket = await NewBucketAsync();

        Assert.Equal(PublicAccessBlock.AllOn, await _h.Objects.GetPublicAccessBlockAsync(Harness.Account, bucket, default));
    }

    [Fact]
    public async Task PutBucketPolicy_PublicWhileBlocked_ReturnsAccessDenied()
    {
        var bucket = await NewBucketAsync();

        var error = await Assert.ThrowsAsync<AwsException>(() =>
            _h.Objects.PutBucketPolicyAsync(Harness.Account, Arn, bucket, Grant(bucket, "\"*\""), default));

        Assert.Equal("AccessDenied", error.Code);
        Assert.EndsWith("because public policies are blocked by the BlockPublicPolicy block public access setting.", error.Message);
    }

    [Fact]
    public async Task PutBucketPolicy_PublicAfterDeletePublicAccessBlock_IsStoredAndFound()
    {
        var bucket = await NewBucketAsync();
        await _h.Objects.DeletePublicAccessBlockAsync(Harness.Account, bucket, default);

        await _h.Objects.PutBucketPolicyAsync(Harness.Account, Arn, bucket, Grant(bucket, "{\"AWS\":\"*\"}"), default);

        Assert.Contains("s3:GetObject", await _h.Objects.GetBucketPolicyAsync(Harness.Account, bucket, default));
        var found = await _h.Objects.FindBucketPolicyAsync(bucket, default);
        Assert.Equal(Harness.Account, found!.Value.Owner);
        Assert.NotNull(found.Value.Policy);
    }

    [Fact]
    public async Task PutBucketPolicy_Malformed_ReturnsMalformedPolicy()
    {
        var bucket = await NewBucketAsync();

        var error = await Assert.ThrowsAsync<AwsException>(() =>
            _h.Objects.PutBucketPolicyAsync(Harness.Account, Arn, bucket, """{"Statement":[{"Effect":"Allow"}]}""", default));

        Assert.Equal("MalformedPolicy", error.Code);
    }

    [Fact]
    public async Task BucketPolicy_OtherAccount_CannotManage()
    {
        var bucket = await NewBucketAsync();

        var error = await Assert.ThrowsAsync<AwsException>(() =>
            _h.Objects.GetBucketPolicyAsync(Harness.Other, bucket, default));

        Assert.Equal("AccessDenied", error.Code);
    }

    [Theory]
    [InlineData("\"*\"", null, true)]
    [InlineData("{\"AWS\":[\"arn:aws:iam::1:root\",\"*\"]}", null, true)]
    [InlineData("{\"AWS\":\"arn:aws:iam::111111111111:root\"}", null, false)]
    [InlineData("\"*\"", ",\"Condition\":{\"IpAddress\":{\"aws:SourceIp\":\"10.0.0.0/8\"}}", false)]
    [InlineData("\"*\"", ",\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"true\"}}", true)]
    public void IsPublic_Principals(string principal, string? condition, bool expected) =>
        Assert.Equal(expected, ObjectService.IsPublic(Grant("b", principal, condition)));

    [Fact]
    public async Task CannedAcl_PublicWhileBlocked_ReturnsAccessDenied_PrivateAccepted()
    {
        var bucket = await NewBucketAsync();
        await _h.Objects.PutBucketOwnershipControlsAsync(Harness.Account, bucket, ObjectOwnership.ObjectWriter, default);
        var publicRead = new AclInput("public-read", null);

        var error = await Assert.ThrowsAsync<AwsException>(() =>
            _h.Objects.ResolveNewObjectAclAsync(Harness.Account, bucket, publicRead, default));
        var owned = await _h.Objects.ResolveNewObjectAclAsync(Harness.Account, bucket, new AclInput("private", null), default);
        await _h.Objects.DeletePublicAccessBlockAsync(Harness.Account, bucket, default);
        var granted = await _h.Objects.ResolveNewObjectAclAsync(Harness.Account, bucket, publicRead, default);

        Assert.Equal("AccessDenied", error.Code);
        Assert.Null(owned);
        Assert.Contains(granted!.Grants, g => g.Uri == ObjectService.AllUsers && g.Permission == "READ");
    }

    [Fact]
    public async Task OwnerOnlyRule_OtherAccountWithoutEnforcedPolicy_ReturnsAccessDenied()
    {
        var bucket = await NewBucketAsync();
        await _h.Objects.PutBucketPolicyAsync(Harness.Account, Arn, bucket,
            Grant(bucket, "{\"AWS\":\"arn:aws:iam::222222222222:root\"}"), default);

        var error = await Assert.ThrowsAsync<AwsException>(() =>
            _h.Objects.GetBucketAsync(Harness.Other, bucket, default));
        _h.Objects.BucketPoliciesEnforced = true;
        var shared = await _h.Objects.GetBucketAsync(Harness.Other, bucket, default);

        Assert.Equal("AccessDenied", error.Code);
        Assert.Equal(bucket, shared.Name);
    }
}
