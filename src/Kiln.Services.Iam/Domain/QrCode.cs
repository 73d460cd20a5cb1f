namespace Kiln.Services.Iam.Domain;

/// <summary>
/// A QR code (ISO/IEC 18004) of a byte string: byte mode, error correction level M, the smallest
/// version (1–40) that holds the data, and the mask with the lowest penalty score. Enough for the
/// otpauth:// URI of a virtual MFA device; numeric/alphanumeric/kanji modes and ECI are not needed.
/// </summary>
public sealed class QrCode
{
    // Level M: error-correction codewords per block and number of blocks, by version (index 0 unused).
    private static readonly int[] s_eccPerBlock =
    [
        -1, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26,
        26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28,
    ];

    private static readonly int[] s_blocks =
    [
        -1, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16,
        17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49,
    ];

    // Format information's two bits for level M are 00.
    private const int LevelMFormatBits = 0;

    private readonly bool[,] _modules;
    private readonly bool[,] _function;

    public int Version { get; }
    public int Size { get; }
    public int Mask { get; private set; }

    /// <summary>True where the module at column <paramref name="x"/>, row <paramref name="y"/> is dark.</summary>
    public bool this[int x, int y] => _modules[y, x];

    private QrCode(int version)
    {
        Version = version;
        Size = version * 4 + 17;
        _modules = new bool[Size, Size];
        _function = new bool[Size, Size];
    }

    public static QrCode Encode(ReadOnlySpan<byte> data)
    {
        var version = 1;
        while (DataCodewords(version) * 8 < 4 + CountBits(version) + data.Length * 8)
        {
            if (++version > 40)
            {
                throw new ArgumentException("Data too long for a QR code", nameof(data));
            }
        }

        var qr = new QrCode(version);
        qr.DrawFunctionPatterns();
        qr.DrawCodewords(AddErrorCorrection(version, DataBits(version, data)));
        qr.ChooseMask();
        return qr;
    }

    // ---- data ----------------------------------------------------------------------------------

    private static int CountBits(int version) => version <= 9 ? 8 : 16;

    private static byte[] DataBits(int version, ReadOnlySpan<byte> data)
    {
        var capacity = DataCodewords(version);
        var bits = new BitWriter(capacity);
        bits.Write(0b0100, 4); // byte mode
        bits.Write(data.Length, CountBits(version));
        foreach (var b in data)
        {
            bits.Write(b, 8);
        }

        bits.Write(0, Math.Min(4, capacity * 8 - bits.Length)); // terminator
        bits.Write(0, (8 - bits.Length % 8) % 8);
        for (var pad = 0xEC; bits.Length < capacity * 8; pad ^= 0xEC ^ 0x11)
        {
            bits.Write(pad, 8);
        }

        return bits.Bytes;
    }

    private sealed class BitWriter(int bytes)
    {
        public byte[] Bytes { get; } = new byte[bytes];
        public int Length { get; private set; }

        public void Write(int value, int count)
        {
            for (var i = count - 1; i >= 0; i--, Length++)
            {
                if (((value >> i) & 1) != 0)
                {
                    Bytes[Length >> 3] |= (byte)(0x80 >> (Length & 7));
                }
            }
        }
    }

    /// <summary>Modules available for data and error correction once the function patterns are placed.</summary>
    private static int RawDataModules(int version)
    {
        var result = (16 * version + 128) * version + 64;
        if (version >= 2)
        {
            var align = version / 7 + 2;
            result -= (25 * align - 10) * align - 55;
            if (version >= 7)
            {
                result -= 36;
            }
        }

        return result;
    }

    private static int DataCodewords(int version) =>
        RawDataModules(version) / 8 - s_eccPerBlock[version] * s_blocks[version];

    /// <summary>Splits the data into blocks, appends each block's Reed–Solomon codewords and
    /// interleaves them (short blocks first, as the standard orders them).</summary>
    private static byte[] AddErrorCorrection(int version, byte[] data)
    {
        var blocks = s_blocks[version];
        var ecc = s_eccPerBlock[version];
        var raw = RawDataModules(version) / 8;
        var shortBlocks = blocks - raw % blocks;
        var shortLength = raw / blocks;
        var divisor = ReedSolomonDivisor(ecc);
        var split = new byte[blocks][];
        for (int i = 0, k = 0; i < blocks; i++)
        {
            var length = shortLength - ecc + (i < shortBlocks ? 0 : 1);
            var block = data.AsSpan(k, length);
            k += length;
            split[i] = [.. block, .. ReedSolomonRemainder(block, divisor)];
        }

        var result = new byte[raw];
        var n = 0;
        for (var i = 0; i <= shortLength; i++)
        {
            for (var j = 0; j < blocks; j++)
            {
                // A short block has one data codeword fewer; skip the gap where a long block has it.
                var index = j < shortBlocks && i >= shortLength - ecc ? i - 1 : i;
                if (j < shortBlocks && i == shortLength - ecc)
                {
                    continue;
                }

                if (index < split[j].Length)
                {
                    result[n++] = split[j][index];
                }
            }
        }

        return result;
    }

    private static byte[] ReedSolomonDivisor(int degree)
    {
        var result = new byte[degree];
        result[degree - 1] = 1;
        var root = 1;
        for (var i = 0; i < degree; i++)
        {
            for (var j = 0; j < degree; j++)
            {
                result[j] = Multiply(result[j], root);
                if (j + 1 < degree)
                {
                    result[j] ^= result[j + 1];
                }
            }

            root = Multiply(root, 0x02);
        }

        return result;
    }

    private static byte[] ReedSolomonRemainder(ReadOnlySpan<byte> data, byte[] divisor)
    {
        var result = new byte[divisor.Length];
        foreach (var b in data)
        {
            var factor = b ^ result[0];
            Array.Copy(result, 1, result, 0, result.Length - 1);
            result[^1] = 0;
            for (var i = 0; i < result.Length; i++)
            {
                result[i] ^= Multiply(divisor[i], factor);
            }
        }

        return result;
    }

    /// <summary>Multiplication in GF(2^8) modulo x^8 + x^4 + x^3 + x^2 + 1.</summary>
    private static byte Multiply(int x, int y)
    {
        var z = 0;
        for (var i = 7; i >= 0; i--)
        {
            z = (z << 1) ^ ((z >> 7) * 0x11D);
            z ^= ((y >> i) & 1) * x;
        }

        return (byte)z;
    }

    // ---- layout --------------------------------------------------------------------------------

    private void Set(int x, int y, bool dark)
    {
        _modules[y, x] = dark;
        _function[y, x] = true;
    }

    private void DrawFunctionPatterns()
    {
        for (var i = 0; i < Size; i++)
        {
            Set(6, i, i % 2 == 0);
            Set(i, 6, i % 2 == 0);
        }

        DrawFinder(3, 3);
        DrawFinder(Size - 4, 3);
        DrawFinder(3, Size - 4);

        var positions = AlignmentPositions();
        var last = positions.Length - 1;
        for (var i = 0; i <= last; i++)
        {
            for (var j = 0; j <= last; j++)
            {
                if (!((i == 0 && j == 0) || (i == 0 && j == last) || (i == last && j == 0)))
                {
                    DrawAlignment(positions[i], positions[j]);
                }
            }
        }

        DrawFormatBits(0); // reserves the area; the real bits are drawn with the chosen mask
        DrawVersion();
    }

    private void DrawFinder(int cx, int cy)
    {
        for (var dy = -4; dy <= 4; dy++)
        {
            for (var dx = -4; dx <= 4; dx++)
            {
                var distance = Math.Max(Math.Abs(dx), Math.Abs(dy));
                int x = cx + dx, y = cy + dy;
                if (x >= 0 && x < Size && y >= 0 && y < Size)
                {
                    Set(x, y, distance != 2 && distance != 4);
                }
            }
        }
    }

    private void DrawAlignment(int cx, int cy)
    {
        for (var dy = -2; dy <= 2; dy++)
        {
            for (var dx = -2; dx <= 2; dx++)
            {
                Set(cx + dx, cy + dy, Math.Max(Math.Abs(dx), Math.Abs(dy)) != 1);
            }
        }
    }

    private int[] AlignmentPositions()
    {
        if (Version == 1)
        {
            return [];
        }

        var count = Version / 7 + 2;
        var step = Version == 32 ? 26 : (Version * 4 + count * 2 + 1) / (count * 2 - 2) * 2;
        var result = new int[count];
        result[0] = 6;
        for (int i = count - 1, pos = Size - 7; i >= 1; i--, pos -= step)
        {
            result[i] = pos;
        }

        return result;
    }

    private void DrawFormatBits(int mask)
    {
        var data = (LevelMFormatBits << 3) | mask;
        var rem = data;
        for (var i = 0; i < 10; i++)
        {
            rem = (rem << 1) ^ ((rem >> 9) * 0x537);
        }

        var bits = ((data << 10) | rem) ^ 0x5412;
        for (var i = 0; i <= 5; i++)
        {
            Set(8, i, Bit(bits, i));
        }

        Set(8, 7, Bit(bits, 6));
        Set(8, 8, Bit(bits, 7));
        Set(7, 8, Bit(bits, 8));
        for (var i = 9; i < 15; i++)
        {
            Set(14 - i, 8, Bit(bits, i));
        }

        for (var i = 0; i < 8; i++)
        {
            Set(Size - 1 - i, 8, Bit(bits, i));
        }

        for (var i = 8; i < 15; i++)
        {
            Set(8, Size - 15 + i, Bit(bits, i));
        }

        Set(8, Size - 8, true); // the dark module
    }

    private void DrawVersion()
    {
        if (Version < 7)
        {
            return;
        }

        var rem = Version;
        for (var i = 0; i < 12; i++)
        {
            rem = (rem << 1) ^ ((rem >> 11) * 0x1F25);
        }

        var bits = (Version << 12) | rem;
        for (var i = 0; i < 18; i++)
        {
            var bit = Bit(bits, i);
            int a = Size - 11 + i % 3, b = i / 3;
            Set(a, b, bit);
            Set(b, a, bit);
        }
    }

    private static bool Bit(int value, int i) => ((value >> i) & 1) != 0;

    /// <summary>Places the codewords in the two-module-wide zigzag from the bottom-right corner.</summary>
    private void DrawCodewords(byte[] codewords)
    {
        var i = 0;
        for (var right = Size - 1; right >= 1; right -= 2)
        {
            if (right == 6)
            {
                right = 5; // skip the vertical timing pattern
            }

            for (var vert = 0; vert < Size; vert++)
            {
                for (var j = 0; j < 2; j++)
                {
                    var x = right - j;
                    var upward = ((right + 1) & 2) == 0;
                    var y = upward ? Size - 1 - vert : vert;
                    if (!_function[y, x] && i < codewords.Length * 8)
                    {
                        _modules[y, x] = ((codewords[i >> 3] >> (7 - (i & 7))) & 1) != 0;
                        i++;
                    }
                }
            }
        }
    }

    // ---- masking -------------------------------------------------------------------------------

    private static bool MaskBit(int mask, int x, int y) => mask switch
    {
        0 => (x + y) % 2 == 0,
        1 => y % 2 == 0,
        2 => x % 3 == 0,
        3 => (x + y) % 3 == 0,
        4 => (x / 3 + y / 2) % 2 == 0,
        5 => x * y % 2 + x * y % 3 == 0,
        6 => (x * y % 2 + x * y % 3) % 2 == 0,
        _ => ((x + y) % 2 + x * y % 3) % 2 == 0,
    };

    private void ApplyMask(int mask)
    {
        for (var y = 0; y < Size; y++)
        {
            for (var x = 0; x < Size; x++)
            {
                if (!_function[y, x] && MaskBit(mask, x, y))
                {
                    _modules[y, x] = !_modules[y, x];
                }
            }
        }
    }

    private void ChooseMask()
    {
        var best = 0;
        var bestPenalty = int.MaxValue;
        for (var mask = 0; mask < 8; mask++)
        {
            ApplyMask(mask);
            DrawFormatBits(mask);
            var penalty = Penalty();
            if (penalty < bestPenalty)
            {
                best = mask;
                bestPenalty = penalty;
            }

            ApplyMask(mask); // XOR again undoes it
        }

        Mask = best;
        ApplyMask(best);
        DrawFormatBits(best);
    }

    /// <summary>The standard's four penalty rules: runs of five or more, 2×2 blocks, finder-like
    /// 1:1:3:1:1 patterns with four light modules beside them, and dark/light imbalance.</summary>
    private int Penalty()
    {
        var penalty = 0;
        for (var pass = 0; pass < 2; pass++)
        {
            for (var a = 0; a < Size; a++)
            {
                var run = 1;
                for (var b = 1; b < Size; b++)
                {
                    if (At(pass, a, b) == At(pass, a, b - 1))
                    {
                        run++;
                        if (run == 5)
                        {
                            penalty += 3;
                        }
                        else if (run > 5)
                        {
                            penalty++;
                        }
                    }
                    else
                    {
                        run = 1;
                    }
                }

                for (var b = 0; b + 10 < Size; b++)
                {
                    if (FinderLike(pass, a, b))
                    {
                        penalty += 40;
                    }
                }
            }
        }

        var dark = 0;
        for (var y = 0; y < Size; y++)
        {
            for (var x = 0; x < Size; x++)
            {
                if (_modules[y, x])
                {
                    dark++;
                }

                if (x + 1 < Size && y + 1 < Size && _modules[y, x] == _modules[y, x + 1] &&
                    _modules[y, x] == _modules[y + 1, x] && _modules[y, x] == _modules[y + 1, x + 1])
                {
                    penalty += 3;
                }
            }
        }

        var total = Size * Size;
        var k = (Math.Abs(dark * 20 - total * 10) + total - 1) / total - 1;
        return penalty + Math.Max(0, k) * 10;
    }

    /// <summary>Pass 0 reads rows (a = row), pass 1 columns (a = column).</summary>
    private bool At(int pass, int a, int b) => pass == 0 ? _modules[a, b] : _modules[b, a];

    private bool FinderLike(int pass, int a, int b)
    {
        ReadOnlySpan<bool> core = [true, false, true, true, true, false, true];
        ReadOnlySpan<bool> light = [false, false, false, false];
        bool Matches(int start, ReadOnlySpan<bool> pattern)
        {
            for (var i = 0; i < pattern.Length; i++)
            {
                if (At(pass, a, start + i) != pattern[i])
                {
                    return false;
                }
            }

            return true;
        }

        // 1:1:3:1:1 followed or preceded by four light modules (11 modules in all).
        return (Matches(b, core) && Matches(b + 7, light)) || (Matches(b, light) && Matches(b + 4, core));
    }
}
