using Kiln.Core.Errors;
using Kiln.Services.S3.Domain;
using Kiln.Services.S3.Storage;
using Kiln.Storage.Sqlite;

namespace Kiln.Services.S3.Tests;

/// <summary>Account-level block public access (S3 Control) combined with the bucket's settings,
/// and the durable store of the access settings issue 3 added.</summary>
public sealed class PublicAccessAccountTests : IDisposable
{
    private const string Arn = "arn:aws:iam::111111111111:root";
    private readonly Harness _h = new();

    public void Dispose() => _h.Dispose();

    private async Task<string> OpenBucketAsync()
    {
        var name = "pab-" + Guid.NewGuid().ToString("N")[..8];
        await _h.Objects.CreateBucketAsync(Harness.Account, "us-east-1", name, null, default);
        await _h.Objects.DeletePublicAccessBlockAsync(Harness.Account, name, default);
        return name;
    }

    private static string PublicPolicy(string bucket) =>
        $$"""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::{{bucket}}/*"},{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::333333333333:root"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::{{bucket}}"}]}""";

    [Fact]
    public void GetAccountPublicAccessBlock_None_ReturnsNoSuchPublicAccessBlockConfiguration()
    {
        var error = Assert.Throws<AwsException>(() => _h.Objects.GetAccountPublicAccessBlock(Harness.Account));

        Assert.Equal("NoSuchPublicAccessBlockConfiguration", error.Code);
        Assert.Equal(404, error.StatusCode);
    }

    [Fact]
    public void AccountPublicAccessBlock_PutGetDelete_RoundTrips()
    {
        var block = new PublicAccessBlock(true, false, true, false);

        _h.Objects.PutAccountPublicAccessBlock(Harness.Account, block);
        var stored = _h.Objects.GetAccountPublicAccessBlock(Harness.Account);
        _h.Objects.DeleteAccountPublicAccessBlock(Harness.Account);

        Assert.Equal(block, stored);
        Assert.Throws<AwsException>(() => _h.Objects.GetAccountPublicAccessBlock(Harness.Account));
    }

    [Fact]
    public async Task PutBucketPolicy_PublicWhileAccountBlocks_ReturnsAccessDenied()
    {
        var bucket = await OpenBucketAsync();
        _h.Objects.PutAccountPublicAccessBlock(Harness.Account, new PublicAccessBlock(false, false, true, false));

        var error = await Assert.ThrowsAsync<AwsException>(() =>
            _h.Objects.PutBucketPolicyAsync(Harness.Account, Arn, bucket, PublicPolicy(bucket), default));
        _h.Objects.DeleteAccountPublicAccessBlock(Harness.Account);
        await _h.Objects.PutBucketPolicyAsync(Harness.Account, Arn, bucket, PublicPolicy(bucket), default);

        Assert.Equal("AccessDenied", error.Code);
        Assert.EndsWith("because public policies are blocked by the BlockPublicPolicy block public access setting.",
            error.Message);
    }

    [Fact]
    public async Task CannedAcl_PublicWhileAccountBlocksAcls_ReturnsAccessDenied()
    {
        var bucket = await OpenBucketAsync();
        await _h.Objects.PutBucketOwnershipControlsAsync(Harness.Account, bucket, ObjectOwnership.ObjectWriter, default);
        var publicRead = new AclInput("public-read", null);
        Assert.NotNull(await _h.Objects.ResolveNewObjectAclAsync(Harness.Account, bucket, publicRead, default));
        _h.Objects.PutAccountPublicAccessBlock(Harness.Account, new PublicAccessBlock(true, false, false, false));

        var error = await Assert.ThrowsAsync<AwsException>(() =>
            _h.Objects.ResolveNewObjectAclAsync(Harness.Account, bucket, publicRead, default));

        Assert.Equal("AccessDenied", error.Code);
    }

    [Fact]
    public async Task RestrictPublicBuckets_AccountLevel_DropsPublicStatementsForOtherAccounts()
    {
        var bucket = await OpenBucketAsync();
        await _h.Objects.PutBucketPolicyAsync(Harness.Account, Arn, bucket, PublicPolicy(bucket), default);
        var before = await _h.Objects.FindBucketPolicyAsync(bucket, default, Harness.Other);

        _h.Objects.PutAccountPublicAccessBlock(Harness.Account, new PublicAccessBlock(false, false, false, true));
        var restricted = await _h.Objects.FindBucketPolicyAsync(bucket, default, Harness.Other);
        var owner = await _h.Objects.FindBucketPolicyAsync(bucket, default, Harness.Account);

        Assert.Equal(2, before!.Value.Policy!.Statements.Count);
        Assert.Single(restricted!.Value.Policy!.Statements);
        Assert.Equal(2, owner!.Value.Policy!.Statements.Count);
    }

    [Fact]
    public void SqliteStore_AccessSettings_SurviveReopen()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "metadata.db");
        var created = DateTimeOffset.UnixEpoch.AddDays(1);
        var cors = new CorsRule("r1", ["GET"], ["*"], ["x-amz-*"], ["ETag"], 60);
        var grant = new AclGrant("CanonicalUser", "222222222222", null, "READ");
        var first = new SqliteBucketAccessStore(new SqliteDatabase(path));
        first.Put(new BucketAccessRecord("b", created)
        {
            Cors = [cors], Ownership = ObjectOwnership.ObjectWriter, Acl = [grant],
        });
        first.PutAccountBlock("111111111111", new PublicAccessBlock(true, false, true, false));
        first.PutObjectAcl("b", created, "k", "null", 7, [grant]);

        var second = new SqliteBucketAccessStore(new SqliteDatabase(path));
        var record = second.Get("b", created)!;

        Assert.Equivalent(cors, Assert.Single(record.Cors!), strict: true);
        Assert.Equal(ObjectOwnership.ObjectWriter, record.Ownership);
        Assert.Equal(grant, Assert.Single(record.Acl!));
        Assert.Equal(new PublicAccessBlock(true, false, true, false), second.GetAccountBlock("111111111111"));
        Assert.Null(second.GetAccountBlock("999999999999"));
        Assert.Equal(grant, Assert.Single(second.GetObjectAcl("b", created, "k", "null", 7)!));
        Assert.Null(second.GetObjectAcl("b", created, "k", "null", 8));
        second.PutAccountBlock("111111111111", null);
        Assert.Null(second.GetAccountBlock("111111111111"));
    }

    [Fact]
    public void SqliteStore_CachedReads_FollowWrites()
    {
        using var dir = new TempDir();
        var store = new SqliteBucketAccessStore(new SqliteDatabase(Path.Combine(dir.Path, "metadata.db")));
        var created = DateTimeOffset.UnixEpoch.AddDays(1);

        // Misses are remembered as misses, and a write replaces them.
        Assert.Null(store.Get("b", created));
        Assert.Null(store.GetAccountBlock("111111111111"));
        store.Put(new BucketAccessRecord("b", created) { Policy = "{}" });
        store.PutAccountBlock("111111111111", PublicAccessBlock.AllOn);
        Assert.Equal("{}", store.Get("b", created)!.Policy);
        Assert.Equal(PublicAccessBlock.AllOn, store.GetAccountBlock("111111111111"));

        // A bucket of the same name created later does not inherit the settings.
        Assert.Null(store.Get("b", created.AddSeconds(1)));
        store.Put(new BucketAccessRecord("b", created.AddSeconds(1)));
        Assert.Null(store.Get("b", created));
        Assert.Null(store.Get("b", created.AddSeconds(1))!.Policy);
    }
}
