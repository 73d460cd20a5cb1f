using Kiln.CodeGen.Model;

namespace Kiln.CodeGen;

/// <summary>One ShapeInfo to emit: a model shape, or a streaming variant of a blob shape that a member
/// marks <c>streaming</c> (the run-time contract keeps the flag on the shape, not the member).</summary>
public sealed class ShapeNode(int index, ShapeModel shape, bool streamingVariant)
{
    public int Index { get; } = index;
    public ShapeModel Shape { get; } = shape;
    public bool StreamingVariant { get; } = streamingVariant;
    public bool Streaming => Shape.Streaming || StreamingVariant;
    /// <summary>Root element name/namespace taken from the operation's input reference (rest-xml).</summary>
    public string? InputLocationName { get; set; }
    public XmlNamespaceModel? InputXmlNamespace { get; set; }
    /// <summary>The generated class, for structures that have one.</summary>
    public ClassPlan? Class { get; set; }
}

public sealed class ClassPlan(ShapeModel shape, string name, string fullName)
{
    public ShapeModel Shape { get; } = shape;
    public string Name { get; } = name;
    /// <summary><c>global::</c>-qualified name.</summary>
    public string FullName { get; } = fullName;
    public List<PropertyPlan> Properties { get; } = [];
}

public sealed record PropertyPlan(MemberModel Member, string Name, bool HidesObjectMember, ShapeNode Target, string Type);

public sealed record ErrorPlan(string Code, ShapeNode Node);

/// <summary>Everything the emitters need for one service, computed once: the operations listed in
/// api-coverage.json, every shape reachable from them, class and property names, and C# types.</summary>
public sealed class ServicePlan
{
    private readonly Dictionary<(string Shape, bool Streaming), ShapeNode> _nodes = [];
    private readonly HashSet<string> _listed;

    private ServicePlan(ServiceModel model, CoverageService coverage)
    {
        Model = model;
        ServiceId = coverage.ServiceId;
        Pascal = ServiceNames.Pascal(coverage.ServiceId);
        Namespace = "Kiln.Model." + Pascal;
        var missing = coverage.Operations.Where(o => !model.Operations.Any(m => m.Name == o)).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidDataException($"{ServiceId}: api-coverage.json lists operations the model lacks: {string.Join(", ", missing)}");
        }

        _listed = coverage.Operations.ToHashSet(StringComparer.Ordinal);
        ListedOperations = model.Operations.Where(o => _listed.Contains(o.Name)).ToList();
    }

    public ServiceModel Model { get; }
    public string ServiceId { get; }
    public string Pascal { get; }
    public string Namespace { get; }
    public string ModelClass => Pascal + "Model";
    public string ApiBaseClass => Pascal + "ApiBase";
    public IReadOnlyList<OperationModel> ListedOperations { get; }
    public bool IsListed(OperationModel op) => _listed.Contains(op.Name);
    /// <summary>Sorted by shape name, a streaming variant right after its base shape.</summary>
    public IReadOnlyList<ShapeNode> Nodes { get; private set; } = [];
    /// <summary>Sorted by class name.</summary>
    public IReadOnlyList<ClassPlan> Classes { get; private set; } = [];
    /// <summary>Sorted by code.</summary>
    public IReadOnlyList<ErrorPlan> Errors { get; private set; } = [];
    public string? XmlNamespace { get; private set; }
    /// <summary>Decisions worth a human's attention (renames, duplicate codes, dropped bounds).</summary>
    public List<string> Notes { get; } = [];

    public static ServicePlan Build(ServiceModel model, CoverageService coverage)
    {
        var plan = new ServicePlan(model, coverage);
        plan.CollectShapes();
        plan.NameClasses();
        plan.PlanErrors();
        plan.XmlNamespace = plan.ComputeXmlNamespace();
        if (coverage.Protocol is { } expected && expected != model.Metadata.Protocol)
        {
            plan.Notes.Add($"api-coverage.json says protocol {expected}, the model says {model.Metadata.Protocol}");
        }

        foreach (var node in plan.Nodes)
        {
            if (node.Shape.Min is { } min && min != Math.Floor(min)
                || node.Shape.Max is { } max && max != Math.Floor(max))
            {
                plan.Notes.Add($"{node.Shape.Name}: fractional min/max ({node.Shape.Min}..{node.Shape.Max}) not representable as long; dropped");
            }
        }

        return plan;
    }

    public ShapeNode Node(string shape, bool streaming = false) => _nodes[(shape, streaming)];

    /// <summary>The node a member points at: the streaming variant when the member adds <c>streaming</c>.</summary>
    public ShapeNode Target(MemberModel member) => Node(member.Target, StreamingVariant(member));

    private bool StreamingVariant(MemberModel member) => member.Streaming && !Model.Shape(member.Target).Streaming;

    /// <summary>Shapes reachable from listed operations' inputs, outputs and errors, following members,
    /// list members and map keys/values (recursive shapes terminate on the visited set).</summary>
    private void CollectShapes()
    {
        var pending = new Stack<(string Shape, bool Streaming)>();
        foreach (var op in ListedOperations)
        {
            foreach (var root in new[] { op.InputShape, op.OutputShape }.Concat(op.Errors))
            {
                if (root is not null)
                {
                    pending.Push((root, false));
                }
            }
        }

        var seen = new HashSet<(string, bool)>();
        while (pending.Count > 0)
        {
            var key = pending.Pop();
            if (!seen.Add(key))
            {
                continue;
            }

            var shape = Model.Shape(key.Shape);
            foreach (var m in shape.Members)
            {
                pending.Push((m.Target, StreamingVariant(m)));
            }

            foreach (var r in new[] { shape.Member, shape.Key, shape.Value })
            {
                if (r is not null)
                {
                    pending.Push((r.Target, false));
                }
            }
        }

        var ordered = seen.OrderBy(k => k.Item1, StringComparer.Ordinal).ThenBy(k => k.Item2).ToList();
        var nodes = new List<ShapeNode>(ordered.Count);
        foreach (var (name, streaming) in ordered)
        {
            var node = new ShapeNode(nodes.Count, Model.Shape(name), streaming);
            nodes.Add(node);
            _nodes.Add((name, streaming), node);
        }

        Nodes = nodes;

        // rest-xml inputs without a payload member are the body themselves; their root element name and
        // namespace sit on the operation's input reference, not on the shape.
        foreach (var op in ListedOperations)
        {
            if (op.InputShape is { } input && (op.InputLocationName is not null || op.InputXmlNamespace is not null))
            {
                var node = Node(input);
                node.InputLocationName ??= op.InputLocationName;
                node.InputXmlNamespace ??= op.InputXmlNamespace;
            }
        }
    }

    /// <summary>Classes for structures (not errors, which travel as AwsException; not documents, which
    /// are plain objects). A class may not share its name with the model or API base class.</summary>
    private void NameClasses()
    {
        var taken = new HashSet<string>(StringComparer.Ordinal) { ModelClass, ApiBaseClass };
        var classes = new List<ClassPlan>();
        foreach (var node in Nodes)
        {
            var shape = node.Shape;
            if (!shape.IsStructure || shape.Exception || shape.Document || node.StreamingVariant)
            {
                continue;
            }

            var name = Naming.Escape(shape.Name);
            while (!taken.Add(name))
            {
                Notes.Add($"class {name} renamed to {name}_ (clashes with a generated class)");
                name += "_";
            }

            var plan = new ClassPlan(shape, name, $"global::{Namespace}.{name}");
            node.Class = plan;
            classes.Add(plan);
        }

        Classes = classes.OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
        foreach (var plan in Classes)
        {
            NameProperties(plan);
        }
    }

    private void NameProperties(ClassPlan plan)
    {
        var rawClassName = plan.Name.TrimStart('@');
        var taken = new HashSet<string>(StringComparer.Ordinal);
        foreach (var member in plan.Shape.Members)
        {
            var name = Naming.Escape(member.Name);
            // A member may not be named like its enclosing type (CS0542).
            if (member.Name == rawClassName)
            {
                name = member.Name + "_";
                Notes.Add($"{plan.Shape.Name}.{member.Name} -> property {name} (same name as its class)");
            }

            while (!taken.Add(name))
            {
                Notes.Add($"{plan.Shape.Name}.{member.Name} -> property {name}_ (clash)");
                name += "_";
            }

            var target = Target(member);
            plan.Properties.Add(new PropertyPlan(member, name, Naming.ObjectMembers.Contains(name), target, TypeOf(target, nullable: true)));
        }
    }

    /// <summary>The C# type of a value of this shape; properties are nullable, collection elements are not.</summary>
    public string TypeOf(ShapeNode node, bool nullable)
    {
        var shape = node.Shape;
        var type = shape.Type switch
        {
            "structure" when shape.Document => "object",
            "structure" when shape.Exception => "global::Kiln.Core.Errors.AwsException",
            "structure" => node.Class?.FullName ?? throw new InvalidOperationException($"no class for {shape.Name}"),
            "list" => $"global::System.Collections.Generic.List<{TypeOf(Node(shape.Member!.Target), false)}>",
            "map" => $"global::System.Collections.Generic.Dictionary<string, {TypeOf(Node(shape.Value!.Target), false)}>",
            "string" => "string",
            "integer" => "int",
            "long" => "long",
            "float" => "float",
            "double" => "double",
            "boolean" => "bool",
            "timestamp" => "global::System.DateTimeOffset",
            "blob" => node.Streaming ? "global::System.IO.Stream" : "byte[]",
            _ => throw new InvalidDataException($"{ServiceId}: shape {shape.Name} has unsupported type '{shape.Type}'"),
        };
        if (shape.Type == "map" && Model.Shape(shape.Key!.Target).Type != "string")
        {
            throw new InvalidDataException($"{ServiceId}: map {shape.Name} has a non-string key");
        }

        return nullable ? type + "?" : type;
    }

    /// <summary>Error shapes of the listed operations by wire code.</summary>
    private void PlanErrors()
    {
        var byCode = new SortedDictionary<string, ErrorPlan>(StringComparer.Ordinal);
        var roots = ListedOperations.SelectMany(o => o.Errors).Distinct().Order(StringComparer.Ordinal);
        foreach (var name in roots)
        {
            var node = Node(name);
            var shape = node.Shape;
            var code = ErrorOf(shape).Code;
            var plan = new ErrorPlan(code, node);
            if (byCode.TryGetValue(code, out var existing))
            {
                // Two shapes share a wire code: keep the one named like the code, else the first by name.
                var keep = existing.Node.Shape.Name == code ? existing : plan.Node.Shape.Name == code ? plan : existing;
                Notes.Add($"error code {code} is used by {existing.Node.Shape.Name} and {shape.Name}; ErrorShapes keeps {keep.Node.Shape.Name}");
                byCode[code] = keep;
                continue;
            }

            byCode.Add(code, plan);
        }

        Errors = byCode.Values.ToList();
    }

    /// <summary>The <c>error</c> trait with its defaults: code = shape name; status 500 for <c>fault</c>
    /// (server) shapes, else 400; sender fault unless the shape is a fault or has a 5xx status (IAM's
    /// ServiceFailure carries 500 but neither <c>fault</c> nor <c>senderFault</c>; AWS answers Receiver).</summary>
    public static (string Code, int Status, bool SenderFault) ErrorOf(ShapeModel shape)
    {
        var status = shape.Error?.HttpStatusCode ?? (shape.Fault ? 500 : 400);
        return (shape.Error?.Code ?? shape.Name, status, shape.Error?.SenderFault ?? !(shape.Fault || status >= 500));
    }

    /// <summary>metadata.xmlNamespace; else for query services AWS's usual
    /// <c>https://&lt;endpointPrefix&gt;.amazonaws.com/doc/&lt;apiVersion&gt;/</c>; else for rest-xml the URI the
    /// model puts on its request bodies (S3 answers with the same namespace on its response roots).</summary>
    private string? ComputeXmlNamespace()
    {
        var meta = Model.Metadata;
        if (meta.XmlNamespace is not null)
        {
            return meta.XmlNamespace;
        }

        if (meta.Protocol is "query" or "ec2")
        {
            return $"https://{meta.EndpointPrefix}.amazonaws.com/doc/{meta.ApiVersion}/";
        }

        if (meta.Protocol == "rest-xml")
        {
            var uris = Model.Operations.Select(o => o.InputXmlNamespace?.Uri)
                .Concat(Model.Shapes.Values.SelectMany(s => s.Members).Select(m => m.XmlNamespace)
                    .Where(ns => ns?.Prefix is null).Select(ns => ns?.Uri))
                .OfType<string>();
            return uris.GroupBy(u => u, StringComparer.Ordinal)
                .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => g.Key).FirstOrDefault();
        }

        return null;
    }
}
