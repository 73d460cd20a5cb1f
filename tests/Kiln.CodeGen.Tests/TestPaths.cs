using Kiln.CodeGen;

namespace Kiln.CodeGen.Tests;

internal static class TestPaths
{
    /// <summary>The folder holding Kiln.sln, found by walking up from the test binaries.</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    public static GeneratorOptions DefaultOptions => GeneratorOptions.Parse([], RepoRoot);

    public static string GeneratedDir => Path.Combine(RepoRoot, "src", "Kiln.Model.Generated");

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Kiln.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Kiln.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>A fact that needs the Debian botocore models and the shared api-coverage.json; skipped,
/// saying why, on a machine without them.</summary>
public sealed class RequiresModelsFactAttribute : FactAttribute
{
    public RequiresModelsFactAttribute()
    {
        var options = TestPaths.DefaultOptions;
        if (!Directory.Exists(options.ModelsDir))
        {
            Skip = $"botocore models not found at {options.ModelsDir} (apt-get install python3-botocore)";
        }
        else if (!File.Exists(options.CoverageFile))
        {
            Skip = $"api-coverage.json not found at {options.CoverageFile}";
        }
    }
}
