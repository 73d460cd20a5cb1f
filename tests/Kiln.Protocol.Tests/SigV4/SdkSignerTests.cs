using System.Text;
using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.Signing;
using Kiln.Protocol.SigV4;
using Microsoft.AspNetCore.Http;

namespace Kiln.Protocol.Tests.SigV4;

/// <summary>Requests signed at test time by the AWS SDK for .NET's own signer
/// (<see cref="AWSSigV4Signer"/>), a second oracle next to botocore.</summary>
public sealed class SdkSignerTests
{
    internal const string AccessKey = "AKIDSDKEXAMPLE";
    internal const string Secret = "sdk/Secret+Key=With/Symbols";
    internal static readonly DateTime SignedAt = new(2026, 11, 21, 8, 30, 5, DateTimeKind.Utc);

    [Theory]
    [InlineData("sts", "POST", "http://localhost:4600/", "Action=GetCallerIdentity&Version=2011-06-15", "application/x-www-form-urlencoded; charset=utf-8", AuthErrorStyle.Query)]
    [InlineData("sagemaker", "POST", "http://localhost:4600/", "{\"MaxResults\":3}", "application/x-amz-json-1.1", AuthErrorStyle.Json)]
    [InlineData("lambda", "POST", "http://localhost:4600/2015-03-31/functions/my%3Afunc/invocations?Qualifier=a%20b", "{}", "application/json", AuthErrorStyle.RestJson)]
    [InlineData("s3", "PUT", "http://localhost:4600/bucket/a%2Bb%20c%252F%C3%BC.txt?tagging=&x-id=PutObject", "object bytes", "text/plain", AuthErrorStyle.S3)]
    [InlineData("s3", "GET", "http://bucket.s3.localhost:4600/?list-type=2&prefix=a%2Fb&start-after=%7E", "", "text/plain", AuthErrorStyle.S3)]
    public async Task Authenticate_SdkHeaderSigned_SucceedsAsync(string service, string method, string url, string body,
        string contentType, AuthErrorStyle style)
    {
        var request = SignWithSdk(service, method, url, Encoding.UTF8.GetBytes(body), contentType, Secret);

        var result = await AuthenticateAsync(request, service, Encoding.UTF8.GetBytes(body), style);

        Assert.Equal(service, result.Service);
        Assert.Equal("us-west-2", result.Region);
        if (result.Body is { } stream)
        {
            Assert.Equal(body, Encoding.UTF8.GetString(await Requests.ReadAllAsync(stream)));
        }
    }

    [Theory]
    [InlineData("sts", "POST", "http://localhost:4600/", AuthErrorStyle.Query)]
    [InlineData("s3", "PUT", "http://localhost:4600/bucket/key", AuthErrorStyle.S3)]
    public async Task Authenticate_SdkSignedWithOtherSecret_ThrowsSignatureMismatchAsync(string service, string method,
        string url, AuthErrorStyle style)
    {
        var body = "Action=GetCallerIdentity"u8.ToArray();
        var request = SignWithSdk(service, method, url, body, "text/plain", "another secret");

        var error = await Assert.ThrowsAsync<SigV4Exception>(() => AuthenticateAsync(request, service, body, style).AsTask());

        Assert.Equal("SignatureDoesNotMatch", error.Code);
    }

    [Theory]
    [InlineData("s3", "http://localhost:4600/bucket/dir/my%20report%2B1.pdf?versionId=v%2F1", AuthErrorStyle.S3)]
    [InlineData("sts", "http://localhost:4600/?Action=GetCallerIdentity&Version=2011-06-15", AuthErrorStyle.Query)]
    public async Task Authenticate_SdkPresigned_SucceedsUntilExpiryAsync(string service, string url, AuthErrorStyle style)
    {
        var presigned = AWSSigV4Signer.Presign(
            new AWSSigningRequest { HttpMethod = HttpMethod.Get, RequestUri = new Uri(url) },
            Parameters(service, Secret), TimeSpan.FromMinutes(10));
        var uri = presigned.Uri;
        HttpRequest Build() => Requests.Build("GET", uri.PathAndQuery, [["Host", uri.Authority]], []);

        var result = await AuthenticateAsync(Build(), service, [], style, SignedAt.AddMinutes(10));
        var error = await Assert.ThrowsAsync<SigV4Exception>(() =>
            AuthenticateAsync(Build(), service, [], style, SignedAt.AddMinutes(10).AddSeconds(1)).AsTask());

        Assert.True(result.Presigned);
        Assert.Equal(AuthFailure.PresignExpired, error.Failure);
    }

    internal static AWSSigV4Parameters Parameters(string service, string secret) => new()
    {
        Credentials = new BasicAWSCredentials(AccessKey, secret),
        Region = RegionEndpoint.USWest2,
        Service = service,
        SignedAt = SignedAt,
    };

    internal static HttpRequest SignWithSdk(string service, string method, string url, byte[] body, string contentType,
        string secret, IDictionary<string, string>? extraHeaders = null, byte[]? wireBody = null)
    {
        var uri = new Uri(url);
        var signing = new AWSSigningRequest { HttpMethod = new HttpMethod(method), RequestUri = uri, Content = body };
        signing.Headers["Content-Type"] = contentType;
        foreach (var (name, value) in extraHeaders ?? new Dictionary<string, string>())
        {
            signing.Headers[name] = value;
        }

        var signed = AWSSigV4Signer.Sign(signing, Parameters(service, secret));
        var merged = new Dictionary<string, string>(signing.Headers, StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in signed.Headers)
        {
            merged[name] = value;
        }

        var headers = new List<string[]> { new[] { "Host", uri.Authority } };
        headers.AddRange(merged.Select(h => new[] { h.Key, h.Value }));
        return Requests.Build(method, uri.PathAndQuery, headers, wireBody ?? body);
    }

    internal static ValueTask<SigV4Result> AuthenticateAsync(HttpRequest request, string service, byte[] body,
        AuthErrorStyle style, DateTime? now = null)
    {
        var store = new CredentialStore().Add(AccessKey, Secret);
        var authenticator = new SigV4Authenticator(store, new FixedClock(new DateTimeOffset(now ?? SignedAt.AddSeconds(30))));
        var payload = service == "s3" ? SigV4Payload.Streaming() : SigV4Payload.Buffered(body);
        return authenticator.AuthenticateAsync(request, payload, style);
    }
}
