using System.CommandLine;
using Kiln.Host;
using Kiln.Storage.Accounts;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;

namespace Kiln.Cli;

/// <summary><c>kiln serve</c>: every service on one port until SIGTERM or Ctrl-C, which drain
/// in-flight requests before exiting.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var host = new Option<string>("--host") { Description = "Address to bind", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "Port to bind", DefaultValueFactory = _ => 4600 };
        var region = new Option<string>("--region") { Description = "Default region", DefaultValueFactory = _ => "us-east-1" };
        var dataDir = CommonOptions.DataDir();
        var insecure = new Option<bool>("--insecure") { Description = "Allow plain HTTP on a non-loopback address" };
        var cert = new Option<string?>("--tls-cert") { Description = "PEM certificate for HTTPS" };
        var key = new Option<string?>("--tls-key") { Description = "PEM private key for HTTPS" };
        var daySeconds = new Option<double>("--day-seconds")
        {
            Description = "Length of a lifecycle/restore day in seconds (env KILN_DAY_SECONDS)",
            DefaultValueFactory = _ => Kiln.Services.S3.Domain.LifecycleTime.DaySecondsFromEnvironment(),
        };
        var trailSeconds = new Option<double>("--trail-delivery-seconds")
        {
            Description = "Seconds between CloudTrail log file deliveries (env KILN_CLOUDTRAIL_DELIVERY_SECONDS; AWS: about 300)",
            DefaultValueFactory = _ => Kiln.Services.CloudTrail.TrailDeliveryOptions.SecondsFromEnvironment(),
        };
        var sessionScale = new Option<double>("--session-time-scale")
        {
            Description = "STS credentials live this multiple of their DurationSeconds (env KILN_SESSION_TIME_SCALE; 1 = AWS)",
            DefaultValueFactory = _ => Kiln.Services.Sts.Domain.SessionTime.ScaleFromEnvironment(),
        };
        var command = new Command("serve", "Run Kiln")
        {
            host, port, dataDir, region, insecure, cert, key, daySeconds, trailSeconds, sessionScale,
        };
        command.SetAction(async (result, ct) =>
        {
            var options = new ServerOptions
            {
                Host = result.GetValue(host)!,
                Port = result.GetValue(port),
                DataDir = result.GetValue(dataDir)!,
                Region = result.GetValue(region)!,
                Insecure = result.GetValue(insecure),
                TlsCertificate = result.GetValue(cert),
                TlsKey = result.GetValue(key),
                DaySeconds = result.GetValue(daySeconds),
                TrailDeliverySeconds = result.GetValue(trailSeconds),
                SessionTimeScale = result.GetValue(sessionScale),
            };
            try
            {
                var (app, root) = await KilnServer.BuildAsync(options, ct);
                await using (app)
                {
                    await app.StartAsync(ct);
                    Console.Write(Banner(options, root));
                    await app.WaitForShutdownAsync(CancellationToken.None);
                }

                return 0;
            }
            catch (Exception ex) when (ex is InvalidOperationException or AccountException or IOException)
            {
                await Console.Error.WriteLineAsync($"kiln: {ex.Message}");
                return 1;
            }
        });
        return command;
    }

    private static string Banner(ServerOptions options, RootAccount.Summary root)
    {
        var scheme = options.TlsCertificate is null ? "http" : "https";
        var shownHost = options.Host is "0.0.0.0" or "*" ? "127.0.0.1" : options.Host;
        var endpoint = $"{scheme}://{shownHost}:{options.Port}";
        var data = Path.GetFullPath(options.DataDir);
        var credentials = root.CredentialsSource.StartsWith('/')
            ? $"  export AWS_SHARED_CREDENTIALS_FILE={root.CredentialsSource}\n"
            : "  (credentials: your KILN_ROOT_ACCESS_KEY_ID / KILN_ROOT_SECRET_ACCESS_KEY)\n";
        return $"""
            Kiln {KilnServer.Version} is serving every AWS service on one port.

              endpoint     {endpoint}
              region       {options.Region}
              account      {root.AccountId} (root, access key {root.AccessKeyId})
              credentials  {root.CredentialsSource}
              data         {data}
              health       {endpoint}/_kiln/health

            Point the aws CLI at it:
            {credentials}  export AWS_DEFAULT_REGION={options.Region}
              aws --endpoint-url {endpoint} sts get-caller-identity
            or run `aws configure` with the key and secret from the credentials file and pass
            --endpoint-url {endpoint} (or set AWS_ENDPOINT_URL={endpoint}).

            Stop with Ctrl-C or SIGTERM; in-flight requests finish first.

            """;
    }
}
