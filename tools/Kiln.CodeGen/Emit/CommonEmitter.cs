namespace Kiln.CodeGen.Emit;

/// <summary>Files at the root of the output folder: the service list and the error-member accessors.</summary>
public static class CommonEmitter
{
    public static SourceFile GeneratedServices(IReadOnlyList<ServicePlan> plans, string botocoreVersion)
    {
        const string Info = "global::Kiln.Core.Shapes.ServiceInfo";
        var lines = Source.Header(botocoreVersion, "Kiln.Model");
        lines.Add("/// <summary>Every generated service model. Reading <see cref=\"All\"/> or <see cref=\"ById\"/> builds all of them;");
        lines.Add("/// <see cref=\"TryGet\"/> builds only the one asked for.</summary>");
        lines.Add("public static class GeneratedServices");
        lines.Add("{");
        lines.Add($"    private static readonly global::System.Lazy<global::System.Collections.Generic.IReadOnlyList<{Info}>> LazyAll = new(() =>");
        lines.Add("    [");
        foreach (var plan in plans)
        {
            lines.Add($"        global::{plan.Namespace}.{plan.ModelClass}.Service,");
        }

        lines.Add("    ]);");
        lines.Add("");
        lines.Add($"    private static readonly global::System.Lazy<global::System.Collections.Generic.IReadOnlyDictionary<string, {Info}>> LazyById = new(() =>");
        lines.Add($"        global::System.Linq.Enumerable.ToDictionary(All, static s => s.ServiceId, global::System.StringComparer.Ordinal));");
        lines.Add("");
        lines.Add("    /// <summary>The service ids (api-coverage.json keys), sorted; reading them builds nothing.</summary>");
        lines.Add("    public static global::System.Collections.Generic.IReadOnlyList<string> ServiceIds { get; } =");
        lines.Add("    [");
        foreach (var plan in plans)
        {
            lines.Add($"        {Naming.Literal(plan.ServiceId)},");
        }

        lines.Add("    ];");
        lines.Add("");
        lines.Add($"    public static global::System.Collections.Generic.IReadOnlyList<{Info}> All => LazyAll.Value;");
        lines.Add("");
        lines.Add($"    public static global::System.Collections.Generic.IReadOnlyDictionary<string, {Info}> ById => LazyById.Value;");
        lines.Add("");
        lines.Add("    /// <summary>The model of one service, building only that one.</summary>");
        lines.Add($"    public static bool TryGet(string serviceId, [global::System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out {Info}? service)");
        lines.Add("    {");
        lines.Add("        service = serviceId switch");
        lines.Add("        {");
        foreach (var plan in plans)
        {
            lines.Add($"            {Naming.Literal(plan.ServiceId)} => global::{plan.Namespace}.{plan.ModelClass}.Service,");
        }

        lines.Add("            _ => null,");
        lines.Add("        };");
        lines.Add("        return service is not null;");
        lines.Add("    }");
        lines.Add("}");
        return Source.File("GeneratedServices.cs", lines);
    }

    /// <summary>Error shapes get no class (an error is an AwsException), so the MemberInfo delegates of
    /// their members read and write <c>AwsException.Fields</c>.</summary>
    public static SourceFile ErrorFields(string botocoreVersion)
    {
        var lines = Source.Header(botocoreVersion, "Kiln.Model");
        lines.AddRange(
        [
            "/// <summary>Member access for error shapes, which have no generated class: an error travels as",
            "/// <see cref=\"global::Kiln.Core.Errors.AwsException\"/>, and its model members live in",
            "/// <see cref=\"global::Kiln.Core.Errors.AwsException.Fields\"/> as invariant strings. A member named",
            "/// <c>message</c> (any case) falls back to the exception's Message.</summary>",
            "internal static class ErrorFields",
            "{",
            "    public static global::System.Func<object, object?> Getter(string name) => o => Get(o, name);",
            "",
            "    public static global::System.Action<object, object?> Setter(string name) => (o, v) => Set(o, name, v);",
            "",
            "    public static object? Get(object error, string name)",
            "    {",
            "        var exception = (global::Kiln.Core.Errors.AwsException)error;",
            "        if (exception.Fields.TryGetValue(name, out var value))",
            "        {",
            "            return value;",
            "        }",
            "",
            "        return string.Equals(name, \"message\", global::System.StringComparison.OrdinalIgnoreCase) ? exception.Message : null;",
            "    }",
            "",
            "    public static void Set(object error, string name, object? value)",
            "    {",
            "        var exception = (global::Kiln.Core.Errors.AwsException)error;",
            "        if (value is null)",
            "        {",
            "            exception.Fields.Remove(name);",
            "            return;",
            "        }",
            "",
            "        exception.Fields[name] = value is global::System.IFormattable formattable",
            "            ? formattable.ToString(null, global::System.Globalization.CultureInfo.InvariantCulture)",
            "            : value.ToString() ?? \"\";",
            "    }",
            "}",
        ]);
        return Source.File("ErrorFields.cs", lines);
    }

    /// <summary>The delegates MemberInfo wants, over one Read/Write method pair per generated class.</summary>
    public static SourceFile MemberAccess(string botocoreVersion)
    {
        var lines = Source.Header(botocoreVersion, "Kiln.Model");
        lines.AddRange(
        [
            "/// <summary>Turns a class's Read/Write pair (switching on member position) into the per-member",
            "/// delegates of <see cref=\"global::Kiln.Core.Shapes.MemberInfo\"/>. The pair is JIT-compiled on first use,",
            "/// so building a model does not compile an accessor for every member up front.</summary>",
            "internal sealed class MemberAccess(global::System.Func<object, int, object?> read, global::System.Action<object, int, object?> write)",
            "{",
            "    public global::System.Func<object, object?> Getter(int position) => o => read(o, position);",
            "",
            "    public global::System.Action<object, object?> Setter(int position) => (o, v) => write(o, position, v);",
            "}",
        ]);
        return Source.File("MemberAccess.cs", lines);
    }
}
