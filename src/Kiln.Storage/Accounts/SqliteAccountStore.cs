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
        // 2: keys of IAM users and STS sessions: a sealed session token, an expiry, the session's
        // facts, and the last use (IAM GetAccessKeyLastUsed).
        """
        ALTER TABLE access_keys ADD COLUMN session_token BLOB;
        ALTER TABLE access_keys ADD COLUMN expires_at TEXT;
        ALTER TABLE access_keys ADD COLUMN session TEXT;
        ALTER TABLE access_keys ADD COLUMN last_used_at TEXT;
        ALTER TABLE access_keys ADD COLUMN last_used_service TEXT;
        ALTER TABLE access_keys ADD COLUMN last_used_region TEXT;
        CREATE INDEX access_keys_principal ON access_keys(account_id, principal_arn);
        CREATE INDEX access_keys_expiry ON access_keys(expires_at) WHERE expires_at IS NOT NULL;
        """,
    ];

    private const string KeyColumns =
        "access_key_id, account_id, principal_arn, user_id, kind, active, created_at, expires_at, session";

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
        command.CommandText = $"SELECT {KeyColumns}, secret, session_token FROM access_keys WHERE access_key_id = $id";
        command.Parameters.AddWithValue("$id", accessKeyId);
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return Task.FromResult<AccessKeyWithSecret?>(null);
        }

        var key = ReadKey(reader);
        var associated = Encoding.ASCII.GetBytes(accessKeyId);
        var secret = _masterKey.Open((byte[])reader.GetValue(9), associated);
        string? token = null;
        if (!reader.IsDBNull(10))
        {
            token = Encoding.ASCII.GetString(_masterKey.Open((byte[])reader.GetValue(10), TokenData(accessKeyId)));
        }

        return Task.FromResult<AccessKeyWithSecret?>(
            new AccessKeyWithSecret(key, Encoding.ASCII.GetString(secret)) { SessionToken = token });
    }

    public Task AddAccessKeyAsync(AccessKeyWithSecret key, CancellationToken cancellationToken)
    {
        using var connection = _db.Open();
        using var transaction = connection.BeginTransaction(deferred: false);
        if (!Exists(connection, transaction, "SELECT 1 FROM accounts WHERE account_id = $v", key.Key.AccountId))
        {
            throw new AccountException($"No account {key.Key.AccountId}.");
        }

        if (Exists(connection, transaction, "SELECT 1 FROM access_keys WHERE access_key_id = $v", key.Key.AccessKeyId))
        {
            throw new AccountException($"Access key id {key.Key.AccessKeyId} is already in use.");
        }

        InsertKey(connection, transaction, key.Key, key.SecretAccessKey, key.SessionToken);
        transaction.Commit();
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<AccessKey>> ListAccessKeysAsync(string accountId, string principalArn,
        CancellationToken cancellationToken)
    {
        using var connection = _db.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {KeyColumns} FROM access_keys WHERE account_id = $a AND principal_arn = $p " +
                              "ORDER BY created_at, access_key_id";
        command.Parameters.AddWithValue("$a", accountId);
        command.Parameters.AddWithValue("$p", principalArn);
        using var reader = command.ExecuteReader();
        var keys = new List<AccessKey>();
        while (reader.Read())
        {
            keys.Add(ReadKey(reader));
        }

        return Task.FromResult<IReadOnlyList<AccessKey>>(keys);
    }

    public Task<bool> SetAccessKeyActiveAsync(string accessKeyId, bool active, CancellationToken cancellationToken) =>
        Task.FromResult(Update("UPDATE access_keys SET active = $v WHERE access_key_id = $id", accessKeyId, active ? 1 : 0) > 0);

    public Task<bool> DeleteAccessKeyAsync(string accessKeyId, CancellationToken cancellationToken) =>
        Task.FromResult(Update("DELETE FROM access_keys WHERE access_key_id = $id", accessKeyId, null) > 0);

    public Task RecordAccessKeyUseAsync(string accessKeyId, AccessKeyUse use, CancellationToken cancellationToken)
    {
        using var connection = _db.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "UPDATE access_keys SET last_used_at = $at, last_used_service = $s, last_used_region = $r " +
                              "WHERE access_key_id = $id";
        command.Parameters.AddWithValue("$id", accessKeyId);
        command.Parameters.AddWithValue("$at", Format(use.At));
        command.Parameters.AddWithValue("$s", use.Service);
        command.Parameters.AddWithValue("$r", use.Region);
        command.ExecuteNonQuery();
        return Task.CompletedTask;
    }

    public Task<AccessKeyUse?> FindAccessKeyUseAsync(string accessKeyId, CancellationToken cancellationToken)
    {
        using var connection = _db.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT last_used_at, last_used_service, last_used_region FROM access_keys " +
                              "WHERE access_key_id = $id AND last_used_at IS NOT NULL";
        command.Parameters.AddWithValue("$id", accessKeyId);
        using var reader = command.ExecuteReader();
        return Task.FromResult(reader.Read()
            ? new AccessKeyUse(Parse(reader.GetString(0)), reader.GetString(1), reader.GetString(2))
            : null);
    }

    public Task<int> DeleteExpiredAccessKeysAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        using var connection = _db.Open();
        using var command = connection.CreateCommand();
        // The fixed-width UTC format sorts as text in time order.
        command.CommandText = "DELETE FROM access_keys WHERE expires_at IS NOT NULL AND expires_at < $t";
        command.Parameters.AddWithValue("$t", Format(before));
        return Task.FromResult(command.ExecuteNonQuery());
    }

    private int Update(string sql, string accessKeyId, object? value)
    {
        using var connection = _db.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$id", accessKeyId);
        if (value is not null)
        {
            command.Parameters.AddWithValue("$v", value);
        }

        return command.ExecuteNonQuery();
    }

    private static AccessKey ReadKey(SqliteDataReader reader) =>
        new(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
            (PrincipalKind)reader.GetInt32(4), reader.GetInt64(5) != 0, Parse(reader.GetString(6)))
        {
            Expiration = reader.IsDBNull(7) ? null : Parse(reader.GetString(7)),
            Session = reader.IsDBNull(8) ? null : reader.GetString(8),
        };

    // The token is sealed under its own associated data so it cannot be swapped with the secret.
    private static byte[] TokenData(string accessKeyId) => Encoding.ASCII.GetBytes("token:" + accessKeyId);

    private void InsertKey(SqliteConnection connection, SqliteTransaction transaction, AccessKey key, string secret,
        string? sessionToken = null)
    {
        using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText =
            "INSERT INTO access_keys (access_key_id, account_id, principal_arn, user_id, kind, active, secret, created_at, " +
            "session_token, expires_at, session) " +
            "VALUES ($id, $account, $arn, $user, $kind, $active, $secret, $at, $token, $expires, $session)";
        insert.Parameters.AddWithValue("$id", key.AccessKeyId);
        insert.Parameters.AddWithValue("$account", key.AccountId);
        insert.Parameters.AddWithValue("$arn", key.PrincipalArn);
        insert.Parameters.AddWithValue("$user", key.UserId);
        insert.Parameters.AddWithValue("$kind", (int)key.Kind);
        insert.Parameters.AddWithValue("$active", key.Active ? 1 : 0);
        insert.Parameters.AddWithValue("$secret",
            _masterKey.Seal(Encoding.ASCII.GetBytes(secret), Encoding.ASCII.GetBytes(key.AccessKeyId)));
        insert.Parameters.AddWithValue("$at", Format(key.CreatedAt));
        insert.Parameters.AddWithValue("$token", sessionToken is null
            ? DBNull.Value
            : _masterKey.Seal(Encoding.ASCII.GetBytes(sessionToken), TokenData(key.AccessKeyId)));
        insert.Parameters.AddWithValue("$expires", key.Expiration is { } e ? Format(e) : DBNull.Value);
        insert.Parameters.AddWithValue("$session", (object?)key.Session ?? DBNull.Value);
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
