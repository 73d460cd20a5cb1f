using System.Text;
using Kiln.Core;
using Kiln.Core.Errors;
using Kiln.Services.Kms.Domain;
using Kiln.Services.Kms.Storage;
using Kiln.Storage.Crypto;
using Kiln.Storage.Sqlite;

namespace Kiln.Services.Kms.Tests;

internal sealed class TestClock : IClock
{
    public DateTimeOffset UtcNow { get; set; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
}

/// <summary>KeyService over the in-memory store, with a clock the tests move.</summary>
public sealed class KeyServiceTests
{
    private const string Account = "111122223333";
    private const string Region = "us-east-1";
    private readonly TestClock _clock = new();
    private readonly KeyService _keys;

    public KeyServiceTests()
    {
        _keys = new KeyService(new MemoryKmsStore(), MasterKey.Ephemeral(), _clock,
            new KmsOptions { RotationPeriod = TimeSpan.FromDays(365) });
    }

    private static Dictionary<string, string> Ctx(string v) => new() { ["purpose"] = v };

    [Fact]
    public async Task EncryptDecrypt_SameContext_RoundTrips()
    {
        var key = await _keys.CreateKeyAsync(Account, Region, "d", null, null, default);
        var blob = await _keys.EncryptAsync(key, "hello"u8.ToArray(), Ctx("a"), default);
        var plain = _keys.Decrypt(key, KeyService.ParseCiphertext(blob), Ctx("a"));
        Assert.Equal("hello", Encoding.UTF8.GetString(plain));
    }

    [Fact]
    public async Task Decrypt_WrongContext_ThrowsInvalidCiphertext()
    {
        var key = await _keys.CreateKeyAsync(Account, Region, null, null, null, default);
        var blob = await _keys.EncryptAsync(key, "hello"u8.ToArray(), Ctx("a"), default);
        var e = Assert.Throws<AwsException>(() => _keys.Decrypt(key, KeyService.ParseCiphertext(blob), Ctx("b")));
        Assert.Equal("InvalidCiphertextException", e.Code);
        Assert.Throws<AwsException>(() => _keys.Decrypt(key, KeyService.ParseCiphertext(blob), null));
    }

    [Fact]
    public async Task Decrypt_OtherKey_ThrowsIncorrectKey()
    {
        var a = await _keys.CreateKeyAsync(Account, Region, null, null, null, default);
        var b = await _keys.CreateKeyAsync(Account, Region, null, null, null, default);
        var blob = await _keys.EncryptAsync(a, "x"u8.ToArray(), null, default);
        Assert.Equal("IncorrectKeyException", Assert.Throws<AwsException>(() => _keys.Decrypt(b, KeyService.ParseCiphertext(blob), null)).Code);
    }

    [Fact]
    public async Task DisabledKey_Encrypt_ThrowsDisabled()
    {
        var key = await _keys.CreateKeyAsync(Account, Region, null, null, null, default);
        key = await _keys.DisableKeyAsync(key, default);
        var e = await Assert.ThrowsAsync<AwsException>(() => _keys.EncryptAsync(key, "x"u8.ToArray(), null, default));
        Assert.Equal("DisabledException", e.Code);
        Assert.Equal($"{key.Arn} is disabled.", e.Message);
    }

    [Fact]
    public async Task Rotation_AfterPeriod_AddsVersion_OldCiphertextDecrypts()
    {
        var key = await _keys.CreateKeyAsync(Account, Region, null, null, null, default);
        var old = await _keys.EncryptAsync(key, "old"u8.ToArray(), null, default);
        key = await _keys.SetRotationAsync(key, true, default);
        _clock.UtcNow += TimeSpan.FromDays(366);
        var fresh = await _keys.EncryptAsync(key, "new"u8.ToArray(), null, default);
        key = await _keys.GetKeyAsync(Account, Region, key.KeyId, default);
        Assert.Equal(2, key.Materials.Count);
        Assert.Equal(1, KeyService.ParseCiphertext(old).MaterialVersion);
        Assert.Equal(2, KeyService.ParseCiphertext(fresh).MaterialVersion);
        Assert.Equal("old", Encoding.UTF8.GetString(_keys.Decrypt(key, KeyService.ParseCiphertext(old), null)));
    }

    [Fact]
    public async Task ScheduleKeyDeletion_OutOfRange_ThrowsValidation_AndPastDueKeyIsGone()
    {
        var key = await _keys.CreateKeyAsync(Account, Region, null, null, null, default);
        Assert.Equal("ValidationException", (await Assert.ThrowsAsync<AwsException>(() => _keys.ScheduleKeyDeletionAsync(key, 6, default))).Code);
        Assert.Equal("ValidationException", (await Assert.ThrowsAsync<AwsException>(() => _keys.ScheduleKeyDeletionAsync(key, 31, default))).Code);
        key = await _keys.ScheduleKeyDeletionAsync(key, 7, default);
        Assert.Equal(KeyState.PendingDeletion, key.State);
        Assert.Equal("KMSInvalidStateException", (await Assert.ThrowsAsync<AwsException>(() => _keys.EncryptAsync(key, "x"u8.ToArray(), null, default))).Code);
        _clock.UtcNow += TimeSpan.FromDays(7);
        Assert.Equal("NotFoundException", (await Assert.ThrowsAsync<AwsException>(() => _keys.GetKeyAsync(Account, Region, key.KeyId, default))).Code);
    }

    [Fact]
    public async Task CancelKeyDeletion_LeavesKeyDisabled()
    {
        var key = await _keys.CreateKeyAsync(Account, Region, null, null, null, default);
        Assert.Equal("KMSInvalidStateException", (await Assert.ThrowsAsync<AwsException>(() => _keys.CancelKeyDeletionAsync(key, default))).Code);
        key = await _keys.ScheduleKeyDeletionAsync(key, null, default);
        Assert.Equal(30, key.PendingWindowInDays);
        key = await _keys.CancelKeyDeletionAsync(key, default);
        Assert.Equal(KeyState.Disabled, key.State);
        Assert.Null(key.DeletionDate);
    }

    [Fact]
    public async Task Aliases_ResolveByNameAndArn_ReservedAndDuplicateRefused()
    {
        var key = await _keys.CreateKeyAsync(Account, Region, null, null, null, default);
        var alias = await _keys.CreateAliasAsync(Account, Region, "alias/team", key, default);
        Assert.Equal(key.KeyId, (await _keys.GetKeyAsync(Account, Region, "alias/team", default)).KeyId);
        Assert.Equal(key.KeyId, (await _keys.GetKeyAsync(Account, Region, alias.Arn, default)).KeyId);
        Assert.Equal(key.KeyId, (await _keys.GetKeyAsync(Account, Region, key.Arn, default)).KeyId);
        Assert.Equal("AlreadyExistsException", (await Assert.ThrowsAsync<AwsException>(() => _keys.CreateAliasAsync(Account, Region, "alias/team", key, default))).Code);
        Assert.Equal("NotAuthorizedException", (await Assert.ThrowsAsync<AwsException>(() => _keys.CreateAliasAsync(Account, Region, "alias/aws/x", key, default))).Code);
        Assert.Equal("NotFoundException", (await Assert.ThrowsAsync<AwsException>(() => _keys.GetKeyAsync(Account, Region, "alias/none", default))).Code);
        Assert.Equal("NotFoundException", (await Assert.ThrowsAsync<AwsException>(() => _keys.GetKeyAsync(Account, Region, "not-a-key", default))).Code);
    }

    [Fact]
    public async Task CreateKey_MalformedPolicy_ThrowsMalformedPolicyDocumentException()
    {
        var e = await Assert.ThrowsAsync<AwsException>(() => _keys.CreateKeyAsync(Account, Region, null, "{\"Statement\": 1}", null, default));
        Assert.Equal("MalformedPolicyDocumentException", e.Code);
    }

    [Theory]
    [InlineData("AES_256", null, 32)]
    [InlineData("AES_128", null, 16)]
    [InlineData(null, 64, 64)]
    public void DataKeySize_SpecOrBytes(string? spec, int? bytes, int expected) => Assert.Equal(expected, KeyService.DataKeySize(spec, bytes));

    [Fact]
    public void DataKeySize_BothOrNeither_ThrowsValidation()
    {
        Assert.Equal("ValidationException", Assert.Throws<AwsException>(() => KeyService.DataKeySize("AES_256", 32)).Code);
        Assert.Equal("ValidationException", Assert.Throws<AwsException>(() => KeyService.DataKeySize(null, null)).Code);
        Assert.Equal("ValidationException", Assert.Throws<AwsException>(() => KeyService.DataKeySize(null, 1025)).Code);
    }
}

/// <summary>The same store cases against the in-memory and the SQLite store (STYLE.md §10).</summary>
public sealed class KmsStoreContractTests
{
    public static TheoryData<string> Stores => new() { "memory", "sqlite" };

    private static IKmsStore Create(string kind) => kind == "memory"
        ? new MemoryKmsStore()
        : new SqliteKmsStore(new SqliteDatabase(Path.Combine(Path.GetTempPath(), "kiln-kms-" + Guid.NewGuid().ToString("N") + ".db")));

    private static KmsKey Key(string id) => new()
    {
        AccountId = "111122223333", Region = "us-east-1", KeyId = id, Policy = "{}",
        Materials = [new KeyMaterial(1, DateTimeOffset.UnixEpoch, [1, 2, 3])],
    };

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task PutGetList_KeysOrderedById_AndCopiesAreIndependent(string kind)
    {
        var store = Create(kind);
        await store.PutKeyAsync(Key("b"), default);
        await store.PutKeyAsync(Key("a"), default);
        var read = await store.GetKeyAsync("111122223333", "us-east-1", "a", default);
        Assert.NotNull(read);
        Assert.Equal([1, 2, 3], read.Materials[0].Sealed);
        read.State = KeyState.Disabled;
        Assert.Equal(KeyState.Enabled, (await store.GetKeyAsync("111122223333", "us-east-1", "a", default))!.State);
        Assert.Equal(["a", "b"], (await store.ListKeysAsync("111122223333", "us-east-1", default)).Select(k => k.KeyId));
        Assert.Empty(await store.ListKeysAsync("111122223333", "eu-west-1", default));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Aliases_TryAddIsExclusive_DeleteKeyRemovesItsAliases(string kind)
    {
        var store = Create(kind);
        await store.PutKeyAsync(Key("a"), default);
        var alias = new KmsAlias { AccountId = "111122223333", Region = "us-east-1", Name = "alias/x", TargetKeyId = "a" };
        Assert.True(await store.TryAddAliasAsync(alias, default));
        Assert.False(await store.TryAddAliasAsync(alias, default));
        Assert.Single(await store.ListAliasesAsync("111122223333", "us-east-1", default));
        await store.DeleteKeyAsync("111122223333", "us-east-1", "a", default);
        Assert.Null(await store.GetKeyAsync("111122223333", "us-east-1", "a", default));
        Assert.Empty(await store.ListAliasesAsync("111122223333", "us-east-1", default));
    }
}
