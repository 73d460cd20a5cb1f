using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Kiln.Core;
using Kiln.Protocol.SigV4;
using Microsoft.AspNetCore.Http;

namespace Kiln.Protocol.SigV2;

/// <summary>S3 presigned URLs in the legacy Signature Version 2 query form
/// (<c>?AWSAccessKeyId=…&amp;Expires=…&amp;Signature=…</c>). Debian's botocore 1.29 still presigns S3
/// URLs this way unless told <c>signature_version='s3v4'</c>, so boto3's default
/// <c>generate_presigned_url</c> needs it. Only the query form is accepted: SigV2 Authorization
/// headers are not.
///
/// String to sign (Amazon S3 developer guide, "Signing and authenticating REST requests", query
/// string request authentication): VERB \n Content-MD5 \n Content-Type \n Expires \n
/// CanonicalizedAmzHeaders CanonicalizedResource, where the resource is the raw path with the
/// bucket (virtual-host requests included) plus the sub-resources botocore's HmacV1Auth lists,
/// sorted, values unescaped. The signature is base64(HMAC-SHA1(secret, string to sign)).</summary>
public sealed class S3QueryAuthenticator(ICredentialSource credentials, IClock clock)
{
    // botocore auth.py HmacV1Auth.QSAOfInterest: the query parameters that are part of the resource.
    private static readonly HashSet<string> s_subResources = new(StringComparer.Ordinal)
    {
        "accelerate", "acl", "cors", "defaultObjectAcl", "location", "logging", "partNumber", "policy",
        "requestPayment", "torrent", "versioning", "versionId", "versions", "website", "uploads", "uploadId",
        "response-content-type", "response-content-language", "response-expires", "response-cache-control",
        "response-content-disposition", "response-content-encoding", "delete", "lifecycle", "tagging", "restore",
        "storageClass", "notification", "replication", "analytics", "metrics", "inventory", "select",
        "select-type", "object-lock",
    };

    /// <summary>True when the request carries a SigV2 query signature.</summary>
    public static bool IsPresigned(HttpRequest request) =>
        request.Query.ContainsKey("AWSAccessKeyId") && request.Query.ContainsKey("Signature");

    /// <summary>Verifies the signature and expiry; returns the signer.</summary>
    /// <param name="hostBucket">The bucket of a virtual-host-style request, which the resource includes.</param>
    /// <exception cref="SigV4Exception">Expired, unknown key, or wrong signature (S3's codes).</exception>
    public async ValueTask<Principal> AuthenticateAsync(HttpRequest request, string? hostBucket,
        CancellationToken cancellationToken)
    {
        var query = request.Query;
        var accessKeyId = query["AWSAccessKeyId"].ToString();
        var expiresText = query["Expires"].ToString();
        if (!long.TryParse(expiresText, NumberStyles.None, CultureInfo.InvariantCulture, out var expires))
        {
            throw AuthErrors.ToAwsException(AuthFailure.MissingPresignParameter, AuthErrorStyle.S3,
                "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters");
        }

        if (clock.UtcNow.ToUnixTimeSeconds() > expires)
        {
            throw AuthErrors.ToAwsException(AuthFailure.PresignExpired, AuthErrorStyle.S3);
        }

        var credential = await credentials.FindAsync(accessKeyId, cancellationToken).ConfigureAwait(false);
        if (credential is not { Active: true } || credential.SessionToken is not null &&
            !TokenMatches(credential.SessionToken, query["x-amz-security-token"].ToString()))
        {
            throw AuthErrors.ToAwsException(AuthFailure.UnknownAccessKey, AuthErrorStyle.S3);
        }

        var stringToSign = StringToSign(request, hostBucket, expiresText);
        Span<byte> expected = stackalloc byte[20];
        HMACSHA1.HashData(Encoding.UTF8.GetBytes(credential.SecretAccessKey), Encoding.UTF8.GetBytes(stringToSign), expected);
        Span<byte> given = stackalloc byte[32];
        if (!Convert.TryFromBase64String(query["Signature"].ToString(), given, out var length) || length != 20 ||
            !CryptographicOperations.FixedTimeEquals(expected, given[..20]))
        {
            throw AuthErrors.ToAwsException(AuthFailure.SignatureMismatch, AuthErrorStyle.S3);
        }

        return credential.Principal;
    }

    internal static string StringToSign(HttpRequest request, string? hostBucket, string expires)
    {
        var text = new StringBuilder();
        text.Append(request.Method.ToUpperInvariant()).Append('\n');
        text.Append(Signed(request, "content-md5")).Append('\n');
        text.Append(Signed(request, "content-type")).Append('\n');
        text.Append(expires).Append('\n');

        // x-amz-* values signed by the client travel as query parameters (botocore moves them
        // there) or as headers; either way they are part of what was signed.
        var amz = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, values) in request.Headers)
        {
            if (name.StartsWith("x-amz-", StringComparison.OrdinalIgnoreCase))
            {
                amz[name.ToLowerInvariant()] = string.Join(',', values.Select(v => v?.Trim()));
            }
        }

        foreach (var (name, values) in request.Query)
        {
            if (name.StartsWith("x-amz-", StringComparison.OrdinalIgnoreCase))
            {
                amz[name.ToLowerInvariant()] = values.ToString();
            }
        }

        foreach (var (name, value) in amz)
        {
            text.Append(name).Append(':').Append(value).Append('\n');
        }

        text.Append(hostBucket is null ? "" : "/" + hostBucket).Append(Gateway.Stages.RawPath.Of(request, null));
        var sub = request.Query.Where(p => s_subResources.Contains(p.Key)).OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => p.Value.ToString() is { Length: > 0 } v ? $"{p.Key}={v}" : p.Key).ToList();
        if (sub.Count > 0)
        {
            text.Append('?').AppendJoin('&', sub);
        }

        return text.ToString();
    }

    private static string Signed(HttpRequest request, string name) =>
        request.Query.TryGetValue(name, out var fromQuery) ? fromQuery.ToString().Trim()
        : request.Headers.TryGetValue(name, out var fromHeader) ? fromHeader.ToString().Trim() : "";

    private static bool TokenMatches(string expected, string given) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(given));
}
