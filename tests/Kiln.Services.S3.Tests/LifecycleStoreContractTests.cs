using Kiln.Services.S3.Storage;

namespace Kiln.Services.S3.Tests;

/// <summary>UpdateVersionAsync (storage class and restore state) behaves the same on both stores.</summary>
public sealed class LifecycleStoreContractTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    public static TheoryData<string> Stores => new() { "memory", "sqlite" };

    private IS3MetadataStore Open(string kind) => kind == "memory" ? new MemoryS3MetadataStore() : Harness.NewSqlite(_dir);

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task UpdateVersion_ChangesClassAndRestore_KeepsIdentity(string kind)
    {
        var store = Open(kind);
        var now = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await store.CreateBucketAsync(new BucketRecord("b", "111111111111", "us-east-1", now), default);
        await store.PutVersionAsync(new ObjectVersionRecord
        {
            Bucket = "b", Key = "k", VersionId = "null", Size = 3, ETag = "e", LastModified = now,
            Segments = [new BlobSegment("blob1", 3)],
        }, default);

        var changed = await store.UpdateVersionAsync("b", "k", "null", v => v with
        {
            StorageClass = "GLACIER", RestoreReadyAt = now.AddHours(5), RestoreExpiresAt = now.AddDays(2), Key = "other",
        }, default);
        var read = await store.GetVersionAsync("b", "k", null, default);

        Assert.NotNull(changed);
        Assert.Equal("GLACIER", read!.StorageClass);
        Assert.Equal(now.AddHours(5), read.RestoreReadyAt);
        Assert.Equal(now.AddDays(2), read.RestoreExpiresAt);
        Assert.Equal("k", read.Key);
        Assert.True(read.IsLatest);
        Assert.Equal("blob1", Assert.Single(read.Segments).BlobId);
        Assert.Null(await store.UpdateVersionAsync("b", "missing", "null", v => v, default));
    }
}
