using System.CommandLine;
using Kiln.Cli;

var root = new RootCommand("Kiln: the AWS machine-learning stack on one machine.")
{
    ServeCommand.Create(),
    AccountsCommand.Create(),
    VersionCommand.Create(),
    MlCommand.Create(),
};
// The host handles SIGINT/SIGTERM itself and drains requests; System.CommandLine must not cut it short.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
