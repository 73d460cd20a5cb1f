using System.CommandLine;
using Kiln.Host;

namespace Kiln.Cli;

internal static class VersionCommand
{
    public static Command Create()
    {
        var command = new Command("version", "Print Kiln's version");
        command.SetAction(_ => Console.WriteLine($"kiln {KilnServer.Version}"));
        return command;
    }
}
