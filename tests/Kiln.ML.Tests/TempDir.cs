namespace Kiln.ML.Tests;

/// <summary>A per-test temporary directory, deleted afterwards.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir() => Path = Directory.CreateTempSubdirectory("kiln-ml-test-").FullName;

    public string Path { get; }

    public string File(string name, string content)
    {
        var p = System.IO.Path.Combine(Path, name);
        System.IO.File.WriteAllText(p, content);
        return p;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
