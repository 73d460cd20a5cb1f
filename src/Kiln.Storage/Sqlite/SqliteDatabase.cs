using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
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
    private const int MaxIdlePrepared = 16;
    private readonly ConcurrentBag<PreparedConnection> _idlePrepared = [];
    private int _idlePreparedCount;
    private const int MaxBatch = 256;
    private readonly Channel<IBatchedWrite> _writes = Channel.CreateUnbounded<IBatchedWrite>(
        new UnboundedChannelOptions { SingleReader = true });
    private int _writerStarted;

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
        // FULL in WAL mode: a commit is fsynced, so it survives a power cut, not only kill -9. The
        // hot writers (S3 PUT and DELETE) share one commit, hence one fsync, per batch (WriteAsync).
        // busy_timeout lets a CLI command and the server write the same file without SQLITE_BUSY.
        var handle = connection.Handle!;
        if (!s_configured.TryGetValue(handle, out _))
        {
            Execute(connection, "PRAGMA synchronous=FULL; PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON;");
            s_configured.AddOrUpdate(handle, s_configuredMark);
        }

        return connection;
    }

    /// <summary>An open connection that keeps the statements it prepared, for hot paths that run the
    /// same few queries on every request (an S3 GET): parsing and planning a statement cost more than
    /// running it. Dispose returns it to a small idle pool.</summary>
    public PreparedConnection Rent()
    {
        if (_idlePrepared.TryTake(out var idle))
        {
            Interlocked.Decrement(ref _idlePreparedCount);
            return idle;
        }

        return new PreparedConnection(this, Open());
    }

    private void Return(PreparedConnection connection)
    {
        if (Interlocked.Increment(ref _idlePreparedCount) <= MaxIdlePrepared)
        {
            _idlePrepared.Add(connection);
            return;
        }

        Interlocked.Decrement(ref _idlePreparedCount);
        connection.Close();
    }

    /// <summary>See <see cref="Rent"/>. One caller at a time; every reader must be disposed before
    /// the connection is (a live reader would pin a WAL snapshot).</summary>
    public sealed class PreparedConnection : IDisposable
    {
        private readonly SqliteDatabase _owner;
        private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);

        internal PreparedConnection(SqliteDatabase owner, SqliteConnection connection)
        {
            _owner = owner;
            Connection = connection;
        }

        public SqliteConnection Connection { get; }

        /// <summary>The command for <paramref name="sql"/>, prepared on first use, with no parameters.</summary>
        public SqliteCommand Command(string sql)
        {
            if (!_commands.TryGetValue(sql, out var command))
            {
                command = Connection.CreateCommand();
                command.CommandText = sql;
                _commands[sql] = command;
            }

            command.Parameters.Clear();
            return command;
        }

        public void Dispose() => _owner.Return(this);

        internal void Close()
        {
            foreach (var command in _commands.Values)
            {
                command.Dispose();
            }

            Connection.Dispose();
        }
    }

    /// <summary>
    /// Group commit: runs <paramref name="work"/> in a transaction shared with whatever other writes
    /// are waiting, one commit (one WAL fsync) for all of them; returns once that commit is durable.
    /// Each write runs inside its own savepoint, so one that throws is rolled back alone and its
    /// caller gets the exception; the others commit. Writers never queue on SQLite's lock (whose busy
    /// handler sleeps), only on this one in-process writer.
    /// </summary>
    public Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, T> work)
    {
        var write = new BatchedWrite<T>(work);
        if (Interlocked.Exchange(ref _writerStarted, 1) == 0)
        {
            _ = Task.Run(WriteLoopAsync);
        }

        _writes.Writer.TryWrite(write);
        return write.Completion.Task;
    }

    private async Task WriteLoopAsync()
    {
        using var connection = Open();
        // Checkpoints run beside the writer (CheckpointSoon), not inside a commit: copying the WAL
        // into the database and fsyncing it there stalled every write of the batch (p99 ~1 s).
        Execute(connection, "PRAGMA wal_autocheckpoint=0;");
        var batch = new List<IBatchedWrite>(MaxBatch);
        while (await _writes.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < MaxBatch && _writes.Reader.TryRead(out var next))
            {
                batch.Add(next);
            }

            try
            {
                using var transaction = connection.BeginTransaction(deferred: false);
                foreach (var write in batch)
                {
                    transaction.Save("w");
                    try
                    {
                        write.Run(connection, transaction);
                        transaction.Release("w");
                    }
                    catch (Exception e)
                    {
                        transaction.Rollback("w");
                        transaction.Release("w");
                        write.Fail(e);
                    }
                }

                transaction.Commit();
                foreach (var write in batch)
                {
                    write.Complete();
                }

                CheckpointSoon();
            }
            catch (Exception e)
            {
                foreach (var write in batch)
                {
                    write.Fail(e);
                }
            }

            batch.Clear();
        }
    }

    private int _checkpointing;
    private long _lastCheckpoint = Environment.TickCount64;

    /// <summary>At most once a second, a PASSIVE checkpoint on another connection and thread: it
    /// copies what no reader needs any more and never blocks the writer.</summary>
    private void CheckpointSoon()
    {
        if (Environment.TickCount64 - Volatile.Read(ref _lastCheckpoint) < 1000
            || Interlocked.Exchange(ref _checkpointing, 1) == 1)
        {
            return;
        }

        _ = Task.Run(() =>
        {
            try
            {
                using var connection = Open();
                Execute(connection, "PRAGMA wal_checkpoint(PASSIVE);");
            }
            catch (SqliteException)
            {
                // A busy database: the next batch tries again.
            }
            finally
            {
                Volatile.Write(ref _lastCheckpoint, Environment.TickCount64);
                Volatile.Write(ref _checkpointing, 0);
            }
        });
    }

    private interface IBatchedWrite
    {
        void Run(SqliteConnection connection, SqliteTransaction transaction);
        void Fail(Exception error);
        void Complete();
    }

    private sealed class BatchedWrite<T>(Func<SqliteConnection, SqliteTransaction, T> work) : IBatchedWrite
    {
        private T? _result;
        private Exception? _error;

        public TaskCompletionSource<T> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Run(SqliteConnection connection, SqliteTransaction transaction) => _result = work(connection, transaction);

        public void Fail(Exception error)
        {
            _error ??= error;
            Completion.TrySetException(error);
        }

        public void Complete()
        {
            if (_error is null)
            {
                Completion.TrySetResult(_result!);
            }
        }
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
