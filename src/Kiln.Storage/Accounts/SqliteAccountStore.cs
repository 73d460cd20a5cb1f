using System.Globalization;
using System.Text;
using Kiln.Core;
using Kiln.Storage.Crypto;
using Kiln.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Kiln.Storage.Accounts;

/// <summary>Accounts and access keys in the metadata database. Secrets are sealed under the master
/// key with the access key id as associated data, so a row's secret cannot be swapped into another.</summary>
public sealed class SqliteAccountStore : IAccountStore
{
    private static readonly string[] s_schema =
    [
        """
        CREATE TABLE accounts (
            account_id TEXT PRIMARY KEY,
            name       TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL);
        CREATE TABLE access_keys (
            access_key_id TEXT PRIMARY KEY,
            account_id    TEXT NOT NULL REFERENCES accounts(account_id),
            principal_arn TEXT NOT NULL,
            user_id       TEXT NOT NULL,
            kind          INTEGER NOT NULL,
            active        INTEGER NOT NULL,
            secret        BLOB NOT NULL,
            created_at    TEXT NOT NULL);
        CREATE INDEX access_keys_account ON access_keys(account_id);
        """,
    ];

    private readonly SqliteDatabase _db;
    private readonly MasterKey _masterKey;
    private readonly IClock _clock;

    public SqliteAccountStore(SqliteDatabase db, MasterKey masterKey, IClock clock)
    {
        _db = db;
        _masterKey = masterKey;
        _clock = clock;
        db.Migrate("accounts", s_schema);
    }

    public Task<NewAccount> CreateAccountAsync(string name, string? accessKeyId, string? secretAccessKey,
        CancellationToken cancellationToken)
    {
        (accessKeyId, secretAccessKey) = AccountRules.CheckNewAccount(name, accessKeyId, secretAccessKey);

        var now = _clock.UtcNow;
        using var connection = _db.Open();
        using var transaction = connection.BeginTransaction(deferred: false);
        if (Exists(connection, transaction, "SELECT 1 FROM accounts WHERE name = $v", name))
        {
            throw new AccountException($"An account named '{name}' already exists.");
        }

        if (Exists(connection, transaction, "SELECT 1 FROM access_keys WHERE access_key_id = $v", accessKeyId))
        {
            throw new AccountException($"Access key id {accessKeyId} is already in use.");
        }

        string accountId;
        do
        {
            accountId = AccountRules.NewAccountId();
        }
        while (Exists(connection, transaction, "SELECT 1 FROM accounts WHERE account_id = $v", accountId));

        var account = new Account(accountId, name, now);
        var key = AccountRules.RootKey(accessKeyId, accountId, now);
        using (var insert = connection.CreateCommand())
        {
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO accounts (account_id, name, created_at) VALUES ($id, $name, $at)";
            insert.Parameters.AddWithValue("$id", accountId);
            insert.Parameters.AddWithValue("$name", name);
            insert.Parameters.AddWithValue("$at", Format(now));
            insert.ExecuteNonQuery();
        }

        InsertKey(connection, transaction, key, secretAccessKey);
        transaction.Commit();
        return Task.FromResult(new NewAccount(account, new AccessKeyWithSecret(key, secretAccessKey)));
    }

    public Task<IReadOnlyList<Account>> ListAccountsAsync(CancellationToken cancellationToken)
    {
        using var connection = _db.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT account_id, name, created_at FROM accounts ORDER BY created_at, name";
        using var reader = command.ExecuteReader();
        var accounts = new List<Account>();
        while (reader.Read())
        {
            accounts.Add(new Account(reader.GetString(0), reader.GetString(1), Parse(reader.GetString(2))));
        }

        return Task.FromResult<IReadOnlyList<Account>>(accounts);
    }

    public Task<AccessKeyWithSecret?> FindAccessKeyAsync(string accessKeyId, CancellationToken cancellationToken)
    {
        using var connection = _db.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT account_id, principal_arn, user_id, kind, active, secret, created_at " +
                              "FROM access_keys WHERE access_key_id = $id";
        command.Parameters.AddWithValue("$id", accessKeyId);
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return Task.FromResult<AccessKeyWithSecret?>(null);
        }

        var key = new AccessKey(accessKeyId, reader.GetString(0), reader.GetString(1), reader.GetString(2),
            (PrincipalKind)reader.GetInt32(3), reader.GetInt64(4) != 0, Parse(reader.GetString(6)));
        var secret = _masterKey.Open((byte[])reader.GetValue(5), Encoding.ASCII.GetBytes(accessKeyId));
        return Task.FromResult<AccessKeyWithSecret?>(new AccessKeyWithSecret(key, Encoding.ASCII.GetString(secret)));
    }

    private void InsertKey(SqliteConnection connection, SqliteTransaction transaction, AccessKey key, string secret)
    {
        using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText =
            "INSERT INTO access_keys (access_key_id, account_id, principal_arn, user_id, kind, active, secret, created_at) " +
            "VALUES ($id, $account, $arn, $user, $kind, $active, $secret, $at)";
        insert.Parameters.AddWithValue("$id", key.AccessKeyId);
        insert.Parameters.AddWithValue("$account", key.AccountId);
        insert.Parameters.AddWithValue("$arn", key.PrincipalArn);
        insert.Parameters.AddWithValue("$user", key.UserId);
        insert.Parameters.AddWithValue("$kind", (int)key.Kind);
        insert.Parameters.AddWithValue("$active", key.Active ? 1 : 0);
        insert.Parameters.AddWithValue("$secret",
            _masterKey.Seal(Encoding.ASCII.GetBytes(secret), Encoding.ASCII.GetBytes(key.AccessKeyId)));
        insert.Parameters.AddWithValue("$at", Format(key.CreatedAt));
        insert.ExecuteNonQuery();
    }

    private static bool Exists(SqliteConnection connection, SqliteTransaction transaction, string sql, string value)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.Parameters.AddWithValue("$v", value);
        return command.ExecuteScalar() is not null;
    }

    private static string Format(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private static DateTimeOffset Parse(string text) =>
        DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}
