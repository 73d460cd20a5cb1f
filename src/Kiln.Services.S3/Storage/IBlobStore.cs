namespace Kiln.Services.S3.Storage;

/// <summary>Object bytes, apart from their metadata (STYLE.md §8). A blob is immutable once written:
/// it is written whole under a fresh id, read by range, and deleted once no metadata refers to it.</summary>
public interface IBlobStore
{
    /// <summary>Streams <paramref name="source"/> into a new blob while hashing it, and returns once
    /// the blob is durable (fsynced and renamed into place). Memory use is one pooled buffer.</summary>
    /// <param name="dataKey">When set, the bytes are sealed under this AES-256 key in fixed-size
    /// AES-GCM chunks (<see cref="ChunkedCipher"/>) and plaintext never reaches the disk; hashes and
    /// sizes are of the plaintext.</param>
    /// <exception cref="BlobTooLargeException">The source held more than <paramref name="maxBytes"/>.</exception>
    Task<BlobWrite> WriteAsync(Stream source, ChecksumAlgorithms checksums, long maxBytes, byte[]? dataKey,
        CancellationToken cancellationToken);

    /// <summary>A stream over plaintext [offset, offset + length) of the blob.</summary>
    /// <param name="dataKey">The key the blob was written with, or null for a plain blob.</param>
    /// <param name="size">The blob's plaintext size (an encrypted blob's chunk layout depends on it).</param>
    /// <exception cref="FileNotFoundException">The blob was deleted (a concurrent overwrite).</exception>
    Stream OpenRead(string blobId, long offset, long length, byte[]? dataKey = null, long size = 0);

    void Delete(string blobId);

    /// <summary>Removes temp files and every blob not in <paramref name="referenced"/>. Run at start,
    /// before any write: a crash leaves at most these behind.</summary>
    /// <returns>How many files were removed.</returns>
    int Sweep(IReadOnlySet<string> referenced);
}

/// <param name="Md5">The raw MD5 digest (16 bytes).</param>
/// <param name="Checksums">The additional checksums asked for, by algorithm name, base64.</param>
public sealed record BlobWrite(string BlobId, long Size, byte[] Md5, IReadOnlyDictionary<string, string> Checksums);

public sealed class BlobTooLargeException(long maxBytes) : Exception($"The blob exceeds {maxBytes} bytes")
{
    public long MaxBytes { get; } = maxBytes;
}
