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

    public void Dispose() => _dir.Dispose();
}
