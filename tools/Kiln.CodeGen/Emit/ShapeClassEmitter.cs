namespace Kiln.CodeGen.Emit;

/// <summary>Writes <c>Shapes.N.cs</c>: one sealed partial class per structure, one nullable property
/// per member, in model order. The classes are plain data; ShapeInfo describes their wire form.</summary>
public static class ShapeClassEmitter
{
    public static IEnumerable<SourceFile> Emit(ServicePlan plan, string botocoreVersion)
    {
        var header = Source.Header(botocoreVersion, plan.Namespace);
        var pages = Source.Pack(plan.Classes.Select(ClassBlock), Source.MaxLinesPerFile - header.Count);
        for (var i = 0; i < pages.Count; i++)
        {
            if (pages[i].Count == 0)
            {
                continue;
            }

            var lines = new List<string>(header);
            foreach (var block in pages[i])
            {
                lines.AddRange(block);
                lines.Add("");
            }

            yield return Source.File($"{plan.Pascal}/Shapes.{i + 1}.cs", lines);
        }
    }

    private static List<string> ClassBlock(ClassPlan plan)
    {
        var lines = new List<string>();
        Docs.Write(lines, "", plan.Shape.Documentation);
        lines.Add($"public sealed partial class {plan.Name}");
        lines.Add("{");
        foreach (var p in plan.Properties)
        {
            Docs.Write(lines, "    ", p.Member.Documentation);
            var modifier = p.HidesObjectMember ? "public new" : "public";
            lines.Add($"    {modifier} {p.Type} {p.Name} {{ get; set; }}");
        }

        lines.Add("}");
        return lines;
    }
}
