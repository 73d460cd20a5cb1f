using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Kiln.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Kiln.Services.S3.Storage;

/// <summary>A bucket's access settings: its policy document, block-public-access flags, CORS rules,
/// object ownership and ACL.
/// Keyed by the bucket's name and creation time, so settings of a deleted bucket never apply to a
/// new bucket of the same name (a stale row is simply ignored).</summary>
public sealed record BucketAccessRecord(string Bucket, DateTimeOffset BucketCreatedAt)
{
    /// <summary>The bucket policy as written (JSON), null when the bucket has none.</summary>
    public string? Policy { get; init; }
    /// <summary>Null: no PublicAccessBlock configuration (GetPublicAccessBlock answers
    /// NoSuchPublicAccessBlockConfiguration); a new bucket gets all four flags on, as S3 does since April 2023.</summary>
    public PublicAccessBlock? PublicAccessBlock { get; init; } = PublicAccessBlock.AllOn;
    /// <summary>The CORS rules (PutBucketCors), null when the bucket has none.</summary>
    public IReadOnlyList<CorsRule>? Cors { get; init; }
    /// <summary>The ObjectOwnership setting; null when the bucket has no ownership controls (ACLs
    /// then work as ObjectWriter). A new bucket gets BucketOwnerEnforced, as S3 does since April 2023.</summary>
    public string? Ownership { get; init; } = ObjectOwnership.BucketOwnerEnforced;
    /// <summary>The bucket's ACL grants beyond the owner's implicit FULL_CONTROL default; null: the
    /// default ACL (owner FULL_CONTROL only).</summary>
    public IReadOnlyList<AclGrant>? Acl { get; init; }
}

/// <summary>One CORS rule as PutBucketCors stored it.</summary>
public sealed record CorsRule(string? Id, IReadOnlyList<string> AllowedMethods, IReadOnlyList<string> AllowedOrigins,
    IReadOnlyList<string> AllowedHeaders, IReadOnlyList<string> ExposeHeaders, int? MaxAgeSeconds);

/// <summary>One ACL grant. <paramref name="GranteeType"/> is CanonicalUser (with <paramref name="Id"/>,
/// an account's canonical id) or Group (with <paramref name="Uri"/>).</summary>
public sealed record AclGrant(string GranteeType, string? Id, string? Uri, string Permission);

/// <summary>S3's ObjectOwnership values.</summary>
public static class ObjectOwnership
{
    public const string BucketOwnerEnforced = "BucketOwnerEnforced";
    public const string BucketOwnerPreferred = "BucketOwnerPreferred";
    public const string ObjectWriter = "ObjectWriter";
}

public sealed record PublicAccessBlock(bool BlockPublicAcls, bool IgnorePublicAcls, bool BlockPublicPolicy,
    bool RestrictPublicBuckets)
{
    public static readonly PublicAccessBlock AllOn = new(true, true, true, true);
}

/// <summary>Where access settings live (per bucket, per account, per object version for ACLs); a
/// separate seam from <see cref="IS3MetadataStore"/>.</summary>
public interface IBucketAccessStore
{
    /// <summary>The settings for this incarnation of the bucket, or null when none were written.</summary>
    BucketAccessRecord? Get(string bucket, DateTimeOffset bucketCreatedAt);
    void Put(BucketAccessRecord record);

    /// <summary>The account-level block public access (S3 Control), null when none is set.</summary>
    PublicAccessBlock? GetAccountBlock(string account);
    /// <param name="block">Null removes the account's configuration.</param>
    void PutAccountBlock(string account, PublicAccessBlock? block);

    /// <summary>An object version's ACL grants (beyond the owner's implicit FULL_CONTROL); null when
    /// none were written for this exact version write (<paramref name="sequence"/>), so a stale
    /// row of an overwritten or deleted object never applies.</summary>
    IReadOnlyList<AclGrant>? GetObjectAcl(string bucket, DateTimeOffset bucketCreatedAt, string key, string versionId,
        long sequence);
    void PutObjectAcl(string bucket, DateTimeOffset bucketCreatedAt, string key, string versionId, long sequence,
        IReadOnlyList<AclGrant>? grants);
}

public sealed class MemoryBucketAccessStore : IBucketAccessStore
{
    private readonly ConcurrentDictionary<string, BucketAccessRecord> _records = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, PublicAccessBlock> _accounts = new(StringComparer.Ordinal);
    // (bucket, key, version id) -> the bucket incarnation and version write the grants belong to.
    private readonly ConcurrentDictionary<(string, string, string), (DateTimeOffset, long, IReadOnlyList<AclGrant>?)> _objectAcls = new();

    public BucketAccessRecord? Get(string bucket, DateTimeOffset bucketCreatedAt) =>
        _records.TryGetValue(bucket, out var r) && r.BucketCreatedAt == bucketCreatedAt ? r : null;

    public void Put(BucketAccessRecord record) => _records[record.Bucket] = record;

    public PublicAccessBlock? GetAccountBlock(string account) => _accounts.GetValueOrDefault(account);

    public void PutAccountBlock(string account, PublicAccessBlock? block)
    {
        if (block is null)
        {
            _accounts.TryRemove(account, out _);
        }
        else
        {
            _accounts[account] = block;
        }
    }

    public IReadOnlyList<AclGrant>? GetObjectAcl(string bucket, DateTimeOffset bucketCreatedAt, string key,
        string versionId, long sequence) =>
        _objectAcls.TryGetValue((bucket, key, versionId), out var e) && e.Item1 == bucketCreatedAt && e.Item2 == sequence
            ? e.Item3
            : null;

    public void PutObjectAcl(string bucket, DateTimeOffset bucketCreatedAt, string key, string versionId, long sequence,
        IReadOnlyList<AclGrant>? grants) =>
        _objectAcls[(bucket, key, versionId)] = (bucketCreatedAt, sequence, grants);
}

/// <summary>Bucket access settings in the shared SQLite database, one row per bucket. Bucket and
/// account rows are read on every request (policy evaluation, block public access), so they are cached
/// in memory: this process is the database's only writer, and every write goes through here.</summary>
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
        // v2: CORS, object ownership and ACLs; account-level block public access (S3 Control).
        """
        ALTER TABLE s3_bucket_access ADD COLUMN cors TEXT;
        ALTER TABLE s3_bucket_access ADD COLUMN ownership TEXT;
        ALTER TABLE s3_bucket_access ADD COLUMN acl TEXT;
        CREATE TABLE s3_account_access (
            account TEXT PRIMARY KEY,
            pab     INTEGER NOT NULL);
        CREATE TABLE s3_object_acl (
            bucket     TEXT NOT NULL,
            created_at TEXT NOT NULL,
            key        TEXT NOT NULL,
            version_id TEXT NOT NULL,
            sequence   INTEGER NOT NULL,
            acl        TEXT,
            PRIMARY KEY (bucket, key, version_id));
        """,
    ];

    private readonly SqliteDatabase _db;
    // A miss reads the row and fills the cache under _fill, as every write does, so a read that
    // raced a write can never leave the older row in the cache. A null value caches "no row".
    private readonly Lock _fill = new();
    private readonly ConcurrentDictionary<string, BucketAccessRecord?> _buckets = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, PublicAccessBlock?> _accounts = new(StringComparer.Ordinal);

    public SqliteBucketAccessStore(SqliteDatabase db)
    {
        _db = db;
        db.Migrate("s3-access", s_schema);
    }

    public BucketAccessRecord? Get(string bucket, DateTimeOffset bucketCreatedAt)
    {
        if (!_buckets.TryGetValue(bucket, out var record))
        {
            lock (_fill)
            {
                if (!_buckets.TryGetValue(bucket, out record))
                {
                    record = Read(bucket);
                    _buckets[bucket] = record;
                }
            }
        }

        return record is not null && record.BucketCreatedAt == bucketCreatedAt ? record : null;
    }

    private BucketAccessRecord? Read(string bucket)
    {
        using var c = _db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT created_at, policy, pab, cors, ownership, acl FROM s3_bucket_access WHERE bucket = $b";
        cmd.Parameters.AddWithValue("$b", bucket);
        using var r = cmd.ExecuteReader();
        if (!r.Read())
        {
            return null;
        }

        return new BucketAccessRecord(bucket, DateTimeOffset.Parse(r.GetString(0), CultureInfo.InvariantCulture))
        {
            Policy = r.IsDBNull(1) ? null : r.GetString(1),
            PublicAccessBlock = r.IsDBNull(2) ? null : FromBits(r.GetInt64(2)),
            Cors = r.IsDBNull(3) ? null : JsonSerializer.Deserialize(r.GetString(3), AccessJson.Default.ListCorsRule),
            // A row written before ownership controls existed has none (ObjectWriter), as an old S3 bucket.
            Ownership = r.IsDBNull(4) ? null : r.GetString(4),
            Acl = r.IsDBNull(5) ? null : JsonSerializer.Deserialize(r.GetString(5), AccessJson.Default.ListAclGrant),
        };
    }

    public void Put(BucketAccessRecord record)
    {
        lock (_fill)
        {
            using var c = _db.Open();
            Write(c, null, record);
            _buckets[record.Bucket] = record;
        }
    }

    /// <summary>A new bucket and its initial settings (x-amz-object-ownership, ACL) in one commit:
    /// <paramref name="createBucket"/> writes the bucket's row in the transaction it is given and returns
    /// the existing bucket of that name instead when there is one, and then nothing is written. The
    /// settings' row goes in the same transaction, so a crash leaves both or neither; the cache lock is
    /// held until the cache has the row, as <see cref="Put"/> does.</summary>
    internal BucketRecord? CreateBucket(SqliteConnection c, BucketAccessRecord record,
        Func<SqliteTransaction, BucketRecord?> createBucket)
    {
        lock (_fill)
        {
            using var tx = c.BeginTransaction(deferred: false);
            if (createBucket(tx) is { } existing)
            {
                return existing;
            }

            Write(c, tx, record);
            tx.Commit();
            _buckets[record.Bucket] = record;
            return null;
        }
    }

    private static void Write(SqliteConnection c, SqliteTransaction? tx, BucketAccessRecord record)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText =
            "INSERT INTO s3_bucket_access (bucket, created_at, policy, pab, cors, ownership, acl) VALUES ($b, $c, $p, $f, $cors, $o, $acl) " +
            "ON CONFLICT(bucket) DO UPDATE SET created_at = excluded.created_at, policy = excluded.policy, pab = excluded.pab, " +
            "cors = excluded.cors, ownership = excluded.ownership, acl = excluded.acl";
        cmd.Parameters.AddWithValue("$b", record.Bucket);
        cmd.Parameters.AddWithValue("$c", Format(record.BucketCreatedAt));
        cmd.Parameters.AddWithValue("$p", (object?)record.Policy ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$f", record.PublicAccessBlock is { } p ? ToBits(p) : DBNull.Value);
        cmd.Parameters.AddWithValue("$cors", record.Cors is { } cors
            ? JsonSerializer.Serialize(cors.ToList(), AccessJson.Default.ListCorsRule)
            : DBNull.Value);
        cmd.Parameters.AddWithValue("$o", (object?)record.Ownership ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$acl", Json(record.Acl));
        cmd.ExecuteNonQuery();
    }

    public PublicAccessBlock? GetAccountBlock(string account)
    {
        if (_accounts.TryGetValue(account, out var block))
        {
            return block;
        }

        lock (_fill)
        {
            return _accounts.GetOrAdd(account, ReadAccountBlock);
        }
    }

    private PublicAccessBlock? ReadAccountBlock(string account)
    {
        using var c = _db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT pab FROM s3_account_access WHERE account = $a";
        cmd.Parameters.AddWithValue("$a", account);
        return cmd.ExecuteScalar() is long bits ? FromBits(bits) : null;
    }

    public void PutAccountBlock(string account, PublicAccessBlock? block)
    {
        lock (_fill)
        {
            WriteAccountBlock(account, block);
            _accounts[account] = block;
        }
    }

    private void WriteAccountBlock(string account, PublicAccessBlock? block)
    {
        using var c = _db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = block is null
            ? "DELETE FROM s3_account_access WHERE account = $a"
            : "INSERT INTO s3_account_access (account, pab) VALUES ($a, $f) ON CONFLICT(account) DO UPDATE SET pab = excluded.pab";
        cmd.Parameters.AddWithValue("$a", account);
        if (block is not null)
        {
            cmd.Parameters.AddWithValue("$f", ToBits(block));
        }

        cmd.ExecuteNonQuery();
    }

    public IReadOnlyList<AclGrant>? GetObjectAcl(string bucket, DateTimeOffset bucketCreatedAt, string key,
        string versionId, long sequence)
    {
        using var c = _db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT created_at, sequence, acl FROM s3_object_acl WHERE bucket = $b AND key = $k AND version_id = $v";
        cmd.Parameters.AddWithValue("$b", bucket);
        cmd.Parameters.AddWithValue("$k", key);
        cmd.Parameters.AddWithValue("$v", versionId);
        using var r = cmd.ExecuteReader();
        if (!r.Read() || r.GetString(0) != Format(bucketCreatedAt) || r.GetInt64(1) != sequence || r.IsDBNull(2))
        {
            return null;
        }

        return JsonSerializer.Deserialize(r.GetString(2), AccessJson.Default.ListAclGrant);
    }

    public void PutObjectAcl(string bucket, DateTimeOffset bucketCreatedAt, string key, string versionId, long sequence,
        IReadOnlyList<AclGrant>? grants)
    {
        using var c = _db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "INSERT INTO s3_object_acl (bucket, created_at, key, version_id, sequence, acl) VALUES ($b, $c, $k, $v, $s, $acl) " +
                          "ON CONFLICT(bucket, key, version_id) DO UPDATE SET created_at = excluded.created_at, " +
                          "sequence = excluded.sequence, acl = excluded.acl";
        cmd.Parameters.AddWithValue("$b", bucket);
        cmd.Parameters.AddWithValue("$c", Format(bucketCreatedAt));
        cmd.Parameters.AddWithValue("$k", key);
        cmd.Parameters.AddWithValue("$v", versionId);
        cmd.Parameters.AddWithValue("$s", sequence);
        cmd.Parameters.AddWithValue("$acl", Json(grants));
        cmd.ExecuteNonQuery();
    }

    private static object Json(IReadOnlyList<AclGrant>? grants) =>
        grants is null ? DBNull.Value : JsonSerializer.Serialize(grants.ToList(), AccessJson.Default.ListAclGrant);

    // Persisted bit layout: never renumber.
    private static long ToBits(PublicAccessBlock p) =>
        (p.BlockPublicAcls ? 1 : 0) | (p.IgnorePublicAcls ? 2 : 0) | (p.BlockPublicPolicy ? 4 : 0) | (p.RestrictPublicBuckets ? 8 : 0);

    private static PublicAccessBlock FromBits(long b) => new((b & 1) != 0, (b & 2) != 0, (b & 4) != 0, (b & 8) != 0);

    private static string Format(DateTimeOffset value) => value.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
}

[JsonSerializable(typeof(List<CorsRule>))]
[JsonSerializable(typeof(List<AclGrant>))]
internal sealed partial class AccessJson : JsonSerializerContext;
