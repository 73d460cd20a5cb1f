using System.Security.Cryptography;
using System.Text;
using Kiln.Core.Errors;
using Kiln.Services.S3.Domain;
using Kiln.Services.S3.Storage;

namespace Kiln.Services.S3.Tests;

public sealed class ObjectTests : IDisposable
{
    private readonly Harness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public async Task PutObject_ThenGet_RoundTripsBytesMetadataAndMd5ETag()
    {
        var bucket = await _h.BucketAsync();
        var write = new ObjectWrite
        {
            Content = new ContentHeaders { ContentType = "text/csv" },
            Metadata = new Dictionary<string, string> { ["Origin"] = "test" },
        };

        var put = await _h.PutAsync(bucket, "data/x.csv", "a,b\n1,2\n", write);

        Assert.Equal(Convert.ToHexStringLower(MD5.HashData("a,b\n1,2\n"u8)), put.ETag);
        Assert.Equal("a,b\n1,2\n", await _h.ReadAsync(bucket, "data/x.csv"));
        var head = await _h.Objects.GetObjectAsync(Harness.Account, bucket, "data/x.csv", null, null, Conditions.None, false, default);
        Assert.Equal("text/csv", head.Version.Content.ContentType);
        Assert.Equal("test", head.Version.Metadata["origin"]);
    }

    [Fact]
    public async Task PutObject_NestedKeys_Coexist()
    {
        var bucket = await _h.BucketAsync();
        await _h.PutAsync(bucket, "a/b", "file");
        await _h.PutAsync(bucket, "a/b/c", "nested");

        Assert.Equal("file", await _h.ReadAsync(bucket, "a/b"));
        Assert.Equal("nested", await _h.ReadAsync(bucket, "a/b/c"));
    }

    [Fact]
    public async Task PutObject_Overwrite_FreesOldBlob()
    {
        var bucket = await _h.BucketAsync();
        await _h.PutAsync(bucket, "k", "one");
        await _h.PutAsync(bucket, "k", "two");

        Assert.Equal("two", await _h.ReadAsync(bucket, "k"));
        Assert.Equal(1, _h.BlobFileCount);
    }

    [Fact]
    public async Task PutObject_WrongContentMd5_ReturnsBadDigest_AndKeepsNoBlob()
    {
        var bucket = await _h.BucketAsync();
        var wrong = Convert.ToBase64String(MD5.HashData("other"u8));

        var error = await Assert.ThrowsAsync<AwsException>(() =>
            _h.PutAsync(bucket, "k", "body", new ObjectWrite { ContentMd5 = wrong }));

        Assert.Equal("BadDigest", error.Code);
        Assert.Equal(0, _h.BlobFileCount);
        Assert.Equal("NoSuchKey", (await Assert.ThrowsAsync<AwsException>(() => _h.ReadAsync(bucket, "k"))).Code);
    }

    [Theory]
    [InlineData("CRC32", "NhCmhg==")]
    [InlineData("CRC32C", "mnG7TA==")]
    [InlineData("SHA256", "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=")]
    public async Task PutObject_Checksum_ValidatedAndStored(string algorithm, string hello)
    {
        var bucket = await _h.BucketAsync();
        var good = new ObjectWrite { Checksums = new Dictionary<string, string> { [algorithm] = hello } };
        var bad = new ObjectWrite { Checksums = new Dictionary<string, string> { [algorithm] = "AAAAAA==" } };

        var put = await _h.PutAsync(bucket, "k", "hello", good);
        var error = await Assert.ThrowsAsync<AwsException>(() => _h.PutAsync(bucket, "k2", "hello", bad));

        Assert.Equal(hello, put.Checksums[algorithm]);
        Assert.Equal("BadDigest", error.Code);
    }

    [Fact]
    public async Task PutObject_ChecksumInTrailer_IsValidated()
    {
        var bucket = await _h.BucketAsync();
        var write = new ObjectWrite
        {
            ChecksumAlgorithm = "CRC32",
            Trailers = () => new Dictionary<string, string> { ["x-amz-checksum-crc32"] = "AAAAAA==" },
        };

        var error = await Assert.ThrowsAsync<AwsException>(() => _h.PutAsync(bucket, "k", "hello", write));

        Assert.Equal("BadDigest", error.Code);
    }

    [Fact]
    public async Task PutObject_TooLarge_ReturnsEntityTooLarge()
    {
        var bucket = await _h.BucketAsync();
        var error = await Assert.ThrowsAsync<AwsException>(() => _h.Objects.PutObjectAsync(Harness.Account, bucket, "k",
            Stream.Null, new ObjectWrite { DeclaredLength = 6L << 30 }, default));

        Assert.Equal("EntityTooLarge", error.Code);
    }

    [Fact]
    public async Task PutObject_ElevenTags_ReturnsBadRequest()
    {
        var bucket = await _h.BucketAsync();
        var tagging = string.Join("&", Enumerable.Range(0, 11).Select(i => $"k{i}=v"));

        var error = await Assert.ThrowsAsync<AwsException>(() => _h.PutAsync(bucket, "k", "x", new ObjectWrite { Tagging = tagging }));

        Assert.Equal("BadRequest", error.Code);
    }

    [Theory]
    [InlineData("bytes=0-3", "0123", 0L)]
    [InlineData("bytes=6-", "6789", 6L)]
    [InlineData("bytes=-3", "789", 7L)]
    [InlineData("bytes=8-100", "89", 8L)]
    public async Task GetObject_Range_ReturnsSlice(string range, string expected, long start)
    {
        var bucket = await _h.BucketAsync();
        await _h.PutAsync(bucket, "k", "0123456789");

        var read = await _h.Objects.GetObjectAsync(Harness.Account, bucket, "k", null, range, Conditions.None, true, default);
        await using var body = read.Body!;

        Assert.True(read.Partial);
        Assert.Equal(start, read.Start);
        Assert.Equal(expected, await new StreamReader(body).ReadToEndAsync());
    }

    [Fact]
    public async Task GetObject_RangePastEnd_ReturnsInvalidRange416()
    {
        var bucket = await _h.BucketAsync();
        await _h.PutAsync(bucket, "k", "0123456789");

        var error = await Assert.ThrowsAsync<AwsException>(() => _h.ReadAsync(bucket, "k", range: "bytes=10-20"));

        Assert.Equal(("InvalidRange", 416), (error.Code, error.StatusCode));
        Assert.Equal("10", error.Fields["ActualObjectSize"]);
    }

    [Fact]
    public async Task GetObject_Conditions_Give304And412()
    {
        var bucket = await _h.BucketAsync();
        var put = await _h.PutAsync(bucket, "k", "x");
        var etag = "\"" + put.ETag + "\"";
        var later = put.LastModified.AddMinutes(1);
        var earlier = put.LastModified.AddMinutes(-1);

        async Task<ObjectRead> Read(Conditions c) =>
            await _h.Objects.GetObjectAsync(Harness.Account, bucket, "k", null, null, c, false, default);

        Assert.True((await Read(new Conditions(null, etag, null, null))).NotModified);
        Assert.True((await Read(new Conditions(null, null, later, null))).NotModified);
        Assert.False((await Read(new Conditions(etag, null, null, earlier))).NotModified); // If-Match wins
        var noMatch = await Assert.ThrowsAsync<AwsException>(() => Read(new Conditions("\"other\"", null, null, null)));
        var modified = await Assert.ThrowsAsync<AwsException>(() => Read(new Conditions(null, null, null, earlier)));
        Assert.Equal(("PreconditionFailed", 412, "If-Match"), (noMatch.Code, noMatch.StatusCode, noMatch.Fields["Condition"]));
        Assert.Equal("If-Unmodified-Since", modified.Fields["Condition"]);
    }

    [Fact]
    public async Task DeleteObjects_ReportsEachKey()
    {
        var bucket = await _h.BucketAsync();
        await _h.PutAsync(bucket, "a", "1");
        await _h.PutAsync(bucket, "b", "2");

        var results = await _h.Objects.DeleteObjectsAsync(Harness.Account, bucket, [("a", null), ("b", null), ("c", null)], default);

        Assert.All(results, r => Assert.Null(r.Error));
        Assert.Equal(0, _h.BlobFileCount);
    }

    [Fact]
    public async Task DeleteObjects_DeniedKeys_AreAccessDeniedEach_AndStay_WhileTheOthersGo()
    {
        var bucket = await _h.BucketAsync();
        await _h.PutAsync(bucket, "a", "1");
        await _h.PutAsync(bucket, "b", "2");
        await _h.PutAsync(bucket, "c", "3");

        var results = await _h.Objects.DeleteObjectsAsync(Harness.Account, bucket, [("a", null), ("b", null), ("c", null)],
            new HashSet<int> { 1 }, default);

        Assert.Equal([("a", null), ("b", "AccessDenied"), ("c", null)], results.Select(r => (r.Key, r.Error?.Code)));
        Assert.Equal(403, results[1].Error!.StatusCode);
        Assert.Equal("2", await _h.ReadAsync(bucket, "b"));
        await Assert.ThrowsAsync<AwsException>(() => _h.ReadAsync(bucket, "a"));
        await Assert.ThrowsAsync<AwsException>(() => _h.ReadAsync(bucket, "c"));
    }

    [Fact]
    public async Task CopyObject_CopiesBytes_KeepsOrReplacesMetadata()
    {
        var bucket = await _h.BucketAsync();
        var other = await _h.BucketAsync("bucket-two");
        await _h.PutAsync(bucket, "src", "payload", new ObjectWrite { Metadata = new Dictionary<string, string> { ["a"] = "1" } });

        var (_, kept) = await _h.Objects.CopyObjectAsync(Harness.Account, bucket, "src", null, Conditions.None, other, "dst",
            false, false, new ObjectWrite(), default);
        var (_, replaced) = await _h.Objects.CopyObjectAsync(Harness.Account, bucket, "src", null, Conditions.None, other,
            "dst2", true, false, new ObjectWrite { Metadata = new Dictionary<string, string> { ["b"] = "2" } }, default);

        Assert.Equal("payload", await _h.ReadAsync(other, "dst"));
        Assert.Equal("1", kept.Metadata["a"]);
        Assert.False(replaced.Metadata.ContainsKey("a"));
        Assert.Equal("2", replaced.Metadata["b"]);
    }

    [Fact]
    public async Task CopyObject_ToItselfUnchanged_ReturnsInvalidRequest_FailedConditionReturns412()
    {
        var bucket = await _h.BucketAsync();
        await _h.PutAsync(bucket, "k", "x");

        var self = await Assert.ThrowsAsync<AwsException>(() => _h.Objects.CopyObjectAsync(Harness.Account, bucket, "k", null,
            Conditions.None, bucket, "k", false, false, new ObjectWrite(), default));
        var condition = await Assert.ThrowsAsync<AwsException>(() => _h.Objects.CopyObjectAsync(Harness.Account, bucket, "k",
            null, new Conditions("\"nope\"", null, null, null), bucket, "k2", false, false, new ObjectWrite(), default));

        Assert.Equal("InvalidRequest", self.Code);
        Assert.Equal(("PreconditionFailed", "x-amz-copy-source-If-Match"), (condition.Code, condition.Fields["Condition"]));
    }

    [Fact]
    public async Task ObjectTags_SetGetDelete()
    {
        var bucket = await _h.BucketAsync();
        await _h.PutAsync(bucket, "k", "x", new ObjectWrite { Tagging = "a=1&b=two%20words" });

        var tags = (await _h.Objects.GetObjectTagsAsync(Harness.Account, bucket, "k", null, default)).Tags;
        Assert.Equal([new ObjectTag("a", "1"), new ObjectTag("b", "two words")], tags);

        await _h.Objects.SetObjectTagsAsync(Harness.Account, bucket, "k", null, [], default);
        Assert.Empty((await _h.Objects.GetObjectTagsAsync(Harness.Account, bucket, "k", null, default)).Tags);
    }

    [Fact]
    public async Task Sweep_RemovesOrphansAndTempFiles_KeepsReferenced()
    {
        var bucket = await _h.BucketAsync();
        await _h.PutAsync(bucket, "k", "keep");
        var orphan = await _h.Blobs.WriteAsync(new MemoryStream(Encoding.UTF8.GetBytes("orphan")), ChecksumAlgorithms.None,
            100, null, default);
        await File.WriteAllTextAsync(Path.Combine(_h.BlobRoot, "..", "tmp", "x.tmp"), "partial");

        var removed = await _h.Objects.SweepAsync(default);

        Assert.Equal(2, removed);
        Assert.Equal("keep", await _h.ReadAsync(bucket, "k"));
        Assert.Throws<FileNotFoundException>(() => _h.Blobs.OpenRead(orphan.BlobId, 0, 1));
    }

    [Fact]
    public async Task PutObject_BodyFailsMidway_LeavesNoBlobNoTempAndNoObject()
    {
        var bucket = await _h.BucketAsync();

        await Assert.ThrowsAsync<IOException>(() => _h.Objects.PutObjectAsync(Harness.Account, bucket, "k",
            new FailingStream(300_000), new ObjectWrite(), default));

        Assert.Equal(0, _h.BlobFileCount);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_h.BlobRoot, "..", "tmp")));
        Assert.Equal("NoSuchKey", (await Assert.ThrowsAsync<AwsException>(() => _h.ReadAsync(bucket, "k"))).Code);
    }

    /// <summary>Gives <c>failAfter</c> bytes, then fails the way a bad chunk signature or a dropped
    /// connection does.</summary>
    private sealed class FailingStream(long failAfter) : Stream
    {
        private long _given;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _given; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_given >= failAfter)
            {
                throw new IOException("connection reset");
            }

            var n = (int)Math.Min(count, failAfter - _given);
            buffer.AsSpan(offset, n).Fill(7);
            _given += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
