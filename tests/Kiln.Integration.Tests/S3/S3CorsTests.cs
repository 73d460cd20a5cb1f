using System.Net;
using System.Text.Json;

namespace Kiln.Integration.Tests.S3;

/// <summary>Bucket CORS through the aws CLI, and browsers' requests as raw HTTP: an unsigned OPTIONS
/// preflight and an actual cross-origin GET (issue 3, access features).</summary>
public sealed class S3CorsTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string NotAllowed =
        "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request " +
        "method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the " +
        "resource's CORS spec.";

    private static readonly HttpClient s_http = new();

    private KilnServer Server => fixture.Server;

    private async Task<Clients.Result> AwsOkAsync(params string[] args)
    {
        var result = await Clients.AwsAsync(Server, args);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }

    private static string Bucket() => "it-cors-" + Guid.NewGuid().ToString("N")[..8];

    private async Task<HttpResponseMessage> PreflightAsync(string path, string origin, string method, string? headers = null,
        string? host = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, Server.Endpoint + path);
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", method);
        if (headers is not null)
        {
            request.Headers.Add("Access-Control-Request-Headers", headers);
        }

        if (host is not null)
        {
            request.Headers.Host = host;
        }

        return await s_http.SendAsync(request);
    }

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values) : "";

    private const string Rules = """
        {"CORSRules": [
          {"ID": "app", "AllowedOrigins": ["http://*.app.example"], "AllowedMethods": ["GET", "PUT"],
           "AllowedHeaders": ["x-amz-*", "content-type"], "ExposeHeaders": ["ETag", "x-amz-request-id"], "MaxAgeSeconds": 3000},
          {"AllowedOrigins": ["*"], "AllowedMethods": ["GET", "HEAD"]}
        ]}
        """;

    [Fact]
    public async Task PutGetDeleteBucketCors_CliRoundTrip()
    {
        var bucket = Bucket();
        await AwsOkAsync("s3api", "create-bucket", "--bucket", bucket);
        var none = await Clients.AwsAsync(Server, "s3api", "get-bucket-cors", "--bucket", bucket);

        await AwsOkAsync("s3api", "put-bucket-cors", "--bucket", bucket, "--cors-configuration", Rules);
        var got = JsonDocument.Parse((await AwsOkAsync("s3api", "get-bucket-cors", "--bucket", bucket)).Stdout).RootElement;
        await AwsOkAsync("s3api", "delete-bucket-cors", "--bucket", bucket);
        var deleted = await Clients.AwsAsync(Server, "s3api", "get-bucket-cors", "--bucket", bucket);

        Assert.Contains("(NoSuchCORSConfiguration) when calling the GetBucketCors operation", none.Stderr);
        Assert.Contains(": The CORS configuration does not exist", none.Stderr);
        var rules = got.GetProperty("CORSRules");
        Assert.Equal(2, rules.GetArrayLength());
        Assert.Equal("app", rules[0].GetProperty("ID").GetString());
        Assert.Equal(3000, rules[0].GetProperty("MaxAgeSeconds").GetInt32());
        Assert.Equal("x-amz-request-id", rules[0].GetProperty("ExposeHeaders")[1].GetString());
        Assert.False(rules[1].TryGetProperty("AllowedHeaders", out _));
        Assert.Contains("NoSuchCORSConfiguration", deleted.Stderr);
    }

    [Theory]
    [InlineData("""{"CORSRules":[{"AllowedOrigins":["*"],"AllowedMethods":["PATCH"]}]}""", "InvalidRequest",
        "Found unsupported HTTP method in CORS config. Unsupported method is PATCH")]
    [InlineData("""{"CORSRules":[{"AllowedOrigins":["http://*.a.*"],"AllowedMethods":["GET"]}]}""", "InvalidRequest",
        "AllowedOrigin \"http://*.a.*\" can not have more than one wildcard.")]
    [InlineData("""{"CORSRules":[]}""", "MalformedXML",
        "The XML you provided was not well-formed or did not validate against our published schema")]
    public async Task PutBucketCors_Invalid_ReturnsS3Error(string configuration, string code, string message)
    {
        var bucket = Bucket();
        await AwsOkAsync("s3api", "create-bucket", "--bucket", bucket);

        var result = await Clients.AwsAsync(Server, "s3api", "put-bucket-cors", "--bucket", bucket, "--cors-configuration",
            configuration);

        Assert.Equal(254, result.ExitCode);
        Assert.Contains($"({code}) when calling the PutBucketCors operation", result.Stderr);
        Assert.Contains(": " + message, result.Stderr);
    }

    [Fact]
    public async Task PutBucketCors_101Rules_ReturnsMalformedXml()
    {
        var bucket = Bucket();
        await AwsOkAsync("s3api", "create-bucket", "--bucket", bucket);
        var rules = string.Join(",", Enumerable.Repeat("""{"AllowedOrigins":["*"],"AllowedMethods":["GET"]}""", 101));

        var result = await Clients.AwsAsync(Server, "s3api", "put-bucket-cors", "--bucket", bucket, "--cors-configuration",
            $$"""{"CORSRules":[{{rules}}]}""");

        Assert.Contains("(MalformedXML)", result.Stderr);
    }

    [Fact]
    public async Task Preflight_MatchingRule_Returns200WithAccessControlHeaders()
    {
        var bucket = Bucket();
        await AwsOkAsync("s3api", "create-bucket", "--bucket", bucket);
        await AwsOkAsync("s3api", "put-bucket-cors", "--bucket", bucket, "--cors-configuration", Rules);

        using var response = await PreflightAsync($"/{bucket}/photos/a.jpg", "http://www.app.example", "PUT",
            "x-amz-date, content-type");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("http://www.app.example", Header(response, "Access-Control-Allow-Origin"));
        Assert.Equal("GET, PUT", Header(response, "Access-Control-Allow-Methods"));
        Assert.Equal("x-amz-date, content-type", Header(response, "Access-Control-Allow-Headers"));
        Assert.Equal("ETag, x-amz-request-id", Header(response, "Access-Control-Expose-Headers"));
        Assert.Equal("3000", Header(response, "Access-Control-Max-Age"));
        Assert.Equal("true", Header(response, "Access-Control-Allow-Credentials"));
        Assert.Equal("Origin, Access-Control-Request-Headers, Access-Control-Request-Method", Header(response, "Vary"));
        Assert.NotEqual("", Header(response, "x-amz-request-id"));
        Assert.Equal("", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Preflight_WildcardRule_AnswersStarWithoutCredentials_VirtualHostStyle()
    {
        var bucket = Bucket();
        await AwsOkAsync("s3api", "create-bucket", "--bucket", bucket);
        await AwsOkAsync("s3api", "put-bucket-cors", "--bucket", bucket, "--cors-configuration", Rules);

        using var response = await PreflightAsync("/a.txt", "http://elsewhere.example", "HEAD",
            host: $"{bucket}.localhost:{Server.Port}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("*", Header(response, "Access-Control-Allow-Origin"));
        Assert.Equal("GET, HEAD", Header(response, "Access-Control-Allow-Methods"));
        Assert.Equal("", Header(response, "Access-Control-Allow-Credentials"));
        Assert.Equal("", Header(response, "Access-Control-Max-Age"));
    }

    [Fact]
    public async Task Preflight_NoMatchingRule_Returns403AccessForbidden()
    {
        var bucket = Bucket();
        await AwsOkAsync("s3api", "create-bucket", "--bucket", bucket);
        await AwsOkAsync("s3api", "put-bucket-cors", "--bucket", bucket, "--cors-configuration", Rules);

        using var method = await PreflightAsync($"/{bucket}/a.txt", "http://elsewhere.example", "PUT");
        using var header = await PreflightAsync($"/{bucket}/a.txt", "http://www.app.example", "PUT", "x-custom");
        var body = await method.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Forbidden, method.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, header.StatusCode);
        Assert.Contains("<Code>AccessForbidden</Code>", body);
        Assert.Equal(NotAllowed, System.Xml.Linq.XDocument.Parse(body).Root!.Element("Message")!.Value);
        Assert.Contains("<Method>PUT</Method><ResourceType>OBJECT</ResourceType>", body);
        Assert.Equal("", Header(method, "Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task Preflight_NoConfigurationOrNoOrigin_ReturnsS3Errors()
    {
        var bucket = Bucket();
        await AwsOkAsync("s3api", "create-bucket", "--bucket", bucket);

        using var disabled = await PreflightAsync($"/{bucket}", "http://www.app.example", "GET");
        using var noOrigin = await s_http.SendAsync(new HttpRequestMessage(HttpMethod.Options, $"{Server.Endpoint}/{bucket}"));
        var disabledBody = await disabled.Content.ReadAsStringAsync();
        var noOriginBody = await noOrigin.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Forbidden, disabled.StatusCode);
        Assert.Contains("<Code>AccessForbidden</Code><Message>CORSResponse: CORS is not enabled for this bucket.</Message>" +
                        "<Method>GET</Method><ResourceType>BUCKET</ResourceType>", disabledBody);
        Assert.Equal(HttpStatusCode.BadRequest, noOrigin.StatusCode);
        Assert.Contains("<Code>BadRequest</Code><Message>Insufficient information. Origin request header needed.</Message>",
            noOriginBody);
    }

    [Fact]
    public async Task ActualRequest_WithOrigin_GetsRuleHeaders_OnSuccessAndError()
    {
        var bucket = Bucket();
        await AwsOkAsync("s3api", "create-bucket", "--bucket", bucket);
        await AwsOkAsync("s3api", "put-bucket-cors", "--bucket", bucket, "--cors-configuration", Rules);
        var body = Path.GetTempFileName();
        await File.WriteAllTextAsync(body, "hello");
        await AwsOkAsync("s3api", "put-object", "--bucket", bucket, "--key", "a.txt", "--body", body);
        File.Delete(body);
        var url = (await AwsOkAsync("s3", "presign", $"s3://{bucket}/a.txt")).Stdout.Trim();

        using var signed = new HttpRequestMessage(HttpMethod.Get, url);
        signed.Headers.Add("Origin", "http://www.app.example");
        using var ok = await s_http.SendAsync(signed);
        using var unsigned = new HttpRequestMessage(HttpMethod.Get, $"{Server.Endpoint}/{bucket}/a.txt");
        unsigned.Headers.Add("Origin", "http://www.app.example");
        using var denied = await s_http.SendAsync(unsigned);
        using var plain = await s_http.GetAsync(url);
        using var foreign = new HttpRequestMessage(HttpMethod.Get, url);
        foreign.Headers.Add("Origin", "http://nope.example");
        foreign.Method = HttpMethod.Delete;
        using var noRule = await s_http.SendAsync(foreign);

        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal("hello", await ok.Content.ReadAsStringAsync());
        Assert.Equal("http://www.app.example", Header(ok, "Access-Control-Allow-Origin"));
        Assert.Equal("GET, PUT", Header(ok, "Access-Control-Allow-Methods"));
        Assert.Equal("ETag, x-amz-request-id", Header(ok, "Access-Control-Expose-Headers"));
        Assert.Equal("3000", Header(ok, "Access-Control-Max-Age"));
        Assert.Equal("true", Header(ok, "Access-Control-Allow-Credentials"));
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.Equal("http://www.app.example", Header(denied, "Access-Control-Allow-Origin"));
        Assert.Equal("", Header(plain, "Access-Control-Allow-Origin"));
        Assert.Equal("", Header(noRule, "Access-Control-Allow-Origin"));
    }
}
