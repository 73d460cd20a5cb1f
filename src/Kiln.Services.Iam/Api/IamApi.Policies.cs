using Kiln.Core;
using Kiln.Model.Iam;
using Kiln.Services.Iam.Domain;

namespace Kiln.Services.Iam.Api;

internal sealed partial class IamApi
{
    public override async Task<CreatePolicyResponse> CreatePolicyAsync(CreatePolicyRequest input, RequestContext context)
    {
        var p = await iam.CreatePolicyAsync(context.AccountId, input.PolicyName, input.Path, input.PolicyDocument,
            input.Description, Tags(input.Tags), context.Aborted);
        return new CreatePolicyResponse { Policy = ToPolicy(p, 0, 0) };
    }

    public override async Task<GetPolicyResponse> GetPolicyAsync(GetPolicyRequest input, RequestContext context)
    {
        var p = await iam.FindManagedPolicyAsync(context.AccountId, input.PolicyArn, context.Aborted)
                ?? throw IamErrors.PolicyNotFound(input.PolicyArn ?? "");
        return new GetPolicyResponse { Policy = await ToPolicyAsync(p, context) };
    }

    public override async Task<ListPoliciesResponse> ListPoliciesAsync(ListPoliciesRequest input, RequestContext context)
    {
        var list = await iam.ListPoliciesAsync(context.AccountId, input.Scope, input.OnlyAttached ?? false, input.PathPrefix,
            context.Aborted);
        var page = IamPage.Of(list, input.Marker, input.MaxItems);
        var policies = new List<Model.Iam.Policy>(page.Items.Count);
        foreach (var p in page.Items)
        {
            var item = await ToPolicyAsync(p, context);
            item.Description = null; // ListPolicies leaves Description out ("ListPolicies" response notes).
            item.Tags = null;
            policies.Add(item);
        }

        return new ListPoliciesResponse { Policies = policies, IsTruncated = page.IsTruncated, Marker = page.Marker };
    }

    public override Task DeletePolicyAsync(DeletePolicyRequest input, RequestContext context) =>
        iam.DeletePolicyAsync(context.AccountId, input.PolicyArn, context.Aborted);

    public override async Task<CreatePolicyVersionResponse> CreatePolicyVersionAsync(CreatePolicyVersionRequest input,
        RequestContext context)
    {
        var v = await iam.CreatePolicyVersionAsync(context.AccountId, input.PolicyArn, input.PolicyDocument,
            input.SetAsDefault ?? false, context.Aborted);
        return new CreatePolicyVersionResponse
        {
            PolicyVersion = new PolicyVersion { VersionId = v.VersionId, IsDefaultVersion = input.SetAsDefault ?? false, CreateDate = v.CreateDate },
        };
    }

    public override async Task<GetPolicyVersionResponse> GetPolicyVersionAsync(GetPolicyVersionRequest input,
        RequestContext context)
    {
        var (policy, v) = await iam.GetPolicyVersionAsync(context.AccountId, input.PolicyArn, input.VersionId, context.Aborted);
        return new GetPolicyVersionResponse { PolicyVersion = ToVersion(policy, v, withDocument: true) };
    }

    public override async Task<ListPolicyVersionsResponse> ListPolicyVersionsAsync(ListPolicyVersionsRequest input,
        RequestContext context)
    {
        var policy = await iam.GetManagedPolicyAsync(context.AccountId, input.PolicyArn, context.Aborted);
        var page = IamPage.Of([.. policy.Versions.OrderByDescending(v => v.CreateDate)], input.Marker, input.MaxItems);
        return new ListPolicyVersionsResponse
        {
            Versions = [.. page.Items.Select(v => ToVersion(policy, v, withDocument: false))],
            IsTruncated = page.IsTruncated,
            Marker = page.Marker,
        };
    }

    public override Task DeletePolicyVersionAsync(DeletePolicyVersionRequest input, RequestContext context) =>
        iam.DeletePolicyVersionAsync(context.AccountId, input.PolicyArn, input.VersionId, context.Aborted);

    public override Task SetDefaultPolicyVersionAsync(SetDefaultPolicyVersionRequest input, RequestContext context) =>
        iam.SetDefaultPolicyVersionAsync(context.AccountId, input.PolicyArn, input.VersionId, context.Aborted);

    // ---- attach / detach -----------------------------------------------------------------------

    public override Task AttachUserPolicyAsync(AttachUserPolicyRequest input, RequestContext context) =>
        iam.AttachPolicyAsync(context.AccountId, EntityKind.User, input.UserName!, input.PolicyArn, context.Aborted);

    public override Task AttachGroupPolicyAsync(AttachGroupPolicyRequest input, RequestContext context) =>
        iam.AttachPolicyAsync(context.AccountId, EntityKind.Group, input.GroupName!, input.PolicyArn, context.Aborted);

    public override Task AttachRolePolicyAsync(AttachRolePolicyRequest input, RequestContext context) =>
        iam.AttachPolicyAsync(context.AccountId, EntityKind.Role, input.RoleName!, input.PolicyArn, context.Aborted);

    public override Task DetachUserPolicyAsync(DetachUserPolicyRequest input, RequestContext context) =>
        iam.DetachPolicyAsync(context.AccountId, EntityKind.User, input.UserName!, input.PolicyArn, context.Aborted);

    public override Task DetachGroupPolicyAsync(DetachGroupPolicyRequest input, RequestContext context) =>
        iam.DetachPolicyAsync(context.AccountId, EntityKind.Group, input.GroupName!, input.PolicyArn, context.Aborted);

    public override Task DetachRolePolicyAsync(DetachRolePolicyRequest input, RequestContext context) =>
        iam.DetachPolicyAsync(context.AccountId, EntityKind.Role, input.RoleName!, input.PolicyArn, context.Aborted);

    public override async Task<ListAttachedUserPoliciesResponse> ListAttachedUserPoliciesAsync(
        ListAttachedUserPoliciesRequest input, RequestContext context)
    {
        var page = IamPage.Of(await AttachedAsync(EntityKind.User, input.UserName!, input.PathPrefix, context), input.Marker, input.MaxItems);
        return new() { AttachedPolicies = page.Items, IsTruncated = page.IsTruncated, Marker = page.Marker };
    }

    public override async Task<ListAttachedGroupPoliciesResponse> ListAttachedGroupPoliciesAsync(
        ListAttachedGroupPoliciesRequest input, RequestContext context)
    {
        var page = IamPage.Of(await AttachedAsync(EntityKind.Group, input.GroupName!, input.PathPrefix, context), input.Marker, input.MaxItems);
        return new() { AttachedPolicies = page.Items, IsTruncated = page.IsTruncated, Marker = page.Marker };
    }

    public override async Task<ListAttachedRolePoliciesResponse> ListAttachedRolePoliciesAsync(
        ListAttachedRolePoliciesRequest input, RequestContext context)
    {
        var page = IamPage.Of(await AttachedAsync(EntityKind.Role, input.RoleName!, input.PathPrefix, context), input.Marker, input.MaxItems);
        return new() { AttachedPolicies = page.Items, IsTruncated = page.IsTruncated, Marker = page.Marker };
    }

    // ---- inline --------------------------------------------------------------------------------

    public override Task PutUserPolicyAsync(PutUserPolicyRequest input, RequestContext context) =>
        iam.PutInlinePolicyAsync(context.AccountId, EntityKind.User, input.UserName!, input.PolicyName, input.PolicyDocument, context.Aborted);

    public override Task PutGroupPolicyAsync(PutGroupPolicyRequest input, RequestContext context) =>
        iam.PutInlinePolicyAsync(context.AccountId, EntityKind.Group, input.GroupName!, input.PolicyName, input.PolicyDocument, context.Aborted);

    public override Task PutRolePolicyAsync(PutRolePolicyRequest input, RequestContext context) =>
        iam.PutInlinePolicyAsync(context.AccountId, EntityKind.Role, input.RoleName!, input.PolicyName, input.PolicyDocument, context.Aborted);

    public override async Task<GetUserPolicyResponse> GetUserPolicyAsync(GetUserPolicyRequest input, RequestContext context) => new()
    {
        UserName = input.UserName,
        PolicyName = input.PolicyName,
        PolicyDocument = Encode(await iam.GetInlinePolicyAsync(context.AccountId, EntityKind.User, input.UserName!, input.PolicyName, context.Aborted)),
    };

    public override async Task<GetGroupPolicyResponse> GetGroupPolicyAsync(GetGroupPolicyRequest input, RequestContext context) => new()
    {
        GroupName = input.GroupName,
        PolicyName = input.PolicyName,
        PolicyDocument = Encode(await iam.GetInlinePolicyAsync(context.AccountId, EntityKind.Group, input.GroupName!, input.PolicyName, context.Aborted)),
    };

    public override async Task<GetRolePolicyResponse> GetRolePolicyAsync(GetRolePolicyRequest input, RequestContext context) => new()
    {
        RoleName = input.RoleName,
        PolicyName = input.PolicyName,
        PolicyDocument = Encode(await iam.GetInlinePolicyAsync(context.AccountId, EntityKind.Role, input.RoleName!, input.PolicyName, context.Aborted)),
    };

    public override async Task<ListUserPoliciesResponse> ListUserPoliciesAsync(ListUserPoliciesRequest input, RequestContext context)
    {
        var page = IamPage.Of(await iam.ListInlinePoliciesAsync(context.AccountId, EntityKind.User, input.UserName!, context.Aborted), input.Marker, input.MaxItems);
        return new() { PolicyNames = page.Items, IsTruncated = page.IsTruncated, Marker = page.Marker };
    }

    public override async Task<ListGroupPoliciesResponse> ListGroupPoliciesAsync(ListGroupPoliciesRequest input, RequestContext context)
    {
        var page = IamPage.Of(await iam.ListInlinePoliciesAsync(context.AccountId, EntityKind.Group, input.GroupName!, context.Aborted), input.Marker, input.MaxItems);
        return new() { PolicyNames = page.Items, IsTruncated = page.IsTruncated, Marker = page.Marker };
    }

    public override async Task<ListRolePoliciesResponse> ListRolePoliciesAsync(ListRolePoliciesRequest input, RequestContext context)
    {
        var page = IamPage.Of(await iam.ListInlinePoliciesAsync(context.AccountId, EntityKind.Role, input.RoleName!, context.Aborted), input.Marker, input.MaxItems);
        return new() { PolicyNames = page.Items, IsTruncated = page.IsTruncated, Marker = page.Marker };
    }

    public override Task DeleteUserPolicyAsync(DeleteUserPolicyRequest input, RequestContext context) =>
        iam.DeleteInlinePolicyAsync(context.AccountId, EntityKind.User, input.UserName!, input.PolicyName, context.Aborted);

    public override Task DeleteGroupPolicyAsync(DeleteGroupPolicyRequest input, RequestContext context) =>
        iam.DeleteInlinePolicyAsync(context.AccountId, EntityKind.Group, input.GroupName!, input.PolicyName, context.Aborted);

    public override Task DeleteRolePolicyAsync(DeleteRolePolicyRequest input, RequestContext context) =>
        iam.DeleteInlinePolicyAsync(context.AccountId, EntityKind.Role, input.RoleName!, input.PolicyName, context.Aborted);

    // ---- mapping -------------------------------------------------------------------------------

    private async Task<List<AttachedPolicy>> AttachedAsync(EntityKind kind, string name, string? pathPrefix, RequestContext context) =>
        [.. (await iam.ListAttachedPoliciesAsync(context.AccountId, kind, name, pathPrefix, context.Aborted))
            .Select(p => new AttachedPolicy { PolicyName = p.Name, PolicyArn = p.Arn })];

    private async Task<Model.Iam.Policy> ToPolicyAsync(ManagedPolicy p, RequestContext context) => ToPolicy(p,
        await iam.CountAttachmentsAsync(context.AccountId, p.Arn, context.Aborted),
        await iam.CountBoundaryUsesAsync(context.AccountId, p.Arn, context.Aborted));

    private static Model.Iam.Policy ToPolicy(ManagedPolicy p, int attachments, int boundaryUses) => new()
    {
        PolicyName = p.Name,
        PolicyId = p.Id,
        Arn = p.Arn,
        Path = p.Path,
        DefaultVersionId = p.DefaultVersionId,
        AttachmentCount = attachments,
        PermissionsBoundaryUsageCount = boundaryUses,
        IsAttachable = true,
        Description = p.Description,
        CreateDate = p.CreateDate,
        UpdateDate = p.UpdateDate,
        Tags = p.Tags.Count > 0 ? ToTags(p.Tags) : null,
    };

    private static PolicyVersion ToVersion(ManagedPolicy p, ManagedPolicyVersion v, bool withDocument) => new()
    {
        Document = withDocument ? Encode(v.Document) : null,
        VersionId = v.VersionId,
        IsDefaultVersion = v.VersionId == p.DefaultVersionId,
        CreateDate = v.CreateDate,
    };
}
