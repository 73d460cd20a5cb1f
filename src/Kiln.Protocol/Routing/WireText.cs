using System.Buffers.Text;
using System.Globalization;
using Kiln.Core.Shapes;

namespace Kiln.Protocol.Routing;

/// <summary>Text forms of scalar values shared by every codec: header values, query-string and
/// form values, XML text. Everything here is culture-invariant.</summary>
/// <remarks>Timestamp formats follow botocore: <c>iso8601</c> (query/XML bodies and query strings),
/// <c>rfc822</c> (HTTP headers), <c>unixTimestamp</c> (JSON bodies). Parsing accepts all three
/// whatever the expected format, because SDKs differ: botocore sends whole epoch seconds in JSON,
/// the Java and .NET SDKs send fractional seconds, and some tools send ISO strings.</remarks>
public static class WireText
{
    public const string Iso8601 = "iso8601";
    public const string Rfc822 = "rfc822";
    public const string UnixTimestamp = "unixTimestamp";

    private static readonly string[] IsoFormats =
    [
        "yyyy-MM-dd'T'HH:mm:ssK",
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK",
        "yyyy-MM-dd'T'HH:mm:ss",
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF",
    ];

    /// <summary>The timestamp format a member uses: its own trait, its shape's, else the default of
    /// where it travels.</summary>
    public static string TimestampFormatOf(MemberInfo member, string locationDefault) =>
        member.TimestampFormat ?? member.Shape.TimestampFormat ?? locationDefault;

    /// <summary>AWS writes ISO 8601 in XML with milliseconds (<c>2026-11-21T04:02:43.123Z</c>);
    /// botocore's parser accepts it with or without the fraction.</summary>
    public static string FormatTimestamp(DateTimeOffset value, string format)
    {
        var utc = value.ToUniversalTime();
        if (string.Equals(format, Rfc822, StringComparison.OrdinalIgnoreCase))
        {
            return utc.ToString("r", CultureInfo.InvariantCulture);
        }

        if (string.Equals(format, UnixTimestamp, StringComparison.OrdinalIgnoreCase))
        {
            return FormatEpochSeconds(utc);
        }

        return utc.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
    }

    /// <summary>Epoch seconds, with a millisecond fraction only when there is one
    /// (<c>1763697763</c>, <c>1763697763.12</c>).</summary>
    public static string FormatEpochSeconds(DateTimeOffset value)
    {
        var ms = value.ToUnixTimeMilliseconds();
        var sign = ms < 0 ? "-" : "";
        var seconds = Math.DivRem(Math.Abs(ms), 1000, out var fraction);
        if (fraction == 0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{sign}{seconds}");
        }

        return string.Create(CultureInfo.InvariantCulture, $"{sign}{seconds}.{fraction:000}").TrimEnd('0');
    }

    /// <summary>Epoch seconds (possibly fractional) to a timestamp, at millisecond precision.</summary>
    public static bool TryFromEpochSeconds(double seconds, out DateTimeOffset value)
    {
        value = default;
        if (double.IsNaN(seconds) || double.IsInfinity(seconds))
        {
            return false;
        }

        var ms = Math.Round(seconds * 1000d, MidpointRounding.AwayFromZero);
        if (ms < -62135596800000d || ms > 253402300799999d)
        {
            return false;
        }

        value = DateTimeOffset.FromUnixTimeMilliseconds((long)ms);
        return true;
    }

    /// <summary>Parses epoch seconds, ISO 8601 or RFC 822/1123 into a UTC timestamp.</summary>
    public static bool TryParseTimestamp(string text, out DateTimeOffset value)
    {
        var s = text.AsSpan().Trim();
        value = default;
        if (s.IsEmpty)
        {
            return false;
        }

        if (char.IsAsciiDigit(s[0]) || s[0] == '-')
        {
            if (double.TryParse(s, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint,
                    CultureInfo.InvariantCulture, out var seconds) && s.IndexOfAny('-', ':') <= 0)
            {
                return TryFromEpochSeconds(seconds, out value);
            }

            if (DateTimeOffset.TryParseExact(s, IsoFormats, CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value))
            {
                return true;
            }
        }

        return DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value);
    }

    /// <summary>The text form of a scalar value (header, query string, XML text).</summary>
    public static string FormatScalar(object value, ShapeInfo shape, string timestampFormat) => value switch
    {
        string s => s,
        bool b => b ? "true" : "false",
        int i => i.ToString(CultureInfo.InvariantCulture),
        long l => l.ToString(CultureInfo.InvariantCulture),
        float f => FormatFloat(f),
        double d => FormatDouble(d),
        DateTimeOffset t => FormatTimestamp(t, timestampFormat),
        DateTime t => FormatTimestamp(new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)), timestampFormat),
        byte[] bytes => Convert.ToBase64String(bytes),
        ReadOnlyMemory<byte> bytes => Convert.ToBase64String(bytes.Span),
        _ => throw new InvalidOperationException(
            $"A value of type {value.GetType().Name} cannot be written as shape {shape.Name} ({shape.Type})."),
    };

    /// <summary>Smithy's non-finite spellings (<c>NaN</c>, <c>Infinity</c>, <c>-Infinity</c>).</summary>
    public static string FormatDouble(double d) =>
        double.IsNaN(d) ? "NaN"
        : double.IsPositiveInfinity(d) ? "Infinity"
        : double.IsNegativeInfinity(d) ? "-Infinity"
        : d.ToString("R", CultureInfo.InvariantCulture);

    public static string FormatFloat(float f) =>
        float.IsNaN(f) ? "NaN"
        : float.IsPositiveInfinity(f) ? "Infinity"
        : float.IsNegativeInfinity(f) ? "-Infinity"
        : f.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Parses the text form of a scalar of <paramref name="shape"/>'s type. False when the
    /// text is not a valid value (the caller raises its protocol's error).</summary>
    public static bool TryParseScalar(string text, ShapeInfo shape, out object? value)
    {
        value = null;
        switch (shape.Type)
        {
            case ShapeType.String:
                value = text;
                return true;
            case ShapeType.Boolean:
                if (text.Equals("true", StringComparison.OrdinalIgnoreCase))
                {
                    value = true;
                    return true;
                }

                if (text.Equals("false", StringComparison.OrdinalIgnoreCase))
                {
                    value = false;
                    return true;
                }

                return false;
            case ShapeType.Integer:
                if (int.TryParse(text.AsSpan().Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i))
                {
                    value = i;
                    return true;
                }

                return false;
            case ShapeType.Long:
                if (long.TryParse(text.AsSpan().Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
                {
                    value = l;
                    return true;
                }

                return false;
            case ShapeType.Float:
                if (TryParseDouble(text, out var f))
                {
                    value = (float)f;
                    return true;
                }

                return false;
            case ShapeType.Double:
                if (TryParseDouble(text, out var d))
                {
                    value = d;
                    return true;
                }

                return false;
            case ShapeType.Timestamp:
                if (TryParseTimestamp(text, out var t))
                {
                    value = t;
                    return true;
                }

                return false;
            case ShapeType.Blob:
                if (TryFromBase64(text, out var bytes))
                {
                    value = bytes;
                    return true;
                }

                return false;
            default:
                return false;
        }
    }

    public static bool TryParseDouble(string text, out double value)
    {
        var s = text.AsSpan().Trim();
        switch (s)
        {
            case "NaN":
                value = double.NaN;
                return true;
            case "Infinity":
                value = double.PositiveInfinity;
                return true;
            case "-Infinity":
                value = double.NegativeInfinity;
                return true;
        }

        return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);
    }

    /// <summary>Strict base64 (padding optional is not accepted: AWS SDKs always pad).</summary>
    public static bool TryFromBase64(string text, out byte[] bytes)
    {
        var s = text.AsSpan().Trim();
        if (s.IsEmpty)
        {
            bytes = [];
            return true;
        }

        if (!Base64.IsValid(s, out var length))
        {
            bytes = [];
            return false;
        }

        bytes = new byte[length];
        return Convert.TryFromBase64Chars(s, bytes, out _);
    }
}
