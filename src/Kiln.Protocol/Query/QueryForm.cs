using System.Buffers;
using System.Text;
using Kiln.Protocol.Errors;

namespace Kiln.Protocol.Query;

/// <summary>The flat key/value parameters of a query-protocol request, from the
/// <c>application/x-www-form-urlencoded</c> body and the URL query string together. The shape walk
/// asks "is there anything under this prefix" (<c>A.member.1</c> for <c>A.member.1.B</c>) by a
/// binary search over the sorted keys, so no prefix strings are built and a hostile key with
/// thousands of dots costs nothing; keys nested deeper than <see cref="MaxKeyDepth"/> segments are
/// refused outright, which also bounds the walk over recursive shapes.
/// Decoding is strict: a <c>%</c> not followed by two hex digits, or bytes that are not UTF-8, is
/// <c>MalformedQueryString</c>.</summary>
internal sealed class QueryForm
{
    /// <summary>Far deeper than any AWS query parameter (SQS's deepest has 7 segments).</summary>
    public const int MaxKeyDepth = 32;

    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private string[] _sortedKeys = [];

    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    public int Count => _values.Count;

    public bool TryGetValue(string key, out string value) => _values.TryGetValue(key, out value!);

    /// <summary>True when <paramref name="keyOrPrefix"/> is a key or some key continues it with a dot.</summary>
    public bool Has(string keyOrPrefix)
    {
        if (_values.ContainsKey(keyOrPrefix))
        {
            return true;
        }

        var prefix = keyOrPrefix + ".";
        var i = Array.BinarySearch(_sortedKeys, prefix, StringComparer.Ordinal);
        if (i < 0)
        {
            i = ~i;
        }

        return i < _sortedKeys.Length && _sortedKeys[i].StartsWith(prefix, StringComparison.Ordinal);
    }

    public static QueryForm Parse(ReadOnlySpan<byte> body, string? queryString)
    {
        var form = new QueryForm();
        if (!string.IsNullOrEmpty(queryString))
        {
            var q = queryString.AsSpan();
            if (q[0] == '?')
            {
                q = q[1..];
            }

            var bytes = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(q.Length));
            try
            {
                var n = Encoding.UTF8.GetBytes(q, bytes);
                form.AddAll(bytes.AsSpan(0, n));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(bytes);
            }
        }

        form.AddAll(body);
        form._sortedKeys = [.. form._values.Keys];
        Array.Sort(form._sortedKeys, StringComparer.Ordinal);
        return form;
    }

    private void AddAll(ReadOnlySpan<byte> text)
    {
        while (!text.IsEmpty)
        {
            var amp = text.IndexOf((byte)'&');
            var pair = amp < 0 ? text : text[..amp];
            text = amp < 0 ? default : text[(amp + 1)..];
            if (pair.IsEmpty)
            {
                continue;
            }

            var eq = pair.IndexOf((byte)'=');
            var key = Decode(eq < 0 ? pair : pair[..eq]);
            var value = eq < 0 ? "" : Decode(pair[(eq + 1)..]);
            Add(key, value);
        }
    }

    private void Add(string key, string value)
    {
        if (key.AsSpan().Count('.') >= MaxKeyDepth)
        {
            throw ProtocolErrors.MalformedQueryString($"A parameter name nests deeper than {MaxKeyDepth} levels.");
        }

        _values[key] = value;
    }

    private static string Decode(ReadOnlySpan<byte> encoded)
    {
        if (encoded.IndexOfAny((byte)'%', (byte)'+') < 0)
        {
            return Utf8(encoded);
        }

        var rented = ArrayPool<byte>.Shared.Rent(encoded.Length);
        try
        {
            var n = 0;
            for (var i = 0; i < encoded.Length; i++)
            {
                var b = encoded[i];
                if (b == '+')
                {
                    rented[n++] = (byte)' ';
                }
                else if (b == '%')
                {
                    if (i + 2 >= encoded.Length || !IsHex(encoded[i + 1]) || !IsHex(encoded[i + 2]))
                    {
                        throw ProtocolErrors.MalformedQueryString(
                            "The request contains a percent sign that is not followed by two hexadecimal digits.");
                    }

                    rented[n++] = (byte)((HexValue(encoded[i + 1]) << 4) | HexValue(encoded[i + 2]));
                    i += 2;
                }
                else
                {
                    rented[n++] = b;
                }
            }

            return Utf8(rented.AsSpan(0, n));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static string Utf8(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw ProtocolErrors.MalformedQueryString("The request contains bytes that are not valid UTF-8.");
        }
    }

    private static bool IsHex(byte b) => char.IsAsciiHexDigit((char)b);

    private static int HexValue(byte b) => b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10;
}
