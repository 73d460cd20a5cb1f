using Kiln.Core.Errors;

namespace Kiln.Services.S3.Tests;

public sealed class ListingTests : IDisposable
{
    private readonly Harness _h = new();

    public void Dispose() => _h.Dispose();

    private async Task<string> SeedAsync(params string[] keys)
    {
        var bucket = await _h.BucketAsync();
        foreach (var key in keys)
        {
            await _h.PutAsync(bucket, key, key);
        }

        return bucket;
    }

    [Fact]
    public async Task ListObjects_Delimiter_RollsUpCommonPrefixes()
    {
        var bucket = await SeedAsync("a/1", "a/2", "b/1", "c", "d/x/y");

        var result = await _h.Objects.ListObjectsAsync(Harness.Account, bucket, "", "/", "", false, 1000, default);

        Assert.Equal(["c"], result.Objects.Select(o => o.Key));
        Assert.Equal(["a/", "b/", "d/"], result.CommonPrefixes);
        Assert.False(result.IsTruncated);
    }

    [Fact]
    public async Task ListObjects_PrefixAndDelimiter_ListsOneLevel()
    {
        var bucket = await SeedAsync("year=2026/month=01/p1", "year=2026/month=02/p1", "year=2026/_SUCCESS", "year=2025/x");

        var result = await _h.Objects.ListObjectsAsync(Harness.Account, bucket, "year=2026/", "/", "", false, 1000, default);

        Assert.Equal(["year=2026/_SUCCESS"], result.Objects.Select(o => o.Key));
        Assert.Equal(["year=2026/month=01/", "year=2026/month=02/"], result.CommonPrefixes);
    }

    [Fact]
    public async Task ListObjects_Paginates_WithPrefixesCountingTowardMaxKeys()
    {
        var bucket = await SeedAsync("a/1", "a/2", "a/3", "b", "c/1", "d");
        var seen = new List<string>();
        var after = "";
        var pages = 0;
        while (true)
        {
            var page = await _h.Objects.ListObjectsAsync(Harness.Account, bucket, "", "/", after, true, 2, default);
            pages++;
            seen.AddRange(page.Objects.Select(o => o.Key).Concat(page.CommonPrefixes).Order(StringComparer.Ordinal));
            Assert.True(page.Objects.Count + page.CommonPrefixes.Count <= 2);
            if (!page.IsTruncated)
            {
                break;
            }

            after = page.LastReturned!;
        }

        Assert.Equal(["a/", "b", "c/", "d"], seen);
        Assert.Equal(2, pages);
    }

    [Fact]
    public async Task ListObjects_ManyKeysUnderOnePrefix_StillOnePrefix()
    {
        var bucket = await _h.BucketAsync();
        for (var i = 0; i < 30; i++)
        {
            await _h.PutAsync(bucket, $"logs/{i:D3}", "x");
        }

        await _h.PutAsync(bucket, "z", "x");

        var result = await _h.Objects.ListObjectsAsync(Harness.Account, bucket, "", "/", "", false, 1, default);
        var next = await _h.Objects.ListObjectsAsync(Harness.Account, bucket, "", "/", result.LastReturned!, true, 1, default);

        Assert.Equal(["logs/"], result.CommonPrefixes);
        Assert.True(result.IsTruncated);
        Assert.Equal(["z"], next.Objects.Select(o => o.Key));
        Assert.False(next.IsTruncated);
    }

    [Fact]
    public async Task ListObjects_StartAfter_SkipsEarlierKeys()
    {
        var bucket = await SeedAsync("a", "b", "c");

        var result = await _h.Objects.ListObjectsAsync(Harness.Account, bucket, "", null, "a", false, 1000, default);

        Assert.Equal(["b", "c"], result.Objects.Select(o => o.Key));
    }

    [Fact]
    public async Task ListObjects_OtherAccount_ReturnsAccessDenied()
    {
        var bucket = await SeedAsync("a");

        var error = await Assert.ThrowsAsync<AwsException>(() =>
            _h.Objects.ListObjectsAsync(Harness.Other, bucket, "", null, "", false, 10, default));

        Assert.Equal("AccessDenied", error.Code);
    }
}
