using Kiln.Core;
using Kiln.Model.Iam;
using Kiln.Services.Iam.Domain;

namespace Kiln.Services.Iam.Api;

internal sealed partial class IamApi
{
    public override async Task<CreateAccessKeyResponse> CreateAccessKeyAsync(CreateAccessKeyRequest input, RequestContext context)
    {
        var name = UserNameOrCaller(input.UserName, context);
        var key = await iam.CreateAccessKeyAsync(context.AccountId, name, context.Aborted);
        return new CreateAccessKeyResponse
        {
            AccessKey = new AccessKey
            {
                UserName = name,
                AccessKeyId = key.Key.AccessKeyId,
                Status = "Active",
                SecretAccessKey = key.SecretAccessKey,
                CreateDate = key.Key.CreatedAt,
            },
        };
    }

    public override async Task<ListAccessKeysResponse> ListAccessKeysAsync(ListAccessKeysRequest input, RequestContext context)
    {
        var name = UserNameOrCaller(input.UserName, context);
        var page = IamPage.Of(await iam.ListAccessKeysAsync(context.AccountId, name, context.Aborted), input.Marker, input.MaxItems);
        return new ListAccessKeysResponse
        {
            AccessKeyMetadata = [.. page.Items.Select(k => new AccessKeyMetadata
            {
                UserName = name,
                AccessKeyId = k.AccessKeyId,
                Status = k.Active ? "Active" : "Inactive",
                CreateDate = k.CreatedAt,
            })],
            IsTruncated = page.IsTruncated,
            Marker = page.Marker,
        };
    }

    public override Task UpdateAccessKeyAsync(UpdateAccessKeyRequest input, RequestContext context)
    {
        var active = input.Status switch
        {
            "Active" => true,
            "Inactive" => false,
            _ => throw IamErrors.ValidationError(
                $"1 validation error detected: Value '{input.Status}' at 'status' failed to satisfy constraint: " +
                "Member must satisfy enum value set: [Active, Inactive]"),
        };
        return iam.UpdateAccessKeyAsync(context.AccountId, UserNameOrCaller(input.UserName, context), input.AccessKeyId,
            active, context.Aborted);
    }

    public override Task DeleteAccessKeyAsync(DeleteAccessKeyRequest input, RequestContext context) =>
        iam.DeleteAccessKeyAsync(context.AccountId, UserNameOrCaller(input.UserName, context), input.AccessKeyId,
            context.Aborted);

    /// <summary>A key never used reports ServiceName and Region "N/A" and no date, as AWS does.</summary>
    public override async Task<GetAccessKeyLastUsedResponse> GetAccessKeyLastUsedAsync(GetAccessKeyLastUsedRequest input,
        RequestContext context)
    {
        var (key, use) = await iam.GetAccessKeyLastUsedAsync(context.AccountId, input.AccessKeyId, context.Aborted);
        return new GetAccessKeyLastUsedResponse
        {
            UserName = key.Kind == PrincipalKind.IamUser ? IamNames.NameOf(key.PrincipalArn) : null,
            AccessKeyLastUsed = new AccessKeyLastUsed
            {
                LastUsedDate = use?.At,
                ServiceName = use?.Service ?? "N/A",
                Region = use?.Region ?? "N/A",
            },
        };
    }

    /// <summary>Without UserName the access-key operations act on the calling IAM user ("If you do
    /// not specify a user name, IAM determines the user name implicitly based on the AWS access key
    /// ID signing the request").</summary>
    private static string UserNameOrCaller(string? userName, RequestContext context) =>
        userName ?? CallerUserName(context)
        ?? throw IamErrors.ValidationError("Must specify userName when calling with non-User credentials");
}
