using System.Buffers.Binary;
using System.Runtime.Intrinsics.X86;
using System.Security.Cryptography;

namespace Kiln.Services.S3.Storage;

/// <summary>S3's additional checksum algorithms (x-amz-checksum-*). Values are persisted as their
/// names; the flag values only live in memory.</summary>
[Flags]
public enum ChecksumAlgorithms
{
    None = 0,
    Crc32 = 1,
    Crc32C = 2,
    Sha1 = 4,
    Sha256 = 8,
}

/// <summary>Wire names of the algorithms, as x-amz-checksum-algorithm and the stored map use them.</summary>
public static class ChecksumNames
{
    public const string Crc32 = "CRC32";
    public const string Crc32C = "CRC32C";
    public const string Sha1 = "SHA1";
    public const string Sha256 = "SHA256";

    public static ChecksumAlgorithms Parse(string? name) => name?.ToUpperInvariant() switch
    {
        Crc32 => ChecksumAlgorithms.Crc32,
        Crc32C => ChecksumAlgorithms.Crc32C,
        Sha1 => ChecksumAlgorithms.Sha1,
        Sha256 => ChecksumAlgorithms.Sha256,
        _ => ChecksumAlgorithms.None,
    };

    public static string NameOf(ChecksumAlgorithms one) => one switch
    {
        ChecksumAlgorithms.Crc32 => Crc32,
        ChecksumAlgorithms.Crc32C => Crc32C,
        ChecksumAlgorithms.Sha1 => Sha1,
        ChecksumAlgorithms.Sha256 => Sha256,
        _ => throw new ArgumentOutOfRangeException(nameof(one)),
    };

    public static readonly ChecksumAlgorithms[] All =
        [ChecksumAlgorithms.Crc32, ChecksumAlgorithms.Crc32C, ChecksumAlgorithms.Sha1, ChecksumAlgorithms.Sha256];
}

/// <summary>MD5 always, plus whichever additional checksums were asked for, computed as bytes pass.
/// System.IO.Hashing is not in the package set and has no CRC32C anyway, so the two CRCs are here.</summary>
internal sealed class ObjectHasher : IDisposable
{
    private readonly IncrementalHash _md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
    private readonly IncrementalHash? _sha1;
    private readonly IncrementalHash? _sha256;
    private readonly ChecksumAlgorithms _algorithms;
    private uint _crc32 = uint.MaxValue;
    private uint _crc32C = uint.MaxValue;

    public ObjectHasher(ChecksumAlgorithms algorithms)
    {
        _algorithms = algorithms;
        if (algorithms.HasFlag(ChecksumAlgorithms.Sha1))
        {
            _sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        }

        if (algorithms.HasFlag(ChecksumAlgorithms.Sha256))
        {
            _sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        }
    }

    public void Append(ReadOnlySpan<byte> data)
    {
        _md5.AppendData(data);
        _sha1?.AppendData(data);
        _sha256?.AppendData(data);
        if (_algorithms.HasFlag(ChecksumAlgorithms.Crc32))
        {
            _crc32 = Crc.UpdateCrc32(_crc32, data);
        }

        if (_algorithms.HasFlag(ChecksumAlgorithms.Crc32C))
        {
            _crc32C = Crc.UpdateCrc32C(_crc32C, data);
        }
    }

    public byte[] Md5() => _md5.GetHashAndReset();

    /// <summary>The additional checksums, base64 as S3 writes them (CRCs big-endian).</summary>
    public Dictionary<string, string> Checksums()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (_algorithms.HasFlag(ChecksumAlgorithms.Crc32))
        {
            result[ChecksumNames.Crc32] = Crc.ToBase64(~_crc32);
        }

        if (_algorithms.HasFlag(ChecksumAlgorithms.Crc32C))
        {
            result[ChecksumNames.Crc32C] = Crc.ToBase64(~_crc32C);
        }

        if (_sha1 is not null)
        {
            result[ChecksumNames.Sha1] = Convert.ToBase64String(_sha1.GetHashAndReset());
        }

        if (_sha256 is not null)
        {
            result[ChecksumNames.Sha256] = Convert.ToBase64String(_sha256.GetHashAndReset());
        }

        return result;
    }

    public void Dispose()
    {
        _md5.Dispose();
        _sha1?.Dispose();
        _sha256?.Dispose();
    }
}

/// <summary>Reflected CRC-32 (IEEE 802.3, poly 0xEDB88320) and CRC-32C (Castagnoli, 0x82F63B78),
/// the two CRCs S3 offers. CRC-32C uses the SSE4.2 instruction when the CPU has it.</summary>
internal static class Crc
{
    private static readonly uint[] s_crc32 = Table(0xEDB88320u);
    private static readonly uint[] s_crc32C = Table(0x82F63B78u);

    public static uint UpdateCrc32(uint crc, ReadOnlySpan<byte> data)
    {
        var table = s_crc32;
        foreach (var b in data)
        {
            crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return crc;
    }

    public static uint UpdateCrc32C(uint crc, ReadOnlySpan<byte> data)
    {
        if (Sse42.X64.IsSupported)
        {
            ulong wide = crc;
            while (data.Length >= 8)
            {
                wide = Sse42.X64.Crc32(wide, BinaryPrimitives.ReadUInt64LittleEndian(data));
                data = data[8..];
            }

            crc = (uint)wide;
            foreach (var b in data)
            {
                crc = Sse42.Crc32(crc, b);
            }

            return crc;
        }

        var table = s_crc32C;
        foreach (var b in data)
        {
            crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return crc;
    }

    public static string ToBase64(uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return Convert.ToBase64String(bytes);
    }

    private static uint[] Table(uint polynomial)
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            var c = i;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? polynomial ^ (c >> 1) : c >> 1;
            }

            table[i] = c;
        }

        return table;
    }
}
