using System.Buffers;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using Kiln.Core.IO;
using Kiln.Storage.Sqlite;

namespace Kiln.Services.S3.Storage;

/// <summary>
/// Small blobs (one cipher chunk, 64 KiB, or less) as rows of the metadata database instead of files;
/// larger ones go to the file store it wraps. A small PUT then creates no file: no inode to allocate,
/// no file and directory fsync; its row is made durable by the database's group commit, shared with
/// the other writes waiting at that moment. The bytes are the same sealed layout as a file's
/// (<see cref="ChunkedCipher"/>), so plaintext never reaches the disk here either. Inline blob ids
/// start with 'i'; file blob ids are hex, so the id says where a blob lives.
/// </summary>
public sealed class InlineBlobStore : IBlobStore
{
    private const int InlineLimit = ChunkedCipher.ChunkSize;
    private readonly IBlobStore _files;
    private readonly SqliteDatabase _db;
    // The stored bytes (sealed, for SSE objects) of recently read inline blobs, so a hot small GET
    // costs no database read. An inline blob never changes after its insert and its random id is never
    // reused, so an entry can only hold the right bytes. Delete drops the entry, and again once the row's
    // delete has committed; a read keeps what it read only when no row delete committed meanwhile
    // (_deletes unchanged), so a read that raced a delete never brings the blob back. Bounded by bytes,
    // cleared when full; in memory only.
    private const long RecentCapacityBytes = 8L * 1024 * 1024;
    private readonly ConcurrentDictionary<string, byte[]> _recent = new(StringComparer.Ordinal);
    private long _recentBytes;
    private long _deletes;

    // Append-only (SqliteDatabase.Migrate). v1: the table.
    private static readonly string[] s_schema =
    [
        "CREATE TABLE s3_inline_blobs (id TEXT PRIMARY KEY, data BLOB NOT NULL);",
    ];

    public InlineBlobStore(IBlobStore files, SqliteDatabase db)
    {
        _files = files;
        _db = db;
        db.Migrate("s3-inline-blobs", s_schema);
    }

    public async Task<BlobWrite> WriteAsync(Stream source, ChecksumAlgorithms checksums, long maxBytes, byte[]? dataKey,
        CancellationToken cancellationToken)
    {
        // Read one byte past the limit: only then is the source known to be small.
        var head = ArrayPool<byte>.Shared.Rent(InlineLimit + 1);
        try
        {
            var filled = 0;
            int read;
            while (filled <= InlineLimit
                   && (read = await source.ReadAsync(head.AsMemory(filled, InlineLimit + 1 - filled), cancellationToken)
                       .ConfigureAwait(false)) > 0)
            {
                filled += read;
            }

            if (filled > InlineLimit)
            {
                var rest = new PrefixedStream(head.AsMemory(0, filled), source);
                return await _files.WriteAsync(rest, checksums, maxBytes, dataKey, cancellationToken).ConfigureAwait(false);
            }

            if (filled > maxBytes)
            {
                throw new BlobTooLargeException(maxBytes);
            }

            using var hasher = new ObjectHasher(checksums);
            hasher.Append(head.AsSpan(0, filled));
            var data = Seal(head.AsSpan(0, filled), dataKey);
            var id = "i" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))[1..];
            await _db.WriteAsync((c, tx) =>
            {
                using var insert = c.CreateCommand();
                insert.Transaction = tx;
                insert.CommandText = "INSERT INTO s3_inline_blobs (id, data) VALUES ($i, $d)";
                insert.Parameters.AddWithValue("$i", id);
                insert.Parameters.AddWithValue("$d", data);
                return insert.ExecuteNonQuery();
            }).ConfigureAwait(false);
            return new BlobWrite(id, filled, hasher.Md5(), hasher.Checksums());
        }
        finally
        {
            CryptographicOperations.ZeroMemory(head.AsSpan(0, Math.Min(head.Length, InlineLimit + 1)));
            ArrayPool<byte>.Shared.Return(head);
        }
    }

    private static byte[] Seal(ReadOnlySpan<byte> plain, byte[]? dataKey)
    {
        if (dataKey is null)
        {
            return plain.ToArray();
        }

        var data = new byte[ChunkedCipher.HeaderSize + (plain.IsEmpty ? 0 : plain.Length + ChunkedCipher.TagSize)];
        ChunkedCipher.Header.CopyTo(data);
        if (!plain.IsEmpty)
        {
            using var gcm = new AesGcm(dataKey, ChunkedCipher.TagSize);
            ChunkedCipher.Seal(gcm, 0, plain, data.AsSpan(ChunkedCipher.HeaderSize));
        }

        return data;
    }

    public Stream OpenRead(string blobId, long offset, long length, byte[]? dataKey = null, long size = 0)
    {
        if (!IsInline(blobId))
        {
            return _files.OpenRead(blobId, offset, length, dataKey, size);
        }

        if (!_recent.TryGetValue(blobId, out var data))
        {
            var deletes = Volatile.Read(ref _deletes);
            using (var c = _db.Rent())
            {
                var select = c.Command("SELECT data FROM s3_inline_blobs WHERE id = $i");
                select.Parameters.AddWithValue("$i", blobId);
                data = select.ExecuteScalar() as byte[] ?? throw new FileNotFoundException($"Blob {blobId} is gone");
            }

            Remember(blobId, data, deletes);
        }

        if (dataKey is null)
        {
            return new MemoryStream(data, (int)offset, (int)length, writable: false);
        }

        ChunkedCipher.CheckHeader(data.AsSpan(0, ChunkedCipher.HeaderSize));
        var plain = new byte[size];
        if (size > 0)
        {
            var gcm = CipherContexts.Rent(dataKey);
            try
            {
                ChunkedCipher.Open(gcm, 0, data.AsSpan(ChunkedCipher.HeaderSize), plain);
            }
            finally
            {
                CipherContexts.Return(dataKey, gcm);
            }
        }

        return new WipedMemoryStream(plain, (int)offset, (int)length);
    }

    private void Remember(string blobId, byte[] data, long deletesBeforeRead)
    {
        if (Volatile.Read(ref _deletes) != deletesBeforeRead)
        {
            return;
        }

        if (Interlocked.Add(ref _recentBytes, data.Length) > RecentCapacityBytes)
        {
            _recent.Clear();
            Interlocked.Exchange(ref _recentBytes, data.Length);
        }

        _recent[blobId] = data;
        if (Volatile.Read(ref _deletes) != deletesBeforeRead)
        {
            // A delete committed while this was added: it may be this blob's (see _recent).
            _recent.TryRemove(blobId, out _);
        }
    }

    public void Delete(string blobId)
    {
        if (!IsInline(blobId))
        {
            _files.Delete(blobId);
            return;
        }

        _recent.TryRemove(blobId, out _);

        // After the metadata commit, like a file's delete: not awaited, and a failure leaves a row the
        // next start's sweep removes.
        _ = _db.WriteAsync((c, tx) => Run(c, tx, "DELETE FROM s3_inline_blobs WHERE id = $i", blobId))
            .ContinueWith(write =>
            {
                Interlocked.Increment(ref _deletes);
                _recent.TryRemove(blobId, out _);
            }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    public int Sweep(IReadOnlySet<string> referenced)
    {
        var removed = _files.Sweep(referenced);
        var orphans = new List<string>();
        using (var c = _db.Open())
        using (var list = c.CreateCommand())
        {
            list.CommandText = "SELECT id FROM s3_inline_blobs";
            using var r = list.ExecuteReader();
            while (r.Read())
            {
                if (!referenced.Contains(r.GetString(0)))
                {
                    orphans.Add(r.GetString(0));
                }
            }
        }

        if (orphans.Count > 0)
        {
            // At start, before the port opens: one transaction for all of them.
            _db.WriteAsync((c, tx) => orphans.Sum(id => Run(c, tx, "DELETE FROM s3_inline_blobs WHERE id = $i", id)))
                .GetAwaiter().GetResult();
        }

        return removed + orphans.Count;
    }

    private static bool IsInline(string blobId) => blobId.Length == 32 && blobId[0] == 'i';

    private static int Run(Microsoft.Data.Sqlite.SqliteConnection c, Microsoft.Data.Sqlite.SqliteTransaction tx, string sql,
        string id)
    {
        using var command = c.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        command.Parameters.AddWithValue("$i", id);
        return command.ExecuteNonQuery();
    }

    /// <summary>Plaintext that is zeroed when the response is done with it.</summary>
    private sealed class WipedMemoryStream : MemoryStream
    {
        private readonly byte[] _plain;

        public WipedMemoryStream(byte[] plain, int offset, int length)
            : base(plain, offset, length, writable: false) => _plain = plain;

        protected override void Dispose(bool disposing)
        {
            CryptographicOperations.ZeroMemory(_plain);
            base.Dispose(disposing);
        }
    }

    /// <summary>Bytes already read from a source, then the rest of it.</summary>
    private sealed class PrefixedStream(ReadOnlyMemory<byte> prefix, Stream rest) : ReadOnlyStream
    {
        private ReadOnlyMemory<byte> _prefix = prefix;

        public override int Read(Span<byte> buffer)
        {
            if (_prefix.IsEmpty)
            {
                return rest.Read(buffer);
            }

            var n = Math.Min(buffer.Length, _prefix.Length);
            _prefix.Span[..n].CopyTo(buffer);
            _prefix = _prefix[n..];
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_prefix.IsEmpty)
            {
                return rest.ReadAsync(buffer, cancellationToken);
            }

            return ValueTask.FromResult(Read(buffer.Span));
        }
    }
}
