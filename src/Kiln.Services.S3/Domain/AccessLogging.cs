using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Kiln.Core;
using Kiln.Core.Errors;
using Kiln.Core.Shapes;
using Kiln.Storage.Sqlite;

namespace Kiln.Services.S3.Domain;

/// <summary>Where a bucket's server access logs go (PutBucketLogging's LoggingEnabled).</summary>
public sealed record AccessLogTarget(string TargetBucket, string TargetPrefix);

/// <summary>Bucket logging configurations by source bucket.</summary>
public interface IAccessLogStore
{
    Task<AccessLogTarget?> GetAsync(string bucket, CancellationToken cancellationToken);
    /// <summary>Sets, or with null removes, the bucket's logging target.</summary>
    Task SetAsync(string bucket, AccessLogTarget? target, CancellationToken cancellationToken);
}

public sealed class MemoryAccessLogStore : IAccessLogStore
{
    private readonly ConcurrentDictionary<string, AccessLogTarget> _items = new(StringComparer.Ordinal);

    public Task<AccessLogTarget?> GetAsync(string bucket, CancellationToken cancellationToken) =>
        Task.FromResult(_items.GetValueOrDefault(bucket));

    public Task SetAsync(string bucket, AccessLogTarget? target, CancellationToken cancellationToken)
    {
        if (target is null)
        {
            _items.TryRemove(bucket, out _);
        }
        else
        {
            _items[bucket] = target;
        }

        return Task.CompletedTask;
    }
}

public sealed class SqliteAccessLogStore : IAccessLogStore
{
    // Append-only (SqliteDatabase.Migrate). v1: the table.
    private static readonly string[] s_schema =
    [
        "CREATE TABLE s3_logging (bucket TEXT PRIMARY KEY, target_bucket TEXT NOT NULL, target_prefix TEXT NOT NULL);",
    ];

    private readonly SqliteDatabase _db;

    public SqliteAccessLogStore(SqliteDatabase db)
    {
        _db = db;
        db.Migrate("s3-logging", s_schema);
    }

    public Task<AccessLogTarget?> GetAsync(string bucket, CancellationToken cancellationToken)
    {
        using var c = _db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT target_bucket, target_prefix FROM s3_logging WHERE bucket = $b";
        cmd.Parameters.AddWithValue("$b", bucket);
        using var r = cmd.ExecuteReader();
        return Task.FromResult(r.Read() ? new AccessLogTarget(r.GetString(0), r.GetString(1)) : null);
    }

    public Task SetAsync(string bucket, AccessLogTarget? target, CancellationToken cancellationToken)
    {
        using var c = _db.Open();
        using var cmd = c.CreateCommand();
        cmd.Parameters.AddWithValue("$b", bucket);
        if (target is null)
        {
            cmd.CommandText = "DELETE FROM s3_logging WHERE bucket = $b";
        }
        else
        {
            cmd.CommandText = "INSERT INTO s3_logging (bucket, target_bucket, target_prefix) VALUES ($b, $t, $p) " +
                              "ON CONFLICT(bucket) DO UPDATE SET target_bucket = excluded.target_bucket, " +
                              "target_prefix = excluded.target_prefix";
            cmd.Parameters.AddWithValue("$t", target.TargetBucket);
            cmd.Parameters.AddWithValue("$p", target.TargetPrefix);
        }

        cmd.ExecuteNonQuery();
        return Task.CompletedTask;
    }
}

/// <summary>Put/GetBucketLogging.</summary>
public sealed partial class ObjectService
{
    public IAccessLogStore AccessLogs { get; init; } = new MemoryAccessLogStore();

    /// <summary>Raised after a bucket's logging target changes, so the recorder's cache follows.</summary>
    internal event Action<string>? LoggingChanged;

    /// <param name="target">null turns logging off (an empty BucketLoggingStatus).</param>
    public async Task SetBucketLoggingAsync(string account, string bucketName, AccessLogTarget? target,
        CancellationToken cancellationToken)
    {
        var bucket = await GetBucketAsync(account, bucketName, cancellationToken).ConfigureAwait(false);
        if (target is not null)
        {
            var destination = await store.GetBucketAsync(target.TargetBucket, cancellationToken).ConfigureAwait(false)
                              ?? throw S3Errors.InvalidTargetBucketForLogging("The target bucket for logging does not exist");
            if (destination.OwnerAccountId != account)
            {
                throw S3Errors.InvalidTargetBucketForLogging(
                    "The owner for the bucket to be logged and the target bucket must be the same.");
            }

            if (destination.Region != bucket.Region)
            {
                throw S3Errors.CrossLocationLoggingProhibited();
            }
        }

        await AccessLogs.SetAsync(bucketName, target, cancellationToken).ConfigureAwait(false);
        LoggingChanged?.Invoke(bucketName);
    }

    public async Task<AccessLogTarget?> GetBucketLoggingAsync(string account, string bucketName,
        CancellationToken cancellationToken)
    {
        await GetBucketAsync(account, bucketName, cancellationToken).ConfigureAwait(false);
        return await AccessLogs.GetAsync(bucketName, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>One request as S3 server access logging records it.</summary>
public sealed record AccessLogRecord
{
    public required string BucketOwner { get; init; }
    public required string Bucket { get; init; }
    public required DateTimeOffset Time { get; init; }
    public string? RemoteIp { get; init; }
    public string? Requester { get; init; }
    public required string RequestId { get; init; }
    public required string Operation { get; init; }
    public string? Key { get; init; }
    public required string RequestUri { get; init; }
    public int HttpStatus { get; init; }
    public string? ErrorCode { get; init; }
    public long? BytesSent { get; init; }
    public long? ObjectSize { get; init; }
    public long TotalTimeMs { get; init; }
    public long TurnAroundTimeMs { get; init; }
    public string? UserAgent { get; init; }
    public string? VersionId { get; init; }
    public bool Secure { get; init; }

    /// <summary>The line in AWS's format ("Amazon S3 server access log format"): space-separated
    /// fields, "-" for none, the time in brackets, URI, referrer and user agent quoted.</summary>
    public string Format()
    {
        static string F(string? v) => string.IsNullOrEmpty(v) ? "-" : v;
        static string N(long? v) => v is { } n ? n.ToString(CultureInfo.InvariantCulture) : "-";
        static string Q(string? v) => "\"" + (string.IsNullOrEmpty(v) ? "-" : v.Replace("\"", "\\\"", StringComparison.Ordinal)) + "\"";
        var time = Time.UtcDateTime.ToString("dd/MMM/yyyy:HH:mm:ss", CultureInfo.InvariantCulture) + " +0000";
        return string.Join(' ',
            F(BucketOwner), F(Bucket), "[" + time + "]", F(RemoteIp), F(Requester), F(RequestId), F(Operation),
            F(Key is null ? null : AccessLogFormat.EncodeKey(Key)), Q(RequestUri),
            HttpStatus.ToString(CultureInfo.InvariantCulture), F(ErrorCode), N(BytesSent), N(ObjectSize),
            N(TotalTimeMs), N(TurnAroundTimeMs), Q(null), Q(UserAgent), F(VersionId), "-", "SigV4",
            Secure ? "ECDHE-RSA-AES128-GCM-SHA256" : "-", "AuthHeader", "-", Secure ? "TLSv1.2" : "-", "-", "-");
    }
}

public static class AccessLogFormat
{
    /// <summary>Key and URI as S3 logs them: percent-encoded, '/' kept.</summary>
    public static string EncodeKey(string key) => Uri.EscapeDataString(key).Replace("%2F", "/", StringComparison.Ordinal);

    /// <summary>S3's operation field, REST.&lt;method&gt;.&lt;resource&gt; (REST.GET.OBJECT,
    /// REST.PUT.LIFECYCLE...): the resource is the subresource in the model's request URI
    /// (?tagging → TAGGING; a name=value parameter is no subresource), else OBJECT for a key and BUCKET without one, with S3's own names for
    /// multipart calls.</summary>
    public static string Operation(OperationInfo op, bool hasKey)
    {
        var resource = op.Name switch
        {
            "CreateMultipartUpload" => "UPLOADS",
            "CompleteMultipartUpload" => "UPLOAD",
            "AbortMultipartUpload" => "UPLOAD",
            "UploadPart" or "UploadPartCopy" => "PART",
            "ListParts" => "UPLOAD",
            "ListMultipartUploads" => "UPLOADS",
            "DeleteObjects" => "MULTI_OBJECT_DELETE",
            "CopyObject" => "COPY",
            "ListBuckets" => "SERVICE",
            "ListObjectVersions" => "BUCKETVERSIONS",
            _ => null,
        };
        if (resource is null)
        {
            var query = op.RequestUri.IndexOf('?', StringComparison.Ordinal) is var q and >= 0 ? op.RequestUri[(q + 1)..] : "";
            // A subresource is a bare query name (?lifecycle, ?tagging); list-type=2 or x-id=... are not.
            var sub = query.Split('&')[0];
            resource = sub.Length > 0 && !sub.Contains('=', StringComparison.Ordinal)
                ? sub.ToUpperInvariant()
                : hasKey ? "OBJECT" : "BUCKET";
            if (hasKey && resource is not ("OBJECT" or "BUCKET"))
            {
                resource = "OBJECT_" + resource;
            }
        }

        return "REST." + op.HttpMethod + "." + resource;
    }
}

/// <summary>Collects access log lines of buckets with logging on, by source bucket, until
/// <see cref="AccessLogDelivery"/> writes them out. Delivery is best effort, as S3 documents for
/// server access logs: lines still buffered when the process dies are lost.</summary>
public sealed class AccessLogRecorder
{
    private readonly ObjectService _objects;
    private readonly ConcurrentDictionary<string, AccessLogTarget?> _targets = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _owners = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentQueue<string>> _pending = new(StringComparer.Ordinal);

    public AccessLogRecorder(ObjectService objects)
    {
        _objects = objects;
        objects.LoggingChanged += bucket => _targets.TryRemove(bucket, out _);
    }

    public async ValueTask<AccessLogTarget?> TargetOfAsync(string bucket, CancellationToken cancellationToken)
    {
        if (_targets.TryGetValue(bucket, out var target))
        {
            return target;
        }

        target = await _objects.AccessLogs.GetAsync(bucket, cancellationToken).ConfigureAwait(false);
        if (target is not null &&
            await _objects.Store.GetBucketAsync(bucket, cancellationToken).ConfigureAwait(false) is { } source)
        {
            _owners[bucket] = source.OwnerAccountId;
        }

        _targets[bucket] = target;
        return target;
    }

    /// <summary>The owner of a bucket whose logging target was looked up (the log's first field).</summary>
    public string? OwnerOf(string bucket) => _owners.GetValueOrDefault(bucket);

    public void Record(AccessLogRecord record) =>
        _pending.GetOrAdd(record.Bucket, _ => new ConcurrentQueue<string>()).Enqueue(record.Format());

    /// <summary>Takes every buffered line, by source bucket.</summary>
    internal IEnumerable<(string Bucket, List<string> Lines)> Drain()
    {
        foreach (var (bucket, queue) in _pending)
        {
            var lines = new List<string>();
            while (queue.TryDequeue(out var line))
            {
                lines.Add(line);
            }

            if (lines.Count > 0)
            {
                yield return (bucket, lines);
            }
        }
    }
}

/// <summary>Writes buffered access log lines as objects in each target bucket, named
/// <c>TargetPrefix + YYYY-mm-DD-HH-MM-SS-UniqueString</c> as S3 names them.</summary>
public sealed class AccessLogDelivery(ObjectService objects, AccessLogRecorder recorder)
{
    /// <returns>The number of log objects written.</returns>
    public async Task<int> FlushAsync(CancellationToken cancellationToken)
    {
        var written = 0;
        foreach (var (bucket, lines) in recorder.Drain())
        {
            var target = await recorder.TargetOfAsync(bucket, cancellationToken).ConfigureAwait(false);
            var source = await objects.Store.GetBucketAsync(bucket, cancellationToken).ConfigureAwait(false);
            if (target is null || source is null)
            {
                continue;
            }

            var now = objects.Clock.UtcNow.UtcDateTime;
            var key = target.TargetPrefix + now.ToString("yyyy-MM-dd-HH-mm-ss", CultureInfo.InvariantCulture) + "-" +
                      Convert.ToHexString(Guid.NewGuid().ToByteArray().AsSpan(0, 8));
            var body = Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n");
            try
            {
                await objects.PutObjectAsync(source.OwnerAccountId, target.TargetBucket, key, new MemoryStream(body),
                    new ObjectWrite { Content = new Storage.ContentHeaders { ContentType = "text/plain" } }, cancellationToken)
                    .ConfigureAwait(false);
                written++;
            }
            catch (AwsException)
            {
                // The target bucket is gone or refuses the write: S3 drops the logs too.
            }
        }

        return written;
    }
}

/// <summary>Wraps the S3 API so each call on a bucket with logging on leaves an access log record.
/// It sees what the API sees: requests refused before the service (bad signature, IAM deny) are
/// in the audit log, not here.</summary>
public sealed class AccessLoggingServiceApi(IServiceApi inner, AccessLogRecorder recorder, IClock clock) : IServiceApi
{
    public ServiceInfo Service => inner.Service;

    public async Task<object?> InvokeAsync(OperationInfo operation, object? input, RequestContext context)
    {
        var bucket = Member(operation.Input, input, "Bucket") as string;
        var target = bucket is null ? null : await recorder.TargetOfAsync(bucket, context.Aborted).ConfigureAwait(false);
        if (target is null)
        {
            return await inner.InvokeAsync(operation, input, context).ConfigureAwait(false);
        }

        var watch = Stopwatch.StartNew();
        try
        {
            var output = await inner.InvokeAsync(operation, input, context).ConfigureAwait(false);
            Record(operation, input, output, context, bucket!, context.ResponseStatusCode ?? operation.ResponseCode, null,
                watch.ElapsedMilliseconds);
            return output;
        }
        catch (AwsException error)
        {
            Record(operation, input, null, context, bucket!, error.StatusCode ?? 400, error.Code, watch.ElapsedMilliseconds);
            throw;
        }
    }

    private void Record(OperationInfo operation, object? input, object? output, RequestContext context, string bucket,
        int status, string? errorCode, long elapsedMs)
    {
        var key = Member(operation.Input, input, "Key") as string;
        var contentLength = Member(operation.Output, output, "ContentLength") as long?;
        var range = Member(operation.Output, output, "ContentRange") as string;
        long? objectSize = range is not null && long.TryParse(range[(range.LastIndexOf('/') + 1)..],
            NumberStyles.None, CultureInfo.InvariantCulture, out var total)
            ? total
            : contentLength ?? context.DecodedContentLength ?? Member(operation.Input, input, "ContentLength") as long?;
        var versionId = Member(operation.Output, output, "VersionId") as string ??
                        Member(operation.Input, input, "VersionId") as string;
        var uri = operation.HttpMethod + " /" + bucket + (key is null ? "" : "/" + AccessLogFormat.EncodeKey(key)) +
                  (versionId is null ? "" : "?versionId=" + versionId) + " HTTP/1.1";
        recorder.Record(new AccessLogRecord
        {
            BucketOwner = recorder.OwnerOf(bucket) ?? context.AccountId,
            Bucket = bucket,
            Time = clock.UtcNow,
            RemoteIp = context.SourceIp,
            Requester = context.Principal.Arn is "*" ? null : context.Principal.Arn,
            RequestId = context.RequestId,
            Operation = AccessLogFormat.Operation(operation, key is not null),
            Key = key,
            RequestUri = uri,
            HttpStatus = status,
            ErrorCode = errorCode,
            BytesSent = operation.HttpMethod == "GET" && errorCode is null ? contentLength : null,
            ObjectSize = objectSize,
            TotalTimeMs = elapsedMs,
            TurnAroundTimeMs = elapsedMs,
            UserAgent = context.UserAgent,
            VersionId = versionId,
            Secure = context.SecureTransport,
        });
    }

    private static object? Member(ShapeInfo? shape, object? value, string name) =>
        value is null ? null : shape?.FindMember(name)?.Get(value);
}
