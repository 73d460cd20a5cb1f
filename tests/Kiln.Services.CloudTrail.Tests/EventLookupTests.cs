using System.Text.Json;
using Kiln.Core.Audit;
using Kiln.Core.Errors;
using Kiln.Services.CloudTrail.Domain;

namespace Kiln.Services.CloudTrail.Tests;

internal sealed class ListAuditLog(List<AuditEvent> events) : IAuditLog
{
    public void Append(AuditEvent auditEvent) => events.Add(auditEvent);

    public Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<IReadOnlyList<AuditEvent>> ListAsync(string? accountId, DateTimeOffset? since, int limit, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<AuditEvent>>(events.OrderByDescending(e => e.EventTime)
            .Where(e => (accountId is null || e.AccountId == accountId) && (since is null || e.EventTime >= since)).Take(limit).ToList());
}

public sealed class EventLookupTests
{
    private const string Account = "111122223333";
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static AuditEvent Event(int i, string op, string? error = null, string account = Account, string arn = "arn:aws:iam::111122223333:root") =>
        new(T0.AddSeconds(i), "req-" + i, account, "us-east-1", arn, "AKIA" + i, "kms", op, "127.0.0.1", "boto3", error is null ? 200 : 400, error,
            error is null ? null : "boom");

    private static EventLookup Lookup(params AuditEvent[] events) =>
        new(new ListAuditLog([.. events]), TrailRecord.Factory([new Kiln.Core.Shapes.ServiceInfo("kms") { EndpointPrefix = "kms" }]));

    private static LookupQuery Query(string? key = null, string? value = null, int max = 50, string? token = null) =>
        new(Account, key, value, null, null, max, token);

    [Fact]
    public async Task Lookup_OtherAccountsEvents_AreNeverReturned()
    {
        var lookup = Lookup(Event(1, "Encrypt"), Event(2, "Encrypt", account: "999999999999"));
        var (events, _) = await lookup.LookupAsync(Query(), default);
        Assert.Equal("req-1", Assert.Single(events).Event.RequestId);
    }

    [Fact]
    public async Task Lookup_ByEventName_NewestFirst_WithErrorCodeInRecord()
    {
        var lookup = Lookup(Event(1, "Decrypt", "InvalidCiphertextException"), Event(2, "Encrypt"), Event(3, "Decrypt"));
        var (events, next) = await lookup.LookupAsync(Query("EventName", "Decrypt"), default);
        Assert.Null(next);
        Assert.Equal(["req-3", "req-1"], events.Select(e => e.Event.RequestId));
        using var record = JsonDocument.Parse(events[1].ToJson());
        var r = record.RootElement;
        Assert.Equal("InvalidCiphertextException", r.GetProperty("errorCode").GetString());
        Assert.Equal("kms.amazonaws.com", r.GetProperty("eventSource").GetString());
        Assert.Equal("AwsApiCall", r.GetProperty("eventType").GetString());
        Assert.Equal(Account, r.GetProperty("recipientAccountId").GetString());
        Assert.Equal("Root", r.GetProperty("userIdentity").GetProperty("type").GetString());
        Assert.False(r.GetProperty("readOnly").GetBoolean());
        Assert.Equal(events[1].EventId, r.GetProperty("eventID").GetString());
    }

    [Fact]
    public async Task Lookup_Pages_ByNextToken_WithoutRepeats()
    {
        var lookup = Lookup(Event(1, "A"), Event(2, "B"), Event(3, "C"));
        var (p1, t1) = await lookup.LookupAsync(Query(max: 2), default);
        Assert.NotNull(t1);
        var (p2, t2) = await lookup.LookupAsync(Query(max: 2, token: t1), default);
        Assert.Null(t2);
        Assert.Equal(["C", "B", "A"], p1.Concat(p2).Select(e => e.EventName));
    }

    [Fact]
    public async Task Lookup_BadToken_ThrowsInvalidNextToken()
    {
        var e = await Assert.ThrowsAsync<AwsException>(() => Lookup(Event(1, "A")).LookupAsync(Query(token: "!!"), default));
        Assert.Equal("InvalidNextTokenException", e.Code);
    }

    [Theory]
    [InlineData("arn:aws:iam::111122223333:root", "root")]
    [InlineData("arn:aws:iam::111122223333:user/alice", "alice")]
    [InlineData("arn:aws:sts::111122223333:assumed-role/r/session1", "session1")]
    public async Task Lookup_ByUsername_MatchesCloudTrailNames(string arn, string username)
    {
        var (events, _) = await Lookup(Event(1, "A", arn: arn)).LookupAsync(Query("Username", username), default);
        Assert.Single(events);
    }

    [Fact]
    public async Task Lookup_ReadOnlyAndAccessKey_Filter()
    {
        var lookup = Lookup(Event(1, "DescribeKey"), Event(2, "Encrypt"));
        Assert.Equal("DescribeKey", Assert.Single((await lookup.LookupAsync(Query("ReadOnly", "true"), default)).Events).EventName);
        Assert.Equal("Encrypt", Assert.Single((await lookup.LookupAsync(Query("AccessKeyId", "AKIA2"), default)).Events).EventName);
    }
}
