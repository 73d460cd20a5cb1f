using System.Text.Json;

namespace Kiln.Services.Iam.Domain;

/// <summary>What a temporary credential carries besides its secret: the role it is a session of (for
/// AssumeRole), the session policies that cap it, and its session tags. Stored as JSON beside the
/// key in the account store (<c>AccessKey.Session</c>); the authorizer reads it back.</summary>
public sealed record SessionContext
{
    /// <summary>The role's ARN with its path; null for GetSessionToken sessions.</summary>
    public string? RoleArn { get; init; }
    public string? RoleName { get; init; }
    /// <summary>For GetSessionToken: the ARN of the IAM user whose permissions the session has.</summary>
    public string? UserArn { get; init; }
    /// <summary>Inline session policy and the default documents of PolicyArns, resolved when the
    /// session was made (AWS fixes the session's permissions at AssumeRole time).</summary>
    public List<string> SessionPolicies { get; init; } = [];
    public bool HasSessionPolicies { get; init; }
    public Dictionary<string, string> Tags { get; init; } = new(StringComparer.Ordinal);

    public string ToJson() => JsonSerializer.Serialize(this);

    public static SessionContext? FromJson(string? json) =>
        json is null ? null : JsonSerializer.Deserialize<SessionContext>(json);
}
