using System.Reflection;
using System.Text.Json;
using Kiln.Core;
using Kiln.Protocol.SigV4;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Kiln.Protocol.Tests.SigV4;

/// <summary>A request signed by botocore (make-vectors.py), with the canonical request and string
/// to sign botocore computed for it.</summary>
public sealed record Vector(
    string Name,
    string Note,
    string Service,
    string Region,
    string Method,
    string Target,
    string[][] Headers,
    string BodyBase64,
    string AccessKeyId,
    string SecretAccessKey,
    DateTimeOffset SignedAt,
    bool Presigned,
    string? SessionToken,
    long? Expires,
    string? DecodedBase64,
    string CanonicalRequest,
    string StringToSign)
{
    public byte[] Body => Convert.FromBase64String(BodyBase64);
    public byte[] Decoded => Convert.FromBase64String(DecodedBase64 ?? BodyBase64);
    public bool IsS3 => Service == "s3";
    public AuthErrorStyle Style => Service switch
    {
        "s3" => AuthErrorStyle.S3,
        "sts" or "iam" => AuthErrorStyle.Query,
        "lambda" => AuthErrorStyle.RestJson,
        _ => AuthErrorStyle.Json,
    };

    public override string ToString() => Name;
}

public static class Vectors
{
    private static readonly Lazy<IReadOnlyDictionary<string, Vector>> All = new(Load);

    public static Vector Get(string name) => All.Value[name];

    public static IEnumerable<Vector> Where(Func<Vector, bool> predicate) => All.Value.Values.Where(predicate);

    public static TheoryData<string> Names(Func<Vector, bool>? predicate = null)
    {
        var data = new TheoryData<string>();
        foreach (var vector in All.Value.Values.Where(predicate ?? (_ => true)))
        {
            data.Add(vector.Name);
        }

        return data;
    }

    private static IReadOnlyDictionary<string, Vector> Load()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Kiln.Protocol.Tests.SigV4.vectors.json")
            ?? throw new InvalidOperationException("vectors.json is not embedded");
        using var document = JsonDocument.Parse(stream);
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        return document.RootElement.GetProperty("cases").EnumerateArray()
            .Select(c => c.Deserialize<Vector>(options)!)
            .ToDictionary(v => v.Name);
    }
}

public sealed class FixedClock(DateTimeOffset now) : IClock
{
    public DateTimeOffset UtcNow { get; set; } = now;
}

/// <summary>An in-memory <see cref="ICredentialSource"/> for tests.</summary>
public sealed class CredentialStore : ICredentialSource
{
    private readonly Dictionary<string, Credential> _credentials = new(StringComparer.Ordinal);

    public int Lookups { get; private set; }

    public CredentialStore Add(string accessKeyId, string secret, string? sessionToken = null,
        DateTimeOffset? expiration = null, bool active = true)
    {
        var principal = new Principal("123456789012", "arn:aws:iam::123456789012:user/alice", "AIDAEXAMPLEUSERID",
            sessionToken is null ? PrincipalKind.IamUser : PrincipalKind.AssumedRole, accessKeyId);
        _credentials[accessKeyId] = new Credential(accessKeyId, secret, principal)
        {
            SessionToken = sessionToken,
            Expiration = expiration,
            Active = active,
        };
        return this;
    }

    public ValueTask<Credential?> FindAsync(string accessKeyId, CancellationToken cancellationToken)
    {
        Lookups++;
        return ValueTask.FromResult(_credentials.GetValueOrDefault(accessKeyId));
    }
}

public static class Requests
{
    /// <summary>A request as Kestrel would present it: raw target in IHttpRequestFeature, headers in
    /// arrival order (repeated names become one multi-value entry), body as a stream.</summary>
    public static HttpRequest Build(string method, string target, IEnumerable<string[]> headers, byte[] body)
    {
        var context = new DefaultHttpContext();
        var request = context.Request;
        request.Method = method;
        var mark = target.IndexOf('?');
        request.Path = PathString.FromUriComponent(mark < 0 ? target : target[..mark]);
        request.QueryString = mark < 0 ? QueryString.Empty : new QueryString(target[mark..]);
        context.Features.Get<IHttpRequestFeature>()!.RawTarget = target;
        foreach (var header in headers)
        {
            request.Headers.Append(header[0], header[1]);
        }

        request.Body = new MemoryStream(body);
        return request;
    }

    public static HttpRequest Build(Vector vector, Func<string[], string[]?>? header = null, string? target = null,
        string? method = null, byte[]? body = null)
    {
        var headers = vector.Headers.Select(h => header is null ? h : header(h)).Where(h => h is not null).Select(h => h!);
        return Build(method ?? vector.Method, target ?? vector.Target, headers, body ?? vector.Body);
    }

    public static async Task<byte[]> ReadAllAsync(Stream stream, int bufferSize = 81920)
    {
        using var copy = new MemoryStream();
        var buffer = new byte[bufferSize];
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            copy.Write(buffer, 0, read);
        }

        return copy.ToArray();
    }
}

/// <summary>Authenticates a vector the way the gateway will: S3 streaming, everything else buffered.</summary>
public static class Verifier
{
    public static CredentialStore StoreFor(Vector vector) =>
        new CredentialStore().Add(vector.AccessKeyId, vector.SecretAccessKey, vector.SessionToken,
            vector.SessionToken is null ? null : vector.SignedAt.AddHours(1));

    public static ValueTask<SigV4Result> AuthenticateAsync(Vector vector, HttpRequest? request = null,
        ICredentialSource? store = null, DateTimeOffset? now = null, bool? streaming = null)
    {
        request ??= Requests.Build(vector);
        var authenticator = new SigV4Authenticator(store ?? StoreFor(vector),
            new FixedClock(now ?? vector.SignedAt.AddMinutes(1)));
        var payload = streaming ?? vector.IsS3
            ? SigV4Payload.Streaming()
            : SigV4Payload.Buffered(ReadBody(request));
        return authenticator.AuthenticateAsync(request, payload, vector.Style);
    }

    private static byte[] ReadBody(HttpRequest request)
    {
        var body = (MemoryStream)request.Body;
        return body.ToArray();
    }
}
