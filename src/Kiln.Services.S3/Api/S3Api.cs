using Kiln.Core;
using Kiln.Model.S3;
using Kiln.Services.S3.Domain;
using Kiln.Services.S3.Storage;

namespace Kiln.Services.S3.Api;

/// <summary>S3 operations: binds the generated wire shapes to <see cref="ObjectService"/> calls and
/// nothing more. Split by family: Buckets, Objects, Listing, Multipart.</summary>
internal sealed partial class S3Api(ObjectService objects) : S3ApiBase
{
    private static string Required(string? value, string name) =>
        value ?? throw S3Errors.InvalidArgument($"{name} is required", name, "");

    private static string Quote(string etag) => "\"" + etag + "\"";

    /// <summary>"null" is how the store names the version of an unversioned write; S3 sends no
    /// x-amz-version-id for it.</summary>
    private static string? WireVersion(string versionId) =>
        versionId == ObjectVersionRecord.NullVersionId ? null : versionId;

    private static Owner OwnerOf(string accountId) => new() { ID = accountId, DisplayName = accountId };

    private static List<Tag> WireTags(IReadOnlyList<ObjectTag> tags) =>
        tags.Select(t => new Tag { Key = t.Key, Value = t.Value }).ToList();

    private static List<ObjectTag> DomainTags(List<Tag>? tags) =>
        (tags ?? []).Select(t => new ObjectTag(t.Key ?? "", t.Value ?? "")).ToList();

    private static Dictionary<string, string> Checksums(string? crc32, string? crc32C, string? sha1, string? sha256)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (crc32 is not null)
        {
            map[ChecksumNames.Crc32] = crc32;
        }

        if (crc32C is not null)
        {
            map[ChecksumNames.Crc32C] = crc32C;
        }

        if (sha1 is not null)
        {
            map[ChecksumNames.Sha1] = sha1;
        }

        if (sha256 is not null)
        {
            map[ChecksumNames.Sha256] = sha256;
        }

        return map;
    }

    private static Func<IReadOnlyDictionary<string, string>>? Trailers(RequestContext context) => context.BodyTrailers;

    private static int MaxKeys(int? requested, int cap)
    {
        if (requested is < 0)
        {
            throw S3Errors.InvalidArgument("Provided max-keys not an integer or within integer range", "max-keys",
                requested.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return Math.Min(requested ?? cap, cap);
    }

    /// <summary>encoding-type=url: keys and prefixes go out percent-encoded (botocore decodes them
    /// with unquote_plus, so '+' must be escaped and '/' may stay).</summary>
    private static Func<string?, string?> Encoder(string? encodingType)
    {
        if (encodingType is null)
        {
            return s => s;
        }

        if (!string.Equals(encodingType, "url", StringComparison.OrdinalIgnoreCase))
        {
            throw S3Errors.InvalidArgument("Invalid Encoding Method specified in Request", "encoding-type", encodingType);
        }

        return s => s is null ? null : Uri.EscapeDataString(s).Replace("%2F", "/", StringComparison.Ordinal);
    }
}
