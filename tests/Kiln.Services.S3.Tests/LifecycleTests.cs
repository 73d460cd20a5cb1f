using Kiln.Core.Errors;
using Kiln.Services.S3.Domain;
using Kiln.Services.S3.Storage;
using Kiln.Storage.Sqlite;

namespace Kiln.Services.S3.Tests;

/// <summary>Lifecycle rules, storage classes and restore on the in-memory store with a hand-moved
/// clock (real-length days: the unit does not matter to the domain).</summary>
public sealed class LifecycleTests : IDisposable
{
    private readonly Harness _h = new();
    private readonly LifecycleEngine _engine;

    public LifecycleTests() => _engine = new LifecycleEngine(_h.Objects);

    public void Dispose() => _h.Dispose();

    private static LifecycleRule Rule(string id, string prefix = "") =>
        new() { Id = id, Filter = new LifecycleFilter { Prefix = prefix } };

    private Task SetAsync(string bucket, params LifecycleRule[] rules) =>
        _h.Objects.SetLifecycleAsync(Harness.Account, bucket, new LifecycleConfiguration(rules), default);

    private Task<ObjectVersionRecord?> LatestAsync(string bucket, string key) =>
        _h.Store.GetVersionAsync(bucket, key, null, default);

    private static AwsException Invalid(LifecycleRule rule) =>
        Assert.Throws<AwsException>(() => LifecycleValidation.Validate(new LifecycleConfiguration([rule])));

    [Fact]
    public void Match_PrefixTagsAndSize_AllMustHold()
    {
        var rule = new LifecycleRule
        {
            Id = "r",
            Filter = new LifecycleFilter
            {
                And = new LifecycleAnd
                {
                    Prefix = "logs/", Tags = [new ObjectTag("t", "1")], ObjectSizeGreaterThan = 1, ObjectSizeLessThan = 10,
                },
            },
        };
        var match = LifecycleMatch.Of(rule);
        ObjectVersionRecord V(string key, long size, params ObjectTag[] tags) =>
            new() { Bucket = "b", Key = key, VersionId = "null", Size = size, Tags = tags };

        Assert.True(match.Matches(V("logs/a", 5, new ObjectTag("t", "1"), new ObjectTag("x", "y"))));
        Assert.False(match.Matches(V("data/a", 5, new ObjectTag("t", "1"))));
        Assert.False(match.Matches(V("logs/a", 5, new ObjectTag("t", "2"))));
        Assert.False(match.Matches(V("logs/a", 10, new ObjectTag("t", "1"))));
        Assert.False(match.Matches(V("logs/a", 1, new ObjectTag("t", "1"))));
        Assert.True(LifecycleMatch.Of(new LifecycleRule { Id = "legacy", Prefix = "" }).Matches(V("any", 0)));
    }

    [Fact]
    public void Validate_AwsErrors()
    {
        var ia = Invalid(Rule("r") with { Transitions = [new LifecycleTransition(10, null, "STANDARD_IA")] });
        Assert.Equal("InvalidArgument", ia.Code);
        Assert.Equal("'Days' in Transition action must be greater than or equal to 30 for storageClass 'STANDARD_IA'", ia.Message);

        Assert.Equal("InvalidRequest", Invalid(Rule("r")).Code);
        Assert.Equal("MalformedXML", Invalid(Rule("r") with { Prefix = "x", Expiration = new(1, null, null) }).Code);
        Assert.Equal("MalformedXML", Invalid(Rule("r") with { Status = "On", Expiration = new(1, null, null) }).Code);
        Assert.Equal("MalformedXML", Invalid(Rule("r") with { Expiration = new(1, DateTimeOffset.UnixEpoch, null) }).Code);
        Assert.Equal("'Days' for Expiration action must be a positive integer",
            Invalid(Rule("r") with { Expiration = new(0, null, null) }).Message);
        Assert.Equal("'Date' must be at midnight GMT",
            Invalid(Rule("r") with { Expiration = new(null, new DateTimeOffset(2030, 1, 1, 3, 0, 0, TimeSpan.Zero), null) }).Message);
        Assert.Equal("'Days' in the Expiration action for filter '(prefix=)' must be greater than 'Days' in the Transition action",
            Invalid(Rule("r") with
            {
                Expiration = new(1, null, null), Transitions = [new LifecycleTransition(1, null, "GLACIER")],
            }).Message);

        var twice = Assert.Throws<AwsException>(() => LifecycleValidation.Validate(new LifecycleConfiguration(
            [Rule("same") with { Expiration = new(1, null, null) }, Rule("same") with { Expiration = new(2, null, null) }])));
        Assert.Equal("Rule ID must be unique. Found same ID for more than one rule", twice.Message);

        var named = LifecycleValidation.Validate(new LifecycleConfiguration([Rule("") with { Expiration = new(1, null, null) }]));
        Assert.NotEmpty(named.Rules[0].Id);
    }

    [Fact]
    public async Task GetLifecycle_None_NoSuchLifecycleConfiguration_ThenRoundTrips()
    {
        var bucket = await _h.BucketAsync();
        var missing = await Assert.ThrowsAsync<AwsException>(() => _h.Objects.GetLifecycleAsync(Harness.Account, bucket, default));
        Assert.Equal("NoSuchLifecycleConfiguration", missing.Code);

        await SetAsync(bucket, Rule("r", "logs/") with { Expiration = new(3, null, null) });
        var config = await _h.Objects.GetLifecycleAsync(Harness.Account, bucket, default);
        Assert.Equal("logs/", config.Rules[0].Filter!.Prefix);

        await _h.Objects.DeleteLifecycleAsync(Harness.Account, bucket, default);
        await Assert.ThrowsAsync<AwsException>(() => _h.Objects.GetLifecycleAsync(Harness.Account, bucket, default));
    }

    [Fact]
    public async Task Pass_TransitionThenExpiration_AtScaledMidnights()
    {
        var bucket = await _h.BucketAsync();
        await _h.PutAsync(bucket, "logs/a", "data");
        await _h.PutAsync(bucket, "keep/a", "data");
        await SetAsync(bucket, Rule("r", "logs/") with
        {
            Transitions = [new LifecycleTransition(1, null, "GLACIER")], Expiration = new(2, null, null),
        });

        // Written at 12:00: one day later is due at the next midnight, 36 hours after the write.
        _h.Clock.Advance(TimeSpan.FromHours(35));
        Assert.Equal(0, (await _engine.RunPassAsync(default)).Transitioned);
        _h.Clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(1, (await _engine.RunPassAsync(default)).Transitioned);
        Assert.Equal("GLACIER", (await LatestAsync(bucket, "logs/a"))!.StorageClass);
        Assert.Equal("STANDARD", (await LatestAsync(bucket, "keep/a"))!.StorageClass);
        var frozen = await Assert.ThrowsAsync<AwsException>(() => _h.ReadAsync(bucket, "logs/a"));
        Assert.Equal(("InvalidObjectState", 403), (frozen.Code, frozen.StatusCode));

        _h.Clock.Advance(TimeSpan.FromDays(1));
        Assert.Equal(1, (await _engine.RunPassAsync(default)).Expired);
        Assert.Null(await LatestAsync(bucket, "logs/a"));
        Assert.NotNull(await LatestAsync(bucket, "keep/a"));
    }

    [Fact]
    public async Task Pass_Versioned_ExpirationAddsMarker_NoncurrentTimedFromReplacement()
    {
        var bucket = await _h.BucketAsync();
        await _h.Objects.SetVersioningAsync(Harness.Account, bucket, "Enabled", default);
        var v1 = await _h.PutAsync(bucket, "k", "one");
        _h.Clock.Advance(TimeSpan.FromDays(10));
        var v2 = await _h.PutAsync(bucket, "k", "two");
        _h.Clock.Advance(TimeSpan.FromDays(1));
        var v3 = await _h.PutAsync(bucket, "k", "three");
        await SetAsync(bucket, Rule("r") with
        {
            NoncurrentExpiration = new NoncurrentExpiration(5, null),
            NoncurrentTransitions = [new NoncurrentTransition(2, "GLACIER_IR", null)],
        });

        // v1 became noncurrent when v2 was written, 11 days after v1 itself: not yet 5 days.
        var first = await _engine.RunPassAsync(default);
        Assert.Equal(0, first.NoncurrentExpired);
        Assert.Equal(0, first.NoncurrentTransitioned);

        _h.Clock.Advance(TimeSpan.FromDays(3));
        Assert.Equal(2, (await _engine.RunPassAsync(default)).NoncurrentTransitioned);
        Assert.Equal("GLACIER_IR", (await _h.Store.GetVersionAsync(bucket, "k", v1.VersionId, default))!.StorageClass);
        Assert.Equal("STANDARD", (await LatestAsync(bucket, "k"))!.StorageClass);

        _h.Clock.Advance(TimeSpan.FromDays(2));
        Assert.Equal(1, (await _engine.RunPassAsync(default)).NoncurrentExpired);
        Assert.Null(await _h.Store.GetVersionAsync(bucket, "k", v1.VersionId, default));
        Assert.NotNull(await _h.Store.GetVersionAsync(bucket, "k", v2.VersionId, default));

        await SetAsync(bucket, Rule("r") with { Expiration = new(1, null, null) });
        _h.Clock.Advance(TimeSpan.FromDays(2));
        Assert.Equal(1, (await _engine.RunPassAsync(default)).Expired);
        var latest = await LatestAsync(bucket, "k");
        Assert.True(latest!.IsDeleteMarker);
        Assert.NotNull(await _h.Store.GetVersionAsync(bucket, "k", v3.VersionId, default));
    }

    [Fact]
    public async Task Pass_NewerNoncurrentVersions_KeepsThatMany()
    {
        var bucket = await _h.BucketAsync();
        await _h.Objects.SetVersioningAsync(Harness.Account, bucket, "Enabled", default);
        var versions = new List<ObjectVersionRecord>();
        for (var i = 0; i < 4; i++)
        {
            versions.Add(await _h.PutAsync(bucket, "k", "v" + i));
        }

        await SetAsync(bucket, Rule("r") with { NoncurrentExpiration = new NoncurrentExpiration(1, 2) });
        _h.Clock.Advance(TimeSpan.FromDays(3));
        Assert.Equal(1, (await _engine.RunPassAsync(default)).NoncurrentExpired);
        Assert.Null(await _h.Store.GetVersionAsync(bucket, "k", versions[0].VersionId, default));
        Assert.NotNull(await _h.Store.GetVersionAsync(bucket, "k", versions[1].VersionId, default));
    }

    [Fact]
    public async Task Pass_ExpiredObjectDeleteMarker_RemovesOnlyALoneMarker()
    {
        var bucket = await _h.BucketAsync();
        await _h.Objects.SetVersioningAsync(Harness.Account, bucket, "Enabled", default);
        var v1 = await _h.PutAsync(bucket, "lone", "x");
        await _h.Objects.DeleteObjectAsync(Harness.Account, bucket, "lone", null, default);
        await _h.Objects.DeleteObjectAsync(Harness.Account, bucket, "lone", v1.VersionId, default);
        await _h.PutAsync(bucket, "kept", "x");
        await _h.Objects.DeleteObjectAsync(Harness.Account, bucket, "kept", null, default);
        await SetAsync(bucket, Rule("r") with { Expiration = new(null, null, true) });

        Assert.Equal(1, (await _engine.RunPassAsync(default)).DeleteMarkersRemoved);
        Assert.Null(await LatestAsync(bucket, "lone"));
        Assert.True((await LatestAsync(bucket, "kept"))!.IsDeleteMarker);
    }

    [Fact]
    public async Task Pass_AbortIncompleteMultipartUpload_AfterDays()
    {
        var bucket = await _h.BucketAsync();
        var upload = await _h.Objects.CreateUploadAsync(Harness.Account, bucket, "big", new ObjectWrite(), default);
        await SetAsync(bucket, Rule("r") with { AbortIncompleteMultipartUploadDays = 1 });
        Assert.Equal(0, (await _engine.RunPassAsync(default)).UploadsAborted);
        _h.Clock.Advance(TimeSpan.FromDays(2));
        Assert.Equal(1, (await _engine.RunPassAsync(default)).UploadsAborted);
        Assert.Null(await _h.Store.GetUploadAsync(upload.UploadId, default));
    }

    [Fact]
    public async Task Pass_Bounded_ResumesOnNextPass()
    {
        var bucket = await _h.BucketAsync();
        for (var i = 0; i < 7; i++)
        {
            await _h.PutAsync(bucket, "k" + i, "x");
        }

        await SetAsync(bucket, Rule("r") with { Expiration = new(1, null, null) });
        var engine = new LifecycleEngine(_h.Objects) { MaxVersionsPerBucket = 3 };
        _h.Clock.Advance(TimeSpan.FromDays(2));
        var first = await engine.RunPassAsync(default);
        Assert.Equal(3, first.Expired);
        Assert.True(first.Incomplete);
        Assert.Equal(3, (await engine.RunPassAsync(default)).Expired);
        Assert.Equal(1, (await engine.RunPassAsync(default)).Expired);
    }

    [Fact]
    public async Task Restore_Glacier_ReadableAfterTierTime_UntilDaysPass()
    {
        var bucket = await _h.BucketAsync();
        await _h.PutAsync(bucket, "cold", "frozen bytes", new ObjectWrite { StorageClass = "GLACIER" });
        await _h.PutAsync(bucket, "warm", "x");
        var state = await Assert.ThrowsAsync<AwsException>(() => _h.ReadAsync(bucket, "cold"));
        Assert.Equal("InvalidObjectState", state.Code);
        var head = await _h.Objects.GetObjectAsync(Harness.Account, bucket, "cold", null, null, Conditions.None, false, default);
        Assert.Null(_h.Objects.RestoreHeader(head.Version));

        var notArchive = await Assert.ThrowsAsync<AwsException>(() =>
            _h.Objects.RestoreObjectAsync(Harness.Account, bucket, "warm", null, 1, null, default));
        Assert.Equal("InvalidObjectState", notArchive.Code);

        Assert.True(await _h.Objects.RestoreObjectAsync(Harness.Account, bucket, "cold", null, 2, "Standard", default));
        var again = await Assert.ThrowsAsync<AwsException>(() =>
            _h.Objects.RestoreObjectAsync(Harness.Account, bucket, "cold", null, 2, "Standard", default));
        Assert.Equal(("RestoreAlreadyInProgress", 409), (again.Code, again.StatusCode));
        Assert.Equal("ongoing-request=\"true\"", _h.Objects.RestoreHeader((await LatestAsync(bucket, "cold"))!));
        await Assert.ThrowsAsync<AwsException>(() => _h.ReadAsync(bucket, "cold"));

        _h.Clock.Advance(TimeSpan.FromHours(5));
        Assert.Equal("frozen bytes", await _h.ReadAsync(bucket, "cold"));
        Assert.StartsWith("ongoing-request=\"false\", expiry-date=\"",
            _h.Objects.RestoreHeader((await LatestAsync(bucket, "cold"))!));
        Assert.False(await _h.Objects.RestoreObjectAsync(Harness.Account, bucket, "cold", null, 2, null, default));

        _h.Clock.Advance(TimeSpan.FromDays(3));
        await Assert.ThrowsAsync<AwsException>(() => _h.ReadAsync(bucket, "cold"));
        Assert.Null(_h.Objects.RestoreHeader((await LatestAsync(bucket, "cold"))!));
    }

    [Fact]
    public async Task SqliteLifecycleStore_RoundTripsConfiguration()
    {
        using var dir = new TempDir();
        var store = new SqliteLifecycleStore(new SqliteDatabase(Path.Combine(dir.Path, "m.db")));
        var config = LifecycleValidation.Validate(new LifecycleConfiguration(
        [
            Rule("r", "logs/") with
            {
                Transitions = [new LifecycleTransition(30, null, "STANDARD_IA")],
                NoncurrentExpiration = new NoncurrentExpiration(7, 3),
                Expiration = new(null, new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero), null),
            },
        ]));
        var created = DateTimeOffset.UnixEpoch.AddDays(1);
        await store.PutAsync(new StoredLifecycle("b", created, config), default);

        var read = (await store.GetAsync("b", default))!;
        Assert.Equal(created, read.BucketCreatedAt);
        Assert.Equal("STANDARD_IA", read.Configuration.Rules[0].Transitions[0].StorageClass);
        Assert.Equal(config.Rules[0].Expiration, read.Configuration.Rules[0].Expiration);
        Assert.Equal(3, read.Configuration.Rules[0].NoncurrentExpiration!.NewerNoncurrentVersions);
        Assert.True(await store.DeleteAsync("b", default));
        Assert.Empty(await store.ListAsync(default));
    }
}
