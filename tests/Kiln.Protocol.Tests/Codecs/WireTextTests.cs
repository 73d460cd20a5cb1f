using Kiln.Core.Shapes;
using Kiln.Protocol.Errors;
using Kiln.Protocol.Routing;

namespace Kiln.Protocol.Tests.Codecs;

public sealed class WireTextTests
{
    private static readonly DateTimeOffset Moment = new(2026, 11, 21, 4, 2, 43, 123, TimeSpan.Zero);

    [Theory]
    [InlineData("iso8601", "2026-11-21T04:02:43.123Z")]
    [InlineData("rfc822", "Sat, 21 Nov 2026 04:02:43 GMT")]
    [InlineData("unixTimestamp", "1795233763.123")]
    public void FormatTimestamp_EachFormat(string format, string expected) =>
        Assert.Equal(expected, WireText.FormatTimestamp(Moment, format));

    [Fact]
    public void FormatTimestamp_OffsetIsConvertedToUtc() =>
        Assert.Equal("2026-11-21T04:02:43.123Z", WireText.FormatTimestamp(Moment.ToOffset(TimeSpan.FromHours(5.5)), "iso8601"));

    [Theory]
    [InlineData(1795233763000L, "1795233763")]
    [InlineData(1795233763100L, "1795233763.1")]
    [InlineData(1795233763010L, "1795233763.01")]
    [InlineData(-1500L, "-1.5")]
    [InlineData(0L, "0")]
    public void FormatEpochSeconds_FractionOnlyWhenPresent(long ms, string expected) =>
        Assert.Equal(expected, WireText.FormatEpochSeconds(DateTimeOffset.FromUnixTimeMilliseconds(ms)));

    [Theory]
    [InlineData("2026-11-21T04:02:43Z", 0)]
    [InlineData("2026-11-21T04:02:43.123Z", 123)]
    [InlineData("2026-11-21T04:02:43.123+00:00", 123)]
    [InlineData("2026-11-21T09:32:43.123+05:30", 123)]
    [InlineData("Sat, 21 Nov 2026 04:02:43 GMT", 0)]
    [InlineData("1795233763", 0)]
    [InlineData("1795233763.123", 123)]
    [InlineData(" 2026-11-21T04:02:43Z ", 0)]
    public void TryParseTimestamp_AcceptsIsoRfc822AndEpoch(string text, int ms)
    {
        Assert.True(WireText.TryParseTimestamp(text, out var value));
        Assert.Equal(new DateTimeOffset(2026, 11, 21, 4, 2, 43, ms, TimeSpan.Zero), value);
    }

    [Fact]
    public void TryParseTimestamp_KeepsSubMillisecondPrecision()
    {
        Assert.True(WireText.TryParseTimestamp("2026-11-21T04:02:43.123456Z", out var value));
        Assert.Equal(new DateTimeOffset(2026, 11, 21, 4, 2, 43, 123, 456, TimeSpan.Zero), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("tomorrow")]
    [InlineData("2026-13-45T99:99:99Z")]
    [InlineData("1e400")]
    public void TryParseTimestamp_RejectsGarbage(string text) => Assert.False(WireText.TryParseTimestamp(text, out _));

    [Theory]
    [InlineData(ShapeType.Integer, "42", 42)]
    [InlineData(ShapeType.Integer, "-7", -7)]
    [InlineData(ShapeType.Long, "9007199254740993", 9007199254740993L)]
    [InlineData(ShapeType.Boolean, "TRUE", true)]
    [InlineData(ShapeType.Double, "1.5e3", 1500d)]
    [InlineData(ShapeType.Float, "0.25", 0.25f)]
    public void TryParseScalar_Valid(ShapeType type, string text, object expected)
    {
        Assert.True(WireText.TryParseScalar(text, new ShapeInfo("x", type), out var value));
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData(ShapeType.Integer, "4.2")]
    [InlineData(ShapeType.Integer, "1,000")]
    [InlineData(ShapeType.Integer, "2147483648")]
    [InlineData(ShapeType.Boolean, "1")]
    [InlineData(ShapeType.Double, "1,5")]
    [InlineData(ShapeType.Blob, "abc")]
    [InlineData(ShapeType.Timestamp, "yesterday")]
    public void TryParseScalar_Invalid(ShapeType type, string text) =>
        Assert.False(WireText.TryParseScalar(text, new ShapeInfo("x", type), out _));

    [Fact]
    public void TryParseScalar_NonFiniteDoubles()
    {
        Assert.True(WireText.TryParseScalar("NaN", new ShapeInfo("x", ShapeType.Double), out var nan));
        Assert.True(double.IsNaN((double)nan!));
        Assert.True(WireText.TryParseScalar("-Infinity", new ShapeInfo("x", ShapeType.Double), out var inf));
        Assert.Equal(double.NegativeInfinity, inf);
        Assert.Equal("Infinity", WireText.FormatDouble(double.PositiveInfinity));
        Assert.Equal("0.1", WireText.FormatDouble(0.1));
    }

    [Fact]
    public void RequestIdHeaders_PerProtocol()
    {
        var s3 = Http.Response();
        RequestIdHeaders.Write(s3, "rest-xml", "R1");
        Assert.Equal("R1", s3.Headers["x-amz-request-id"].ToString());
        Assert.Equal(RequestIdHeaders.HostIdFor("R1"), s3.Headers["x-amz-id-2"].ToString());
        Assert.False(s3.Headers.ContainsKey("x-amzn-RequestId"));
        foreach (var protocol in new[] { "json", "rest-json", "query" })
        {
            var response = Http.Response();
            RequestIdHeaders.Write(response, protocol, "R2");
            Assert.Equal("R2", response.Headers["x-amzn-RequestId"].ToString());
            Assert.False(response.Headers.ContainsKey("x-amz-request-id"));
        }
    }

    [Fact]
    public void ErrorStatus_OverrideThenModelThenFault()
    {
        var iam = BotocoreModel.Load("iam");
        Assert.Equal(409, ErrorStatus.Resolve(iam, new Kiln.Core.Errors.AwsException("NoSuchEntity", "m", 409)));
        Assert.Equal(404, ErrorStatus.Resolve(iam, new Kiln.Core.Errors.AwsException("NoSuchEntity", "m")));
        Assert.Equal(400, ErrorStatus.Resolve(iam, new Kiln.Core.Errors.AwsException("Whatever", "m")));
        Assert.Equal(500, ErrorStatus.Resolve(null, new Kiln.Core.Errors.AwsException("Whatever", "m") { SenderFault = false }));
    }

    [Theory]
    [InlineData("rest-xml", "InternalError")]
    [InlineData("json", "InternalFailure")]
    [InlineData("query", "InternalFailure")]
    public void ProtocolErrors_Internal_IsAServerFault(string protocol, string code)
    {
        var e = ProtocolErrors.Internal(protocol);
        Assert.Equal(code, e.Code);
        Assert.Equal(500, e.StatusCode);
        Assert.False(e.SenderFault);
    }
}
