using Kiln.Core.Errors;
using Kiln.Services.S3.Domain;

namespace Kiln.Services.S3.Tests;

public sealed class VersioningTests : IDisposable
{
    private readonly Harness _h = new();

    public void Dispose() => _h.Dispose();

    private async Task<string> VersionedAsync()
    {
        var bucket = await _h.BucketAsync();
        await _h.Objects.SetVersioningAsync(Harness.Account, bucket, "Enabled", default);
        return bucket;
    }

    [Fact]
    public async Task Enabled_EachPutKeepsAVersion_ReadableById()
    {
        var bucket = await VersionedAsync();
        var v1 = await _h.PutAsync(bucket, "k", "one");
        var v2 = await _h.PutAsync(bucket, "k", "two");

        Assert.NotEqual(v1.VersionId, v2.VersionId);
        Assert.Equal(32, v1.VersionId.Length);
        Assert.Equal("one", await _h.ReadAsync(bucket, "k", v1.VersionId));
        Assert.Equal("two", await _h.ReadAsync(bucket, "k"));
    }

    [Fact]
    public async Task Delete_AddsDeleteMarker_GetReturnsNoSuchKeyWithMarkerHeader()
    {
        var bucket = await VersionedAsync();
        var v1 = await _h.PutAsync(bucket, "k", "one");

        var deleted = await _h.Objects.DeleteObjectAsync(Harness.Account, bucket, "k", null, default);
        var error = await Assert.ThrowsAsync<AwsException>(() => _h.ReadAsync(bucket, "k"));
        var byMarker = await Assert.ThrowsAsync<AwsException>(() => _h.ReadAsync(bucket, "k", deleted.VersionId));

        Assert.True(deleted.DeleteMarker);
        Assert.Equal("NoSuchKey", error.Code);
        Assert.Equal("true", error.Headers["x-amz-delete-marker"]);
        Assert.Equal(("MethodNotAllowed", 405), (byMarker.Code, byMarker.StatusCode));
        Assert.Equal("one", await _h.ReadAsync(bucket, "k", v1.VersionId));

        // Removing the marker brings the object back.
        await _h.Objects.DeleteObjectAsync(Harness.Account, bucket, "k", deleted.VersionId, default);
        Assert.Equal("one", await _h.ReadAsync(bucket, "k"));
    }

    [Fact]
    public async Task GetVersion_Unknown_ReturnsNoSuchVersion_MalformedReturnsInvalidArgument()
    {
        var bucket = await VersionedAsync();
        await _h.PutAsync(bucket, "k", "one");

        var missing = await Assert.ThrowsAsync<AwsException>(() => _h.ReadAsync(bucket, "k", new string('A', 32)));
        var malformed = await Assert.ThrowsAsync<AwsException>(() => _h.ReadAsync(bucket, "k", "bad!"));

        Assert.Equal(("NoSuchVersion", 404), (missing.Code, missing.StatusCode));
        Assert.Equal("InvalidArgument", malformed.Code);
    }

    [Fact]
    public async Task Suspended_PutsReplaceTheNullVersion_KeepOlderVersions()
    {
        var bucket = await VersionedAsync();
        var v1 = await _h.PutAsync(bucket, "k", "one");
        await _h.Objects.SetVersioningAsync(Harness.Account, bucket, "Suspended", default);
        await _h.PutAsync(bucket, "k", "two");
        var three = await _h.PutAsync(bucket, "k", "three");

        var versions = await _h.Objects.ListVersionsAsync(Harness.Account, bucket, "", null, null, null, 100, default);

        Assert.Equal("null", three.VersionId);
        Assert.Equal(["null", v1.VersionId], versions.Versions.Select(v => v.VersionId));
        Assert.True(versions.Versions[0].IsLatest);
        Assert.Equal(2, _h.BlobFileCount);
    }

    [Fact]
    public async Task ListVersions_Paginates_WithMarkers()
    {
        var bucket = await VersionedAsync();
        for (var i = 0; i < 3; i++)
        {
            await _h.PutAsync(bucket, "a", $"a{i}");
        }

        await _h.PutAsync(bucket, "b", "b");
        await _h.Objects.DeleteObjectAsync(Harness.Account, bucket, "b", null, default);

        var seen = new List<string>();
        string? keyMarker = null, versionMarker = null;
        while (true)
        {
            var page = await _h.Objects.ListVersionsAsync(Harness.Account, bucket, "", null, keyMarker, versionMarker, 2, default);
            seen.AddRange(page.Versions.Select(v => v.Key + (v.IsDeleteMarker ? "*" : "")));
            if (!page.IsTruncated)
            {
                break;
            }

            (keyMarker, versionMarker) = (page.NextKeyMarker, page.NextVersionIdMarker);
        }

        Assert.Equal(["a", "a", "a", "b*", "b"], seen);
    }

    [Fact]
    public async Task UnversionedDelete_RemovesObjectAndBlob()
    {
        var bucket = await _h.BucketAsync();
        await _h.PutAsync(bucket, "k", "x");

        var result = await _h.Objects.DeleteObjectAsync(Harness.Account, bucket, "k", null, default);

        Assert.Equal(new DeleteResult(null, false), result);
        Assert.Equal(0, _h.BlobFileCount);
    }
}
