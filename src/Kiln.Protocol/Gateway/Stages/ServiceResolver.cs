using Kiln.Core.Errors;
using Kiln.Protocol.SigV4;
using Microsoft.AspNetCore.Http;

namespace Kiln.Protocol.Gateway.Stages;

/// <summary>Stage 2: which AWS service a request is for, in the order STYLE.md §2 gives:
/// the SigV4 credential scope, then X-Amz-Target, then Action/Version, then host and path rules.
/// Several services share a signing name (sagemaker: SageMaker, its runtime and the feature store
/// runtime; s3: S3 and S3 Control); among those the target header or the URI decides.</summary>
internal sealed class ServiceResolver(ServiceCatalog catalog, GatewayOptions options)
{
    private readonly RegisteredService _s3 = catalog.ById["s3"];

    public void Resolve(GatewayRequest request)
    {
        var http = request.Request;
        var target = http.Headers["X-Amz-Target"].ToString();
        request.Region = options.DefaultRegion;
        if (CredentialScope.TryRead(http, out var scope))
        {
            request.Region = scope.Region;
            var candidates = catalog.BySigningName(scope.Service)
                ?? throw new AwsException("UnknownService",
                    $"Kiln does not serve the service '{scope.Service}' named in the credential scope.", 400);
            request.Service = candidates.Length == 1 ? candidates[0] : Choose(candidates, request, target);
        }
        else if (target.Length > 0 && catalog.ByTarget(target, out _) is { } byTarget)
        {
            request.Service = byTarget;
        }
        else if (http.Query["Action"].Count > 0 || IsForm(http))
        {
            // Anonymous query-protocol calls: Version names the API (each query service has its own).
            var version = http.Query["Version"].ToString();
            request.Service = catalog.QueryServiceByVersion(version) ?? catalog.ById["sts"];
        }
        else
        {
            request.Service = _s3;
        }

        if (request.Service.IsS3)
        {
            request.HostBucket = VirtualHostBucket(http.Host.Host);
        }
    }

    private RegisteredService Choose(RegisteredService[] candidates, GatewayRequest request, string target)
    {
        if (target.Length > 0)
        {
            foreach (var candidate in candidates)
            {
                if (candidate.Info.TargetPrefix is { } prefix && target.StartsWith(prefix + ".", StringComparison.Ordinal))
                {
                    return candidate;
                }
            }
        }

        // Rest services other than S3 have distinctive URIs (S3 Control /v20180820/..., SageMaker
        // Runtime /endpoints/..., Feature Store /FeatureGroup/...); S3 takes everything else.
        RegisteredService? fallback = null;
        foreach (var candidate in candidates)
        {
            if (candidate.IsS3)
            {
                fallback = candidate;
            }
            else if (candidate.IsRest && catalog.Routes(candidate).Match(request.Request, RawPath.Of(request.Request, null)) is not null)
            {
                return candidate;
            }
            else if (!candidate.IsRest)
            {
                fallback ??= candidate;
            }
        }

        return fallback ?? candidates[0];
    }

    private string? VirtualHostBucket(string host)
    {
        if (options.VirtualHostDomains.Contains(host, StringComparer.OrdinalIgnoreCase))
        {
            return null;
        }

        foreach (var domain in options.VirtualHostDomains)
        {
            if (host.Length > domain.Length + 1 && host.EndsWith(domain, StringComparison.OrdinalIgnoreCase) &&
                host[host.Length - domain.Length - 1] == '.')
            {
                return host[..(host.Length - domain.Length - 1)];
            }
        }

        return null;
    }

    private static bool IsForm(HttpRequest http) =>
        http.ContentType?.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase) == true;
}
