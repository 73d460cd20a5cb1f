using System.IO.Compression;
using System.Text.Json;
using System.Text.RegularExpressions;
using Kiln.Core.Audit;
using Kiln.Core.Shapes;
using Kiln.Services.CloudTrail.Domain;
using Kiln.Services.CloudTrail.Storage;

namespace Kiln.Services.CloudTrail.Tests;

public sealed partial class TrailDeliveryTests
{
    private const string Account = "111122223333";
    private const string Region = "us-east-1";
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly List<AuditEvent> _events = [];
    private readonly MemoryObjectSink _sink = new();
    private readonly ManualClock _clock = new(T0);
    private readonly TrailService _trails;
    private readonly TrailDelivery _delivery;

    public TrailDeliveryTests()
    {
        _sink.Buckets["logs"] = (Account, MemoryObjectSink.DocumentedPolicy("logs", Account, prefix: "p"));
        _trails = new TrailService(new MemoryTrailStore(), _sink, _clock);
        var factory = TrailRecord.Factory([new ServiceInfo("kms") { EndpointPrefix = "kms" }, new ServiceInfo("s3") { EndpointPrefix = "s3" },
            new ServiceInfo("iam") { EndpointPrefix = "iam" }]);
        _delivery = new TrailDelivery(_trails, new ListAuditLog(_events), _sink, factory);
    }

    private void Record(double seconds, string service, string op, string region = Region, string? error = null,
        string account = Account, IReadOnlyList<string>? resources = null) =>
        _events.Add(new AuditEvent(T0.AddSeconds(seconds), $"req-{_events.Count}", account, region, $"arn:aws:iam::{account}:user/alice",
            "AKIAALICE", service, op, "127.0.0.1", "aws-cli/2", error is null ? 200 : 403, error, error is null ? null : "denied", resources));

    private async Task StartAsync(bool multiRegion = false, bool globalEvents = true)
    {
        await _trails.CreateAsync(Account, Region, "main", new TrailSettings("logs", "p", globalEvents, multiRegion), null, default);
        await _trails.StartLoggingAsync(Account, Region, "main", default);
    }

    private List<JsonElement> Records(string? region = null) =>
    [
        .. _sink.Objects.Where(o => region is null || o.Key.Key.Contains("/CloudTrail/" + region + "/", StringComparison.Ordinal))
            .SelectMany(o =>
            {
                using var gz = new GZipStream(new MemoryStream(o.Value), CompressionMode.Decompress);
                using var doc = JsonDocument.Parse(gz);
                return doc.RootElement.GetProperty("Records").EnumerateArray().Select(r => r.Clone()).ToList();
            }),
    ];

    [GeneratedRegex(@"^p/AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/01/111122223333_CloudTrail_us-east-1_20260301T1201Z_[A-Za-z0-9]{16}\.json\.gz$")]
    private static partial Regex KeyFormat();

    [Fact]
    public async Task Deliver_ManagementEventsSinceStart_AsGzippedRecordsUnderDocumentedKey()
    {
        Record(-5, "kms", "CreateKey"); // before StartLogging
        await StartAsync();
        Record(1, "kms", "CreateKey", resources: ["arn:aws:kms:us-east-1:111122223333:key/k1"]);
        Record(2, "kms", "Decrypt", error: "AccessDeniedException");
        Record(3, "s3", "PutObject", resources: ["arn:aws:s3:::data/a.csv"]); // data event
        Record(4, "s3", "CreateBucket", resources: ["arn:aws:s3:::data"]);
        _clock.UtcNow = T0.AddSeconds(60);

        Assert.Equal(1, await _delivery.DeliverAsync(default));

        var key = Assert.Single(_sink.Objects.Keys).Key;
        Assert.Matches(KeyFormat(), key);
        var records = Records();
        Assert.Equal(["CreateKey", "Decrypt", "CreateBucket"], records.Select(r => r.GetProperty("eventName").GetString()));
        Assert.Equal("AccessDeniedException", records[1].GetProperty("errorCode").GetString());
        Assert.Equal("IAMUser", records[0].GetProperty("userIdentity").GetProperty("type").GetString());
        var resource = Assert.Single(records[0].GetProperty("resources").EnumerateArray().ToList());
        Assert.Equal("AWS::KMS::Key", resource.GetProperty("type").GetString());
        Assert.Equal("arn:aws:kms:us-east-1:111122223333:key/k1", resource.GetProperty("ARN").GetString());
        Assert.Equal("AWS::S3::Bucket", records[2].GetProperty("resources")[0].GetProperty("type").GetString());

        var trail = await _trails.ResolveAsync(Account, Region, "main", false, default);
        Assert.Equal(_clock.UtcNow, trail.LatestDeliveryTime);
        Assert.Null(trail.LatestDeliveryError);
    }

    [Fact]
    public async Task Deliver_TwoPasses_NoDuplicates_LateEventStillDelivered()
    {
        await StartAsync();
        Record(1, "kms", "CreateKey");
        _clock.UtcNow = T0.AddSeconds(10);
        await _delivery.DeliverAsync(default);
        // A slow request received before the first pass finishes after it.
        Record(5, "kms", "ListKeys");
        Record(12, "kms", "DescribeKey");
        _clock.UtcNow = T0.AddSeconds(20);
        await _delivery.DeliverAsync(default);

        Assert.Equal(2, _sink.Objects.Count);
        Assert.Equal(["CreateKey", "DescribeKey", "ListKeys"], Records().Select(r => r.GetProperty("eventName").GetString()).Order());
    }

    [Fact]
    public async Task Deliver_SingleRegionTrail_TakesHomeRegionAndIam_MultiRegionTakesAll()
    {
        await StartAsync();
        Record(1, "kms", "ListKeys", region: "eu-west-1");
        Record(2, "iam", "CreateUser", region: "eu-west-1");
        Record(3, "kms", "ListAliases");
        Record(4, "kms", "ListKeys", account: "999999999999");
        _clock.UtcNow = T0.AddSeconds(10);
        await _delivery.DeliverAsync(default);
        Assert.Equal(["CreateUser"], Records("eu-west-1").Select(r => r.GetProperty("eventName").GetString()));
        Assert.Equal(["ListAliases"], Records(Region).Select(r => r.GetProperty("eventName").GetString()));

        await _trails.UpdateAsync(Account, Region, "main", new TrailSettings(null, null, null, true), default);
        Record(11, "kms", "ListKeys", region: "eu-west-1");
        _clock.UtcNow = T0.AddSeconds(20);
        await _delivery.DeliverAsync(default);
        Assert.Equal(["CreateUser", "ListKeys"], Records("eu-west-1").Select(r => r.GetProperty("eventName").GetString()).Order());
    }

    [Fact]
    public async Task Deliver_BucketGone_ReportsErrorAndRetriesLater()
    {
        await StartAsync();
        Record(1, "kms", "CreateKey");
        var bucket = _sink.Buckets["logs"];
        _sink.Buckets.Remove("logs");
        _clock.UtcNow = T0.AddSeconds(10);
        await _delivery.DeliverAsync(default);
        var failed = await _trails.ResolveAsync(Account, Region, "main", false, default);
        Assert.Equal("NoSuchBucket", failed.LatestDeliveryError);
        Assert.Null(failed.LatestDeliveryTime);

        _sink.Buckets["logs"] = bucket;
        _clock.UtcNow = T0.AddSeconds(20);
        await _delivery.DeliverAsync(default);
        Assert.Equal(["CreateKey"], Records().Select(r => r.GetProperty("eventName").GetString()));
        Assert.Null((await _trails.ResolveAsync(Account, Region, "main", false, default)).LatestDeliveryError);
    }

    [Fact]
    public async Task Deliver_PolicyRemovedAfterCreate_ReportsAccessDenied()
    {
        await StartAsync();
        Record(1, "kms", "CreateKey");
        _sink.Buckets["logs"] = (Account, null);
        _clock.UtcNow = T0.AddSeconds(10);
        await _delivery.DeliverAsync(default);
        Assert.Equal("AccessDenied", (await _trails.ResolveAsync(Account, Region, "main", false, default)).LatestDeliveryError);
        Assert.Empty(_sink.Objects);
    }

    [Fact]
    public async Task Deliver_AfterStopLogging_DeliversOnlyWhatCameBeforeTheStop()
    {
        await StartAsync();
        Record(1, "kms", "CreateKey");
        _clock.UtcNow = T0.AddSeconds(5);
        await _trails.StopLoggingAsync(Account, Region, "main", default);
        Record(6, "kms", "ListKeys");
        _clock.UtcNow = T0.AddSeconds(10);
        await _delivery.DeliverAsync(default);
        _clock.UtcNow = T0.AddSeconds(20);
        Assert.Equal(0, await _delivery.DeliverAsync(default));
        Assert.Equal(["CreateKey"], Records().Select(r => r.GetProperty("eventName").GetString()));
    }

    [Fact]
    public async Task Deliver_NothingNew_WritesNoFile()
    {
        await StartAsync();
        _clock.UtcNow = T0.AddSeconds(10);
        Assert.Equal(0, await _delivery.DeliverAsync(default));
        Assert.Empty(_sink.Objects);
    }

    [Fact]
    public async Task Deliver_StoppedWindow_IsNeverDelivered_EvenAsLateEvents()
    {
        await StartAsync();
        Record(1, "kms", "CreateKey");
        _clock.UtcNow = T0.AddSeconds(5);
        await _delivery.DeliverAsync(default);
        await _trails.StopLoggingAsync(Account, Region, "main", default);
        Record(7, "kms", "ListKeys"); // while stopped
        _clock.UtcNow = T0.AddSeconds(10);
        await _trails.StartLoggingAsync(Account, Region, "main", default);
        Record(11, "kms", "DescribeKey");
        _clock.UtcNow = T0.AddSeconds(20);
        await _delivery.DeliverAsync(default);
        Assert.Equal(["CreateKey", "DescribeKey"], Records().Select(r => r.GetProperty("eventName").GetString()).Order());
    }
}
