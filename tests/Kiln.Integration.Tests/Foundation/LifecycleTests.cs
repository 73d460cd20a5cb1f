using System.Text.Json;
using Kiln.Core;
using Kiln.Storage;
using Kiln.Storage.Audit;

namespace Kiln.Integration.Tests.Foundation;

/// <summary>State that must survive: root credentials across restarts, accounts made from the CLI
/// beside a running server, and the audit trail of every request.</summary>
public sealed class LifecycleTests
{
    [Fact]
    public async Task RootCredentials_AfterRestart_StillWork()
    {
        await using var server = await KilnServer.StartAsync();
        var before = await Clients.AwsAsync(server, "sts", "get-caller-identity");
        Assert.True(before.ExitCode == 0, before.ToString());

        await server.RestartAsync();

        Assert.Equal(0, server.ExitCode);
        var after = await Clients.AwsAsync(server, "sts", "get-caller-identity");
        Assert.True(after.ExitCode == 0, after.ToString());
        Assert.Equal(JsonDocument.Parse(before.Stdout).RootElement.GetProperty("Account").GetString(),
            JsonDocument.Parse(after.Stdout).RootElement.GetProperty("Account").GetString());
    }

    [Fact]
    public async Task RootCredentials_FromEnvironment_AreTheRootKey()
    {
        var env = new Dictionary<string, string>
        {
            [KilnServer.RootKeyVariable] = "AKIAKILNTESTROOT0001",
            [KilnServer.RootSecretVariable] = "kiln-test-secret-0000000000000000000000",
        };
        await using var server = await KilnServer.StartAsync(environment: env);

        var result = await Clients.AwsAsync(server, "sts", "get-caller-identity");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.False(File.Exists(Path.Combine(server.DataDir, "root-credentials")));
    }

    [Fact]
    public async Task RootCredentialsFile_IsOwnerOnly()
    {
        await using var server = await KilnServer.StartAsync();

        var mode = File.GetUnixFileMode(Path.Combine(server.DataDir, "root-credentials"));

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
    }

    [Fact]
    public async Task AccountsCreate_WhileServerRuns_KeysWorkAndAccountsAreIsolated()
    {
        await using var server = await KilnServer.StartAsync();

        var created = await Clients.KilnAsync("accounts", "create", "--name", "team-b", "--access-key-id",
            "AKIATEAMB00000000001", "--secret-access-key", "team-b-secret-000000000000000000000000", "--data-dir",
            server.DataDir);
        Assert.True(created.ExitCode == 0, created.ToString());

        var asTeamB = await Clients.AwsAsAsync(server, "AKIATEAMB00000000001", "team-b-secret-000000000000000000000000",
            "sts", "get-caller-identity");
        var asRoot = await Clients.AwsAsync(server, "sts", "get-caller-identity");
        Assert.True(asTeamB.ExitCode == 0, asTeamB.ToString());
        var teamBAccount = JsonDocument.Parse(asTeamB.Stdout).RootElement.GetProperty("Account").GetString();
        Assert.NotEqual(JsonDocument.Parse(asRoot.Stdout).RootElement.GetProperty("Account").GetString(), teamBAccount);

        var list = await Clients.KilnAsync("accounts", "list", "--data-dir", server.DataDir);
        Assert.Contains("team-b", list.Stdout);
        Assert.Contains(teamBAccount!, list.Stdout);
        Assert.Contains("root", list.Stdout);

        var duplicate = await Clients.KilnAsync("accounts", "create", "--name", "team-b", "--data-dir", server.DataDir);
        Assert.Equal(1, duplicate.ExitCode);
        Assert.Contains("already exists", duplicate.Stderr);
    }

    [Fact]
    public async Task EveryRequest_AcceptedOrRejected_IsAudited_WithoutSecrets()
    {
        await using var server = await KilnServer.StartAsync();
        var ok = await Clients.AwsAsync(server, "sts", "get-caller-identity");
        var bad = await Clients.AwsAsAsync(server, server.AccessKeyId, "wrong-secret-0000000000000000000000000000",
            "sts", "get-caller-identity");
        Assert.Equal(0, ok.ExitCode);
        Assert.NotEqual(0, bad.ExitCode);

        await server.StopAsync();

        var log = new FileAuditLog(new DataDirectory(server.DataDir).AuditDirectory);
        await using (log)
        {
            var events = await log.ListAsync(null, null, 100, CancellationToken.None);
            Assert.Contains(events, e => e.Operation == "GetCallerIdentity" && e.HttpStatus == 200 && e.ErrorCode is null
                                         && e.PrincipalArn!.EndsWith(":root", StringComparison.Ordinal));
            Assert.Contains(events, e => e.Service == "sts" && e.ErrorCode == "SignatureDoesNotMatch" && e.HttpStatus == 403);
            Assert.All(events, e => Assert.Contains("aws-cli", e.UserAgent));
        }

        // Only the root-credentials file, written for the user on purpose, may hold the secret.
        foreach (var file in Directory.GetFiles(server.DataDir, "*", SearchOption.AllDirectories)
                     .Where(f => Path.GetFileName(f) != "root-credentials"))
        {
            var text = System.Text.Encoding.ASCII.GetString(await File.ReadAllBytesAsync(file));
            Assert.DoesNotContain(server.SecretAccessKey, text);
        }
    }

    [Fact]
    public async Task Sigterm_DrainsAndExitsCleanly()
    {
        await using var server = await KilnServer.StartAsync();

        await server.StopAsync();

        Assert.Equal(0, server.ExitCode);
    }
}
