using System.Text;
using System.Text.RegularExpressions;
using Kiln.CodeGen.Emit;
using Kiln.CodeGen.Model;

namespace Kiln.CodeGen;

/// <param name="AlsoTypedFile">Operations Kiln implements that api-coverage.json does not list (an
/// issue asks for them), in the same format; merged into the coverage.</param>
public sealed record GeneratorOptions(string ModelsDir, string CoverageFile, string AlsoTypedFile, string OutDir)
{
    public const string DefaultModelsDir = "/usr/lib/python3/dist-packages/botocore/data";

    /// <summary>Defaults are relative to <paramref name="repoRoot"/> (the tool is run from the repo root).</summary>
    public static GeneratorOptions Parse(IReadOnlyList<string> args, string repoRoot)
    {
        var models = DefaultModelsDir;
        var coverage = Path.Combine(repoRoot, "..", "shared", "api-coverage.json");
        var alsoTyped = Path.Combine(repoRoot, "tools", "Kiln.CodeGen", "also-typed.json");
        var output = Path.Combine(repoRoot, "src", "Kiln.Model.Generated");
        for (var i = 0; i < args.Count; i++)
        {
            var value = i + 1 < args.Count ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--models": models = value; break;
                case "--coverage": coverage = value; break;
                case "--also-typed": alsoTyped = value; break;
                case "--out": output = value; break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }

            i++;
        }

        return new GeneratorOptions(Path.GetFullPath(models), Path.GetFullPath(coverage), Path.GetFullPath(alsoTyped),
            Path.GetFullPath(output));
    }
}

public sealed record GenerationResult(IReadOnlyList<SourceFile> Files, IReadOnlyList<ServicePlan> Plans, string BotocoreVersion);

/// <summary>Models + api-coverage.json → C# sources. Pure: <see cref="Generate"/> touches no output
/// file; <see cref="Write"/> writes only files whose bytes changed and removes stale ones.</summary>
public static partial class Generator
{
    public static GenerationResult Generate(GeneratorOptions options)
    {
        var version = BotocoreVersion(options.ModelsDir);
        var plans = Coverage.Load(options.CoverageFile, options.AlsoTypedFile)
            .Select(c => ServicePlan.Build(ModelLoader.Load(options.ModelsDir, c.ServiceId), c))
            .ToList();

        var files = new List<SourceFile>();
        foreach (var plan in plans)
        {
            files.AddRange(ShapeClassEmitter.Emit(plan, version));
            files.AddRange(ModelEmitter.Emit(plan, version));
            files.AddRange(ApiBaseEmitter.Emit(plan, version));
        }

        files.Add(CommonEmitter.GeneratedServices(plans, version));
        files.Add(CommonEmitter.ErrorFields(version));
        files.Add(CommonEmitter.MemberAccess(version));
        return new GenerationResult(files.OrderBy(f => f.RelativePath, StringComparer.Ordinal).ToList(), plans, version);
    }

    /// <summary>Writes the files under <paramref name="outDir"/>, then deletes every other <c>*.cs</c> in
    /// the service folders this run owns. Returns (written, unchanged, deleted).</summary>
    public static (int Written, int Unchanged, int Deleted) Write(GenerationResult result, string outDir)
    {
        int written = 0, unchanged = 0, deleted = 0;
        foreach (var file in result.Files)
        {
            var path = Path.Combine(outDir, file.RelativePath);
            var bytes = Encoding.UTF8.GetBytes(file.Text);
            if (File.Exists(path) && File.ReadAllBytes(path).AsSpan().SequenceEqual(bytes))
            {
                unchanged++;
                continue;
            }

            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, bytes);
            written++;
        }

        var expected = result.Files.Select(f => Path.GetFullPath(Path.Combine(outDir, f.RelativePath)))
            .ToHashSet(StringComparer.Ordinal);
        foreach (var plan in result.Plans)
        {
            var folder = Path.Combine(outDir, plan.Pascal);
            foreach (var stale in Directory.EnumerateFiles(folder, "*.cs", SearchOption.AllDirectories)
                .Where(f => !expected.Contains(Path.GetFullPath(f))).Order(StringComparer.Ordinal))
            {
                File.Delete(stale);
                deleted++;
            }
        }

        return (written, unchanged, deleted);
    }

    /// <summary><c>__version__</c> from botocore's <c>__init__.py</c> next to the data folder, else "unknown".</summary>
    public static string BotocoreVersion(string modelsDir)
    {
        var init = Path.Combine(modelsDir, "..", "__init__.py");
        if (!File.Exists(init))
        {
            return "unknown";
        }

        var match = VersionLine().Match(File.ReadAllText(init));
        return match.Success ? match.Groups[1].Value : "unknown";
    }

    [GeneratedRegex(@"^__version__\s*=\s*['""]([^'""]+)['""]", RegexOptions.Multiline)]
    private static partial Regex VersionLine();
}
