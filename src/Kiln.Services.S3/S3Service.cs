using Kiln.Core;
using Kiln.Protocol.Gateway;
using Kiln.Services.Iam.Authorization;
using Kiln.Services.S3.Api;
using Kiln.Services.S3.Domain;
using Kiln.Services.S3.Storage;
using Kiln.Storage;
using Kiln.Storage.Crypto;
using Kiln.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Kiln.Services.S3;

/// <summary>Amazon S3: buckets, objects, versions, listings, multipart uploads and tagging, with
/// metadata in the shared SQLite database and bytes under <c>&lt;data-dir&gt;/s3</c>.</summary>
public sealed class S3Service : IKilnService
{
    public static void Register(IServiceCollection services)
    {
        services.AddSingleton<S3Limits>(_ => new S3Limits());
        services.AddSingleton<IS3MetadataStore>(sp => new SqliteS3MetadataStore(sp.GetRequiredService<SqliteDatabase>()));
        services.AddSingleton<IBlobStore>(sp => new InlineBlobStore(
            new FileBlobStore(Path.Combine(sp.GetRequiredService<DataDirectory>().Root, "s3")),
            sp.GetRequiredService<SqliteDatabase>()));
        services.AddSingleton(sp => new ObjectService(sp.GetRequiredService<IS3MetadataStore>(),
            sp.GetRequiredService<IBlobStore>(), sp.GetRequiredService<IClock>(), sp.GetRequiredService<S3Limits>(),
            sp.GetRequiredService<MasterKey>())
        {
            Time = sp.GetService<LifecycleTime>() ?? LifecycleTime.Real,
            Lifecycles = new SqliteLifecycleStore(sp.GetRequiredService<SqliteDatabase>()),
            AccessLogs = new SqliteAccessLogStore(sp.GetRequiredService<SqliteDatabase>()),
            KmsSource = () => sp.GetService<Kiln.Services.Kms.IKmsDataKeys>(),
        });
        services.AddSingleton(sp => new LifecycleEngine(sp.GetRequiredService<ObjectService>()));
        services.AddHostedService<LifecycleWorker>();
        services.AddSingleton(sp => new AccessLogRecorder(sp.GetRequiredService<ObjectService>()));
        services.AddSingleton(sp => new AccessLogDelivery(sp.GetRequiredService<ObjectService>(),
            sp.GetRequiredService<AccessLogRecorder>()));
        services.AddHostedService<AccessLogWorker>();
        services.AddSingleton<S3Api>();
        // Server access logging wraps the API: every call on a bucket with logging on is recorded,
        // including those the expected-owner check refuses.
        services.AddSingleton<IServiceApi>(sp => new AccessLoggingServiceApi(
            new ExpectedOwnerServiceApi(sp.GetRequiredService<S3Api>(), sp.GetRequiredService<IS3MetadataStore>()),
            sp.GetRequiredService<AccessLogRecorder>(), sp.GetRequiredService<IClock>()));
        services.AddSingleton<IResourcePolicySource, BucketPolicySource>();
    }

    /// <summary>Removes what a crash left behind (temp files, unreferenced blobs). The host calls
    /// it after building and before listening, so the sweep cannot race a write.</summary>
    public static Task<int> RecoverAsync(IServiceProvider services, CancellationToken cancellationToken) =>
        services.GetRequiredService<ObjectService>().SweepAsync(cancellationToken);
}
