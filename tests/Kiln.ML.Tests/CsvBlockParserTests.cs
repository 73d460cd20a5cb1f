using System.Globalization;
using System.Text;
using Kiln.ML.Data;
using Kiln.ML.Kernels;

namespace Kiln.ML.Tests;

/// <summary>The block-parallel CSV reader against DataReader/CsvReader, its reference.</summary>
public sealed class CsvBlockParserTests
{
    [Fact]
    public void FloatParser_FastPath_EqualsFloatParse()
    {
        var rng = new Random(1);
        for (var n = 0; n < 200_000; n++)
        {
            var digits = rng.Next(1, 8);
            var mantissa = rng.NextInt64((long)Math.Pow(10, digits));
            var text = mantissa.ToString(CultureInfo.InvariantCulture);
            var point = rng.Next(-1, text.Length + 1);
            if (point >= 0)
            {
                text = text[..point] + "." + text[point..];
            }
            if (rng.Next(3) == 0)
            {
                text = "-" + text;
            }
            if (text.Trim('-') == ".")
            {
                continue;
            }
            Assert.True(FloatParser.TryParseSimple(Encoding.UTF8.GetBytes(text), out var fast), text);
            Assert.Equal(BitConverter.SingleToInt32Bits(float.Parse(text, CultureInfo.InvariantCulture)), BitConverter.SingleToInt32Bits(fast));
        }
    }

    [Theory]
    [InlineData("1e5")]
    [InlineData("123456789")]
    [InlineData("0.000000000001")]
    [InlineData("NaN")]
    [InlineData("-Infinity")]
    [InlineData("16777217")]
    public void FloatParser_NotSimple_FallsBackToFloatParse(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        Assert.False(FloatParser.TryParseSimple(bytes, out _));
        Assert.True(FloatParser.TryParse(bytes, out var value));
        Assert.Equal(float.Parse(text, CultureInfo.InvariantCulture), value);
    }

    private static void AssertSame(Dataset expected, Dataset actual)
    {
        Assert.Equal(expected.Rows, actual.Rows);
        Assert.Equal(expected.Cols, actual.Cols);
        Assert.Equal(expected.Labels, actual.Labels);
        var e = expected.Features.Data.ToArray().Select(BitConverter.SingleToInt32Bits);
        var a = actual.Features.Data.ToArray().Select(BitConverter.SingleToInt32Bits);
        Assert.Equal(e, a);
    }

    [Theory]
    [InlineData("1,2,3\n4,5,6\n", true)]
    [InlineData("1,2,3\r\n4,5,6\r\n", true)]
    [InlineData("\n  \n1, 2 ,3\n\n4,,6", true)]
    [InlineData("0,1e-3,-2.5E+4,NaN\n1,.5,5.,-0\n", true)]
    [InlineData("7\n8\n9\n", false)]
    [InlineData("1,0.1234567,123456789012,0.30000001192092896\n", true)]
    public void Read_ValidText_MatchesDataReader(string text, bool hasLabel)
    {
        using var dir = new TempDir();
        var path = dir.File("x.csv", text);
        AssertSame(DataReader.ReadAll(path, "text/csv", hasLabel), CsvBlockParser.ReadAll(path, hasLabel, threads: 2));
    }

    [Fact]
    public void Read_SeveralBlocks_MatchesDataReader()
    {
        using var dir = new TempDir();
        var rng = new Random(2);
        var sb = new StringBuilder();
        for (var i = 0; i < 150_000; i++)
        {
            sb.Append(i % 2).Append(',').Append(rng.Next(100_000)).Append(',').Append((rng.NextDouble() * 100).ToString("F3", CultureInfo.InvariantCulture))
                .Append(',').Append(i % 97 == 0 ? "" : "3.25").Append(',').Append(rng.NextDouble().ToString("R", CultureInfo.InvariantCulture)).Append('\n');
            if (i % 10_000 == 0)
            {
                sb.Append('\n');
            }
        }
        var path = dir.File("big.csv", sb.ToString());
        Assert.True(new FileInfo(path).Length > 5 << 20);
        AssertSame(DataReader.ReadAll(path, "text/csv", true), CsvBlockParser.ReadAll(path, true, threads: 2));
    }

    [Theory]
    [InlineData("1,2\n3,4,5\n")]
    [InlineData("1,2,3\n3,4\n")]
    [InlineData("1,2\n\n3,x\n")]
    [InlineData("1,2\n,4\n")]
    [InlineData("1\n")]
    [InlineData("\n\n")]
    public void Read_Malformed_SameErrorAsDataReader(string text)
    {
        using var dir = new TempDir();
        var path = dir.File("bad.csv", text);
        var expected = Assert.Throws<DataFormatException>(() => DataReader.ReadAll(path, "text/csv", true));
        var actual = Assert.Throws<DataFormatException>(() => CsvBlockParser.ReadAll(path, true, threads: 2));
        Assert.Equal(expected.Message, actual.Message);
    }
}
