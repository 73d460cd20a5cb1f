using Kiln.Core;
using Kiln.Core.Audit;
using Kiln.Model;
using Kiln.Protocol.Gateway;
using Kiln.Services.CloudTrail.Api;
using Kiln.Services.CloudTrail.Domain;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Services.CloudTrail;

/// <summary>AWS CloudTrail: event history (LookupEvents) over the gateway's audit log.</summary>
public sealed class CloudTrailService : IKilnService
{
    public static void Register(IServiceCollection services)
    {
        services.AddSingleton(sp => new EventLookup(sp.GetRequiredService<IAuditLog>(), TrailRecord.Factory(GeneratedServices.All)));
        services.AddSingleton<IServiceApi, CloudTrailApi>();
    }
}
