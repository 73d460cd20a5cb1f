using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Kiln.Core.IO;
using Microsoft.Win32.SafeHandles;

namespace Kiln.Services.S3.Storage;

/// <summary>The on-disk layout of an encrypted blob (SSE-S3, DESIGN.md "Encryption at rest"):
/// <code>
/// header  "KS3E" (4) | version 1 (1) | reserved (3)
/// chunk i ciphertext of plaintext bytes [i*64Ki, (i+1)*64Ki) | GCM tag (16)
/// </code>
/// AES-256-GCM under the blob's own data key; the nonce is the chunk index (a key seals one blob
/// only, so nonces never repeat), and the index is also associated data, so chunks cannot be
/// reordered. A ranged read decrypts only the chunks it covers. The plaintext size lives in
/// metadata, which is how a truncated file is noticed.
/// Version history: 1 — first layout.</summary>
internal static class ChunkedCipher
{
    public const int ChunkSize = 64 * 1024;
    public const int TagSize = 16;
    public const int HeaderSize = 8;
    public const int EncryptedChunkSize = ChunkSize + TagSize;
    private static readonly byte[] s_header = [(byte)'K', (byte)'S', (byte)'3', (byte)'E', 1, 0, 0, 0];

    public static ReadOnlySpan<byte> Header => s_header;

    public static void CheckHeader(ReadOnlySpan<byte> header)
    {
        if (!header.SequenceEqual(s_header))
        {
            throw new InvalidDataException("Not an encrypted Kiln blob of a known version");
        }
    }

    public static void Seal(AesGcm gcm, long index, ReadOnlySpan<byte> plain, Span<byte> output)
    {
        Span<byte> nonce = stackalloc byte[12];
        Span<byte> ad = stackalloc byte[8];
        Nonce(index, nonce, ad);
        gcm.Encrypt(nonce, plain, output[..plain.Length], output.Slice(plain.Length, TagSize), ad);
    }

    public static void Open(AesGcm gcm, long index, ReadOnlySpan<byte> sealedChunk, Span<byte> plain)
    {
        Span<byte> nonce = stackalloc byte[12];
        Span<byte> ad = stackalloc byte[8];
        Nonce(index, nonce, ad);
        var length = sealedChunk.Length - TagSize;
        gcm.Decrypt(nonce, sealedChunk[..length], sealedChunk[length..], plain[..length], ad);
    }

    private static void Nonce(long index, Span<byte> nonce, Span<byte> ad)
    {
        nonce.Clear();
        BinaryPrimitives.WriteInt64BigEndian(nonce[4..], index);
        BinaryPrimitives.WriteInt64BigEndian(ad, index);
    }

    /// <summary>Where chunk <paramref name="index"/> starts in the file.</summary>
    public static long Offset(long index) => HeaderSize + (index * EncryptedChunkSize);
}

/// <summary>AES-GCM contexts for reading blobs. A context costs an allocation, a finalizable handle and
/// an OpenSSL key setup; for a data key that outlives its request (an SSE-S3 key held by the data key
/// cache) one spare context is kept beside the key, found by the key array's identity, and is collected
/// with it. Any other key gets a fresh context that is disposed after use.</summary>
internal static class CipherContexts
{
    private static readonly ConditionalWeakTable<byte[], Slot> s_reusable = new();

    private sealed class Slot
    {
        public AesGcm? Spare;
    }

    /// <summary>Lets contexts of <paramref name="key"/> be kept after use. Only for a key that is never
    /// wiped or changed while anything may use it.</summary>
    public static void Reusable(byte[] key) => s_reusable.TryAdd(key, new Slot());

    public static AesGcm Rent(byte[] key) =>
        s_reusable.TryGetValue(key, out var slot) && Interlocked.Exchange(ref slot.Spare, null) is { } spare
            ? spare
            : new AesGcm(key, ChunkedCipher.TagSize);

    /// <summary>Gives back a context from <see cref="Rent"/>; the caller no longer uses it.</summary>
    public static void Return(byte[] key, AesGcm gcm)
    {
        if (!s_reusable.TryGetValue(key, out var slot) || Interlocked.CompareExchange(ref slot.Spare, gcm, null) is not null)
        {
            gcm.Dispose();
        }
    }
}

/// <summary>Plaintext [offset, offset + length) of an encrypted blob, decrypting chunk by chunk.</summary>
internal sealed class DecryptingStream : ReadOnlyStream
{
    private readonly SafeFileHandle _file;
    private readonly AesGcm _gcm;
    private readonly byte[] _dataKey;
    private readonly long _plainSize;
    private readonly byte[] _sealed = ArrayPool<byte>.Shared.Rent(ChunkedCipher.EncryptedChunkSize);
    private readonly byte[] _plain = ArrayPool<byte>.Shared.Rent(ChunkedCipher.ChunkSize);
    private long _index;
    private int _skip;
    private int _position;
    private int _available;
    private long _remaining;
    private int _plainUsed;
    private bool _disposed;

    /// <summary>Takes ownership of <paramref name="file"/>.</summary>
    public DecryptingStream(SafeFileHandle file, byte[] dataKey, long plainSize, long offset, long length)
    {
        _file = file;
        _dataKey = dataKey;
        _gcm = CipherContexts.Rent(dataKey);
        _plainSize = plainSize;
        _index = offset / ChunkedCipher.ChunkSize;
        _skip = (int)(offset % ChunkedCipher.ChunkSize);
        _remaining = length;
        Span<byte> header = stackalloc byte[ChunkedCipher.HeaderSize];
        ReadAt(header, 0);
        ChunkedCipher.CheckHeader(header);
    }

    public override int Read(Span<byte> buffer)
    {
        if (_remaining <= 0 || buffer.IsEmpty)
        {
            return 0;
        }

        if (_position == _available)
        {
            var sealedLength = NextSealedLength();
            ReadAt(_sealed.AsSpan(0, sealedLength), ChunkedCipher.Offset(_index));
            var plainLength = sealedLength - ChunkedCipher.TagSize;
            if (_skip == 0 && plainLength <= buffer.Length && plainLength <= _remaining)
            {
                // A whole chunk the caller wants in full: decrypt straight into its buffer.
                ChunkedCipher.Open(_gcm, _index++, _sealed.AsSpan(0, sealedLength), buffer);
                _remaining -= plainLength;
                return plainLength;
            }

            Decrypt(sealedLength);
        }

        return Copy(buffer);
    }

    /// <summary>Synchronous on purpose: a regular file's read blocks in the kernel either way, and
    /// .NET's async file read on Linux is that same read moved to another thread-pool thread — a
    /// hand-off that cost a small GET more than the read.</summary>
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Read(buffer.Span));
    }

    private void ReadAt(Span<byte> destination, long fileOffset)
    {
        while (!destination.IsEmpty)
        {
            var n = RandomAccess.Read(_file, destination, fileOffset);
            if (n == 0)
            {
                throw new EndOfStreamException("The encrypted blob is shorter than its metadata says");
            }

            destination = destination[n..];
            fileOffset += n;
        }
    }

    private int NextSealedLength()
    {
        var plainLength = (int)Math.Min(ChunkedCipher.ChunkSize, _plainSize - (_index * ChunkedCipher.ChunkSize));
        if (plainLength <= 0)
        {
            throw new EndOfStreamException("The encrypted blob is shorter than its metadata says");
        }

        return plainLength + ChunkedCipher.TagSize;
    }

    private void Decrypt(int sealedLength)
    {
        ChunkedCipher.Open(_gcm, _index++, _sealed.AsSpan(0, sealedLength), _plain);
        _available = sealedLength - ChunkedCipher.TagSize;
        _plainUsed = Math.Max(_plainUsed, _available);
        _position = _skip;
        _skip = 0;
    }

    private int Copy(Span<byte> buffer)
    {
        var n = (int)Math.Min(Math.Min(buffer.Length, _available - _position), _remaining);
        _plain.AsSpan(_position, n).CopyTo(buffer);
        _position += n;
        _remaining -= n;
        return n;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _file.Dispose();
            CipherContexts.Return(_dataKey, _gcm);
            CryptographicOperations.ZeroMemory(_plain.AsSpan(0, _plainUsed));
            ArrayPool<byte>.Shared.Return(_sealed);
            ArrayPool<byte>.Shared.Return(_plain);
        }

        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }
}
