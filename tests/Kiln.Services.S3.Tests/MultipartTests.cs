using System.Security.Cryptography;
using System.Text;
using Kiln.Core.Errors;
using Kiln.Services.S3.Domain;

namespace Kiln.Services.S3.Tests;

public sealed class MultipartTests : IDisposable
{
    private readonly Harness _h = new(); // MinPartSize = 16 bytes

    public void Dispose() => _h.Dispose();

    private async Task<(string Bucket, string UploadId)> StartAsync()
    {
        var bucket = await _h.BucketAsync();
        var upload = await _h.Objects.CreateUploadAsync(Harness.Account, bucket, "big", new ObjectWrite
        {
            Metadata = new Dictionary<string, string> { ["kind"] = "mp" },
        }, default);
        return (bucket, upload.UploadId);
    }

    private Task<Storage.PartRecord> PartAsync(string bucket, string uploadId, int number, string body) =>
        _h.Objects.UploadPartAsync(Harness.Account, bucket, "big", uploadId, number,
            new MemoryStream(Encoding.UTF8.GetBytes(body)), new ObjectWrite(), default);

    [Fact]
    public async Task Complete_JoinsParts_ETagIsMd5OfPartMd5s()
    {
        var (bucket, id) = await StartAsync();
        var p1 = new string('a', 20);
        var p2 = new string('b', 20);
        var p3 = "tail";
        var e1 = (await PartAsync(bucket, id, 1, p1)).ETag;
        var e2 = (await PartAsync(bucket, id, 2, p2)).ETag;
        var e3 = (await PartAsync(bucket, id, 3, p3)).ETag;

        var version = await _h.Objects.CompleteUploadAsync(Harness.Account, bucket, "big", id,
            [(1, $"\"{e1}\""), (2, e2), (3, e3)], default);

        var expected = MD5.HashData(Convert.FromHexString(e1 + e2 + e3));
        Assert.Equal(Convert.ToHexStringLower(expected) + "-3", version.ETag);
        Assert.Equal(p1 + p2 + p3, await _h.ReadAsync(bucket, "big"));
        Assert.Equal("mp", version.Metadata["kind"]);
        // A range across the part boundary.
        Assert.Equal("aabb", await _h.ReadAsync(bucket, "big", range: "bytes=18-21"));
    }

    [Fact]
    public async Task Complete_SmallNonLastPart_ReturnsEntityTooSmall()
    {
        var (bucket, id) = await StartAsync();
        var e1 = (await PartAsync(bucket, id, 1, "small")).ETag;
        var e2 = (await PartAsync(bucket, id, 2, "last")).ETag;

        var error = await Assert.ThrowsAsync<AwsException>(() =>
            _h.Objects.CompleteUploadAsync(Harness.Account, bucket, "big", id, [(1, e1), (2, e2)], default));

        Assert.Equal("EntityTooSmall", error.Code);
        Assert.Equal("1", error.Fields["PartNumber"]);
    }

    [Fact]
    public async Task Complete_WrongETagOrMissingPart_ReturnsInvalidPart_DescendingReturnsInvalidPartOrder()
    {
        var (bucket, id) = await StartAsync();
        var e1 = (await PartAsync(bucket, id, 1, new string('a', 20))).ETag;
        var e2 = (await PartAsync(bucket, id, 2, "x")).ETag;

        var wrong = await Assert.ThrowsAsync<AwsException>(() =>
            _h.Objects.CompleteUploadAsync(Harness.Account, bucket, "big", id, [(1, e1), (2, e1)], default));
        var missing = await Assert.ThrowsAsync<AwsException>(() =>
            _h.Objects.CompleteUploadAsync(Harness.Account, bucket, "big", id, [(1, e1), (5, e2)], default));
        var order = await Assert.ThrowsAsync<AwsException>(() =>
            _h.Objects.CompleteUploadAsync(Harness.Account, bucket, "big", id, [(2, e2), (1, e1)], default));

        Assert.Equal("InvalidPart", wrong.Code);
        Assert.Equal("InvalidPart", missing.Code);
        Assert.Equal("InvalidPartOrder", order.Code);
    }

    [Fact]
    public async Task Complete_SubsetOfParts_FreesUnusedBlobs()
    {
        var (bucket, id) = await StartAsync();
        var e1 = (await PartAsync(bucket, id, 1, new string('a', 20))).ETag;
        await PartAsync(bucket, id, 2, "unused");
        var e3 = (await PartAsync(bucket, id, 3, "end")).ETag;

        await _h.Objects.CompleteUploadAsync(Harness.Account, bucket, "big", id, [(1, e1), (3, e3)], default);

        Assert.Equal(2, _h.BlobFileCount);
        Assert.Equal(new string('a', 20) + "end", await _h.ReadAsync(bucket, "big"));
    }

    [Fact]
    public async Task Abort_RemovesParts_ThenNoSuchUpload()
    {
        var (bucket, id) = await StartAsync();
        await PartAsync(bucket, id, 1, "x");

        await _h.Objects.AbortUploadAsync(Harness.Account, bucket, "big", id, default);
        var error = await Assert.ThrowsAsync<AwsException>(() => PartAsync(bucket, id, 2, "y"));

        Assert.Equal(("NoSuchUpload", 404), (error.Code, error.StatusCode));
        Assert.Equal(0, _h.BlobFileCount);
    }

    [Fact]
    public async Task UploadPart_BadNumber_ReturnsInvalidArgument()
    {
        var (bucket, id) = await StartAsync();

        var error = await Assert.ThrowsAsync<AwsException>(() => PartAsync(bucket, id, 10_001, "x"));

        Assert.Equal("InvalidArgument", error.Code);
    }

    [Fact]
    public async Task ListPartsAndUploads_Paginate()
    {
        var (bucket, id) = await StartAsync();
        for (var i = 1; i <= 3; i++)
        {
            await PartAsync(bucket, id, i, "x");
        }

        await _h.Objects.CreateUploadAsync(Harness.Account, bucket, "other", new ObjectWrite(), default);

        var first = await _h.Objects.ListPartsAsync(Harness.Account, bucket, "big", id, 0, 2, default);
        var rest = await _h.Objects.ListPartsAsync(Harness.Account, bucket, "big", id, first.NextPartNumberMarker!.Value, 2, default);
        var uploads = await _h.Objects.ListUploadsAsync(Harness.Account, bucket, "", null, null, null, 1, default);

        Assert.Equal([1, 2], first.Parts.Select(p => p.PartNumber));
        Assert.True(first.IsTruncated);
        Assert.Equal([3], rest.Parts.Select(p => p.PartNumber));
        Assert.Equal("big", Assert.Single(uploads.Uploads).Key);
        Assert.True(uploads.IsTruncated);
    }
}

public sealed class UploadPartCopyTests : IDisposable
{
    private readonly Harness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public async Task UploadPartCopy_RangesOfSource_BecomeParts()
    {
        var bucket = await _h.BucketAsync();
        await _h.PutAsync(bucket, "src", "0123456789abcdefghijklmnop");
        var upload = await _h.Objects.CreateUploadAsync(Harness.Account, bucket, "dst", new ObjectWrite(), default);

        var (_, p1) = await _h.Objects.UploadPartCopyAsync(Harness.Account, bucket, "src", null, "bytes=0-19",
            Conditions.None, bucket, "dst", upload.UploadId, 1, default);
        var (_, p2) = await _h.Objects.UploadPartCopyAsync(Harness.Account, bucket, "src", null, "bytes=20-25",
            Conditions.None, bucket, "dst", upload.UploadId, 2, default);
        var bad = await Assert.ThrowsAsync<AwsException>(() => _h.Objects.UploadPartCopyAsync(Harness.Account, bucket,
            "src", null, "bytes=20-26", Conditions.None, bucket, "dst", upload.UploadId, 3, default));
        await _h.Objects.CompleteUploadAsync(Harness.Account, bucket, "dst", upload.UploadId, [(1, p1.ETag), (2, p2.ETag)], default);

        Assert.Equal("0123456789abcdefghijklmnop", await _h.ReadAsync(bucket, "dst"));
        Assert.Equal("InvalidArgument", bad.Code);
    }
}
