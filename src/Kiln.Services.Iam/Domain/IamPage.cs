using System.Globalization;
using System.Text;

namespace Kiln.Services.Iam.Domain;

/// <summary>One page of an IAM list: the items, whether more follow (IsTruncated) and the Marker to
/// pass for the next page (present only when truncated, as IAM answers).</summary>
public sealed record IamPage<T>(List<T> Items, bool IsTruncated, string? Marker);

/// <summary>Marker/MaxItems pagination as every IAM List* operation has it: MaxItems 1 to 1000,
/// default 100 ("If you do not include this parameter, the number of items defaults to 100"); the
/// marker is opaque to clients. Kiln's marker is the offset of the next item, base64-encoded with a
/// prefix so a foreign or damaged value is refused rather than read as some other offset.</summary>
public static class IamPage
{
    public const int DefaultMaxItems = 100;
    public const int MaxMaxItems = 1000;
    private const string Prefix = "kiln-iam-page:";

    public static IamPage<T> Of<T>(IReadOnlyList<T> items, string? marker, int? maxItems)
    {
        var max = maxItems ?? DefaultMaxItems;
        if (max < 1)
        {
            throw IamErrors.ValidationError(
                $"1 validation error detected: Value '{max}' at 'maxItems' failed to satisfy constraint: " +
                "Member must have value greater than or equal to 1");
        }

        if (max > MaxMaxItems)
        {
            throw IamErrors.ValidationError(
                $"1 validation error detected: Value '{max}' at 'maxItems' failed to satisfy constraint: " +
                $"Member must have value less than or equal to {MaxMaxItems}");
        }

        var start = marker is null ? 0 : Offset(marker);
        if (start > items.Count)
        {
            throw InvalidMarker();
        }

        var count = Math.Min(max, items.Count - start);
        var page = new List<T>(count);
        for (var i = start; i < start + count; i++)
        {
            page.Add(items[i]);
        }

        var next = start + count;
        return next < items.Count ? new(page, true, Encode(next)) : new(page, false, null);
    }

    private static string Encode(int offset) =>
        Convert.ToBase64String(Encoding.ASCII.GetBytes(Prefix + offset.ToString(CultureInfo.InvariantCulture)));

    private static int Offset(string marker)
    {
        if (marker.Length is < 1 or > 320)
        {
            throw IamErrors.ValidationError(
                "1 validation error detected: Value at 'marker' failed to satisfy constraint: " +
                (marker.Length < 1 ? "Member must have length greater than or equal to 1" : "Member must have length less than or equal to 320"));
        }

        Span<byte> bytes = stackalloc byte[marker.Length];
        if (!Convert.TryFromBase64String(marker, bytes, out var n))
        {
            throw InvalidMarker();
        }

        var text = Encoding.ASCII.GetString(bytes[..n]);
        return text.StartsWith(Prefix, StringComparison.Ordinal) &&
               int.TryParse(text.AsSpan(Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var offset)
            ? offset
            : throw InvalidMarker();
    }

    private static Core.Errors.AwsException InvalidMarker() => IamErrors.ValidationError("Invalid Marker.");
}
