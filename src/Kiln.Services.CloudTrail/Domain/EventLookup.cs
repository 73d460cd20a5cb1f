using System.Globalization;
using System.Text;
using Kiln.Core.Audit;

namespace Kiln.Services.CloudTrail.Domain;

/// <summary>A LookupEvents query: one optional attribute, a time range, a page size and where the
/// previous page ended.</summary>
public sealed record LookupQuery(string AccountId, string? AttributeKey, string? AttributeValue, DateTimeOffset? StartTime,
    DateTimeOffset? EndTime, int MaxResults, string? NextToken);

/// <summary>
/// LookupEvents over the audit log (IAuditLog.ListAsync, newest first, one account only). The log
/// has no index by attribute, so a lookup scans at most <see cref="ScanLimit"/> events of the account
/// from the newest (or from StartTime); CloudTrail itself only looks back 90 days.
/// NextToken is the position of the last event returned: its time and request id.
/// </summary>
public sealed class EventLookup(IAuditLog audit, Func<AuditEvent, TrailRecord> records)
{
    public const int ScanLimit = 100_000;
    public const int MaxPageSize = 50;

    /// <summary>"AttributeKey ... Valid Values: EventId | EventName | ReadOnly | Username | ResourceType |
    /// ResourceName | EventSource | AccessKeyId" (LookupAttribute).</summary>
    public static readonly IReadOnlySet<string> AttributeKeys = new HashSet<string>(StringComparer.Ordinal)
    {
        "EventId", "EventName", "ReadOnly", "Username", "ResourceType", "ResourceName", "EventSource", "AccessKeyId",
    };

    public async Task<(IReadOnlyList<TrailRecord> Events, string? NextToken)> LookupAsync(LookupQuery query, CancellationToken ct)
    {
        var position = query.NextToken is null ? default : ParseToken(query.NextToken);
        // Calls that finished just before this one are in the audit queue; make them visible.
        await audit.FlushAsync(ct).ConfigureAwait(false);
        var events = await audit.ListAsync(query.AccountId, query.StartTime, ScanLimit, ct).ConfigureAwait(false);
        var page = new List<TrailRecord>(query.MaxResults);
        var skipping = query.NextToken is not null;
        foreach (var e in events)
        {
            if (skipping)
            {
                // Newest first: everything up to and including the token's event was on earlier pages.
                if (e.EventTime.UtcTicks > position.Ticks
                    || (e.EventTime.UtcTicks == position.Ticks && string.CompareOrdinal(e.RequestId, position.RequestId) >= 0))
                {
                    continue;
                }

                skipping = false;
            }

            if (e.AccountId != query.AccountId || (query.EndTime is { } end && e.EventTime > end)
                || (query.StartTime is { } start && e.EventTime < start))
            {
                continue;
            }

            var record = records(e);
            if (!Matches(record, query.AttributeKey, query.AttributeValue))
            {
                continue;
            }

            if (page.Count == query.MaxResults)
            {
                var last = page[^1].Event;
                return (page, Token(last));
            }

            page.Add(record);
        }

        return (page, null);
    }

    private static bool Matches(TrailRecord r, string? key, string? value) => key switch
    {
        null => true,
        "EventId" => r.EventId == value,
        "EventName" => r.EventName == value,
        "ReadOnly" => string.Equals(r.ReadOnly ? "true" : "false", value, StringComparison.OrdinalIgnoreCase),
        "Username" => r.Username == value,
        "EventSource" => r.EventSource == value,
        "AccessKeyId" => r.Event.AccessKeyId == value,
        // Resources are what the authorize stage resolved for the request (AuditEvent.Resources).
        "ResourceType" => r.Resources.Any(x => x.Type == value),
        "ResourceName" => r.Resources.Any(x => x.Name == value || x.Arn == value),
        _ => false,
    };

    private static string Token(AuditEvent e) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(e.EventTime.UtcTicks.ToString(CultureInfo.InvariantCulture) + "|" + e.RequestId));

    private static (long Ticks, string RequestId) ParseToken(string token)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(token));
            var bar = text.IndexOf('|', StringComparison.Ordinal);
            if (bar > 0 && long.TryParse(text.AsSpan(0, bar), NumberStyles.None, CultureInfo.InvariantCulture, out var ticks))
            {
                return (ticks, text[(bar + 1)..]);
            }
        }
        catch (FormatException)
        {
        }

        throw CloudTrailErrors.InvalidNextToken();
    }
}
