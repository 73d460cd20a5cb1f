using Kiln.Services.CloudTrail.Domain;
using Kiln.Services.CloudTrail.Storage;
using Kiln.Storage.Sqlite;

namespace Kiln.Services.CloudTrail.Tests;

/// <summary>The same cases against the in-memory and the SQLite store (STYLE.md §10).</summary>
public sealed class TrailStoreContractTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "kiln-ct-" + Guid.NewGuid().ToString("N")[..12]);

    public TrailStoreContractTests() => Directory.CreateDirectory(_dir);

    public static TheoryData<string> Stores() => ["memory", "sqlite"];

    private ITrailStore Open(string kind) =>
        kind == "memory" ? new MemoryTrailStore() : new SqliteTrailStore(new SqliteDatabase(Path.Combine(_dir, "meta.db")));

    private static Trail Trail(string name, string region = "us-east-1", string account = "111122223333") => new()
    {
        AccountId = account,
        HomeRegion = region,
        Name = name,
        S3BucketName = "logs",
        S3KeyPrefix = "p",
        CreatedAt = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero),
        Tags = new Dictionary<string, string> { ["team"] = "ml" },
    };

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task AddGetReplaceDelete_RoundTripsEveryField(string kind)
    {
        var store = Open(kind);
        Assert.True(await store.TryAddAsync(Trail("a"), default));
        Assert.False(await store.TryAddAsync(Trail("a"), default));
        var started = Trail("a") with { IsLogging = true, StartLoggingTime = DateTimeOffset.UnixEpoch, DeliveredThrough = DateTimeOffset.UnixEpoch,
            LatestDeliveryError = "NoSuchBucket" };
        Assert.True(await store.ReplaceAsync(started, default));
        var read = await store.GetAsync("111122223333", "us-east-1", "a", default);
        Assert.Equal(started with { Tags = read!.Tags }, read);
        Assert.Equal("ml", read.Tags["team"]);
        await store.DeleteAsync("111122223333", "us-east-1", "a", default);
        Assert.Null(await store.GetAsync("111122223333", "us-east-1", "a", default));
        Assert.False(await store.ReplaceAsync(started, default));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task List_ByAccount_AndAll(string kind)
    {
        var store = Open(kind);
        await store.TryAddAsync(Trail("b", "us-west-2"), default);
        await store.TryAddAsync(Trail("a"), default);
        await store.TryAddAsync(Trail("a", account: "999999999999"), default);
        Assert.Equal(["a", "b"], (await store.ListAsync("111122223333", default)).Select(t => t.Name));
        Assert.Equal(3, (await store.ListAllAsync(default)).Count);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
