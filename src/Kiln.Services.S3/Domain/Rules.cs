using System.Net;
using System.Security.Cryptography;
using System.Text;
using Kiln.Services.S3.Storage;

namespace Kiln.Services.S3.Domain;

/// <summary>S3's validation rules for names, keys, tags and metadata, and its id formats.</summary>
internal static class Rules
{
    public const int MaxKeyBytes = 1024;
    public const int MaxMetadataBytes = 2048;
    public const int MaxObjectTags = 10;
    public const int MaxBucketTags = 50;

    private static readonly HashSet<string> s_storageClasses = new(StringComparer.Ordinal)
    {
        "STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER",
        "DEEP_ARCHIVE", "GLACIER_IR",
    };

    /// <summary>General-purpose bucket naming rules (docs: "Bucket naming rules").</summary>
    /// <summary>Whether a credential scope's region has a region's shape (us-east-1, us-gov-west-1),
    /// unlike the legacy location names "US" and "EU" some clients sign with.</summary>
    public static bool IsRegionName(string region) =>
        region.Contains('-') && char.IsAsciiDigit(region[^1]) &&
        region.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-');

    public static void CheckBucketName(string name)
    {
        var ok = name.Length is >= 3 and <= 63 &&
                 name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '-') &&
                 char.IsAsciiLetterOrDigit(name[0]) && char.IsAsciiLetterOrDigit(name[^1]) &&
                 !name.Contains("..", StringComparison.Ordinal) &&
                 !name.StartsWith("xn--", StringComparison.Ordinal) &&
                 !name.StartsWith("sthree-", StringComparison.Ordinal) &&
                 !name.EndsWith("-s3alias", StringComparison.Ordinal) &&
                 !name.EndsWith("--ol-s3", StringComparison.Ordinal) &&
                 !(name.Count(c => c == '.') == 3 && IPAddress.TryParse(name, out _));
        if (!ok)
        {
            throw S3Errors.InvalidBucketName(name);
        }
    }

    public static void CheckKey(string key)
    {
        if (Encoding.UTF8.GetByteCount(key) > MaxKeyBytes)
        {
            throw S3Errors.KeyTooLong();
        }
    }

    public static string StorageClass(string? value)
    {
        if (value is null)
        {
            return "STANDARD";
        }

        return s_storageClasses.Contains(value) ? value : throw S3Errors.InvalidStorageClass();
    }

    /// <summary>User metadata keeps lowercase names, as S3 returns them; names and values count
    /// toward the 2 KB limit.</summary>
    public static IReadOnlyDictionary<string, string> Metadata(IReadOnlyDictionary<string, string>? metadata)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (metadata is null)
        {
            return result;
        }

        var bytes = 0;
        foreach (var (name, value) in metadata)
        {
            bytes += Encoding.UTF8.GetByteCount(name) + Encoding.UTF8.GetByteCount(value);
            result[name.ToLowerInvariant()] = value;
        }

        return bytes > MaxMetadataBytes ? throw S3Errors.MetadataTooLarge(MaxMetadataBytes) : result;
    }

    /// <summary>Parses the x-amz-tagging header (URL-encoded query form: k1=v1&amp;k2=v2).</summary>
    public static IReadOnlyList<ObjectTag> ParseTagging(string? header)
    {
        if (string.IsNullOrEmpty(header))
        {
            return [];
        }

        var tags = new List<ObjectTag>();
        foreach (var pair in header.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            var key = Uri.UnescapeDataString((eq < 0 ? pair : pair[..eq]).Replace('+', ' '));
            var value = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..].Replace('+', ' '));
            tags.Add(new ObjectTag(key, value));
        }

        return CheckTags(tags, MaxObjectTags);
    }

    public static IReadOnlyList<ObjectTag> CheckTags(IReadOnlyList<ObjectTag> tags, int max)
    {
        if (tags.Count > max)
        {
            throw max == MaxObjectTags ? S3Errors.TooManyTags() : S3Errors.InvalidTag("Bucket tag count cannot be greater than 50");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var tag in tags)
        {
            if (tag.Key.Length is 0 or > 128)
            {
                throw S3Errors.InvalidTag("The TagKey you have provided is invalid");
            }

            if (tag.Value.Length > 256)
            {
                throw S3Errors.InvalidTag("The TagValue you have provided is invalid");
            }

            if (!seen.Add(tag.Key))
            {
                throw S3Errors.InvalidTag("Cannot provide multiple Tags with the same key");
            }
        }

        return tags;
    }

    /// <summary>A new version id: 32 URL-safe characters, like S3's.</summary>
    public static string NewVersionId() => RandomId(24);

    public static string NewUploadId() => RandomId(48);

    /// <summary>"null" or an id this store made; anything else is S3's InvalidArgument.</summary>
    public static void CheckVersionId(string versionId)
    {
        if (versionId != ObjectVersionRecord.NullVersionId &&
            (versionId.Length != 32 || !versionId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
        {
            throw S3Errors.InvalidArgument("Invalid version id specified", "versionId", versionId);
        }
    }

    /// <summary>URL-safe base64 of fresh random bytes, never starting with '-' (the aws CLI would read
    /// <c>--upload-id -x…</c> as an option) or '_'.</summary>
    private static string RandomId(int bytes)
    {
        while (true)
        {
            var id = Convert.ToBase64String(RandomNumberGenerator.GetBytes(bytes)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
            if (char.IsAsciiLetterOrDigit(id[0]))
            {
                return id;
            }
        }
    }

    /// <summary>Strips the quotes (and a weak prefix) from an ETag as clients send it.</summary>
    public static string Unquote(string etag)
    {
        var s = etag.Trim();
        if (s.StartsWith("W/", StringComparison.Ordinal))
        {
            s = s[2..];
        }

        return s.Length >= 2 && s[0] == '"' && s[^1] == '"' ? s[1..^1] : s;
    }
}
