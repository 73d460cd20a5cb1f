using System.Text.Json;

namespace Kiln.Integration.Tests.Foundation;

/// <summary>The shared API probe, run against a real server: every listed operation must be
/// classified IMPLEMENTED or NOT_IMPLEMENTED, never unreachable, timed out or unparseable.</summary>
public sealed class ApiProbeTests
{
    private static string Probe => Path.Combine(KilnServer.RepoRoot, "..", "shared", "tools", "api-probe", "probe");

    [Fact]
    public async Task Probe_EveryOperation_IsClassified()
    {
        Assert.True(File.Exists(Probe), $"{Probe} is missing: ../shared must sit beside the repository");
        await using var server = await KilnServer.StartAsync();
        var report = Path.Combine(server.DataDir, "probe.json");

        var result = await Clients.RunAsync("/usr/bin/python3",
            [Probe, "--endpoint", server.Endpoint, "--access-key", server.AccessKeyId, "--secret-key",
                server.SecretAccessKey, "--workers", "4", "--report", report],
            new Dictionary<string, string>());

        Assert.True(result.ExitCode == 0, result.ToString());
        var rows = ReadRows(report);
        Assert.NotEmpty(rows);
        var bad = rows.Where(r => r.Result is not ("IMPLEMENTED" or "NOT_IMPLEMENTED")).ToList();
        Assert.True(bad.Count == 0, "unclassified: " + string.Join(", ", bad.Select(r => $"{r.Service}.{r.Operation}={r.Result}")));
        Assert.Contains(rows, r => r is { Service: "sts", Operation: "GetCallerIdentity", Result: "IMPLEMENTED" });
    }

    private sealed record Row(string Service, string Operation, string Result);

    // The report is {"results": {service: {operation: {"priority", "status", "detail"}}}}.
    private static List<Row> ReadRows(string path)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(path));
        var rows = new List<Row>();
        foreach (var service in json.RootElement.GetProperty("results").EnumerateObject())
        {
            foreach (var operation in service.Value.EnumerateObject())
            {
                rows.Add(new Row(service.Name, operation.Name, operation.Value.GetProperty("status").GetString()!));
            }
        }

        return rows;
    }
}
