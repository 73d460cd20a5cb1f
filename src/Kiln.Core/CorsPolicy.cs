namespace Kiln.Core;

/// <summary>
/// A service whose resources carry browser cross-origin rules (S3 bucket CORS). The gateway asks it
/// only for requests with an <c>Origin</c> header, and for <c>OPTIONS</c> preflights, which it answers
/// before authentication (browsers send preflights unsigned). It knows no HTTP: the gateway reads the
/// request into a <see cref="CorsRequest"/> and writes the <see cref="CorsGrant"/> as headers.
/// </summary>
public interface ICorsPolicy
{
    /// <summary>The service id whose requests this policy answers ("s3").</summary>
    string ServiceId { get; }

    /// <summary>An actual cross-origin request: the headers its response carries, or null when no
    /// rule allows it (the response then carries none; the request itself is not refused).</summary>
    ValueTask<CorsGrant?> MatchAsync(CorsRequest request, CancellationToken cancellationToken);

    /// <summary>A preflight: the grant when a rule allows it; otherwise throws the service's
    /// refusal as an <see cref="Errors.AwsException"/> (S3: 403 AccessForbidden).</summary>
    ValueTask<CorsGrant> PreflightAsync(CorsRequest request, CancellationToken cancellationToken);
}

/// <summary>What the gateway knows of a cross-origin request.</summary>
/// <param name="Path">The request path as sent, percent-encoded; an S3 virtual-host-style request is
/// folded into path style (<c>/bucket/key</c>).</param>
/// <param name="Origin">The Origin header; null when absent (a preflight then fails).</param>
/// <param name="Method">The method of the actual request: the request's own, or a preflight's
/// Access-Control-Request-Method (null when that header is absent).</param>
/// <param name="RequestHeaders">A preflight's Access-Control-Request-Headers, split and trimmed;
/// empty for actual requests.</param>
public sealed record CorsRequest(string Path, string? Origin, string? Method, IReadOnlyList<string> RequestHeaders);

/// <summary>The Access-Control-* headers a matching rule yields. Lists are written comma-separated.</summary>
/// <param name="AllowOrigin">"*" or the request's origin.</param>
/// <param name="AllowHeaders">For a preflight, the requested headers the rule allows.</param>
/// <param name="MaxAgeSeconds">Null: no Access-Control-Max-Age header.</param>
/// <param name="AllowCredentials">Access-Control-Allow-Credentials: true (never with a "*" origin).</param>
public sealed record CorsGrant(string AllowOrigin, IReadOnlyList<string> AllowMethods,
    IReadOnlyList<string> AllowHeaders, IReadOnlyList<string> ExposeHeaders, int? MaxAgeSeconds, bool AllowCredentials);
