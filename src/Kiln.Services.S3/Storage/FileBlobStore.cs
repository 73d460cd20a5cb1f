using System.Buffers;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Kiln.Core.IO;
using Microsoft.Win32.SafeHandles;

namespace Kiln.Services.S3.Storage;

/// <summary>Blobs as files under <c>&lt;data-dir&gt;/s3/blobs/&lt;aa&gt;/&lt;id&gt;</c>. A write goes to
/// <c>s3/tmp</c> while it is hashed, is fsynced, renamed into place and its directory fsynced; only
/// then does the caller commit metadata and acknowledge. A crash before the rename leaves a temp
/// file, after it an unreferenced blob: <see cref="Sweep"/> removes both at start, so no partial
/// object is ever visible and every acknowledged one is on disk. Blob ids are random, never derived
/// from keys, so keys <c>a/b</c> and <c>a/b/c</c> coexist.</summary>
public sealed class FileBlobStore : IBlobStore
{
    private const int BufferSize = 128 * 1024;
    private static readonly FileStreamOptions s_createTemp = new()
    {
        Mode = FileMode.CreateNew,
        Access = FileAccess.Write,
        Share = FileShare.None,
        BufferSize = 0,
        UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
    };
    private readonly string _blobs;
    private readonly string _temp;

    public FileBlobStore(string root)
    {
        _blobs = Path.Combine(root, "blobs");
        _temp = Path.Combine(root, "tmp");
        Directory.CreateDirectory(_temp);
        Directory.CreateDirectory(_blobs);
        // All 256 fan-out folders exist up front, so a write never creates a directory whose own
        // entry would need an fsync of its parent.
        for (var i = 0; i < 256; i++)
        {
            Directory.CreateDirectory(Path.Combine(_blobs, i.ToString("x2")));
        }

        FsyncDirectory(_blobs);
        FsyncDirectory(root);
    }

    public async Task<BlobWrite> WriteAsync(Stream source, ChecksumAlgorithms checksums, long maxBytes, byte[]? dataKey,
        CancellationToken cancellationToken)
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var temp = Path.Combine(_temp, id + ".tmp");
        using var hasher = new ObjectHasher(checksums);
        try
        {
            long size;
            // Synchronous writes (see DecryptingStream.ReadAsync for why not FileOptions.Asynchronous).
            using (var stream = new FileStream(temp, s_createTemp))
            {
                var file = stream.SafeFileHandle;
                size = dataKey is null
                    ? await WritePlainAsync(source, file, hasher, maxBytes, cancellationToken).ConfigureAwait(false)
                    : await WriteSealedAsync(source, file, dataKey, hasher, maxBytes, cancellationToken).ConfigureAwait(false);
                RandomAccess.FlushToDisk(file);
            }

            var final = PathOf(id);
            File.Move(temp, final);
            FsyncDirectory(Path.GetDirectoryName(final)!);
            return new BlobWrite(id, size, hasher.Md5(), hasher.Checksums());
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    private static async Task<long> WritePlainAsync(Stream source, SafeFileHandle file, ObjectHasher hasher, long maxBytes,
        CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            long size = 0;
            int read;
            while ((read = await source.ReadAsync(buffer.AsMemory(0, BufferSize), cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (size + read > maxBytes)
                {
                    throw new BlobTooLargeException(maxBytes);
                }

                hasher.Append(buffer.AsSpan(0, read));
                RandomAccess.Write(file, buffer.AsSpan(0, read), size);
                StartWriteback(file, size, size + read);
                size += read;
            }

            return size;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Cipher chunks handed on together: one hand-off, one hash call and one write per 1 MiB
    /// rather than per 64 KiB chunk.</summary>
    private const int BatchChunks = 16;

    private const int BatchSize = BatchChunks * ChunkedCipher.ChunkSize;

    /// <summary>Reads the plaintext a batch of chunks at a time; while the next batch is received into
    /// the second buffer, the one just read is hashed (MD5 is one serial stream, batch after batch) and,
    /// beside it, sealed chunk by chunk and written, each on a thread-pool thread: receiving, hashing and
    /// sealing overlap. Plaintext stays in memory, two batches at most, wiped before the buffers go back.</summary>
    private static async Task<long> WriteSealedAsync(Stream source, SafeFileHandle file, byte[] dataKey,
        ObjectHasher hasher, long maxBytes, CancellationToken cancellationToken)
    {
        using var gcm = new AesGcm(dataKey, ChunkedCipher.TagSize);
        byte[][] plain = [ArrayPool<byte>.Shared.Rent(BatchSize), ArrayPool<byte>.Shared.Rent(BatchSize)];
        var sealedBatch = ArrayPool<byte>.Shared.Rent(BatchChunks * ChunkedCipher.EncryptedChunkSize);
        var pending = Task.CompletedTask;
        try
        {
            RandomAccess.Write(file, ChunkedCipher.Header, 0);
            long size = 0;
            long firstChunk = 0;
            for (var turn = 0; ; turn++)
            {
                var batch = plain[turn & 1];
                var filled = await FillAsync(source, batch, cancellationToken).ConfigureAwait(false);
                if (filled == 0)
                {
                    break;
                }

                size += filled;
                if (size > maxBytes)
                {
                    throw new BlobTooLargeException(maxBytes);
                }

                // The previous batch is hashed and written: sealedBatch and its plaintext buffer are free.
                await pending.ConfigureAwait(false);
                var (first, n) = (firstChunk, filled);
                var hashed = Task.Run(() => hasher.Append(batch.AsSpan(0, n)), cancellationToken);
                var written = Task.Run(() =>
                {
                    var sealedLength = 0;
                    for (var offset = 0; offset < n; offset += ChunkedCipher.ChunkSize)
                    {
                        var length = Math.Min(ChunkedCipher.ChunkSize, n - offset);
                        ChunkedCipher.Seal(gcm, first + (offset / ChunkedCipher.ChunkSize), batch.AsSpan(offset, length),
                            sealedBatch.AsSpan(sealedLength));
                        sealedLength += length + ChunkedCipher.TagSize;
                    }

                    var at = ChunkedCipher.Offset(first);
                    RandomAccess.Write(file, sealedBatch.AsSpan(0, sealedLength), at);
                    StartWriteback(file, at, at + sealedLength);
                }, cancellationToken);
                pending = Task.WhenAll(hashed, written);
                firstChunk += BatchChunks;
                if (filled < BatchSize)
                {
                    break;
                }
            }

            await pending.ConfigureAwait(false);
            return size;
        }
        finally
        {
            // Never hand buffers back while the hashing or sealing thread may still use them.
            await pending.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            foreach (var buffer in plain)
            {
                CryptographicOperations.ZeroMemory(buffer.AsSpan(0, BatchSize));
                ArrayPool<byte>.Shared.Return(buffer);
            }

            ArrayPool<byte>.Shared.Return(sealedBatch);
        }
    }

    /// <summary>Fills <paramref name="batch"/> up to <see cref="BatchSize"/>; less only at the end.</summary>
    private static async Task<int> FillAsync(Stream source, byte[] batch, CancellationToken cancellationToken)
    {
        var filled = 0;
        int read;
        while (filled < BatchSize
               && (read = await source.ReadAsync(batch.AsMemory(filled, BatchSize - filled), cancellationToken)
                   .ConfigureAwait(false)) > 0)
        {
            filled += read;
        }

        return filled;
    }

    private const long WritebackStep = 8 * 1024 * 1024;

    /// <summary>When a write [<paramref name="start"/>, <paramref name="end"/>) crosses an 8 MiB
    /// boundary, asks the kernel to start writing the 8 MiB before it back (Linux sync_file_range,
    /// SYNC_FILE_RANGE_WRITE: it does not wait), so the fsync at the end finds little left to do
    /// (<c>dd conv=fdatasync</c> flushes everything at the end).</summary>
    private static void StartWriteback(SafeFileHandle file, long start, long end)
    {
        var step = end / WritebackStep;
        if (step > start / WritebackStep && step > 0)
        {
            _ = SyncFileRange(file, (step - 1) * WritebackStep, WritebackStep, 2 /* SYNC_FILE_RANGE_WRITE */);
        }
    }

    public Stream OpenRead(string blobId, long offset, long length, byte[]? dataKey = null, long size = 0)
    {
        // No FileOptions.Asynchronous: see DecryptingStream.ReadAsync.
        var file = File.OpenHandle(PathOf(blobId), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        try
        {
            if (dataKey is not null)
            {
                return new DecryptingStream(file, dataKey, size, offset, length);
            }

            var stream = new FileStream(file, FileAccess.Read, bufferSize: 0);
            if (offset > 0)
            {
                stream.Seek(offset, SeekOrigin.Begin);
            }

            return new SliceStream(stream, length);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public void Delete(string blobId) => TryDelete(PathOf(blobId));

    public int Sweep(IReadOnlySet<string> referenced)
    {
        var removed = 0;
        foreach (var temp in Directory.EnumerateFiles(_temp))
        {
            removed += TryDelete(temp) ? 1 : 0;
        }

        foreach (var file in Directory.EnumerateFiles(_blobs, "*", SearchOption.AllDirectories))
        {
            if (!referenced.Contains(Path.GetFileName(file)))
            {
                removed += TryDelete(file) ? 1 : 0;
            }
        }

        return removed;
    }

    private string PathOf(string blobId)
    {
        // Ids are ours (32 hex); anything else in metadata would be corruption, not input.
        if (blobId.Length != 32 || !blobId.All(char.IsAsciiHexDigitLower))
        {
            throw new InvalidDataException($"Not a blob id: {blobId}");
        }

        return Path.Combine(_blobs, blobId[..2], blobId);
    }

    private static bool TryDelete(string path)
    {
        try
        {
            File.Delete(path);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Makes a rename or create in the folder durable: on Linux a file's fsync does not
    /// cover its directory entry. .NET has no API for it, hence libc.</summary>
    private static void FsyncDirectory(string path)
    {
        var fd = Open(path, 0x10000 /* O_RDONLY | O_DIRECTORY */);
        if (fd < 0)
        {
            throw new IOException($"Cannot open directory {path} to fsync it (errno {Marshal.GetLastPInvokeError()})");
        }

        try
        {
            if (Fsync(fd) != 0)
            {
                throw new IOException($"fsync of directory {path} failed (errno {Marshal.GetLastPInvokeError()})");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static extern int Fsync(int fd);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);

    [DllImport("libc", EntryPoint = "sync_file_range", SetLastError = true)]
    private static extern int SyncFileRange(SafeFileHandle fd, long offset, long nbytes, uint flags);
}

/// <summary>At most <c>length</c> bytes of an inner stream, which it owns.</summary>
internal sealed class SliceStream(Stream inner, long size) : ReadOnlyStream
{
    private readonly long _length = size;
    private long _remaining = size;

    public override long Length => _length;
    public override long Position
    {
        get => _length - _remaining;
        set => throw new NotSupportedException();
    }

    public override int Read(Span<byte> buffer)
    {
        if (_remaining <= 0)
        {
            return 0;
        }

        var read = inner.Read(buffer[..(int)Math.Min(buffer.Length, _remaining)]);
        _remaining -= read;
        return read;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_remaining <= 0)
        {
            return 0;
        }

        var read = await inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, _remaining)], cancellationToken)
            .ConfigureAwait(false);
        if (read == 0)
        {
            throw new EndOfStreamException("The blob is shorter than its metadata says");
        }

        _remaining -= read;
        return read;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync() => inner.DisposeAsync();
}

/// <summary>One object's bytes across its segments (a multipart object's parts), each opened only
/// when the read reaches it.</summary>
internal sealed class SegmentedStream(IBlobStore blobs, IReadOnlyList<BlobPiece> pieces)
    : ReadOnlyStream
{
    private int _next;
    private Stream? _current;

    /// <summary>Opens the first piece now, so a blob deleted by a concurrent overwrite shows up
    /// while the caller can still retry with fresh metadata.</summary>
    public void OpenFirst()
    {
        if (_current is null && _next < pieces.Count)
        {
            _current = pieces[_next++].Open(blobs);
        }
    }

    public override long Length => pieces.Sum(p => p.Length);

    public override int Read(Span<byte> buffer)
    {
        while (true)
        {
            if (_current is null)
            {
                if (_next >= pieces.Count)
                {
                    return 0;
                }

                _current = pieces[_next++].Open(blobs);
            }

            var read = _current.Read(buffer);
            if (read > 0 || buffer.IsEmpty)
            {
                return read;
            }

            _current.Dispose();
            _current = null;
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            if (_current is null)
            {
                if (_next >= pieces.Count)
                {
                    return 0;
                }

                _current = pieces[_next++].Open(blobs);
            }

            var read = await _current.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (read > 0 || buffer.Length == 0)
            {
                return read;
            }

            await _current.DisposeAsync().ConfigureAwait(false);
            _current = null;
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _current?.Dispose();
            _current = null;
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        if (_current is not null)
        {
            await _current.DisposeAsync().ConfigureAwait(false);
            _current = null;
        }

        GC.SuppressFinalize(this);
    }
}

/// <summary>Part of one blob to read: plaintext [Offset, Offset + Length) of a blob of BlobSize bytes.</summary>
internal sealed record BlobPiece(string BlobId, long Offset, long Length, byte[]? DataKey, long BlobSize)
{
    public Stream Open(IBlobStore blobs) => blobs.OpenRead(BlobId, Offset, Length, DataKey, BlobSize);
}
