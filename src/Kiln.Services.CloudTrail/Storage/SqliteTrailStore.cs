using System.Text.Json;
using Kiln.Services.CloudTrail.Domain;
using Kiln.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Kiln.Services.CloudTrail.Storage;

/// <summary>Trails in the metadata database, one JSON document per row (<see cref="Trail"/>'s
/// property names, layout version 1).</summary>
public sealed class SqliteTrailStore : ITrailStore
{
    // Append-only (SqliteDatabase.Migrate). v1: the table.
    private static readonly string[] s_schema =
    [
        """
        CREATE TABLE cloudtrail_trails (
            account_id TEXT NOT NULL,
            region     TEXT NOT NULL,
            name       TEXT NOT NULL,
            document   TEXT NOT NULL,
            PRIMARY KEY (account_id, region, name));
        """,
    ];

    private readonly SqliteDatabase _db;

    public SqliteTrailStore(SqliteDatabase db)
    {
        _db = db;
        db.Migrate("cloudtrail", s_schema);
    }

    public Task<Trail?> GetAsync(string accountId, string region, string name, CancellationToken cancellationToken)
    {
        using var connection = _db.Open();
        using var command = Command(connection, "SELECT document FROM cloudtrail_trails WHERE account_id = $a AND region = $r AND name = $n",
            accountId, region, name);
        return Task.FromResult(command.ExecuteScalar() is string json ? Deserialize(json) : null);
    }

    public Task<IReadOnlyList<Trail>> ListAsync(string accountId, CancellationToken cancellationToken)
    {
        using var connection = _db.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT document FROM cloudtrail_trails WHERE account_id = $a ORDER BY region, name";
        command.Parameters.AddWithValue("$a", accountId);
        return Task.FromResult<IReadOnlyList<Trail>>(ReadAll(command));
    }

    public Task<IReadOnlyList<Trail>> ListAllAsync(CancellationToken cancellationToken)
    {
        using var connection = _db.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT document FROM cloudtrail_trails";
        return Task.FromResult<IReadOnlyList<Trail>>(ReadAll(command));
    }

    public Task<bool> TryAddAsync(Trail trail, CancellationToken cancellationToken)
    {
        using var connection = _db.Open();
        using var command = Command(connection, "INSERT INTO cloudtrail_trails (account_id, region, name, document) VALUES ($a, $r, $n, $d) " +
                                                "ON CONFLICT(account_id, region, name) DO NOTHING",
            trail.AccountId, trail.HomeRegion, trail.Name);
        command.Parameters.AddWithValue("$d", JsonSerializer.Serialize(trail));
        return Task.FromResult(command.ExecuteNonQuery() == 1);
    }

    public Task<bool> ReplaceAsync(Trail trail, CancellationToken cancellationToken)
    {
        using var connection = _db.Open();
        using var command = Command(connection, "UPDATE cloudtrail_trails SET document = $d WHERE account_id = $a AND region = $r AND name = $n",
            trail.AccountId, trail.HomeRegion, trail.Name);
        command.Parameters.AddWithValue("$d", JsonSerializer.Serialize(trail));
        return Task.FromResult(command.ExecuteNonQuery() == 1);
    }

    public Task DeleteAsync(string accountId, string region, string name, CancellationToken cancellationToken)
    {
        using var connection = _db.Open();
        using var command = Command(connection, "DELETE FROM cloudtrail_trails WHERE account_id = $a AND region = $r AND name = $n",
            accountId, region, name);
        command.ExecuteNonQuery();
        return Task.CompletedTask;
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, string accountId, string region, string name)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$a", accountId);
        command.Parameters.AddWithValue("$r", region);
        command.Parameters.AddWithValue("$n", name);
        return command;
    }

    private static Trail Deserialize(string json) => JsonSerializer.Deserialize<Trail>(json)!;

    private static List<Trail> ReadAll(SqliteCommand command)
    {
        using var reader = command.ExecuteReader();
        var list = new List<Trail>();
        while (reader.Read())
        {
            list.Add(Deserialize(reader.GetString(0)));
        }

        return list;
    }
}
