using Kiln.CodeGen.Model;

namespace Kiln.CodeGen.Emit;

/// <summary>Writes <c>&lt;Pascal&gt;ApiBase.cs</c>, one virtual method per listed operation that answers
/// NotImplemented until a service overrides it, and <c>&lt;Pascal&gt;ApiBase.Dispatch.cs</c>, InvokeAsync,
/// the gateway's single entry point (two partial files keep the largest service under 800 lines).</summary>
public static class ApiBaseEmitter
{
    private const string Task = "global::System.Threading.Tasks.Task";
    private const string Context = "global::Kiln.Core.RequestContext";

    public static IEnumerable<SourceFile> Emit(ServicePlan plan, string botocoreVersion)
    {
        var lines = Source.Header(botocoreVersion, plan.Namespace);
        lines.Add($"/// <summary>The <c>{plan.ServiceId}</c> operations listed in api-coverage.json. Override a method to implement");
        lines.Add("/// it; the rest answer NotImplemented in the service's own protocol.</summary>");
        lines.Add($"public abstract partial class {plan.ApiBaseClass} : global::Kiln.Core.IServiceApi");
        lines.Add("{");
        lines.Add($"    public global::Kiln.Core.Shapes.ServiceInfo Service => {plan.ModelClass}.Service;");
        lines.Add("");
        foreach (var op in plan.ListedOperations)
        {
            Docs.Write(lines, "    ", op.Documentation);
            lines.Add($"    public virtual {ReturnType(plan, op)} {op.Name}Async({Parameters(plan, op)}) =>");
            lines.Add($"        throw global::Kiln.Core.Errors.AwsException.NotImplemented({Naming.Literal(plan.ServiceId)}, {Naming.Literal(op.Name)});");
            lines.Add("");
        }

        lines.RemoveAt(lines.Count - 1);
        lines.Add("}");
        yield return Source.File($"{plan.Pascal}/{plan.ApiBaseClass}.cs", lines);

        lines = Source.Header(botocoreVersion, plan.Namespace);
        lines.Add($"public abstract partial class {plan.ApiBaseClass}");
        lines.Add("{");
        lines.Add("    /// <summary>Dispatches on the operation name to its virtual method; any operation not listed in");
        lines.Add("    /// api-coverage.json answers NotImplemented.</summary>");
        if (plan.ListedOperations.Count == 0)
        {
            lines.Add($"    public {Task}<object?> InvokeAsync(global::Kiln.Core.Shapes.OperationInfo operation, object? input, {Context} context) =>");
            lines.Add($"        {Task}.FromException<object?>(global::Kiln.Core.Errors.AwsException.NotImplemented({Naming.Literal(plan.ServiceId)}, operation.Name));");
            lines.Add("}");
            yield return Source.File($"{plan.Pascal}/{plan.ApiBaseClass}.Dispatch.cs", lines);
            yield break;
        }

        lines.Add($"    public async {Task}<object?> InvokeAsync(global::Kiln.Core.Shapes.OperationInfo operation, object? input, {Context} context)");
        lines.Add("    {");
        lines.Add("        switch (operation.Name)");
        lines.Add("        {");
        foreach (var op in plan.ListedOperations)
        {
            var args = op.InputShape is null
                ? "context"
                : $"({InputType(plan, op)})input!, context";
            lines.Add($"            case {Naming.Literal(op.Name)}:");
            if (op.OutputShape is null)
            {
                lines.Add($"                await {op.Name}Async({args}).ConfigureAwait(false);");
                lines.Add("                return null;");
            }
            else
            {
                lines.Add($"                return await {op.Name}Async({args}).ConfigureAwait(false);");
            }
        }

        lines.Add("            default:");
        lines.Add($"                throw global::Kiln.Core.Errors.AwsException.NotImplemented({Naming.Literal(plan.ServiceId)}, operation.Name);");
        lines.Add("        }");
        lines.Add("    }");
        lines.Add("}");
        yield return Source.File($"{plan.Pascal}/{plan.ApiBaseClass}.Dispatch.cs", lines);
    }

    private static string InputType(ServicePlan plan, OperationModel op) =>
        plan.TypeOf(plan.Node(op.InputShape!), nullable: false);

    private static string ReturnType(ServicePlan plan, OperationModel op) =>
        op.OutputShape is null ? Task : $"{Task}<{plan.TypeOf(plan.Node(op.OutputShape), nullable: false)}>";

    private static string Parameters(ServicePlan plan, OperationModel op) =>
        op.InputShape is null ? $"{Context} context" : $"{InputType(plan, op)} input, {Context} context";
}
