using System.Collections.Concurrent;
using System.Text.Json;
using Kiln.Core.Shapes;

namespace Kiln.Protocol.Tests.Codecs;

/// <summary>Builds <see cref="ServiceInfo"/> trees straight from Debian's botocore models, the same
/// files Kiln.CodeGen reads, with <see cref="Bag"/> objects standing in for the generated classes.
/// This lets the codec tests run against every member name and trait of the real models (not a
/// hand-copied fragment) before, and independently of, the generated code. It mirrors how the
/// generator fills the metadata: member-ref traits on <see cref="MemberInfo"/>, shape traits on
/// <see cref="ShapeInfo"/>, error codes from <c>error.code</c> else the shape name.</summary>
internal static class BotocoreModel
{
    public const string DataRoot = "/usr/lib/python3/dist-packages/botocore/data";

    private static readonly ConcurrentDictionary<string, ServiceInfo> Cache = new();

    public static ServiceInfo Load(string serviceId) => Cache.GetOrAdd(serviceId, Build);

    private static ServiceInfo Build(string serviceId)
    {
        var dir = Directory.GetDirectories(Path.Combine(DataRoot, serviceId)).OrderBy(d => d, StringComparer.Ordinal).Last();
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "service-2.json")));
        var root = doc.RootElement;
        var meta = root.GetProperty("metadata");
        var service = new ServiceInfo(serviceId)
        {
            Protocol = meta.GetProperty("protocol").GetString()!,
            ApiVersion = meta.GetProperty("apiVersion").GetString()!,
            JsonVersion = Str(meta, "jsonVersion"),
            TargetPrefix = Str(meta, "targetPrefix"),
            EndpointPrefix = Str(meta, "endpointPrefix") ?? serviceId,
            XmlNamespace = Str(meta, "xmlNamespace"),
            GlobalEndpoint = meta.TryGetProperty("globalEndpoint", out _),
        };
        service.SigningName = Str(meta, "signingName") ?? service.EndpointPrefix;

        var shapesJson = root.GetProperty("shapes");
        var shapes = new Dictionary<string, ShapeInfo>(StringComparer.Ordinal);
        foreach (var s in shapesJson.EnumerateObject())
        {
            shapes[s.Name] = new ShapeInfo(s.Name, TypeOf(s.Value.GetProperty("type").GetString()!));
        }

        foreach (var s in shapesJson.EnumerateObject())
        {
            Fill(shapes[s.Name], s.Value, shapes);
        }

        var operations = new Dictionary<string, OperationInfo>(StringComparer.Ordinal);
        foreach (var o in root.GetProperty("operations").EnumerateObject())
        {
            var http = o.Value.GetProperty("http");
            var op = new OperationInfo(o.Name, service)
            {
                HttpMethod = Str(http, "method") ?? "POST",
                RequestUri = Str(http, "requestUri") ?? "/",
                ResponseCode = http.TryGetProperty("responseCode", out var rc) ? rc.GetInt32() : 200,
                AuthType = Str(o.Value, "authtype"),
                HttpChecksumRequired = o.Value.TryGetProperty("httpChecksumRequired", out var hcr) && hcr.GetBoolean(),
            };
            if (o.Value.TryGetProperty("input", out var input))
            {
                op.Input = shapes[input.GetProperty("shape").GetString()!];
                op.Input.LocationName ??= Str(input, "locationName");
                if (input.TryGetProperty("xmlNamespace", out var ns))
                {
                    op.Input.XmlNamespace ??= Str(ns, "uri");
                }
            }

            if (o.Value.TryGetProperty("output", out var output))
            {
                op.Output = shapes[output.GetProperty("shape").GetString()!];
                op.ResultWrapper = Str(output, "resultWrapper");
            }

            if (o.Value.TryGetProperty("errors", out var errors))
            {
                op.Errors = errors.EnumerateArray().Select(e => shapes[e.GetProperty("shape").GetString()!]).ToArray();
            }

            operations[o.Name] = op;
        }

        service.Operations = operations;
        service.ErrorShapes = shapes.Values.Where(s => s.Error is not null)
            .GroupBy(s => s.Error!.Code, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        return service;
    }

    private static void Fill(ShapeInfo shape, JsonElement json, Dictionary<string, ShapeInfo> shapes)
    {
        shape.LocationName = Str(json, "locationName");
        if (json.TryGetProperty("xmlNamespace", out var ns))
        {
            shape.XmlNamespace = ns.ValueKind == JsonValueKind.String ? ns.GetString() : Str(ns, "uri");
        }

        shape.Flattened = Bool(json, "flattened");
        shape.TimestampFormat = Str(json, "timestampFormat");
        shape.Streaming |= Bool(json, "streaming");
        shape.Pattern = Str(json, "pattern");
        if (json.TryGetProperty("min", out var min) && min.TryGetInt64(out var mn))
        {
            shape.Min = mn;
        }

        if (json.TryGetProperty("max", out var max) && max.TryGetInt64(out var mx))
        {
            shape.Max = mx;
        }

        if (json.TryGetProperty("enum", out var en))
        {
            shape.Enum = en.EnumerateArray().Select(e => e.GetString()!).ToArray();
        }

        switch (shape.Type)
        {
            case ShapeType.Structure:
                var required = json.TryGetProperty("required", out var req)
                    ? req.EnumerateArray().Select(r => r.GetString()!).ToHashSet(StringComparer.Ordinal)
                    : [];
                var members = new List<MemberInfo>();
                foreach (var m in json.GetProperty("members").EnumerateObject())
                {
                    var name = m.Name;
                    var member = new MemberInfo(name, shapes[m.Value.GetProperty("shape").GetString()!],
                        o => ((Bag)o).GetValueOrDefault(name), (o, v) => ((Bag)o)[name] = v)
                    {
                        Location = Str(m.Value, "location") switch
                        {
                            "header" => MemberLocation.Header,
                            "headers" => MemberLocation.Headers,
                            "uri" => MemberLocation.Uri,
                            "querystring" => MemberLocation.QueryString,
                            "statusCode" => MemberLocation.StatusCode,
                            _ => MemberLocation.Body,
                        },
                        LocationName = Str(m.Value, "locationName"),
                        QueryName = Str(m.Value, "queryName"),
                        Required = required.Contains(name),
                        XmlAttribute = Bool(m.Value, "xmlAttribute"),
                        Flattened = Bool(m.Value, "flattened"),
                        TimestampFormat = Str(m.Value, "timestampFormat"),
                        JsonValue = Bool(m.Value, "jsonvalue"),
                        HostLabel = Bool(m.Value, "hostLabel"),
                        IdempotencyToken = Bool(m.Value, "idempotencyToken"),
                    };
                    // S3 marks its shared Body blob streaming on the member reference only.
                    if (Bool(m.Value, "streaming"))
                    {
                        member.Shape.Streaming = true;
                    }

                    if (m.Value.TryGetProperty("xmlNamespace", out var mns))
                    {
                        member.XmlNamespaceUri = Str(mns, "uri");
                        member.XmlNamespacePrefix = Str(mns, "prefix");
                    }

                    members.Add(member);
                }

                shape.Members = [.. members];
                shape.Payload = Str(json, "payload");
                shape.IsUnion = Bool(json, "union");
                shape.IsDocument = Bool(json, "document");
                shape.Create = () => new Bag();
                if (Bool(json, "exception"))
                {
                    var error = json.TryGetProperty("error", out var e) ? e : default;
                    shape.Error = new ErrorInfo(
                        error.ValueKind == JsonValueKind.Object ? Str(error, "code") ?? shape.Name : shape.Name,
                        error.ValueKind == JsonValueKind.Object && error.TryGetProperty("httpStatusCode", out var sc) ? sc.GetInt32() : 400,
                        error.ValueKind == JsonValueKind.Object && Bool(error, "senderFault"));
                }

                break;
            case ShapeType.List:
                var item = json.GetProperty("member");
                shape.Member = new ShapeRef(shapes[item.GetProperty("shape").GetString()!], Str(item, "locationName"));
                shape.CreateList = () => new List<object?>();
                break;
            case ShapeType.Map:
                var key = json.GetProperty("key");
                var value = json.GetProperty("value");
                shape.Key = new ShapeRef(shapes[key.GetProperty("shape").GetString()!], Str(key, "locationName"));
                shape.Value = new ShapeRef(shapes[value.GetProperty("shape").GetString()!], Str(value, "locationName"));
                shape.CreateMap = () => new Dictionary<string, object?>(StringComparer.Ordinal);
                break;
        }
    }

    private static ShapeType TypeOf(string type) => type switch
    {
        "structure" => ShapeType.Structure,
        "list" => ShapeType.List,
        "map" => ShapeType.Map,
        "string" or "character" => ShapeType.String,
        "integer" => ShapeType.Integer,
        "long" => ShapeType.Long,
        "float" => ShapeType.Float,
        "double" => ShapeType.Double,
        "boolean" => ShapeType.Boolean,
        "timestamp" => ShapeType.Timestamp,
        "blob" => ShapeType.Blob,
        _ => throw new NotSupportedException(type),
    };

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
            ? v.GetString()
            : null;

    private static bool Bool(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;
}

/// <summary>Stands in for a generated shape class: member name → value.</summary>
internal sealed class Bag : Dictionary<string, object?>
{
    public Bag()
        : base(StringComparer.Ordinal)
    {
    }
}
