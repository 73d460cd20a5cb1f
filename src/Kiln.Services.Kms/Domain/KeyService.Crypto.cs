using System.Security.Cryptography;
using Kiln.Storage.Crypto;

namespace Kiln.Services.Kms.Domain;

/// <summary>The result of a decryption: the plaintext and the key that held it.</summary>
public sealed record Decrypted(KmsKey Key, byte[] Plaintext);

/// <summary>Cryptographic operations on symmetric keys (SYMMETRIC_DEFAULT is AES-256-GCM in AWS
/// KMS too, "Symmetric encryption KMS keys").</summary>
public sealed partial class KeyService
{
    /// <summary>"Plaintext: ... Length Constraints: Minimum length of 1. Maximum length of 4096" (Encrypt).</summary>
    public const int MaxPlaintext = 4096;
    /// <summary>"NumberOfBytes ... Valid Range: Minimum value of 1. Maximum value of 1024" (GenerateDataKey).</summary>
    public const int MaxDataKeyBytes = 1024;

    public async Task<byte[]> EncryptAsync(KmsKey key, byte[] plaintext, IReadOnlyDictionary<string, string>? context,
        CancellationToken ct)
    {
        if (plaintext.Length is 0 or > MaxPlaintext)
        {
            throw KmsErrors.Validation(plaintext.Length == 0
                ? "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length greater than or equal to 1"
                : $"1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to {MaxPlaintext}");
        }

        RequireUsable(key);
        key = await RotateIfDueAsync(key, ct).ConfigureAwait(false);
        var current = key.Current;
        var material = OpenMaterial(key, current);
        try
        {
            return Ciphertext.Seal(key.Arn, current.Version, material, plaintext, context);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(material);
        }
    }

    /// <summary>Reads the key reference out of a ciphertext without decrypting it (Decrypt needs it
    /// to find and authorize the key before it can decrypt).</summary>
    public static Ciphertext.Parsed ParseCiphertext(byte[]? blob) =>
        blob is null ? throw KmsErrors.InvalidCiphertext() : Ciphertext.TryParse(blob) ?? throw KmsErrors.InvalidCiphertext();

    /// <summary>Decrypts with the material version the ciphertext names, so rotation never strands
    /// old ciphertexts ("rotation ... retains all previous versions of the key material").</summary>
    public static byte[] Decrypt(KmsKey key, Ciphertext.Parsed parsed, IReadOnlyDictionary<string, string>? context,
        MasterKey masterKey)
    {
        RequireUsable(key);
        if (!string.Equals(parsed.KeyArn, key.Arn, StringComparison.Ordinal))
        {
            throw KmsErrors.IncorrectKey();
        }

        var version = key.Materials.FirstOrDefault(m => m.Version == parsed.MaterialVersion) ?? throw KmsErrors.InvalidCiphertext();
        var material = OpenMaterial(masterKey, key, version);
        try
        {
            return Ciphertext.Open(parsed, material, context) ?? throw KmsErrors.InvalidCiphertext();
        }
        finally
        {
            CryptographicOperations.ZeroMemory(material);
        }
    }

    public byte[] Decrypt(KmsKey key, Ciphertext.Parsed parsed, IReadOnlyDictionary<string, string>? context) =>
        Decrypt(key, parsed, context, masterKey);

    /// <summary>A data key: plaintext bytes and the same bytes encrypted under the KMS key. KeySpec
    /// and NumberOfBytes are exclusive and one is required (GenerateDataKey API reference).</summary>
    public async Task<(byte[] Plaintext, byte[] Ciphertext)> GenerateDataKeyAsync(KmsKey key, string? keySpec, int? numberOfBytes,
        IReadOnlyDictionary<string, string>? context, CancellationToken ct)
    {
        var size = DataKeySize(keySpec, numberOfBytes);
        var plaintext = RandomNumberGenerator.GetBytes(size);
        return (plaintext, await EncryptAsync(key, plaintext, context, ct).ConfigureAwait(false));
    }

    public static int DataKeySize(string? keySpec, int? numberOfBytes)
    {
        if ((keySpec is null) == (numberOfBytes is null))
        {
            throw KmsErrors.Validation("Please specify either number of bytes or key spec.");
        }

        return keySpec switch
        {
            null when numberOfBytes is < 1 or > MaxDataKeyBytes => throw KmsErrors.Range("numberOfBytes", numberOfBytes.Value, 1, MaxDataKeyBytes),
            null => numberOfBytes!.Value,
            "AES_256" => 32,
            "AES_128" => 16,
            _ => throw KmsErrors.Validation($"1 validation error detected: Value '{keySpec}' at 'keySpec' failed to satisfy " +
                                            "constraint: Member must satisfy enum value set: [AES_256, AES_128]"),
        };
    }

    /// <summary>Automatic rotation: when the period has passed since rotation was enabled or since the
    /// last rotation, new material becomes current; every older version stays for decryption. Done
    /// lazily on use, which is indistinguishable to callers from a background rotation.</summary>
    private async Task<KmsKey> RotateIfDueAsync(KmsKey key, CancellationToken ct)
    {
        if (!key.RotationEnabled || !RotationDue(key, clock.UtcNow))
        {
            return key;
        }

        return await UpdateAsync(key, k =>
        {
            var now = clock.UtcNow;
            if (k.RotationEnabled && RotationDue(k, now))
            {
                k.Materials.Add(NewMaterial(k.Arn, k.Current.Version + 1, now));
            }
        }, ct).ConfigureAwait(false);
    }

    private bool RotationDue(KmsKey key, DateTimeOffset now)
    {
        var anchor = key.RotationEnabledAt is { } enabled && enabled > key.Current.Created ? enabled : key.Current.Created;
        return now - anchor >= options.RotationPeriod;
    }

    private byte[] OpenMaterial(KmsKey key, KeyMaterial version) => OpenMaterial(masterKey, key, version);

    private static byte[] OpenMaterial(MasterKey masterKey, KmsKey key, KeyMaterial version) =>
        masterKey.Open(version.Sealed, MaterialBinding(key.Arn, version.Version));
}
