using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using Kiln.Core.Shapes;
using Kiln.Protocol.Routing;

namespace Kiln.Protocol.Tests.Codecs;

/// <summary>Every request in fixtures/requests.json is the exact HTTP request botocore sent for a
/// set of parameters (make-fixtures.py). Each one must route to its operation (rest protocols) and
/// parse back into exactly those parameters; a member botocore's handlers add on their own
/// (S3's Content-MD5) is the only extra allowed.</summary>
public sealed class BotocoreRequestTests
{
    private static readonly ConcurrentDictionary<string, RestRouteTable> Routes = new();

    internal static readonly Lazy<Dictionary<string, JsonObject>> Fixtures = new(() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(Http.FixturesDir, "requests.json")))!.AsArray()
            .Select(n => n!.AsObject())
            .ToDictionary(o => (string)o["name"]!, StringComparer.Ordinal));

    public static TheoryData<string> Names() => [.. Fixtures.Value.Keys];

    [Theory]
    [MemberData(nameof(Names))]
    public void BotocoreRequest_ParsesBackToItsParameters(string name) =>
        Check(name, BotocoreModel.Load((string)Fixtures.Value[name]["service"]!));

    /// <summary>Routes and parses fixture <paramref name="name"/> against <paramref name="service"/>
    /// (the botocore-built model here, the generated one in <see cref="GeneratedModelTests"/>).</summary>
    internal static void Check(string name, ServiceInfo service)
    {
        var fixture = Fixtures.Value[name];
        var operation = service.Operations[(string)fixture["operation"]!];
        var headers = fixture["headers"]!.AsArray().Select(h => ((string)h![0]!, (string)h[1]!)).ToList();
        var rawPath = (string)fixture["path"]!;
        var request = Http.Request((string)fixture["method"]!, rawPath, (string)fixture["query"]!, headers);
        var body = Convert.FromBase64String((string)fixture["body_b64"]!);

        IReadOnlyDictionary<string, string> labels = new Dictionary<string, string>();
        switch (service.Protocol)
        {
            case "rest-xml" or "rest-json":
                var table = Routes.GetOrAdd(service.ServiceId + "/" + service.GetHashCode(), _ => new RestRouteTable(service));
                var match = table.Match(request, rawPath);
                Assert.NotNull(match);
                Assert.Equal(operation.Name, match.Operation.Name);
                labels = match.Labels;
                break;
            case "json":
                Assert.Equal($"{service.TargetPrefix}.{operation.Name}", request.Headers["X-Amz-Target"].ToString());
                break;
            case "query":
                Assert.Contains($"Action={operation.Name}&", Encoding.UTF8.GetString(body));
                break;
        }

        // botocore calls every blob payload streaming; Kiln streams only what the model marks
        // streaming (S3 Body) and buffers the rest (InvokeEndpoint, Lambda Invoke: 6 MB max).
        var streaming = operation.StreamingInput;
        using var stream = streaming ? new MemoryStream(body) : null;
        var codec = Http.Codec(service.Protocol);
        var parsed = codec.ParseRequest(operation, request, labels, streaming ? ReadOnlyMemory<byte>.Empty : body, stream);

        var actual = operation.Input is null ? new JsonObject() : ShapeJson.ToJson(parsed, operation.Input)!.AsObject();
        var expected = fixture["expected"]!.AsObject();
        var extraOk = fixture["extra_ok"]!.AsArray().Select(e => (string)e!).ToHashSet(StringComparer.Ordinal);
        foreach (var (key, value) in expected)
        {
            Assert.True(actual.ContainsKey(key), $"{name}: {key} missing from {ShapeJson.Show(actual)}");
            Assert.True(ShapeJson.Same(value, actual[key]),
                $"{name}: {key} expected {ShapeJson.Show(value)} but parsed {ShapeJson.Show(actual[key])}");
        }

        foreach (var (key, value) in actual)
        {
            Assert.True(expected.ContainsKey(key) || extraOk.Contains(key),
                $"{name}: unexpected member {key} = {ShapeJson.Show(value)}");
        }
    }

    [Fact]
    public void Fixtures_CoverEveryProtocol()
    {
        var protocols = Fixtures.Value.Values.Select(f => BotocoreModel.Load((string)f["service"]!).Protocol).ToHashSet();
        Assert.Equal(["json", "query", "rest-json", "rest-xml"], protocols.Order());
    }
}
