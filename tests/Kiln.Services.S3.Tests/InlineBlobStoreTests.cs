using System.Security.Cryptography;
using Kiln.Services.S3.Storage;
using Kiln.Storage.Sqlite;

namespace Kiln.Services.S3.Tests;

/// <summary>Small blobs live in the database, sealed like files; large ones still go to files.</summary>
public sealed class InlineBlobStoreTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly SqliteDatabase _db;
    private readonly InlineBlobStore _blobs;

    public InlineBlobStoreTests()
    {
        _db = new SqliteDatabase(Path.Combine(_dir.Path, "metadata.db"));
        _blobs = new InlineBlobStore(new FileBlobStore(Path.Combine(_dir.Path, "s3")), _db);
    }

    public void Dispose() => _dir.Dispose();

    private static byte[] Bytes(int n) => RandomNumberGenerator.GetBytes(n);

    private async Task<byte[]> ReadAsync(BlobWrite blob, long offset, long length, byte[]? key)
    {
        await using var stream = _blobs.OpenRead(blob.BlobId, offset, length, key, blob.Size);
        var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4096)]
    [InlineData(65536)]
    public async Task SmallBlob_StoredInline_Sealed_RoundTripsWholeAndRanged(int size)
    {
        var body = Bytes(size);
        var key = Bytes(32);

        var blob = await _blobs.WriteAsync(new MemoryStream(body), ChecksumAlgorithms.None, long.MaxValue, key, default);

        Assert.StartsWith("i", blob.BlobId);
        Assert.Equal(size, blob.Size);
        Assert.Equal(MD5.HashData(body), blob.Md5);
        Assert.Equal(body, await ReadAsync(blob, 0, size, key));
        if (size > 10)
        {
            Assert.Equal(body.AsSpan(3, size - 10).ToArray(), await ReadAsync(blob, 3, size - 10, key));
        }

        // Nothing of the plaintext is in the database file (the row holds the sealed chunk).
        using (var c = _db.Open())
        {
            SqliteDatabase.Execute(c, "PRAGMA wal_checkpoint(TRUNCATE);");
        }

        if (size >= 16)
        {
            var file = await File.ReadAllBytesAsync(Path.Combine(_dir.Path, "metadata.db"));
            Assert.Equal(-1, file.AsSpan().IndexOf(body.AsSpan(0, 16)));
        }
    }

    [Fact]
    public async Task BlobOverTheLimit_GoesToAFile_WithTheBytesAlreadyRead()
    {
        var body = Bytes(65537);
        var key = Bytes(32);

        var blob = await _blobs.WriteAsync(new MemoryStream(body), ChecksumAlgorithms.None, long.MaxValue, key, default);

        Assert.DoesNotContain('i', blob.BlobId[..1]);
        Assert.Equal(body, await ReadAsync(blob, 0, body.Length, key));
        Assert.Equal(MD5.HashData(body), blob.Md5);
    }

    [Fact]
    public async Task SmallBlob_OverMaxBytes_IsRefused()
    {
        await Assert.ThrowsAsync<BlobTooLargeException>(() =>
            _blobs.WriteAsync(new MemoryStream(Bytes(100)), ChecksumAlgorithms.None, 99, null, default));
    }

    [Fact]
    public async Task Sweep_RemovesUnreferencedRows_KeepsReferenced_DeleteRemovesRow()
    {
        var kept = await _blobs.WriteAsync(new MemoryStream(Bytes(10)), ChecksumAlgorithms.None, long.MaxValue, null, default);
        var orphan = await _blobs.WriteAsync(new MemoryStream(Bytes(10)), ChecksumAlgorithms.None, long.MaxValue, null, default);
        var deleted = await _blobs.WriteAsync(new MemoryStream(Bytes(10)), ChecksumAlgorithms.None, long.MaxValue, null, default);

        var removed = _blobs.Sweep(new HashSet<string> { kept.BlobId, deleted.BlobId });
        _blobs.Delete(deleted.BlobId); // queued behind the group commit, not awaited
        var gone = false;
        for (var i = 0; i < 100 && !gone; i++)
        {
            try
            {
                _blobs.OpenRead(deleted.BlobId, 0, 10).Dispose();
                await Task.Delay(50);
            }
            catch (FileNotFoundException)
            {
                gone = true;
            }
        }

        Assert.Equal(1, removed);
        Assert.Equal(10, (await ReadAsync(kept, 0, 10, null)).Length);
        Assert.Throws<FileNotFoundException>(() => _blobs.OpenRead(orphan.BlobId, 0, 10));
        Assert.True(gone, "Delete removed the row");
    }
}
