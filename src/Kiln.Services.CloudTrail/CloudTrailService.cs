using Kiln.Core;
using Kiln.Core.Audit;
using Kiln.Model;
using Kiln.Protocol.Gateway;
using Kiln.Services.CloudTrail.Api;
using Kiln.Services.CloudTrail.Domain;
using Kiln.Services.CloudTrail.Storage;
using Kiln.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Kiln.Services.CloudTrail;

/// <summary>AWS CloudTrail: event history (LookupEvents) over the gateway's audit log, and trails that
/// deliver it as log files to S3. The host supplies the <see cref="ITrailObjectSink"/> (S3) and may
/// supply <see cref="TrailDeliveryOptions"/>; without them, the interval comes from the environment.</summary>
public sealed class CloudTrailService : IKilnService
{
    public static void Register(IServiceCollection services)
    {
        services.AddSingleton(_ => TrailRecord.Factory(GeneratedServices.All));
        services.AddSingleton(sp => new EventLookup(sp.GetRequiredService<IAuditLog>(), sp.GetRequiredService<Func<AuditEvent, TrailRecord>>()));
        services.AddSingleton<ITrailStore>(sp => new SqliteTrailStore(sp.GetRequiredService<SqliteDatabase>()));
        services.AddSingleton(sp => new TrailService(sp.GetRequiredService<ITrailStore>(), sp.GetRequiredService<ITrailObjectSink>(),
            sp.GetRequiredService<IClock>()));
        services.AddSingleton(sp => new TrailDelivery(sp.GetRequiredService<TrailService>(), sp.GetRequiredService<IAuditLog>(),
            sp.GetRequiredService<ITrailObjectSink>(), sp.GetRequiredService<Func<AuditEvent, TrailRecord>>()));
        services.TryAddSingleton(_ => TrailDeliveryOptions.FromSeconds(TrailDeliveryOptions.SecondsFromEnvironment()));
        services.AddHostedService(sp => new TrailDeliveryWorker(sp.GetRequiredService<TrailDelivery>(),
            sp.GetRequiredService<TrailDeliveryOptions>(), sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<TrailDeliveryWorker>>()));
        services.AddSingleton<IServiceApi, CloudTrailApi>();
    }
}
