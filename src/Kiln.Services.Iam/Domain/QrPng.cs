using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Kiln.Services.Iam.Domain;

/// <summary>Renders a <see cref="QrCode"/> as a PNG (8-bit grayscale, no interlace): black modules on
/// white, with the four-module quiet zone the standard requires around the symbol.</summary>
public static class QrPng
{
    public const int QuietZone = 4;

    private static readonly uint[] s_crcTable = BuildCrcTable();

    public static byte[] Render(QrCode qr, int scale = 4)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(scale, 1);
        var side = (qr.Size + 2 * QuietZone) * scale;
        var raw = new byte[side * (side + 1)];
        for (var py = 0; py < side; py++)
        {
            var row = py * (side + 1);
            raw[row] = 0; // filter: none
            var my = py / scale - QuietZone;
            for (var px = 0; px < side; px++)
            {
                var mx = px / scale - QuietZone;
                var dark = mx >= 0 && my >= 0 && mx < qr.Size && my < qr.Size && qr[mx, my];
                raw[row + 1 + px] = dark ? (byte)0 : (byte)255;
            }
        }

        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(header, (uint)side);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), (uint)side);
        header[8] = 8; // bit depth
        header[9] = 0; // grayscale; compression, filter and interlace methods 0
        Chunk(png, "IHDR", header);
        using (var compressed = new MemoryStream())
        {
            using (var z = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
            {
                z.Write(raw);
            }

            Chunk(png, "IDAT", compressed.ToArray());
        }

        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream s, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(length, (uint)data.Length);
        s.Write(length);
        var typeBytes = Encoding.ASCII.GetBytes(type);
        s.Write(typeBytes);
        s.Write(data);
        var crc = Crc32(Crc32(0xFFFFFFFF, typeBytes), data) ^ 0xFFFFFFFF;
        Span<byte> crcBytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crcBytes, crc);
        s.Write(crcBytes);
    }

    /// <summary>CRC-32 (ISO 3309, as PNG uses it), continued from <paramref name="crc"/>.</summary>
    internal static uint Crc32(uint crc, ReadOnlySpan<byte> data)
    {
        foreach (var b in data)
        {
            crc = s_crcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return crc;
    }

    private static uint[] BuildCrcTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }
}
