using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Kiln.Storage.Sqlite;

namespace Kiln.Services.S3.Domain;

/// <summary>One bucket's stored lifecycle configuration. <see cref="BucketCreatedAt"/> ties it to
/// one incarnation of the bucket name: a bucket deleted and created again starts without rules.</summary>
public sealed record StoredLifecycle(string Bucket, DateTimeOffset BucketCreatedAt, LifecycleConfiguration Configuration);

/// <summary>Lifecycle configurations by bucket. Kept beside the S3 metadata store rather than in it
/// so the lifecycle feature adds a table and touches no existing row layout.</summary>
public interface ILifecycleStore
{
    Task<StoredLifecycle?> GetAsync(string bucket, CancellationToken cancellationToken);
    Task PutAsync(StoredLifecycle lifecycle, CancellationToken cancellationToken);
    /// <returns>false when the bucket had no configuration.</returns>
    Task<bool> DeleteAsync(string bucket, CancellationToken cancellationToken);
    Task<IReadOnlyList<StoredLifecycle>> ListAsync(CancellationToken cancellationToken);
}

public sealed class MemoryLifecycleStore : ILifecycleStore
{
    private readonly Dictionary<string, StoredLifecycle> _items = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public Task<StoredLifecycle?> GetAsync(string bucket, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult(_items.GetValueOrDefault(bucket));
        }
    }

    public Task PutAsync(StoredLifecycle lifecycle, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _items[lifecycle.Bucket] = lifecycle;
        }

        return Task.CompletedTask;
    }

    public Task<bool> DeleteAsync(string bucket, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult(_items.Remove(bucket));
        }
    }

    public Task<IReadOnlyList<StoredLifecycle>> ListAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult<IReadOnlyList<StoredLifecycle>>(_items.Values.OrderBy(l => l.Bucket, StringComparer.Ordinal).ToList());
        }
    }
}

/// <summary>Lifecycle configurations in the shared SQLite database, one JSON document per bucket.</summary>
public sealed class SqliteLifecycleStore : ILifecycleStore
{
    // Append-only (SqliteDatabase.Migrate). v1: the table.
    private static readonly string[] s_schema =
    [
        "CREATE TABLE s3_lifecycle (bucket TEXT PRIMARY KEY, created_at TEXT NOT NULL, doc TEXT NOT NULL);",
    ];

    private readonly SqliteDatabase _db;

    public SqliteLifecycleStore(SqliteDatabase db)
    {
        _db = db;
        db.Migrate("s3-lifecycle", s_schema);
    }

    public Task<StoredLifecycle?> GetAsync(string bucket, CancellationToken cancellationToken) =>
        Task.FromResult(Read("WHERE bucket = $b", bucket).FirstOrDefault());

    public Task PutAsync(StoredLifecycle lifecycle, CancellationToken cancellationToken)
    {
        using var c = _db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "INSERT INTO s3_lifecycle (bucket, created_at, doc) VALUES ($b, $c, $d) " +
                          "ON CONFLICT(bucket) DO UPDATE SET created_at = excluded.created_at, doc = excluded.doc";
        cmd.Parameters.AddWithValue("$b", lifecycle.Bucket);
        cmd.Parameters.AddWithValue("$c", lifecycle.BucketCreatedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        cmd.Parameters.AddWithValue("$d", JsonSerializer.Serialize(lifecycle.Configuration, LifecycleJson.Default.LifecycleConfiguration));
        cmd.ExecuteNonQuery();
        return Task.CompletedTask;
    }

    public Task<bool> DeleteAsync(string bucket, CancellationToken cancellationToken)
    {
        using var c = _db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "DELETE FROM s3_lifecycle WHERE bucket = $b";
        cmd.Parameters.AddWithValue("$b", bucket);
        return Task.FromResult(cmd.ExecuteNonQuery() > 0);
    }

    public Task<IReadOnlyList<StoredLifecycle>> ListAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<StoredLifecycle>>(Read("ORDER BY bucket", null));

    private List<StoredLifecycle> Read(string where, string? bucket)
    {
        using var c = _db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT bucket, created_at, doc FROM s3_lifecycle " + where;
        if (bucket is not null)
        {
            cmd.Parameters.AddWithValue("$b", bucket);
        }

        using var r = cmd.ExecuteReader();
        var list = new List<StoredLifecycle>();
        while (r.Read())
        {
            list.Add(new StoredLifecycle(r.GetString(0),
                DateTimeOffset.Parse(r.GetString(1), CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal),
                JsonSerializer.Deserialize(r.GetString(2), LifecycleJson.Default.LifecycleConfiguration)!));
        }

        return list;
    }
}

/// <summary>Source-generated JSON for stored lifecycle configurations.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(LifecycleConfiguration))]
internal sealed partial class LifecycleJson : JsonSerializerContext;
