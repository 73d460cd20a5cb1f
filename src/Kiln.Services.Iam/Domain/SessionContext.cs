using System.Globalization;
using System.Text.Json;
using Kiln.Policy;

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
    /// <summary>When the session's MFA code was checked (GetSessionToken or AssumeRole with
    /// SerialNumber and TokenCode); null for a session made without MFA.</summary>
    public DateTimeOffset? MfaAuthenticatedAt { get; init; }

    /// <summary>The MFA condition keys of a request made with this session ("AWS global condition
    /// context keys"): aws:MultiFactorAuthPresent is "true" or "false" for every temporary credential
    /// (it is absent only for long-term keys), and aws:MultiFactorAuthAge, the seconds since the MFA
    /// check, exists only when MFA was used.</summary>
    public void AddMfaConditionKeys(ConditionKeys keys, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(keys);
        keys.Set("aws:MultiFactorAuthPresent", MfaAuthenticatedAt is null ? "false" : "true");
        if (MfaAuthenticatedAt is { } at)
        {
            var age = Math.Max(0, (long)(now - at).TotalSeconds);
            keys.Set("aws:MultiFactorAuthAge", age.ToString(CultureInfo.InvariantCulture));
        }
    }

    public string ToJson() => JsonSerializer.Serialize(this);

    public static SessionContext? FromJson(string? json) =>
        json is null ? null : JsonSerializer.Deserialize<SessionContext>(json);
}
