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
    public static int Float(float v, Span<byte> destination)
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
        if (output is StreamWriter { Encoding: System.Text.UTF8Encoding } stream)
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
