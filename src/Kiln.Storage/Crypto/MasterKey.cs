using System.Security.Cryptography;

namespace Kiln.Storage.Crypto;

/// <summary>The data directory's master key: 32 random bytes in an owner-only file, made once.
/// Everything secret at rest (secret access keys now, KMS key material later) is sealed under it
/// with AES-256-GCM, bound by associated data to what it protects so a sealed value cannot be
/// moved to another row.</summary>
public sealed class MasterKey
{
    // Sealed layout, version 1: [magic 'K','1'][nonce 12][tag 16][ciphertext].
    private const byte Magic0 = (byte)'K';
    private const byte Magic1 = (byte)'1';
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private const int HeaderSize = 2 + NonceSize + TagSize;

    private readonly byte[] _key;

    private MasterKey(byte[] key)
    {
        _key = key;
    }

    public static MasterKey LoadOrCreate(DataDirectory dir)
    {
        dir.Ensure();
        var path = dir.MasterKeyFile;
        if (!File.Exists(path))
        {
            var fresh = RandomNumberGenerator.GetBytes(32);
            DataDirectory.WriteSecretFileOnce(path, fresh);
            CryptographicOperations.ZeroMemory(fresh);
        }

        var key = File.ReadAllBytes(path);
        if (key.Length != 32)
        {
            throw new InvalidDataException($"{path} is not a Kiln master key (expected 32 bytes, found {key.Length})");
        }

        return new MasterKey(key);
    }

    /// <summary>A key held only in memory, for tests.</summary>
    public static MasterKey Ephemeral() => new(RandomNumberGenerator.GetBytes(32));

    public byte[] Seal(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        var sealedValue = new byte[HeaderSize + plaintext.Length];
        sealedValue[0] = Magic0;
        sealedValue[1] = Magic1;
        var nonce = sealedValue.AsSpan(2, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var gcm = new AesGcm(_key, TagSize);
        gcm.Encrypt(nonce, plaintext, sealedValue.AsSpan(HeaderSize), sealedValue.AsSpan(2 + NonceSize, TagSize),
            associatedData);
        return sealedValue;
    }

    public byte[] Open(ReadOnlySpan<byte> sealedValue, ReadOnlySpan<byte> associatedData)
    {
        if (sealedValue.Length < HeaderSize || sealedValue[0] != Magic0 || sealedValue[1] != Magic1)
        {
            throw new CryptographicException("Not a value sealed by this version of Kiln");
        }

        var plaintext = new byte[sealedValue.Length - HeaderSize];
        using var gcm = new AesGcm(_key, TagSize);
        gcm.Decrypt(sealedValue.Slice(2, NonceSize), sealedValue[HeaderSize..], sealedValue.Slice(2 + NonceSize, TagSize),
            plaintext, associatedData);
        return plaintext;
    }
}
