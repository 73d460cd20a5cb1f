using Kiln.Core.Audit;
using Kiln.Storage.Audit;

namespace Kiln.Storage.Tests;

public sealed class AuditLogTests : IDisposable
{
    private readonly TempDir _dir = new();

    private static AuditEvent Event(int i, string account) => new(
        DateTimeOffset.UnixEpoch.AddSeconds(i), $"req-{i}", account, "us-east-1", $"arn:aws:iam::{account}:root",
        "AKIAEXAMPLE", "sts", "GetCallerIdentity", "127.0.0.1", "test-agent", i % 2 == 0 ? 200 : 403,
        i % 2 == 0 ? null : "SignatureDoesNotMatch", null);

    [Fact]
    public async Task Append_ThenFlush_EveryEventIsDurableInOrder()
    {
        await using (var log = new FileAuditLog(_dir.Data.AuditDirectory))
        {
            for (var i = 0; i < 5000; i++)
            {
                log.Append(Event(i, i % 3 == 0 ? "111111111111" : "222222222222"));
            }

            await log.FlushAsync(default);
        }

        await using var reopened = new FileAuditLog(_dir.Data.AuditDirectory);
        var all = await reopened.ListAsync(null, null, 10_000, default);
        var mine = await reopened.ListAsync("111111111111", null, 10_000, default);

        Assert.Equal(5000, all.Count);
        Assert.Equal("req-4999", all[0].RequestId);
        Assert.Equal(1667, mine.Count);
        Assert.All(mine, e => Assert.Equal("111111111111", e.AccountId));
        Assert.Equal("SignatureDoesNotMatch", all.First(e => e.RequestId == "req-1").ErrorCode);
    }

    [Fact]
    public async Task Dispose_DrainsWhatIsQueued()
    {
        await using (var log = new FileAuditLog(_dir.Data.AuditDirectory))
        {
            for (var i = 0; i < 100; i++)
            {
                log.Append(Event(i, "333333333333"));
            }
        }

        await using var reopened = new FileAuditLog(_dir.Data.AuditDirectory);
        Assert.Equal(100, (await reopened.ListAsync(null, null, 1000, default)).Count);
    }

    [Fact]
    public async Task List_TornLastLine_IsSkipped()
    {
        await using (var log = new FileAuditLog(_dir.Data.AuditDirectory))
        {
            log.Append(Event(1, "444444444444"));
            await log.FlushAsync(default);
        }

        var segment = Directory.GetFiles(_dir.Data.AuditDirectory).Single();
        await File.AppendAllTextAsync(segment, "{\"v\":1,\"eventTime\":\"2026-");

        await using var reopened = new FileAuditLog(_dir.Data.AuditDirectory);
        Assert.Single(await reopened.ListAsync(null, null, 10, default));
    }

    [Fact]
    public async Task Append_EventsOfDifferentHours_GoToTheirOwnSegments()
    {
        await using var log = new FileAuditLog(_dir.Data.AuditDirectory);
        log.Append(Event(0, "555555555555"));
        log.Append(Event(7200, "555555555555"));
        await log.FlushAsync(default);

        Assert.Equal(2, Directory.GetFiles(_dir.Data.AuditDirectory, "audit-v1-*.jsonl").Length);
        Assert.Equal(["req-7200", "req-0"], (await log.ListAsync(null, null, 10, default)).Select(e => e.RequestId));
    }

    [Fact]
    public async Task Append_WithResources_RoundTrips()
    {
        await using (var log = new FileAuditLog(_dir.Data.AuditDirectory))
        {
            log.Append(Event(1, "666666666666") with { Resources = ["arn:aws:s3:::b", "arn:aws:s3:::b/k"] });
            log.Append(Event(2, "666666666666"));
            await log.FlushAsync(default);
        }

        await using var reopened = new FileAuditLog(_dir.Data.AuditDirectory);
        var events = await reopened.ListAsync(null, null, 10, default);
        Assert.Null(events[0].Resources);
        Assert.Equal(["arn:aws:s3:::b", "arn:aws:s3:::b/k"], events[1].Resources!);
    }

    [Fact]
    public async Task List_LineWrittenBeforeResourcesExisted_ReadsWithoutResources()
    {
        var dir = _dir.Data.AuditDirectory;
        Directory.CreateDirectory(dir);
        await File.WriteAllTextAsync(Path.Combine(dir, "audit-v1-19700101T00.jsonl"),
            "{\"v\":1,\"eventTime\":\"1970-01-01T00:00:05Z\",\"requestId\":\"old\",\"accountId\":\"777777777777\"," +
            "\"region\":\"us-east-1\",\"service\":\"sts\",\"operation\":\"GetCallerIdentity\",\"httpStatus\":200}\n");

        await using var log = new FileAuditLog(dir);
        var e = Assert.Single(await log.ListAsync("777777777777", null, 10, default));
        Assert.Equal("old", e.RequestId);
        Assert.Null(e.Resources);
    }

    [Fact]
    public async Task Append_ManyResources_KeepsAtMostTheCap()
    {
        await using var log = new FileAuditLog(_dir.Data.AuditDirectory);
        log.Append(Event(1, "888888888888") with { Resources = [.. Enumerable.Range(0, 1000).Select(i => "arn:aws:s3:::b/" + i)] });
        await log.FlushAsync(default);
        Assert.Equal(FileAuditLog.MaxResources, (await log.ListAsync(null, null, 10, default))[0].Resources!.Count);
    }

    public void Dispose() => _dir.Dispose();
}
