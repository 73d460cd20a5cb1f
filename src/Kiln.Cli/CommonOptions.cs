using System.CommandLine;

namespace Kiln.Cli;

internal static class CommonOptions
{
    public static Option<string> DataDir() => new("--data-dir")
    {
        Description = "Where Kiln keeps its state",
        DefaultValueFactory = _ => ".kiln",
    };
}
