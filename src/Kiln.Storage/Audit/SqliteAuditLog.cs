using System.Threading.Channels;
using Kiln.Core.Audit;
using Kiln.Storage.Accounts;
using Kiln.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Kiln.Storage.Audit;

/// <summary>The audit log in the metadata database. Requests append to a channel and return; one
/// writer drains it in batches, one transaction per batch (group commit), so auditing costs a
/// request a queue write, not a disk write. Disposal drains what is queued.</summary>
public sealed class SqliteAuditLog : IAuditLog, IAsyncDisposable
{
    private const int MaxBatch = 2048;
    private const int MaxTextLength = 512;

    private static readonly string[] s_schema =
    [
        """
        CREATE TABLE audit_events (
            id            INTEGER PRIMARY KEY,
            event_time    TEXT NOT NULL,
            request_id    TEXT NOT NULL,
            account_id    TEXT,
            region        TEXT NOT NULL,
            principal_arn TEXT,
            access_key_id TEXT,
            service       TEXT NOT NULL,
            operation     TEXT,
            source_ip     TEXT,
            user_agent    TEXT,
            http_status   INTEGER NOT NULL,
            error_code    TEXT,
            error_message TEXT);
        CREATE INDEX audit_events_account_time ON audit_events(account_id, event_time);
        """,
    ];

    private readonly SqliteDatabase _db;
    private readonly Channel<(AuditEvent? Event, TaskCompletionSource? Flushed)> _queue =
        Channel.CreateUnbounded<(AuditEvent?, TaskCompletionSource?)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;

    public SqliteAuditLog(SqliteDatabase db)
    {
        _db = db;
        db.Migrate("audit", s_schema);
        _writer = Task.Run(WriteLoopAsync);
    }

    public void Append(AuditEvent auditEvent) => _queue.Writer.TryWrite((auditEvent, null));

    public Task FlushAsync(CancellationToken cancellationToken)
    {
        var flushed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_queue.Writer.TryWrite((null, flushed)))
        {
            return _writer;
        }

        return flushed.Task.WaitAsync(cancellationToken);
    }

    public Task<IReadOnlyList<AuditEvent>> ListAsync(string? accountId, DateTimeOffset? since, int limit,
        CancellationToken cancellationToken)
    {
        using var connection = _db.Open();
        using var command = connection.CreateCommand();
        command.CommandText =
            "SELECT event_time, request_id, account_id, region, principal_arn, access_key_id, service, operation, " +
            "source_ip, user_agent, http_status, error_code, error_message FROM audit_events " +
            "WHERE ($account IS NULL OR account_id = $account) AND ($since IS NULL OR event_time >= $since) " +
            "ORDER BY id DESC LIMIT $limit";
        command.Parameters.AddWithValue("$account", (object?)accountId ?? DBNull.Value);
        command.Parameters.AddWithValue("$since", since is { } s ? SqliteAccountStore.Format(s) : DBNull.Value);
        command.Parameters.AddWithValue("$limit", limit);
        using var reader = command.ExecuteReader();
        var events = new List<AuditEvent>();
        while (reader.Read())
        {
            events.Add(new AuditEvent(SqliteAccountStore.Parse(reader.GetString(0)), reader.GetString(1),
                Text(reader, 2), reader.GetString(3), Text(reader, 4), Text(reader, 5), reader.GetString(6),
                Text(reader, 7), Text(reader, 8), Text(reader, 9), reader.GetInt32(10), Text(reader, 11),
                Text(reader, 12)));
        }

        return Task.FromResult<IReadOnlyList<AuditEvent>>(events);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<AuditEvent>(MaxBatch);
        var waiters = new List<TaskCompletionSource>();
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < MaxBatch && reader.TryRead(out var item))
            {
                if (item.Event is not null)
                {
                    batch.Add(item.Event);
                }

                if (item.Flushed is not null)
                {
                    waiters.Add(item.Flushed);
                }
            }

            try
            {
                if (batch.Count > 0)
                {
                    Write(batch);
                }

                foreach (var waiter in waiters)
                {
                    waiter.TrySetResult();
                }
            }
            catch (Exception ex)
            {
                // The audit trail must not take the server down; a failed batch is reported to
                // whoever waits for it and the writer goes on with the next one.
                foreach (var waiter in waiters)
                {
                    waiter.TrySetException(ex);
                }
            }

            batch.Clear();
            waiters.Clear();
        }
    }

    private void Write(List<AuditEvent> batch)
    {
        using var connection = _db.Open();
        using var transaction = connection.BeginTransaction();
        using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText =
            "INSERT INTO audit_events (event_time, request_id, account_id, region, principal_arn, access_key_id, " +
            "service, operation, source_ip, user_agent, http_status, error_code, error_message) VALUES " +
            "($t, $rid, $acct, $region, $arn, $akid, $svc, $op, $ip, $ua, $status, $code, $msg)";
        var p = new[]
        {
            insert.Parameters.Add("$t", SqliteType.Text), insert.Parameters.Add("$rid", SqliteType.Text),
            insert.Parameters.Add("$acct", SqliteType.Text), insert.Parameters.Add("$region", SqliteType.Text),
            insert.Parameters.Add("$arn", SqliteType.Text), insert.Parameters.Add("$akid", SqliteType.Text),
            insert.Parameters.Add("$svc", SqliteType.Text), insert.Parameters.Add("$op", SqliteType.Text),
            insert.Parameters.Add("$ip", SqliteType.Text), insert.Parameters.Add("$ua", SqliteType.Text),
            insert.Parameters.Add("$status", SqliteType.Integer), insert.Parameters.Add("$code", SqliteType.Text),
            insert.Parameters.Add("$msg", SqliteType.Text),
        };
        insert.Prepare();
        foreach (var e in batch)
        {
            p[0].Value = SqliteAccountStore.Format(e.EventTime);
            p[1].Value = e.RequestId;
            p[2].Value = Db(e.AccountId);
            p[3].Value = e.Region;
            p[4].Value = Db(e.PrincipalArn);
            p[5].Value = Db(e.AccessKeyId);
            p[6].Value = e.Service;
            p[7].Value = Db(e.Operation);
            p[8].Value = Db(e.SourceIp);
            p[9].Value = Db(e.UserAgent);
            p[10].Value = e.HttpStatus;
            p[11].Value = Db(e.ErrorCode);
            p[12].Value = Db(e.ErrorMessage);
            insert.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    private static object Db(string? value) =>
        value is null ? DBNull.Value : value.Length > MaxTextLength ? value[..MaxTextLength] : value;

    private static string? Text(SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
