using System.Collections.Concurrent;
using System.Globalization;
using Kiln.Storage.Sqlite;

namespace Kiln.Services.S3.Storage;

/// <summary>A bucket's access settings: its policy document and its block-public-access flags.
/// Keyed by the bucket's name and creation time, so settings of a deleted bucket never apply to a
/// new bucket of the same name (a stale row is simply ignored).</summary>
public sealed record BucketAccessRecord(string Bucket, DateTimeOffset BucketCreatedAt)
{
    /// <summary>The bucket policy as written (JSON), null when the bucket has none.</summary>
    public string? Policy { get; init; }
    /// <summary>Null: no PublicAccessBlock configuration (GetPublicAccessBlock answers
    /// NoSuchPublicAccessBlockConfiguration); a new bucket gets all four flags on, as S3 does since April 2023.</summary>
    public PublicAccessBlock? PublicAccessBlock { get; init; } = PublicAccessBlock.AllOn;
}

public sealed record PublicAccessBlock(bool BlockPublicAcls, bool IgnorePublicAcls, bool BlockPublicPolicy,
    bool RestrictPublicBuckets)
{
    public static readonly PublicAccessBlock AllOn = new(true, true, true, true);
}

/// <summary>Where bucket access settings live; a separate seam from <see cref="IS3MetadataStore"/>.</summary>
public interface IBucketAccessStore
{
    /// <summary>The settings for this incarnation of the bucket, or null when none were written.</summary>
    BucketAccessRecord? Get(string bucket, DateTimeOffset bucketCreatedAt);
    void Put(BucketAccessRecord record);
}

public sealed class MemoryBucketAccessStore : IBucketAccessStore
{
    private readonly ConcurrentDictionary<string, BucketAccessRecord> _records = new(StringComparer.Ordinal);

    public BucketAccessRecord? Get(string bucket, DateTimeOffset bucketCreatedAt) =>
        _records.TryGetValue(bucket, out var r) && r.BucketCreatedAt == bucketCreatedAt ? r : null;

    public void Put(BucketAccessRecord record) => _records[record.Bucket] = record;
}

/// <summary>Bucket access settings in the shared SQLite database, one row per bucket.</summary>
public sealed class SqliteBucketAccessStore : IBucketAccessStore
{
    // Append-only (SqliteDatabase.Migrate). v1: policy and block-public-access flags.
    private static readonly string[] s_schema =
    [
        """
        CREATE TABLE s3_bucket_access (
            bucket     TEXT PRIMARY KEY,
            created_at TEXT NOT NULL,
            policy     TEXT,
            pab        INTEGER);
        """,
    ];

    private readonly SqliteDatabase _db;

    public SqliteBucketAccessStore(SqliteDatabase db)
    {
        _db = db;
        db.Migrate("s3-access", s_schema);
    }

    public BucketAccessRecord? Get(string bucket, DateTimeOffset bucketCreatedAt)
    {
        using var c = _db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT created_at, policy, pab FROM s3_bucket_access WHERE bucket = $b";
        cmd.Parameters.AddWithValue("$b", bucket);
        using var r = cmd.ExecuteReader();
        if (!r.Read() || r.GetString(0) != Format(bucketCreatedAt))
        {
            return null;
        }

        return new BucketAccessRecord(bucket, bucketCreatedAt)
        {
            Policy = r.IsDBNull(1) ? null : r.GetString(1),
            PublicAccessBlock = r.IsDBNull(2) ? null : FromBits(r.GetInt64(2)),
        };
    }

    public void Put(BucketAccessRecord record)
    {
        using var c = _db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "INSERT INTO s3_bucket_access (bucket, created_at, policy, pab) VALUES ($b, $c, $p, $f) " +
                          "ON CONFLICT(bucket) DO UPDATE SET created_at = excluded.created_at, policy = excluded.policy, pab = excluded.pab";
        cmd.Parameters.AddWithValue("$b", record.Bucket);
        cmd.Parameters.AddWithValue("$c", Format(record.BucketCreatedAt));
        cmd.Parameters.AddWithValue("$p", (object?)record.Policy ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$f", record.PublicAccessBlock is { } p ? ToBits(p) : DBNull.Value);
        cmd.ExecuteNonQuery();
    }

    // Persisted bit layout: never renumber.
    private static long ToBits(PublicAccessBlock p) =>
        (p.BlockPublicAcls ? 1 : 0) | (p.IgnorePublicAcls ? 2 : 0) | (p.BlockPublicPolicy ? 4 : 0) | (p.RestrictPublicBuckets ? 8 : 0);

    private static PublicAccessBlock FromBits(long b) => new((b & 1) != 0, (b & 2) != 0, (b & 4) != 0, (b & 8) != 0);

    private static string Format(DateTimeOffset value) => value.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
}
