using System.Text;
using Kiln.Core;
using Kiln.Storage.Accounts;
using Kiln.Storage.Crypto;
using Kiln.Storage.Sqlite;

namespace Kiln.Storage.Tests;

/// <summary>The same cases against every account store (STYLE.md §10: same cases, every backend).</summary>
public abstract class AccountStoreContract : IDisposable
{
    protected TempDir Dir { get; } = new();

    protected abstract IAccountStore NewStore();

    [Fact]
    public async Task CreateAccount_Generated_RootKeyFindsWithSecret()
    {
        var store = NewStore();

        var created = await store.CreateAccountAsync("alpha", null, null, default);
        var found = await store.FindAccessKeyAsync(created.RootKey.Key.AccessKeyId, default);

        Assert.Matches("^[1-9][0-9]{11}$", created.Account.AccountId);
        Assert.Matches("^AKIA[A-Z2-7]{16}$", created.RootKey.Key.AccessKeyId);
        Assert.Equal(40, created.RootKey.SecretAccessKey.Length);
        Assert.NotNull(found);
        Assert.Equal(created.RootKey.SecretAccessKey, found.SecretAccessKey);
        Assert.Equal($"arn:aws:iam::{created.Account.AccountId}:root", found.Key.PrincipalArn);
        Assert.Equal(PrincipalKind.Root, found.Key.Kind);
        Assert.True(found.Key.Active);
    }

    [Fact]
    public async Task CreateAccount_GivenKeys_AreKept()
    {
        var store = NewStore();

        await store.CreateAccountAsync("beta", "AKIABETA000000000001", "beta-secret-0000000000000000", default);

        Assert.Equal("beta-secret-0000000000000000",
            (await store.FindAccessKeyAsync("AKIABETA000000000001", default))!.SecretAccessKey);
    }

    [Theory]
    [InlineData("", null, null)]
    [InlineData("has space", null, null)]
    [InlineData("ok", "short", "secret-secret-secret")]
    [InlineData("ok", "akialowercase0000000", "secret-secret-secret")]
    [InlineData("ok", "AKIAGOODKEY000000001", "short")]
    [InlineData("ok", "AKIAGOODKEY000000001", "has a space in it ok")]
    public async Task CreateAccount_BadInput_IsRejectedAndChangesNothing(string name, string? key, string? secret)
    {
        var store = NewStore();

        await Assert.ThrowsAsync<AccountException>(() => store.CreateAccountAsync(name, key, secret, default));

        Assert.Empty(await store.ListAccountsAsync(default));
    }

    [Fact]
    public async Task CreateAccount_DuplicateNameOrKey_IsRejected()
    {
        var store = NewStore();
        await store.CreateAccountAsync("gamma", "AKIAGAMMA00000000001", "gamma-secret-000000000000", default);

        var sameName = await Assert.ThrowsAsync<AccountException>(() => store.CreateAccountAsync("gamma", null, null, default));
        var sameKey = await Assert.ThrowsAsync<AccountException>(() =>
            store.CreateAccountAsync("delta", "AKIAGAMMA00000000001", "other-secret-0000000000", default));

        Assert.Contains("already exists", sameName.Message);
        Assert.Contains("already in use", sameKey.Message);
        Assert.Single(await store.ListAccountsAsync(default));
    }

    [Fact]
    public async Task FindAccessKey_Unknown_ReturnsNull()
    {
        Assert.Null(await NewStore().FindAccessKeyAsync("AKIANOSUCHKEY0000000", default));
    }

    public void Dispose() => Dir.Dispose();
}

public sealed class MemoryAccountStoreTests : AccountStoreContract
{
    protected override IAccountStore NewStore() => new MemoryAccountStore(SystemClock.Instance);
}

public sealed class SqliteAccountStoreTests : AccountStoreContract
{
    private readonly MasterKey _key;

    public SqliteAccountStoreTests()
    {
        _key = MasterKey.LoadOrCreate(Dir.Data);
    }

    protected override IAccountStore NewStore() =>
        new SqliteAccountStore(new SqliteDatabase(Dir.Data.MetadataDatabase), _key, SystemClock.Instance);

    [Fact]
    public async Task Secret_IsNotStoredInPlaintext_AndSurvivesReopen()
    {
        var created = await NewStore().CreateAccountAsync("epsilon", null, null, default);

        var reopened = new SqliteAccountStore(new SqliteDatabase(Dir.Data.MetadataDatabase),
            MasterKey.LoadOrCreate(Dir.Data), SystemClock.Instance);
        var found = await reopened.FindAccessKeyAsync(created.RootKey.Key.AccessKeyId, default);

        Assert.Equal(created.RootKey.SecretAccessKey, found!.SecretAccessKey);
        foreach (var file in Directory.GetFiles(Dir.Path))
        {
            Assert.DoesNotContain(created.RootKey.SecretAccessKey, Encoding.ASCII.GetString(File.ReadAllBytes(file)));
        }
    }

    [Fact]
    public async Task Secret_UnderAnotherMasterKey_DoesNotOpen()
    {
        var created = await NewStore().CreateAccountAsync("zeta", null, null, default);
        var foreignKey = new SqliteAccountStore(new SqliteDatabase(Dir.Data.MetadataDatabase), MasterKey.Ephemeral(),
            SystemClock.Instance);

        await Assert.ThrowsAnyAsync<System.Security.Cryptography.CryptographicException>(() =>
            foreignKey.FindAccessKeyAsync(created.RootKey.Key.AccessKeyId, default));
    }
}

/// <summary>Keys of IAM users and STS sessions, against every account store.</summary>
public abstract class AccessKeyStoreContract : AccountStoreContract
{
    [Fact]
    public async Task AddAccessKey_Session_KeepsTokenExpiryAndSession_AndListUpdateDeleteWork()
    {
        var store = NewStore();
        var account = (await store.CreateAccountAsync("keys", null, null, default)).Account.AccountId;
        var now = DateTimeOffset.UtcNow;
        var user = new AccessKeyWithSecret(new AccessKey("AKIAUSERKEY000000001", account, $"arn:aws:iam::{account}:user/u", "AIDAX",
            PrincipalKind.IamUser, true, now), "user-secret-0000000000");
        var session = new AccessKeyWithSecret(new AccessKey("ASIASESSION000000001", account, $"arn:aws:sts::{account}:assumed-role/r/s",
            "AROAX:s", PrincipalKind.AssumedRole, true, now) { Expiration = now.AddSeconds(900), Session = "{\"RoleName\":\"r\"}" },
            "session-secret-000000") { SessionToken = "token-123" };

        await store.AddAccessKeyAsync(user, default);
        await store.AddAccessKeyAsync(session, default);
        var found = await store.FindAccessKeyAsync("ASIASESSION000000001", default);
        await store.SetAccessKeyActiveAsync("AKIAUSERKEY000000001", false, default);
        var listed = await store.ListAccessKeysAsync(account, $"arn:aws:iam::{account}:user/u", default);
        var expired = await store.DeleteExpiredAccessKeysAsync(now.AddSeconds(901), default);

        Assert.Equal("token-123", found!.SessionToken);
        Assert.Equal("{\"RoleName\":\"r\"}", found.Key.Session);
        Assert.Equal(now.AddSeconds(900).ToUnixTimeMilliseconds(), found.Key.Expiration!.Value.ToUnixTimeMilliseconds());
        Assert.False(Assert.Single(listed).Active);
        Assert.Equal(1, expired);
        Assert.Null(await store.FindAccessKeyAsync("ASIASESSION000000001", default));
        Assert.True(await store.DeleteAccessKeyAsync("AKIAUSERKEY000000001", default));
        Assert.False(await store.DeleteAccessKeyAsync("AKIAUSERKEY000000001", default));
    }
}

public sealed class MemoryAccessKeyStoreTests : AccessKeyStoreContract
{
    protected override IAccountStore NewStore() => new MemoryAccountStore(SystemClock.Instance);
}

public sealed class SqliteAccessKeyStoreTests : AccessKeyStoreContract
{
    protected override IAccountStore NewStore() =>
        new SqliteAccountStore(new SqliteDatabase(System.IO.Path.Combine(Dir.Path, "meta.db")), MasterKey.Ephemeral(), SystemClock.Instance);
}
