using Kiln.Core.Errors;
using Kiln.Services.S3.Storage;

namespace Kiln.Services.S3.Domain;

/// <summary>What one lifecycle pass did.</summary>
public sealed record LifecyclePassResult
{
    public int Expired { get; set; }
    public int Transitioned { get; set; }
    public int NoncurrentExpired { get; set; }
    public int NoncurrentTransitioned { get; set; }
    public int DeleteMarkersRemoved { get; set; }
    public int UploadsAborted { get; set; }
    /// <summary>Some bucket has versions left to look at: the next pass resumes there.</summary>
    public bool Incomplete { get; set; }
}

/// <summary>Applies buckets' lifecycle rules to their objects, the way S3's asynchronous lifecycle
/// does: expiration (a delete marker on a versioned bucket), transitions down the storage-class
/// waterfall, noncurrent-version rules timed from when a version became noncurrent (the creation of
/// the version that replaced it), removal of expired delete markers, and aborting old multipart
/// uploads. Days are <see cref="LifecycleTime"/> days, due at the next (scaled) midnight.
/// <para>A pass is bounded: it looks at no more than <see cref="MaxVersionsPerBucket"/> versions of
/// each bucket and resumes where it stopped on the next pass, so a huge bucket never stalls the
/// others. Not thread-safe: one worker runs passes one after another.</para></summary>
public sealed class LifecycleEngine(ObjectService objects)
{
    private const int PageSize = 500;

    private readonly Dictionary<string, Cursor> _cursors = new(StringComparer.Ordinal);

    public int MaxVersionsPerBucket { get; init; } = 5000;

    public int MaxUploadsPerBucket { get; init; } = 1000;

    public async Task<LifecyclePassResult> RunPassAsync(CancellationToken cancellationToken)
    {
        var result = new LifecyclePassResult();
        var store = objects.Store;
        foreach (var stored in await objects.Lifecycles.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var bucket = await store.GetBucketAsync(stored.Bucket, cancellationToken).ConfigureAwait(false);
            if (bucket is null || bucket.CreatedAt != stored.BucketCreatedAt)
            {
                // The bucket is gone (or is a new bucket of the same name): its rules go with it.
                await objects.Lifecycles.DeleteAsync(stored.Bucket, cancellationToken).ConfigureAwait(false);
                _cursors.Remove(stored.Bucket);
                continue;
            }

            var rules = stored.Configuration.Rules.Where(r => r.Enabled).Select(r => (Rule: r, Match: LifecycleMatch.Of(r)))
                .ToList();
            if (rules.Count == 0)
            {
                continue;
            }

            await ApplyToVersionsAsync(bucket, rules, result, cancellationToken).ConfigureAwait(false);
            await AbortUploadsAsync(bucket, rules, result, cancellationToken).ConfigureAwait(false);
        }

        return result;
    }

    private sealed record Cursor(string AfterKey, long? AfterSequence, ObjectVersionRecord? Previous, int Rank);

    private async Task ApplyToVersionsAsync(BucketRecord bucket, List<(LifecycleRule Rule, LifecycleMatch Match)> rules,
        LifecyclePassResult result, CancellationToken cancellationToken)
    {
        var cursor = _cursors.GetValueOrDefault(bucket.Name) ?? new Cursor("", null, null, 0);
        var (afterKey, afterSequence, previous, rank) = cursor;
        var seen = 0;
        while (seen < MaxVersionsPerBucket)
        {
            var limit = Math.Min(PageSize, MaxVersionsPerBucket - seen);
            var page = await objects.Store.ListVersionsAsync(bucket.Name, "", afterKey, afterSequence, limit,
                cancellationToken).ConfigureAwait(false);
            foreach (var v in page)
            {
                // Versions come by key, newest first: the one before is the version that replaced this one.
                var successor = previous is not null && previous.Key == v.Key ? previous : null;
                if (successor is null)
                {
                    rank = 0;
                }

                try
                {
                    await ApplyAsync(bucket, rules, v, successor, rank, result, cancellationToken).ConfigureAwait(false);
                }
                catch (AwsException)
                {
                    // Changed or removed concurrently (or its bucket is going away): the next pass looks again.
                }

                if (!v.IsLatest)
                {
                    rank++;
                }

                previous = v;
                afterKey = v.Key;
                afterSequence = v.Sequence;
            }

            seen += page.Count;
            if (page.Count < limit)
            {
                _cursors.Remove(bucket.Name);
                return;
            }
        }

        result.Incomplete = true;
        _cursors[bucket.Name] = new Cursor(afterKey, afterSequence, previous, rank);
    }

    private async Task ApplyAsync(BucketRecord bucket, List<(LifecycleRule Rule, LifecycleMatch Match)> rules,
        ObjectVersionRecord v, ObjectVersionRecord? successor, int noncurrentRank, LifecyclePassResult result,
        CancellationToken cancellationToken)
    {
        var now = objects.Clock.UtcNow;
        var time = objects.Time;
        var matching = rules.Where(r => r.Match.Matches(v)).Select(r => r.Rule).ToList();
        if (matching.Count == 0)
        {
            return;
        }

        if (v.IsLatest && v.IsDeleteMarker)
        {
            if (matching.Any(r => r.Expiration?.ExpiredObjectDeleteMarker == true) &&
                await IsSoleVersionAsync(v, cancellationToken).ConfigureAwait(false))
            {
                await objects.DeleteObjectAsync(bucket.OwnerAccountId, bucket.Name, v.Key, v.VersionId, cancellationToken)
                    .ConfigureAwait(false);
                result.DeleteMarkersRemoved++;
            }

            return;
        }

        if (v.IsLatest)
        {
            var expire = matching.Any(r => r.Expiration is { } e &&
                                           ((e.Days is { } d && time.DueAt(v.LastModified, d) <= now) || e.Date <= now));
            if (expire)
            {
                await objects.DeleteObjectAsync(bucket.OwnerAccountId, bucket.Name, v.Key, null, cancellationToken)
                    .ConfigureAwait(false);
                result.Expired++;
                return;
            }

            var target = Coldest(v, matching.SelectMany(r => r.Transitions)
                .Where(t => (t.Days is { } d && time.DueAt(v.LastModified, d) <= now) || t.Date <= now)
                .Select(t => t.StorageClass));
            if (target is not null)
            {
                await TransitionAsync(v, target, cancellationToken).ConfigureAwait(false);
                result.Transitioned++;
            }

            return;
        }

        // Noncurrent since the version that replaced it was written.
        var since = successor?.LastModified ?? v.LastModified;
        var expireNoncurrent = matching.Any(r => r.NoncurrentExpiration is { NoncurrentDays: { } d } ne &&
                                                 time.DueAt(since, d) <= now &&
                                                 noncurrentRank >= (ne.NewerNoncurrentVersions ?? 0));
        if (expireNoncurrent)
        {
            await objects.DeleteObjectAsync(bucket.OwnerAccountId, bucket.Name, v.Key, v.VersionId, cancellationToken)
                .ConfigureAwait(false);
            result.NoncurrentExpired++;
            return;
        }

        if (v.IsDeleteMarker)
        {
            return;
        }

        var noncurrentTarget = Coldest(v, matching.SelectMany(r => r.NoncurrentTransitions)
            .Where(t => t.NoncurrentDays is { } d && time.DueAt(since, d) <= now &&
                        noncurrentRank >= (t.NewerNoncurrentVersions ?? 0))
            .Select(t => t.StorageClass));
        if (noncurrentTarget is not null)
        {
            await TransitionAsync(v, noncurrentTarget, cancellationToken).ConfigureAwait(false);
            result.NoncurrentTransitioned++;
        }
    }

    /// <summary>The coldest due target colder than the object's class; null when none moves it.</summary>
    private static string? Coldest(ObjectVersionRecord v, IEnumerable<string> due)
    {
        var current = StorageClasses.Rank(v.StorageClass);
        return due.Where(c => StorageClasses.Rank(c) > current).MaxBy(StorageClasses.Rank);
    }

    private Task TransitionAsync(ObjectVersionRecord v, string storageClass, CancellationToken cancellationToken) =>
        objects.Store.UpdateVersionAsync(v.Bucket, v.Key, v.VersionId,
            r => r with { StorageClass = storageClass, RestoreReadyAt = null, RestoreExpiresAt = null }, cancellationToken);

    /// <summary>An expired object delete marker: the latest version of its key, and the only one.</summary>
    private async Task<bool> IsSoleVersionAsync(ObjectVersionRecord marker, CancellationToken cancellationToken)
    {
        var next = await objects.Store.ListVersionsAsync(marker.Bucket, marker.Key, marker.Key, marker.Sequence, 1,
            cancellationToken).ConfigureAwait(false);
        return next.Count == 0 || next[0].Key != marker.Key;
    }

    private async Task AbortUploadsAsync(BucketRecord bucket, List<(LifecycleRule Rule, LifecycleMatch Match)> rules,
        LifecyclePassResult result, CancellationToken cancellationToken)
    {
        var now = objects.Clock.UtcNow;
        foreach (var (rule, match) in rules)
        {
            if (rule.AbortIncompleteMultipartUploadDays is not { } days)
            {
                continue;
            }

            var uploads = await objects.Store.ListUploadsAsync(bucket.Name, match.Prefix, "", "", MaxUploadsPerBucket,
                cancellationToken).ConfigureAwait(false);
            foreach (var upload in uploads.Where(u => objects.Time.DueAt(u.Initiated, days) <= now))
            {
                try
                {
                    await objects.AbortUploadAsync(bucket.OwnerAccountId, bucket.Name, upload.Key, upload.UploadId,
                        cancellationToken).ConfigureAwait(false);
                    result.UploadsAborted++;
                }
                catch (AwsException)
                {
                    // Completed or aborted meanwhile.
                }
            }
        }
    }
}
