using Microsoft.AspNetCore.Http;

namespace Kiln.Protocol.SigV4;

/// <summary>The parts of a SigV4 credential, <c>AKID/yyyyMMdd/region/service/aws4_request</c>.</summary>
/// <param name="AccessKeyId">The access key id the request claims.</param>
/// <param name="Date">The scope date, <c>yyyyMMdd</c>.</param>
/// <param name="Region">The region the request was signed for.</param>
/// <param name="Service">The signing name (<c>s3</c>, <c>sts</c>, <c>sagemaker</c>...).</param>
public readonly record struct CredentialScope(string AccessKeyId, string Date, string Region, string Service)
{
    /// <summary>Reads the scope from the Authorization header or the presigned X-Amz-Credential
    /// parameter without verifying anything, so the gateway can pick the service before it
    /// authenticates. False for anonymous requests and for credentials that do not parse (the
    /// authenticator reports those).</summary>
    public static bool TryRead(HttpRequest request, out CredentialScope scope)
    {
        var authorization = request.Headers.Authorization;
        if (authorization.Count > 0)
        {
            var value = authorization[0].AsSpan();
            if (!value.StartsWith(SigV4Strings.Algorithm, StringComparison.Ordinal))
            {
                scope = default;
                return false;
            }

            var at = value.IndexOf("Credential=", StringComparison.Ordinal);
            if (at < 0)
            {
                scope = default;
                return false;
            }

            var credential = value[(at + "Credential=".Length)..];
            var end = credential.IndexOfAny(',', ' ');
            return TryParse(end < 0 ? credential : credential[..end], out scope);
        }

        var raw = QueryValue(request.QueryString.Value, SigV4Strings.QueryCredential);
        if (raw.IsEmpty)
        {
            scope = default;
            return false;
        }

        return TryParse(raw.Contains('%') ? Uri.UnescapeDataString(raw.ToString()) : raw, out scope);
    }

    /// <summary>The scope of <paramref name="request"/>, or null when it carries none (anonymous).</summary>
    public static CredentialScope? Read(HttpRequest request) => TryRead(request, out var scope) ? scope : null;

    internal static bool TryParse(ReadOnlySpan<char> credential, out CredentialScope scope)
    {
        scope = default;
        Span<Range> parts = stackalloc Range[6];
        if (credential.Split(parts, '/') != 5)
        {
            return false;
        }

        var key = credential[parts[0]];
        var date = credential[parts[1]];
        var region = credential[parts[2]];
        var service = credential[parts[3]];
        if (key.IsEmpty || region.IsEmpty || service.IsEmpty || date.Length != 8 ||
            date.ContainsAnyExceptInRange('0', '9') || !credential[parts[4]].SequenceEqual(SigV4Strings.Terminator))
        {
            return false;
        }

        scope = new CredentialScope(key.ToString(), date.ToString(), Intern(region), Intern(service));
        return true;
    }

    /// <summary>The raw (still percent-encoded) value of the first <paramref name="name"/> parameter.</summary>
    internal static ReadOnlySpan<char> QueryValue(ReadOnlySpan<char> query, string name)
    {
        var rest = query;
        if (rest.StartsWith('?'))
        {
            rest = rest[1..];
        }

        while (!rest.IsEmpty)
        {
            var amp = rest.IndexOf('&');
            var pair = amp < 0 ? rest : rest[..amp];
            if (pair.Length > name.Length && pair[name.Length] == '=' && pair.StartsWith(name, StringComparison.Ordinal))
            {
                return pair[(name.Length + 1)..];
            }

            rest = amp < 0 ? default : rest[(amp + 1)..];
        }

        return default;
    }

    // Region and service names repeat on every request; hand out one string per common value.
    private static string Intern(ReadOnlySpan<char> value) => value switch
    {
        "us-east-1" => "us-east-1",
        "us-east-2" => "us-east-2",
        "us-west-1" => "us-west-1",
        "us-west-2" => "us-west-2",
        "eu-west-1" => "eu-west-1",
        "eu-central-1" => "eu-central-1",
        "s3" => "s3",
        "sts" => "sts",
        "iam" => "iam",
        "sagemaker" => "sagemaker",
        "kinesis" => "kinesis",
        "sqs" => "sqs",
        "sns" => "sns",
        "monitoring" => "monitoring",
        "logs" => "logs",
        "kms" => "kms",
        "glue" => "glue",
        "athena" => "athena",
        _ => value.ToString(),
    };
}
