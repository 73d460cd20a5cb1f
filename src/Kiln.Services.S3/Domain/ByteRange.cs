using System.Globalization;

namespace Kiln.Services.S3.Domain;

/// <summary>The HTTP Range header as S3 reads it (RFC 9110 §14.1.2): one range only, and a header it
/// cannot parse is ignored (the whole object is returned), as S3 does.</summary>
internal static class ByteRange
{
    /// <returns>The first byte, the length, and whether a range applies (206).</returns>
    public static (long Start, long Length, bool Partial) Resolve(string? header, long size)
    {
        if (header is null || !TryParse(header, out var first, out var last))
        {
            return (0, size, false);
        }

        long start, end;
        if (first is null)
        {
            // Suffix range: the last N bytes.
            if (last == 0)
            {
                throw S3Errors.InvalidRange(header, size);
            }

            start = Math.Max(0, size - last!.Value);
            end = size - 1;
        }
        else
        {
            start = first.Value;
            end = last is { } l ? Math.Min(l, size - 1) : size - 1;
        }

        if (start >= size || size == 0)
        {
            throw S3Errors.InvalidRange(header, size);
        }

        return (start, end - start + 1, true);
    }

    private static bool TryParse(string header, out long? first, out long? last)
    {
        first = null;
        last = null;
        var s = header.Trim();
        if (!s.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        s = s[6..].Trim();
        if (s.Contains(',', StringComparison.Ordinal))
        {
            return false;
        }

        var dash = s.IndexOf('-');
        if (dash < 0)
        {
            return false;
        }

        var a = s[..dash].Trim();
        var b = s[(dash + 1)..].Trim();
        if (a.Length > 0)
        {
            if (!long.TryParse(a, NumberStyles.None, CultureInfo.InvariantCulture, out var x))
            {
                return false;
            }

            first = x;
        }

        if (b.Length > 0)
        {
            if (!long.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out var y))
            {
                return false;
            }

            last = y;
        }

        return (first is not null || last is not null) && !(first is { } f && last is { } l && l < f);
    }
}
