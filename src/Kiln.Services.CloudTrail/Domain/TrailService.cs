using Kiln.Core;
using Kiln.Services.CloudTrail.Storage;

namespace Kiln.Services.CloudTrail.Domain;

/// <summary>What CreateTrail and UpdateTrail are asked for.</summary>
public sealed record TrailSettings(string? S3BucketName, string? S3KeyPrefix, bool? IncludeGlobalServiceEvents,
    bool? IsMultiRegionTrail);

/// <summary>
/// Trails: create, find, start and stop logging, delete. A trail lives in its home region; a
/// multi-region trail is also visible (read-only, as a "shadow trail") from every other region.
/// Name-or-ARN arguments follow the API reference: a name means a trail of the caller's region,
/// an ARN names the region itself.
/// </summary>
public sealed class TrailService(ITrailStore store, ITrailObjectSink sink, IClock clock)
{
    /// <summary>"You can create up to five trails for each region" (CloudTrail quotas).</summary>
    public const int MaxTrailsPerRegion = 5;
    private const int MaxPrefixLength = 200;

    // Read-modify-write of one trail (StartLogging vs the delivery worker's status update) is serialized.
    private readonly SemaphoreSlim _writes = new(1, 1);

    public IClock Clock => clock;

    public async Task<Trail> CreateAsync(string account, string region, string? name, TrailSettings settings,
        IReadOnlyDictionary<string, string>? tags, CancellationToken cancellationToken)
    {
        TrailNames.CheckName(name);
        var trail = new Trail
        {
            AccountId = account,
            HomeRegion = region,
            Name = name!,
            S3BucketName = settings.S3BucketName ?? "",
            S3KeyPrefix = string.IsNullOrEmpty(settings.S3KeyPrefix) ? null : settings.S3KeyPrefix,
            IncludeGlobalServiceEvents = settings.IncludeGlobalServiceEvents ?? true,
            IsMultiRegionTrail = settings.IsMultiRegionTrail ?? false,
            CreatedAt = clock.UtcNow,
            Tags = tags ?? new Dictionary<string, string>(),
        };
        CheckSettings(trail);
        if (await store.GetAsync(account, region, trail.Name, cancellationToken).ConfigureAwait(false) is not null)
        {
            throw CloudTrailErrors.TrailAlreadyExists(trail.Name, account);
        }

        if (trail.Tags.Count > MaxTags)
        {
            throw CloudTrailErrors.TagsLimitExceeded();
        }

        var inRegion = (await store.ListAsync(account, cancellationToken).ConfigureAwait(false)).Count(t => t.HomeRegion == region);
        if (inRegion >= MaxTrailsPerRegion)
        {
            throw CloudTrailErrors.MaximumNumberOfTrailsExceeded(account, region);
        }

        await CheckBucketAsync(trail, cancellationToken).ConfigureAwait(false);
        return await store.TryAddAsync(trail, cancellationToken).ConfigureAwait(false)
            ? trail
            : throw CloudTrailErrors.TrailAlreadyExists(trail.Name, account);
    }

    public async Task<Trail> UpdateAsync(string account, string region, string? nameOrArn, TrailSettings settings,
        CancellationToken cancellationToken)
    {
        var found = await ResolveAsync(account, region, nameOrArn, forWrite: true, cancellationToken).ConfigureAwait(false);
        return await ChangeAsync(found, async t =>
        {
            var updated = t with
            {
                S3BucketName = settings.S3BucketName ?? t.S3BucketName,
                S3KeyPrefix = settings.S3KeyPrefix is null ? t.S3KeyPrefix : settings.S3KeyPrefix.Length == 0 ? null : settings.S3KeyPrefix,
                IncludeGlobalServiceEvents = settings.IncludeGlobalServiceEvents ?? t.IncludeGlobalServiceEvents,
                IsMultiRegionTrail = settings.IsMultiRegionTrail ?? t.IsMultiRegionTrail,
            };
            CheckSettings(updated);
            if (updated.S3BucketName != t.S3BucketName || updated.S3KeyPrefix != t.S3KeyPrefix)
            {
                await CheckBucketAsync(updated, cancellationToken).ConfigureAwait(false);
            }

            return updated;
        }, cancellationToken).ConfigureAwait(false) ?? throw NotFound(found);
    }

    /// <summary>The trail a name or ARN names, as seen from <paramref name="region"/>.</summary>
    /// <param name="forWrite">Changes are only allowed from the home region (InvalidHomeRegionException).</param>
    public async Task<Trail> ResolveAsync(string account, string region, string? nameOrArn, bool forWrite,
        CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(nameOrArn))
        {
            throw CloudTrailErrors.TrailNotProvided();
        }

        Trail? trail;
        if (TrailNames.ParseArn(nameOrArn) is { } arn)
        {
            trail = arn.Account == account
                ? await store.GetAsync(account, arn.Region, arn.Name, cancellationToken).ConfigureAwait(false)
                : null;
            if (trail is null || (trail.HomeRegion != region && !trail.IsMultiRegionTrail))
            {
                throw CloudTrailErrors.TrailNotFound(nameOrArn, account);
            }
        }
        else
        {
            TrailNames.CheckName(nameOrArn);
            trail = await store.GetAsync(account, region, nameOrArn, cancellationToken).ConfigureAwait(false)
                    ?? (await store.ListAsync(account, cancellationToken).ConfigureAwait(false))
                    .FirstOrDefault(t => t.Name == nameOrArn && t.IsMultiRegionTrail)
                    ?? throw CloudTrailErrors.TrailNotFound(TrailNames.Arn(region, account, nameOrArn), account);
        }

        if (forWrite && trail.HomeRegion != region)
        {
            throw CloudTrailErrors.InvalidHomeRegion(trail.Arn, trail.HomeRegion);
        }

        return trail;
    }

    /// <summary>Trails visible from a region: its own, and (with shadows) other regions' multi-region trails.</summary>
    public async Task<IReadOnlyList<Trail>> DescribeAsync(string account, string region, IReadOnlyList<string>? namesOrArns,
        bool includeShadowTrails, CancellationToken cancellationToken)
    {
        if (namesOrArns is { Count: > 0 })
        {
            var found = new List<Trail>();
            foreach (var n in namesOrArns)
            {
                try
                {
                    var t = await ResolveAsync(account, region, n, forWrite: false, cancellationToken).ConfigureAwait(false);
                    if ((includeShadowTrails || t.HomeRegion == region) && !found.Any(f => f.Arn == t.Arn))
                    {
                        found.Add(t);
                    }
                }
                catch (Kiln.Core.Errors.AwsException e) when (e.Code == "TrailNotFoundException")
                {
                    // DescribeTrails leaves out names it does not find.
                }
            }

            return found;
        }

        return [.. (await store.ListAsync(account, cancellationToken).ConfigureAwait(false))
            .Where(t => t.HomeRegion == region || (includeShadowTrails && t.IsMultiRegionTrail))];
    }

    public Task<IReadOnlyList<Trail>> ListAsync(string account, CancellationToken cancellationToken) =>
        store.ListAsync(account, cancellationToken);

    public async Task StartLoggingAsync(string account, string region, string? nameOrArn, CancellationToken cancellationToken)
    {
        var trail = await ResolveAsync(account, region, nameOrArn, forWrite: true, cancellationToken).ConfigureAwait(false);
        _ = await ChangeAsync(trail, t =>
        {
            if (t.IsLogging)
            {
                return Task.FromResult(t);
            }

            var now = clock.UtcNow;
            // Delivery starts here. Events from before a StopLogging that the worker had not yet
            // delivered are dropped with the stopped window (at most one delivery interval).
            return Task.FromResult(t with { IsLogging = true, StartLoggingTime = now, DeliveredThrough = now });
        }, cancellationToken).ConfigureAwait(false) ?? throw NotFound(trail);
    }

    public async Task StopLoggingAsync(string account, string region, string? nameOrArn, CancellationToken cancellationToken)
    {
        var trail = await ResolveAsync(account, region, nameOrArn, forWrite: true, cancellationToken).ConfigureAwait(false);
        _ = await ChangeAsync(trail, t => Task.FromResult(t.IsLogging ? t with { IsLogging = false, StopLoggingTime = clock.UtcNow } : t),
            cancellationToken).ConfigureAwait(false) ?? throw NotFound(trail);
    }

    public async Task DeleteAsync(string account, string region, string? nameOrArn, CancellationToken cancellationToken)
    {
        var trail = await ResolveAsync(account, region, nameOrArn, forWrite: true, cancellationToken).ConfigureAwait(false);
        await _writes.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await store.DeleteAsync(trail.AccountId, trail.HomeRegion, trail.Name, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writes.Release();
        }
    }

    /// <summary>Applies a change to the stored trail, if it is still the same trail (not deleted and
    /// re-created meanwhile); null when it is gone.</summary>
    public async Task<Trail?> ChangeAsync(Trail trail, Func<Trail, Task<Trail>> change, CancellationToken cancellationToken)
    {
        await _writes.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var current = await store.GetAsync(trail.AccountId, trail.HomeRegion, trail.Name, cancellationToken).ConfigureAwait(false);
            if (current is null || current.CreatedAt != trail.CreatedAt)
            {
                return null;
            }

            var updated = await change(current).ConfigureAwait(false);
            if (!ReferenceEquals(updated, current))
            {
                await store.ReplaceAsync(updated, cancellationToken).ConfigureAwait(false);
            }

            return updated;
        }
        finally
        {
            _writes.Release();
        }
    }

    public Task<IReadOnlyList<Trail>> ListAllAsync(CancellationToken cancellationToken) => store.ListAllAsync(cancellationToken);

    /// <summary>"You can have up to 50 tags per resource" (AddTags).</summary>
    public const int MaxTags = 50;

    /// <summary>The trail an ARN names, from any region (AddTags, ListTags, RemoveTags take ARNs only).</summary>
    public async Task<Trail> FindByArnAsync(string account, string? arn, CancellationToken cancellationToken)
    {
        var parsed = TrailNames.ParseArn(arn ?? "") ?? throw CloudTrailErrors.ArnInvalid(arn ?? "");
        return (parsed.Account == account
                   ? await store.GetAsync(account, parsed.Region, parsed.Name, cancellationToken).ConfigureAwait(false)
                   : null)
               ?? throw CloudTrailErrors.ResourceNotFound(arn!);
    }

    /// <summary>Adds (<paramref name="remove"/> false) or removes tags; removing matches the key, and
    /// the value too when one is given.</summary>
    public async Task ChangeTagsAsync(string account, string? arn, IReadOnlyList<(string Key, string? Value)> tags, bool remove,
        CancellationToken cancellationToken)
    {
        var trail = await FindByArnAsync(account, arn, cancellationToken).ConfigureAwait(false);
        _ = await ChangeAsync(trail, t =>
        {
            var merged = new Dictionary<string, string>(t.Tags, StringComparer.Ordinal);
            foreach (var (key, value) in tags)
            {
                if (!remove)
                {
                    merged[key] = value ?? "";
                }
                else if (value is null || (merged.TryGetValue(key, out var current) && current == value))
                {
                    merged.Remove(key);
                }
            }

            return merged.Count > MaxTags
                ? throw CloudTrailErrors.TagsLimitExceeded()
                : Task.FromResult(t with { Tags = merged });
        }, cancellationToken).ConfigureAwait(false) ?? throw CloudTrailErrors.ResourceNotFound(arn!);
    }

    private static Kiln.Core.Errors.AwsException NotFound(Trail t) => CloudTrailErrors.TrailNotFound(t.Arn, t.AccountId);

    private static void CheckSettings(Trail trail)
    {
        if (trail.S3BucketName.Length == 0)
        {
            throw CloudTrailErrors.InvalidParameter("S3BucketName must be specified.");
        }

        if (!TrailNames.IsValidBucketName(trail.S3BucketName))
        {
            throw CloudTrailErrors.InvalidS3BucketName(trail.S3BucketName);
        }

        if (trail.S3KeyPrefix is { } prefix && (prefix.Length > MaxPrefixLength || prefix.StartsWith('/') || prefix.EndsWith('/')))
        {
            throw CloudTrailErrors.InvalidS3Prefix(prefix.Length > MaxPrefixLength
                ? $"S3 key prefix is too long. Maximum allowed length: {MaxPrefixLength} characters."
                : "S3 key prefix must not begin or end with a slash (/).");
        }

        if (trail.IsMultiRegionTrail && !trail.IncludeGlobalServiceEvents)
        {
            // "If you want to create a multi-Region trail, IncludeGlobalServiceEvents must be true" (InvalidParameterCombinationException).
            throw new Kiln.Core.Errors.AwsException("InvalidParameterCombinationException",
                "Multi-Region trail must include global service events.", 400);
        }
    }

    /// <summary>The bucket must exist and its policy must let CloudTrail check its ACL and write under
    /// <c>[prefix/]AWSLogs/ACCOUNT/</c> (CreateTrail: S3BucketDoesNotExistException,
    /// InsufficientS3BucketPolicyException).</summary>
    private async Task CheckBucketAsync(Trail trail, CancellationToken cancellationToken)
    {
        var bucket = await sink.FindBucketAsync(trail.S3BucketName, cancellationToken).ConfigureAwait(false)
                     ?? throw CloudTrailErrors.S3BucketDoesNotExist(trail.S3BucketName);
        var now = clock.UtcNow;
        var sampleKey = TrailNames.LogFileKey(trail.S3KeyPrefix, trail.AccountId, trail.HomeRegion, now);
        if (!BucketPolicyCheck.AllowsGetBucketAcl(bucket, trail, now) || !BucketPolicyCheck.AllowsPutObject(bucket, trail, sampleKey, now))
        {
            throw CloudTrailErrors.InsufficientS3BucketPolicy(trail.S3BucketName);
        }
    }
}
