using System.Text;
using Kiln.Storage;
using Kiln.Storage.Accounts;

namespace Kiln.Host;

/// <summary>The first account, made at first start (DESIGN.md, Accounts and regions): from
/// KILN_ROOT_ACCESS_KEY_ID / KILN_ROOT_SECRET_ACCESS_KEY when set, otherwise generated and written
/// once to an owner-only file in the data directory, in the AWS shared-credentials format so that
/// AWS_SHARED_CREDENTIALS_FILE can point at it.</summary>
public static class RootAccount
{
    public const string Name = "root";
    public const string AccessKeyVariable = "KILN_ROOT_ACCESS_KEY_ID";
    public const string SecretVariable = "KILN_ROOT_SECRET_ACCESS_KEY";

    /// <summary>What the banner says about the root account.</summary>
    public sealed record Summary(string AccountId, string AccessKeyId, string CredentialsSource);

    public static async Task<Summary> EnsureAsync(IAccountStore store, DataDirectory dir, CancellationToken ct)
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(AccessKeyVariable) is { Length: > 0 } id &&
                              Environment.GetEnvironmentVariable(SecretVariable) is { Length: > 0 } secret
            ? (id, secret)
            : default;
        var accounts = await store.ListAccountsAsync(ct).ConfigureAwait(false);
        var root = accounts.FirstOrDefault(a => a.Name == Name);
        if (root is null)
        {
            NewAccount created;
            try
            {
                created = await store.CreateAccountAsync(Name, fromEnvironment.id, fromEnvironment.secret, ct)
                    .ConfigureAwait(false);
            }
            catch (AccountException)
            {
                // Another process (a CLI command) may have made it first; if not, the error stands.
                if (!(await store.ListAccountsAsync(ct).ConfigureAwait(false)).Any(a => a.Name == Name))
                {
                    throw;
                }

                return await EnsureAsync(store, dir, ct).ConfigureAwait(false);
            }

            if (fromEnvironment.id is null)
            {
                var file = $"[default]\naws_access_key_id = {created.RootKey.Key.AccessKeyId}\n" +
                           $"aws_secret_access_key = {created.RootKey.SecretAccessKey}\n";
                DataDirectory.WriteSecretFileOnce(dir.RootCredentialsFile, Encoding.ASCII.GetBytes(file));
            }

            root = created.Account;
        }

        if (fromEnvironment.id is not null)
        {
            var key = await store.FindAccessKeyAsync(fromEnvironment.id, ct).ConfigureAwait(false);
            if (key is null || key.Key.AccountId != root.AccountId || key.SecretAccessKey != fromEnvironment.secret)
            {
                throw new AccountException(
                    $"{AccessKeyVariable}/{SecretVariable} do not match the root account of {dir.Root}, " +
                    "which was created with other credentials. Unset them, or use a new --data-dir.");
            }

            return new Summary(root.AccountId, fromEnvironment.id, $"from {AccessKeyVariable} / {SecretVariable}");
        }

        return new Summary(root.AccountId, ReadAccessKeyId(dir.RootCredentialsFile) ?? "(unknown)", dir.RootCredentialsFile);
    }

    private static string? ReadAccessKeyId(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        foreach (var line in File.ReadLines(path))
        {
            var parts = line.Split('=', 2, StringSplitOptions.TrimEntries);
            if (parts.Length == 2 && parts[0] == "aws_access_key_id")
            {
                return parts[1];
            }
        }

        return null;
    }
}
