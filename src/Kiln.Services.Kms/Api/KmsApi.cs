using Kiln.Core;
using Kiln.Model.Kms;
using Kiln.Services.Kms.Domain;

namespace Kiln.Services.Kms.Api;

/// <summary>KMS operations (TrentService, json 1.1): binds the generated shapes to <see cref="KeyService"/>
/// after <see cref="KeyAuthorization"/>. Keys and policies here, aliases and cryptography in their own files.</summary>
internal sealed partial class KmsApi(KeyService keys, KeyAuthorization auth) : KmsApiBase
{
    private const string SymmetricDefault = "SYMMETRIC_DEFAULT";

    public override async Task<CreateKeyResponse> CreateKeyAsync(CreateKeyRequest input, RequestContext context)
    {
        await auth.CheckIamAsync(context, "kms:CreateKey");
        var spec = input.KeySpec ?? input.CustomerMasterKeySpec ?? SymmetricDefault;
        if (spec != SymmetricDefault || input.KeyUsage is not (null or "ENCRYPT_DECRYPT"))
        {
            throw KmsErrors.Unsupported($"Kiln supports symmetric encryption keys only (KeySpec {SymmetricDefault}, KeyUsage ENCRYPT_DECRYPT), not {spec}.");
        }

        if (input.Origin is not (null or "AWS_KMS") || input.CustomKeyStoreId is not null || input.MultiRegion == true)
        {
            throw KmsErrors.Unsupported("Kiln creates single-Region keys with key material it generates (Origin AWS_KMS).");
        }

        if (input.Policy is { } policy && input.BypassPolicyLockoutSafetyCheck != true)
        {
            var arn = KeyIds.KeyArn(context.Region, context.AccountId, "*");
            if (!await auth.AllowsPutKeyPolicyAsync(context, KeyPolicies.Parse(policy), arn, context.AccountId))
            {
                throw LockoutError();
            }
        }

        var tags = input.Tags?.ToDictionary(t => t.TagKey ?? "", t => t.TagValue ?? "", StringComparer.Ordinal);
        var key = await keys.CreateKeyAsync(context.AccountId, context.Region, input.Description, input.Policy, tags, context.Aborted);
        return new CreateKeyResponse { KeyMetadata = ToMetadata(key) };
    }

    public override async Task<DescribeKeyResponse> DescribeKeyAsync(DescribeKeyRequest input, RequestContext context)
    {
        var key = await KeyAsync(context, input.KeyId, "kms:DescribeKey");
        return new DescribeKeyResponse { KeyMetadata = ToMetadata(key) };
    }

    /// <summary>"Limit: ... between 1 and 1000 ... default 100" (ListKeys); Marker is the last key id returned.</summary>
    public override async Task<ListKeysResponse> ListKeysAsync(ListKeysRequest input, RequestContext context)
    {
        await auth.CheckIamAsync(context, "kms:ListKeys");
        var limit = Limit(input.Limit);
        var all = await keys.ListKeysAsync(context.AccountId, context.Region, context.Aborted);
        var page = all.Where(k => input.Marker is null || string.CompareOrdinal(k.KeyId, input.Marker) > 0).Take(limit + 1).ToList();
        var truncated = page.Count > limit;
        page = page.Take(limit).ToList();
        return new ListKeysResponse
        {
            Keys = [.. page.Select(k => new KeyListEntry { KeyId = k.KeyId, KeyArn = k.Arn })],
            Truncated = truncated,
            NextMarker = truncated ? page[^1].KeyId : null,
        };
    }

    public override async Task EnableKeyAsync(EnableKeyRequest input, RequestContext context) =>
        await keys.EnableKeyAsync(await KeyAsync(context, input.KeyId, "kms:EnableKey", allowAlias: false), context.Aborted);

    public override async Task DisableKeyAsync(DisableKeyRequest input, RequestContext context) =>
        await keys.DisableKeyAsync(await KeyAsync(context, input.KeyId, "kms:DisableKey", allowAlias: false), context.Aborted);

    public override async Task<ScheduleKeyDeletionResponse> ScheduleKeyDeletionAsync(ScheduleKeyDeletionRequest input, RequestContext context)
    {
        var key = await keys.ScheduleKeyDeletionAsync(await KeyAsync(context, input.KeyId, "kms:ScheduleKeyDeletion", allowAlias: false),
            input.PendingWindowInDays, context.Aborted);
        return new ScheduleKeyDeletionResponse
        {
            KeyId = key.Arn,
            DeletionDate = key.DeletionDate,
            KeyState = key.State.ToString(),
            PendingWindowInDays = key.PendingWindowInDays,
        };
    }

    public override async Task<CancelKeyDeletionResponse> CancelKeyDeletionAsync(CancelKeyDeletionRequest input, RequestContext context)
    {
        var key = await keys.CancelKeyDeletionAsync(await KeyAsync(context, input.KeyId, "kms:CancelKeyDeletion", allowAlias: false),
            context.Aborted);
        return new CancelKeyDeletionResponse { KeyId = key.Arn };
    }

    public override async Task EnableKeyRotationAsync(EnableKeyRotationRequest input, RequestContext context) =>
        await keys.SetRotationAsync(await KeyAsync(context, input.KeyId, "kms:EnableKeyRotation", allowAlias: false), true, context.Aborted);

    public override async Task DisableKeyRotationAsync(DisableKeyRotationRequest input, RequestContext context) =>
        await keys.SetRotationAsync(await KeyAsync(context, input.KeyId, "kms:DisableKeyRotation", allowAlias: false), false, context.Aborted);

    public override async Task<GetKeyRotationStatusResponse> GetKeyRotationStatusAsync(GetKeyRotationStatusRequest input, RequestContext context)
    {
        var key = await KeyAsync(context, input.KeyId, "kms:GetKeyRotationStatus", allowAlias: false);
        if (key.State == KeyState.PendingDeletion)
        {
            throw KmsErrors.PendingDeletion(key.Arn);
        }

        return new GetKeyRotationStatusResponse { KeyRotationEnabled = key.RotationEnabled };
    }

    public override async Task UpdateKeyDescriptionAsync(UpdateKeyDescriptionRequest input, RequestContext context) =>
        await keys.UpdateDescriptionAsync(await KeyAsync(context, input.KeyId, "kms:UpdateKeyDescription", allowAlias: false),
            input.Description ?? "", context.Aborted);

    // ---- key policies ------------------------------------------------------------------------

    public override async Task<GetKeyPolicyResponse> GetKeyPolicyAsync(GetKeyPolicyRequest input, RequestContext context)
    {
        var key = await KeyAsync(context, input.KeyId, "kms:GetKeyPolicy", allowAlias: false);
        RequireDefaultPolicyName(input.PolicyName);
        return new GetKeyPolicyResponse { Policy = key.Policy };
    }

    public override async Task<ListKeyPoliciesResponse> ListKeyPoliciesAsync(ListKeyPoliciesRequest input, RequestContext context)
    {
        await KeyAsync(context, input.KeyId, "kms:ListKeyPolicies", allowAlias: false);
        return new ListKeyPoliciesResponse { PolicyNames = [KeyPolicies.DefaultPolicyName], Truncated = false };
    }

    public override async Task PutKeyPolicyAsync(PutKeyPolicyRequest input, RequestContext context)
    {
        var key = await KeyAsync(context, input.KeyId, "kms:PutKeyPolicy", allowAlias: false);
        RequireDefaultPolicyName(input.PolicyName);
        var document = input.Policy ?? throw KmsErrors.Validation("1 validation error detected: Value null at 'policy' failed to satisfy constraint: Member must not be null");
        var policy = KeyPolicies.Parse(document);
        if (input.BypassPolicyLockoutSafetyCheck != true && !await auth.AllowsPutKeyPolicyAsync(context, policy, key.Arn, key.AccountId))
        {
            throw LockoutError();
        }

        await keys.PutKeyPolicyAsync(key, document, context.Aborted);
    }

    // ---- shared ------------------------------------------------------------------------------

    /// <summary>Finds the key a request names and authorizes <paramref name="action"/> on it. Operations
    /// that manage a key take its id or ARN only; an alias there is NotFoundException.</summary>
    private async Task<KmsKey> KeyAsync(RequestContext context, string? identifier, string action, bool allowAlias = true)
    {
        if (!allowAlias && identifier is not null && (identifier.StartsWith(KeyIds.AliasPrefix, StringComparison.Ordinal)
                                                      || identifier.Contains(":alias/", StringComparison.Ordinal)))
        {
            throw KmsErrors.InvalidKeyId(identifier);
        }

        var key = await keys.GetKeyAsync(context.AccountId, context.Region, identifier, context.Aborted);
        await auth.CheckAsync(context, action, key);
        return key;
    }

    private static void RequireDefaultPolicyName(string? name)
    {
        if (name is not null && name != KeyPolicies.DefaultPolicyName)
        {
            throw KmsErrors.PolicyNotFound();
        }
    }

    private static Core.Errors.AwsException LockoutError() => KmsErrors.MalformedPolicyDocument(
        "The new key policy will not allow you to update the key policy in the future.");

    private static int Limit(int? limit) => limit switch
    {
        null => 100,
        < 1 or > 1000 => throw KmsErrors.Range("limit", limit.Value, 1, 1000),
        _ => limit.Value,
    };

    internal static KeyMetadata ToMetadata(KmsKey key) => new()
    {
        AWSAccountId = key.AccountId,
        KeyId = key.KeyId,
        Arn = key.Arn,
        CreationDate = key.CreationDate,
        Enabled = key.State == KeyState.Enabled,
        Description = key.Description,
        KeyUsage = "ENCRYPT_DECRYPT",
        KeyState = key.State.ToString(),
        DeletionDate = key.DeletionDate,
        PendingDeletionWindowInDays = key.PendingWindowInDays,
        Origin = "AWS_KMS",
        KeyManager = "CUSTOMER",
        CustomerMasterKeySpec = SymmetricDefault,
        KeySpec = SymmetricDefault,
        EncryptionAlgorithms = [SymmetricDefault],
        MultiRegion = false,
    };
}
