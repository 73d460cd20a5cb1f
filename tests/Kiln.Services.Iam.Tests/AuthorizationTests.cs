using Kiln.Core.Errors;
using Kiln.Model.Iam;
using Kiln.Model.S3;
using Kiln.Services.Iam.Authorization;
using Kiln.Services.Iam.Domain;
using Kiln.Services.Sts.Domain;

namespace Kiln.Services.Iam.Tests;

/// <summary>The action map and the authorize stage over in-memory stores.</summary>
public sealed class AuthorizationTests
{
    [Fact]
    public void Resolve_S3GetObject_MapsToObjectArn()
    {
        var op = S3Model.Service.Operations["GetObject"];

        var (_, checks) = ActionMap.Resolve(op, new GetObjectRequest { Bucket = "b", Key = "team-a/x.csv" }, "1", "us-east-1");

        Assert.Equal(("s3:GetObject", "arn:aws:s3:::b/team-a/x.csv"), (checks[0].Action, checks[0].Resources.Single()));
        Assert.Null(checks[0].VersionId);
    }

    [Theory]
    [InlineData("GetObject", "s3:GetObject", "s3:GetObjectVersion")]
    [InlineData("HeadObject", "s3:GetObject", "s3:GetObjectVersion")]
    [InlineData("GetObjectAcl", "s3:GetObjectAcl", "s3:GetObjectVersionAcl")]
    [InlineData("PutObjectAcl", "s3:PutObjectAcl", "s3:PutObjectVersionAcl")]
    [InlineData("DeleteObject", "s3:DeleteObject", "s3:DeleteObjectVersion")]
    [InlineData("GetObjectTagging", "s3:GetObjectTagging", "s3:GetObjectVersionTagging")]
    [InlineData("PutObjectTagging", "s3:PutObjectTagging", "s3:PutObjectVersionTagging")]
    [InlineData("DeleteObjectTagging", "s3:DeleteObjectTagging", "s3:DeleteObjectVersionTagging")]
    public void Resolve_S3ObjectOperationWithVersionId_CarriesTheVersion_AsTheVersionAction(string operation, string latest,
        string versioned)
    {
        var op = S3Model.Service.Operations[operation];
        object Input(string? version)
        {
            var input = op.Input!.Create!();
            op.Input.FindMember("Bucket")!.Set(input, "b");
            op.Input.FindMember("Key")!.Set(input, "k");
            op.Input.FindMember("VersionId")!.Set(input, version);
            return input;
        }

        var (_, withVersion) = ActionMap.Resolve(op, Input("v1"), "1", "us-east-1");
        var (_, withoutVersion) = ActionMap.Resolve(op, Input(null), "1", "us-east-1");

        Assert.Equal(("arn:aws:s3:::b/k", "v1", versioned),
            (withVersion[0].Resources.Single(), withVersion[0].VersionId, withVersion[0].Action));
        Assert.Equal((latest, null), (withoutVersion[0].Action, withoutVersion[0].VersionId));
    }

    [Fact]
    public void Resolve_PutObjectWithKmsKey_CarriesTheEncryptionConditionKeys()
    {
        var op = S3Model.Service.Operations["PutObject"];
        var key = "arn:aws:kms:us-east-1:1:key/0b5e2c6a-0000-0000-0000-000000000000";

        var (_, checks) = ActionMap.Resolve(op,
            new PutObjectRequest { Bucket = "b", Key = "k", ServerSideEncryption = "aws:kms", SSEKMSKeyId = key }, "1", "us-east-1");

        Assert.Equal(["aws:kms"], checks[0].Conditions["s3:x-amz-server-side-encryption"]);
        Assert.Equal([key], checks[0].Conditions["s3:x-amz-server-side-encryption-aws-kms-key-id"]);
    }

    [Fact]
    public void Resolve_ListObjectsV2_MapsToListBucketWithPrefixCondition()
    {
        var op = S3Model.Service.Operations["ListObjectsV2"];

        var (_, checks) = ActionMap.Resolve(op, new ListObjectsV2Request { Bucket = "b", Prefix = "team-a/" }, "1", "us-east-1");

        Assert.Equal("s3:ListBucket", checks[0].Action);
        Assert.Equal("arn:aws:s3:::b", checks[0].Resources.Single());
        Assert.Equal(["team-a/"], checks[0].Conditions["s3:prefix"]);
    }

    [Fact]
    public void Resolve_DeleteObjects_OneCheckPerKey_AVersionedKeyAsDeleteObjectVersion()
    {
        var op = S3Model.Service.Operations["DeleteObjects"];
        var input = new DeleteObjectsRequest
        {
            Bucket = "b",
            Delete = new Delete
            {
                Objects = [new ObjectIdentifier { Key = "a" }, new ObjectIdentifier { Key = "c/d", VersionId = "v1" },
                    new ObjectIdentifier { Key = "e" }],
            },
        };

        var (mode, checks) = ActionMap.Resolve(op, input, "1", "us-east-1");

        Assert.Equal(ActionMap.Mode.PerItem, mode);
        Assert.Equal(
        [
            ("s3:DeleteObject", "arn:aws:s3:::b/a", null),
            ("s3:DeleteObjectVersion", "arn:aws:s3:::b/c/d", "v1"),
            ("s3:DeleteObject", "arn:aws:s3:::b/e", (string?)null),
        ], checks.Select(c => (c.Action, c.Resources.Single(), c.VersionId)));
    }

    [Fact]
    public void Resolve_GetObjectAttributes_NeedsBothActions_TheVersionPairWithAVersionId()
    {
        var op = S3Model.Service.Operations["GetObjectAttributes"];

        var (_, latest) = ActionMap.Resolve(op, new GetObjectAttributesRequest { Bucket = "b", Key = "k" }, "1", "us-east-1");
        var (_, versioned) = ActionMap.Resolve(op, new GetObjectAttributesRequest { Bucket = "b", Key = "k", VersionId = "v1" },
            "1", "us-east-1");

        Assert.Equal([("s3:GetObject", "arn:aws:s3:::b/k"), ("s3:GetObjectAttributes", "arn:aws:s3:::b/k")],
            latest.Select(c => (c.Action, c.Resources.Single())));
        Assert.Equal([("s3:GetObjectVersion", "v1"), ("s3:GetObjectVersionAttributes", "v1")],
            versioned.Select(c => (c.Action, c.VersionId!)));
    }

    [Theory]
    // Each action alone is not enough: GetObjectAttributes needs both.
    [InlineData("s3:GetObject", null, false)]
    [InlineData("s3:GetObjectAttributes", null, false)]
    [InlineData("s3:GetObject\",\"s3:GetObjectAttributes", null, true)]
    // A versionId asks for the version pair; the latest pair does not stand in for it, nor the reverse.
    [InlineData("s3:GetObject\",\"s3:GetObjectAttributes", "v1", false)]
    [InlineData("s3:GetObjectVersion\",\"s3:GetObjectVersionAttributes", null, false)]
    [InlineData("s3:GetObjectVersion\",\"s3:GetObjectVersionAttributes", "v1", true)]
    [InlineData("s3:GetObjectVersion\",\"s3:GetObjectAttributes", "v1", false)]
    public async Task Authorize_GetObjectAttributes_AllowedOnlyWithBothActions(string actions, string? versionId, bool allowed)
    {
        var t = await TestIam.CreateAsync();
        var user = await t.Iam.CreateUserAsync(t.Account, "attrs", null, null, null, default);
        await t.Iam.PutInlinePolicyAsync(t.Account, EntityKind.User, "attrs", "p",
            $$"""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["{{actions}}"],"Resource":"arn:aws:s3:::b/*"}]}""", default);
        var authorizer = new IamAuthorizer(t.Iam, t.Accounts);
        var input = new GetObjectAttributesRequest { Bucket = "b", Key = "k", VersionId = versionId };

        var e = await Record.ExceptionAsync(async () => await authorizer.AuthorizeAsync(
            t.Context(t.UserPrincipal(user), S3Model.Service.Operations["GetObjectAttributes"]), input));

        if (allowed)
        {
            Assert.Null(e);
        }
        else
        {
            Assert.Equal("AccessDenied", Assert.IsType<AwsException>(e).Code);
        }
    }

    [Fact]
    public async Task Authorize_DeleteObjects_RecordsTheDeniedKeys_AndDoesNotRefuseTheRequest()
    {
        var t = await TestIam.CreateAsync();
        var user = await t.Iam.CreateUserAsync(t.Account, "deleter", null, null, null, default);
        await t.Iam.PutInlinePolicyAsync(t.Account, EntityKind.User, "deleter", "p",
            """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::b/*"},""" +
            """{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::b/keep/*"}]}""", default);
        var nobody = await t.Iam.CreateUserAsync(t.Account, "nobody", null, null, null, default);
        var authorizer = new IamAuthorizer(t.Iam, t.Accounts);
        var op = S3Model.Service.Operations["DeleteObjects"];
        var input = new DeleteObjectsRequest
        {
            Bucket = "b",
            Delete = new Delete
            {
                Objects =
                [
                    new ObjectIdentifier { Key = "a" },
                    new ObjectIdentifier { Key = "a", VersionId = "v1" },
                    new ObjectIdentifier { Key = "keep/x" },
                    new ObjectIdentifier { Key = "other/y" },
                ],
            },
        };
        var context = t.Context(t.UserPrincipal(user), op);
        var nobodyContext = t.Context(t.UserPrincipal(nobody, "AKIANOBODY"), op);

        await authorizer.AuthorizeAsync(context, input);
        await authorizer.AuthorizeAsync(nobodyContext, input);

        // s3:DeleteObject does not cover a named version (s3:DeleteObjectVersion); the explicit deny covers keep/.
        Assert.Equal([1, 2], context.DeniedItems!.Order());
        Assert.Equal([0, 1, 2, 3], nobodyContext.DeniedItems!.Order());
    }

    [Fact]
    public void Resolve_CopyObject_ChecksPutOnDestinationAndGetOnSource()
    {
        var op = S3Model.Service.Operations["CopyObject"];

        var (_, checks) = ActionMap.Resolve(op, new CopyObjectRequest { Bucket = "d", Key = "k", CopySource = "/s/a%20b?versionId=1" }, "1", "us-east-1");

        Assert.Equal(("s3:PutObject", "arn:aws:s3:::d/k"), (checks[0].Action, checks[0].Resources.Single()));
        Assert.Equal(("s3:GetObjectVersion", "arn:aws:s3:::s/a b"), (checks[1].Action, checks[1].Resources.Single()));
        Assert.Null(checks[0].VersionId);
        Assert.Equal("1", checks[1].VersionId);
    }

    [Fact]
    public void Resolve_IamCreateUser_MapsToUserArn()
    {
        var op = IamModel.Service.Operations["CreateUser"];

        var (_, checks) = ActionMap.Resolve(op, new CreateUserRequest { UserName = "x" }, "123456789012", "us-east-1");

        Assert.Equal(("iam:CreateUser", "arn:aws:iam::123456789012:user/x"), (checks[0].Action, checks[0].Resources.Single()));
    }

    [Fact]
    public async Task Authorize_UserWithoutPolicies_IsDeniedInAwsWording()
    {
        var t = await TestIam.CreateAsync();
        var user = await t.Iam.CreateUserAsync(t.Account, "nopol", null, null, null, default);
        var authorizer = new IamAuthorizer(t.Iam, t.Accounts);
        var op = IamModel.Service.Operations["ListUsers"];

        var e = await Assert.ThrowsAsync<AwsException>(async () =>
            await authorizer.AuthorizeAsync(t.Context(t.UserPrincipal(user), op), new ListUsersRequest()));

        Assert.Equal(("AccessDenied", 403), (e.Code, e.StatusCode!.Value));
        Assert.Equal($"User: {user.Arn} is not authorized to perform: iam:ListUsers because no identity-based policy allows the iam:ListUsers action", e.Message);
    }

    [Fact]
    public async Task Authorize_ExplicitDenyBeatsAdministratorAccess()
    {
        var t = await TestIam.CreateAsync();
        var user = await t.Iam.CreateUserAsync(t.Account, "denied", null, null, null, default);
        await t.Iam.AttachPolicyAsync(t.Account, EntityKind.User, "denied", "arn:aws:iam::aws:policy/AdministratorAccess", default);
        await t.Iam.PutInlinePolicyAsync(t.Account, EntityKind.User, "denied", "deny",
            """{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:ListUsers","Resource":"*"}]}""", default);
        var authorizer = new IamAuthorizer(t.Iam, t.Accounts);

        var e = await Assert.ThrowsAsync<AwsException>(async () =>
            await authorizer.AuthorizeAsync(t.Context(t.UserPrincipal(user), IamModel.Service.Operations["ListUsers"]), new ListUsersRequest()));
        await authorizer.AuthorizeAsync(t.Context(t.UserPrincipal(user), IamModel.Service.Operations["ListRoles"]), new ListRolesRequest());

        Assert.EndsWith("with an explicit deny in an identity-based policy", e.Message);
    }

    [Fact]
    public async Task Authorize_PermissionsBoundaryCapsAdministratorAccess()
    {
        var t = await TestIam.CreateAsync();
        var user = await t.Iam.CreateUserAsync(t.Account, "bounded", null, "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess", null, default);
        await t.Iam.AttachPolicyAsync(t.Account, EntityKind.User, "bounded", "arn:aws:iam::aws:policy/AdministratorAccess", default);
        var authorizer = new IamAuthorizer(t.Iam, t.Accounts);

        await authorizer.AuthorizeAsync(t.Context(t.UserPrincipal(user), S3Model.Service.Operations["GetObject"]),
            new GetObjectRequest { Bucket = "b", Key = "k" });
        var e = await Assert.ThrowsAsync<AwsException>(async () =>
            await authorizer.AuthorizeAsync(t.Context(t.UserPrincipal(user), S3Model.Service.Operations["PutObject"]),
                new PutObjectRequest { Bucket = "b", Key = "k" }));

        Assert.Contains("because no permissions boundary allows the s3:PutObject action", e.Message);
        Assert.Contains("on resource: \"arn:aws:s3:::b/k\"", e.Message);
    }

    [Fact]
    public async Task Authorize_PolicyChange_IsSeenByTheNextRequest()
    {
        var t = await TestIam.CreateAsync();
        var user = await t.Iam.CreateUserAsync(t.Account, "later", null, null, null, default);
        var authorizer = new IamAuthorizer(t.Iam, t.Accounts);
        var ctx = t.Context(t.UserPrincipal(user), IamModel.Service.Operations["ListUsers"]);
        await Assert.ThrowsAsync<AwsException>(async () => await authorizer.AuthorizeAsync(ctx, new ListUsersRequest()));

        await t.Iam.AttachPolicyAsync(t.Account, EntityKind.User, "later", "arn:aws:iam::aws:policy/ReadOnlyAccess", default);

        await authorizer.AuthorizeAsync(ctx, new ListUsersRequest());
    }

    private const string TrustWithExternalId = """
        {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::ACCOUNT:root"},
        "Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"secret-42"}}}]}
        """;

    [Fact]
    public async Task AssumeRole_ExternalIdAndDuration_IssueExpiringSessionCredentials()
    {
        var t = await TestIam.CreateAsync();
        var role = await t.Iam.CreateRoleAsync(t.Account, "reader", null, TrustWithExternalId.Replace("ACCOUNT", t.Account),
            null, null, null, null, default);
        var issuer = new SessionIssuer(t.Iam, new IamAuthorizer(t.Iam, t.Accounts), t.Accounts, t.Clock);
        var ctx = t.Context(t.Root, Kiln.Model.Sts.StsModel.Service.Operations["AssumeRole"]);

        var wrong = await Assert.ThrowsAsync<AwsException>(() => issuer.AssumeRoleAsync(ctx,
            new AssumeRoleInput(role.Arn, "s1", 900, "wrong", null, null, null)));
        var tooLong = await Assert.ThrowsAsync<AwsException>(() => issuer.AssumeRoleAsync(ctx,
            new AssumeRoleInput(role.Arn, "s1", 3601, "secret-42", null, null, null)));
        var issued = await issuer.AssumeRoleAsync(ctx, new AssumeRoleInput(role.Arn, "s1", 900, "secret-42", null, null, null));
        var stored = await t.Accounts.FindAccessKeyAsync(issued.Key.Key.AccessKeyId, default);

        Assert.Equal("AccessDenied", wrong.Code);
        Assert.Equal(("ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."), (tooLong.Code, tooLong.Message));
        Assert.Matches("^ASIA[A-Z2-7]{16}$", issued.Key.Key.AccessKeyId);
        Assert.Equal($"arn:aws:sts::{t.Account}:assumed-role/reader/s1", issued.Key.Key.PrincipalArn);
        Assert.Equal($"{role.Id}:s1", issued.AssumedRoleId);
        Assert.Equal(t.Clock.UtcNow.AddSeconds(900), stored!.Key.Expiration);
        Assert.Equal(issued.Key.SessionToken, stored.SessionToken);
    }

    [Fact]
    public async Task AssumedRoleSession_SessionPolicyCapsTheRolesPolicies()
    {
        var t = await TestIam.CreateAsync();
        await t.Iam.CreateRoleAsync(t.Account, "admin", null,
            $$"""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::{{t.Account}}:root"},"Action":"sts:AssumeRole"}]}""",
            null, null, null, null, default);
        await t.Iam.AttachPolicyAsync(t.Account, EntityKind.Role, "admin", "arn:aws:iam::aws:policy/AdministratorAccess", default);
        var authorizer = new IamAuthorizer(t.Iam, t.Accounts);
        var issuer = new SessionIssuer(t.Iam, authorizer, t.Accounts, t.Clock);
        var issued = await issuer.AssumeRoleAsync(t.Context(t.Root, Kiln.Model.Sts.StsModel.Service.Operations["AssumeRole"]),
            new AssumeRoleInput($"arn:aws:iam::{t.Account}:role/admin", "capped", null, null,
                """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:List*","Resource":"*"}]}""", null, null));
        var session = issued.Key.Key.ToPrincipal() with { SessionToken = issued.Key.SessionToken };

        await authorizer.AuthorizeAsync(t.Context(session, IamModel.Service.Operations["ListRoles"]), new ListRolesRequest());
        var e = await Assert.ThrowsAsync<AwsException>(async () =>
            await authorizer.AuthorizeAsync(t.Context(session, IamModel.Service.Operations["CreateUser"]), new CreateUserRequest { UserName = "x" }));

        Assert.Contains("because no session policy allows the iam:CreateUser action", e.Message);
    }

    [Fact]
    public async Task GetSessionToken_AsUser_ActsAsTheUser_WithExpiry()
    {
        var t = await TestIam.CreateAsync();
        var user = await t.Iam.CreateUserAsync(t.Account, "tok", null, null, null, default);
        var issuer = new SessionIssuer(t.Iam, new IamAuthorizer(t.Iam, t.Accounts), t.Accounts, t.Clock);

        var issued = await issuer.GetSessionTokenAsync(t.Context(t.UserPrincipal(user), Kiln.Model.Sts.StsModel.Service.Operations["GetSessionToken"]), 900);

        Assert.Equal(user.Arn, issued.Key.Key.PrincipalArn);
        Assert.Equal(t.Clock.UtcNow.AddSeconds(900), issued.Key.Key.Expiration);
    }
}
