using System.Buffers;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Kiln.Protocol.SigV4;

/// <summary>One query parameter with name and value in canonical (RFC 3986) encoding.</summary>
internal readonly record struct QueryPair(string Name, string Value);

/// <summary>Builds the SigV4 canonical request exactly as AWS defines it:
/// <code>
/// METHOD \n CanonicalURI \n CanonicalQuery \n (name:value\n)* \n SignedHeaders \n PayloadHash
/// </code>
/// Canonical URI: for S3 the path exactly as sent (S3 signers neither normalise nor re-encode);
/// for every other service the path with dot segments and empty segments removed, then each
/// segment URI-encoded again, so <c>my%3Afunc</c> signs as <c>my%253Afunc</c> (botocore
/// <c>SigV4Auth._normalize_url_path</c>, the .NET SDK's double encoding for non-S3).
/// Canonical query: every parameter decoded and re-encoded per RFC 3986, sorted by encoded name
/// then value, <c>key=</c> for empty values. Canonical headers: lowercased names in SignedHeaders
/// order, values trimmed with inner whitespace runs collapsed, repeated headers joined by commas.</summary>
internal static class CanonicalRequest
{
    private static readonly QueryPairComparer Comparer = new();

    /// <summary>The request target as the client sent it (Kestrel's raw target), split at '?'.</summary>
    public static ReadOnlySpan<char> Target(HttpRequest request, out ReadOnlySpan<char> query)
    {
        var raw = request.HttpContext.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(raw))
        {
            raw = (request.PathBase + request.Path).ToUriComponent() + request.QueryString.ToUriComponent();
        }

        var target = raw.AsSpan();
        if (!target.StartsWith('/'))
        {
            // Absolute form (a proxy's "http://host/path"): keep the path.
            var scheme = target.IndexOf("://", StringComparison.Ordinal);
            var slash = scheme < 0 ? -1 : target[(scheme + 3)..].IndexOf('/');
            target = slash < 0 ? "/" : target[(scheme + 3 + slash)..];
        }

        var mark = target.IndexOf('?');
        query = mark < 0 ? default : target[(mark + 1)..];
        return mark < 0 ? target : target[..mark];
    }

    /// <summary>Parses a raw query string into canonical pairs, sorted. <paramref name="presigned"/>
    /// leaves X-Amz-Signature out: the signature cannot sign itself.</summary>
    public static QueryPair[] ParseQuery(ReadOnlySpan<char> query, bool presigned)
    {
        if (query.IsEmpty)
        {
            return [];
        }

        var pairs = new QueryPair[query.Count('&') + 1];
        var count = 0;
        foreach (var range in query.Split('&'))
        {
            var piece = query[range];
            if (piece.IsEmpty)
            {
                continue;
            }

            var equals = piece.IndexOf('=');
            var name = Encode(equals < 0 ? piece : piece[..equals]);
            if (presigned && name == SigV4Strings.QuerySignature)
            {
                continue;
            }

            pairs[count++] = new QueryPair(name, equals < 0 ? "" : Encode(piece[(equals + 1)..]));
        }

        if (count != pairs.Length)
        {
            Array.Resize(ref pairs, count);
        }

        Array.Sort(pairs, Comparer);
        return pairs;
    }

    /// <summary>Writes the canonical request for the given parts into <paramref name="buffer"/>.</summary>
    public static void Write(ref PooledBytes buffer, string method, ReadOnlySpan<char> path, bool s3,
        ReadOnlySpan<QueryPair> query, IHeaderDictionary headers, string signedHeaders, string payloadHash)
    {
        foreach (var c in method)
        {
            buffer.Append((byte)char.ToUpperInvariant(c));
        }

        buffer.Append((byte)'\n');
        if (path.IsEmpty)
        {
            buffer.Append((byte)'/');
        }
        else if (s3)
        {
            buffer.AppendUtf8(path);
        }
        else
        {
            WriteNormalizedPath(ref buffer, path);
        }

        buffer.Append((byte)'\n');
        for (var i = 0; i < query.Length; i++)
        {
            if (i > 0)
            {
                buffer.Append((byte)'&');
            }

            buffer.AppendUtf8(query[i].Name);
            buffer.Append((byte)'=');
            buffer.AppendUtf8(query[i].Value);
        }

        buffer.Append((byte)'\n');
        var names = signedHeaders.AsSpan();
        foreach (var range in names.Split(';'))
        {
            var name = names[range];
            foreach (var c in name)
            {
                buffer.Append((byte)char.ToLowerInvariant(c));
            }

            buffer.Append((byte)':');
            var values = headers[HeaderName(name)];
            for (var i = 0; i < values.Count; i++)
            {
                if (i > 0)
                {
                    buffer.Append((byte)',');
                }

                WriteTrimmed(ref buffer, values[i]);
            }

            buffer.Append((byte)'\n');
        }

        buffer.Append((byte)'\n');
        buffer.AppendUtf8(signedHeaders);
        buffer.Append((byte)'\n');
        buffer.AppendUtf8(payloadHash);
    }

    /// <summary>Decodes a raw query component (percent escapes, '+' as space, the way MinIO and the Go
    /// signers read queries) and encodes it again per RFC 3986: unreserved characters as is,
    /// everything else as %XX of its UTF-8 bytes.</summary>
    internal static string Encode(ReadOnlySpan<char> raw)
    {
        if (IsCanonical(raw))
        {
            return raw.ToString();
        }

        var max = Encoding.UTF8.GetMaxByteCount(raw.Length);
        var rentedBytes = max > 512 ? ArrayPool<byte>.Shared.Rent(max) : null;
        Span<byte> bytes = rentedBytes is null ? stackalloc byte[512] : rentedBytes;
        var length = 0;
        for (var i = 0; i < raw.Length; i++)
        {
            var c = raw[i];
            if (c == '%' && i + 2 < raw.Length && Hex.Value(raw[i + 1]) >= 0 && Hex.Value(raw[i + 2]) >= 0)
            {
                bytes[length++] = (byte)((Hex.Value(raw[i + 1]) << 4) | Hex.Value(raw[i + 2]));
                i += 2;
            }
            else if (c == '+')
            {
                bytes[length++] = (byte)' ';
            }
            else if (c < 0x80)
            {
                bytes[length++] = (byte)c;
            }
            else
            {
                var width = char.IsHighSurrogate(c) && i + 1 < raw.Length && char.IsLowSurrogate(raw[i + 1]) ? 2 : 1;
                length += Encoding.UTF8.GetBytes(raw.Slice(i, width), bytes[length..]);
                i += width - 1;
            }
        }

        var rentedChars = length * 3 > 1536 ? ArrayPool<char>.Shared.Rent(length * 3) : null;
        Span<char> chars = rentedChars is null ? stackalloc char[1536] : rentedChars;
        var written = 0;
        foreach (var b in bytes[..length])
        {
            if (IsUnreserved(b))
            {
                chars[written++] = (char)b;
            }
            else
            {
                chars[written++] = '%';
                chars[written++] = "0123456789ABCDEF"[b >> 4];
                chars[written++] = "0123456789ABCDEF"[b & 0xF];
            }
        }

        var result = new string(chars[..written]);
        if (rentedBytes is not null)
        {
            ArrayPool<byte>.Shared.Return(rentedBytes);
        }

        if (rentedChars is not null)
        {
            ArrayPool<char>.Shared.Return(rentedChars);
        }

        return result;
    }

    // Already canonical: only unreserved characters and uppercase escapes of reserved bytes. This is
    // what every AWS SDK sends, so the common case skips the decode/encode round trip.
    private static bool IsCanonical(ReadOnlySpan<char> raw)
    {
        for (var i = 0; i < raw.Length; i++)
        {
            var c = raw[i];
            if (c < 0x80 && IsUnreserved((byte)c))
            {
                continue;
            }

            if (c != '%' || i + 2 >= raw.Length || !IsUpperHex(raw[i + 1]) || !IsUpperHex(raw[i + 2]))
            {
                return false;
            }

            var b = (byte)((Hex.Value(raw[i + 1]) << 4) | Hex.Value(raw[i + 2]));
            if (IsUnreserved(b))
            {
                return false;
            }

            i += 2;
        }

        return true;
    }

    private static bool IsUpperHex(char c) => c is >= '0' and <= '9' or >= 'A' and <= 'F';

    private static bool IsUnreserved(byte b) =>
        b is >= (byte)'A' and <= (byte)'Z' or >= (byte)'a' and <= (byte)'z' or >= (byte)'0' and <= (byte)'9'
            or (byte)'-' or (byte)'_' or (byte)'.' or (byte)'~';

    // botocore's remove_dot_segments: drop "" and "." segments, ".." removes the previous one, keep a
    // trailing slash when anything is left; then quote(path, safe="/~") encodes each segment again.
    private static void WriteNormalizedPath(ref PooledBytes buffer, ReadOnlySpan<char> path)
    {
        var start = buffer.Length;
        var segments = 0;
        foreach (var range in path.Split('/'))
        {
            var segment = path[range];
            if (segment.IsEmpty || segment is ".")
            {
                continue;
            }

            if (segment is "..")
            {
                if (segments > 0)
                {
                    buffer.Truncate(start + buffer.Slice(start, buffer.Length - start).LastIndexOf((byte)'/'));
                    segments--;
                }

                continue;
            }

            buffer.Append((byte)'/');
            WriteEncodedSegment(ref buffer, segment);
            segments++;
        }

        if (segments == 0 || path[^1] == '/')
        {
            buffer.Append((byte)'/');
        }
    }

    private static void WriteEncodedSegment(ref PooledBytes buffer, ReadOnlySpan<char> segment)
    {
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < segment.Length; i++)
        {
            var c = segment[i];
            if (c < 0x80 && IsUnreserved((byte)c))
            {
                buffer.Append((byte)c);
                continue;
            }

            var width = char.IsHighSurrogate(c) && i + 1 < segment.Length && char.IsLowSurrogate(segment[i + 1]) ? 2 : 1;
            var count = c < 0x80 ? 1 : Encoding.UTF8.GetBytes(segment.Slice(i, width), utf8);
            if (c < 0x80)
            {
                utf8[0] = (byte)c;
            }

            for (var j = 0; j < count; j++)
            {
                var escape = buffer.GetSpan(3);
                escape[0] = (byte)'%';
                escape[1] = (byte)"0123456789ABCDEF"[utf8[j] >> 4];
                escape[2] = (byte)"0123456789ABCDEF"[utf8[j] & 0xF];
                buffer.Advance(3);
            }

            i += width - 1;
        }
    }

    // Trimall (SigV4 docs; botocore ' '.join(value.split())): no leading or trailing whitespace, each
    // inner run of whitespace becomes one space.
    private static void WriteTrimmed(ref PooledBytes buffer, string? value)
    {
        var span = value.AsSpan().Trim(" \t\r\n\f\v");
        var pendingSpace = false;
        for (var i = 0; i < span.Length; i++)
        {
            var c = span[i];
            if (c is ' ' or '\t' or '\r' or '\n' or '\f' or '\v')
            {
                pendingSpace = true;
                continue;
            }

            if (pendingSpace)
            {
                buffer.Append((byte)' ');
                pendingSpace = false;
            }

            if (c < 0x80)
            {
                buffer.Append((byte)c);
            }
            else
            {
                var width = char.IsHighSurrogate(c) && i + 1 < span.Length ? 2 : 1;
                buffer.AppendUtf8(span.Slice(i, width));
                i += width - 1;
            }
        }
    }

    // Header names signed by nearly every request, so looking them up allocates nothing.
    private static string HeaderName(ReadOnlySpan<char> name) => name switch
    {
        "host" => "host",
        "x-amz-date" => "x-amz-date",
        "x-amz-content-sha256" => "x-amz-content-sha256",
        "x-amz-security-token" => "x-amz-security-token",
        "x-amz-target" => "x-amz-target",
        "x-amz-user-agent" => "x-amz-user-agent",
        "x-amz-decoded-content-length" => "x-amz-decoded-content-length",
        "x-amz-trailer" => "x-amz-trailer",
        "x-amz-sdk-checksum-algorithm" => "x-amz-sdk-checksum-algorithm",
        "content-type" => "content-type",
        "content-length" => "content-length",
        "content-md5" => "content-md5",
        "content-encoding" => "content-encoding",
        "amz-sdk-invocation-id" => "amz-sdk-invocation-id",
        "amz-sdk-request" => "amz-sdk-request",
        "date" => "date",
        "range" => "range",
        _ => name.ToString(),
    };

    private sealed class QueryPairComparer : IComparer<QueryPair>
    {
        public int Compare(QueryPair x, QueryPair y)
        {
            var byName = string.CompareOrdinal(x.Name, y.Name);
            return byName != 0 ? byName : string.CompareOrdinal(x.Value, y.Value);
        }
    }
}
