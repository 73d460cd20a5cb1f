using Kiln.Core;
using Kiln.Model.CloudTrail;
using Kiln.Services.CloudTrail.Domain;

namespace Kiln.Services.CloudTrail.Api;

/// <summary>CloudTrail operations: binds the generated shapes to <see cref="EventLookup"/> and
/// <see cref="TrailService"/> (CloudTrailApi.Trails.cs).</summary>
internal sealed partial class CloudTrailApi(EventLookup lookup, TrailService trails) : CloudTrailApiBase
{
    /// <summary>"MaxResults: ... The default is 50, and valid values are integers between 1 and 50";
    /// "LookupAttributes: ... Currently the list can contain only one item" (LookupEvents API reference).</summary>
    public override async Task<LookupEventsResponse> LookupEventsAsync(LookupEventsRequest input, RequestContext context)
    {
        var max = input.MaxResults ?? EventLookup.MaxPageSize;
        if (max is < 1 or > EventLookup.MaxPageSize)
        {
            throw CloudTrailErrors.InvalidMaxResults();
        }

        if (input.StartTime is { } start && input.EndTime is { } end && start > end)
        {
            throw CloudTrailErrors.InvalidTimeRange();
        }

        if (input.EventCategory is not (null or "insight"))
        {
            throw CloudTrailErrors.InvalidEventCategory();
        }

        string? key = null, value = null;
        if (input.LookupAttributes is { Count: > 0 } attributes)
        {
            if (attributes.Count > 1)
            {
                throw CloudTrailErrors.InvalidLookupAttributes("You cannot have more than one lookup attribute.");
            }

            key = attributes[0].AttributeKey;
            value = attributes[0].AttributeValue;
            if (key is null || !EventLookup.AttributeKeys.Contains(key))
            {
                throw CloudTrailErrors.InvalidLookupAttributes($"Lookup attribute key {key} is not valid.");
            }
        }

        // Kiln records no Insights events, so an insight lookup finds nothing.
        if (input.EventCategory == "insight")
        {
            return new LookupEventsResponse { Events = [] };
        }

        var (events, next) = await lookup.LookupAsync(
            new LookupQuery(context.AccountId, key, value, input.StartTime, input.EndTime, max, input.NextToken), context.Aborted);
        return new LookupEventsResponse
        {
            Events =
            [
                .. events.Select(r => new Event
                {
                    EventId = r.EventId,
                    EventName = r.EventName,
                    ReadOnly = r.ReadOnly ? "true" : "false",
                    AccessKeyId = r.Event.AccessKeyId,
                    EventTime = r.Event.EventTime,
                    EventSource = r.EventSource,
                    Username = r.Username,
                    Resources = [.. r.Resources.Select(x => new Resource { ResourceType = x.Type, ResourceName = x.Name })],
                    CloudTrailEvent = r.ToJson(),
                }),
            ],
            NextToken = next,
        };
    }
}
