using System.Security.Cryptography;
using System.Text;
using Kiln.Core.Errors;
using Kiln.Services.S3.Domain;
using Kiln.Services.S3.Storage;

namespace Kiln.Services.S3.Tests;

/// <summary>SSE-S3: every object sealed in AES-GCM chunks under its own data key.</summary>
public sealed class EncryptionTests : IDisposable
{
    private readonly Harness _h = new();

    public void Dispose() => _h.Dispose();

    private IEnumerable<byte[]> BlobFiles() =>
        Directory.EnumerateFiles(_h.BlobRoot, "*", SearchOption.AllDirectories).Select(File.ReadAllBytes);

    [Fact]
    public async Task PutObject_PlaintextNeverOnDisk_AndReadsBack()
    {
        var bucket = await _h.BucketAsync();
        var secret = "kiln-plaintext-marker-" + new string('x', 100);

        var put = await _h.PutAsync(bucket, "k", secret);

        Assert.Equal("AES256", put.ServerSideEncryption);
        Assert.NotNull(put.Segments[0].WrappedKey);
        Assert.All(BlobFiles(), bytes =>
            Assert.Equal(-1, bytes.AsSpan().IndexOf("kiln-plaintext-marker"u8)));
        Assert.Equal(secret, await _h.ReadAsync(bucket, "k"));
    }

    [Theory]
    [InlineData(0L, 10L)]
    [InlineData(65530L, 20L)]         // across the first chunk boundary
    [InlineData(65536L, 65536L)]      // exactly the second chunk
    [InlineData(131000L, 69000L)]     // into the short last chunk, to the end
    [InlineData(199999L, 1L)]
    public async Task GetObject_RangeOfEncryptedObject_DecryptsOnlyThatRange(long start, long length)
    {
        var bucket = await _h.BucketAsync();
        var data = RandomNumberGenerator.GetBytes(200_000);
        await _h.Objects.PutObjectAsync(Harness.Account, bucket, "k", new MemoryStream(data), new ObjectWrite(), default);

        var read = await _h.Objects.GetObjectAsync(Harness.Account, bucket, "k", null,
            $"bytes={start}-{start + length - 1}", Conditions.None, true, default);
        await using var body = read.Body!;
        var copy = new MemoryStream();
        await body.CopyToAsync(copy);

        Assert.Equal(data.AsSpan((int)start, (int)length).ToArray(), copy.ToArray());
    }

    [Fact]
    public async Task GetObject_TamperedBlob_FailsAuthentication()
    {
        var bucket = await _h.BucketAsync();
        await _h.PutAsync(bucket, "k", new string('a', 1000));
        var file = Directory.EnumerateFiles(_h.BlobRoot, "*", SearchOption.AllDirectories).Single();
        var bytes = await File.ReadAllBytesAsync(file);
        bytes[20] ^= 1;
        await File.WriteAllBytesAsync(file, bytes);

        await Assert.ThrowsAnyAsync<CryptographicException>(() => _h.ReadAsync(bucket, "k"));
    }

    [Fact]
    public async Task Multipart_EachPartSealed_CompletedObjectReadsAcrossParts()
    {
        var bucket = await _h.BucketAsync();
        var upload = await _h.Objects.CreateUploadAsync(Harness.Account, bucket, "mp", new ObjectWrite(), default);
        var p1 = await _h.Objects.UploadPartAsync(Harness.Account, bucket, "mp", upload.UploadId, 1,
            new MemoryStream(Encoding.UTF8.GetBytes(new string('a', 70_000))), new ObjectWrite(), default);
        var p2 = await _h.Objects.UploadPartAsync(Harness.Account, bucket, "mp", upload.UploadId, 2,
            new MemoryStream(Encoding.UTF8.GetBytes("bbb")), new ObjectWrite(), default);

        var version = await _h.Objects.CompleteUploadAsync(Harness.Account, bucket, "mp", upload.UploadId,
            [(1, p1.ETag), (2, p2.ETag)], default);

        Assert.Equal("AES256", version.ServerSideEncryption);
        Assert.All(version.Segments, s => Assert.NotNull(s.WrappedKey));
        Assert.Equal("aabbb", await _h.ReadAsync(bucket, "mp", range: "bytes=69998-70002"));
    }

    [Fact]
    public async Task Encryption_KmsWithoutKmsService_UnknownInvalid_BucketDefaultStored()
    {
        var bucket = await _h.BucketAsync();

        var kms = await Assert.ThrowsAsync<AwsException>(() =>
            _h.PutAsync(bucket, "k", "x", new ObjectWrite { ServerSideEncryption = "aws:kms" }));
        var bad = await Assert.ThrowsAsync<AwsException>(() =>
            _h.Objects.SetBucketEncryptionAsync(Harness.Account, bucket, "DES", default));
        await _h.Objects.SetBucketEncryptionAsync(Harness.Account, bucket, "AES256", default);

        Assert.Equal(("NotImplemented", 501), (kms.Code, kms.StatusCode));
        Assert.Equal("InvalidArgument", bad.Code);
        Assert.Equal("AES256", (await _h.Objects.GetBucketAsync(Harness.Account, bucket, default)).DefaultEncryption?.Algorithm);
    }

    [Fact]
    public async Task CopyObject_ResealsUnderNewKey()
    {
        var bucket = await _h.BucketAsync();
        var source = await _h.PutAsync(bucket, "src", "copied bytes");

        var (_, copy) = await _h.Objects.CopyObjectAsync(Harness.Account, bucket, "src", null, Conditions.None, bucket,
            "dst", false, false, new ObjectWrite(), default);

        Assert.NotEqual(source.Segments[0].WrappedKey, copy.Segments[0].WrappedKey);
        Assert.Equal("copied bytes", await _h.ReadAsync(bucket, "dst"));
    }
}
