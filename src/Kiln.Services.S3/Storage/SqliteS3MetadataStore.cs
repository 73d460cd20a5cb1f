using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Kiln.Core;
using Kiln.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Kiln.Services.S3.Storage;

/// <summary>S3 metadata in the shared SQLite database. The columns are what queries filter and
/// order on; the rest of a record is a JSON document beside them, so adding a stored field needs
/// no migration. Keys compare with SQLite's BINARY collation: UTF-8 byte order, as S3 lists.</summary>
public sealed class SqliteS3MetadataStore : IS3MetadataStore
{
    // Append-only (SqliteDatabase.Migrate). v1: buckets, versions, uploads, parts.
    // v2: bucket default encryption. v3: the legacy location constraint.
    private static readonly string[] s_schema =
    [
        """
        CREATE TABLE s3_buckets (
            name       TEXT PRIMARY KEY,
            owner      TEXT NOT NULL,
            region     TEXT NOT NULL,
            created_at TEXT NOT NULL,
            versioning INTEGER NOT NULL,
            tags       TEXT);
        CREATE INDEX s3_buckets_owner ON s3_buckets(owner, name);
        CREATE TABLE s3_versions (
            seq           INTEGER PRIMARY KEY AUTOINCREMENT,
            bucket        TEXT NOT NULL,
            key           TEXT NOT NULL,
            version_id    TEXT NOT NULL,
            is_latest     INTEGER NOT NULL,
            delete_marker INTEGER NOT NULL,
            doc           TEXT NOT NULL,
            UNIQUE (bucket, key, version_id));
        CREATE INDEX s3_versions_latest ON s3_versions(bucket, key) WHERE is_latest = 1;
        CREATE INDEX s3_versions_key ON s3_versions(bucket, key, seq);
        CREATE TABLE s3_uploads (
            upload_id TEXT PRIMARY KEY,
            bucket    TEXT NOT NULL,
            key       TEXT NOT NULL,
            doc       TEXT NOT NULL);
        CREATE INDEX s3_uploads_key ON s3_uploads(bucket, key, upload_id);
        CREATE TABLE s3_parts (
            upload_id   TEXT NOT NULL,
            part_number INTEGER NOT NULL,
            doc         TEXT NOT NULL,
            PRIMARY KEY (upload_id, part_number));
        """,
        "ALTER TABLE s3_buckets ADD COLUMN encryption TEXT;",
        // v3: a LocationConstraint other than the region's own name ("EU", S3's legacy name for eu-west-1).
        "ALTER TABLE s3_buckets ADD COLUMN location TEXT;",
    ];

    private const string VersionColumns = "seq, is_latest, doc";

    private readonly SqliteDatabase _db;
    // Every request on a bucket reads its record (twice: the authorize stage for its policy, then the
    // handler), and this process is the only writer of buckets: keep the records in memory. A reader
    // caches what it read only when no bucket write finished meanwhile (_bucketWrites unchanged), so
    // a record read before a concurrent commit never outlives it.
    // The completed tasks are what is kept, so a hit allocates nothing.
    private readonly ConcurrentDictionary<string, Task<BucketRecord?>> _buckets = new(StringComparer.Ordinal);
    private long _bucketWrites;
    // GET and HEAD parse the version's JSON document each time; the parsed records of recently read
    // documents are kept by the document's text, so a changed row (new tags, storage class, restore)
    // is a different key and can never be served from an older parse. Cleared when full.
    private readonly BoundedCache<string, ParsedVersion> _parsed = new(4096, StringComparer.Ordinal);

    public SqliteS3MetadataStore(SqliteDatabase db)
    {
        _db = db;
        db.Migrate("s3", s_schema);
        _access = new SqliteBucketAccessStore(db);
    }

    private readonly SqliteBucketAccessStore _access;

    /// <summary>The bucket access settings, in the same database, so a new bucket and its settings commit together.</summary>
    public IBucketAccessStore Access => _access;

    public Task<BucketRecord?> CreateBucketAsync(BucketRecord bucket, CancellationToken cancellationToken) =>
        CreateBucketAsync(bucket, null, cancellationToken);

    public Task<BucketRecord?> CreateBucketAsync(BucketRecord bucket, BucketAccessRecord? access, CancellationToken cancellationToken)
    {
        using var c = _db.Open();
        if (access is not null)
        {
            return Task.FromResult(_access.CreateBucket(c, access, tx => InsertBucket(c, tx, bucket)));
        }

        using var tx = c.BeginTransaction(deferred: false);
        var existing = InsertBucket(c, tx, bucket);
        if (existing is null)
        {
            tx.Commit();
        }

        return Task.FromResult(existing);
    }

    /// <summary>Writes the bucket's row, or returns the existing bucket of that name and writes nothing.</summary>
    private static BucketRecord? InsertBucket(SqliteConnection c, SqliteTransaction tx, BucketRecord bucket)
    {
        var existing = ReadBucket(c, tx, bucket.Name);
        if (existing is not null)
        {
            return existing;
        }

        Run(c, tx, "INSERT INTO s3_buckets (name, owner, region, created_at, versioning, tags, encryption, location) " +
                   "VALUES ($n, $o, $r, $c, $v, $t, $e, $l)",
            ("$n", bucket.Name), ("$o", bucket.OwnerAccountId), ("$r", bucket.Region), ("$c", Format(bucket.CreatedAt)),
            ("$v", (int)bucket.Versioning), ("$t", TagsJson(bucket.Tags)), ("$e", BucketEncryption.ToColumn(bucket.DefaultEncryption)),
            ("$l", bucket.LocationConstraint));
        return null;
    }

    public Task<BucketRecord?> GetBucketAsync(string name, CancellationToken cancellationToken)
    {
        if (_buckets.TryGetValue(name, out var cached))
        {
            return cached;
        }

        var writes = Volatile.Read(ref _bucketWrites);
        BucketRecord? bucket;
        using (var c = _db.Rent())
        {
            var cmd = c.Command(BucketQuery);
            cmd.Parameters.AddWithValue("$n", name);
            using var r = cmd.ExecuteReader();
            bucket = r.Read() ? BucketFrom(r) : null;
        }

        var task = Task.FromResult(bucket);
        if (bucket is not null && Volatile.Read(ref _bucketWrites) == writes)
        {
            _buckets.TryAdd(name, task);
        }

        return task;
    }

    /// <summary>After a bucket write commits: drops the cached record (see <see cref="_buckets"/>).</summary>
    private void BucketWritten(string name)
    {
        Interlocked.Increment(ref _bucketWrites);
        _buckets.TryRemove(name, out _);
    }

    public Task<IReadOnlyList<BucketRecord>> ListBucketsAsync(string ownerAccountId, CancellationToken cancellationToken)
    {
        using var c = _db.Open();
        using var cmd = Command(c, null,
            "SELECT name, owner, region, created_at, versioning, tags, encryption, location FROM s3_buckets WHERE owner = $o ORDER BY name",
            ("$o", ownerAccountId));
        using var r = cmd.ExecuteReader();
        var list = new List<BucketRecord>();
        while (r.Read())
        {
            list.Add(BucketFrom(r));
        }

        return Task.FromResult<IReadOnlyList<BucketRecord>>(list);
    }

    public Task UpdateBucketAsync(BucketRecord bucket, CancellationToken cancellationToken)
    {
        using var c = _db.Open();
        var changed = Run(c, null, "UPDATE s3_buckets SET versioning = $v, tags = $t, encryption = $e WHERE name = $n",
            ("$n", bucket.Name), ("$v", (int)bucket.Versioning), ("$t", TagsJson(bucket.Tags)),
            ("$e", BucketEncryption.ToColumn(bucket.DefaultEncryption)));
        BucketWritten(bucket.Name);
        return changed == 0 ? throw new MissingBucketException(bucket.Name) : Task.CompletedTask;
    }

    public Task<IReadOnlyList<string>?> DeleteBucketAsync(string name, CancellationToken cancellationToken)
    {
        using var c = _db.Open();
        using var tx = c.BeginTransaction(deferred: false);
        if (ReadBucket(c, tx, name) is null)
        {
            throw new MissingBucketException(name);
        }

        if (Scalar(c, tx, "SELECT 1 FROM s3_versions WHERE bucket = $b LIMIT 1", ("$b", name)) is not null)
        {
            return Task.FromResult<IReadOnlyList<string>?>(null);
        }

        var freed = new List<string>();
        foreach (var uploadId in Strings(c, tx, "SELECT upload_id FROM s3_uploads WHERE bucket = $b", ("$b", name)))
        {
            freed.AddRange(RemoveUpload(c, tx, uploadId));
        }

        Run(c, tx, "DELETE FROM s3_buckets WHERE name = $b", ("$b", name));
        tx.Commit();
        BucketWritten(name);
        return Task.FromResult<IReadOnlyList<string>?>(freed);
    }

    // The writes on every PUT, DELETE and part upload go through the database's group commit.
    public Task<(IReadOnlyList<string> FreedBlobs, long Sequence)> PutVersionAsync(ObjectVersionRecord version,
        CancellationToken cancellationToken) =>
        _db.WriteAsync<(IReadOnlyList<string>, long)>((c, tx) =>
        {
            var freed = PutVersion(c, tx, version);
            return (freed, (long)Scalar(c, tx, "SELECT last_insert_rowid()")!);
        });

    private static IReadOnlyList<string> PutVersion(SqliteConnection c, SqliteTransaction tx, ObjectVersionRecord version)
    {
        if (Scalar(c, tx, "SELECT 1 FROM s3_buckets WHERE name = $b", ("$b", version.Bucket)) is null)
        {
            throw new MissingBucketException(version.Bucket);
        }

        var freed = new List<string>();
        if (version.VersionId == ObjectVersionRecord.NullVersionId)
        {
            var old = ReadVersions(c, tx,
                $"SELECT {VersionColumns} FROM s3_versions WHERE bucket = $b AND key = $k AND version_id = 'null'",
                ("$b", version.Bucket), ("$k", version.Key));
            foreach (var v in old)
            {
                freed.AddRange(v.Segments.Select(s => s.BlobId));
            }

            Run(c, tx, "DELETE FROM s3_versions WHERE bucket = $b AND key = $k AND version_id = 'null'",
                ("$b", version.Bucket), ("$k", version.Key));
        }

        Run(c, tx, "UPDATE s3_versions SET is_latest = 0 WHERE bucket = $b AND key = $k AND is_latest = 1",
            ("$b", version.Bucket), ("$k", version.Key));
        Run(c, tx, "INSERT INTO s3_versions (bucket, key, version_id, is_latest, delete_marker, doc) " +
                   "VALUES ($b, $k, $v, 1, $d, $doc)",
            ("$b", version.Bucket), ("$k", version.Key), ("$v", version.VersionId), ("$d", version.IsDeleteMarker ? 1 : 0),
            ("$doc", JsonSerializer.Serialize(version, S3Json.Default.ObjectVersionRecord)));
        return freed;
    }

    public Task<ObjectVersionRecord?> GetVersionAsync(string bucket, string key, string? versionId,
        CancellationToken cancellationToken)
    {
        // Every GET and HEAD: a prepared statement on a kept connection.
        using var c = _db.Rent();
        var cmd = c.Command(versionId is null ? LatestVersionQuery : VersionQuery);
        cmd.Parameters.AddWithValue("$b", bucket);
        cmd.Parameters.AddWithValue("$k", key);
        if (versionId is not null)
        {
            cmd.Parameters.AddWithValue("$v", versionId);
        }

        using var r = cmd.ExecuteReader();
        if (!r.Read())
        {
            return Task.FromResult<ObjectVersionRecord?>(null);
        }

        var doc = r.GetString(2);
        if (!_parsed.TryGet(doc, out var parsed))
        {
            parsed = new ParsedVersion(JsonSerializer.Deserialize(doc, S3Json.Default.ObjectVersionRecord)!);
            _parsed.Set(doc, parsed);
        }

        return parsed.With(r.GetInt64(0), r.GetInt64(1) != 0);
    }

    /// <summary>A parsed version document and the last answer made from it: the row's sequence and
    /// latest flag are columns beside the document, so a hit reuses that answer only when they match.</summary>
    private sealed class ParsedVersion(ObjectVersionRecord parsed)
    {
        private Task<ObjectVersionRecord?>? _last;

        public Task<ObjectVersionRecord?> With(long sequence, bool isLatest)
        {
            var last = Volatile.Read(ref _last);
            if (last is not null && last.Result!.Sequence == sequence && last.Result.IsLatest == isLatest)
            {
                return last;
            }

            last = Task.FromResult<ObjectVersionRecord?>(parsed with { Sequence = sequence, IsLatest = isLatest });
            Volatile.Write(ref _last, last);
            return last;
        }
    }

    public Task<(ObjectVersionRecord? Removed, IReadOnlyList<string> FreedBlobs)> DeleteVersionAsync(string bucket,
        string key, string versionId, CancellationToken cancellationToken) =>
        _db.WriteAsync<(ObjectVersionRecord?, IReadOnlyList<string>)>((c, tx) =>
        {
            var removed = ReadVersions(c, tx,
                $"SELECT {VersionColumns} FROM s3_versions WHERE bucket = $b AND key = $k AND version_id = $v",
                ("$b", bucket), ("$k", key), ("$v", versionId)).FirstOrDefault();
            if (removed is null)
            {
                return (null, []);
            }

            Run(c, tx, "DELETE FROM s3_versions WHERE seq = $s", ("$s", removed.Sequence));
            if (removed.IsLatest)
            {
                Run(c, tx, "UPDATE s3_versions SET is_latest = 1 WHERE seq = " +
                           "(SELECT MAX(seq) FROM s3_versions WHERE bucket = $b AND key = $k)", ("$b", bucket), ("$k", key));
            }

            return (removed, removed.Segments.Select(s => s.BlobId).ToList());
        });

    public Task<bool> SetTagsAsync(string bucket, string key, string versionId, IReadOnlyList<ObjectTag> tags,
        CancellationToken cancellationToken)
    {
        using var c = _db.Open();
        using var tx = c.BeginTransaction(deferred: false);
        var found = ReadVersions(c, tx,
            $"SELECT {VersionColumns} FROM s3_versions WHERE bucket = $b AND key = $k AND version_id = $v",
            ("$b", bucket), ("$k", key), ("$v", versionId)).FirstOrDefault();
        if (found is null)
        {
            return Task.FromResult(false);
        }

        Run(c, tx, "UPDATE s3_versions SET doc = $doc WHERE seq = $s", ("$s", found.Sequence),
            ("$doc", JsonSerializer.Serialize(found with { Tags = tags }, S3Json.Default.ObjectVersionRecord)));
        tx.Commit();
        return Task.FromResult(true);
    }

    public Task<ObjectVersionRecord?> UpdateVersionAsync(string bucket, string key, string versionId,
        Func<ObjectVersionRecord, ObjectVersionRecord> change, CancellationToken cancellationToken)
    {
        using var c = _db.Open();
        using var tx = c.BeginTransaction(deferred: false);
        var found = ReadVersions(c, tx,
            $"SELECT {VersionColumns} FROM s3_versions WHERE bucket = $b AND key = $k AND version_id = $v",
            ("$b", bucket), ("$k", key), ("$v", versionId)).FirstOrDefault();
        if (found is null)
        {
            return Task.FromResult<ObjectVersionRecord?>(null);
        }

        var changed = change(found) with
        {
            Bucket = found.Bucket, Key = found.Key, VersionId = found.VersionId, Segments = found.Segments,
            Sequence = found.Sequence, IsLatest = found.IsLatest, IsDeleteMarker = found.IsDeleteMarker,
        };
        Run(c, tx, "UPDATE s3_versions SET doc = $doc WHERE seq = $s", ("$s", found.Sequence),
            ("$doc", JsonSerializer.Serialize(changed, S3Json.Default.ObjectVersionRecord)));
        tx.Commit();
        return Task.FromResult<ObjectVersionRecord?>(changed);
    }

    public Task<IReadOnlyList<ObjectVersionRecord>> ListLatestAsync(string bucket, string prefix, string after, int limit,
        CancellationToken cancellationToken)
    {
        using var c = _db.Open();
        // The range starts at the larger of prefix and marker; the substr test ends the prefix.
        IReadOnlyList<ObjectVersionRecord> list = ReadVersions(c, null,
            $"SELECT {VersionColumns} FROM s3_versions WHERE bucket = $b AND is_latest = 1 AND delete_marker = 0 " +
            "AND key > $a AND key >= $p AND substr(key, 1, length($p)) = $p ORDER BY key LIMIT $n",
            ("$b", bucket), ("$a", after), ("$p", prefix), ("$n", limit));
        return Task.FromResult(list);
    }

    public Task<IReadOnlyList<ObjectVersionRecord>> ListVersionsAsync(string bucket, string prefix, string afterKey,
        long? afterSequence, int limit, CancellationToken cancellationToken)
    {
        using var c = _db.Open();
        IReadOnlyList<ObjectVersionRecord> list = ReadVersions(c, null,
            $"SELECT {VersionColumns} FROM s3_versions WHERE bucket = $b AND key >= $p AND substr(key, 1, length($p)) = $p " +
            "AND (key > $a OR (key = $a AND seq < $s)) ORDER BY key, seq DESC LIMIT $n",
            ("$b", bucket), ("$p", prefix), ("$a", afterKey), ("$s", afterSequence ?? 0L), ("$n", limit));
        return Task.FromResult(list);
    }

    public Task CreateUploadAsync(UploadRecord upload, CancellationToken cancellationToken)
    {
        using var c = _db.Open();
        using var tx = c.BeginTransaction(deferred: false);
        if (Scalar(c, tx, "SELECT 1 FROM s3_buckets WHERE name = $b", ("$b", upload.Bucket)) is null)
        {
            throw new MissingBucketException(upload.Bucket);
        }

        Run(c, tx, "INSERT INTO s3_uploads (upload_id, bucket, key, doc) VALUES ($u, $b, $k, $doc)",
            ("$u", upload.UploadId), ("$b", upload.Bucket), ("$k", upload.Key),
            ("$doc", JsonSerializer.Serialize(upload, S3Json.Default.UploadRecord)));
        tx.Commit();
        return Task.CompletedTask;
    }

    public Task<UploadRecord?> GetUploadAsync(string uploadId, CancellationToken cancellationToken)
    {
        using var c = _db.Open();
        return Task.FromResult(ReadUpload(c, null, uploadId));
    }

    public Task<IReadOnlyList<string>> PutPartAsync(PartRecord part, CancellationToken cancellationToken) =>
        _db.WriteAsync<IReadOnlyList<string>>((c, tx) =>
        {
            if (ReadUpload(c, tx, part.UploadId) is null)
            {
                throw new MissingUploadException(part.UploadId);
            }

            var freed = new List<string>();
            if (Scalar(c, tx, "SELECT doc FROM s3_parts WHERE upload_id = $u AND part_number = $p",
                    ("$u", part.UploadId), ("$p", part.PartNumber)) is string old)
            {
                freed.Add(JsonSerializer.Deserialize(old, S3Json.Default.PartRecord)!.Blob.BlobId);
            }

            Run(c, tx, "INSERT INTO s3_parts (upload_id, part_number, doc) VALUES ($u, $p, $doc) " +
                       "ON CONFLICT(upload_id, part_number) DO UPDATE SET doc = excluded.doc",
                ("$u", part.UploadId), ("$p", part.PartNumber),
                ("$doc", JsonSerializer.Serialize(part, S3Json.Default.PartRecord)));
            return freed;
        });

    public Task<IReadOnlyList<PartRecord>> ListPartsAsync(string uploadId, int afterPartNumber, int limit,
        CancellationToken cancellationToken)
    {
        using var c = _db.Open();
        IReadOnlyList<PartRecord> list = Strings(c, null,
                "SELECT doc FROM s3_parts WHERE upload_id = $u AND part_number > $p ORDER BY part_number LIMIT $n",
                ("$u", uploadId), ("$p", afterPartNumber), ("$n", limit))
            .Select(d => JsonSerializer.Deserialize(d, S3Json.Default.PartRecord)!).ToList();
        return Task.FromResult(list);
    }

    public Task<IReadOnlyList<UploadRecord>> ListUploadsAsync(string bucket, string prefix, string afterKey,
        string afterUploadId, int limit, CancellationToken cancellationToken)
    {
        using var c = _db.Open();
        IReadOnlyList<UploadRecord> list = Strings(c, null,
                "SELECT doc FROM s3_uploads WHERE bucket = $b AND key >= $p AND substr(key, 1, length($p)) = $p " +
                "AND (key > $k OR (key = $k AND upload_id > $u)) ORDER BY key, upload_id LIMIT $n",
                ("$b", bucket), ("$p", prefix), ("$k", afterKey), ("$u", afterUploadId), ("$n", limit))
            .Select(d => JsonSerializer.Deserialize(d, S3Json.Default.UploadRecord)!).ToList();
        return Task.FromResult(list);
    }

    public Task<(IReadOnlyList<string> FreedBlobs, long Sequence)> CompleteUploadAsync(string uploadId,
        ObjectVersionRecord version,
        CancellationToken cancellationToken) =>
        _db.WriteAsync<(IReadOnlyList<string>, long)>((c, tx) =>
        {
            if (ReadUpload(c, tx, uploadId) is null)
            {
                throw new MissingUploadException(uploadId);
            }

            var used = version.Segments.Select(s => s.BlobId).ToHashSet(StringComparer.Ordinal);
            var freed = RemoveUpload(c, tx, uploadId).Where(id => !used.Contains(id)).ToList();
            freed.AddRange(PutVersion(c, tx, version));
            return (freed, (long)Scalar(c, tx, "SELECT last_insert_rowid()")!);
        });

    public Task<IReadOnlyList<string>> AbortUploadAsync(string uploadId, CancellationToken cancellationToken)
    {
        using var c = _db.Open();
        using var tx = c.BeginTransaction(deferred: false);
        if (ReadUpload(c, tx, uploadId) is null)
        {
            throw new MissingUploadException(uploadId);
        }

        var freed = RemoveUpload(c, tx, uploadId);
        tx.Commit();
        return Task.FromResult<IReadOnlyList<string>>(freed);
    }

    private static List<string> RemoveUpload(SqliteConnection c, SqliteTransaction tx, string uploadId)
    {
        var freed = Strings(c, tx, "SELECT doc FROM s3_parts WHERE upload_id = $u", ("$u", uploadId))
            .Select(d => JsonSerializer.Deserialize(d, S3Json.Default.PartRecord)!.Blob.BlobId).ToList();
        Run(c, tx, "DELETE FROM s3_parts WHERE upload_id = $u", ("$u", uploadId));
        Run(c, tx, "DELETE FROM s3_uploads WHERE upload_id = $u", ("$u", uploadId));
        return freed;
    }

    public Task<IReadOnlySet<string>> ReferencedBlobsAsync(CancellationToken cancellationToken)
    {
        using var c = _db.Open();
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (var v in ReadVersions(c, null, $"SELECT {VersionColumns} FROM s3_versions WHERE delete_marker = 0"))
        {
            set.UnionWith(v.Segments.Select(s => s.BlobId));
        }

        foreach (var doc in Strings(c, null, "SELECT doc FROM s3_parts"))
        {
            set.Add(JsonSerializer.Deserialize(doc, S3Json.Default.PartRecord)!.Blob.BlobId);
        }

        return Task.FromResult<IReadOnlySet<string>>(set);
    }

    private const string BucketQuery =
        "SELECT name, owner, region, created_at, versioning, tags, encryption, location FROM s3_buckets WHERE name = $n";
    private const string LatestVersionQuery =
        $"SELECT {VersionColumns} FROM s3_versions WHERE bucket = $b AND key = $k AND is_latest = 1";
    private const string VersionQuery =
        $"SELECT {VersionColumns} FROM s3_versions WHERE bucket = $b AND key = $k AND version_id = $v";

    private static BucketRecord? ReadBucket(SqliteConnection c, SqliteTransaction? tx, string name)
    {
        using var cmd = Command(c, tx, BucketQuery, ("$n", name));
        using var r = cmd.ExecuteReader();
        return r.Read() ? BucketFrom(r) : null;
    }

    private static BucketRecord BucketFrom(SqliteDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), Parse(r.GetString(3)))
        {
            Versioning = (VersioningState)r.GetInt32(4),
            Tags = r.IsDBNull(5) ? null : JsonSerializer.Deserialize(r.GetString(5), S3Json.Default.IReadOnlyListObjectTag),
            DefaultEncryption = BucketEncryption.FromColumn(r.IsDBNull(6) ? null : r.GetString(6)),
            LocationConstraint = r.IsDBNull(7) ? null : r.GetString(7),
        };

    private static UploadRecord? ReadUpload(SqliteConnection c, SqliteTransaction? tx, string uploadId) =>
        Scalar(c, tx, "SELECT doc FROM s3_uploads WHERE upload_id = $u", ("$u", uploadId)) is string doc
            ? JsonSerializer.Deserialize(doc, S3Json.Default.UploadRecord)
            : null;

    private static List<ObjectVersionRecord> ReadVersions(SqliteConnection c, SqliteTransaction? tx, string sql,
        params (string Name, object Value)[] args)
    {
        using var cmd = Command(c, tx, sql, args);
        using var r = cmd.ExecuteReader();
        var list = new List<ObjectVersionRecord>();
        while (r.Read())
        {
            list.Add(VersionFrom(r));
        }

        return list;
    }

    private static ObjectVersionRecord VersionFrom(SqliteDataReader r) =>
        JsonSerializer.Deserialize(r.GetString(2), S3Json.Default.ObjectVersionRecord)!
            with { Sequence = r.GetInt64(0), IsLatest = r.GetInt64(1) != 0 };

    private static string? TagsJson(IReadOnlyList<ObjectTag>? tags) =>
        tags is null ? null : JsonSerializer.Serialize(tags, S3Json.Default.IReadOnlyListObjectTag);

    private static SqliteCommand Command(SqliteConnection c, SqliteTransaction? tx, string sql,
        params (string Name, object Value)[] args)
    {
        var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        foreach (var (name, value) in args)
        {
            cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return cmd;
    }

    private static int Run(SqliteConnection c, SqliteTransaction? tx, string sql, params (string Name, object? Value)[] args)
    {
        using var cmd = Command(c, tx, sql, args!);
        return cmd.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection c, SqliteTransaction? tx, string sql, params (string Name, object Value)[] args)
    {
        using var cmd = Command(c, tx, sql, args);
        return cmd.ExecuteScalar();
    }

    private static List<string> Strings(SqliteConnection c, SqliteTransaction? tx, string sql,
        params (string Name, object Value)[] args)
    {
        using var cmd = Command(c, tx, sql, args);
        using var r = cmd.ExecuteReader();
        var list = new List<string>();
        while (r.Read())
        {
            list.Add(r.GetString(0));
        }

        return list;
    }

    private static string Format(DateTimeOffset value) => value.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    private static DateTimeOffset Parse(string value) =>
        DateTimeOffset.Parse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}

/// <summary>Source-generated JSON for the stored documents (no reflection at run time).</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ObjectVersionRecord))]
[JsonSerializable(typeof(UploadRecord))]
[JsonSerializable(typeof(PartRecord))]
[JsonSerializable(typeof(IReadOnlyList<ObjectTag>))]
internal sealed partial class S3Json : JsonSerializerContext;
