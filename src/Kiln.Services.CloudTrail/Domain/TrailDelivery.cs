using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Compression;
using System.Text.Json;
using Kiln.Core.Audit;
using Kiln.Core.Errors;

namespace Kiln.Services.CloudTrail.Domain;

/// <summary>
/// One delivery pass: for each trail with something to deliver, the account's audit events since the
/// trail's cursor become gzipped <c>{"Records":[...]}</c> files in the trail's bucket, one file per
/// event region (and at most <see cref="MaxRecordsPerFile"/> records each).
///
/// What a trail receives (default event selectors: management events, read and write): every call
/// of the trail's account that reached a service operation, accepted or refused (AccessDenied and
/// other errors included, with errorCode), except data events (S3 object calls and object listings,
/// SageMaker runtime invocations; see <see cref="TrailRecord.IsDataEvent"/>). A single-region trail takes
/// its home region's events plus IAM's (a global service) when IncludeGlobalServiceEvents is on; a
/// multi-region trail takes every region's. Requests that failed authentication carry no account
/// and go to no trail. Nothing is delivered from before StartLogging or after StopLogging.
///
/// The audit log is appended when a request finishes, so a slow request shows up after quicker,
/// later ones: each pass re-reads <see cref="Lookback"/> before the cursor and skips request ids it
/// has already seen. That memory is per process: after a restart, a request that was running
/// across the last pass before the restart is missed. A write that fails (bucket gone, policy
/// changed) is reported as LatestDeliveryError and retried next pass from the same cursor.
/// </summary>
public sealed class TrailDelivery(TrailService trails, IAuditLog audit, ITrailObjectSink sink, Func<AuditEvent, TrailRecord> records)
{
    public const int MaxRecordsPerFile = 1000;
    public const int ScanLimit = 200_000;
    public static readonly TimeSpan Lookback = TimeSpan.FromMinutes(2);

    private readonly ConcurrentDictionary<string, Delivered> _delivered = new(StringComparer.Ordinal);

    /// <returns>The number of log files written.</returns>
    public async Task<int> DeliverAsync(CancellationToken cancellationToken)
    {
        var files = 0;
        var pending = (await trails.ListAllAsync(cancellationToken).ConfigureAwait(false)).Where(t => t.HasPendingDelivery).ToList();
        if (pending.Count == 0)
        {
            return 0;
        }

        // Calls that finished just before this pass are in the audit queue; make them readable.
        await audit.FlushAsync(cancellationToken).ConfigureAwait(false);
        foreach (var trail in pending)
        {
            files += await DeliverAsync(trail, cancellationToken).ConfigureAwait(false);
        }

        return files;
    }

    private async Task<int> DeliverAsync(Trail trail, CancellationToken cancellationToken)
    {
        var now = trails.Clock.UtcNow;
        var cursor = trail.DeliveredThrough ?? trail.StartLoggingTime ?? now;
        var upTo = trail.IsLogging || trail.StopLoggingTime is not { } stop ? now : stop < now ? stop : now;
        var key = trail.Arn + "|" + trail.CreatedAt.UtcTicks;
        var delivered = _delivered.GetOrAdd(key, _ => new Delivered());
        var since = delivered.Fresh ? cursor : cursor - Lookback;
        var events = await audit.ListAsync(trail.AccountId, since, ScanLimit, cancellationToken).ConfigureAwait(false);
        var selected = new List<TrailRecord>();
        // Every event this pass looked at, delivered or not: a later pass must not take one it
        // already judged (after UpdateTrail made the trail multi-region, say) for a late arrival.
        var seen = new List<(DateTimeOffset, string)>();
        foreach (var e in events)
        {
            if (e.EventTime > upTo || e.EventTime < since || (e.EventTime <= cursor && (delivered.Fresh || delivered.Contains(e.RequestId))) ||
                (trail.StartLoggingTime is { } started && e.EventTime < started))
            {
                continue;
            }

            seen.Add((e.EventTime, e.RequestId));
            if (e.AccountId != trail.AccountId || e.Operation is null || !InScope(trail, e))
            {
                continue;
            }

            var record = records(e);
            if (record.ManagementEvent)
            {
                selected.Add(record);
            }
        }

        var files = 0;
        string? error = null;
        try
        {
            files = await WriteAsync(trail, selected, now, cancellationToken).ConfigureAwait(false);
        }
        catch (AwsException e)
        {
            error = e.Code;
        }

        if (error is null)
        {
            delivered.Add(seen, upTo - Lookback);
        }

        await trails.ChangeAsync(trail, t => Task.FromResult(error is not null
            ? t with { LatestDeliveryAttemptTime = now, LatestDeliveryError = error }
            : t with
            {
                DeliveredThrough = upTo,
                LatestDeliveryAttemptTime = files > 0 ? now : t.LatestDeliveryAttemptTime,
                LatestDeliveryTime = files > 0 ? now : t.LatestDeliveryTime,
                LatestDeliveryError = files > 0 ? null : t.LatestDeliveryError,
            }), cancellationToken).ConfigureAwait(false);
        return files;
    }

    /// <summary>Regions a trail covers ("How CloudTrail works": single-Region and multi-Region trails;
    /// global service events are IAM's).</summary>
    public static bool InScope(Trail trail, AuditEvent e) =>
        trail.IsMultiRegionTrail || e.Region == trail.HomeRegion ||
        (trail.IncludeGlobalServiceEvents && string.Equals(e.Service, "iam", StringComparison.OrdinalIgnoreCase));

    private async Task<int> WriteAsync(Trail trail, List<TrailRecord> selected, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (selected.Count == 0)
        {
            return 0;
        }

        var bucket = await sink.FindBucketAsync(trail.S3BucketName, cancellationToken).ConfigureAwait(false)
                     ?? throw new AwsException("NoSuchBucket", "The specified bucket does not exist", 404);
        var files = 0;
        foreach (var region in selected.GroupBy(r => r.Event.Region, StringComparer.Ordinal))
        {
            var ordered = region.OrderBy(r => r.Event.EventTime).ThenBy(r => r.Event.RequestId, StringComparer.Ordinal).ToList();
            for (var i = 0; i < ordered.Count; i += MaxRecordsPerFile)
            {
                var objectKey = TrailNames.LogFileKey(trail.S3KeyPrefix, trail.AccountId, region.Key, now);
                if (!BucketPolicyCheck.AllowsPutObject(bucket, trail, objectKey, now))
                {
                    throw new AwsException("AccessDenied", "Access Denied", 403);
                }

                var body = Gzip(ordered.Skip(i).Take(MaxRecordsPerFile));
                await sink.PutObjectAsync(bucket.OwnerAccountId, trail.S3BucketName, objectKey, body, "application/x-gzip", cancellationToken)
                    .ConfigureAwait(false);
                files++;
            }
        }

        return files;
    }

    /// <summary>A log file: <c>{"Records":[...]}</c>, gzipped ("CloudTrail log file examples").</summary>
    public static byte[] Gzip(IEnumerable<TrailRecord> records)
    {
        var json = new ArrayBufferWriter<byte>(64 * 1024);
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("Records");
            foreach (var r in records)
            {
                r.WriteTo(writer);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(json.WrittenSpan);
        }

        return output.ToArray();
    }

    /// <summary>Request ids seen within the lookback window, for one trail.</summary>
    private sealed class Delivered
    {
        private readonly HashSet<string> _ids = new(StringComparer.Ordinal);
        private readonly Queue<(DateTimeOffset Time, string Id)> _order = new();

        /// <summary>True until the first pass of this process: there is nothing to compare with, so
        /// that pass takes only events after the cursor.</summary>
        public bool Fresh { get; private set; } = true;

        public bool Contains(string requestId)
        {
            lock (_ids)
            {
                return _ids.Contains(requestId);
            }
        }

        public void Add(IEnumerable<(DateTimeOffset Time, string Id)> events, DateTimeOffset forgetBefore)
        {
            lock (_ids)
            {
                Fresh = false;
                foreach (var (time, id) in events.OrderBy(e => e.Time))
                {
                    if (_ids.Add(id))
                    {
                        _order.Enqueue((time, id));
                    }
                }

                // Not strictly ordered (late events), so a few ids may stay a little longer: harmless.
                while (_order.TryPeek(out var oldest) && oldest.Time < forgetBefore)
                {
                    _ids.Remove(_order.Dequeue().Id);
                }
            }
        }
    }
}
