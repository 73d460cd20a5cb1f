using System.Globalization;
using Kiln.Services.S3.Storage;

namespace Kiln.Services.S3.Domain;

/// <summary>S3's storage classes: which are archives (read only after RestoreObject), how long a
/// retrieval takes, and the order lifecycle transitions may move an object in.</summary>
public static class StorageClasses
{
    public const string Standard = "STANDARD";
    public const string IntelligentTiering = "INTELLIGENT_TIERING";
    public const string StandardIa = "STANDARD_IA";
    public const string OneZoneIa = "ONEZONE_IA";
    public const string GlacierIr = "GLACIER_IR";
    public const string Glacier = "GLACIER";
    public const string DeepArchive = "DEEP_ARCHIVE";

    /// <summary>Transition targets, warmest first. A lifecycle transition only moves an object
    /// down this list (S3's "waterfall"); REDUCED_REDUNDANCY is accepted on PUT but is no target.</summary>
    private static readonly string[] s_waterfall =
        [Standard, IntelligentTiering, StandardIa, OneZoneIa, GlacierIr, Glacier, DeepArchive];

    public static bool IsArchive(string storageClass) => storageClass is Glacier or DeepArchive;

    public static bool IsTransitionTarget(string storageClass) =>
        storageClass != Standard && Array.IndexOf(s_waterfall, storageClass) >= 0;

    /// <summary>Position in the waterfall; REDUCED_REDUNDANCY ranks with STANDARD.</summary>
    public static int Rank(string storageClass) => Math.Max(0, Array.IndexOf(s_waterfall, storageClass));

    /// <summary>Minimum age S3 requires before a transition to the infrequent-access classes.</summary>
    public static int MinimumTransitionDays(string storageClass) => storageClass is StandardIa or OneZoneIa ? 30 : 0;

    /// <summary>Retrieval time by tier, the upper end of what AWS documents ("Archive retrieval
    /// options"): GLACIER Expedited 1–5 minutes, Standard 3–5 hours, Bulk 5–12 hours; DEEP_ARCHIVE
    /// Standard within 12 hours, Bulk within 48 hours (no Expedited: it takes Standard's time).</summary>
    public static TimeSpan RetrievalTime(LifecycleTime time, string storageClass, string tier) =>
        (storageClass, tier) switch
        {
            (DeepArchive, "Bulk") => time.Hours(48),
            (DeepArchive, _) => time.Hours(12),
            (_, "Expedited") => time.Hours(5.0 / 60),
            (_, "Bulk") => time.Hours(12),
            _ => time.Hours(5),
        };
}

public sealed partial class ObjectService
{
    /// <summary>The unit of lifecycle and restore days (DESIGN.md, Time).</summary>
    public LifecycleTime Time { get; init; } = LifecycleTime.Real;

    internal IS3MetadataStore Store => store;

    internal Kiln.Core.IClock Clock => clock;

    /// <summary>An archived object's bytes can be read only while a restored copy exists.</summary>
    internal void CheckReadable(ObjectVersionRecord version)
    {
        if (StorageClasses.IsArchive(version.StorageClass) && !IsRestored(version))
        {
            throw S3Errors.InvalidObjectState(version.StorageClass);
        }
    }

    private bool IsRestored(ObjectVersionRecord v) =>
        v.RestoreReadyAt is { } ready && ready <= clock.UtcNow && v.RestoreExpiresAt is { } expires && expires > clock.UtcNow;

    /// <summary>The x-amz-restore header of GET and HEAD: progress of a restore, then the expiry of
    /// the restored copy; null when none was asked for or the copy has expired.</summary>
    public string? RestoreHeader(ObjectVersionRecord v)
    {
        if (!StorageClasses.IsArchive(v.StorageClass) || v.RestoreReadyAt is not { } ready || v.RestoreExpiresAt is not { } expires)
        {
            return null;
        }

        var now = clock.UtcNow;
        if (ready > now)
        {
            return "ongoing-request=\"true\"";
        }

        return expires > now
            ? "ongoing-request=\"false\", expiry-date=\"" + expires.ToString("r", CultureInfo.InvariantCulture) + "\""
            : null;
    }

    /// <summary>RestoreObject: starts a retrieval of a GLACIER or DEEP_ARCHIVE object that takes the
    /// tier's time (in <see cref="Time"/> units) and keeps the copy <paramref name="days"/> days
    /// after it is ready. A second call while the copy exists only moves its expiry.</summary>
    /// <returns>true when a new restore started (202), false when an existing copy was extended (200).</returns>
    public async Task<bool> RestoreObjectAsync(string account, string bucketName, string key, string? versionId,
        int? days, string? tier, CancellationToken cancellationToken)
    {
        var version = await FindVersionAsync(account, bucketName, key, versionId, cancellationToken).ConfigureAwait(false);
        if (!StorageClasses.IsArchive(version.StorageClass))
        {
            throw S3Errors.InvalidObjectStateForRestore();
        }

        if (days is not { } d)
        {
            throw S3Errors.MalformedXml();
        }

        if (d < 1)
        {
            throw S3Errors.InvalidArgument("Days must be a positive integer", "Days",
                d.ToString(CultureInfo.InvariantCulture));
        }

        tier ??= "Standard";
        if (tier is not ("Standard" or "Bulk" or "Expedited"))
        {
            throw S3Errors.MalformedXml();
        }

        var now = clock.UtcNow;
        if (version.RestoreReadyAt is { } ready && ready > now)
        {
            throw S3Errors.RestoreAlreadyInProgress();
        }

        var extend = IsRestored(version);
        var readyAt = extend ? version.RestoreReadyAt!.Value : now + StorageClasses.RetrievalTime(Time, version.StorageClass, tier);
        var expiresAt = Time.NextMidnight((extend ? now : readyAt) + Time.Days(d));
        var updated = await store.UpdateVersionAsync(bucketName, key, version.VersionId,
            v => v with { RestoreReadyAt = readyAt, RestoreExpiresAt = expiresAt }, cancellationToken).ConfigureAwait(false);
        if (updated is null)
        {
            throw versionId is null ? S3Errors.NoSuchKey(key) : S3Errors.NoSuchVersion(key, versionId);
        }

        return !extend;
    }
}
