using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Kiln.ML.Data;

namespace Kiln.ML.Trainers;

/// <summary>
/// SageMaker's inference response shapes. JSON wraps the records in one object
/// (<c>{"predictions": [...]}</c> or <c>{"projections": [...]}</c>); JSON lines writes one object per
/// line; CSV writes one line per record. Each algorithm supplies the fields of one record.
/// The text is produced as UTF-8 bytes in pooled blocks and handed to the output's stream in
/// blocks of <see cref="Block"/> bytes: no string per value, per record or per response.
/// </summary>
internal static class Responses
{
    /// <summary>Bytes gathered before a write; one write(2) per block on the command line.</summary>
    private const int Block = 1 << 16;

    /// <summary>Rows per chunk when CSV rows are formatted in parallel.</summary>
    private const int ChunkRows = 4096;

    /// <summary>
    /// Values below which CSV is formatted on the calling thread: about 10 ms of formatting, where
    /// Parallel.For's start-up (a few ms of first-call cost and thread wake-up) stops costing more than it saves.
    /// </summary>
    private const long ParallelValues = 1 << 18;

    /// <summary>The most bytes <see cref="Float"/> writes: "R" needs 15 ("-1.17549435E-38").</summary>
    public const int FloatBytes = 15;

    /// <summary>The most bytes <see cref="Int"/> writes ("-2147483648").</summary>
    public const int IntBytes = 11;

    private const int Utf8CodePage = 65001;

    /// <summary>Writes row <paramref name="row"/>'s CSV fields (without the newline) at the start of <paramref name="destination"/>; returns the bytes written.</summary>
    public delegate int CsvRow(int row, Span<byte> destination);

    public static string Accept(string accept) =>
        ContentTypes.Normalize(accept, ContentTypes.Json, ContentTypes.JsonLines, ContentTypes.Csv);

    /// <summary>
    /// Writes rows [0, count) with <paramref name="writeRecord"/> (JSON) or <paramref name="writeCsv"/>
    /// (CSV, each row at most <paramref name="maxCsvRowBytes"/> bytes without its newline).
    /// </summary>
    public static void Write(TextWriter output, string accept, string arrayName, int count, int threads,
        Action<Utf8JsonWriter, int> writeRecord, int maxCsvRowBytes, CsvRow writeCsv)
    {
        if (Accept(accept) == ContentTypes.Csv)
        {
            WriteCsv(output, count, maxCsvRowBytes, threads, writeCsv);
        }
        else
        {
            WriteJson(output, accept, arrayName, count, writeRecord);
        }
    }

    /// <summary>
    /// Writes rows [0, count) with <paramref name="writeRecord"/> (JSON) or <paramref name="writeCsv"/>
    /// (CSV, through the TextWriter). For callers that have not moved to <see cref="CsvRow"/>.
    /// </summary>
    public static void Write(TextWriter output, string accept, string arrayName, int count,
        Action<Utf8JsonWriter, int> writeRecord, Action<TextWriter, int> writeCsv)
    {
        if (Accept(accept) == ContentTypes.Csv)
        {
            for (var i = 0; i < count; i++)
            {
                writeCsv(output, i);
                output.Write('\n');
            }
        }
        else
        {
            WriteJson(output, accept, arrayName, count, writeRecord);
        }
    }

    /// <summary>
    /// CSV rows [0, count), one per line. Large responses are formatted in chunks of rows on
    /// <paramref name="threads"/> threads and written in order.
    /// </summary>
    public static void WriteCsv(TextWriter output, int count, int maxRowBytes, int threads, CsvRow writeRow)
    {
        var perRow = maxRowBytes + 1;
        var chunks = (count + ChunkRows - 1) / ChunkRows;
        // Each value is at most 16 bytes with its separator, so perRow / 16 bounds the values per row from above.
        var workers = Math.Min(chunks, Math.Max(1, threads));
        if (workers > 1 && (long)count * (perRow / 16 + 1) >= ParallelValues)
        {
            var blocks = new byte[chunks][];
            var lengths = new int[chunks];
            Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = workers }, c =>
            {
                var start = c * ChunkRows;
                var end = Math.Min(count, start + ChunkRows);
                var block = ArrayPool<byte>.Shared.Rent((end - start) * perRow);
                lengths[c] = FormatRows(writeRow, start, end, block);
                blocks[c] = block;
            });
            for (var c = 0; c < chunks; c++)
            {
                WriteBytes(output, blocks[c].AsSpan(0, lengths[c]));
                ArrayPool<byte>.Shared.Return(blocks[c]);
            }
            return;
        }
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(Block, perRow));
        var rowsPerBlock = buffer.Length / perRow;
        for (var start = 0; start < count; start += rowsPerBlock)
        {
            var length = FormatRows(writeRow, start, Math.Min(count, start + rowsPerBlock), buffer);
            WriteBytes(output, buffer.AsSpan(0, length));
        }
        ArrayPool<byte>.Shared.Return(buffer);
    }

    private static int FormatRows(CsvRow writeRow, int start, int end, byte[] buffer)
    {
        var at = 0;
        for (var i = start; i < end; i++)
        {
            at += writeRow(i, buffer.AsSpan(at));
            buffer[at++] = (byte)'\n';
        }
        return at;
    }

    /// <summary>
    /// <paramref name="v"/> in the round-trip ("R") format, invariant culture, as UTF-8: the text
    /// <see cref="F"/> returns. Returns the bytes written.
    /// </summary>
    public static int Float(float v, Span<byte> destination) =>
        ShortestFloat.TryWrite(v, destination, out var written) ? written : FloatR(v, destination);

    private static int FloatR(float v, Span<byte> destination)
    {
        v.TryFormat(destination, out var written, "R", CultureInfo.InvariantCulture);
        return written;
    }

    /// <summary><paramref name="v"/> in decimal, invariant culture, as UTF-8; returns the bytes written.</summary>
    public static int Int(int v, Span<byte> destination)
    {
        v.TryFormat(destination, out var written, default, CultureInfo.InvariantCulture);
        return written;
    }

    /// <summary>
    /// <paramref name="values"/> comma-separated at the start of <paramref name="destination"/>
    /// (<see cref="FloatBytes"/> + 1 bytes per value at most); returns the bytes written.
    /// </summary>
    public static int Floats(ReadOnlySpan<float> values, Span<byte> destination)
    {
        var at = 0;
        for (var c = 0; c < values.Length; c++)
        {
            if (c > 0)
            {
                destination[at++] = (byte)',';
            }
            at += Float(values[c], destination[at..]);
        }
        return at;
    }

    public static string F(float v) => v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>
    /// The response as JSON (one object holding the array) or JSON lines (one object per line),
    /// written by one Utf8JsonWriter into a pooled buffer that is written out every <see cref="Block"/> bytes.
    /// </summary>
    private static void WriteJson(TextWriter output, string accept, string arrayName, int count, Action<Utf8JsonWriter, int> writeRecord)
    {
        var buffer = new ArrayBufferWriter<byte>(Block + 4096);
        var lines = Accept(accept) == ContentTypes.JsonLines;
        using var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        if (!lines)
        {
            w.WriteStartObject();
            w.WriteStartArray(arrayName);
        }
        for (var i = 0; i < count; i++)
        {
            writeRecord(w, i);
            w.Flush();
            if (lines)
            {
                // Each line is a JSON document of its own: the writer starts again after the newline.
                buffer.GetSpan(1)[0] = (byte)'\n';
                buffer.Advance(1);
                w.Reset(buffer);
            }
            if (buffer.WrittenCount >= Block)
            {
                WriteBytes(output, buffer.WrittenSpan);
                buffer.ResetWrittenCount();
            }
        }
        if (!lines)
        {
            w.WriteEndArray();
            w.WriteEndObject();
            w.Flush();
            buffer.GetSpan(1)[0] = (byte)'\n';
            buffer.Advance(1);
        }
        WriteBytes(output, buffer.WrittenSpan);
    }

    /// <summary>
    /// Hands UTF-8 <paramref name="bytes"/> to <paramref name="output"/>: straight to the stream under
    /// a UTF-8 StreamWriter (after what it holds), otherwise decoded (a StringWriter in tests).
    /// </summary>
    private static void WriteBytes(TextWriter output, ReadOnlySpan<byte> bytes)
    {
        // UTF-8 recognised by its code page: naming UTF8Encoding loads the System.Text.Encoding.Extensions facade.
        if (output is StreamWriter stream && stream.Encoding.CodePage == Utf8CodePage)
        {
            stream.Flush();
            stream.BaseStream.Write(bytes);
        }
        else
        {
            output.Write(System.Text.Encoding.UTF8.GetString(bytes));
        }
    }
}

/// <summary>
/// The text float.ToString("R", InvariantCulture) gives, for 1e-3 ≤ |v| &lt; 1e9, computed in exact
/// double arithmetic: 1.5 to 3 ms of CoreLib's formatting went on california-housing's 12k projections,
/// much of it first-call cost. .NET's "R" is the shortest digit string that reads back as v (Grisu3, else
/// Dragon4), the closest to v among those (a tie to the even digit), written as "G" with 9 digits (plain
/// notation in this range). Here v·10^k, with k in [0, 11] chosen so that it lies in [1e8, 1e9), and the
/// bounds of v's rounding interval scaled alike are exact doubles (24 + 2 bits of mantissa times 5^k,
/// 5^11 &lt; 2^26), so every comparison is exact. Other values (0, -0, NaN, infinities, the tiny and the
/// huge) return false and go to CoreLib. ResponsesTests compares the two over many values.
/// </summary>
internal static class ShortestFloat
{
    /// <summary>Writes v as "R" would and returns true, or returns false (nothing written) outside 1e-3 ≤ |v| &lt; 1e9.</summary>
    public static bool TryWrite(float v, Span<byte> destination, out int written)
    {
        written = 0;
        var bits = BitConverter.SingleToInt32Bits(v);
        var a = (double)(v < 0 ? -v : v);
        if (!(a >= 1e-3 && a < 1e9) || destination.Length < Responses.FloatBytes)
        {
            return false;
        }
        // Half the gap to the next float up (2^(e-24) for v in [2^e, 2^(e+1))), built from the exponent
        // bits; half the gap down, which is half as wide at a power of two.
        var biased = (bits >> 23) & 0xFF;
        var half = BitConverter.Int64BitsToDouble((long)(biased - 151 + 1023) << 52);
        var halfDown = (bits & 0x7FFFFF) == 0 ? half / 2 : half;
        var value = a;
        var low = a - halfDown;
        var high = a + half;
        // Times ten until value is in [1e8, 1e9): each product stays exact (at most 26 + 26 bits).
        var k = 0;
        while (value < 1e8)
        {
            value *= 10;
            low *= 10;
            high *= 10;
            k++;
        }
        // Round-to-nearest-even reads the bounds themselves back as v when its mantissa is even.
        var inclusive = (bits & 1) == 0;
        // The widest power of ten with a multiple inside the interval (step 1 always has one: it is over 5 wide).
        var whole = (int)value;
        var step = 1;
        while (step < 100_000_000 && Inside(whole, step * 10, low, high, inclusive))
        {
            step *= 10;
        }
        var down = whole - whole % step;
        var up = down + step;
        var downInside = inclusive ? down >= low : down > low;
        var upInside = inclusive ? up <= high : up < high;
        int digits;
        if (downInside && upInside)
        {
            var below = value - down;
            var above = up - value;
            digits = below < above || (below == above && (down / step & 1) == 0) ? down : up;
        }
        else
        {
            digits = downInside ? down : up;
        }
        // digits · 10^-k: drop trailing zeros, count the digits.
        var exponent = -k;
        while (digits % 10 == 0)
        {
            digits /= 10;
            exponent++;
        }
        var count = 1;
        for (var bound = 10L; count < 10 && digits >= bound; bound *= 10)
        {
            count++;
        }
        var point = count + exponent; // the value is 0.d1d2… × 10^point
        if (point > 9)
        {
            return false;
        }
        var at = 0;
        if (bits < 0)
        {
            destination[at++] = (byte)'-';
        }
        if (point <= 0)
        {
            destination[at++] = (byte)'0';
            destination[at++] = (byte)'.';
            for (var z = point; z < 0; z++)
            {
                destination[at++] = (byte)'0';
            }
            WriteDigits(digits, destination.Slice(at, count));
            at += count;
        }
        else if (point >= count)
        {
            WriteDigits(digits, destination.Slice(at, count));
            at += count;
            for (var z = count; z < point; z++)
            {
                destination[at++] = (byte)'0';
            }
        }
        else
        {
            // Digits after the point first, from the right, then the point and the integer part.
            var fraction = count - point;
            var end = at + count + 1;
            for (var i = end - 1; i > end - 1 - fraction; i--)
            {
                destination[i] = (byte)('0' + digits % 10);
                digits /= 10;
            }
            destination[at + point] = (byte)'.';
            WriteDigits(digits, destination.Slice(at, point));
            at = end;
        }
        written = at;
        return true;
    }

    /// <summary>Whether the multiple of <paramref name="step"/> at or below the value, or the one above, lies in the interval.</summary>
    private static bool Inside(int whole, int step, double low, double high, bool inclusive)
    {
        var down = whole - whole % step;
        var up = down + step;
        return inclusive ? down >= low || up <= high : down > low || up < high;
    }

    /// <summary>n's last destination.Length decimal digits, leading zeros included.</summary>
    private static void WriteDigits(int n, Span<byte> destination)
    {
        for (var i = destination.Length - 1; i >= 0; i--)
        {
            destination[i] = (byte)('0' + n % 10);
            n /= 10;
        }
    }
}
