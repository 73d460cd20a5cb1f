using Kiln.Services.Iam.Domain;
using Kiln.Storage.Sqlite;

namespace Kiln.Services.Iam.Storage;

/// <summary>IAM entities in the metadata database, one JSON document per row.</summary>
public sealed class SqliteIamStore : IIamStore
{
    private static readonly string[] s_schema =
    [
        """
        CREATE TABLE iam_entities (
            account_id TEXT NOT NULL,
            kind       INTEGER NOT NULL,
            name       TEXT NOT NULL,
            document   TEXT NOT NULL,
            PRIMARY KEY (account_id, kind, name));
        """,
    ];

    private readonly SqliteDatabase _db;

    public SqliteIamStore(SqliteDatabase db)
    {
        _db = db;
        db.Migrate("iam", s_schema);
    }

    public Task<T?> GetAsync<T>(string accountId, EntityKind kind, string name, CancellationToken cancellationToken)
        where T : class
    {
        using var connection = _db.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT document FROM iam_entities WHERE account_id = $a AND kind = $k AND name = $n";
        command.Parameters.AddWithValue("$a", accountId);
        command.Parameters.AddWithValue("$k", (int)kind);
        command.Parameters.AddWithValue("$n", name);
        return Task.FromResult(command.ExecuteScalar() is string json ? EntityJson.Deserialize<T>(json) : null);
    }

    public Task<IReadOnlyList<T>> ListAsync<T>(string accountId, EntityKind kind, CancellationToken cancellationToken)
        where T : class
    {
        using var connection = _db.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT document FROM iam_entities WHERE account_id = $a AND kind = $k ORDER BY name";
        command.Parameters.AddWithValue("$a", accountId);
        command.Parameters.AddWithValue("$k", (int)kind);
        using var reader = command.ExecuteReader();
        var list = new List<T>();
        while (reader.Read())
        {
            list.Add(EntityJson.Deserialize<T>(reader.GetString(0)));
        }

        return Task.FromResult<IReadOnlyList<T>>(list);
    }

    public Task WriteAsync(string accountId, IReadOnlyList<EntityWrite> writes, CancellationToken cancellationToken)
    {
        using var connection = _db.Open();
        using var transaction = connection.BeginTransaction(deferred: false);
        foreach (var w in writes)
        {
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.Parameters.AddWithValue("$a", accountId);
            command.Parameters.AddWithValue("$k", (int)w.Kind);
            command.Parameters.AddWithValue("$n", w.Name);
            if (w.Entity is null)
            {
                command.CommandText = "DELETE FROM iam_entities WHERE account_id = $a AND kind = $k AND name = $n";
            }
            else
            {
                command.CommandText = "INSERT INTO iam_entities (account_id, kind, name, document) VALUES ($a, $k, $n, $d) " +
                                      "ON CONFLICT(account_id, kind, name) DO UPDATE SET document = excluded.document";
                command.Parameters.AddWithValue("$d", EntityJson.Serialize(w.Kind, w.Entity));
            }

            command.ExecuteNonQuery();
        }

        transaction.Commit();
        return Task.CompletedTask;
    }
}
