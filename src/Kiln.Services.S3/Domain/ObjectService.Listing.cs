using Kiln.Services.S3.Storage;

namespace Kiln.Services.S3.Domain;

public sealed partial class ObjectService
{
    /// <summary>Sorts after every key that starts with a given prefix (U+10FFFF is the largest code
    /// point, and UTF-8 order is code point order).</summary>
    private const string AfterAll = "\U0010FFFF";

    /// <summary>ListObjects (v1 and v2): keys after <paramref name="after"/>, keys sharing a
    /// prefix up to the delimiter rolled into one CommonPrefix, up to maxKeys entries in all.</summary>
    /// <param name="after">Marker, StartAfter or the decoded continuation token; keys after it.</param>
    /// <param name="resuming">The marker came from our own response: if it names a key under a
    /// common prefix, that prefix was already returned and is skipped whole.</param>
    public async Task<ListResult> ListObjectsAsync(string account, string bucketName, string prefix, string? delimiter,
        string after, bool resuming, int maxKeys, CancellationToken cancellationToken)
    {
        await GetBucketAsync(account, bucketName, cancellationToken).ConfigureAwait(false);
        var objects = new List<ObjectVersionRecord>();
        var prefixes = new List<string>();
        var cursor = resuming ? SkipRolledUp(after, prefix, delimiter) : after;
        if (KeyOrder.Compare(cursor, prefix) < 0)
        {
            cursor = "";
        }

        string? last = null;
        string? lastPrefix = null;
        var batch = Math.Clamp(maxKeys + 1, 2, 1001);
        while (true)
        {
            var page = await store.ListLatestAsync(bucketName, prefix, cursor, batch, cancellationToken).ConfigureAwait(false);
            foreach (var v in page)
            {
                cursor = v.Key;
                string? rolled = null;
                if (!string.IsNullOrEmpty(delimiter))
                {
                    var at = v.Key.IndexOf(delimiter, prefix.Length, StringComparison.Ordinal);
                    if (at >= 0)
                    {
                        rolled = v.Key[..(at + delimiter.Length)];
                        if (rolled == lastPrefix)
                        {
                            continue;
                        }
                    }
                }

                if (objects.Count + prefixes.Count >= maxKeys)
                {
                    return new ListResult(objects, prefixes, true, last);
                }

                if (rolled is not null)
                {
                    prefixes.Add(rolled);
                    lastPrefix = last = rolled;
                }
                else
                {
                    objects.Add(v);
                    last = v.Key;
                }
            }

            if (page.Count < batch)
            {
                return new ListResult(objects, prefixes, false, last);
            }

            if (lastPrefix is not null && cursor.StartsWith(lastPrefix, StringComparison.Ordinal))
            {
                cursor = lastPrefix + AfterAll;
            }
        }
    }

    private static string SkipRolledUp(string marker, string prefix, string? delimiter)
    {
        if (string.IsNullOrEmpty(delimiter) || !marker.StartsWith(prefix, StringComparison.Ordinal))
        {
            return marker;
        }

        var at = marker.IndexOf(delimiter, prefix.Length, StringComparison.Ordinal);
        return at < 0 ? marker : marker[..(at + delimiter.Length)] + AfterAll;
    }

    /// <summary>ListObjectVersions: every version and delete marker, by key then newest first.</summary>
    public async Task<VersionListResult> ListVersionsAsync(string account, string bucketName, string prefix,
        string? delimiter, string? keyMarker, string? versionIdMarker, int maxKeys, CancellationToken cancellationToken)
    {
        await GetBucketAsync(account, bucketName, cancellationToken).ConfigureAwait(false);
        if (versionIdMarker is not null && string.IsNullOrEmpty(keyMarker))
        {
            throw S3Errors.InvalidArgument("A version-id marker cannot be specified without a key marker.",
                "version-id-marker", versionIdMarker);
        }

        var afterKey = keyMarker ?? "";
        long? afterSeq = null;
        if (!string.IsNullOrEmpty(versionIdMarker))
        {
            Rules.CheckVersionId(versionIdMarker);
            var marker = await store.GetVersionAsync(bucketName, afterKey, versionIdMarker, cancellationToken)
                             .ConfigureAwait(false)
                         ?? throw S3Errors.InvalidArgument("Invalid version id specified", "version-id-marker",
                             versionIdMarker);
            afterSeq = marker.Sequence;
        }
        else
        {
            afterKey = SkipRolledUp(afterKey, prefix, delimiter);
        }

        var versions = new List<ObjectVersionRecord>();
        var prefixes = new List<string>();
        string? lastPrefix = null;
        ObjectVersionRecord? lastVersion = null;
        var batch = Math.Clamp(maxKeys + 1, 2, 1001);
        while (true)
        {
            var page = await store.ListVersionsAsync(bucketName, prefix, afterKey, afterSeq, batch, cancellationToken)
                .ConfigureAwait(false);
            foreach (var v in page)
            {
                (afterKey, afterSeq) = (v.Key, v.Sequence);
                string? rolled = null;
                if (!string.IsNullOrEmpty(delimiter))
                {
                    var at = v.Key.IndexOf(delimiter, prefix.Length, StringComparison.Ordinal);
                    if (at >= 0)
                    {
                        rolled = v.Key[..(at + delimiter.Length)];
                        if (rolled == lastPrefix)
                        {
                            continue;
                        }
                    }
                }

                if (versions.Count + prefixes.Count >= maxKeys)
                {
                    return lastVersion is not null && (lastPrefix is null || KeyOrder.Compare(lastVersion.Key, lastPrefix) > 0)
                        ? new VersionListResult(versions, prefixes, true, lastVersion.Key, lastVersion.VersionId)
                        : new VersionListResult(versions, prefixes, true, lastPrefix, null);
                }

                if (rolled is not null)
                {
                    prefixes.Add(rolled);
                    lastPrefix = rolled;
                }
                else
                {
                    versions.Add(v);
                    lastVersion = v;
                }
            }

            if (page.Count < batch)
            {
                return new VersionListResult(versions, prefixes, false, null, null);
            }

            if (lastPrefix is not null && afterKey.StartsWith(lastPrefix, StringComparison.Ordinal))
            {
                (afterKey, afterSeq) = (lastPrefix + AfterAll, null);
            }
        }
    }
}
