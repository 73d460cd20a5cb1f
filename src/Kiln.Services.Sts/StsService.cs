using Kiln.Core;
using Kiln.Protocol.Gateway;
using Kiln.Services.Sts.Api;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Services.Sts;

/// <summary>AWS Security Token Service. GetCallerIdentity now; AssumeRole and session tokens
/// arrive with the security issue.</summary>
public sealed class StsService : IKilnService
{
    public static void Register(IServiceCollection services) => services.AddSingleton<IServiceApi, StsApi>();
}
