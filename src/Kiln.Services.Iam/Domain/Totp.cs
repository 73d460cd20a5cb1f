using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Kiln.Services.Iam.Domain;

/// <summary>Time-based one-time passwords as virtual MFA devices compute them: RFC 6238 over RFC 4226
/// HOTP with HMAC-SHA1, a 30-second step from the Unix epoch and 6 digits (the parameters of the
/// otpauth:// URI IAM's QR code carries, which authenticator apps default to).</summary>
public static class Totp
{
    public const int StepSeconds = 30;
    public const int Digits = 6;

    /// <summary>The number of 30-second steps since the Unix epoch at <paramref name="time"/>.</summary>
    public static long Step(DateTimeOffset time) => time.ToUnixTimeSeconds() / StepSeconds;

    /// <summary>The 6-digit code of <paramref name="step"/> (RFC 4226 section 5.3, dynamic truncation).</summary>
    public static string Code(ReadOnlySpan<byte> secret, long step)
    {
        Span<byte> counter = stackalloc byte[8];
        for (var i = 7; i >= 0; i--)
        {
            counter[i] = (byte)(step & 0xFF);
            step >>= 8;
        }

        Span<byte> hash = stackalloc byte[HMACSHA1.HashSizeInBytes];
        HMACSHA1.HashData(secret, counter, hash);
        var offset = hash[^1] & 0x0F;
        var binary = ((hash[offset] & 0x7F) << 24) | (hash[offset + 1] << 16) | (hash[offset + 2] << 8) | hash[offset + 3];
        return (binary % 1_000_000).ToString("D6", CultureInfo.InvariantCulture);
    }

    /// <summary>Compares in constant time, so response timing reveals nothing about the expected code.</summary>
    public static bool Matches(ReadOnlySpan<byte> secret, long step, string? code) =>
        code is { Length: Digits } &&
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Code(secret, step)), Encoding.ASCII.GetBytes(code));

    /// <summary>RFC 4648 base32 without padding: the form of the secret in an otpauth:// URI and in
    /// CreateVirtualMFADevice's Base32StringSeed.</summary>
    public static string Base32(ReadOnlySpan<byte> data)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var sb = new StringBuilder((data.Length * 8 + 4) / 5);
        int buffer = 0, bits = 0;
        foreach (var b in data)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                sb.Append(alphabet[(buffer >> (bits - 5)) & 31]);
                bits -= 5;
            }
        }

        if (bits > 0)
        {
            sb.Append(alphabet[(buffer << (5 - bits)) & 31]);
        }

        return sb.ToString();
    }
}
