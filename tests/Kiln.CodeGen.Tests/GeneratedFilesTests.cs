using Kiln.CodeGen;

namespace Kiln.CodeGen.Tests;

public class GeneratedFilesTests
{
    /// <summary>Regenerates into a temp folder and compares byte for byte with the committed code, so a
    /// hand edit or a generator change without regeneration fails here.</summary>
    [RequiresModelsFact]
    public void Generator_Rerun_MatchesCommittedFiles()
    {
        var options = TestPaths.DefaultOptions;
        var temp = Directory.CreateTempSubdirectory("kiln-codegen-");
        try
        {
            var result = Generator.Generate(options with { OutDir = temp.FullName });
            Generator.Write(result, temp.FullName);

            var fresh = CsFiles(temp.FullName);
            var committed = CsFiles(TestPaths.GeneratedDir);
            Assert.Equal(fresh.Keys.Order(StringComparer.Ordinal), committed.Keys.Order(StringComparer.Ordinal));
            var stale = fresh.Keys.Where(k => !fresh[k].AsSpan().SequenceEqual(committed[k])).ToList();
            Assert.True(stale.Count == 0,
                $"generated files are out of date: {string.Join(", ", stale)}; run `dotnet run --project tools/Kiln.CodeGen` from the repo root");
        }
        finally
        {
            temp.Delete(recursive: true);
        }
    }

    [RequiresModelsFact]
    public void Generator_TwoRuns_AreIdentical()
    {
        var options = TestPaths.DefaultOptions;
        var first = Generator.Generate(options);
        var second = Generator.Generate(options);
        Assert.Equal(first.Files, second.Files);
    }

    private static Dictionary<string, byte[]> CsFiles(string root) =>
        Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
            .Where(f => !f.StartsWith("obj/", StringComparison.Ordinal) && !f.StartsWith("bin/", StringComparison.Ordinal))
            .ToDictionary(f => f, f => File.ReadAllBytes(Path.Combine(root, f)), StringComparer.Ordinal);
}
