using Kiln.Core.Errors;
using Kiln.Services.S3.Domain;
using Kiln.Services.S3.Storage;

namespace Kiln.Services.S3.Tests;

/// <summary>Object Ownership and ACLs (issue 3): disabled under BucketOwnerEnforced, stored and
/// turned into resource-policy statements otherwise.</summary>
public sealed class OwnershipAclTests : IDisposable
{
    private readonly Harness _h = new();

    public void Dispose() => _h.Dispose();

    private async Task<string> NewBucketAsync()
    {
        var name = "acl-" + Guid.NewGuid().ToString("N")[..8];
        await _h.Objects.CreateBucketAsync(Harness.Account, "us-east-1", name, null, default);
        return name;
    }

    private static AclInput Grants(params AclGrant[] grants) => new(null, grants);

    private static AclGrant Read(string account) => new("CanonicalUser", account, null, "READ");

    [Fact]
    public async Task OwnershipControls_NewBucket_BucketOwnerEnforced()
    {
        var bucket = await NewBucketAsync();

        Assert.Equal(ObjectOwnership.BucketOwnerEnforced,
            await _h.Objects.GetBucketOwnershipControlsAsync(Harness.Account, bucket, default));
    }

    [Fact]
    public async Task CreateBucket_ObjectWriterWithGrant_StoresOwnershipAndAcl()
    {
        var name = "acl-" + Guid.NewGuid().ToString("N")[..8];

        await _h.Objects.CreateBucketAsync(Harness.Account, "us-east-1", name, null, ObjectOwnership.ObjectWriter,
            Grants(Read(Harness.Other)), default);

        Assert.Equal(ObjectOwnership.ObjectWriter,
            await _h.Objects.GetBucketOwnershipControlsAsync(Harness.Account, name, default));
        var (_, grants) = await _h.Objects.GetBucketAclAsync(Harness.Account, name, default);
        Assert.Contains(Read(Harness.Other), grants);
    }

    [Fact]
    public async Task CreateBucket_GrantUnderDefaultOwnership_ReturnsInvalidBucketAclWithObjectOwnership_NothingCreated()
    {
        var name = "acl-" + Guid.NewGuid().ToString("N")[..8];

        var error = await Assert.ThrowsAsync<AwsException>(() => _h.Objects.CreateBucketAsync(Harness.Account, "us-east-1",
            name, null, null, Grants(Read(Harness.Other)), default));
        var owner = await _h.Objects.CreateBucketAsync(Harness.Account, "us-east-1", "o" + name, null, null,
            new AclInput("bucket-owner-full-control", null), default);

        Assert.Equal("InvalidBucketAclWithObjectOwnership", error.Code);
        Assert.Equal(400, error.StatusCode);
        var missing = await Assert.ThrowsAsync<AwsException>(() => _h.Objects.GetBucketAsync(Harness.Account, name, default));
        Assert.Equal("NoSuchBucket", missing.Code);
        Assert.Equal(ObjectOwnership.BucketOwnerEnforced,
            await _h.Objects.GetBucketOwnershipControlsAsync(Harness.Account, owner.Name, default));
    }

    [Fact]
    public async Task DeleteOwnershipControls_ThenGet_ReturnsOwnershipControlsNotFoundError()
    {
        var bucket = await NewBucketAsync();
        await _h.Objects.DeleteBucketOwnershipControlsAsync(Harness.Account, bucket, default);

        var error = await Assert.ThrowsAsync<AwsException>(() =>
            _h.Objects.GetBucketOwnershipControlsAsync(Harness.Account, bucket, default));

        Assert.Equal("OwnershipControlsNotFoundError", error.Code);
        Assert.Equal(404, error.StatusCode);
    }

    [Fact]
    public async Task PutOwnershipControls_InvalidValue_ReturnsMalformedXml()
    {
        var bucket = await NewBucketAsync();

        var error = await Assert.ThrowsAsync<AwsException>(() =>
            _h.Objects.PutBucketOwnershipControlsAsync(Harness.Account, bucket, "Nobody", default));

        Assert.Equal("MalformedXML", error.Code);
    }

    [Fact]
    public async Task PutObjectAcl_GrantUnderBucketOwnerEnforced_ReturnsAccessControlListNotSupported()
    {
        var bucket = await NewBucketAsync();
        await _h.PutAsync(bucket, "a", "x");

        var error = await Assert.ThrowsAsync<AwsException>(() =>
            _h.Objects.PutObjectAclAsync(Harness.Account, bucket, "a", null, Grants(Read(Harness.Other)), default));
        await _h.Objects.PutObjectAclAsync(Harness.Account, bucket, "a", null, new AclInput("bucket-owner-full-control", null),
            default);

        Assert.Equal("AccessControlListNotSupported", error.Code);
        Assert.Equal("The bucket does not allow ACLs", error.Message);
        Assert.Equal(400, error.StatusCode);
    }

    [Fact]
    public async Task PutObjectAcl_ObjectWriter_StoredReturnedAndBecomesPolicy()
    {
        var bucket = await NewBucketAsync();
        await _h.PutAsync(bucket, "a", "x");
        await _h.Objects.PutBucketOwnershipControlsAsync(Harness.Account, bucket, ObjectOwnership.ObjectWriter, default);

        await _h.Objects.PutObjectAclAsync(Harness.Account, bucket, "a", null, Grants(Read(Harness.Other)), default);
        var (_, grants) = await _h.Objects.GetObjectAclAsync(Harness.Account, bucket, "a", null, default);
        var found = await _h.Objects.FindBucketPolicyAsync(bucket, default, Harness.Other, "a");
        var none = await _h.Objects.FindBucketPolicyAsync(bucket, default, Harness.Other, "b");

        Assert.Equal([Read(Harness.Other)], grants);
        var statement = Assert.Single(found!.Value.Policy!.Statements);
        Assert.Null(none!.Value.Policy);
        _ = statement;
    }

    [Fact]
    public async Task FindBucketPolicy_VersionId_UsesThatVersionsGrants()
    {
        var bucket = await NewBucketAsync();
        await _h.Objects.SetVersioningAsync(Harness.Account, bucket, "Enabled", default);
        await _h.Objects.PutBucketOwnershipControlsAsync(Harness.Account, bucket, ObjectOwnership.ObjectWriter, default);
        var v1 = await _h.PutAsync(bucket, "a", "one");
        await _h.Objects.PutObjectAclAsync(Harness.Account, bucket, "a", v1.VersionId, Grants(Read(Harness.Other)), default);
        var v2 = await _h.PutAsync(bucket, "a", "two");

        var old = await _h.Objects.FindBucketPolicyAsync(bucket, default, Harness.Other, "a", v1.VersionId);
        var current = await _h.Objects.FindBucketPolicyAsync(bucket, default, Harness.Other, "a", v2.VersionId);
        var latest = await _h.Objects.FindBucketPolicyAsync(bucket, default, Harness.Other, "a");
        var missing = await _h.Objects.FindBucketPolicyAsync(bucket, default, Harness.Other, "a", "no-such-version");

        Assert.Single(old!.Value.Policy!.Statements);
        Assert.Null(current!.Value.Policy);
        Assert.Null(latest!.Value.Policy);
        Assert.Null(missing!.Value.Policy);
    }

    [Fact]
    public async Task PutObjectAcl_Overwritten_AclDoesNotCarryOver()
    {
        var bucket = await NewBucketAsync();
        await _h.PutAsync(bucket, "a", "x");
        await _h.Objects.PutBucketOwnershipControlsAsync(Harness.Account, bucket, ObjectOwnership.ObjectWriter, default);
        await _h.Objects.PutObjectAclAsync(Harness.Account, bucket, "a", null, Grants(Read(Harness.Other)), default);

        await _h.PutAsync(bucket, "a", "y");
        var (version, grants) = await _h.Objects.GetObjectAclAsync(Harness.Account, bucket, "a", null, default);

        var only = Assert.Single(grants);
        Assert.Equal(new AclGrant("CanonicalUser", version.OwnerAccountId, null, "FULL_CONTROL"), only);
    }

    [Fact]
    public async Task PutBucketAcl_PublicGroupWhileBlocked_ReturnsAccessDenied()
    {
        var bucket = await NewBucketAsync();
        await _h.Objects.PutBucketOwnershipControlsAsync(Harness.Account, bucket, ObjectOwnership.BucketOwnerPreferred,
            default);

        var error = await Assert.ThrowsAsync<AwsException>(() => _h.Objects.PutBucketAclAsync(Harness.Account, bucket,
            Grants(new AclGrant("Group", null, ObjectService.AllUsers, "READ")), default));
        await _h.Objects.DeletePublicAccessBlockAsync(Harness.Account, bucket, default);
        await _h.Objects.PutBucketAclAsync(Harness.Account, bucket, new AclInput("public-read", null), default);
        var (_, grants) = await _h.Objects.GetBucketAclAsync(Harness.Account, bucket, default);

        Assert.Equal("AccessDenied", error.Code);
        Assert.Contains(new AclGrant("Group", null, ObjectService.AllUsers, "READ"), grants);
    }

    [Fact]
    public async Task PutOwnershipControls_EnforcedWithGrants_ReturnsInvalidBucketAclWithObjectOwnership()
    {
        var bucket = await NewBucketAsync();
        await _h.Objects.PutBucketOwnershipControlsAsync(Harness.Account, bucket, ObjectOwnership.ObjectWriter, default);
        await _h.Objects.PutBucketAclAsync(Harness.Account, bucket, Grants(Read(Harness.Other)), default);

        var error = await Assert.ThrowsAsync<AwsException>(() => _h.Objects.PutBucketOwnershipControlsAsync(
            Harness.Account, bucket, ObjectOwnership.BucketOwnerEnforced, default));

        Assert.Equal("InvalidBucketAclWithObjectOwnership", error.Code);
    }

    [Theory]
    [InlineData("CanonicalUser", "12345", null, "READ", "InvalidArgument")]
    [InlineData("Group", null, "http://example.com/everyone", "READ", "InvalidArgument")]
    [InlineData("CanonicalUser", "222222222222", null, "EVERYTHING", "MalformedXML")]
    [InlineData("AmazonCustomerByEmail", null, null, "READ", "UnresolvableGrantByEmailAddress")]
    public async Task PutBucketAcl_BadGrant_ReturnsAwsError(string type, string? id, string? uri, string permission,
        string code)
    {
        var bucket = await NewBucketAsync();
        await _h.Objects.PutBucketOwnershipControlsAsync(Harness.Account, bucket, ObjectOwnership.ObjectWriter, default);

        var error = await Assert.ThrowsAsync<AwsException>(() => _h.Objects.PutBucketAclAsync(Harness.Account, bucket,
            Grants(new AclGrant(type, id, uri, permission)), default));

        Assert.Equal(code, error.Code);
    }

    [Fact]
    public async Task PutBucketAcl_CannedAndGrants_ReturnsInvalidRequest()
    {
        var bucket = await NewBucketAsync();

        var error = await Assert.ThrowsAsync<AwsException>(() => _h.Objects.PutBucketAclAsync(Harness.Account, bucket,
            new AclInput("private", [Read(Harness.Other)]), default));

        Assert.Equal("InvalidRequest", error.Code);
    }
}
