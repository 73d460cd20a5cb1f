using Kiln.Core;
using Kiln.Model.Sts;
using Kiln.Services.Sts.Domain;

namespace Kiln.Services.Sts.Api;

/// <summary>STS operations. Binds wire shapes to the caller's identity and the session issuer.</summary>
internal sealed class StsApi(SessionIssuer sessions) : StsApiBase
{
    public override Task<GetCallerIdentityResponse> GetCallerIdentityAsync(GetCallerIdentityRequest input,
        RequestContext context)
    {
        var principal = context.Principal;
        return Task.FromResult(new GetCallerIdentityResponse
        {
            Account = principal.AccountId,
            Arn = principal.Arn,
            UserId = principal.UserId,
        });
    }

    public override async Task<AssumeRoleResponse> AssumeRoleAsync(AssumeRoleRequest input, RequestContext context)
    {
        var tags = input.Tags?.ToDictionary(t => t.Key ?? "", t => t.Value ?? "", StringComparer.Ordinal);
        var issued = await sessions.AssumeRoleAsync(context, new AssumeRoleInput(input.RoleArn, input.RoleSessionName,
            input.DurationSeconds, input.ExternalId, input.Policy, input.PolicyArns?.Select(p => p.arn ?? "").ToList(), tags,
            input.SerialNumber, input.TokenCode));
        return new AssumeRoleResponse
        {
            Credentials = ToCredentials(issued),
            AssumedRoleUser = new AssumedRoleUser { AssumedRoleId = issued.AssumedRoleId, Arn = issued.Key.Key.PrincipalArn },
            PackedPolicySize = issued.PackedPolicySize,
        };
    }

    public override async Task<GetSessionTokenResponse> GetSessionTokenAsync(GetSessionTokenRequest input,
        RequestContext context) =>
        new()
        {
            Credentials = ToCredentials(await sessions.GetSessionTokenAsync(context, input.DurationSeconds, input.SerialNumber,
                input.TokenCode)),
        };

    private static Credentials ToCredentials(IssuedSession issued) => new()
    {
        AccessKeyId = issued.Key.Key.AccessKeyId,
        SecretAccessKey = issued.Key.SecretAccessKey,
        SessionToken = issued.Key.SessionToken,
        Expiration = issued.Key.Key.Expiration,
    };
}
