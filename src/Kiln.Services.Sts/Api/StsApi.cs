using Kiln.Core;
using Kiln.Model.Sts;

namespace Kiln.Services.Sts.Api;

/// <summary>STS operations. Binds wire shapes to the caller's identity; nothing more.</summary>
internal sealed class StsApi : StsApiBase
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
}
