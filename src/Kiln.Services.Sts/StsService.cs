using Kiln.Core;
using Kiln.Protocol.Gateway;
using Kiln.Services.Sts.Api;
using Kiln.Services.Sts.Domain;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Services.Sts;

/// <summary>AWS Security Token Service: GetCallerIdentity, AssumeRole and GetSessionToken. Needs
/// <c>IamService</c> registered (roles, trust policies and the authorizer's caller resolution).</summary>
public sealed class StsService : IKilnService
{
    public static void Register(IServiceCollection services)
    {
        services.AddSingleton<SessionIssuer>();
        services.AddSingleton<IServiceApi, StsApi>();
    }
}
