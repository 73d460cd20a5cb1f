using System.Text.Json;

namespace Kiln.Integration.Tests.Foundation;

/// <summary>SigV4 through real clients: what AWS answers for good and bad credentials.</summary>
public sealed class AuthenticationTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private KilnServer Server => fixture.Server;

    [Fact]
    public async Task GetCallerIdentity_AwsCli_PrintsRootAccount()
    {
        var result = await Clients.AwsAsync(Server, "sts", "get-caller-identity");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Stdout);
        var account = json.RootElement.GetProperty("Account").GetString();
        Assert.Matches("^[1-9][0-9]{11}$", account);
        Assert.Equal($"arn:aws:iam::{account}:root", json.RootElement.GetProperty("Arn").GetString());
        Assert.Equal(account, json.RootElement.GetProperty("UserId").GetString());
    }

    [Fact]
    public async Task GetCallerIdentity_Boto3_PrintsRootAccount()
    {
        var result = await Clients.PythonAsync(Server, """
            import os, json, boto3
            sts = boto3.client('sts', endpoint_url=os.environ['ENDPOINT'], region_name='us-east-1')
            r = sts.get_caller_identity()
            print(json.dumps({'Account': r['Account'], 'Arn': r['Arn'], 'RequestId': r['ResponseMetadata']['RequestId']}))
            """);

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Stdout);
        var account = json.RootElement.GetProperty("Account").GetString();
        Assert.Equal($"arn:aws:iam::{account}:root", json.RootElement.GetProperty("Arn").GetString());
        Assert.False(string.IsNullOrEmpty(json.RootElement.GetProperty("RequestId").GetString()));
    }

    [Fact]
    public async Task GetCallerIdentity_WrongSecret_ReturnsSignatureDoesNotMatch()
    {
        var result = await Clients.AwsAsAsync(Server, Server.AccessKeyId, "wrong" + Server.SecretAccessKey[5..],
            "sts", "get-caller-identity");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("(SignatureDoesNotMatch)", result.Stderr);
    }

    [Fact]
    public async Task ListBuckets_UnknownAccessKey_ReturnsInvalidAccessKeyId()
    {
        var result = await Clients.AwsAsAsync(Server, "AKIAUNKNOWNKEY000000", Server.SecretAccessKey, "s3api", "list-buckets");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("(InvalidAccessKeyId)", result.Stderr);
    }

    [Fact]
    public async Task GetCallerIdentity_UnknownAccessKey_ReturnsInvalidClientTokenId()
    {
        var result = await Clients.AwsAsAsync(Server, "AKIAUNKNOWNKEY000000", Server.SecretAccessKey, "sts", "get-caller-identity");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("(InvalidClientTokenId)", result.Stderr);
    }

    [Fact]
    public async Task PresignedUrl_PastExpiry_IsRefusedWithAccessDenied()
    {
        var result = await Clients.PythonAsync(Server, Py.Signed + """
            import boto3, time
            from botocore.config import Config
            # Debian's botocore 1.29 presigns S3 with SigV2 unless told otherwise; Kiln speaks SigV4.
            s3 = boto3.client('s3', endpoint_url=E, region_name='us-east-1', config=Config(signature_version='s3v4'))
            url = s3.generate_presigned_url('get_object', Params={'Bucket': 'b', 'Key': 'k'}, ExpiresIn=1)
            time.sleep(2.2)
            raw('GET', url)
            """);

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.Equal(403, json.RootElement.GetProperty("status").GetInt32());
        var body = json.RootElement.GetProperty("body").GetString()!;
        Assert.Contains("<Code>AccessDenied</Code>", body);
        Assert.Contains("Request has expired", body);
    }

    [Fact]
    public async Task PresignedUrl_WithinExpiry_PassesAuthentication()
    {
        var result = await Clients.PythonAsync(Server, Py.Signed + """
            import boto3
            from botocore.config import Config
            s3 = boto3.client('s3', endpoint_url=E, region_name='us-east-1', config=Config(signature_version='s3v4'))
            raw('GET', s3.generate_presigned_url('get_object', Params={'Bucket': 'b', 'Key': 'k'}, ExpiresIn=300))
            """);

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Stdout);
        var body = json.RootElement.GetProperty("body").GetString()!;
        // Authentication passed: the answer comes from the operation (not built yet), not from SigV4.
        Assert.DoesNotContain("AccessDenied", body);
        Assert.DoesNotContain("SignatureDoesNotMatch", body);
    }

    [Fact]
    public async Task PresignedUrl_SigV2AsDebianBoto3MakesByDefault_IsVerified()
    {
        // Debian's botocore 1.29 presigns S3 URLs with Signature Version 2 unless configured otherwise.
        var result = await Clients.PythonAsync(Server, Py.Signed + """
            import boto3, time, json as j
            s3 = boto3.client('s3', endpoint_url=E, region_name='us-east-1')
            good = s3.generate_presigned_url('get_object', Params={'Bucket': 'b', 'Key': 'dir/k y'}, ExpiresIn=300)
            assert 'AWSAccessKeyId=' in good and 'Signature=' in good, good
            raw('GET', good)
            raw('GET', good.replace('Signature=', 'Signature=AAAA'))
            short = s3.generate_presigned_url('get_object', Params={'Bucket': 'b', 'Key': 'k'}, ExpiresIn=1)
            time.sleep(2.2)
            raw('GET', short)
            """);

        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("body").GetString()!).ToList();
        Assert.DoesNotContain("<Code>AccessDenied</Code>", lines[0]);
        Assert.DoesNotContain("<Code>SignatureDoesNotMatch</Code>", lines[0]);
        Assert.Contains("<Code>SignatureDoesNotMatch</Code>", lines[1]);
        Assert.Contains("<Code>AccessDenied</Code>", lines[2]);
        Assert.Contains("Request has expired", lines[2]);
    }

    [Fact]
    public async Task Request_NoAuthentication_ReturnsMissingAuthenticationToken()
    {
        var result = await Clients.PythonAsync(Server, Py.Signed + """
            send('sts', 'POST', '/', b'Action=GetCallerIdentity&Version=2011-06-15',
                 {'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8'}, sign=False)
            """);

        using var json = JsonDocument.Parse(result.Stdout);
        Assert.Equal(403, json.RootElement.GetProperty("status").GetInt32());
        Assert.Contains("<Code>MissingAuthenticationToken</Code>", json.RootElement.GetProperty("body").GetString());
    }
}
