using Kiln.Core;
using Kiln.Core.Errors;
using Kiln.Services.S3.Domain;
using Kiln.Services.S3.Storage;

namespace Kiln.Services.S3.Tests;

/// <summary>Bucket CORS (issue 3): PutBucketCors validation, rule matching and the gateway's
/// <see cref="S3CorsPolicy"/> answers.</summary>
public sealed class CorsTests : IDisposable
{
    private readonly Harness _h = new();

    public void Dispose() => _h.Dispose();

    private static CorsRule Rule(string[] origins, string[] methods, string[]? headers = null, string[]? expose = null,
        int? maxAge = null) => new(null, methods, origins, headers ?? [], expose ?? [], maxAge);

    private async Task<string> BucketWithRulesAsync(params CorsRule[] rules)
    {
        var name = "cors-" + Guid.NewGuid().ToString("N")[..8];
        await _h.Objects.CreateBucketAsync(Harness.Account, "us-east-1", name, null, default);
        if (rules.Length > 0)
        {
            await _h.Objects.PutBucketCorsAsync(Harness.Account, name, rules, default);
        }

        return name;
    }

    private static CorsRequest Preflight(string path, string? origin, string? method, params string[] headers) =>
        new(path, origin, method, headers);

    [Fact]
    public async Task GetBucketCors_None_ReturnsNoSuchCORSConfiguration()
    {
        var bucket = await BucketWithRulesAsync();

        var error = await Assert.ThrowsAsync<AwsException>(() =>
            _h.Objects.GetBucketCorsAsync(Harness.Account, bucket, default));

        Assert.Equal("NoSuchCORSConfiguration", error.Code);
        Assert.Equal("The CORS configuration does not exist", error.Message);
        Assert.Equal(404, error.StatusCode);
    }

    [Fact]
    public async Task PutBucketCors_ThenGetAndDelete_RoundTrips()
    {
        var rule = Rule(["http://a.example"], ["GET", "PUT"], ["x-amz-*"], ["ETag"], 600);
        var bucket = await BucketWithRulesAsync(rule);

        var stored = await _h.Objects.GetBucketCorsAsync(Harness.Account, bucket, default);
        await _h.Objects.DeleteBucketCorsAsync(Harness.Account, bucket, default);
        var error = await Assert.ThrowsAsync<AwsException>(() =>
            _h.Objects.GetBucketCorsAsync(Harness.Account, bucket, default));

        Assert.Equal(rule, Assert.Single(stored));
        Assert.Equal("NoSuchCORSConfiguration", error.Code);
    }

    [Fact]
    public async Task PutBucketCors_OtherAccount_ReturnsAccessDenied()
    {
        var bucket = await BucketWithRulesAsync();

        var error = await Assert.ThrowsAsync<AwsException>(() =>
            _h.Objects.PutBucketCorsAsync(Harness.Other, bucket, [Rule(["*"], ["GET"])], default));

        Assert.Equal("AccessDenied", error.Code);
    }

    [Fact]
    public void CheckCorsRules_UnsupportedMethod_ReturnsInvalidRequest()
    {
        var error = Assert.Throws<AwsException>(() => ObjectService.CheckCorsRules([Rule(["*"], ["GET", "PATCH"])]));

        Assert.Equal("InvalidRequest", error.Code);
        Assert.Equal("Found unsupported HTTP method in CORS config. Unsupported method is PATCH", error.Message);
    }

    [Fact]
    public void CheckCorsRules_TwoWildcardsInOrigin_ReturnsInvalidRequest()
    {
        var error = Assert.Throws<AwsException>(() =>
            ObjectService.CheckCorsRules([Rule(["http://*.example.*"], ["GET"])]));

        Assert.Equal("InvalidRequest", error.Code);
        Assert.Equal("AllowedOrigin \"http://*.example.*\" can not have more than one wildcard.", error.Message);
    }

    [Fact]
    public void CheckCorsRules_Empty_TooMany_OrMissingParts_ReturnMalformedXml()
    {
        var tooMany = Enumerable.Range(0, ObjectService.MaxCorsRules + 1).Select(_ => Rule(["*"], ["GET"])).ToList();

        foreach (var rules in new IReadOnlyList<CorsRule>?[] { null, [], tooMany, [Rule([], ["GET"])], [Rule(["*"], [])] })
        {
            Assert.Equal("MalformedXML", Assert.Throws<AwsException>(() => ObjectService.CheckCorsRules(rules)).Code);
        }

        ObjectService.CheckCorsRules(tooMany[..ObjectService.MaxCorsRules]);
    }

    [Theory]
    [InlineData("http://*.example.com", "http://www.example.com", true)]
    [InlineData("http://*.example.com", "http://example.com", false)]
    [InlineData("*", "https://anything", true)]
    [InlineData("http://example.com", "http://EXAMPLE.com", false)]
    public void Glob_Origins(string pattern, string origin, bool expected) =>
        Assert.Equal(expected, ObjectService.Glob(pattern, origin, StringComparison.Ordinal));

    [Fact]
    public async Task Preflight_MatchingRule_GrantsEchoedOriginHeadersAndCredentials()
    {
        var bucket = await BucketWithRulesAsync(
            Rule(["http://other.example"], ["GET"]),
            Rule(["http://*.example.com"], ["PUT", "POST"], ["x-amz-*", "Content-Type"], ["ETag", "x-amz-request-id"], 3000));
        var policy = new S3CorsPolicy(_h.Objects);

        var grant = await policy.PreflightAsync(
            Preflight($"/{bucket}/key", "http://www.example.com", "PUT", "x-amz-date", "content-type"), default);

        Assert.Equal("http://www.example.com", grant.AllowOrigin);
        Assert.Equal(["PUT", "POST"], grant.AllowMethods);
        Assert.Equal(["x-amz-date", "content-type"], grant.AllowHeaders);
        Assert.Equal(["ETag", "x-amz-request-id"], grant.ExposeHeaders);
        Assert.Equal(3000, grant.MaxAgeSeconds);
        Assert.True(grant.AllowCredentials);
    }

    [Fact]
    public async Task Preflight_WildcardOrigin_AnswersStarWithoutCredentials()
    {
        var bucket = await BucketWithRulesAsync(Rule(["*"], ["GET"]));

        var grant = await new S3CorsPolicy(_h.Objects).PreflightAsync(Preflight($"/{bucket}", "http://x", "GET"), default);

        Assert.Equal("*", grant.AllowOrigin);
        Assert.False(grant.AllowCredentials);
        Assert.Null(grant.MaxAgeSeconds);
    }

    [Fact]
    public async Task Preflight_HeaderNotAllowed_ReturnsAccessForbidden()
    {
        var bucket = await BucketWithRulesAsync(Rule(["*"], ["PUT"], ["content-type"]));

        var error = await Assert.ThrowsAsync<AwsException>(async () => await new S3CorsPolicy(_h.Objects).PreflightAsync(
            Preflight($"/{bucket}/a/b", "http://x", "PUT", "x-amz-meta-a"), default));

        Assert.Equal("AccessForbidden", error.Code);
        Assert.Equal(403, error.StatusCode);
        Assert.StartsWith("CORSResponse: This CORS request is not allowed.", error.Message);
        Assert.Equal("PUT", error.Fields["Method"]);
        Assert.Equal("OBJECT", error.Fields["ResourceType"]);
    }

    [Fact]
    public async Task Preflight_NoConfiguration_ReturnsCorsNotEnabled()
    {
        var bucket = await BucketWithRulesAsync();

        var error = await Assert.ThrowsAsync<AwsException>(async () => await new S3CorsPolicy(_h.Objects).PreflightAsync(
            Preflight($"/{bucket}", "http://x", "GET"), default));

        Assert.Equal("AccessForbidden", error.Code);
        Assert.Equal("CORSResponse: CORS is not enabled for this bucket.", error.Message);
        Assert.Equal("BUCKET", error.Fields["ResourceType"]);
    }

    [Theory]
    [InlineData(null, "GET", "Insufficient information. Origin request header needed.")]
    [InlineData("http://x", null, "Invalid Access-Control-Request-Method: null")]
    [InlineData("http://x", "PATCH", "Invalid Access-Control-Request-Method: PATCH")]
    public async Task Preflight_MissingOrBadHeaders_ReturnsBadRequest(string? origin, string? method, string message)
    {
        var bucket = await BucketWithRulesAsync(Rule(["*"], ["GET"]));

        var error = await Assert.ThrowsAsync<AwsException>(async () => await new S3CorsPolicy(_h.Objects).PreflightAsync(
            Preflight($"/{bucket}", origin, method), default));

        Assert.Equal("BadRequest", error.Code);
        Assert.Equal(message, error.Message);
        Assert.Equal(400, error.StatusCode);
    }

    [Fact]
    public async Task Preflight_NoSuchBucket_ReturnsNoSuchBucket()
    {
        var error = await Assert.ThrowsAsync<AwsException>(async () => await new S3CorsPolicy(_h.Objects).PreflightAsync(
            Preflight("/no-such-bucket-here/k", "http://x", "GET"), default));

        Assert.Equal("NoSuchBucket", error.Code);
    }

    [Fact]
    public async Task Match_ActualRequest_IgnoresHeadersAndChecksMethod()
    {
        var bucket = await BucketWithRulesAsync(Rule(["http://a"], ["GET"], expose: ["ETag"]));
        var policy = new S3CorsPolicy(_h.Objects);

        var get = await policy.MatchAsync(new CorsRequest($"/{bucket}/k", "http://a", "GET", []), default);
        var put = await policy.MatchAsync(new CorsRequest($"/{bucket}/k", "http://a", "PUT", []), default);
        var other = await policy.MatchAsync(new CorsRequest($"/{bucket}/k", "http://b", "GET", []), default);

        Assert.Equal("http://a", get!.AllowOrigin);
        Assert.Equal(["ETag"], get.ExposeHeaders);
        Assert.Null(put);
        Assert.Null(other);
    }

    [Fact]
    public async Task Match_AfterDeleteBucketCors_ReturnsNull()
    {
        var bucket = await BucketWithRulesAsync(Rule(["*"], ["GET"]));
        var policy = new S3CorsPolicy(_h.Objects);
        Assert.NotNull(await policy.MatchAsync(new CorsRequest($"/{bucket}", "http://a", "GET", []), default));

        await _h.Objects.DeleteBucketCorsAsync(Harness.Account, bucket, default);

        Assert.Null(await policy.MatchAsync(new CorsRequest($"/{bucket}", "http://a", "GET", []), default));
    }
}
