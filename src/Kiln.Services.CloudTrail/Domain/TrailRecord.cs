using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Kiln.Core.Audit;
using Kiln.Core.Shapes;

namespace Kiln.Services.CloudTrail.Domain;

/// <summary>
/// One audit event as CloudTrail reports it: the LookupEvents fields and the CloudTrail record JSON
/// ("CloudTrail record contents for management, data, and network activity events", CloudTrail User
/// Guide). The audit log holds no body, no secret and no signature, so neither can this;
/// requestParameters and responseElements are null, as CloudTrail writes them for calls it does not detail.
/// </summary>
public sealed class TrailRecord
{
    private static readonly string[] s_readOnlyPrefixes = ["Get", "List", "Describe", "Head", "Lookup", "Search", "BatchGet", "Select"];

    private TrailRecord(AuditEvent e, string eventSource)
    {
        Event = e;
        EventSource = eventSource;
        EventId = EventIdOf(e.RequestId);
        EventName = e.Operation ?? "";
        Username = UsernameOf(e.PrincipalArn, e.AccountId);
        ReadOnly = IsReadOnly(EventName);
    }

    public AuditEvent Event { get; }
    public string EventId { get; }
    public string EventName { get; }
    public string EventSource { get; }
    public string? Username { get; }
    public bool ReadOnly { get; }

    /// <summary>Builds records with event sources named after each service's endpoint prefix
    /// (<c>s3.amazonaws.com</c>, <c>kms.amazonaws.com</c>).</summary>
    public static Func<AuditEvent, TrailRecord> Factory(IEnumerable<ServiceInfo> services)
    {
        var sources = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var s in services)
        {
            // SageMaker's runtime calls are recorded under sagemaker.amazonaws.com.
            var prefix = s.EndpointPrefix.StartsWith("runtime.", StringComparison.Ordinal) ? s.EndpointPrefix[8..] : s.EndpointPrefix;
            sources[s.ServiceId] = (prefix.Length > 0 ? prefix : s.ServiceId.ToLowerInvariant()) + ".amazonaws.com";
        }

        return e => new TrailRecord(e, sources.GetValueOrDefault(e.Service) ?? e.Service.ToLowerInvariant() + ".amazonaws.com");
    }

    /// <summary>A stable GUID per request, so an event keeps its EventId across lookups.</summary>
    public static string EventIdOf(string requestId)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(requestId), hash);
        return new Guid(hash[..16]).ToString("D");
    }

    /// <summary>LookupEvents' Username: "root" for the root user, the user name for IAM users, the
    /// session name for role sessions.</summary>
    public static string? UsernameOf(string? principalArn, string? accountId)
    {
        if (principalArn is null)
        {
            return null;
        }

        if (principalArn == $"arn:aws:iam::{accountId}:root")
        {
            return "root";
        }

        var slash = principalArn.LastIndexOf('/');
        return slash < 0 ? principalArn : principalArn[(slash + 1)..];
    }

    public static bool IsReadOnly(string eventName) =>
        s_readOnlyPrefixes.Any(p => eventName.StartsWith(p, StringComparison.Ordinal));

    /// <summary>The record JSON, eventVersion 1.08.</summary>
    public string ToJson()
    {
        var e = Event;
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("eventVersion", "1.08");
            json.WriteStartObject("userIdentity");
            var type = Username == "root" ? "Root" : e.PrincipalArn?.Contains(":assumed-role/", StringComparison.Ordinal) == true ? "AssumedRole" : "IAMUser";
            json.WriteString("type", type);
            if (type == "Root")
            {
                json.WriteString("principalId", e.AccountId);
            }

            json.WriteString("arn", e.PrincipalArn);
            json.WriteString("accountId", e.AccountId);
            json.WriteString("accessKeyId", e.AccessKeyId);
            if (type == "IAMUser")
            {
                json.WriteString("userName", Username);
            }

            json.WriteEndObject();
            json.WriteString("eventTime", e.EventTime.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture));
            json.WriteString("eventSource", EventSource);
            json.WriteString("eventName", EventName);
            json.WriteString("awsRegion", e.Region);
            json.WriteString("sourceIPAddress", e.SourceIp);
            json.WriteString("userAgent", e.UserAgent);
            if (e.ErrorCode is not null)
            {
                json.WriteString("errorCode", e.ErrorCode);
                json.WriteString("errorMessage", e.ErrorMessage);
            }

            json.WriteNull("requestParameters");
            json.WriteNull("responseElements");
            json.WriteString("requestID", e.RequestId);
            json.WriteString("eventID", EventId);
            json.WriteBoolean("readOnly", ReadOnly);
            json.WriteString("eventType", "AwsApiCall");
            json.WriteBoolean("managementEvent", true);
            json.WriteString("recipientAccountId", e.AccountId);
            json.WriteString("eventCategory", "Management");
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
