using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Kiln.Core.Errors;
using Kiln.Core.Shapes;
using Kiln.Protocol.Errors;

namespace Kiln.Protocol.Tests.Codecs;

/// <summary>Every output and error in fixtures/responses.json is written by Kiln's codec and then
/// handed, as the HTTP response of that very call, to a real botocore client
/// (<c>make-fixtures.py parse</c>): botocore must parse back exactly the output that was written,
/// or raise the error with the code, message, status and fields that were thrown. One python run
/// serves all cases.</summary>
public sealed class BotocoreResponseTests
{
    internal static readonly Lazy<Dictionary<string, JsonObject>> Cases = new(() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(Http.FixturesDir, "responses.json")))!.AsArray()
            .Select(n => n!.AsObject())
            .ToDictionary(o => (string)o["name"]!, StringComparer.Ordinal));

    private static readonly Lazy<Task<Dictionary<string, (JsonObject Written, JsonObject Parsed)>>> Results =
        new(() => RunAllAsync(id => BotocoreModel.Load(id)));

    public static TheoryData<string> Names() => [.. Cases.Value.Keys];

    [Theory]
    [MemberData(nameof(Names))]
    public async Task KilnResponse_BotocoreParsesWhatWasWrittenAsync(string name) =>
        Verify(name, (await Results.Value)[name], BotocoreModel.Load((string)Cases.Value[name]["service"]!));

    /// <summary>Checks what botocore made of case <paramref name="name"/> as written for <paramref name="service"/>.</summary>
    internal static void Verify(string name, (JsonObject Written, JsonObject Parsed) result, ServiceInfo service)
    {
        var (written, parsed) = result;
        var fixture = Cases.Value[name];
        var operation = service.Operations[(string)fixture["operation"]!];
        var body = Encoding.UTF8.GetString(Convert.FromBase64String((string)written["body_b64"]!));
        var context = $"{name}: wrote {written["status"]} {body[..Math.Min(body.Length, 600)]}";

        Assert.False(parsed.ContainsKey("exception"), $"{context}\nbotocore failed: {parsed["exception"]}");
        Assert.Equal(RequestId(name), (string?)parsed["request_id"]);

        if (fixture["error"] is JsonObject error)
        {
            Assert.True(parsed["error"] is JsonObject, $"{context}\nbotocore parsed no error: {ShapeJson.Show(parsed)}");
            var (code, message, status) = ExpectedError(service, operation, error);
            var got = parsed["error"]!.AsObject();
            Assert.Equal(status, (int)parsed["status"]!);
            Assert.Equal(code, (string?)got["Code"]);
            Assert.Equal(message, (string?)got["Message"]);
            if (service.Protocol == "query")
            {
                var sender = error["sender_fault"] is not JsonValue v || (bool)v;
                Assert.Equal(sender ? "Sender" : "Receiver", (string?)got["Type"]);
            }

            if (error["fields"] is JsonObject fields && operation.HttpMethod != "HEAD")
            {
                // S3 puts the fields inside <Error>; JSON services beside the message, which
                // botocore hands out as the modeled exception's members.
                var where = service.Protocol == "rest-xml" ? got : parsed["modeled"]!.AsObject();
                foreach (var (field, value) in fields)
                {
                    Assert.Equal((string?)value, (string?)where[field]);
                }
            }

            return;
        }

        Assert.True(parsed["output"] is JsonObject, $"{context}\nbotocore raised {ShapeJson.Show(parsed["error"])}");
        var expectedStatus = fixture["output"]?["StatusCode"] is JsonValue sc && operation.Output?.FindMember("StatusCode")?.Location == MemberLocation.StatusCode
            ? (int)sc
            : operation.ResponseCode;
        Assert.Equal(expectedStatus, (int)parsed["status"]!);
        var expected = fixture["output"] as JsonObject ?? new JsonObject();
        Assert.True(ShapeJson.Same(expected, parsed["output"]),
            $"{context}\nexpected {ShapeJson.Show(expected)}\nbotocore {ShapeJson.Show(parsed["output"])}");
    }

    private static string RequestId(string name) => "req-" + name;

    private static (string Code, string Message, int Status) ExpectedError(ServiceInfo service, OperationInfo operation,
        JsonObject error)
    {
        if (operation.HttpMethod == "HEAD")
        {
            // No body on HEAD: botocore names the error after the status (as it does for AWS).
            var status = (int?)error["status"] ?? 400;
            return (status.ToString(System.Globalization.CultureInfo.InvariantCulture), "Not Found", status);
        }

        if (error["not_implemented"] is JsonValue ni && (bool)ni)
        {
            var message = $"{service.ServiceId} {operation.Name} is not implemented in Kiln yet";
            return service.Protocol switch
            {
                "query" => ("InvalidAction", $"Could not find operation {operation.Name} for version {service.ApiVersion}", 400),
                "rest-xml" => ("NotImplemented", message, 501),
                _ => ("UnknownOperationException", message, 400),
            };
        }

        var code = (string)error["code"]!;
        var expectedStatus = (int?)error["status"] ?? (service.ErrorShapes.TryGetValue(code, out var s) ? s.Error!.HttpStatusCode : 400);
        return (code, (string)error["message"]!, expectedStatus);
    }

    internal static AwsException BuildError(ServiceInfo service, OperationInfo operation, JsonObject error)
    {
        if (error["not_implemented"] is JsonValue ni && (bool)ni)
        {
            return AwsException.NotImplemented(service.ServiceId, operation.Name);
        }

        var e = new AwsException((string)error["code"]!, (string)error["message"]!, (int?)error["status"])
        {
            SenderFault = error["sender_fault"] is not JsonValue sf || (bool)sf,
        };
        if (error["fields"] is JsonObject fields)
        {
            foreach (var (k, v) in fields)
            {
                e.Fields[k] = (string)v!;
            }
        }

        return e;
    }

    /// <summary>Writes every case the <paramref name="load"/>ed models have (null: not generated) and
    /// has botocore parse them all in one python run.</summary>
    internal static async Task<Dictionary<string, (JsonObject, JsonObject)>> RunAllAsync(Func<string, ServiceInfo?> load)
    {
        var written = new List<(string Name, JsonObject Case)>();
        foreach (var (name, fixture) in Cases.Value)
        {
            var service = load((string)fixture["service"]!);
            if (service is null || !service.Operations.TryGetValue((string)fixture["operation"]!, out var operation)
                || (fixture["output"] is JsonObject && operation.Output is null))
            {
                continue;
            }

            var codec = Http.Codec(service.Protocol);
            var response = Http.Response(operation.HttpMethod);
            RequestIdHeaders.Write(response, service.Protocol, RequestId(name));
            if (fixture["error"] is JsonObject error)
            {
                await codec.WriteErrorAsync(service, operation, BuildError(service, operation, error), response,
                    RequestId(name), CancellationToken.None);
            }
            else
            {
                var output = operation.Output is null ? null : ShapeJson.FromJson(fixture["output"], operation.Output);
                await codec.WriteResponseAsync(operation, output, response, RequestId(name), CancellationToken.None);
            }

            await response.BodyWriter.FlushAsync();
            var headers = new JsonArray();
            foreach (var (k, v) in response.Headers)
            {
                headers.Add(new JsonArray(k, v.ToString()));
            }

            written.Add((name, new JsonObject
            {
                ["service"] = service.ServiceId,
                ["operation"] = operation.Name,
                ["params"] = fixture["call_params"]!.DeepClone(),
                ["status"] = response.StatusCode,
                ["headers"] = headers,
                ["body_b64"] = Convert.ToBase64String(Http.Body(response)),
            }));
        }

        var input = new JsonArray(written.Select(w => (JsonNode)w.Case.DeepClone()).ToArray());
        var stdout = await RunPythonAsync(input.ToJsonString());
        var parsed = JsonNode.Parse(stdout)!.AsArray();
        Assert.Equal(written.Count, parsed.Count);
        return written.Select((w, i) => (w.Name, w.Case, Parsed: parsed[i]!.AsObject()))
            .ToDictionary(x => x.Name, x => (x.Case, x.Parsed), StringComparer.Ordinal);
    }

    internal static async Task<string> RunPythonAsync(string stdin)
    {
        var start = new ProcessStartInfo("/usr/bin/python3", [Http.ScriptPath, "parse"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"make-fixtures.py parse failed: {await stderr}");
        return await stdout;
    }
}
