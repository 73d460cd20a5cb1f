using System.Net;
using System.Reflection;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Kiln.Core;
using Kiln.Core.Audit;
using Kiln.Model;
using Kiln.Protocol.Gateway;
using Kiln.Protocol.Gateway.Stages;
using Kiln.Protocol.SigV4;
using Kiln.Services.CloudTrail;
using Kiln.Services.Iam;
using Kiln.Services.Kms;
using Kiln.Services.S3;
using Kiln.Services.Sts;
using Kiln.Storage;
using Kiln.Storage.Accounts;
using Kiln.Storage.Audit;
using Kiln.Storage.Crypto;
using Kiln.Storage.Sqlite;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kiln.Host;

/// <summary>The composition root: one Kestrel port, every service, one data directory.</summary>
public static class KilnServer
{
    public static string Version { get; } =
        typeof(KilnServer).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            .Split('+')[0] ?? "0.0.0";

    /// <summary>Opens the data directory (making it, the master key and the root account on first
    /// use) and builds the server. The caller runs it.</summary>
    public static async Task<(WebApplication App, RootAccount.Summary Root)> BuildAsync(ServerOptions options,
        CancellationToken cancellationToken)
    {
        CheckBinding(options);
        var data = new DataDirectory(options.DataDir);
        data.Ensure();
        var masterKey = MasterKey.LoadOrCreate(data);
        var db = new SqliteDatabase(data.MetadataDatabase);
        var clock = SystemClock.Instance;
        var accounts = new SqliteAccountStore(db, masterKey, clock);
        var root = await RootAccount.EnsureAsync(accounts, data, cancellationToken).ConfigureAwait(false);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.None);
        // Its messages are per-request traces (Information) and start-up failures, which reach the caller
        // as exceptions anyway; while any level of it is enabled, ASP.NET Core starts an Activity and a
        // logging scope for every request.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // The gateway answers oversized headers in the caller's protocol below this limit;
            // Kestrel's own (bodiless 431) only catches what is far beyond it.
            kestrel.Limits.MaxRequestHeadersTotalSize = 256 * 1024;
            kestrel.Limits.MaxRequestLineSize = 64 * 1024;
            // S3 object bodies stream through (up to 5 GiB per PUT); documents are capped by the gateway.
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Listen(ParseAddress(options.Host), options.Port, listen =>
            {
                if (options.TlsCertificate is not null)
                {
                    listen.UseHttps(X509Certificate2.CreateFromPemFile(options.TlsCertificate, options.TlsKey));
                }
            });
        });

        var services = builder.Services;
        services.AddSingleton<IClock>(clock);
        services.AddSingleton(Kiln.Services.S3.Domain.LifecycleTime.FromSeconds(options.DaySeconds));
        services.AddSingleton(new Kiln.Services.Sts.Domain.SessionTime(options.SessionTimeScale));
        services.AddSingleton(data);
        services.AddSingleton(masterKey);
        services.AddSingleton(db);
        services.AddSingleton<IAccountStore>(accounts);
        services.AddSingleton<IAuditLog>(_ => new FileAuditLog(data.AuditDirectory));
        services.AddSingleton<ICredentialSource, AccountCredentialSource>();
        services.AddSingleton(new GatewayOptions { DefaultRegion = options.Region });
        // Every request is authorized by IAM policy evaluation (the security issue).
        IamService.UseIamAuthorization(services);
        services.AddSingleton(sp => new ServiceCatalog(GeneratedServices.All, sp.GetServices<IServiceApi>()));
        services.AddSingleton<Authenticator>();
        services.AddSingleton<Pipeline>();

        // Every service Kiln has built, listed explicitly; the rest answer not-implemented.
        services.AddKilnService<IamService>();
        services.AddKilnService<StsService>();
        services.AddKilnService<S3Service>();
        // Browser CORS for S3 buckets: the gateway answers preflights and decorates responses from it.
        services.AddSingleton<ICorsPolicy>(sp =>
            new Kiln.Services.S3.Domain.S3CorsPolicy(sp.GetRequiredService<Kiln.Services.S3.Domain.ObjectService>()));
        // S3 Control's account-level block public access, kept by the S3 domain it governs; resolved
        // on first use, as the service catalog is built while the S3 domain's graph is still resolving.
        services.AddSingleton<IServiceApi>(sp =>
            new Kiln.Services.S3.Api.S3ControlApi(sp.GetRequiredService<Kiln.Services.S3.Domain.ObjectService>));
        services.AddKilnService<KmsService>();
        // KMS days (deletion windows, rotation) are the server's days too; registered last, this wins.
        services.AddSingleton(KmsService.OptionsFor(TimeSpan.FromSeconds(options.DaySeconds)));
        // CloudTrail writes trail log files into S3 through this seam (it does not reference S3).
        services.AddSingleton<Kiln.Services.CloudTrail.Domain.ITrailObjectSink>(sp =>
            new TrailObjectSink(sp.GetRequiredService<Kiln.Services.S3.Domain.ObjectService>()));
        services.AddSingleton(TrailDeliveryOptions.FromSeconds(options.TrailDeliverySeconds));
        services.AddKilnService<CloudTrailService>();

        var app = builder.Build();
        await S3Service.RecoverAsync(app.Services, cancellationToken).ConfigureAwait(false);
        var pipeline = app.Services.GetRequiredService<Pipeline>();
        app.Map("/_kiln/health", health => health.Run(WriteHealthAsync));
        app.Run(pipeline.InvokeAsync);
        return (app, root);
    }

    private static Task WriteHealthAsync(HttpContext http)
    {
        http.Response.ContentType = "application/json";
        return http.Response.WriteAsync(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["status"] = "ok",
            ["version"] = Version,
            ["services"] = GeneratedServices.All.Count,
        }));
    }

    private static void CheckBinding(ServerOptions options)
    {
        var address = ParseAddress(options.Host);
        if (!IPAddress.IsLoopback(address) && options.TlsCertificate is null && !options.Insecure)
        {
            throw new InvalidOperationException(
                $"Refusing to serve plain HTTP on {options.Host}, which is not a loopback address: " +
                "give --tls-cert and --tls-key, or --insecure if you mean it.");
        }

        if ((options.TlsCertificate is null) != (options.TlsKey is null))
        {
            throw new InvalidOperationException("--tls-cert and --tls-key go together.");
        }
    }

    private static IPAddress ParseAddress(string host) => host switch
    {
        "localhost" => IPAddress.Loopback,
        "*" or "0.0.0.0" => IPAddress.Any,
        _ => IPAddress.TryParse(host, out var ip)
            ? ip
            : throw new InvalidOperationException($"--host must be an IP address or localhost, not '{host}'."),
    };
}
