using Kiln.Core;
using Kiln.Model.Iam;
using Kiln.Services.Iam.Domain;

namespace Kiln.Services.Iam.Api;

internal sealed partial class IamApi
{
    public override async Task<CreateRoleResponse> CreateRoleAsync(CreateRoleRequest input, RequestContext context)
    {
        var role = await iam.CreateRoleAsync(context.AccountId, input.RoleName, input.Path, input.AssumeRolePolicyDocument,
            input.Description, input.MaxSessionDuration, input.PermissionsBoundary, Tags(input.Tags), context.Aborted);
        return new CreateRoleResponse { Role = ToRole(role, full: false) };
    }

    public override async Task<GetRoleResponse> GetRoleAsync(GetRoleRequest input, RequestContext context) =>
        new() { Role = ToRole(await iam.GetRoleAsync(context.AccountId, input.RoleName!, context.Aborted), full: true) };

    public override async Task<ListRolesResponse> ListRolesAsync(ListRolesRequest input, RequestContext context)
    {
        var page = IamPage.Of(await iam.ListRolesAsync(context.AccountId, input.PathPrefix, context.Aborted), input.Marker, input.MaxItems);
        return new() { Roles = [.. page.Items.Select(r => ToRole(r, full: false))], IsTruncated = page.IsTruncated, Marker = page.Marker };
    }

    public override Task DeleteRoleAsync(DeleteRoleRequest input, RequestContext context) =>
        iam.DeleteRoleAsync(context.AccountId, input.RoleName!, context.Aborted);

    public override Task UpdateAssumeRolePolicyAsync(UpdateAssumeRolePolicyRequest input, RequestContext context) =>
        iam.UpdateAssumeRolePolicyAsync(context.AccountId, input.RoleName!, input.PolicyDocument, context.Aborted);

    public override async Task<UpdateRoleResponse> UpdateRoleAsync(UpdateRoleRequest input, RequestContext context)
    {
        await iam.UpdateRoleAsync(context.AccountId, input.RoleName!, input.Description, input.MaxSessionDuration, context.Aborted);
        return new UpdateRoleResponse();
    }

    public override Task TagRoleAsync(TagRoleRequest input, RequestContext context) =>
        iam.TagRoleAsync(context.AccountId, input.RoleName!, Tags(input.Tags) ?? [], context.Aborted);

    public override Task UntagRoleAsync(UntagRoleRequest input, RequestContext context) =>
        iam.UntagRoleAsync(context.AccountId, input.RoleName!, input.TagKeys ?? [], context.Aborted);

    public override async Task<ListRoleTagsResponse> ListRoleTagsAsync(ListRoleTagsRequest input, RequestContext context)
    {
        var page = IamPage.Of((await iam.GetRoleAsync(context.AccountId, input.RoleName!, context.Aborted)).Tags, input.Marker, input.MaxItems);
        return new() { Tags = ToTags(page.Items), IsTruncated = page.IsTruncated, Marker = page.Marker };
    }

    /// <summary>GetRole adds tags and RoleLastUsed; list and create omit them, as AWS does.</summary>
    internal static Role ToRole(IamRole r, bool full) => new()
    {
        Path = r.Path,
        RoleName = r.Name,
        RoleId = r.Id,
        Arn = r.Arn,
        CreateDate = r.CreateDate,
        AssumeRolePolicyDocument = Encode(r.AssumeRolePolicyDocument),
        Description = r.Description,
        MaxSessionDuration = r.MaxSessionDuration,
        PermissionsBoundary = Boundary(r.PermissionsBoundary),
        Tags = full && r.Tags.Count > 0 ? ToTags(r.Tags) : null,
        RoleLastUsed = full ? new RoleLastUsed { LastUsedDate = r.LastUsedDate, Region = r.LastUsedRegion } : null,
    };
}
