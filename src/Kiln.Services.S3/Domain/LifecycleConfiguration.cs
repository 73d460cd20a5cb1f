using System.Globalization;
using Kiln.Services.S3.Storage;

namespace Kiln.Services.S3.Domain;

/// <summary>A bucket's lifecycle configuration, shaped like S3's XML so GET returns what PUT sent.</summary>
public sealed record LifecycleConfiguration(IReadOnlyList<LifecycleRule> Rules);

public sealed record LifecycleRule
{
    public string Id { get; init; } = "";
    /// <summary>"Enabled" or "Disabled".</summary>
    public string Status { get; init; } = "Enabled";
    /// <summary>The rule-level Prefix of the older API (no Filter element).</summary>
    public string? Prefix { get; init; }
    public LifecycleFilter? Filter { get; init; }
    public LifecycleExpiration? Expiration { get; init; }
    public IReadOnlyList<LifecycleTransition> Transitions { get; init; } = [];
    public IReadOnlyList<NoncurrentTransition> NoncurrentTransitions { get; init; } = [];
    public NoncurrentExpiration? NoncurrentExpiration { get; init; }
    public int? AbortIncompleteMultipartUploadDays { get; init; }

    [System.Text.Json.Serialization.JsonIgnore]
    public bool Enabled => Status == "Enabled";
}

/// <summary>Filter: exactly one of Prefix, Tag, ObjectSizeGreaterThan, ObjectSizeLessThan, And
/// (an empty Filter matches every object).</summary>
public sealed record LifecycleFilter
{
    public string? Prefix { get; init; }
    public ObjectTag? Tag { get; init; }
    public long? ObjectSizeGreaterThan { get; init; }
    public long? ObjectSizeLessThan { get; init; }
    public LifecycleAnd? And { get; init; }
}

public sealed record LifecycleAnd
{
    public string? Prefix { get; init; }
    public IReadOnlyList<ObjectTag> Tags { get; init; } = [];
    public long? ObjectSizeGreaterThan { get; init; }
    public long? ObjectSizeLessThan { get; init; }
}

public sealed record LifecycleExpiration(int? Days, DateTimeOffset? Date, bool? ExpiredObjectDeleteMarker);

public sealed record LifecycleTransition(int? Days, DateTimeOffset? Date, string StorageClass);

public sealed record NoncurrentTransition(int? NoncurrentDays, string StorageClass, int? NewerNoncurrentVersions);

public sealed record NoncurrentExpiration(int? NoncurrentDays, int? NewerNoncurrentVersions);

/// <summary>What a rule's filter selects, flattened: a key prefix, tags that must all be present,
/// and exclusive size bounds.</summary>
public sealed record LifecycleMatch(string Prefix, IReadOnlyList<ObjectTag> Tags, long? SizeGreaterThan, long? SizeLessThan)
{
    public bool HasTags => Tags.Count > 0;

    public static LifecycleMatch Of(LifecycleRule rule)
    {
        if (rule.Filter is not { } f)
        {
            return new(rule.Prefix ?? "", [], null, null);
        }

        if (f.And is { } and)
        {
            return new(and.Prefix ?? "", and.Tags, and.ObjectSizeGreaterThan, and.ObjectSizeLessThan);
        }

        return new(f.Prefix ?? "", f.Tag is { } t ? [t] : [], f.ObjectSizeGreaterThan, f.ObjectSizeLessThan);
    }

    public bool Matches(ObjectVersionRecord v)
    {
        if (!v.Key.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        if (v.IsDeleteMarker)
        {
            // A delete marker has no tags and no size: only prefix-only rules reach it.
            return Tags.Count == 0 && SizeGreaterThan is null && SizeLessThan is null;
        }

        return (SizeGreaterThan is not { } gt || v.Size > gt) && (SizeLessThan is not { } lt || v.Size < lt) &&
               Tags.All(t => v.Tags.Any(o => o.Key == t.Key && o.Value == t.Value));
    }
}

/// <summary>PutBucketLifecycleConfiguration's checks, with S3's error codes and messages.</summary>
public static class LifecycleValidation
{
    public const int MaxRules = 1000;

    public static LifecycleConfiguration Validate(LifecycleConfiguration config)
    {
        if (config.Rules.Count is 0 or > MaxRules)
        {
            throw S3Errors.MalformedXml();
        }

        var rules = new List<LifecycleRule>(config.Rules.Count);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var input in config.Rules)
        {
            var rule = input;
            if (string.IsNullOrEmpty(rule.Id))
            {
                // S3 names a rule sent without an ID.
                rule = rule with { Id = Convert.ToBase64String(Guid.NewGuid().ToByteArray()).TrimEnd('=') };
            }

            if (rule.Id.Length > 255)
            {
                throw S3Errors.InvalidArgument("ID length should not exceed allowed limit of 255", "ID", rule.Id);
            }

            if (!ids.Add(rule.Id))
            {
                throw S3Errors.InvalidArgument("Rule ID must be unique. Found same ID for more than one rule", "ID", rule.Id);
            }

            CheckRule(rule);
            rules.Add(rule);
        }

        return new LifecycleConfiguration(rules);
    }

    private static void CheckRule(LifecycleRule rule)
    {
        if (rule.Status is not ("Enabled" or "Disabled"))
        {
            throw S3Errors.MalformedXml();
        }

        // Either the old rule-level Prefix or a Filter, never both, never neither.
        if ((rule.Prefix is null) == (rule.Filter is null))
        {
            throw S3Errors.MalformedXml();
        }

        if (rule.Filter is { } f)
        {
            var parts = (f.Prefix is null ? 0 : 1) + (f.Tag is null ? 0 : 1) + (f.ObjectSizeGreaterThan is null ? 0 : 1) +
                        (f.ObjectSizeLessThan is null ? 0 : 1) + (f.And is null ? 0 : 1);
            if (parts > 1)
            {
                throw S3Errors.MalformedXml();
            }
        }

        var match = LifecycleMatch.Of(rule);
        if (match.SizeGreaterThan is < 0 || match.SizeLessThan is <= 0)
        {
            throw S3Errors.InvalidArgument("'ObjectSize' must be a positive integer");
        }

        if (match is { SizeGreaterThan: { } gt, SizeLessThan: { } lt } && gt >= lt)
        {
            throw S3Errors.InvalidArgument("'ObjectSizeGreaterThan' must be less than 'ObjectSizeLessThan'");
        }

        if (rule.Expiration is null && rule.Transitions.Count == 0 && rule.NoncurrentTransitions.Count == 0 &&
            rule.NoncurrentExpiration is null && rule.AbortIncompleteMultipartUploadDays is null)
        {
            throw S3Errors.InvalidRequest("At least one action needs to be specified in a rule");
        }

        if (rule.Expiration is { } e)
        {
            var set = (e.Days is null ? 0 : 1) + (e.Date is null ? 0 : 1) + (e.ExpiredObjectDeleteMarker is null ? 0 : 1);
            if (set != 1)
            {
                throw S3Errors.MalformedXml();
            }

            if (e.Days is <= 0)
            {
                throw S3Errors.InvalidArgument("'Days' for Expiration action must be a positive integer");
            }

            CheckMidnight(e.Date);
            if (e.ExpiredObjectDeleteMarker == true && match.HasTags)
            {
                throw S3Errors.InvalidRequest("ExpiredObjectDeleteMarker cannot be specified with tags.");
            }
        }

        foreach (var t in rule.Transitions)
        {
            if ((t.Days is null) == (t.Date is null) || !StorageClasses.IsTransitionTarget(t.StorageClass))
            {
                throw S3Errors.MalformedXml();
            }

            if (t.Days is < 0)
            {
                throw S3Errors.InvalidArgument("'Days' in Transition action must be nonnegative");
            }

            var min = StorageClasses.MinimumTransitionDays(t.StorageClass);
            if (t.Days < min)
            {
                throw S3Errors.InvalidArgument(string.Create(CultureInfo.InvariantCulture,
                    $"'Days' in Transition action must be greater than or equal to {min} for storageClass '{t.StorageClass}'"));
            }

            CheckMidnight(t.Date);
            if (rule.Expiration?.Days is { } expireDays && t.Days is { } transitionDays && expireDays <= transitionDays)
            {
                throw S3Errors.InvalidArgument(
                    $"'Days' in the Expiration action for filter '{Describe(match)}' must be greater than 'Days' in the Transition action");
            }
        }

        if (rule.Transitions.Select(t => t.StorageClass).Distinct().Count() != rule.Transitions.Count)
        {
            throw S3Errors.InvalidRequest("'StorageClass' must be different for 'Transition' actions in same 'Rule'");
        }

        foreach (var t in rule.NoncurrentTransitions)
        {
            if (t.NoncurrentDays is null || !StorageClasses.IsTransitionTarget(t.StorageClass))
            {
                throw S3Errors.MalformedXml();
            }

            if (t.NoncurrentDays < 0)
            {
                throw S3Errors.InvalidArgument("'NoncurrentDays' in NoncurrentVersionTransition action must be nonnegative");
            }

            var min = StorageClasses.MinimumTransitionDays(t.StorageClass);
            if (t.NoncurrentDays < min)
            {
                throw S3Errors.InvalidArgument(string.Create(CultureInfo.InvariantCulture,
                    $"'NoncurrentDays' in NoncurrentVersionTransition action must be greater than or equal to {min} for storageClass '{t.StorageClass}'"));
            }

            CheckNewer(t.NewerNoncurrentVersions);
        }

        if (rule.NoncurrentExpiration is { } ne)
        {
            if (ne.NoncurrentDays is not > 0)
            {
                throw S3Errors.InvalidArgument("'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer");
            }

            CheckNewer(ne.NewerNoncurrentVersions);
        }

        if (rule.AbortIncompleteMultipartUploadDays is { } abortDays)
        {
            if (abortDays <= 0)
            {
                throw S3Errors.InvalidArgument(
                    "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer");
            }

            if (match.HasTags)
            {
                throw S3Errors.InvalidRequest("AbortIncompleteMultipartUpload cannot be specified with Tags.");
            }
        }
    }

    private static void CheckNewer(int? newer)
    {
        if (newer is < 1 or > 100)
        {
            throw S3Errors.InvalidArgument("'NewerNoncurrentVersions' must be an integer between 1 and 100");
        }
    }

    private static void CheckMidnight(DateTimeOffset? date)
    {
        if (date is { } d && d.UtcDateTime.TimeOfDay != TimeSpan.Zero)
        {
            throw S3Errors.InvalidArgument("'Date' must be at midnight GMT");
        }
    }

    private static string Describe(LifecycleMatch m) => m.Prefix.Length > 0 || m.Tags.Count == 0
        ? $"(prefix={m.Prefix})"
        : string.Join(' ', m.Tags.Select(t => $"(tag: key={t.Key}, value={t.Value})"));
}
