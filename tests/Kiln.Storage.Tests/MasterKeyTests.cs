using System.Security.Cryptography;
using System.Text;
using Kiln.Storage.Crypto;

namespace Kiln.Storage.Tests;

public sealed class MasterKeyTests : IDisposable
{
    private readonly TempDir _dir = new();

    [Fact]
    public void LoadOrCreate_MakesOwnerOnlyFile_AndReloadsSameKey()
    {
        var first = MasterKey.LoadOrCreate(_dir.Data);
        var sealedValue = first.Seal("hello"u8, "aad"u8);

        var second = MasterKey.LoadOrCreate(_dir.Data);

        Assert.Equal("hello", Encoding.UTF8.GetString(second.Open(sealedValue, "aad"u8)));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_dir.Data.MasterKeyFile));
        Assert.Equal(32, new FileInfo(_dir.Data.MasterKeyFile).Length);
    }

    [Fact]
    public void Open_WrongAssociatedData_Fails()
    {
        var key = MasterKey.Ephemeral();
        var sealedValue = key.Seal("secret"u8, "row-1"u8);

        Assert.ThrowsAny<CryptographicException>(() => key.Open(sealedValue, "row-2"u8));
    }

    [Fact]
    public void Open_TamperedCiphertext_Fails()
    {
        var key = MasterKey.Ephemeral();
        var sealedValue = key.Seal("secret"u8, "aad"u8);
        sealedValue[^1] ^= 1;

        Assert.ThrowsAny<CryptographicException>(() => key.Open(sealedValue, "aad"u8));
    }

    [Fact]
    public void Seal_SamePlaintextTwice_DiffersAndHidesPlaintext()
    {
        var key = MasterKey.Ephemeral();

        var a = key.Seal("same secret value"u8, default);
        var b = key.Seal("same secret value"u8, default);

        Assert.NotEqual(a, b);
        Assert.DoesNotContain("same secret value", Encoding.ASCII.GetString(a));
    }

    public void Dispose() => _dir.Dispose();
}
