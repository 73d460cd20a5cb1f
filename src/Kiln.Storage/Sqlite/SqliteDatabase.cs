using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace Kiln.Storage.Sqlite;

/// <summary>The metadata database: one SQLite file in WAL mode, shared by the server and by CLI
/// commands run beside it (WAL lets readers and one writer work across processes). Each module
/// owns a numbered list of schema steps; <see cref="Migrate"/> applies the missing ones in one
/// transaction per module.</summary>
public sealed class SqliteDatabase
{
    private static int s_initialized;
    private static readonly ConditionalWeakTable<SQLitePCL.sqlite3, object> s_configured = new();
    private static readonly object s_configuredMark = new();

    public SqliteDatabase(string path)
    {
        if (Interlocked.Exchange(ref s_initialized, 1) == 0)
        {
            SQLitePCL.Batteries_V2.Init();
        }

        ConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
        }.ToString();

        using var connection = Open();
        Execute(connection, "PRAGMA journal_mode=WAL;");
    }

    public string ConnectionString { get; }

    /// <summary>Opens a pooled connection with Kiln's per-connection settings.</summary>
    public SqliteConnection Open()
    {
        var connection = new SqliteConnection(ConnectionString);
        connection.Open();
        // The settings belong to the native handle, which the pool hands out again: apply them
        // once per handle, not per Open (re-running them was a visible share of an S3 GET).
        // NORMAL in WAL mode: a commit survives a process crash (kill -9); each checkpoint fsyncs.
        // busy_timeout lets a CLI command and the server write the same file without SQLITE_BUSY.
        var handle = connection.Handle!;
        if (!s_configured.TryGetValue(handle, out _))
        {
            Execute(connection, "PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON;");
            s_configured.AddOrUpdate(handle, s_configuredMark);
        }

        return connection;
    }

    /// <summary>Brings <paramref name="module"/>'s schema up to date. Steps are append-only:
    /// never edit a released step, add a new one.</summary>
    public void Migrate(string module, IReadOnlyList<string> steps)
    {
        using var connection = Open();
        Execute(connection, "CREATE TABLE IF NOT EXISTS schema_versions (module TEXT PRIMARY KEY, version INTEGER NOT NULL);");
        using var transaction = connection.BeginTransaction(deferred: false);
        using var read = connection.CreateCommand();
        read.Transaction = transaction;
        read.CommandText = "SELECT version FROM schema_versions WHERE module = $m";
        read.Parameters.AddWithValue("$m", module);
        var current = read.ExecuteScalar() is long v ? (int)v : 0;
        if (current > steps.Count)
        {
            throw new InvalidOperationException(
                $"The data directory's {module} schema is version {current}, newer than this Kiln knows ({steps.Count}).");
        }

        for (var i = current; i < steps.Count; i++)
        {
            using var step = connection.CreateCommand();
            step.Transaction = transaction;
            step.CommandText = steps[i];
            step.ExecuteNonQuery();
        }

        using var write = connection.CreateCommand();
        write.Transaction = transaction;
        write.CommandText = "INSERT INTO schema_versions (module, version) VALUES ($m, $v) " +
                            "ON CONFLICT(module) DO UPDATE SET version = excluded.version";
        write.Parameters.AddWithValue("$m", module);
        write.Parameters.AddWithValue("$v", steps.Count);
        write.ExecuteNonQuery();
        transaction.Commit();
    }

    public static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
