using Kiln.Services.S3.Storage;

namespace Kiln.Services.S3.Tests;

/// <summary>The same cases against every metadata store (STYLE.md §10).</summary>
public abstract class StoreContractTests : IDisposable
{
    private protected readonly TempDir Dir = new();
    private protected abstract IS3MetadataStore Store { get; }

    private protected static readonly DateTimeOffset s_now = new(2026, 11, 21, 0, 0, 0, TimeSpan.Zero);

    private protected static BucketRecord Bucket(string name = "b1", string owner = "111111111111") =>
        new(name, owner, "us-east-1", s_now);

    private static ObjectVersionRecord Version(string key, string versionId = "null", string blob = "", bool marker = false) => new()
    {
        Bucket = "b1",
        Key = key,
        VersionId = versionId,
        IsDeleteMarker = marker,
        Size = 3,
        ETag = "abc",
        LastModified = s_now,
        Segments = blob.Length > 0 ? [new BlobSegment(blob, 3) { WrappedKey = "d3JhcHBlZA==" }] : [],
        Metadata = new Dictionary<string, string> { ["color"] = "blue" },
        Tags = [new ObjectTag("k", "v")],
        Content = new ContentHeaders { ContentType = "text/plain" },
    };

    public void Dispose() => Dir.Dispose();

    [Fact]
    public async Task CreateBucket_Twice_ReturnsExistingOnSecond()
    {
        Assert.Null(await Store.CreateBucketAsync(Bucket(), default));
        var existing = await Store.CreateBucketAsync(Bucket(owner: "222222222222"), default);

        Assert.Equal("111111111111", existing!.OwnerAccountId);
    }

    [Fact]
    public async Task CreateBucket_WithAccess_WritesBothTogether_AndNothingBesideAnExistingBucket()
    {
        var access = new BucketAccessRecord("b1", s_now)
        {
            Ownership = ObjectOwnership.ObjectWriter,
            Acl = [new AclGrant("Group", null, "http://acs.amazonaws.com/groups/global/AuthenticatedUsers", "READ")],
        };

        Assert.Null(await Store.CreateBucketAsync(Bucket(), access, default));
        var existing = await Store.CreateBucketAsync(Bucket(owner: "222222222222"),
            access with { Ownership = ObjectOwnership.BucketOwnerPreferred, Acl = null }, default);

        Assert.Equal("111111111111", existing!.OwnerAccountId);
        var stored = Store.Access.Get("b1", s_now);
        Assert.Equal(ObjectOwnership.ObjectWriter, stored!.Ownership);
        Assert.Equal(access.Acl, stored.Acl!);
    }

    [Fact]
    public async Task CreateBucket_LegacyLocationConstraint_RoundTrips()
    {
        await Store.CreateBucketAsync(new BucketRecord("b1", "111111111111", "eu-west-1", s_now) { LocationConstraint = "EU" }, default);
        await Store.CreateBucketAsync(new BucketRecord("b2", "111111111111", "eu-west-1", s_now), default);

        Assert.Equal(("eu-west-1", "EU"), ((await Store.GetBucketAsync("b1", default))!.Region,
            (await Store.GetBucketAsync("b1", default))!.LocationConstraint));
        Assert.Null((await Store.GetBucketAsync("b2", default))!.LocationConstraint);
        Assert.Equal(new string?[] { "EU", null }, (await Store.ListBucketsAsync("111111111111", default)).Select(b => b.LocationConstraint));
    }

    [Fact]
    public async Task UpdateBucket_VersioningAndTags_RoundTrip()
    {
        await Store.CreateBucketAsync(Bucket(), default);
        await Store.UpdateBucketAsync(Bucket() with
        {
            Versioning = VersioningState.Enabled, Tags = [new("a", "1")],
            DefaultEncryption = new BucketEncryption("aws:kms") { KmsMasterKeyId = "alias/k", BucketKeyEnabled = true },
        }, default);

        var read = await Store.GetBucketAsync("b1", default);

        Assert.Equal(new BucketEncryption("aws:kms") { KmsMasterKeyId = "alias/k", BucketKeyEnabled = true }, read!.DefaultEncryption);
        Assert.Equal(VersioningState.Enabled, read.Versioning);
        Assert.Equal([new ObjectTag("a", "1")], read.Tags!);
        await Assert.ThrowsAsync<MissingBucketException>(() => Store.UpdateBucketAsync(Bucket("nope"), default));
    }

    [Fact]
    public async Task ListBuckets_OnlyOwners_InNameOrder()
    {
        await Store.CreateBucketAsync(Bucket("zz"), default);
        await Store.CreateBucketAsync(Bucket("aa"), default);
        await Store.CreateBucketAsync(Bucket("mm", "222222222222"), default);

        var names = (await Store.ListBucketsAsync("111111111111", default)).Select(b => b.Name);

        Assert.Equal(["aa", "zz"], names);
    }

    [Fact]
    public async Task PutVersion_NullReplacesNull_ReturnsFreedBlob()
    {
        await Store.CreateBucketAsync(Bucket(), default);
        Assert.Empty((await Store.PutVersionAsync(Version("k", blob: "1111"), default)).FreedBlobs);

        var freed = (await Store.PutVersionAsync(Version("k", blob: "2222"), default)).FreedBlobs;

        Assert.Equal(["1111"], freed);
        var latest = await Store.GetVersionAsync("b1", "k", null, default);
        Assert.Equal("2222", latest!.Segments[0].BlobId);
        Assert.Equal("d3JhcHBlZA==", latest.Segments[0].WrappedKey);
        Assert.True(latest.IsLatest);
        Assert.Equal("blue", latest.Metadata["color"]);
        Assert.Equal("text/plain", latest.Content.ContentType);
    }

    [Fact]
    public async Task PutVersion_MissingBucket_Throws()
    {
        await Assert.ThrowsAsync<MissingBucketException>(() => Store.PutVersionAsync(Version("k"), default));
    }

    [Fact]
    public async Task Versions_DeleteLatest_PromotesPrevious()
    {
        await Store.CreateBucketAsync(Bucket(), default);
        await Store.PutVersionAsync(Version("k", "v1", "1111"), default);
        await Store.PutVersionAsync(Version("k", "v2", "2222"), default);

        Assert.False((await Store.GetVersionAsync("b1", "k", "v1", default))!.IsLatest);
        var (removed, freed) = await Store.DeleteVersionAsync("b1", "k", "v2", default);

        Assert.Equal("v2", removed!.VersionId);
        Assert.Equal(["2222"], freed);
        Assert.Equal("v1", (await Store.GetVersionAsync("b1", "k", null, default))!.VersionId);
        Assert.True((await Store.GetVersionAsync("b1", "k", null, default))!.IsLatest);
    }

    [Fact]
    public async Task ListLatest_SkipsDeleteMarkers_OrdersByUtf8AndHonoursPrefixAndAfter()
    {
        await Store.CreateBucketAsync(Bucket(), default);
        foreach (var key in new[] { "a/b", "a/b/c", "a/\uFFFD", "a/\U0001F600", "b", "a/x" })
        {
            await Store.PutVersionAsync(Version(key), default);
        }

        await Store.PutVersionAsync(Version("a/x", "m1", marker: true), default);

        var all = (await Store.ListLatestAsync("b1", "a/", "", 100, default)).Select(v => v.Key).ToList();
        var after = (await Store.ListLatestAsync("b1", "a/", "a/b", 100, default)).Select(v => v.Key).ToList();

        // UTF-8 order puts U+FFFD (EF BF BD) before U+1F600 (F0 9F 98 80).
        Assert.Equal(["a/b", "a/b/c", "a/\uFFFD", "a/\U0001F600"], all);
        Assert.Equal(["a/b/c", "a/\uFFFD", "a/\U0001F600"], after);
    }

    [Fact]
    public async Task ListVersions_KeyThenNewestFirst_ResumesAfterSequence()
    {
        await Store.CreateBucketAsync(Bucket(), default);
        await Store.PutVersionAsync(Version("a", "v1"), default);
        await Store.PutVersionAsync(Version("a", "v2"), default);
        await Store.PutVersionAsync(Version("b", "v3"), default);

        var all = await Store.ListVersionsAsync("b1", "", "", null, 10, default);
        var rest = await Store.ListVersionsAsync("b1", "", "a", all[0].Sequence, 10, default);

        Assert.Equal(["v2", "v1", "v3"], all.Select(v => v.VersionId));
        Assert.Equal(["v1", "v3"], rest.Select(v => v.VersionId));
    }

    [Fact]
    public async Task SetTags_ReplacesTags_FalseWhenMissing()
    {
        await Store.CreateBucketAsync(Bucket(), default);
        await Store.PutVersionAsync(Version("k"), default);

        Assert.True(await Store.SetTagsAsync("b1", "k", "null", [new("x", "y")], default));
        Assert.False(await Store.SetTagsAsync("b1", "nope", "null", [], default));
        Assert.Equal([new ObjectTag("x", "y")], (await Store.GetVersionAsync("b1", "k", null, default))!.Tags);
    }

    [Fact]
    public async Task DeleteBucket_NotEmpty_ReturnsNull_EmptyDeletesAndFreesUploads()
    {
        await Store.CreateBucketAsync(Bucket(), default);
        await Store.PutVersionAsync(Version("k", blob: "1111"), default);
        Assert.Null(await Store.DeleteBucketAsync("b1", default));

        await Store.DeleteVersionAsync("b1", "k", "null", default);
        await Store.CreateUploadAsync(Upload("u1"), default);
        await Store.PutPartAsync(Part("u1", 1, "3333"), default);

        Assert.Equal(["3333"], await Store.DeleteBucketAsync("b1", default));
        Assert.Null(await Store.GetBucketAsync("b1", default));
    }

    private static UploadRecord Upload(string id, string key = "k") =>
        new() { UploadId = id, Bucket = "b1", Key = key, Initiated = s_now };

    private static PartRecord Part(string upload, int number, string blob) => new()
    {
        UploadId = upload, PartNumber = number, ETag = "e" + number, Size = 3, LastModified = s_now,
        Blob = new BlobSegment(blob, 3),
    };

    [Fact]
    public async Task Parts_ReplaceFreesOld_CompleteFreesUnused_AbortFreesAll()
    {
        await Store.CreateBucketAsync(Bucket(), default);
        await Store.CreateUploadAsync(Upload("u1"), default);
        await Store.PutPartAsync(Part("u1", 1, "1111"), default);
        Assert.Equal(["1111"], await Store.PutPartAsync(Part("u1", 1, "1112"), default));
        await Store.PutPartAsync(Part("u1", 2, "2222"), default);
        await Store.PutPartAsync(Part("u1", 3, "3333"), default);

        Assert.Equal([1, 2, 3], (await Store.ListPartsAsync("u1", 0, 10, default)).Select(p => p.PartNumber));
        Assert.Equal([3], (await Store.ListPartsAsync("u1", 2, 10, default)).Select(p => p.PartNumber));

        var (freed, sequence) = await Store.CompleteUploadAsync("u1",
            Version("k", blob: "1112") with { Segments = [new("1112", 3), new("3333", 3)] }, default);

        Assert.Equal(["2222"], freed);
        Assert.Null(await Store.GetUploadAsync("u1", default));
        var completed = (await Store.GetVersionAsync("b1", "k", null, default))!;
        Assert.Equal(2, completed.Segments.Count);
        Assert.Equal(sequence, completed.Sequence);
        await Assert.ThrowsAsync<MissingUploadException>(() => Store.PutPartAsync(Part("u1", 4, "4444"), default));

        await Store.CreateUploadAsync(Upload("u2"), default);
        await Store.PutPartAsync(Part("u2", 1, "5555"), default);
        Assert.Equal(["5555"], await Store.AbortUploadAsync("u2", default));
        await Assert.ThrowsAsync<MissingUploadException>(() => Store.AbortUploadAsync("u2", default));
    }

    [Fact]
    public async Task ListUploads_ByKeyThenId_AfterMarkers()
    {
        await Store.CreateBucketAsync(Bucket(), default);
        await Store.CreateUploadAsync(Upload("u2", "a"), default);
        await Store.CreateUploadAsync(Upload("u1", "a"), default);
        await Store.CreateUploadAsync(Upload("u3", "b"), default);

        var all = await Store.ListUploadsAsync("b1", "", "", "", 10, default);
        var after = await Store.ListUploadsAsync("b1", "", "a", "u1", 10, default);

        Assert.Equal(["u1", "u2", "u3"], all.Select(u => u.UploadId));
        Assert.Equal(["u2", "u3"], after.Select(u => u.UploadId));
    }

    [Fact]
    public async Task ReferencedBlobs_CoversVersionsAndParts()
    {
        await Store.CreateBucketAsync(Bucket(), default);
        await Store.PutVersionAsync(Version("k", blob: "1111"), default);
        await Store.CreateUploadAsync(Upload("u1"), default);
        await Store.PutPartAsync(Part("u1", 1, "2222"), default);

        var referenced = await Store.ReferencedBlobsAsync(default);

        Assert.True(referenced.SetEquals(["1111", "2222"]));
    }
}

public sealed class MemoryStoreContractTests : StoreContractTests
{
    private readonly MemoryS3MetadataStore _store = new();
    private protected override IS3MetadataStore Store => _store;
}

public sealed class SqliteStoreContractTests : StoreContractTests
{
    private readonly SqliteS3MetadataStore _store;

    public SqliteStoreContractTests()
    {
        _store = Harness.NewSqlite(Dir);
    }

    private protected override IS3MetadataStore Store => _store;

    [Fact]
    public async Task Reopen_SameFile_KeepsData()
    {
        await _store.CreateBucketAsync(new BucketRecord("b1", "111111111111", "us-east-1", DateTimeOffset.UnixEpoch), default);

        var reopened = Harness.NewSqlite(Dir);

        Assert.NotNull(await reopened.GetBucketAsync("b1", default));
    }

    [Fact]
    public async Task CreateBucket_WithAccess_IsOneCommit_BothRowsOnDisk_OrNeither()
    {
        var path = System.IO.Path.Combine(Dir.Path, "metadata.db");
        var access = new BucketAccessRecord("b1", s_now) { Ownership = ObjectOwnership.ObjectWriter };
        await _store.CreateBucketAsync(Bucket(), access, default);
        // The access row's write fails for "b2": the bucket row written before it in the transaction must go too.
        using (var c = new Kiln.Storage.Sqlite.SqliteDatabase(path).Open())
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "CREATE TRIGGER fail_b2 BEFORE INSERT ON s3_bucket_access WHEN NEW.bucket = 'b2' " +
                              "BEGIN SELECT RAISE(ABORT, 'injected failure'); END";
            cmd.ExecuteNonQuery();
        }

        await Assert.ThrowsAnyAsync<Microsoft.Data.Sqlite.SqliteException>(() =>
            _store.CreateBucketAsync(Bucket("b2"), new BucketAccessRecord("b2", s_now) { Ownership = ObjectOwnership.ObjectWriter },
                default));

        // Read back through a new store on the same file: nothing cached, only what was committed.
        var reopened = Harness.NewSqlite(Dir);
        Assert.NotNull(await reopened.GetBucketAsync("b1", default));
        Assert.Equal(ObjectOwnership.ObjectWriter, reopened.Access.Get("b1", s_now)!.Ownership);
        Assert.Null(await reopened.GetBucketAsync("b2", default));
        Assert.Null(reopened.Access.Get("b2", s_now));
        Assert.Null(_store.Access.Get("b2", s_now));
        // The failed name is free: created again (without the failing row), it is a new bucket.
        Assert.Null(await _store.CreateBucketAsync(Bucket("b2"), default));
    }

    [Fact]
    public void VersioningState_PersistedValues_AreStable()
    {
        Assert.Equal(0, (int)VersioningState.Unversioned);
        Assert.Equal(1, (int)VersioningState.Enabled);
        Assert.Equal(2, (int)VersioningState.Suspended);
    }
}
