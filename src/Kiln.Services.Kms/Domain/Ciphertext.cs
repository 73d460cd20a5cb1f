using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Kiln.Services.Kms.Domain;

/// <summary>
/// Kiln's ciphertext blob. AWS documents its own blob as opaque ("the ciphertext blob ... contains
/// metadata that identifies the KMS key"), so the layout is ours:
/// <code>
/// version 1: 'K' 'C' 0x01 | arnLength u16 BE | key ARN (UTF-8) | material version u32 BE
///            | nonce 12 | tag 16 | AES-256-GCM ciphertext
/// </code>
/// Everything before the nonce is the header. The associated data is the header followed by the
/// canonical encryption context, so a changed key, version or context fails authentication
/// (InvalidCiphertextException) instead of decrypting to garbage ("Encryption context": it is
/// "additional authenticated data").
/// </summary>
public static class Ciphertext
{
    private const byte Magic0 = (byte)'K';
    private const byte Magic1 = (byte)'C';
    private const byte FormatVersion = 1;
    public const int NonceSize = 12;
    public const int TagSize = 16;

    /// <summary>A parsed blob; slices of the original array.</summary>
    public readonly record struct Parsed(string KeyArn, int MaterialVersion, ReadOnlyMemory<byte> Header,
        ReadOnlyMemory<byte> Nonce, ReadOnlyMemory<byte> Tag, ReadOnlyMemory<byte> Body);

    public static byte[] Seal(string keyArn, int materialVersion, ReadOnlySpan<byte> material, ReadOnlySpan<byte> plaintext,
        IReadOnlyDictionary<string, string>? context)
    {
        var arn = Encoding.UTF8.GetBytes(keyArn);
        var headerSize = 3 + 2 + arn.Length + 4;
        var blob = new byte[headerSize + NonceSize + TagSize + plaintext.Length];
        blob[0] = Magic0;
        blob[1] = Magic1;
        blob[2] = FormatVersion;
        BinaryPrimitives.WriteUInt16BigEndian(blob.AsSpan(3), (ushort)arn.Length);
        arn.CopyTo(blob.AsSpan(5));
        BinaryPrimitives.WriteUInt32BigEndian(blob.AsSpan(5 + arn.Length), (uint)materialVersion);
        var nonce = blob.AsSpan(headerSize, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var gcm = new AesGcm(material, TagSize);
        gcm.Encrypt(nonce, plaintext, blob.AsSpan(headerSize + NonceSize + TagSize), blob.AsSpan(headerSize + NonceSize, TagSize),
            AssociatedData(blob.AsSpan(0, headerSize), context));
        return blob;
    }

    /// <summary>Reads the header; null when the bytes are not a Kiln ciphertext of a known version.</summary>
    public static Parsed? TryParse(byte[] blob)
    {
        if (blob.Length < 5 || blob[0] != Magic0 || blob[1] != Magic1 || blob[2] != FormatVersion)
        {
            return null;
        }

        int arnLength = BinaryPrimitives.ReadUInt16BigEndian(blob.AsSpan(3));
        var headerSize = 5 + arnLength + 4;
        if (blob.Length < headerSize + NonceSize + TagSize)
        {
            return null;
        }

        string arn;
        try
        {
            arn = new UTF8Encoding(false, true).GetString(blob, 5, arnLength);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }

        var version = BinaryPrimitives.ReadUInt32BigEndian(blob.AsSpan(5 + arnLength));
        if (version > int.MaxValue)
        {
            return null;
        }

        var m = blob.AsMemory();
        return new Parsed(arn, (int)version, m[..headerSize], m.Slice(headerSize, NonceSize),
            m.Slice(headerSize + NonceSize, TagSize), m[(headerSize + NonceSize + TagSize)..]);
    }

    /// <summary>Decrypts a parsed blob; null when authentication fails (wrong material or context).</summary>
    public static byte[]? Open(Parsed parsed, ReadOnlySpan<byte> material, IReadOnlyDictionary<string, string>? context)
    {
        var plaintext = new byte[parsed.Body.Length];
        try
        {
            using var gcm = new AesGcm(material, TagSize);
            gcm.Decrypt(parsed.Nonce.Span, parsed.Body.Span, parsed.Tag.Span, plaintext,
                AssociatedData(parsed.Header.Span, context));
            return plaintext;
        }
        catch (AuthenticationTagMismatchException)
        {
            CryptographicOperations.ZeroMemory(plaintext);
            return null;
        }
    }

    /// <summary>Header, then the context's pairs sorted by key (ordinal), each string length-prefixed:
    /// the context is a set of pairs, so its order in the request must not matter.</summary>
    private static byte[] AssociatedData(ReadOnlySpan<byte> header, IReadOnlyDictionary<string, string>? context)
    {
        using var buffer = new MemoryStream();
        buffer.Write(header);
        foreach (var (k, v) in (context ?? new Dictionary<string, string>()).OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            WriteString(buffer, k);
            WriteString(buffer, v);
        }

        return buffer.ToArray();
    }

    private static void WriteString(MemoryStream buffer, string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, bytes.Length);
        buffer.Write(length);
        buffer.Write(bytes);
    }
}
