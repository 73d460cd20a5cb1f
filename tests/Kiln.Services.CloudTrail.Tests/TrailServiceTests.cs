using Kiln.Core.Errors;
using Kiln.Services.CloudTrail.Domain;
using Kiln.Services.CloudTrail.Storage;

namespace Kiln.Services.CloudTrail.Tests;

public sealed class TrailServiceTests
{
    private const string Account = "111122223333";
    private const string Region = "us-east-1";
    private readonly MemoryObjectSink _sink = new();
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly TrailService _trails;

    public TrailServiceTests()
    {
        _trails = new TrailService(new MemoryTrailStore(), _sink, _clock);
        _sink.Buckets["logs"] = (Account, MemoryObjectSink.DocumentedPolicy("logs", Account));
    }

    private Task<Trail> CreateAsync(string name, string bucket = "logs", string? prefix = null, bool multiRegion = false, string region = Region) =>
        _trails.CreateAsync(Account, region, name, new TrailSettings(bucket, prefix, null, multiRegion), null, default);

    private static async Task<string> CodeOfAsync(Func<Task> action) => (await Assert.ThrowsAsync<AwsException>(action)).Code;

    [Fact]
    public async Task CreateTrail_DocumentedPolicy_ReturnsArnInHomeRegion()
    {
        var trail = await CreateAsync("main");
        Assert.Equal("arn:aws:cloudtrail:us-east-1:111122223333:trail/main", trail.Arn);
        Assert.False(trail.IsLogging);
    }

    [Fact]
    public async Task CreateTrail_BucketMissing_ThrowsS3BucketDoesNotExist() =>
        Assert.Equal("S3BucketDoesNotExistException", await CodeOfAsync(() => CreateAsync("trail1", bucket: "nope-bucket")));

    [Fact]
    public async Task CreateTrail_BucketWithoutPolicy_ThrowsInsufficientS3BucketPolicy()
    {
        _sink.Buckets["bare"] = (Account, null);
        Assert.Equal("InsufficientS3BucketPolicyException", await CodeOfAsync(() => CreateAsync("trail1", bucket: "bare")));
    }

    [Fact]
    public async Task CreateTrail_PolicyForOtherPrefix_ThrowsInsufficientS3BucketPolicy()
    {
        _sink.Buckets["pfx"] = (Account, MemoryObjectSink.DocumentedPolicy("pfx", Account, prefix: "audit"));
        Assert.Equal("InsufficientS3BucketPolicyException", await CodeOfAsync(() => CreateAsync("trail1", bucket: "pfx")));
        Assert.Equal("audit", (await CreateAsync("trail2", bucket: "pfx", prefix: "audit")).S3KeyPrefix);
    }

    [Fact]
    public async Task CreateTrail_PolicyWithSourceArnCondition_AllowsOnlyThatTrail()
    {
        _sink.Buckets["arnb"] = (Account, MemoryObjectSink.DocumentedPolicy("arnb", Account,
            sourceArn: "arn:aws:cloudtrail:us-east-1:111122223333:trail/allowed"));
        await CreateAsync("allowed", bucket: "arnb");
        Assert.Equal("InsufficientS3BucketPolicyException", await CodeOfAsync(() => CreateAsync("other", bucket: "arnb")));
    }

    [Fact]
    public async Task CreateTrail_PolicyGrantingOtherAccountsFolder_ThrowsInsufficientS3BucketPolicy()
    {
        _sink.Buckets["otherfolder"] = (Account, MemoryObjectSink.DocumentedPolicy("otherfolder", "999999999999"));
        Assert.Equal("InsufficientS3BucketPolicyException", await CodeOfAsync(() => CreateAsync("trail1", bucket: "otherfolder")));
    }

    [Fact]
    public async Task CreateTrail_SameNameTwice_ThrowsTrailAlreadyExists()
    {
        await CreateAsync("dup");
        Assert.Equal("TrailAlreadyExistsException", await CodeOfAsync(() => CreateAsync("dup")));
    }

    [Fact]
    public async Task CreateTrail_SixthInRegion_ThrowsMaximumNumberOfTrailsExceeded()
    {
        for (var i = 0; i < 5; i++)
        {
            await CreateAsync("t" + i + "x");
        }

        Assert.Equal("MaximumNumberOfTrailsExceededException", await CodeOfAsync(() => CreateAsync("t5x")));
        await CreateAsync("t5x", region: "eu-west-1");
    }

    [Theory]
    [InlineData("ab")]
    [InlineData("-abc")]
    [InlineData("abc-")]
    [InlineData("my--trail")]
    [InlineData("my-_trail")]
    [InlineData("bad name")]
    [InlineData("192.168.5.4")]
    public async Task CreateTrail_BadName_ThrowsInvalidTrailName(string name) =>
        Assert.Equal("InvalidTrailNameException", await CodeOfAsync(() => CreateAsync(name)));

    [Fact]
    public async Task CreateTrail_LongName_OkAt128_InvalidAt129()
    {
        await CreateAsync(new string('a', 128));
        Assert.Equal("InvalidTrailNameException", await CodeOfAsync(() => CreateAsync(new string('a', 129))));
    }

    [Fact]
    public async Task Resolve_ByArnAndName_FindsTrail_UnknownIsTrailNotFound()
    {
        var trail = await CreateAsync("byarn");
        Assert.Equal("byarn", (await _trails.ResolveAsync(Account, Region, trail.Arn, false, default)).Name);
        Assert.Equal("byarn", (await _trails.ResolveAsync(Account, Region, "byarn", false, default)).Name);
        var e = await Assert.ThrowsAsync<AwsException>(() => _trails.ResolveAsync(Account, Region, "missing", false, default));
        Assert.Equal("TrailNotFoundException", e.Code);
        Assert.Equal("Unknown trail: arn:aws:cloudtrail:us-east-1:111122223333:trail/missing for the user: 111122223333", e.Message);
        Assert.Equal("CloudTrailARNInvalidException",
            await CodeOfAsync(() => _trails.ResolveAsync(Account, Region, "arn:aws:s3:::bucket", false, default)));
        Assert.Equal("TrailNotFoundException",
            await CodeOfAsync(() => _trails.ResolveAsync("999999999999", Region, trail.Arn, false, default)));
    }

    [Fact]
    public async Task MultiRegionTrail_VisibleElsewhere_ChangedOnlyFromHomeRegion()
    {
        await CreateAsync("everywhere", multiRegion: true);
        await CreateAsync("here");
        var shadows = await _trails.DescribeAsync(Account, "eu-west-1", null, includeShadowTrails: true, default);
        Assert.Equal(["everywhere"], shadows.Select(t => t.Name));
        Assert.Empty(await _trails.DescribeAsync(Account, "eu-west-1", null, includeShadowTrails: false, default));
        Assert.Equal("InvalidHomeRegionException",
            await CodeOfAsync(() => _trails.StartLoggingAsync(Account, "eu-west-1", "everywhere", default)));
        Assert.Equal("TrailNotFoundException", await CodeOfAsync(() => _trails.ResolveAsync(Account, "eu-west-1", "here", false, default)));
    }

    [Fact]
    public async Task StartStopLogging_RecordTimes_DeleteRemoves()
    {
        await CreateAsync("life");
        await _trails.StartLoggingAsync(Account, Region, "life", default);
        var started = await _trails.ResolveAsync(Account, Region, "life", false, default);
        Assert.True(started.IsLogging);
        Assert.Equal(_clock.UtcNow, started.StartLoggingTime);
        _clock.UtcNow = _clock.UtcNow.AddMinutes(1);
        await _trails.StopLoggingAsync(Account, Region, "life", default);
        var stopped = await _trails.ResolveAsync(Account, Region, "life", false, default);
        Assert.False(stopped.IsLogging);
        Assert.Equal(_clock.UtcNow, stopped.StopLoggingTime);
        await _trails.DeleteAsync(Account, Region, "life", default);
        Assert.Equal("TrailNotFoundException", await CodeOfAsync(() => _trails.StartLoggingAsync(Account, Region, "life", default)));
    }

    [Fact]
    public async Task CreateTrail_BadPrefixOrBucketName_IsRefused()
    {
        Assert.Equal("InvalidS3PrefixException", await CodeOfAsync(() => CreateAsync("pre1", prefix: new string('p', 201))));
        Assert.Equal("InvalidS3BucketNameException", await CodeOfAsync(() => CreateAsync("pre2", bucket: "Bad_Bucket")));
    }

    [Fact]
    public async Task Tags_AddRemove_ByArnOnly()
    {
        var trail = await CreateAsync("tagged");
        await _trails.ChangeTagsAsync(Account, trail.Arn, [("team", "ml"), ("env", "dev")], remove: false, default);
        await _trails.ChangeTagsAsync(Account, trail.Arn, [("env", "prod"), ("team", null)], remove: true, default);
        var read = await _trails.FindByArnAsync(Account, trail.Arn, default);
        Assert.Equal(["env"], read.Tags.Keys);
        Assert.Equal("CloudTrailARNInvalidException",
            await CodeOfAsync(() => _trails.ChangeTagsAsync(Account, "tagged", [("a", "b")], remove: false, default)));
        Assert.Equal("ResourceNotFoundException",
            await CodeOfAsync(() => _trails.FindByArnAsync(Account, "arn:aws:cloudtrail:us-east-1:111122223333:trail/none", default)));
        Assert.Equal("TagsLimitExceededException", await CodeOfAsync(() => _trails.ChangeTagsAsync(Account, trail.Arn,
            [.. Enumerable.Range(0, 51).Select(i => ("k" + i, (string?)"v"))], remove: false, default)));
    }
}
