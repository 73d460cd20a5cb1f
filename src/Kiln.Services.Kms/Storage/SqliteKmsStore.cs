using Kiln.Services.Kms.Domain;
using Kiln.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Kiln.Services.Kms.Storage;

/// <summary>KMS keys and aliases in the metadata database, one JSON document per row. Key material
/// in the documents is sealed by the master key before it gets here.</summary>
public sealed class SqliteKmsStore : IKmsStore
{
    private static readonly string[] s_schema =
    [
        """
        CREATE TABLE kms_keys (
            account_id TEXT NOT NULL,
            region     TEXT NOT NULL,
            key_id     TEXT NOT NULL,
            document   TEXT NOT NULL,
            PRIMARY KEY (account_id, region, key_id));
        CREATE TABLE kms_aliases (
            account_id TEXT NOT NULL,
            region     TEXT NOT NULL,
            name       TEXT NOT NULL,
            key_id     TEXT NOT NULL,
            document   TEXT NOT NULL,
            PRIMARY KEY (account_id, region, name));
        """,
    ];

    private readonly SqliteDatabase _db;

    public SqliteKmsStore(SqliteDatabase db)
    {
        _db = db;
        db.Migrate("kms", s_schema);
    }

    public Task<KmsKey?> GetKeyAsync(string accountId, string region, string keyId, CancellationToken cancellationToken)
    {
        using var connection = _db.Open();
        using var command = Command(connection, "SELECT document FROM kms_keys WHERE account_id = $a AND region = $r AND key_id = $k",
            accountId, region);
        command.Parameters.AddWithValue("$k", keyId);
        return Task.FromResult(command.ExecuteScalar() is string json ? KmsJson.Deserialize<KmsKey>(json) : null);
    }

    public Task<IReadOnlyList<KmsKey>> ListKeysAsync(string accountId, string region, CancellationToken cancellationToken)
    {
        using var connection = _db.Open();
        using var command = Command(connection, "SELECT document FROM kms_keys WHERE account_id = $a AND region = $r ORDER BY key_id",
            accountId, region);
        return Task.FromResult<IReadOnlyList<KmsKey>>(ReadAll<KmsKey>(command));
    }

    public Task PutKeyAsync(KmsKey key, CancellationToken cancellationToken)
    {
        using var connection = _db.Open();
        using var command = Command(connection, "INSERT INTO kms_keys (account_id, region, key_id, document) VALUES ($a, $r, $k, $d) " +
                                                "ON CONFLICT(account_id, region, key_id) DO UPDATE SET document = excluded.document",
            key.AccountId, key.Region);
        command.Parameters.AddWithValue("$k", key.KeyId);
        command.Parameters.AddWithValue("$d", KmsJson.Serialize(key));
        command.ExecuteNonQuery();
        return Task.CompletedTask;
    }

    public Task DeleteKeyAsync(string accountId, string region, string keyId, CancellationToken cancellationToken)
    {
        using var connection = _db.Open();
        using var transaction = connection.BeginTransaction(deferred: false);
        foreach (var sql in new[]
                 {
                     "DELETE FROM kms_aliases WHERE account_id = $a AND region = $r AND key_id = $k",
                     "DELETE FROM kms_keys WHERE account_id = $a AND region = $r AND key_id = $k",
                 })
        {
            using var command = Command(connection, sql, accountId, region);
            command.Transaction = transaction;
            command.Parameters.AddWithValue("$k", keyId);
            command.ExecuteNonQuery();
        }

        transaction.Commit();
        return Task.CompletedTask;
    }

    public Task<KmsAlias?> GetAliasAsync(string accountId, string region, string name, CancellationToken cancellationToken)
    {
        using var connection = _db.Open();
        using var command = Command(connection, "SELECT document FROM kms_aliases WHERE account_id = $a AND region = $r AND name = $n",
            accountId, region);
        command.Parameters.AddWithValue("$n", name);
        return Task.FromResult(command.ExecuteScalar() is string json ? KmsJson.Deserialize<KmsAlias>(json) : null);
    }

    public Task<IReadOnlyList<KmsAlias>> ListAliasesAsync(string accountId, string region, CancellationToken cancellationToken)
    {
        using var connection = _db.Open();
        using var command = Command(connection, "SELECT document FROM kms_aliases WHERE account_id = $a AND region = $r ORDER BY name",
            accountId, region);
        return Task.FromResult<IReadOnlyList<KmsAlias>>(ReadAll<KmsAlias>(command));
    }

    public Task<bool> TryAddAliasAsync(KmsAlias alias, CancellationToken cancellationToken) =>
        Task.FromResult(WriteAlias(alias, "INSERT INTO kms_aliases (account_id, region, name, key_id, document) VALUES ($a, $r, $n, $k, $d) " +
                                          "ON CONFLICT(account_id, region, name) DO NOTHING") == 1);

    public Task PutAliasAsync(KmsAlias alias, CancellationToken cancellationToken)
    {
        WriteAlias(alias, "INSERT INTO kms_aliases (account_id, region, name, key_id, document) VALUES ($a, $r, $n, $k, $d) " +
                          "ON CONFLICT(account_id, region, name) DO UPDATE SET key_id = excluded.key_id, document = excluded.document");
        return Task.CompletedTask;
    }

    public Task DeleteAliasAsync(string accountId, string region, string name, CancellationToken cancellationToken)
    {
        using var connection = _db.Open();
        using var command = Command(connection, "DELETE FROM kms_aliases WHERE account_id = $a AND region = $r AND name = $n", accountId, region);
        command.Parameters.AddWithValue("$n", name);
        command.ExecuteNonQuery();
        return Task.CompletedTask;
    }

    private int WriteAlias(KmsAlias alias, string sql)
    {
        using var connection = _db.Open();
        using var command = Command(connection, sql, alias.AccountId, alias.Region);
        command.Parameters.AddWithValue("$n", alias.Name);
        command.Parameters.AddWithValue("$k", alias.TargetKeyId);
        command.Parameters.AddWithValue("$d", KmsJson.Serialize(alias));
        return command.ExecuteNonQuery();
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, string accountId, string region)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$a", accountId);
        command.Parameters.AddWithValue("$r", region);
        return command;
    }

    private static List<T> ReadAll<T>(SqliteCommand command)
    {
        using var reader = command.ExecuteReader();
        var list = new List<T>();
        while (reader.Read())
        {
            list.Add(KmsJson.Deserialize<T>(reader.GetString(0)));
        }

        return list;
    }
}
