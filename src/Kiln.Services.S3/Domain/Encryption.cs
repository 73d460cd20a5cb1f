using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Kiln.Storage.Crypto;

namespace Kiln.Services.S3.Domain;

/// <summary>
/// The key every blob data key of one object (or multipart upload) is wrapped under. Each blob keeps
/// its own random data key, because <c>ChunkedCipher</c> numbers nonces per blob and a key must seal
/// one blob only; the object key wraps those data keys (AES-256-GCM, random nonce, the blob id as
/// associated data, so a wrapped key cannot be moved to another blob):
/// <list type="bullet">
/// <item>SSE-S3: the data directory's master key (the layout Kiln has always written).</item>
/// <item>SSE-KMS: a 256-bit KMS data key, generated under the customer's KMS key when the object or
/// upload is created; only its KMS ciphertext is stored, and a read asks KMS to decrypt it.</item>
/// <item>SSE-C: the customer's own key, sent with every request and never stored; a salted
/// HMAC-SHA256 of it is kept to recognise it.</item>
/// </list>
/// Wrapped value (base64): nonce (12) | ciphertext | tag (16).
/// </summary>
internal sealed class ObjectKey : IDisposable
{
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly MasterKey? _master;
    private readonly byte[]? _key;

    private ObjectKey(MasterKey? master, byte[]? key)
    {
        _master = master;
        _key = key;
    }

    public static ObjectKey Master(MasterKey master) => new(master, null);

    /// <summary>SSE-S3: the data directory's master key, which this process holds for its whole life.</summary>
    public bool IsMaster => _master is not null;

    /// <summary>An AES-256 object key; the instance owns <paramref name="key"/> and zeroes it on dispose.</summary>
    public static ObjectKey Of(byte[] key) => new(null, key);

    public string Wrap(string blobId, ReadOnlySpan<byte> dataKey)
    {
        if (_master is not null)
        {
            return Convert.ToBase64String(_master.Seal(dataKey, MasterBinding(blobId)));
        }

        var output = new byte[NonceSize + dataKey.Length + TagSize];
        RandomNumberGenerator.Fill(output.AsSpan(0, NonceSize));
        using var gcm = new AesGcm(_key!, TagSize);
        gcm.Encrypt(output.AsSpan(0, NonceSize), dataKey, output.AsSpan(NonceSize, dataKey.Length),
            output.AsSpan(NonceSize + dataKey.Length), ObjectBinding(blobId));
        return Convert.ToBase64String(output);
    }

    /// <exception cref="CryptographicException">The wrapped key was not sealed under this key for this blob.</exception>
    public byte[] Unwrap(string blobId, string wrapped)
    {
        var bytes = Convert.FromBase64String(wrapped);
        if (_master is not null)
        {
            return _master.Open(bytes, MasterBinding(blobId));
        }

        if (bytes.Length <= NonceSize + TagSize)
        {
            throw new CryptographicException("A wrapped blob key is too short");
        }

        var length = bytes.Length - NonceSize - TagSize;
        var plain = new byte[length];
        using var gcm = new AesGcm(_key!, TagSize);
        gcm.Decrypt(bytes.AsSpan(0, NonceSize), bytes.AsSpan(NonceSize, length), bytes.AsSpan(NonceSize + length),
            plain, ObjectBinding(blobId));
        return plain;
    }

    public void Dispose()
    {
        if (_key is not null)
        {
            CryptographicOperations.ZeroMemory(_key);
        }
    }

    /// <summary>SSE-S3's binding, unchanged since the first layout.</summary>
    private static byte[] MasterBinding(string blobId) => Encoding.ASCII.GetBytes("kiln-s3-blob:" + blobId);

    private static byte[] ObjectBinding(string blobId) => Encoding.ASCII.GetBytes("kiln-s3-object-key:" + blobId);
}

/// <summary>SSE-C and SSE-KMS request checks, in S3's words (S3Errors).</summary>
internal static class SseRules
{
    public const string CustomerHeader = "x-amz-server-side-encryption-customer";
    public const string CopySourceCustomerHeader = "x-amz-copy-source-server-side-encryption-customer";
    public const int CustomerKeySize = 32;
    private const int SaltSize = 16;

    /// <summary>The 256-bit customer key of SSE-C headers, checked as S3 checks them; null when none
    /// was sent. The caller zeroes the returned bytes.</summary>
    public static byte[]? ParseCustomerKey(CustomerKeyHeaders? headers, string prefix)
    {
        if (headers is null || headers.IsEmpty)
        {
            return null;
        }

        if (headers.Algorithm != ObjectService.Aes256)
        {
            throw S3Errors.SseCustomerAlgorithmInvalid(prefix, headers.Algorithm);
        }

        if (string.IsNullOrEmpty(headers.Key))
        {
            throw S3Errors.SseCustomerKeyMissing(prefix);
        }

        var key = new byte[CustomerKeySize];
        if (!Convert.TryFromBase64String(headers.Key, key, out var n) || n != CustomerKeySize)
        {
            CryptographicOperations.ZeroMemory(key);
            throw S3Errors.SseCustomerKeyInvalid(prefix);
        }

        if (string.IsNullOrEmpty(headers.KeyMd5))
        {
            CryptographicOperations.ZeroMemory(key);
            throw S3Errors.SseCustomerKeyMd5Missing(prefix);
        }

        if (!string.Equals(Convert.ToBase64String(MD5.HashData(key)), headers.KeyMd5, StringComparison.Ordinal))
        {
            CryptographicOperations.ZeroMemory(key);
            throw S3Errors.SseCustomerKeyMd5Mismatch(prefix);
        }

        return key;
    }

    /// <summary>base64(salt | HMAC-SHA256(salt, key)): recognises the key later, reveals nothing of it.</summary>
    public static string KeyHmac(ReadOnlySpan<byte> key)
    {
        Span<byte> value = stackalloc byte[SaltSize + HMACSHA256.HashSizeInBytes];
        RandomNumberGenerator.Fill(value[..SaltSize]);
        HMACSHA256.HashData(value[..SaltSize], key, value[SaltSize..]);
        return Convert.ToBase64String(value);
    }

    public static bool HmacMatches(string stored, ReadOnlySpan<byte> key)
    {
        var value = Convert.FromBase64String(stored);
        if (value.Length != SaltSize + HMACSHA256.HashSizeInBytes)
        {
            return false;
        }

        Span<byte> actual = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(value.AsSpan(0, SaltSize), key, actual);
        return CryptographicOperations.FixedTimeEquals(actual, value.AsSpan(SaltSize));
    }

    /// <summary>x-amz-server-side-encryption-context: base64 of a UTF-8 JSON object of strings.</summary>
    public static Dictionary<string, string> ParseContext(string? header)
    {
        var context = new Dictionary<string, string>(StringComparer.Ordinal);
        if (header is null)
        {
            return context;
        }

        try
        {
            using var document = JsonDocument.Parse(Convert.FromBase64String(header));
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw S3Errors.InvalidEncryptionContext(header);
            }

            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Value.ValueKind != JsonValueKind.String)
                {
                    throw S3Errors.InvalidEncryptionContext(header);
                }

                context[property.Name] = property.Value.GetString()!;
            }
        }
        catch (Exception e) when (e is FormatException or JsonException or DecoderFallbackException)
        {
            throw S3Errors.InvalidEncryptionContext(header);
        }

        return context;
    }
}
