using Kiln.CodeGen.Model;

namespace Kiln.CodeGen.Emit;

/// <summary>Writes <c>&lt;Pascal&gt;Model.cs</c> (+ <c>&lt;Pascal&gt;Model.N.cs</c> pages): a static class that builds
/// the service's ServiceInfo on first use. Every ShapeInfo is created first and linked second, because
/// shapes refer to each other recursively. The work is split into methods of moderate size so the JIT
/// never gets one giant method, and a service nobody calls is never built.</summary>
public static class ModelEmitter
{
    private const string Shapes = "global::Kiln.Core.Shapes";
    private const int ShapesPerMethod = 200;
    private const int MembersPerMethod = 150;
    private const int OperationsPerMethod = 100;

    public const string ShapesNamespace = Shapes;

    public static IEnumerable<SourceFile> Emit(ServicePlan plan, string botocoreVersion)
    {
        var createChunks = plan.Nodes.Chunk(ShapesPerMethod).ToList();
        var linkChunks = ChunkByMembers(plan.Nodes.Where(n => NeedsLink(n.Shape)));
        var opChunks = plan.Model.Operations.Chunk(OperationsPerMethod).ToList();

        var methods = new List<List<string>>();
        methods.AddRange(createChunks.Select((c, i) => CreateMethod(plan, $"CreateShapes{i + 1}", c)));
        methods.AddRange(linkChunks.Select((c, i) => LinkEmitter.LinkMethod(plan, $"LinkShapes{i + 1}", c)));
        methods.AddRange(opChunks.Select((c, i) => OperationsMethod(plan, $"AddOperations{i + 1}", c)));
        methods.AddRange(plan.Classes.Where(c => c.Properties.Count > 0).SelectMany(c => LinkEmitter.AccessorMethods(c)));

        var main = MainBlock(plan, createChunks.Count, linkChunks.Count, opChunks.Count);
        var header = Source.Header(botocoreVersion, plan.Namespace);
        var classLine = $"public static partial class {plan.ModelClass}";
        var pages = Source.Pack(methods, Source.MaxLinesPerFile - header.Count - 3, main.Count);
        for (var i = 0; i < pages.Count; i++)
        {
            var lines = new List<string>(header);
            if (i == 0)
            {
                lines.Add($"/// <summary>Run-time model of <c>{plan.ServiceId}</c> ({plan.Model.Metadata.ApiVersion}): the HTTP binding of every");
                lines.Add("/// operation, and the shapes of the operations listed in api-coverage.json.</summary>");
            }

            lines.Add(classLine);
            lines.Add("{");
            if (i == 0)
            {
                lines.AddRange(main);
                lines.Add("");
            }

            foreach (var method in pages[i])
            {
                lines.AddRange(method);
                lines.Add("");
            }

            if (lines[^1].Length == 0)
            {
                lines.RemoveAt(lines.Count - 1);
            }

            lines.Add("}");
            var name = i == 0 ? $"{plan.ModelClass}.cs" : $"{plan.ModelClass}.{i + 1}.cs";
            yield return Source.File($"{plan.Pascal}/{name}", lines);
        }
    }

    private static bool NeedsLink(ShapeModel shape) =>
        shape.Type is "list" or "map" || (shape.IsStructure && shape.Members.Count > 0);

    private static List<List<ShapeNode>> ChunkByMembers(IEnumerable<ShapeNode> nodes)
    {
        var chunks = new List<List<ShapeNode>> { new() };
        var count = 0;
        foreach (var node in nodes)
        {
            var weight = Math.Max(1, node.Shape.Members.Count);
            if (count > 0 && count + weight > MembersPerMethod)
            {
                chunks.Add([]);
                count = 0;
            }

            chunks[^1].Add(node);
            count += weight;
        }

        return chunks[0].Count == 0 ? [] : chunks;
    }

    private static List<string> MainBlock(ServicePlan plan, int creates, int links, int ops)
    {
        var meta = plan.Model.Metadata;
        var lines = new List<string>
        {
            $"    private const int ShapeCount = {plan.Nodes.Count};",
            "",
            $"    private static readonly global::System.Lazy<{Shapes}.ServiceInfo> LazyService = new(Build);",
            "",
            "    /// <summary>Built on first access, once (thread-safe); every later access returns the same instance.</summary>",
            $"    public static {Shapes}.ServiceInfo Service => LazyService.Value;",
            "",
            $"    private static {Shapes}.ServiceInfo Build()",
            "    {",
            $"        var s = new {Shapes}.ShapeInfo[ShapeCount];",
        };
        for (var i = 1; i <= creates; i++)
        {
            lines.Add($"        CreateShapes{i}(s);");
        }

        for (var i = 1; i <= links; i++)
        {
            lines.Add($"        LinkShapes{i}(s);");
        }

        lines.Add($"        var service = new {Shapes}.ServiceInfo({Naming.Literal(plan.ServiceId)})");
        lines.Add("        {");
        lines.Add($"            Protocol = {Naming.Literal(meta.Protocol)},");
        lines.Add($"            ApiVersion = {Naming.Literal(meta.ApiVersion)},");
        lines.Add($"            JsonVersion = {Nullable(meta.JsonVersion)},");
        lines.Add($"            TargetPrefix = {Nullable(meta.TargetPrefix)},");
        lines.Add($"            SigningName = {Naming.Literal(meta.SigningName ?? meta.EndpointPrefix)},");
        lines.Add($"            EndpointPrefix = {Naming.Literal(meta.EndpointPrefix)},");
        lines.Add($"            XmlNamespace = {Nullable(plan.XmlNamespace)},");
        lines.Add($"            GlobalEndpoint = {Naming.Literal(meta.GlobalEndpoint is not null)},");
        lines.Add("        };");
        lines.Add($"        var operations = new global::System.Collections.Generic.Dictionary<string, {Shapes}.OperationInfo>({plan.Model.Operations.Count}, global::System.StringComparer.Ordinal);");
        for (var i = 1; i <= ops; i++)
        {
            lines.Add($"        AddOperations{i}(service, s, operations);");
        }

        lines.Add("        service.Operations = operations;");
        lines.Add($"        service.ErrorShapes = new global::System.Collections.Generic.Dictionary<string, {Shapes}.ShapeInfo>({plan.Errors.Count}, global::System.StringComparer.Ordinal)");
        lines.Add("        {");
        foreach (var error in plan.Errors)
        {
            lines.Add($"            [{Naming.Literal(error.Code)}] = s[{error.Node.Index}],");
        }

        lines.Add("        };");
        lines.Add("        return service;");
        lines.Add("    }");
        return lines;
    }

    private static List<string> CreateMethod(ServicePlan plan, string name, IEnumerable<ShapeNode> nodes)
    {
        var lines = new List<string>
        {
            $"    private static void {name}({Shapes}.ShapeInfo[] s)",
            "    {",
        };
        foreach (var node in nodes)
        {
            var init = ShapeInitializer(plan, node);
            var type = $"{Shapes}.ShapeType.{TypeName(node.Shape.Type)}";
            lines.Add($"        s[{node.Index}] = new({Naming.Literal(node.Shape.Name)}, {type})"
                + (init.Count == 0 ? ";" : $" {{ {string.Join(", ", init)} }};"));
        }

        lines.Add("    }");
        return lines;
    }

    private static List<string> ShapeInitializer(ServicePlan plan, ShapeNode node)
    {
        var shape = node.Shape;
        var init = new List<string>();
        if (node.Class is { } cls)
        {
            init.Add($"Create = static () => new {cls.FullName}()");
        }

        if (shape.Payload is not null)
        {
            init.Add($"Payload = {Naming.Literal(shape.Payload)}");
        }

        if (shape.IsException)
        {
            var error = ServicePlan.ErrorOf(shape);
            init.Add($"Error = new {Shapes}.ErrorInfo({Naming.Literal(error.Code)}, {error.Status}, {Naming.Literal(error.SenderFault)})");
        }

        if (shape.Union)
        {
            init.Add("IsUnion = true");
        }

        if (shape.Document)
        {
            init.Add("IsDocument = true");
        }

        if (shape.Flattened)
        {
            init.Add("Flattened = true");
        }

        if (shape.Type == "list")
        {
            init.Add($"CreateList = static () => new {plan.TypeOf(node, nullable: false)}()");
        }

        if (shape.Type == "map")
        {
            init.Add($"CreateMap = static () => new {plan.TypeOf(node, nullable: false)}()");
        }

        if (shape.TimestampFormat is not null)
        {
            init.Add($"TimestampFormat = {Naming.Literal(shape.TimestampFormat)}");
        }

        if (node.Streaming)
        {
            init.Add("Streaming = true");
        }

        if (shape.Enum is { } values)
        {
            init.Add($"Enum = [{string.Join(", ", values.Select(Naming.Literal))}]");
        }

        if (AsLong(shape.Min) is { } min)
        {
            init.Add($"Min = {Naming.Literal(min)}");
        }

        if (AsLong(shape.Max) is { } max)
        {
            init.Add($"Max = {Naming.Literal(max)}");
        }

        if (shape.Pattern is not null)
        {
            init.Add($"Pattern = {Naming.Literal(shape.Pattern)}");
        }

        if ((shape.LocationName ?? node.InputLocationName) is { } locationName)
        {
            init.Add($"LocationName = {Naming.Literal(locationName)}");
        }

        if ((shape.XmlNamespace ?? node.InputXmlNamespace) is { } ns)
        {
            init.Add($"XmlNamespace = {Naming.Literal(ns.Uri)}");
        }

        return init;
    }

    private static long? AsLong(double? value) =>
        value is { } v && v == Math.Floor(v) && Math.Abs(v) <= long.MaxValue / 2 ? (long)v : null;

    private static List<string> OperationsMethod(ServicePlan plan, string name, IEnumerable<OperationModel> operations)
    {
        var lines = new List<string>
        {
            $"    private static void {name}({Shapes}.ServiceInfo service, {Shapes}.ShapeInfo[] s, global::System.Collections.Generic.Dictionary<string, {Shapes}.OperationInfo> operations)",
            "    {",
        };
        foreach (var op in operations)
        {
            var init = new List<string>
            {
                $"HttpMethod = {Naming.Literal(op.HttpMethod)}",
                $"RequestUri = {Naming.Literal(op.RequestUri)}",
            };
            if (op.ResponseCode is { } code && code != 200)
            {
                init.Add($"ResponseCode = {code}");
            }

            if (plan.IsListed(op))
            {
                if (op.InputShape is not null)
                {
                    init.Add($"Input = s[{plan.Node(op.InputShape).Index}]");
                }

                if (op.OutputShape is not null)
                {
                    init.Add($"Output = s[{plan.Node(op.OutputShape).Index}]");
                }

                if (op.Errors.Count > 0)
                {
                    init.Add($"Errors = [{string.Join(", ", op.Errors.Select(e => $"s[{plan.Node(e).Index}]"))}]");
                }
            }

            if (op.ResultWrapper is not null)
            {
                init.Add($"ResultWrapper = {Naming.Literal(op.ResultWrapper)}");
            }

            if (op.AuthType is not null)
            {
                init.Add($"AuthType = {Naming.Literal(op.AuthType)}");
            }

            if (op.HttpChecksumRequired)
            {
                init.Add("HttpChecksumRequired = true");
            }

            var literal = Naming.Literal(op.Name);
            lines.Add($"        operations.Add({literal}, new({literal}, service) {{ {string.Join(", ", init)} }});");
        }

        lines.Add("    }");
        return lines;
    }

    private static string TypeName(string botocoreType) => botocoreType switch
    {
        "structure" => "Structure",
        "list" => "List",
        "map" => "Map",
        "string" => "String",
        "integer" => "Integer",
        "long" => "Long",
        "float" => "Float",
        "double" => "Double",
        "boolean" => "Boolean",
        "timestamp" => "Timestamp",
        "blob" => "Blob",
        _ => throw new InvalidDataException($"unsupported botocore type '{botocoreType}'"),
    };

    private static string Nullable(string? value) => value is null ? "null" : Naming.Literal(value);
}
