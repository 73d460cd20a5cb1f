using Kiln.Core;
using Kiln.Model;
using Kiln.Protocol.Gateway;
using Kiln.Protocol.RestXml;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Kiln.Protocol.Tests.Gateway;

/// <summary>The gateway's CORS seam: when it runs, what it hands the service's <see cref="ICorsPolicy"/>,
/// and how a grant becomes Access-Control-* headers.</summary>
public sealed class CorsStageTests
{
    private static readonly CorsGrant s_grant = new("http://app.example", ["GET", "PUT"], ["x-amz-date"], ["ETag"], 600,
        AllowCredentials: true);

    private sealed class FakePolicy(string serviceId) : ICorsPolicy
    {
        public List<CorsRequest> Seen { get; } = [];
        public string ServiceId => serviceId;

        public ValueTask<CorsGrant?> MatchAsync(CorsRequest request, CancellationToken cancellationToken)
        {
            Seen.Add(request);
            return ValueTask.FromResult<CorsGrant?>(s_grant with { AllowHeaders = [] });
        }

        public ValueTask<CorsGrant> PreflightAsync(CorsRequest request, CancellationToken cancellationToken)
        {
            Seen.Add(request);
            return ValueTask.FromResult(s_grant);
        }
    }

    /// <summary>Keeps OnStarting callbacks so a test can run them as the server would.</summary>
    private sealed class RecordingResponse : HttpResponseFeature
    {
        public List<(Func<object, Task> Callback, object State)> Starting { get; } = [];

        public override void OnStarting(Func<object, Task> callback, object state) => Starting.Add((callback, state));
    }

    private static GatewayRequest Request(string method, string path, string serviceId = "s3", string? hostBucket = null,
        params (string Name, string Value)[] headers)
    {
        var http = new DefaultHttpContext();
        http.Features.Set<IHttpResponseFeature>(new RecordingResponse());
        http.Request.Method = method;
        http.Request.Path = path;
        foreach (var (name, value) in headers)
        {
            http.Request.Headers[name] = value;
        }

        var info = GeneratedServices.All.Single(s => s.ServiceId == serviceId);
        return new GatewayRequest(http, "req-1", DateTimeOffset.UnixEpoch)
        {
            Service = new RegisteredService(new UnbuiltServiceApi(info), new RestXmlCodec()),
            HostBucket = hostBucket,
        };
    }

    [Fact]
    public void Applies_NoOriginNotOptions_False()
    {
        var stage = new CorsStage([new FakePolicy("s3")]);

        Assert.False(stage.Applies(Request("GET", "/b/k")));
        Assert.True(stage.Applies(Request("GET", "/b/k", headers: ("Origin", "http://app.example"))));
        Assert.True(stage.Applies(Request("OPTIONS", "/b/k")));
    }

    [Fact]
    public void Applies_ServiceWithoutPolicy_False()
    {
        var stage = new CorsStage([new FakePolicy("s3")]);

        Assert.False(stage.Applies(Request("OPTIONS", "/", "sqs", headers: ("Origin", "http://app.example"))));
        Assert.False(new CorsStage([]).Applies(Request("OPTIONS", "/b/k")));
    }

    [Fact]
    public async Task Run_Preflight_Answers200WithHeaders()
    {
        var policy = new FakePolicy("s3");
        var request = Request("OPTIONS", "/k", hostBucket: "bucket", headers:
        [
            ("Origin", "http://app.example"), ("Access-Control-Request-Method", "PUT"),
            ("Access-Control-Request-Headers", "x-amz-date, content-type"),
        ]);

        var answered = await new CorsStage([policy]).RunAsync(request);

        Assert.True(answered);
        var seen = Assert.Single(policy.Seen);
        Assert.Equal(("/bucket/k", "http://app.example", "PUT"), (seen.Path, seen.Origin, seen.Method));
        Assert.Equal(["x-amz-date", "content-type"], seen.RequestHeaders);
        var response = request.Http.Response;
        Assert.Equal(200, response.StatusCode);
        Assert.Equal(0, response.ContentLength);
        Assert.Equal("http://app.example", response.Headers.AccessControlAllowOrigin.ToString());
        Assert.Equal("GET, PUT", response.Headers.AccessControlAllowMethods.ToString());
        Assert.Equal("x-amz-date", response.Headers.AccessControlAllowHeaders.ToString());
        Assert.Equal("ETag", response.Headers.AccessControlExposeHeaders.ToString());
        Assert.Equal("600", response.Headers.AccessControlMaxAge.ToString());
        Assert.Equal("true", response.Headers.AccessControlAllowCredentials.ToString());
        Assert.Equal("Origin, Access-Control-Request-Headers, Access-Control-Request-Method", response.Headers.Vary.ToString());
    }

    [Fact]
    public async Task Run_ActualRequest_DecoratesResponseWhenItStarts()
    {
        var policy = new FakePolicy("s3");
        var request = Request("GET", "/bucket/k", headers: ("Origin", "http://app.example"));

        var answered = await new CorsStage([policy]).RunAsync(request);
        var headersBeforeStart = request.Http.Response.Headers.AccessControlAllowOrigin.Count;
        foreach (var (callback, state) in ((RecordingResponse)request.Http.Features.Get<IHttpResponseFeature>()!).Starting)
        {
            await callback(state);
        }

        Assert.False(answered);
        var seen = Assert.Single(policy.Seen);
        Assert.Equal(("/bucket/k", "http://app.example", "GET"), (seen.Path, seen.Origin, seen.Method));
        Assert.Empty(seen.RequestHeaders);
        Assert.Equal(0, headersBeforeStart);
        Assert.Equal("http://app.example", request.Http.Response.Headers.AccessControlAllowOrigin.ToString());
        Assert.False(request.Http.Response.Headers.ContainsKey("Access-Control-Allow-Headers"));
    }
}
