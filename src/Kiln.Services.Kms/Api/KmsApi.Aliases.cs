using Kiln.Core;
using Kiln.Model.Kms;
using Kiln.Services.Kms.Domain;

namespace Kiln.Services.Kms.Api;

/// <summary>Aliases. Each alias operation needs the action on the alias (IAM policy) and on the key
/// (key policy) ("Controlling access to aliases", AWS KMS Developer Guide).</summary>
internal sealed partial class KmsApi
{
    public override async Task CreateAliasAsync(CreateAliasRequest input, RequestContext context)
    {
        var name = input.AliasName ?? "";
        await auth.CheckIamAsync(context, "kms:CreateAlias", KeyIds.AliasArn(context.Region, context.AccountId, name));
        var target = await TargetAsync(context, input.TargetKeyId, "kms:CreateAlias");
        await keys.CreateAliasAsync(context.AccountId, context.Region, name, target, context.Aborted);
    }

    public override async Task UpdateAliasAsync(UpdateAliasRequest input, RequestContext context)
    {
        var name = input.AliasName ?? "";
        await auth.CheckIamAsync(context, "kms:UpdateAlias", KeyIds.AliasArn(context.Region, context.AccountId, name));
        var alias = await keys.GetAliasAsync(context.AccountId, context.Region, name, context.Aborted);
        var current = await keys.GetKeyAsync(context.AccountId, context.Region, alias.TargetKeyId, context.Aborted);
        await auth.CheckAsync(context, "kms:UpdateAlias", current);
        var target = await TargetAsync(context, input.TargetKeyId, "kms:UpdateAlias");
        await keys.UpdateAliasAsync(alias, target, context.Aborted);
    }

    public override async Task DeleteAliasAsync(DeleteAliasRequest input, RequestContext context)
    {
        var name = input.AliasName ?? "";
        await auth.CheckIamAsync(context, "kms:DeleteAlias", KeyIds.AliasArn(context.Region, context.AccountId, name));
        var alias = await keys.GetAliasAsync(context.AccountId, context.Region, name, context.Aborted);
        var key = await keys.GetKeyAsync(context.AccountId, context.Region, alias.TargetKeyId, context.Aborted);
        await auth.CheckAsync(context, "kms:DeleteAlias", key);
        await keys.DeleteAliasAsync(alias, context.Aborted);
    }

    /// <summary>ListAliases is IAM-only; with KeyId, only the aliases of that key. Marker is the last
    /// alias name returned.</summary>
    public override async Task<ListAliasesResponse> ListAliasesAsync(ListAliasesRequest input, RequestContext context)
    {
        await auth.CheckIamAsync(context, "kms:ListAliases");
        var limit = Limit(input.Limit);
        IEnumerable<KmsAlias> aliases = await keys.ListAliasesAsync(context.AccountId, context.Region, context.Aborted);
        if (input.KeyId is not null)
        {
            var key = await keys.GetKeyAsync(context.AccountId, context.Region, input.KeyId, context.Aborted);
            aliases = aliases.Where(a => a.TargetKeyId == key.KeyId);
        }

        var page = aliases.Where(a => input.Marker is null || string.CompareOrdinal(a.Name, input.Marker) > 0).Take(limit + 1).ToList();
        var truncated = page.Count > limit;
        page = page.Take(limit).ToList();
        return new ListAliasesResponse
        {
            Aliases =
            [
                .. page.Select(a => new AliasListEntry
                {
                    AliasName = a.Name, AliasArn = a.Arn, TargetKeyId = a.TargetKeyId,
                    CreationDate = a.CreationDate, LastUpdatedDate = a.LastUpdatedDate,
                }),
            ],
            Truncated = truncated,
            NextMarker = truncated ? page[^1].Name : null,
        };
    }

    /// <summary>An alias targets a key in the caller's account by id or ARN, never another alias
    /// ("TargetKeyId: ... You cannot specify another alias").</summary>
    private async Task<KmsKey> TargetAsync(RequestContext context, string? targetKeyId, string action)
    {
        var key = await KeyAsync(context, targetKeyId, action, allowAlias: false);
        if (key.AccountId != context.AccountId || key.Region != context.Region)
        {
            throw KmsErrors.InvalidKeyId(targetKeyId ?? "");
        }

        return key;
    }
}
