using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Kiln.Core;
using Kiln.Core.Errors;
using Kiln.Policy;
using Kiln.Services.Iam.Authorization;
using Kiln.Services.Iam.Domain;
using Kiln.Storage.Accounts;

namespace Kiln.Services.Sts.Domain;

/// <summary>What AssumeRole and GetSessionToken hand back.</summary>
public sealed record IssuedSession(AccessKeyWithSecret Key, string? AssumedRoleId, int? PackedPolicySize);

/// <summary>The session requested by AssumeRole.</summary>
public sealed record AssumeRoleInput(
    string? RoleArn,
    string? RoleSessionName,
    int? DurationSeconds,
    string? ExternalId,
    string? Policy,
    IReadOnlyList<string>? PolicyArns,
    IReadOnlyDictionary<string, string>? Tags,
    string? SerialNumber = null,
    string? TokenCode = null);

/// <summary>Temporary credentials: AssumeRole (trust policy evaluated with the caller as principal,
/// "How to use trust policies with IAM roles") and GetSessionToken. Keys are ASIA ids stored in the
/// account store with their sealed secret and session token and their expiry; SigV4 answers
/// ExpiredToken once it has passed.</summary>
public sealed partial class SessionIssuer(IamDirectory iam, IamAuthorizer authorizer, IAccountStore accounts, IClock clock,
    SessionTime? time = null)
{
    // AssumeRole: "The value can range from 900 seconds (15 minutes) up to the maximum session
    // duration setting for the role"; role chaining "limits ... to a maximum of one hour".
    public const int MinDuration = 900;
    public const int ChainedMaxDuration = 3600;
    // GetSessionToken: 900 to 129,600 seconds (36 hours), default 43,200; root at most 3,600.
    public const int SessionTokenMaxDuration = 129_600;
    public const int SessionTokenDefaultDuration = 43_200;

    // Expired keys are kept a day so their use answers ExpiredToken, not InvalidClientTokenId.
    private static readonly TimeSpan s_keepExpired = TimeSpan.FromDays(1);

    [GeneratedRegex(@"^[\w+=,.@-]{2,64}$")]
    private static partial Regex SessionNamePattern();

    [GeneratedRegex(@"^arn:aws:iam::(\d{12}):role/(.*/)?([\w+=,.@-]{1,64})$")]
    private static partial Regex RoleArnPattern();

    public async Task<IssuedSession> AssumeRoleAsync(RequestContext context, AssumeRoleInput input)
    {
        var ct = context.Aborted;
        if (input.RoleSessionName is null || !SessionNamePattern().IsMatch(input.RoleSessionName))
        {
            throw Validation($"1 validation error detected: Value '{input.RoleSessionName}' at 'roleSessionName' failed to " +
                             @"satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*");
        }

        if (input.RoleArn is null || RoleArnPattern().Match(input.RoleArn) is not { Success: true } arn)
        {
            throw Validation($"{input.RoleArn} is invalid");
        }

        var roleAccount = arn.Groups[1].Value;
        var mfaAt = await CheckMfaAsync(context, input.SerialNumber, input.TokenCode);
        var role = await iam.FindRoleAsync(roleAccount, arn.Groups[3].Value, ct);
        var caller = await authorizer.CallerAsync(context);

        // The trust policy is the role's resource policy, and it must allow even within one account;
        // the caller's identity policies (and boundary, session policies) must allow sts:AssumeRole too,
        // unless the trust policy names the caller itself ("Policy evaluation logic").
        var conditions = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase)
        {
            ["sts:RoleSessionName"] = [input.RoleSessionName],
        };
        if (input.ExternalId is { } externalId)
        {
            conditions["sts:ExternalId"] = [externalId];
        }

        if (input.Tags is { Count: > 0 } requestTags)
        {
            foreach (var (k, v) in requestTags)
            {
                conditions["aws:RequestTag/" + k] = [v];
            }

            conditions["aws:TagKeys"] = [.. requestTags.Keys];
        }

        var check = new ActionCheck("sts:AssumeRole", [input.RoleArn], conditions);
        var request = IamAuthorizer.BuildRequest(context, check, caller);
        // MFA: a code given with this call, or the caller's own MFA session (GetSessionToken with MFA).
        var mfa = mfaAt is not null ? new SessionContext { MfaAuthenticatedAt = mfaAt } : caller.Session;
        mfa?.AddMfaConditionKeys(request.Context, context.ReceivedAt);
        var evaluation = new AuthorizationRequest
        {
            PrincipalArn = request.PrincipalArn,
            PrincipalAccount = request.PrincipalAccount,
            PrincipalType = request.PrincipalType,
            UserId = request.UserId,
            UserName = request.UserName,
            RoleArn = request.RoleArn,
            PrincipalTags = request.PrincipalTags,
            Action = request.Action,
            Resources = request.Resources,
            IdentityPolicies = request.IdentityPolicies,
            PermissionsBoundary = request.PermissionsBoundary,
            SessionPolicies = request.SessionPolicies,
            Context = request.Context,
            CurrentTime = request.CurrentTime,
            SourceIp = request.SourceIp,
            SecureTransport = request.SecureTransport,
            ResourceAccount = roleAccount,
            ResourcePolicy = role is null ? null : iam.Parse(role.AssumeRolePolicyDocument, PolicyKind.Trust, role.Arn),
            ResourcePolicyRequired = true,
        };
        // A role that does not exist is denied like one whose trust policy does not allow the
        // caller: AssumeRole does not reveal which roles exist.
        var result = PolicyEvaluator.Evaluate(evaluation);
        if (role is null || role.Arn != input.RoleArn || !result.IsAllowed)
        {
            var denied = result.IsAllowed ? result with { Decision = Decision.ImplicitDeny, PolicyType = PolicyType.ResourceBased } : result;
            throw AccessDeniedMessage.ToException(context.Principal.Arn, "sts:AssumeRole", denied);
        }

        var chained = context.Principal.Kind == PrincipalKind.AssumedRole;
        var max = chained ? Math.Min(ChainedMaxDuration, role.MaxSessionDuration) : role.MaxSessionDuration;
        var duration = input.DurationSeconds ?? 3600;
        if (duration < MinDuration)
        {
            throw Validation($"1 validation error detected: Value '{duration}' at 'durationSeconds' failed to satisfy " +
                             $"constraint: Member must have value greater than or equal to {MinDuration}");
        }

        if (duration > max)
        {
            throw Validation(chained
                ? "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
                : "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.");
        }

        var sessionPolicies = await SessionPoliciesAsync(roleAccount, input, ct);
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in input.Tags ?? new Dictionary<string, string>())
        {
            tags[k] = v;
        }

        var session = new SessionContext
        {
            RoleArn = role.Arn,
            RoleName = role.Name,
            SessionPolicies = sessionPolicies,
            HasSessionPolicies = sessionPolicies.Count > 0,
            Tags = tags,
            MfaAuthenticatedAt = mfaAt,
        };
        var now = clock.UtcNow;
        var assumedRoleId = $"{role.Id}:{input.RoleSessionName}";
        var key = NewKey(new AccessKey(IamIds.TemporaryAccessKey(), roleAccount,
            $"arn:aws:sts::{roleAccount}:assumed-role/{role.Name}/{input.RoleSessionName}", assumedRoleId,
            PrincipalKind.AssumedRole, true, now)
        {
            Expiration = now + (time ?? SessionTime.Real).Of(duration),
            Session = session.ToJson(),
        });
        await accounts.AddAccessKeyAsync(key, ct);
        await iam.RecordRoleUseAsync(roleAccount, role.Name, context.Region, ct);
        await accounts.DeleteExpiredAccessKeysAsync(now - s_keepExpired, ct);
        int? packed = sessionPolicies.Count > 0 || tags.Count > 0 ? PackedSize(sessionPolicies, tags) : null;
        return new IssuedSession(key, assumedRoleId, packed);
    }

    public async Task<IssuedSession> GetSessionTokenAsync(RequestContext context, int? durationSeconds,
        string? serialNumber = null, string? tokenCode = null)
    {
        var principal = context.Principal;
        if (principal.Kind is not (PrincipalKind.IamUser or PrincipalKind.Root) || principal.SessionToken is not null)
        {
            // "You cannot call GetSessionToken with session credentials" (GetSessionToken API reference).
            throw new AwsException("AccessDenied", "Cannot call GetSessionToken with session credentials", 403);
        }

        var max = principal.Kind == PrincipalKind.Root ? 3600 : SessionTokenMaxDuration;
        var duration = durationSeconds ?? Math.Min(SessionTokenDefaultDuration, max);
        if (duration < MinDuration || duration > max)
        {
            throw Validation($"1 validation error detected: Value '{duration}' at 'durationSeconds' failed to satisfy " +
                             $"constraint: Member must have value {(duration < MinDuration ? $"greater than or equal to {MinDuration}" : $"less than or equal to {max}")}");
        }

        var mfaAt = await CheckMfaAsync(context, serialNumber, tokenCode);
        var now = clock.UtcNow;
        // The session acts as the user (or root) itself, with the same policies.
        var key = NewKey(new AccessKey(IamIds.TemporaryAccessKey(), principal.AccountId, principal.Arn, principal.UserId,
            principal.Kind, true, now)
        {
            Expiration = now + (time ?? SessionTime.Real).Of(duration),
            Session = new SessionContext { UserArn = principal.Arn, MfaAuthenticatedAt = mfaAt }.ToJson(),
        });
        await accounts.AddAccessKeyAsync(key, context.Aborted);
        return new IssuedSession(key, null, null);
    }

    /// <summary>SerialNumber and TokenCode: the device must be enabled for the calling IAM user and the
    /// code must be its current TOTP (one step of tolerance). Returns when MFA was verified, or null
    /// when neither was given. Failures are AccessDenied in STS's words.</summary>
    private async Task<DateTimeOffset?> CheckMfaAsync(RequestContext context, string? serialNumber, string? tokenCode)
    {
        if (serialNumber is null && tokenCode is null)
        {
            return null;
        }

        if (tokenCode is not null && !TokenCodePattern().IsMatch(tokenCode))
        {
            throw Validation("1 validation error detected: Value at 'tokenCode' failed to satisfy constraint: " +
                             (tokenCode.Length != 6 ? "Member must have length less than or equal to 6" : @"Member must satisfy regular expression pattern: [\d]*"));
        }

        var principal = context.Principal;
        var verified = principal.Kind == PrincipalKind.IamUser
            ? await iam.VerifyMfaCodeAsync(principal.AccountId, principal.Arn, serialNumber, tokenCode, context.Aborted)
            : null;
        return verified switch
        {
            true => clock.UtcNow,
            false => throw new AwsException("AccessDenied", "MultiFactorAuthentication failed with invalid MFA one time pass code.", 403),
            null => throw new AwsException("AccessDenied",
                "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA serial number is valid and associated with this user.", 403),
        };
    }

    [GeneratedRegex(@"^\d{6}$")]
    private static partial Regex TokenCodePattern();

    private async Task<List<string>> SessionPoliciesAsync(string account, AssumeRoleInput input, CancellationToken ct)
    {
        var documents = new List<string>();
        if (input.Policy is { } inline)
        {
            // "The plaintext that you use for both inline and managed session policies can't exceed 2,048 characters."
            if (inline.Length > 2048)
            {
                throw Validation("1 validation error detected: Value at 'policy' failed to satisfy constraint: " +
                                 "Member must have length less than or equal to 2048");
            }

            Policy.Policy.Parse(inline, PolicyKind.Identity);
            documents.Add(inline);
        }

        if (input.PolicyArns is { Count: > 10 })
        {
            throw Validation("1 validation error detected: Value at 'policyArns' failed to satisfy constraint: " +
                             "Member must have length less than or equal to 10");
        }

        foreach (var arn in input.PolicyArns ?? [])
        {
            var managed = await iam.FindManagedPolicyAsync(account, arn, ct)
                          ?? throw new AwsException("InvalidParameterValue", $"Policy {arn} does not exist or is not attachable.", 400);
            documents.Add(managed.DefaultVersion.Document);
        }

        return documents;
    }

    private static AccessKeyWithSecret NewKey(AccessKey key) =>
        new(key, AccountRules.NewSecretAccessKey())
        {
            // Opaque to clients; AWS's tokens are long base64 strings, so is this one.
            SessionToken = "KiLn" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(192)),
        };

    /// <summary>PackedPolicySize: the percentage of the packed limit the session policies and tags use.</summary>
    private static int PackedSize(List<string> policies, Dictionary<string, string> tags)
    {
        var bytes = policies.Sum(p => p.Count(c => !char.IsWhiteSpace(c))) + tags.Sum(t => t.Key.Length + t.Value.Length);
        return Math.Max(1, (int)Math.Ceiling(bytes * 100.0 / 2048 / 2));
    }

    private static AwsException Validation(string message) => new("ValidationError", message, 400);
}
