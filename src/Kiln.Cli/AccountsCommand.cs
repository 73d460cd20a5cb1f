using System.CommandLine;
using Kiln.Core;
using Kiln.Storage;
using Kiln.Storage.Accounts;
using Kiln.Storage.Crypto;
using Kiln.Storage.Sqlite;

namespace Kiln.Cli;

/// <summary><c>kiln accounts create|list</c>: work on the data directory directly, whether or not a
/// server runs on it (SQLite in WAL mode lets both write).</summary>
internal static class AccountsCommand
{
    public static Command Create()
    {
        var command = new Command("accounts", "Create and list accounts (isolated tenants)");
        command.Subcommands.Add(CreateCommand());
        command.Subcommands.Add(ListCommand());
        return command;
    }

    private static Command CreateCommand()
    {
        var name = new Option<string>("--name") { Description = "Account name", Required = true };
        var keyId = new Option<string?>("--access-key-id") { Description = "Root access key id (default: generated)" };
        var secret = new Option<string?>("--secret-access-key") { Description = "Root secret (default: generated)" };
        var dataDir = CommonOptions.DataDir();
        var command = new Command("create", "Create an account with root credentials") { name, keyId, secret, dataDir };
        command.SetAction(async (result, ct) =>
        {
            if ((result.GetValue(keyId) is null) != (result.GetValue(secret) is null))
            {
                await Console.Error.WriteLineAsync("kiln: --access-key-id and --secret-access-key go together.");
                return 2;
            }

            try
            {
                var store = Open(result.GetValue(dataDir)!);
                var created = await store.CreateAccountAsync(result.GetValue(name)!, result.GetValue(keyId),
                    result.GetValue(secret), ct);
                Console.WriteLine($"account            {created.Account.AccountId} ({created.Account.Name})");
                Console.WriteLine($"access key id      {created.RootKey.Key.AccessKeyId}");
                Console.WriteLine($"secret access key  {created.RootKey.SecretAccessKey}");
                Console.WriteLine("The secret is shown once; keep it.");
                return 0;
            }
            catch (AccountException ex)
            {
                await Console.Error.WriteLineAsync($"kiln: {ex.Message}");
                return 1;
            }
        });
        return command;
    }

    private static Command ListCommand()
    {
        var dataDir = CommonOptions.DataDir();
        var command = new Command("list", "List accounts") { dataDir };
        command.SetAction(async (result, ct) =>
        {
            var accounts = await Open(result.GetValue(dataDir)!).ListAccountsAsync(ct);
            Console.WriteLine($"{"ACCOUNT",-14}{"NAME",-24}CREATED");
            foreach (var account in accounts)
            {
                Console.WriteLine($"{account.AccountId,-14}{account.Name,-24}{account.CreatedAt:yyyy-MM-dd HH:mm:ss}Z");
            }

            return 0;
        });
        return command;
    }

    private static SqliteAccountStore Open(string path)
    {
        var dir = new DataDirectory(path);
        dir.Ensure();
        return new SqliteAccountStore(new SqliteDatabase(dir.MetadataDatabase), MasterKey.LoadOrCreate(dir),
            SystemClock.Instance);
    }
}
