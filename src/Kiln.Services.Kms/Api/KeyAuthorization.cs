using Kiln.Core;
using Kiln.Policy;
using Kiln.Services.Iam.Authorization;
using Kiln.Services.Kms.Domain;

namespace Kiln.Services.Kms.Api;

/// <summary>
/// Authorizes KMS operations the way AWS KMS does ("Authentication and access control for AWS KMS",
/// "Key policies in AWS KMS"): "Every KMS key must have exactly one key policy", and no principal,
/// not even the account's root user, may use a key unless the key policy allows it, directly or by
/// delegating to IAM through the account principal (the default key policy). Kiln.Policy models this
/// with <see cref="AuthorizationRequest.ResourcePolicyRequired"/>. Operations on no key (CreateKey,
/// ListKeys, ListAliases) are authorized by IAM policies alone ("IAM policy" in the "Permissions
/// reference" of the KMS Developer Guide). The gateway leaves kms to this class (ActionMap, Mode.Service).
/// </summary>
public sealed class KeyAuthorization(IamAuthorizer iam)
{
    /// <summary>Checks <paramref name="action"/> on <paramref name="key"/> against its key policy and the caller's IAM policies.</summary>
    public Task CheckAsync(RequestContext context, string action, KmsKey key) =>
        CheckAsync(context, action, key.Arn, KeyPolicies.Parse(key.Policy), key.AccountId);

    /// <summary>Checks an action that IAM alone governs, on a resource ARN or on none ("*").</summary>
    public Task CheckIamAsync(RequestContext context, string action, string? resource = null) =>
        CheckAsync(context, action, resource, null, null);

    /// <summary>Whether <paramref name="policy"/> would let the caller run kms:PutKeyPolicy: the
    /// "policy lockout safety check" of PutKeyPolicy and CreateKey.</summary>
    public async Task<bool> AllowsPutKeyPolicyAsync(RequestContext context, Policy.Policy policy, string keyArn, string keyAccount)
    {
        var request = await BuildAsync(context, "kms:PutKeyPolicy", keyArn, policy, keyAccount).ConfigureAwait(false);
        return PolicyEvaluator.Evaluate(request).IsAllowed;
    }

    private async Task CheckAsync(RequestContext context, string action, string? resource, Policy.Policy? keyPolicy, string? keyAccount)
    {
        if (context.Operation.AuthType == "none")
        {
            return;
        }

        var request = await BuildAsync(context, action, resource, keyPolicy, keyAccount).ConfigureAwait(false);
        var result = PolicyEvaluator.Evaluate(request);
        if (!result.IsAllowed)
        {
            throw KmsErrors.AccessDenied(AccessDeniedMessage.Format(context.Principal.Arn, action, result));
        }
    }

    private async Task<AuthorizationRequest> BuildAsync(RequestContext context, string action, string? resource,
        Policy.Policy? keyPolicy, string? keyAccount)
    {
        var caller = await iam.CallerAsync(context).ConfigureAwait(false);
        var check = new ActionCheck(action, resource is null ? [] : [resource], new Dictionary<string, string[]>());
        var r = IamAuthorizer.BuildRequest(context, check, caller);
        return new AuthorizationRequest
        {
            PrincipalArn = r.PrincipalArn,
            PrincipalAccount = r.PrincipalAccount,
            PrincipalType = r.PrincipalType,
            UserId = r.UserId,
            UserName = r.UserName,
            RoleArn = r.RoleArn,
            PrincipalTags = r.PrincipalTags,
            Action = r.Action,
            Resources = r.Resources,
            IdentityPolicies = r.IdentityPolicies,
            PermissionsBoundary = r.PermissionsBoundary,
            SessionPolicies = r.SessionPolicies,
            Context = r.Context,
            CurrentTime = r.CurrentTime,
            SourceIp = r.SourceIp,
            SecureTransport = r.SecureTransport,
            ResourcePolicy = keyPolicy,
            ResourcePolicyRequired = keyPolicy is not null,
            ResourceAccount = keyAccount,
        };
    }
}
