using System.Text.Json;

namespace Kiln.Integration.Tests.Security;

/// <summary>Temporary credentials work until they expire, then fail with ExpiredToken (issue 4).
/// The server runs with KILN_SESSION_TIME_SCALE so a 900 s session lasts 18 s.</summary>
public sealed class StsExpiryTests : IAsyncLifetime
{
    private KilnServer _server = null!;

    public async Task InitializeAsync() => _server = await KilnServer.StartAsync(
        environment: new Dictionary<string, string> { ["KILN_SESSION_TIME_SCALE"] = "0.02" });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task AssumeRole_CredentialsWorkUntilExpiration_ThenExpiredToken()
    {
        var who = await Clients.AwsAsync(_server, "sts", "get-caller-identity");
        using var whoJson = JsonDocument.Parse(who.Stdout);
        var account = whoJson.RootElement.GetProperty("Account").GetString();
        var role = "expiring" + Guid.NewGuid().ToString("N")[..8];
        var trust = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::ACCOUNT:root"},"Action":"sts:AssumeRole"}]}"""
            .Replace("ACCOUNT", account, StringComparison.Ordinal);
        var created = await Clients.AwsAsync(_server, "iam", "create-role", "--role-name", role, "--assume-role-policy-document", trust);
        Assert.True(created.ExitCode == 0, created.ToString());

        var assumed = await Clients.AwsAsync(_server, "sts", "assume-role", "--role-arn", $"arn:aws:iam::{account}:role/{role}",
            "--role-session-name", "short", "--duration-seconds", "900");
        Assert.True(assumed.ExitCode == 0, assumed.ToString());
        using var json = JsonDocument.Parse(assumed.Stdout);
        var creds = json.RootElement.GetProperty("Credentials");
        var expiration = DateTimeOffset.Parse(creds.GetProperty("Expiration").GetString()!);
        // 900 s × 0.02: the Expiration the client sees is the real one.
        Assert.InRange(expiration - DateTimeOffset.UtcNow, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(19));
        var before = await Clients.AwsWithSessionAsync(_server, creds, "sts", "get-caller-identity");
        var wait = expiration - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(1);
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }

        var after = await Clients.AwsWithSessionAsync(_server, creds, "sts", "get-caller-identity");

        Assert.True(before.ExitCode == 0, "the call before expiry must work (a slow machine took the whole 18 s?): " + before);
        Assert.Contains($"assumed-role/{role}/short", before.Stdout);
        Assert.NotEqual(0, after.ExitCode);
        Assert.Contains("(ExpiredToken)", after.Stderr);
    }
}
