using Kiln.Core.Errors;
using Kiln.Services.Iam.Domain;

namespace Kiln.Services.Iam.Tests;

/// <summary>IAM's domain rules on the in-memory stores: errors, limits and conflicts as AWS answers them.</summary>
public sealed class IamDirectoryTests
{
    private const string Allow = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}""";
    private const string Trust = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}""";

    [Fact]
    public async Task CreateUser_WithPath_BuildsArnAndAidaId()
    {
        var t = await TestIam.CreateAsync();

        var user = await t.Iam.CreateUserAsync(t.Account, "alice", "/eng/", null, null, default);

        Assert.Equal($"arn:aws:iam::{t.Account}:user/eng/alice", user.Arn);
        Assert.Matches("^AIDA[A-Z2-7]{17}$", user.Id);
    }

    [Fact]
    public async Task CreateUser_SameNameOtherCase_ReturnsEntityAlreadyExists()
    {
        var t = await TestIam.CreateAsync();
        await t.Iam.CreateUserAsync(t.Account, "alice", null, null, null, default);

        var e = await Assert.ThrowsAsync<AwsException>(() => t.Iam.CreateUserAsync(t.Account, "Alice", null, null, null, default));

        Assert.Equal(("EntityAlreadyExists", 409, "User with name Alice already exists."), (e.Code, e.StatusCode!.Value, e.Message));
    }

    [Fact]
    public async Task GetUser_Missing_ReturnsNoSuchEntity()
    {
        var t = await TestIam.CreateAsync();

        var e = await Assert.ThrowsAsync<AwsException>(() => t.Iam.GetUserAsync(t.Account, "nobody", default));

        Assert.Equal(("NoSuchEntity", 404, "The user with name nobody cannot be found."), (e.Code, e.StatusCode!.Value, e.Message));
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("")]
    public async Task CreateUser_BadName_ReturnsValidationError(string name)
    {
        var t = await TestIam.CreateAsync();

        var e = await Assert.ThrowsAsync<AwsException>(() => t.Iam.CreateUserAsync(t.Account, name, null, null, null, default));

        Assert.Equal("ValidationError", e.Code);
    }

    [Fact]
    public async Task DeleteUser_WithAttachedPolicy_ReturnsDeleteConflict()
    {
        var t = await TestIam.CreateAsync();
        await t.Iam.CreateUserAsync(t.Account, "bob", null, null, null, default);
        await t.Iam.AttachPolicyAsync(t.Account, EntityKind.User, "bob", "arn:aws:iam::aws:policy/ReadOnlyAccess", default);

        var e = await Assert.ThrowsAsync<AwsException>(() => t.Iam.DeleteUserAsync(t.Account, "bob", default));

        Assert.Equal(("DeleteConflict", "Cannot delete entity, must detach all policies first."), (e.Code, e.Message));
    }

    [Fact]
    public async Task DeleteUser_WithAccessKey_ReturnsDeleteConflict_ThenSucceedsWhenKeyDeleted()
    {
        var t = await TestIam.CreateAsync();
        await t.Iam.CreateUserAsync(t.Account, "carol", null, null, null, default);
        var key = await t.Iam.CreateAccessKeyAsync(t.Account, "carol", default);

        var e = await Assert.ThrowsAsync<AwsException>(() => t.Iam.DeleteUserAsync(t.Account, "carol", default));
        await t.Iam.DeleteAccessKeyAsync(t.Account, "carol", key.Key.AccessKeyId, default);
        await t.Iam.DeleteUserAsync(t.Account, "carol", default);

        Assert.Equal("Cannot delete entity, must delete access keys first.", e.Message);
        await Assert.ThrowsAsync<AwsException>(() => t.Iam.GetUserAsync(t.Account, "carol", default));
    }

    [Fact]
    public async Task CreateAccessKey_ThirdKey_ReturnsLimitExceeded_AndKeysAuthenticateAsTheUser()
    {
        var t = await TestIam.CreateAsync();
        var user = await t.Iam.CreateUserAsync(t.Account, "dave", null, null, null, default);
        var first = await t.Iam.CreateAccessKeyAsync(t.Account, "dave", default);
        await t.Iam.CreateAccessKeyAsync(t.Account, "dave", default);

        var e = await Assert.ThrowsAsync<AwsException>(() => t.Iam.CreateAccessKeyAsync(t.Account, "dave", default));
        var found = await t.Accounts.FindAccessKeyAsync(first.Key.AccessKeyId, default);

        Assert.Equal(("LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2"), (e.Code, e.Message));
        Assert.Matches("^AKIA[A-Z2-7]{16}$", first.Key.AccessKeyId);
        Assert.Equal(user.Arn, found!.Key.PrincipalArn);
        Assert.Equal(Core.PrincipalKind.IamUser, found.Key.Kind);
        Assert.Equal(first.SecretAccessKey, found.SecretAccessKey);
    }

    [Fact]
    public async Task UpdateAccessKey_Inactive_IsStored()
    {
        var t = await TestIam.CreateAsync();
        await t.Iam.CreateUserAsync(t.Account, "erin", null, null, null, default);
        var key = await t.Iam.CreateAccessKeyAsync(t.Account, "erin", default);

        await t.Iam.UpdateAccessKeyAsync(t.Account, "erin", key.Key.AccessKeyId, active: false, default);

        Assert.False((await t.Iam.ListAccessKeysAsync(t.Account, "erin", default))[0].Active);
    }

    [Fact]
    public async Task CreatePolicyVersion_SixthVersion_ReturnsLimitExceeded()
    {
        var t = await TestIam.CreateAsync();
        var p = await t.Iam.CreatePolicyAsync(t.Account, "p", null, Allow, null, null, default);
        for (var i = 0; i < 4; i++)
        {
            await t.Iam.CreatePolicyVersionAsync(t.Account, p.Arn, Allow, false, default);
        }

        var e = await Assert.ThrowsAsync<AwsException>(() => t.Iam.CreatePolicyVersionAsync(t.Account, p.Arn, Allow, false, default));

        Assert.Equal("LimitExceeded", e.Code);
    }

    [Fact]
    public async Task SetDefaultPolicyVersion_ChangesWhatAuthorizationSees_AndDefaultCannotBeDeleted()
    {
        var t = await TestIam.CreateAsync();
        var p = await t.Iam.CreatePolicyAsync(t.Account, "p", null, Allow, null, null, default);
        var v2 = await t.Iam.CreatePolicyVersionAsync(t.Account, p.Arn,
            """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"*"}]}""", false, default);

        await t.Iam.SetDefaultPolicyVersionAsync(t.Account, p.Arn, v2.VersionId, default);
        var e = await Assert.ThrowsAsync<AwsException>(() => t.Iam.DeletePolicyVersionAsync(t.Account, p.Arn, "v2", default));
        await t.Iam.DeletePolicyVersionAsync(t.Account, p.Arn, "v1", default);

        Assert.Equal("v2", v2.VersionId);
        Assert.Equal(("DeleteConflict", "Cannot delete the default version of a policy."), (e.Code, e.Message));
        Assert.Equal("v2", (await t.Iam.GetManagedPolicyAsync(t.Account, p.Arn, default)).DefaultVersionId);
    }

    [Fact]
    public async Task CreatePolicy_MalformedDocument_ReturnsMalformedPolicyDocument()
    {
        var t = await TestIam.CreateAsync();

        var e = await Assert.ThrowsAsync<Policy.MalformedPolicyDocumentException>(() =>
            t.Iam.CreatePolicyAsync(t.Account, "bad", null, """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject"}]}""", null, null, default));

        Assert.Equal("MalformedPolicyDocument", e.Code);
    }

    [Fact]
    public async Task CreateRole_TrustPolicyWithResource_ReturnsMalformedPolicyDocument()
    {
        var t = await TestIam.CreateAsync();

        var e = await Assert.ThrowsAsync<Policy.MalformedPolicyDocumentException>(() => t.Iam.CreateRoleAsync(t.Account, "r", null,
            """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Resource":"*"}]}""",
            null, null, null, null, default));

        Assert.Equal("Has prohibited field Resource", e.Message);
    }

    [Fact]
    public async Task DeletePolicy_Attached_ReturnsDeleteConflict()
    {
        var t = await TestIam.CreateAsync();
        var p = await t.Iam.CreatePolicyAsync(t.Account, "p", null, Allow, null, null, default);
        await t.Iam.CreateRoleAsync(t.Account, "r", null, Trust, null, null, null, null, default);
        await t.Iam.AttachPolicyAsync(t.Account, EntityKind.Role, "r", p.Arn, default);

        var e = await Assert.ThrowsAsync<AwsException>(() => t.Iam.DeletePolicyAsync(t.Account, p.Arn, default));

        Assert.Equal(("DeleteConflict", "Cannot delete a policy attached to entities."), (e.Code, e.Message));
        Assert.Equal(1, await t.Iam.CountAttachmentsAsync(t.Account, p.Arn, default));
    }

    [Fact]
    public async Task AttachPolicy_Unknown_ReturnsNoSuchEntity()
    {
        var t = await TestIam.CreateAsync();
        await t.Iam.CreateGroupAsync(t.Account, "g", null, default);

        var e = await Assert.ThrowsAsync<AwsException>(() =>
            t.Iam.AttachPolicyAsync(t.Account, EntityKind.Group, "g", $"arn:aws:iam::{t.Account}:policy/nope", default));

        Assert.Equal(("NoSuchEntity", 404), (e.Code, e.StatusCode!.Value));
    }

    [Fact]
    public async Task ResolveUser_CollectsAttachedInlineGroupPoliciesAndBoundary()
    {
        var t = await TestIam.CreateAsync();
        var user = await t.Iam.CreateUserAsync(t.Account, "frank", null, "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess", null, default);
        await t.Iam.AttachPolicyAsync(t.Account, EntityKind.User, "frank", "arn:aws:iam::aws:policy/AmazonS3FullAccess", default);
        await t.Iam.PutInlinePolicyAsync(t.Account, EntityKind.User, "frank", "inline", Allow, default);
        await t.Iam.CreateGroupAsync(t.Account, "devs", null, default);
        await t.Iam.PutInlinePolicyAsync(t.Account, EntityKind.Group, "devs", "g", Allow, default);
        await t.Iam.AddUserToGroupAsync(t.Account, "devs", "frank", default);

        var resolved = await t.Iam.ResolveUserAsync(t.Account, user.Arn, default);

        Assert.Equal(3, resolved!.IdentityPolicies.Count);
        Assert.NotNull(resolved.PermissionsBoundary);
    }

    [Fact]
    public async Task DeleteGroup_WithMembers_ReturnsDeleteConflict()
    {
        var t = await TestIam.CreateAsync();
        await t.Iam.CreateUserAsync(t.Account, "gina", null, null, null, default);
        await t.Iam.CreateGroupAsync(t.Account, "ops", null, default);
        await t.Iam.AddUserToGroupAsync(t.Account, "ops", "gina", default);

        var e = await Assert.ThrowsAsync<AwsException>(() => t.Iam.DeleteGroupAsync(t.Account, "ops", default));

        Assert.Equal("Cannot delete entity, must remove users from group first.", e.Message);
    }

    [Fact]
    public async Task GetInlinePolicy_Missing_ReturnsNoSuchEntity()
    {
        var t = await TestIam.CreateAsync();
        await t.Iam.CreateRoleAsync(t.Account, "r", null, Trust, null, null, null, null, default);

        var e = await Assert.ThrowsAsync<AwsException>(() => t.Iam.GetInlinePolicyAsync(t.Account, EntityKind.Role, "r", "x", default));

        Assert.Equal("The role policy with name x cannot be found.", e.Message);
    }
}
