using System.Security.Cryptography;
using Kiln.Services.S3.Domain;
using Kiln.Services.S3.Storage;
using Kiln.Storage.Crypto;
using Kiln.Storage.Sqlite;

namespace Kiln.Services.S3.Tests;

/// <summary>The GET path's in-memory caches: SSE-S3 data keys, their AES-GCM contexts, and inline
/// blob bytes. Each must answer exactly what an uncached read would.</summary>
public sealed class ReadCacheTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void DataKeyCache_KeyedByWrappedKey_ARewrittenBlobGetsItsNewKey()
    {
        var master = ObjectKey.Master(MasterKey.Ephemeral());
        var cache = new DataKeyCache();
        var first = RandomNumberGenerator.GetBytes(32);
        var second = RandomNumberGenerator.GetBytes(32);
        var wrappedFirst = master.Wrap("blob-1", first);
        var wrappedSecond = master.Wrap("blob-1", second);

        Assert.Equal(first, cache.Get("blob-1", wrappedFirst, master));
        Assert.Equal(first, cache.Get("blob-1", wrappedFirst, master));
        Assert.Equal(second, cache.Get("blob-1", wrappedSecond, master));
    }

    [Fact]
    public void DataKeyCache_WrappedKeyOfAnotherBlob_StillRefused()
    {
        var master = ObjectKey.Master(MasterKey.Ephemeral());
        var cache = new DataKeyCache();
        var wrapped = master.Wrap("blob-1", RandomNumberGenerator.GetBytes(32));
        cache.Get("blob-1", wrapped, master);

        Assert.ThrowsAny<CryptographicException>(() => cache.Get("blob-2", wrapped, master));
    }

    [Fact]
    public void CipherContexts_ReusableKey_KeepsOneSpare_OtherKeysDisposeTheirs()
    {
        var reusable = RandomNumberGenerator.GetBytes(32);
        CipherContexts.Reusable(reusable);
        var first = CipherContexts.Rent(reusable);
        var second = CipherContexts.Rent(reusable); // the spare is taken: a fresh one
        Assert.NotSame(first, second);
        CipherContexts.Return(reusable, first);
        CipherContexts.Return(reusable, second); // a spare is already kept: disposed
        Assert.Same(first, CipherContexts.Rent(reusable));

        var other = RandomNumberGenerator.GetBytes(32);
        var once = CipherContexts.Rent(other);
        CipherContexts.Return(other, once);
        Assert.NotSame(once, CipherContexts.Rent(other));
    }

    [Fact]
    public async Task InlineBlobStore_CachedRead_MatchesTheStoredBlob_AndDeleteEndsIt()
    {
        var db = new SqliteDatabase(Path.Combine(_dir.Path, "metadata.db"));
        var blobs = new InlineBlobStore(new FileBlobStore(Path.Combine(_dir.Path, "s3")), db);
        var body = RandomNumberGenerator.GetBytes(1024);
        var key = RandomNumberGenerator.GetBytes(32);
        var blob = await blobs.WriteAsync(new MemoryStream(body), ChecksumAlgorithms.None, long.MaxValue, key, default);

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(body, await ReadAsync(blobs, blob.BlobId, 0, body.Length, key));
        }

        Assert.Equal(body.AsSpan(100, 200).ToArray(), await ReadAsync(blobs, blob.BlobId, 100, 200, key));

        blobs.Delete(blob.BlobId);
        var gone = false;
        for (var i = 0; i < 100 && !gone; i++)
        {
            try
            {
                blobs.OpenRead(blob.BlobId, 0, body.Length, key, body.Length).Dispose();
                await Task.Delay(50);
            }
            catch (FileNotFoundException)
            {
                gone = true;
            }
        }

        Assert.True(gone, "a deleted inline blob is no longer served from memory");
    }

    private static async Task<byte[]> ReadAsync(InlineBlobStore blobs, string id, long offset, long length, byte[] key)
    {
        await using var stream = blobs.OpenRead(id, offset, length, key, 1024);
        var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }
}
