using Kiln.Core;
using Kiln.Model.Iam;
using Kiln.Services.Iam.Domain;
using IamTag = Kiln.Services.Iam.Domain.IamTag;

namespace Kiln.Services.Iam.Api;

/// <summary>IAM operations: binds the generated shapes to <see cref="IamDirectory"/>. Split by family:
/// users and groups here, roles, policies and access keys in their own files.</summary>
internal sealed partial class IamApi(IamDirectory iam) : IamApiBase
{
    public override async Task<CreateUserResponse> CreateUserAsync(CreateUserRequest input, RequestContext context)
    {
        var user = await iam.CreateUserAsync(context.AccountId, input.UserName, input.Path, input.PermissionsBoundary,
            Tags(input.Tags), context.Aborted);
        return new CreateUserResponse { User = ToUser(user, withTags: true) };
    }

    /// <summary>Without UserName, GetUser describes the caller (an IAM user; root gets its account).</summary>
    public override async Task<GetUserResponse> GetUserAsync(GetUserRequest input, RequestContext context)
    {
        var name = input.UserName ?? CallerUserName(context);
        if (name is null)
        {
            var p = context.Principal;
            return new GetUserResponse { User = new User { UserId = p.AccountId, Arn = p.Arn, Path = "/", UserName = "", CreateDate = null } };
        }

        return new GetUserResponse { User = ToUser(await iam.GetUserAsync(context.AccountId, name, context.Aborted), withTags: true) };
    }

    public override async Task<ListUsersResponse> ListUsersAsync(ListUsersRequest input, RequestContext context)
    {
        var page = IamPage.Of(await iam.ListUsersAsync(context.AccountId, input.PathPrefix, context.Aborted), input.Marker, input.MaxItems);
        return new() { Users = [.. page.Items.Select(u => ToUser(u, withTags: false))], IsTruncated = page.IsTruncated, Marker = page.Marker };
    }

    public override Task DeleteUserAsync(DeleteUserRequest input, RequestContext context) =>
        iam.DeleteUserAsync(context.AccountId, input.UserName!, context.Aborted);

    public override Task TagUserAsync(TagUserRequest input, RequestContext context) =>
        iam.TagUserAsync(context.AccountId, input.UserName!, Tags(input.Tags) ?? [], context.Aborted);

    public override Task UntagUserAsync(UntagUserRequest input, RequestContext context) =>
        iam.UntagUserAsync(context.AccountId, input.UserName!, input.TagKeys ?? [], context.Aborted);

    public override async Task<ListUserTagsResponse> ListUserTagsAsync(ListUserTagsRequest input, RequestContext context)
    {
        var page = IamPage.Of((await iam.GetUserAsync(context.AccountId, input.UserName!, context.Aborted)).Tags, input.Marker, input.MaxItems);
        return new() { Tags = ToTags(page.Items), IsTruncated = page.IsTruncated, Marker = page.Marker };
    }

    // ---- groups --------------------------------------------------------------------------------

    public override async Task<CreateGroupResponse> CreateGroupAsync(CreateGroupRequest input, RequestContext context) =>
        new() { Group = ToGroup(await iam.CreateGroupAsync(context.AccountId, input.GroupName, input.Path, context.Aborted)) };

    public override async Task<GetGroupResponse> GetGroupAsync(GetGroupRequest input, RequestContext context)
    {
        var group = await iam.GetGroupAsync(context.AccountId, input.GroupName!, context.Aborted);
        var page = IamPage.Of(await iam.ListGroupMembersAsync(context.AccountId, group, context.Aborted), input.Marker, input.MaxItems);
        return new GetGroupResponse
        {
            Group = ToGroup(group),
            Users = [.. page.Items.Select(u => ToUser(u, false))],
            IsTruncated = page.IsTruncated,
            Marker = page.Marker,
        };
    }

    public override async Task<ListGroupsResponse> ListGroupsAsync(ListGroupsRequest input, RequestContext context)
    {
        var page = IamPage.Of(await iam.ListGroupsAsync(context.AccountId, input.PathPrefix, context.Aborted), input.Marker, input.MaxItems);
        return new() { Groups = [.. page.Items.Select(ToGroup)], IsTruncated = page.IsTruncated, Marker = page.Marker };
    }

    public override async Task<ListGroupsForUserResponse> ListGroupsForUserAsync(ListGroupsForUserRequest input,
        RequestContext context)
    {
        var page = IamPage.Of(await iam.ListGroupsForUserAsync(context.AccountId, input.UserName!, context.Aborted), input.Marker, input.MaxItems);
        return new() { Groups = [.. page.Items.Select(ToGroup)], IsTruncated = page.IsTruncated, Marker = page.Marker };
    }

    public override Task DeleteGroupAsync(DeleteGroupRequest input, RequestContext context) =>
        iam.DeleteGroupAsync(context.AccountId, input.GroupName!, context.Aborted);

    public override Task AddUserToGroupAsync(AddUserToGroupRequest input, RequestContext context) =>
        iam.AddUserToGroupAsync(context.AccountId, input.GroupName!, input.UserName!, context.Aborted);

    public override Task RemoveUserFromGroupAsync(RemoveUserFromGroupRequest input, RequestContext context) =>
        iam.RemoveUserFromGroupAsync(context.AccountId, input.GroupName!, input.UserName!, context.Aborted);

    // ---- mapping -------------------------------------------------------------------------------

    /// <summary>The caller's own user name when the caller is an IAM user (operations whose UserName
    /// defaults to the caller: GetUser, CreateAccessKey, ListAccessKeys...).</summary>
    internal static string? CallerUserName(RequestContext context) =>
        context.Principal.Kind == PrincipalKind.IamUser ? IamNames.NameOf(context.Principal.Arn) : null;

    internal static User ToUser(IamUser u, bool withTags) => new()
    {
        Path = u.Path,
        UserName = u.Name,
        UserId = u.Id,
        Arn = u.Arn,
        CreateDate = u.CreateDate,
        PermissionsBoundary = Boundary(u.PermissionsBoundary),
        Tags = withTags && u.Tags.Count > 0 ? ToTags(u.Tags) : null,
    };

    internal static Group ToGroup(IamGroup g) => new()
    {
        Path = g.Path,
        GroupName = g.Name,
        GroupId = g.Id,
        Arn = g.Arn,
        CreateDate = g.CreateDate,
    };

    internal static AttachedPermissionsBoundary? Boundary(string? arn) => arn is null
        ? null
        : new AttachedPermissionsBoundary { PermissionsBoundaryArn = arn, PermissionsBoundaryType = "Policy" };

    internal static List<Tag> ToTags(IEnumerable<IamTag> tags) => [.. tags.Select(t => new Tag { Key = t.Key, Value = t.Value })];

    internal static List<IamTag>? Tags(List<Tag>? tags) => tags?.Select(t => new IamTag(t.Key ?? "", t.Value ?? "")).ToList();

    /// <summary>IAM returns policy documents URL-encoded (RFC 3986); botocore and the CLI decode
    /// them ("GetUserPolicy": "The policy document returned in this structure is URL-encoded").</summary>
    internal static string Encode(string document) => Uri.EscapeDataString(document);
}
