using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Collections.Concurrent;
using Kiln.Core.Audit;

namespace Kiln.Storage.Audit;

/// <summary>The audit log as append-only JSON-lines segments, one per UTC hour, under
/// <c>&lt;data-dir&gt;/audit/</c>. Requests add to a queue and return. One writer drains the queue every
/// <see cref="DrainInterval"/> (or at once for <see cref="FlushAsync"/>), writes the batch and fsyncs
/// it: a killed process or a power cut loses at most that window. Waking the writer per request,
/// or fsyncing per batch, each cost the gateway a third of its throughput (bench/sigv4-vs-nginx.sh).
///
/// Why files, not SQLite rows: an insert per request cost 40% of the gateway's throughput in
/// bench/sigv4-vs-nginx.sh (33k → 53k requests/s without it); appending a line costs a few
/// percent. Segments are read newest first, which is how LookupEvents pages.
///
/// Format, version 1: file <c>audit-v1-yyyyMMddTHH.jsonl</c>; each line one JSON object with
/// "v":1 and the fields of <see cref="AuditEvent"/> in camelCase. A torn last line (a crash during
/// a write) is skipped when reading. Still version 1, added later: an optional "resources" array of
/// ARNs (at most <see cref="MaxResources"/>); lines without it read as no resources.</summary>
public sealed class FileAuditLog : IAuditLog, IAsyncDisposable
{
    private const string Prefix = "audit-v1-";
    private const string Suffix = ".jsonl";
    private const int MaxTextLength = 512;
    // An object ARN holds a key of up to 1024 bytes; DeleteObjects names up to 1000 keys.
    private const int MaxArnLength = 2048;
    public const int MaxResources = 100;
    private static readonly TimeSpan DrainInterval = TimeSpan.FromMilliseconds(10);

    private readonly string _directory;
    private readonly ConcurrentQueue<AuditEvent> _queue = new();
    private readonly ConcurrentQueue<TaskCompletionSource> _flushes = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _writer;
    private FileStream? _segment;
    private long _segmentHour = -1;

    public FileAuditLog(string directory)
    {
        _directory = directory;
        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        _writer = Task.Run(WriteLoopAsync);
    }

    public void Append(AuditEvent auditEvent) => _queue.Enqueue(auditEvent);

    public Task FlushAsync(CancellationToken cancellationToken)
    {
        var flushed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _flushes.Enqueue(flushed);
        _wake.Release();
        return flushed.Task.WaitAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<AuditEvent>> ListAsync(string? accountId, DateTimeOffset? since, int limit,
        CancellationToken cancellationToken)
    {
        var events = new List<AuditEvent>();
        var segments = Directory.GetFiles(_directory, Prefix + "*" + Suffix).OrderDescending(StringComparer.Ordinal);
        foreach (var segment in segments)
        {
            var lines = await File.ReadAllLinesAsync(segment, cancellationToken).ConfigureAwait(false);
            for (var i = lines.Length - 1; i >= 0; i--)
            {
                if (Parse(lines[i]) is not { } e)
                {
                    continue;
                }

                if (since is { } s && e.EventTime < s)
                {
                    return events;
                }

                if (accountId is null || e.AccountId == accountId)
                {
                    events.Add(e);
                    if (events.Count >= limit)
                    {
                        return events;
                    }
                }
            }
        }

        return events;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _writer.ConfigureAwait(false);
        _segment?.Dispose();
        _wake.Dispose();
        _stop.Dispose();
    }

    private async Task WriteLoopAsync()
    {
        var buffer = new ArrayBufferWriter<byte>(64 * 1024);
        using var json = new Utf8JsonWriter(buffer);
        var stopping = false;
        while (!stopping)
        {
            try
            {
                await _wake.WaitAsync(DrainInterval, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                stopping = true;
            }

            // Flush requests are taken before draining, so every event appended before a
            // FlushAsync call is in this batch.
            var waiters = new List<TaskCompletionSource>();
            while (_flushes.TryDequeue(out var waiter))
            {
                waiters.Add(waiter);
            }

            try
            {
                Drain(buffer, json);
                foreach (var waiter in waiters)
                {
                    waiter.TrySetResult();
                }
            }
            catch (IOException ex)
            {
                // The audit trail must not take the server down: whoever waits hears of it and
                // the writer goes on with the next batch.
                foreach (var waiter in waiters)
                {
                    waiter.TrySetException(ex);
                }
            }
        }
    }

    private void Drain(ArrayBufferWriter<byte> buffer, Utf8JsonWriter json)
    {
        var written = false;
        while (_queue.TryPeek(out var next))
        {
            // A write never spans two hourly segments.
            var hour = Hour(next.EventTime);
            buffer.ResetWrittenCount();
            json.Reset(buffer);
            while (_queue.TryPeek(out var e) && Hour(e.EventTime) == hour && buffer.WrittenCount < 1 << 20)
            {
                _queue.TryDequeue(out _);
                Serialize(json, e);
                json.Reset(buffer);
                buffer.Write("\n"u8);
            }

            Segment(hour).Write(buffer.WrittenSpan);
            written = true;
        }

        if (written)
        {
            _segment!.Flush(flushToDisk: true);
        }
    }

    private FileStream Segment(long hour)
    {
        if (_segmentHour == hour && _segment is not null)
        {
            return _segment;
        }

        _segment?.Dispose();
        var name = Prefix + new DateTime(hour * TimeSpan.TicksPerHour, DateTimeKind.Utc)
            .ToString("yyyyMMdd'T'HH", CultureInfo.InvariantCulture) + Suffix;
        _segment = new FileStream(Path.Combine(_directory, name), new FileStreamOptions
        {
            Mode = FileMode.Append,
            Access = FileAccess.Write,
            Share = FileShare.Read,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        _segmentHour = hour;
        return _segment;
    }

    private static long Hour(DateTimeOffset time) => time.UtcTicks / TimeSpan.TicksPerHour;

    private static void Serialize(Utf8JsonWriter json, AuditEvent e)
    {
        json.WriteStartObject();
        json.WriteNumber("v", 1);
        json.WriteString("eventTime", e.EventTime.UtcDateTime);
        json.WriteString("requestId", e.RequestId);
        Text(json, "accountId", e.AccountId);
        json.WriteString("region", e.Region);
        Text(json, "principalArn", e.PrincipalArn);
        Text(json, "accessKeyId", e.AccessKeyId);
        json.WriteString("service", e.Service);
        Text(json, "operation", e.Operation);
        Text(json, "sourceIp", e.SourceIp);
        Text(json, "userAgent", e.UserAgent);
        json.WriteNumber("httpStatus", e.HttpStatus);
        Text(json, "errorCode", e.ErrorCode);
        Text(json, "errorMessage", e.ErrorMessage);
        if (e.Resources is { Count: > 0 } resources)
        {
            json.WriteStartArray("resources");
            for (var i = 0; i < resources.Count && i < MaxResources; i++)
            {
                var arn = resources[i];
                json.WriteStringValue(arn.Length > MaxArnLength ? arn.AsSpan(0, MaxArnLength) : arn);
            }

            json.WriteEndArray();
        }

        json.WriteEndObject();
        json.Flush();
    }

    private static void Text(Utf8JsonWriter json, string name, string? value)
    {
        if (value is not null)
        {
            json.WriteString(name, value.Length > MaxTextLength ? value.AsSpan(0, MaxTextLength) : value);
        }
    }

    private static AuditEvent? Parse(string line)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            var r = doc.RootElement;
            if (!r.TryGetProperty("v", out var v) || v.GetInt32() != 1)
            {
                return null;
            }

            return new AuditEvent(r.GetProperty("eventTime").GetDateTimeOffset(), r.GetProperty("requestId").GetString()!,
                Get(r, "accountId"), r.GetProperty("region").GetString()!, Get(r, "principalArn"), Get(r, "accessKeyId"),
                r.GetProperty("service").GetString()!, Get(r, "operation"), Get(r, "sourceIp"), Get(r, "userAgent"),
                r.GetProperty("httpStatus").GetInt32(), Get(r, "errorCode"), Get(r, "errorMessage"), Resources(r));
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? Get(JsonElement e, string name) => e.TryGetProperty(name, out var p) ? p.GetString() : null;

    private static string[]? Resources(JsonElement e)
    {
        if (!e.TryGetProperty("resources", out var array) || array.ValueKind != JsonValueKind.Array || array.GetArrayLength() == 0)
        {
            return null;
        }

        var resources = new string[array.GetArrayLength()];
        var i = 0;
        foreach (var item in array.EnumerateArray())
        {
            resources[i++] = item.GetString() ?? "";
        }

        return resources;
    }
}
