using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Kiln.ML.Trainers;
using Xunit;

namespace Kiln.ML.Tests;

/// <summary>
/// The byte-writing responses against the text the string-per-value code wrote before them:
/// float.ToString("R") joined with commas for CSV, a fresh Utf8JsonWriter per record for JSON lines.
/// </summary>
public class ResponsesTests
{
    private static readonly float[] Awkward =
    [
        0f, -0f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, float.Epsilon, -float.Epsilon, 1e-45f,
        float.MaxValue, float.MinValue, 3.4028235e38f, 0.1f, -0.1f, 1f, -1f, 2f, 100f, 16777216f, 16777217f,
        123456789f, 1e7f, 1e-7f, 1.17549435e-38f, -1.17549435e-38f, 1.0000001f, 0.3333333f, 238407.03f, -280.0068f,
    ];

    private static float[] Values(int rows, int columns)
    {
        var random = new Random(7);
        var values = new float[rows * columns];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = i < Awkward.Length ? Awkward[i] : (random.Next(4)) switch
            {
                0 => random.Next(-1000, 1000),
                1 => (float)(random.NextDouble() * 2 - 1),
                2 => BitConverter.Int32BitsToSingle(random.Next()),
                _ => -BitConverter.Int32BitsToSingle(random.Next()),
            };
        }
        return values;
    }

    private static string OldCsv(float[] values, int rows, int columns)
    {
        var text = new StringBuilder();
        for (var i = 0; i < rows; i++)
        {
            text.Append(string.Join(',', values.AsSpan(i * columns, columns).ToArray().Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
            text.Append('\n');
        }
        return text.ToString();
    }

    private static string Csv(float[] values, int rows, int columns, int threads, bool stream)
    {
        Responses.CsvRow row = (i, text) => Responses.Floats(new ReadOnlySpan<float>(values, i * columns, columns), text);
        if (!stream)
        {
            var w = new StringWriter();
            Responses.Write(w, "text/csv", "predictions", rows, threads, (_, _) => throw new InvalidOperationException(),
                columns * (Responses.FloatBytes + 1), row);
            return w.ToString();
        }
        var bytes = new MemoryStream();
        using (var s = new StreamWriter(bytes, new UTF8Encoding(false), 1 << 16))
        {
            s.Write("x");
            Responses.Write(s, "text/csv", "predictions", rows, threads, (_, _) => throw new InvalidOperationException(),
                columns * (Responses.FloatBytes + 1), row);
            s.Write("y");
        }
        var all = Encoding.UTF8.GetString(bytes.ToArray());
        Assert.StartsWith("x", all);
        Assert.EndsWith("y", all);
        return all[1..^1];
    }

    [Theory]
    [InlineData(0, 3, 1)]
    [InlineData(1, 1, 1)]
    [InlineData(10, 3, 2)]
    [InlineData(4128, 1, 2)]
    [InlineData(5000, 13, 1)]
    [InlineData(70_000, 3, 2)] // above the parallel threshold: chunks formatted on two threads
    [InlineData(300_000, 1, 2)]
    public void Csv_IsByteIdenticalToRoundTripStrings(int rows, int columns, int threads)
    {
        var values = Values(rows, columns);
        var expected = OldCsv(values, rows, columns);
        Assert.Equal(expected, Csv(values, rows, columns, threads, stream: false));
        Assert.Equal(expected, Csv(values, rows, columns, threads, stream: true));
    }

    [Fact]
    public void Float_WritesWhatFWrites_WithinFloatBytes()
    {
        var buffer = new byte[Responses.FloatBytes];
        foreach (var v in Values(20_000, 1))
        {
            var n = Responses.Float(v, buffer);
            Assert.Equal(Responses.F(v), Encoding.ASCII.GetString(buffer, 0, n));
        }
        var ints = new byte[Responses.IntBytes];
        foreach (var v in new[] { 0, 1, -1, 9, 10, int.MaxValue, int.MinValue })
        {
            Assert.Equal(v.ToString(CultureInfo.InvariantCulture), Encoding.ASCII.GetString(ints, 0, Responses.Int(v, ints)));
        }
    }

    /// <summary>
    /// Floats for the shortest-digits path: random bit patterns over its range 1e-3 ≤ |v| &lt; 1e9 (binary
    /// exponents -10 to 29), the neighbours of every power of two there (the interval is lopsided at one)
    /// and of powers of ten and the range's ends, integers, halves and short decimals.
    /// </summary>
    private static IEnumerable<float> ShortestCandidates()
    {
        var random = new Random(11);
        for (var i = 0; i < 1_000_000; i++)
        {
            var exponent = random.Next(127 - 11, 127 + 31);
            var v = BitConverter.Int32BitsToSingle((exponent << 23) | random.Next(1 << 23));
            yield return random.Next(2) == 0 ? v : -v;
        }
        var centres = new List<float>();
        for (var e = -12; e <= 31; e++)
        {
            centres.Add(MathF.ScaleB(1f, e));
        }
        for (var p = -4; p <= 9; p++)
        {
            centres.Add((float)Math.Pow(10, p));
        }
        centres.AddRange([1e-3f, 1e9f, 999999940f, 123456789f, 16777216f, 0.1f, 0.3f]);
        foreach (var c in centres)
        {
            var bits = BitConverter.SingleToInt32Bits(c);
            for (var d = -4; d <= 4; d++)
            {
                yield return BitConverter.Int32BitsToSingle(bits + d);
                yield return -BitConverter.Int32BitsToSingle(bits + d);
            }
        }
        for (var n = 0; n < 200_000; n++)
        {
            yield return n;
            yield return n + 0.5f;
            yield return -n - 0.25f;
            yield return n / 1000f;
            yield return random.Next(1_000_000_000) / (float)Math.Pow(10, random.Next(12));
        }
    }

    [Fact]
    public void Float_ShortestDigits_AreTheRoundTripStringsInItsRange()
    {
        var buffer = new byte[Responses.FloatBytes];
        var fast = 0;
        foreach (var v in ShortestCandidates())
        {
            var expected = v.ToString("R", CultureInfo.InvariantCulture);
            var inRange = Math.Abs(v) >= 1e-3 && Math.Abs(v) < 1e9;
            Assert.True(ShortestFloat.TryWrite(v, buffer, out var n) == inRange, $"{expected}: fast path taken = {!inRange}");
            if (inRange)
            {
                fast++;
                Assert.Equal(expected, Encoding.ASCII.GetString(buffer, 0, n));
            }
            Assert.Equal(expected, Encoding.ASCII.GetString(buffer, 0, Responses.Float(v, buffer)));
        }
        Assert.True(fast > 1_000_000);
    }

    [Fact]
    public void Float_OutsideTheShortestRange_IsCoreLibsText()
    {
        var buffer = new byte[Responses.FloatBytes];
        float[] outside = [0f, -0f, float.NaN, -float.NaN, float.PositiveInfinity, float.NegativeInfinity, float.Epsilon, -float.Epsilon,
            float.MaxValue, float.MinValue, 1.17549435e-38f, 9.99e-4f, -9.99e-4f, 1e-5f, 1.0000001e9f, 3e10f, -1e20f];
        foreach (var v in outside)
        {
            Assert.False(ShortestFloat.TryWrite(v, buffer, out _));
            Assert.Equal(v.ToString("R", CultureInfo.InvariantCulture), Encoding.ASCII.GetString(buffer, 0, Responses.Float(v, buffer)));
        }
    }

    private static string OldJson(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            write(w);
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    [Theory]
    [InlineData("application/json", 0)]
    [InlineData("application/json", 3)]
    [InlineData("application/jsonlines", 0)]
    [InlineData("application/jsonlines", 3)]
    [InlineData("application/json", 20_000)]
    [InlineData("application/jsonlines", 20_000)]
    public void Json_IsTheTextOfOneWriterPerResponseOrLine(string accept, int rows)
    {
        // JSON cannot carry NaN or infinities: finite values only.
        var values = Values(rows * 3 + Awkward.Length, 1).Where(float.IsFinite).Take(rows * 2).ToArray();
        Action<Utf8JsonWriter, int> record = (w, i) =>
        {
            w.WriteStartObject();
            w.WriteNumber("score", values[2 * i]);
            w.WriteStartArray("projection");
            w.WriteNumberValue(values[2 * i + 1]);
            w.WriteEndArray();
            w.WriteString("label", "é\"<");
            w.WriteEndObject();
        };
        var expected = new StringBuilder();
        if (accept == "application/json")
        {
            expected.Append(OldJson(w =>
            {
                w.WriteStartObject();
                w.WriteStartArray("predictions");
                for (var i = 0; i < rows; i++)
                {
                    record(w, i);
                }
                w.WriteEndArray();
                w.WriteEndObject();
            })).Append('\n');
        }
        else
        {
            for (var i = 0; i < rows; i++)
            {
                expected.Append(OldJson(w => record(w, i))).Append('\n');
            }
        }
        var text = new StringWriter();
        Responses.Write(text, accept, "predictions", rows, 1, record, 0, (_, _) => throw new InvalidOperationException());
        Assert.Equal(expected.ToString(), text.ToString());
        var bytes = new MemoryStream();
        using (var s = new StreamWriter(bytes, new UTF8Encoding(false)))
        {
            Responses.Write(s, accept, "predictions", rows, 2, record, 0, (_, _) => throw new InvalidOperationException());
        }
        Assert.Equal(expected.ToString(), Encoding.UTF8.GetString(bytes.ToArray()));
    }
}
