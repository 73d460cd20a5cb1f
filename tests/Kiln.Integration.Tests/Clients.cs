using System.Diagnostics;

namespace Kiln.Integration.Tests;

/// <summary>Runs the real clients: Debian's aws CLI (/usr/bin/aws) and boto3 under Debian's
/// python (/usr/bin/python3), with a clean environment so no user profile leaks in.</summary>
public static class Clients
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public override string ToString() => $"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
    }

    public static Task<Result> AwsAsAsync(KilnServer server, string accessKeyId, string secret, params string[] args)
    {
        var all = new List<string> { "--endpoint-url", server.Endpoint, "--output", "json" };
        all.AddRange(args);
        return RunAsync("/usr/bin/aws", all, Environment(accessKeyId, secret));
    }

    /// <summary>The aws CLI with temporary credentials: the <c>Credentials</c> element of an STS answer.</summary>
    public static Task<Result> AwsWithSessionAsync(KilnServer server, System.Text.Json.JsonElement credentials,
        params string[] args)
    {
        var env = Environment(credentials.GetProperty("AccessKeyId").GetString()!,
            credentials.GetProperty("SecretAccessKey").GetString()!);
        env["AWS_SESSION_TOKEN"] = credentials.GetProperty("SessionToken").GetString()!;
        return RunAsync("/usr/bin/aws", ["--endpoint-url", server.Endpoint, "--output", "json", .. args], env);
    }

    public static Task<Result> AwsAsync(KilnServer server, params string[] args) =>
        AwsAsAsync(server, server.AccessKeyId, server.SecretAccessKey, args);

    /// <summary>Runs a Python script with ENDPOINT, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY set.</summary>
    public static Task<Result> PythonAsync(KilnServer server, string script, string? accessKeyId = null,
        string? secret = null)
    {
        var env = Environment(accessKeyId ?? server.AccessKeyId, secret ?? server.SecretAccessKey);
        env["ENDPOINT"] = server.Endpoint;
        return RunAsync("/usr/bin/python3", ["-c", script], env);
    }

    public static Task<Result> KilnAsync(params string[] args) =>
        RunAsync("dotnet", [KilnServer.KilnDll, .. args], new Dictionary<string, string>());

    public static async Task<Result> RunAsync(string file, IEnumerable<string> args, Dictionary<string, string> env)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("AWS_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(name);
        }

        foreach (var (k, v) in env)
        {
            start.Environment[k] = v;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        return new Result(process.ExitCode, await stdout, await stderr);
    }

    private static Dictionary<string, string> Environment(string accessKeyId, string secret) => new()
    {
        ["AWS_ACCESS_KEY_ID"] = accessKeyId,
        ["AWS_SECRET_ACCESS_KEY"] = secret,
        ["AWS_DEFAULT_REGION"] = "us-east-1",
        ["AWS_CONFIG_FILE"] = "/dev/null",
        ["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null",
        ["AWS_PAGER"] = "",
        ["AWS_MAX_ATTEMPTS"] = "1",
        ["AWS_RETRY_MODE"] = "standard",
        ["PYTHONDONTWRITEBYTECODE"] = "1",
    };
}
