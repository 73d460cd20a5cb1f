using Kiln.Services.Iam.Domain;
using Kiln.Services.Iam.Storage;
using Kiln.Storage.Sqlite;

namespace Kiln.Services.Iam.Tests;

/// <summary>The same cases against every IAM store (STYLE.md §10).</summary>
public abstract class IamStoreContract
{
    protected abstract IIamStore NewStore();

    [Fact]
    public async Task Write_ThenGet_ReturnsACopy()
    {
        var store = NewStore();
        var user = new IamUser { Name = "alice", Path = "/eng/", Id = "AIDA1", Arn = "arn" };
        user.InlinePolicies["p"] = "{}";

        await store.WriteAsync("111111111111", [new EntityWrite(EntityKind.User, "alice", user)], default);
        var found = await store.GetAsync<IamUser>("111111111111", EntityKind.User, "alice", default);
        found!.Path = "/changed/";

        Assert.Equal("/eng/", (await store.GetAsync<IamUser>("111111111111", EntityKind.User, "alice", default))!.Path);
        Assert.Equal("{}", found.InlinePolicies["p"]);
    }

    [Fact]
    public async Task List_IsScopedByAccountAndKind_AndOrderedByName()
    {
        var store = NewStore();
        await store.WriteAsync("111111111111", [
            new EntityWrite(EntityKind.User, "b", new IamUser { Name = "b" }),
            new EntityWrite(EntityKind.User, "a", new IamUser { Name = "a" }),
            new EntityWrite(EntityKind.Group, "g", new IamGroup { Name = "g" }),
        ], default);
        await store.WriteAsync("222222222222", [new EntityWrite(EntityKind.User, "c", new IamUser { Name = "c" })], default);

        var users = await store.ListAsync<IamUser>("111111111111", EntityKind.User, default);

        Assert.Equal(["a", "b"], users.Select(u => u.Name));
    }

    [Fact]
    public async Task MfaDevice_RoundTrips_WithItsSealedSeed()
    {
        var store = NewStore();
        var device = new MfaDevice
        {
            Name = "dev", Path = "/", SerialNumber = "arn:aws:iam::111111111111:mfa/dev", SealedSeed = [1, 2, 3],
            UserName = "alice", EnableDate = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero),
        };

        await store.WriteAsync("111111111111", [new EntityWrite(EntityKind.MfaDevice, "dev", device)], default);
        var found = await store.GetAsync<MfaDevice>("111111111111", EntityKind.MfaDevice, "dev", default);

        Assert.Equal((device.SerialNumber, "alice", device.EnableDate), (found!.SerialNumber, found.UserName, found.EnableDate));
        Assert.Equal(new byte[] { 1, 2, 3 }, found.SealedSeed);
        Assert.Empty(await store.ListAsync<IamUser>("111111111111", EntityKind.User, default));
    }

    /// <summary>Kinds are stored by ordinal: appending is safe, reordering would misread every row.</summary>
    [Fact]
    public void EntityKind_Ordinals_AreStable()
    {
        Assert.Equal([0, 1, 2, 3, 4], new[] { EntityKind.User, EntityKind.Group, EntityKind.Role, EntityKind.Policy, EntityKind.MfaDevice }.Select(k => (int)k));
    }

    [Fact]
    public async Task Write_NullEntity_Deletes()
    {
        var store = NewStore();
        await store.WriteAsync("111111111111", [new EntityWrite(EntityKind.Role, "r", new IamRole { Name = "r" })], default);

        await store.WriteAsync("111111111111", [new EntityWrite(EntityKind.Role, "r", null)], default);

        Assert.Null(await store.GetAsync<IamRole>("111111111111", EntityKind.Role, "r", default));
    }
}

public sealed class MemoryIamStoreTests : IamStoreContract
{
    protected override IIamStore NewStore() => new MemoryIamStore();
}

public sealed class SqliteIamStoreTests : IamStoreContract, IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "kiln-iam-" + Guid.NewGuid().ToString("N")[..12]);

    protected override IIamStore NewStore()
    {
        Directory.CreateDirectory(_dir);
        return new SqliteIamStore(new SqliteDatabase(Path.Combine(_dir, "meta.db")));
    }

    [Fact]
    public async Task Reopen_KeepsEntities()
    {
        var first = NewStore();
        await first.WriteAsync("111111111111", [new EntityWrite(EntityKind.Policy, "p", new ManagedPolicy { Name = "p", Versions = [new("v1", "{}", DateTimeOffset.UnixEpoch)] })], default);

        var reopened = NewStore();

        Assert.Equal("v1", (await reopened.GetAsync<ManagedPolicy>("111111111111", EntityKind.Policy, "p", default))!.Versions[0].VersionId);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
