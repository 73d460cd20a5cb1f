using System.IO.Compression;
using System.Text.Json;

namespace Kiln.CodeGen.Model;

/// <summary>Reads botocore's <c>data/&lt;service&gt;/&lt;version&gt;/service-2.json</c> (newest version folder).</summary>
public static class ModelLoader
{
    public static ServiceModel Load(string modelsDir, string serviceId)
    {
        var serviceDir = Path.Combine(modelsDir, serviceId);
        if (!Directory.Exists(serviceDir))
        {
            throw new InvalidDataException($"no botocore model folder for '{serviceId}' under {modelsDir}");
        }

        // Version folders are API dates (yyyy-mm-dd), so ordinal order is chronological.
        var version = Directory.GetDirectories(serviceDir)
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(d => File.Exists(Path.Combine(serviceDir, d, "service-2.json"))
                || File.Exists(Path.Combine(serviceDir, d, "service-2.json.gz")))
            .OrderBy(d => d, StringComparer.Ordinal)
            .LastOrDefault()
            ?? throw new InvalidDataException($"no service-2.json under {serviceDir}");

        using var document = JsonDocument.Parse(ReadModelBytes(Path.Combine(serviceDir, version)));
        return Parse(serviceId, version, document.RootElement);
    }

    private static byte[] ReadModelBytes(string versionDir)
    {
        var plain = Path.Combine(versionDir, "service-2.json");
        if (File.Exists(plain))
        {
            return File.ReadAllBytes(plain);
        }

        // Newer botocore releases ship the models gzipped.
        using var gz = new GZipStream(File.OpenRead(plain + ".gz"), CompressionMode.Decompress);
        using var buffer = new MemoryStream();
        gz.CopyTo(buffer);
        return buffer.ToArray();
    }

    private static ServiceModel Parse(string serviceId, string version, JsonElement root)
    {
        var meta = root.GetProperty("metadata");
        var metadata = new ServiceMetadata
        {
            Protocol = Str(meta, "protocol") ?? throw new InvalidDataException($"{serviceId}: metadata.protocol missing"),
            ApiVersion = Str(meta, "apiVersion") ?? version,
            EndpointPrefix = Str(meta, "endpointPrefix") ?? serviceId,
            JsonVersion = Str(meta, "jsonVersion"),
            TargetPrefix = Str(meta, "targetPrefix"),
            SigningName = Str(meta, "signingName"),
            XmlNamespace = Str(meta, "xmlNamespace"),
            GlobalEndpoint = Str(meta, "globalEndpoint"),
        };

        var operations = root.GetProperty("operations").EnumerateObject()
            .Select(p => ParseOperation(serviceId, p.Name, p.Value))
            .OrderBy(o => o.Name, StringComparer.Ordinal)
            .ToList();

        var shapes = new Dictionary<string, ShapeModel>(StringComparer.Ordinal);
        foreach (var p in root.GetProperty("shapes").EnumerateObject())
        {
            shapes.Add(p.Name, ParseShape(p.Name, p.Value));
        }

        return new ServiceModel
        {
            ServiceId = serviceId,
            ApiVersionFolder = version,
            Metadata = metadata,
            Operations = operations,
            Shapes = shapes,
        };
    }

    // Operations clients send unsigned although the model has no authtype: botocore's handlers.py
    // registers disable_signing for them (the caller's proof is in the request itself).
    private static readonly HashSet<(string Service, string Operation)> s_unsignedByClients =
    [
        ("sts", "AssumeRoleWithSAML"),
        ("sts", "AssumeRoleWithWebIdentity"),
    ];

    private static OperationModel ParseOperation(string serviceId, string name, JsonElement op)
    {
        var http = op.GetProperty("http");
        JsonElement input = default, output = default;
        var hasInput = op.TryGetProperty("input", out input);
        var hasOutput = op.TryGetProperty("output", out output);
        var checksumRequired = Bool(op, "httpChecksumRequired")
            || (op.TryGetProperty("httpChecksum", out var checksum) && Bool(checksum, "requestChecksumRequired"));

        return new OperationModel
        {
            Name = name,
            HttpMethod = Str(http, "method") ?? "POST",
            RequestUri = Str(http, "requestUri") ?? "/",
            ResponseCode = http.TryGetProperty("responseCode", out var rc) ? rc.GetInt32() : null,
            InputShape = hasInput ? Str(input, "shape") : null,
            InputLocationName = hasInput ? Str(input, "locationName") : null,
            InputXmlNamespace = hasInput ? XmlNs(input) : null,
            OutputShape = hasOutput ? Str(output, "shape") : null,
            ResultWrapper = hasOutput ? Str(output, "resultWrapper") : null,
            Errors = op.TryGetProperty("errors", out var errors)
                ? errors.EnumerateArray().Select(e => Str(e, "shape")!).ToList()
                : [],
            AuthType = Str(op, "authtype") ?? (s_unsignedByClients.Contains((serviceId, name)) ? "none" : null),
            HttpChecksumRequired = checksumRequired,
            Documentation = Str(op, "documentation"),
        };
    }

    private static ShapeModel ParseShape(string name, JsonElement s)
    {
        var required = s.TryGetProperty("required", out var req)
            ? req.EnumerateArray().Select(r => r.GetString()!).ToHashSet(StringComparer.Ordinal)
            : [];
        var members = s.TryGetProperty("members", out var ms)
            ? ms.EnumerateObject().Select(m => ParseMember(m.Name, m.Value, required.Contains(m.Name))).ToList()
            : [];
        ErrorTrait? error = s.TryGetProperty("error", out var e)
            ? new ErrorTrait(
                Str(e, "code"),
                e.TryGetProperty("httpStatusCode", out var status) ? status.GetInt32() : null,
                e.TryGetProperty("senderFault", out var sender) ? sender.GetBoolean() : null)
            : null;

        return new ShapeModel
        {
            Name = name,
            Type = Str(s, "type") ?? throw new InvalidDataException($"shape '{name}' has no type"),
            Members = members,
            Payload = Str(s, "payload"),
            Exception = Bool(s, "exception"),
            Fault = Bool(s, "fault"),
            Error = error,
            Union = Bool(s, "union"),
            Document = Bool(s, "document"),
            EventStream = Bool(s, "eventstream"),
            Event = Bool(s, "event"),
            Member = Ref(s, "member"),
            Key = Ref(s, "key"),
            Value = Ref(s, "value"),
            Flattened = Bool(s, "flattened"),
            TimestampFormat = Str(s, "timestampFormat"),
            Streaming = Bool(s, "streaming"),
            Enum = s.TryGetProperty("enum", out var en) ? en.EnumerateArray().Select(v => v.GetString()!).ToList() : null,
            Min = s.TryGetProperty("min", out var min) ? min.GetDouble() : null,
            Max = s.TryGetProperty("max", out var max) ? max.GetDouble() : null,
            Pattern = Str(s, "pattern"),
            LocationName = Str(s, "locationName"),
            XmlNamespace = XmlNs(s),
            Documentation = Str(s, "documentation"),
        };
    }

    private static MemberModel ParseMember(string name, JsonElement m, bool required) => new()
    {
        Name = name,
        Target = Str(m, "shape") ?? throw new InvalidDataException($"member '{name}' has no shape"),
        Location = Str(m, "location"),
        LocationName = Str(m, "locationName"),
        QueryName = Str(m, "queryName"),
        Required = required,
        XmlAttribute = Bool(m, "xmlAttribute"),
        XmlNamespace = XmlNs(m),
        Flattened = Bool(m, "flattened"),
        TimestampFormat = Str(m, "timestampFormat"),
        JsonValue = Bool(m, "jsonvalue"),
        HostLabel = Bool(m, "hostLabel"),
        IdempotencyToken = Bool(m, "idempotencyToken"),
        Streaming = Bool(m, "streaming"),
        EventPayload = Bool(m, "eventpayload"),
        Documentation = Str(m, "documentation"),
    };

    private static RefModel? Ref(JsonElement s, string name) =>
        s.TryGetProperty(name, out var r) ? new RefModel(Str(r, "shape")!, Str(r, "locationName")) : null;

    /// <summary><c>xmlNamespace</c> is a plain URI in metadata and <c>{prefix?, uri}</c> on shapes and members.</summary>
    private static XmlNamespaceModel? XmlNs(JsonElement e)
    {
        if (!e.TryGetProperty("xmlNamespace", out var ns))
        {
            return null;
        }

        return ns.ValueKind == JsonValueKind.String
            ? new XmlNamespaceModel(null, ns.GetString()!)
            : new XmlNamespaceModel(Str(ns, "prefix"), Str(ns, "uri") ?? "");
    }

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static bool Bool(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;
}
