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

    // S3's data events ("Logging data events", CloudTrail User Guide; "Amazon S3 data events" in the
    // S3 User Guide): object-level calls and object listings. Everything else S3 does is a management event.
    private static readonly HashSet<string> s_s3DataEvents = new(StringComparer.Ordinal)
    {
        "GetObject", "PutObject", "DeleteObject", "DeleteObjects", "HeadObject", "CopyObject", "GetObjectAcl", "PutObjectAcl",
        "GetObjectTagging", "PutObjectTagging", "DeleteObjectTagging", "GetObjectAttributes", "RestoreObject",
        "SelectObjectContent", "CreateMultipartUpload", "UploadPart", "UploadPartCopy", "CompleteMultipartUpload",
        "AbortMultipartUpload", "ListParts", "ListObjects", "ListObjectsV2", "ListObjectVersions", "GetObjectRetention",
        "PutObjectRetention", "GetObjectLegalHold", "PutObjectLegalHold", "GetObjectTorrent",
    };

    private TrailRecord(AuditEvent e, string eventSource)
    {
        Event = e;
        EventSource = eventSource;
        EventId = EventIdOf(e.RequestId);
        EventName = e.Operation ?? "";
        Username = UsernameOf(e.PrincipalArn, e.AccountId);
        ReadOnly = IsReadOnly(EventName);
        ManagementEvent = !IsDataEvent(e.Service, EventName);
        Resources = TrailResources.From(e.Resources);
    }

    public AuditEvent Event { get; }
    public string EventId { get; }
    public string EventName { get; }
    public string EventSource { get; }
    public string? Username { get; }
    public bool ReadOnly { get; }
    /// <summary>False for data events (S3 object calls, SageMaker runtime invocations), which a trail
    /// with the default event selectors does not deliver.</summary>
    public bool ManagementEvent { get; }
    public IReadOnlyList<TrailResource> Resources { get; }

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

    /// <param name="serviceId">The audit event's service (the model's service name: s3, sagemaker-runtime).</param>
    public static bool IsDataEvent(string serviceId, string eventName) => serviceId.ToLowerInvariant() switch
    {
        "s3" => s_s3DataEvents.Contains(eventName),
        "sagemaker-runtime" => true,
        _ => false,
    };

    public static bool IsReadOnly(string eventName) =>
        s_readOnlyPrefixes.Any(p => eventName.StartsWith(p, StringComparison.Ordinal));

    /// <summary>The record JSON, eventVersion 1.08.</summary>
    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            WriteTo(json);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Writes the record as one JSON object (a log file's Records element).</summary>
    public void WriteTo(Utf8JsonWriter json)
    {
        var e = Event;
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
            if (Resources.Count > 0)
            {
                json.WriteStartArray("resources");
                foreach (var r in Resources)
                {
                    json.WriteStartObject();
                    if (r.AccountId is not null)
                    {
                        json.WriteString("accountId", r.AccountId);
                    }

                    json.WriteString("type", r.Type);
                    json.WriteString("ARN", r.Arn);
                    json.WriteEndObject();
                }

                json.WriteEndArray();
            }

            json.WriteString("eventType", "AwsApiCall");
            json.WriteBoolean("managementEvent", ManagementEvent);
            json.WriteString("recipientAccountId", e.AccountId);
            json.WriteString("eventCategory", ManagementEvent ? "Management" : "Data");
            json.WriteEndObject();
        }
    }
}
