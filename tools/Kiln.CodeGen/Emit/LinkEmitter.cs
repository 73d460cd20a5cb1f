using Kiln.CodeGen.Model;

namespace Kiln.CodeGen.Emit;

/// <summary>The second half of a model class: linking lists, maps and structures to the ShapeInfos they
/// contain, and the member accessors.
///
/// Accessors are one Read/Write method pair per class that switches on the member's position, not a
/// lambda per member: every lambda site costs JIT and runtime setup in the Link methods, which made up
/// a third of a cold service build (Release, first load: SageMaker 125 ms with lambdas, 80 ms with
/// pairs; all 22 services 450 ms vs 305 ms). A pair is compiled only when its class is first used.</summary>
public static class LinkEmitter
{
    private const string Shapes = ModelEmitter.ShapesNamespace;
    private const string Access = "global::Kiln.Model.MemberAccess";

    public static List<string> LinkMethod(ServicePlan plan, string name, IEnumerable<ShapeNode> nodes)
    {
        var body = new List<string>();
        var usesAccess = false;
        foreach (var node in nodes)
        {
            var shape = node.Shape;
            switch (shape.Type)
            {
                case "list":
                    body.Add($"        s[{node.Index}].Member = {Ref(plan, shape.Member!)};");
                    break;
                case "map":
                    body.Add($"        s[{node.Index}].Key = {Ref(plan, shape.Key!)};");
                    body.Add($"        s[{node.Index}].Value = {Ref(plan, shape.Value!)};");
                    break;
                default:
                    if (node.Class is { } cls)
                    {
                        body.Add($"        a = new({ReadMethod(cls)}, {WriteMethod(cls)});");
                        usesAccess = true;
                    }

                    body.Add($"        s[{node.Index}].Members =");
                    body.Add("        [");
                    for (var i = 0; i < shape.Members.Count; i++)
                    {
                        body.Add($"            {MemberInfo(plan, node, shape.Members[i], i)},");
                    }

                    body.Add("        ];");
                    break;
            }
        }

        var lines = new List<string>
        {
            $"    private static void {name}({Shapes}.ShapeInfo[] s)",
            "    {",
        };
        if (usesAccess)
        {
            lines.Add($"        {Access} a;");
        }

        lines.AddRange(body);
        lines.Add("    }");
        return lines;
    }

    /// <summary><c>Read&lt;Class&gt;</c> and <c>Write&lt;Class&gt;</c>: member <c>i</c> of the class, in model order.</summary>
    public static IEnumerable<List<string>> AccessorMethods(ClassPlan cls)
    {
        var read = new List<string>
        {
            $"    private static object? {ReadMethod(cls)}(object o, int i)",
            "    {",
            $"        var x = ({cls.FullName})o;",
            "        switch (i)",
            "        {",
        };
        var write = new List<string>
        {
            $"    private static void {WriteMethod(cls)}(object o, int i, object? v)",
            "    {",
            $"        var x = ({cls.FullName})o;",
            "        switch (i)",
            "        {",
        };
        for (var i = 0; i < cls.Properties.Count; i++)
        {
            var p = cls.Properties[i];
            read.Add($"            case {i}: return x.{p.Name};");
            write.Add($"            case {i}: x.{p.Name} = ({p.Type})v; return;");
        }

        foreach (var lines in new[] { read, write })
        {
            lines.Add("            default: throw new global::System.ArgumentOutOfRangeException(nameof(i));");
            lines.Add("        }");
            lines.Add("    }");
        }

        return [read, write];
    }

    private static string ReadMethod(ClassPlan cls) => "Read" + cls.Name.TrimStart('@');

    private static string WriteMethod(ClassPlan cls) => "Write" + cls.Name.TrimStart('@');

    private static string Ref(ServicePlan plan, RefModel r) =>
        r.LocationName is null
            ? $"new(s[{plan.Node(r.Target).Index}])"
            : $"new(s[{plan.Node(r.Target).Index}], {Naming.Literal(r.LocationName)})";

    private static string MemberInfo(ServicePlan plan, ShapeNode owner, MemberModel member, int position)
    {
        var target = plan.Target(member);
        string get, set;
        if (owner.Class is not null)
        {
            get = $"a.Getter({position})";
            set = $"a.Setter({position})";
        }
        else
        {
            // Error shapes have no class: an error travels as AwsException, so its members live in Fields.
            var literal = Naming.Literal(member.Name);
            get = $"global::Kiln.Model.ErrorFields.Getter({literal})";
            set = $"global::Kiln.Model.ErrorFields.Setter({literal})";
        }

        var init = new List<string>();
        if (member.Location is { } location)
        {
            init.Add($"Location = {Shapes}.MemberLocation.{LocationName(location)}");
        }

        if (member.LocationName is not null)
        {
            init.Add($"LocationName = {Naming.Literal(member.LocationName)}");
        }

        if (member.QueryName is not null)
        {
            init.Add($"QueryName = {Naming.Literal(member.QueryName)}");
        }

        if (member.Required)
        {
            init.Add("Required = true");
        }

        if (member.XmlAttribute)
        {
            init.Add("XmlAttribute = true");
        }

        if (member.XmlNamespace is { } ns)
        {
            if (ns.Prefix is not null)
            {
                init.Add($"XmlNamespacePrefix = {Naming.Literal(ns.Prefix)}");
            }

            init.Add($"XmlNamespaceUri = {Naming.Literal(ns.Uri)}");
        }

        if (member.Flattened)
        {
            init.Add("Flattened = true");
        }

        if (member.TimestampFormat is not null)
        {
            init.Add($"TimestampFormat = {Naming.Literal(member.TimestampFormat)}");
        }

        if (member.JsonValue)
        {
            init.Add("JsonValue = true");
        }

        if (member.HostLabel)
        {
            init.Add("HostLabel = true");
        }

        if (member.IdempotencyToken)
        {
            init.Add("IdempotencyToken = true");
        }

        var text = $"new({Naming.Literal(member.Name)}, s[{target.Index}], {get}, {set})";
        return init.Count == 0 ? text : $"{text} {{ {string.Join(", ", init)} }}";
    }

    private static string LocationName(string location) => location switch
    {
        "header" => "Header",
        "headers" => "Headers",
        "uri" => "Uri",
        "querystring" => "QueryString",
        "statusCode" => "StatusCode",
        _ => throw new InvalidDataException($"unsupported member location '{location}'"),
    };
}
