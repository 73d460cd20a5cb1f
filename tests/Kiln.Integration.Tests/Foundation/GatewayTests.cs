using System.Text.Json;

namespace Kiln.Integration.Tests.Foundation;

/// <summary>Routing and bad input through botocore-signed raw requests: every answer is the
/// protocol's AWS error with a 4xx status, and the server keeps serving.</summary>
public sealed class GatewayTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private KilnServer Server => fixture.Server;

    private async Task<(int Status, JsonElement Headers, string Body)> SendAsync(string python)
    {
        var result = await Clients.PythonAsync(Server, Py.Signed + python);
        Assert.True(result.ExitCode == 0, result.ToString());
        var json = JsonDocument.Parse(result.Stdout).RootElement;
        return (json.GetProperty("status").GetInt32(), json.GetProperty("headers"), json.GetProperty("body").GetString()!);
    }

    [Fact]
    public async Task JsonService_UnknownOperation_ReturnsUnknownOperationException()
    {
        var (status, headers, body) = await SendAsync("""
            send('kinesis', 'POST', '/', b'{}', {'X-Amz-Target': 'Kinesis_20131202.NoSuchOperation',
                 'Content-Type': 'application/x-amz-json-1.1'})
            """);

        Assert.Equal(400, status);
        Assert.Equal("UnknownOperationException", JsonDocument.Parse(body).RootElement.GetProperty("__type").GetString());
        Assert.True(headers.TryGetProperty("x-amzn-RequestId", out _), headers.ToString());
    }

    [Fact]
    public async Task QueryService_UnknownAction_ReturnsInvalidAction()
    {
        var (status, _, body) = await SendAsync("""
            send('sts', 'POST', '/', b'Action=NoSuchAction&Version=2011-06-15',
                 {'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8'})
            """);

        Assert.Equal(400, status);
        Assert.Contains("<Code>InvalidAction</Code>", body);
        Assert.Contains("<ErrorResponse", body);
    }

    [Fact]
    public async Task JsonService_MalformedBody_ReturnsSerializationExceptionAndKeepsServing()
    {
        var (status, _, body) = await SendAsync("""
            send('kinesis', 'POST', '/', b'{"StreamName": ', {'X-Amz-Target': 'Kinesis_20131202.ListStreams',
                 'Content-Type': 'application/x-amz-json-1.1'})
            """);

        Assert.Equal(400, status);
        Assert.Equal("SerializationException", JsonDocument.Parse(body).RootElement.GetProperty("__type").GetString());
        var after = await Clients.AwsAsync(Server, "sts", "get-caller-identity");
        Assert.True(after.ExitCode == 0, after.ToString());
    }

    [Fact]
    public async Task RestXml_MalformedXml_ReturnsMalformedXmlOrNotImplemented()
    {
        // CreateBucket is not built yet, so the parse of its payload is what answers here.
        var (status, headers, body) = await SendAsync("""
            send('s3', 'PUT', '/kiln-bad-xml', b'<CreateBucketConfiguration><Loc', {'x-amz-content-sha256': 'UNSIGNED-PAYLOAD'},
                 signer=S3SigV4Auth)
            """);

        Assert.Equal(400, status);
        Assert.Contains("<Code>MalformedXML</Code>", body);
        Assert.True(headers.TryGetProperty("x-amz-request-id", out _), headers.ToString());
    }

    [Fact]
    public async Task UnbuiltS3Operation_Returns501NotImplemented()
    {
        var result = await Clients.AwsAsync(Server, "s3api", "get-bucket-website", "--bucket", "kiln-unbuilt");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("(NotImplemented)", result.Stderr);
    }

    [Fact]
    public async Task UnknownService_ReturnsXmlError400()
    {
        var (status, _, body) = await SendAsync("""
            send('ec2', 'POST', '/', b'Action=DescribeInstances&Version=2016-11-15',
                 {'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8'})
            """);

        Assert.Equal(400, status);
        Assert.Contains("<Code>UnknownService</Code>", body);
    }

    [Fact]
    public async Task OversizedHeaders_ReturnAwsErrorAndKeepServing()
    {
        var (status, _, body) = await SendAsync("""
            send('sts', 'POST', '/', b'Action=GetCallerIdentity&Version=2011-06-15',
                 {'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8', 'X-Big': 'a' * 70000})
            """);

        Assert.Equal(400, status);
        Assert.Contains("<Code>RequestHeaderSectionTooLarge</Code>", body);
        var after = await Clients.AwsAsync(Server, "sts", "get-caller-identity");
        Assert.True(after.ExitCode == 0, after.ToString());
    }

    [Fact]
    public async Task Health_AnswersJson()
    {
        using var http = new HttpClient();
        var body = await http.GetStringAsync(Server.Endpoint + "/_kiln/health");
        Assert.Equal("ok", JsonDocument.Parse(body).RootElement.GetProperty("status").GetString());
    }
}
