using System.Text.Json.Serialization;

namespace Kiln.Services.CloudTrail.Domain;

/// <summary>A trail: where its account's events go, and where delivery has got to. Stored as one JSON
/// document (layout version 1: these property names); trails live in their home region.</summary>
public sealed record Trail
{
    public required string AccountId { get; init; }
    public required string HomeRegion { get; init; }
    public required string Name { get; init; }
    public required string S3BucketName { get; init; }
    public string? S3KeyPrefix { get; init; }
    public bool IncludeGlobalServiceEvents { get; init; } = true;
    /// <summary>The trail takes the events of every region, not only its home region's.</summary>
    public bool IsMultiRegionTrail { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();

    public bool IsLogging { get; init; }
    public DateTimeOffset? StartLoggingTime { get; init; }
    public DateTimeOffset? StopLoggingTime { get; init; }
    public DateTimeOffset? LatestDeliveryTime { get; init; }
    public DateTimeOffset? LatestDeliveryAttemptTime { get; init; }
    public string? LatestDeliveryError { get; init; }

    /// <summary>Events up to this time have been delivered (the delivery cursor).</summary>
    public DateTimeOffset? DeliveredThrough { get; init; }

    [JsonIgnore]
    public string Arn => TrailNames.Arn(HomeRegion, AccountId, Name);

    /// <summary>True while there is something to deliver: logging, or stopped with events from before
    /// StopLogging not yet delivered.</summary>
    [JsonIgnore]
    public bool HasPendingDelivery =>
        IsLogging || (StopLoggingTime is { } stop && DeliveredThrough is { } through && through < stop);
}
