using System.Collections.Concurrent;
using Kiln.Core;
using Kiln.Services.S3.Storage;

namespace Kiln.Services.S3.Domain;

/// <summary>Bucket CORS: PutBucketCors validates and stores the rules; the gateway's CORS stage
/// asks <see cref="FindBucketCorsAsync"/> (through <see cref="S3CorsPolicy"/>) for browser
/// preflights and for the headers of actual cross-origin requests.</summary>
public sealed partial class ObjectService
{
    public const int MaxCorsRules = 100;

    private static readonly string[] s_corsMethods = ["GET", "PUT", "POST", "DELETE", "HEAD"];

    // Rules by bucket incarnation: read from the store once, matched on every cross-origin request.
    private readonly ConcurrentDictionary<(string, DateTimeOffset), IReadOnlyList<CorsRule>?> _cors = new();

    public async Task PutBucketCorsAsync(string account, string name, IReadOnlyList<CorsRule>? rules,
        CancellationToken cancellationToken)
    {
        var bucket = await OwnedBucketAsync(account, name, cancellationToken).ConfigureAwait(false);
        CheckCorsRules(rules);
        AccessStore.Put(AccessOf(bucket) with { Cors = rules });
        _cors[(bucket.Name, bucket.CreatedAt)] = rules;
    }

    public async Task<IReadOnlyList<CorsRule>> GetBucketCorsAsync(string account, string name,
        CancellationToken cancellationToken)
    {
        var bucket = await OwnedBucketAsync(account, name, cancellationToken).ConfigureAwait(false);
        return AccessOf(bucket).Cors ?? throw AccessErrors.NoSuchCorsConfiguration(name);
    }

    public async Task DeleteBucketCorsAsync(string account, string name, CancellationToken cancellationToken)
    {
        var bucket = await OwnedBucketAsync(account, name, cancellationToken).ConfigureAwait(false);
        AccessStore.Put(AccessOf(bucket) with { Cors = null });
        _cors[(bucket.Name, bucket.CreatedAt)] = null;
    }

    /// <summary>A bucket's CORS rules for the gateway: Exists false when there is no such bucket,
    /// Rules null when it has no configuration.</summary>
    public async Task<(bool Exists, IReadOnlyList<CorsRule>? Rules)> FindBucketCorsAsync(string name,
        CancellationToken cancellationToken)
    {
        var bucket = await store.GetBucketAsync(name, cancellationToken).ConfigureAwait(false);
        if (bucket is null)
        {
            return (false, null);
        }

        var rules = _cors.GetOrAdd((bucket.Name, bucket.CreatedAt), _ => AccessOf(bucket).Cors);
        return (true, rules);
    }

    /// <summary>Validates rules as S3 does: 1 to 100 rules, each with origins and methods; methods
    /// among GET, PUT, POST, DELETE, HEAD; at most one wildcard per origin and per header.</summary>
    internal static void CheckCorsRules(IReadOnlyList<CorsRule>? rules)
    {
        if (rules is null || rules.Count == 0 || rules.Count > MaxCorsRules)
        {
            throw S3Errors.MalformedXml();
        }

        foreach (var rule in rules)
        {
            if (rule.AllowedMethods.Count == 0 || rule.AllowedOrigins.Count == 0)
            {
                throw S3Errors.MalformedXml();
            }

            foreach (var method in rule.AllowedMethods)
            {
                if (!s_corsMethods.Contains(method, StringComparer.Ordinal))
                {
                    throw S3Errors.InvalidRequest(
                        $"Found unsupported HTTP method in CORS config. Unsupported method is {method}");
                }
            }

            foreach (var origin in rule.AllowedOrigins)
            {
                if (origin.Count(c => c == '*') > 1)
                {
                    throw S3Errors.InvalidRequest($"AllowedOrigin \"{origin}\" can not have more than one wildcard.");
                }
            }

            foreach (var header in rule.AllowedHeaders)
            {
                if (header.Count(c => c == '*') > 1)
                {
                    throw S3Errors.InvalidRequest($"AllowedHeader \"{header}\" can not have more than one wildcard.");
                }
            }

            if (rule.MaxAgeSeconds is < 0)
            {
                throw S3Errors.MalformedXml();
            }

            if (rule.Id is { Length: > 255 })
            {
                throw S3Errors.InvalidArgument("The ID of a CORS rule cannot be longer than 255 characters.", "ID",
                    rule.Id);
            }
        }
    }

    /// <summary>The first rule that allows <paramref name="origin"/>, <paramref name="method"/> and
    /// every one of <paramref name="requestHeaders"/> (S3 evaluates rules in order), or null.</summary>
    internal static CorsRule? MatchCors(IReadOnlyList<CorsRule> rules, string origin, string method,
        IReadOnlyList<string> requestHeaders)
    {
        foreach (var rule in rules)
        {
            if (rule.AllowedMethods.Contains(method, StringComparer.Ordinal) &&
                rule.AllowedOrigins.Any(o => Glob(o, origin, StringComparison.Ordinal)) &&
                requestHeaders.All(h => rule.AllowedHeaders.Any(a => Glob(a, h, StringComparison.OrdinalIgnoreCase))))
            {
                return rule;
            }
        }

        return null;
    }

    /// <summary>The headers a matched rule yields: a rule whose origin is exactly "*" answers "*"
    /// without credentials; any other echoes the origin and allows credentials.</summary>
    internal static CorsGrant GrantOf(CorsRule rule, string origin, IReadOnlyList<string> requestHeaders)
    {
        var any = rule.AllowedOrigins.Contains("*", StringComparer.Ordinal) &&
                  !rule.AllowedOrigins.Any(o => o != "*" && Glob(o, origin, StringComparison.Ordinal));
        return new CorsGrant(any ? "*" : origin, rule.AllowedMethods, requestHeaders, rule.ExposeHeaders,
            rule.MaxAgeSeconds, AllowCredentials: !any);
    }

    /// <summary>A pattern with at most one '*', which matches any run of characters.</summary>
    internal static bool Glob(string pattern, string value, StringComparison comparison)
    {
        var star = pattern.IndexOf('*');
        if (star < 0)
        {
            return string.Equals(pattern, value, comparison);
        }

        var prefix = pattern.AsSpan(0, star);
        var suffix = pattern.AsSpan(star + 1);
        return value.Length >= prefix.Length + suffix.Length && value.AsSpan().StartsWith(prefix, comparison) &&
               value.AsSpan().EndsWith(suffix, comparison);
    }
}

/// <summary>The gateway's view of S3 bucket CORS (<see cref="ICorsPolicy"/>): the bucket is the
/// first path segment (the gateway folds virtual-host requests into path style).</summary>
public sealed class S3CorsPolicy(ObjectService objects) : ICorsPolicy
{
    private static readonly string[] s_methods = ["GET", "PUT", "POST", "DELETE", "HEAD"];

    public string ServiceId => "s3";

    public async ValueTask<CorsGrant?> MatchAsync(CorsRequest request, CancellationToken cancellationToken)
    {
        if (request.Origin is not { } origin || request.Method is not { } method || Target(request.Path).Bucket is not { } bucket)
        {
            return null;
        }

        var (_, rules) = await objects.FindBucketCorsAsync(bucket, cancellationToken).ConfigureAwait(false);
        var rule = rules is null ? null : ObjectService.MatchCors(rules, origin, method, []);
        return rule is null ? null : ObjectService.GrantOf(rule, origin, []);
    }

    public async ValueTask<CorsGrant> PreflightAsync(CorsRequest request, CancellationToken cancellationToken)
    {
        if (request.Origin is not { Length: > 0 } origin)
        {
            throw AccessErrors.CorsBadRequest("Insufficient information. Origin request header needed.");
        }

        if (request.Method is not { Length: > 0 } method)
        {
            throw AccessErrors.CorsBadRequest("Invalid Access-Control-Request-Method: null");
        }

        if (!s_methods.Contains(method, StringComparer.Ordinal))
        {
            throw AccessErrors.CorsBadRequest($"Invalid Access-Control-Request-Method: {method}");
        }

        var (bucket, hasKey) = Target(request.Path);
        var resourceType = hasKey ? "OBJECT" : "BUCKET";
        if (bucket is null)
        {
            throw AccessErrors.CorsNotEnabled(method, resourceType);
        }

        var (exists, rules) = await objects.FindBucketCorsAsync(bucket, cancellationToken).ConfigureAwait(false);
        if (!exists)
        {
            throw S3Errors.NoSuchBucket(bucket);
        }

        if (rules is null)
        {
            throw AccessErrors.CorsNotEnabled(method, resourceType);
        }

        var rule = ObjectService.MatchCors(rules, origin, method, request.RequestHeaders)
                   ?? throw AccessErrors.CorsNotAllowed(method, resourceType);
        return ObjectService.GrantOf(rule, origin, request.RequestHeaders);
    }

    private static (string? Bucket, bool HasKey) Target(string path)
    {
        var rest = path.AsSpan().TrimStart('/');
        if (rest.IsEmpty)
        {
            return (null, false);
        }

        var slash = rest.IndexOf('/');
        var bucket = Uri.UnescapeDataString((slash < 0 ? rest : rest[..slash]).ToString());
        return (bucket, slash >= 0 && slash < rest.Length - 1);
    }
}
