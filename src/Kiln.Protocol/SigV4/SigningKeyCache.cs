using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Kiln.Core;

namespace Kiln.Protocol.SigV4;

/// <summary>Derived SigV4 signing keys, one per secret + date + region + service. Deriving a key is
/// four HMACs; a client reuses the same key for a whole day, so the cache saves them on almost
/// every request. Bounded: when full it is emptied, which costs one derivation per active key.</summary>
public sealed class SigningKeyCache(int capacity = 4096)
{
    private readonly BoundedCache<Key, byte[]> _keys = new(capacity);

    /// <summary>The signing key for <paramref name="secret"/> in this scope. The returned array is
    /// shared: callers read it and never write to it.</summary>
    public byte[] Get(string secret, string date, string region, string service)
    {
        var key = new Key(secret, date, region, service);
        if (_keys.TryGet(key, out var signingKey))
        {
            return signingKey;
        }

        signingKey = Derive(secret, date, region, service);
        _keys.Set(key, signingKey);
        return signingKey;
    }

    /// <summary>kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request").</summary>
    public static byte[] Derive(string secret, string date, string region, string service)
    {
        var secretLength = 4 + Encoding.UTF8.GetMaxByteCount(secret.Length);
        var rented = secretLength > 256 ? ArrayPool<byte>.Shared.Rent(secretLength) : null;
        try
        {
            Span<byte> kSecret = rented is null ? stackalloc byte[256] : rented;
            "AWS4"u8.CopyTo(kSecret);
            var length = 4 + Encoding.UTF8.GetBytes(secret, kSecret[4..]);

            Span<byte> k1 = stackalloc byte[32];
            Span<byte> k2 = stackalloc byte[32];
            HmacUtf8(kSecret[..length], date, k1);
            HmacUtf8(k1, region, k2);
            HmacUtf8(k2, service, k1);
            var signingKey = new byte[32];
            HMACSHA256.HashData(k1, SigV4Strings.TerminatorBytes, signingKey);
            CryptographicOperations.ZeroMemory(kSecret[..length]);
            return signingKey;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static void HmacUtf8(ReadOnlySpan<byte> key, string text, Span<byte> destination)
    {
        var max = Encoding.UTF8.GetMaxByteCount(text.Length);
        var rented = max > 256 ? ArrayPool<byte>.Shared.Rent(max) : null;
        Span<byte> bytes = rented is null ? stackalloc byte[256] : rented;
        var length = Encoding.UTF8.GetBytes(text, bytes);
        HMACSHA256.HashData(key, bytes[..length], destination);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private readonly record struct Key(string Secret, string Date, string Region, string Service);
}
