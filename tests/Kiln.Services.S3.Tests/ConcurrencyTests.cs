using Kiln.Services.S3.Domain;

namespace Kiln.Services.S3.Tests;

/// <summary>The durable store under concurrent writers: every change is one transaction, and the
/// blobs of replaced versions are freed exactly once.</summary>
public sealed class ConcurrencyTests : IDisposable
{
    private readonly TempDir _db = new();
    private readonly Harness _h;

    public ConcurrencyTests()
    {
        _h = new Harness(Harness.NewSqlite(_db));
    }

    public void Dispose()
    {
        _h.Dispose();
        _db.Dispose();
    }

    [Fact]
    public async Task ParallelPutsToOneKey_LeaveOneObjectAndOneBlob()
    {
        var bucket = await _h.BucketAsync();

        await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Task.Run(() => _h.PutAsync(bucket, "hot", $"writer {i}"))));

        Assert.StartsWith("writer ", await _h.ReadAsync(bucket, "hot"));
        Assert.Equal(1, _h.BlobFileCount);
    }

    [Fact]
    public async Task ParallelPutsAndDeletes_InVersionedBucket_KeepEveryVersion()
    {
        var bucket = await _h.BucketAsync();
        await _h.Objects.SetVersioningAsync(Harness.Account, bucket, "Enabled", default);

        await Task.WhenAll(Enumerable.Range(0, 12).Select(i => Task.Run(async () =>
        {
            await _h.PutAsync(bucket, $"k{i % 3}", $"v{i}");
            if (i % 4 == 0)
            {
                await _h.Objects.DeleteObjectAsync(Harness.Account, bucket, $"k{i % 3}", null, default);
            }
        })));

        var versions = await _h.Objects.ListVersionsAsync(Harness.Account, bucket, "", null, null, null, 1000, default);
        Assert.Equal(15, versions.Versions.Count); // 12 versions + 3 delete markers
        Assert.Equal(3, versions.Versions.Count(v => v.IsLatest));
        Assert.Equal(12, _h.BlobFileCount);
    }
}
