using System.Text.Json;

namespace Kiln.Integration.Tests.S3;

/// <summary>Account-level block public access through S3 Control (aws s3control, boto3), combined
/// with the bucket's own settings (issue 3). botocore puts the account id in front of the host
/// name (123456789012.127.0.0.1), which does not resolve; the clients therefore reach Kiln as
/// their HTTP proxy, which takes the request as sent, host name included.</summary>
public sealed class S3PublicAccessTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private KilnServer Server => fixture.Server;

    private Task<Clients.Result> ControlAsync(params string[] args)
    {
        var all = new List<string> { "--endpoint-url", Server.Endpoint, "--output", "json", "s3control" };
        all.AddRange(args);
        return Clients.RunAsync("/usr/bin/aws", all, new Dictionary<string, string>
        {
            ["AWS_ACCESS_KEY_ID"] = Server.AccessKeyId,
            ["AWS_SECRET_ACCESS_KEY"] = Server.SecretAccessKey,
            ["AWS_DEFAULT_REGION"] = "us-east-1",
            ["AWS_CONFIG_FILE"] = "/dev/null",
            ["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null",
            ["AWS_PAGER"] = "",
            ["AWS_MAX_ATTEMPTS"] = "1",
            ["HTTP_PROXY"] = Server.Endpoint,
            ["NO_PROXY"] = "",
        });
    }

    private async Task<string> AccountAsync()
    {
        var who = await Clients.AwsAsync(Server, "sts", "get-caller-identity", "--query", "Account", "--output", "text");
        Assert.True(who.ExitCode == 0, who.ToString());
        return who.Stdout.Trim();
    }

    [Fact]
    public async Task AccountPublicAccessBlock_CliPutGetDelete_AndBlocksBucketPolicy()
    {
        var account = await AccountAsync();
        var bucket = "it-pab-" + Guid.NewGuid().ToString("N")[..8];
        Assert.Equal(0, (await Clients.AwsAsync(Server, "s3api", "create-bucket", "--bucket", bucket)).ExitCode);
        Assert.Equal(0, (await Clients.AwsAsync(Server, "s3api", "delete-public-access-block", "--bucket", bucket)).ExitCode);
        var policy = $$"""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::{{bucket}}/*"}]}""";

        var none = await ControlAsync("get-public-access-block", "--account-id", account);
        var put = await ControlAsync("put-public-access-block", "--account-id", account, "--public-access-block-configuration",
            "BlockPublicAcls=false,IgnorePublicAcls=false,BlockPublicPolicy=true,RestrictPublicBuckets=false");
        var got = await ControlAsync("get-public-access-block", "--account-id", account);
        var blocked = await Clients.AwsAsync(Server, "s3api", "put-bucket-policy", "--bucket", bucket, "--policy", policy);
        var foreign = await ControlAsync("get-public-access-block", "--account-id", "111122223333");
        var deleted = await ControlAsync("delete-public-access-block", "--account-id", account);
        var gone = await ControlAsync("get-public-access-block", "--account-id", account);
        var allowed = await Clients.AwsAsync(Server, "s3api", "put-bucket-policy", "--bucket", bucket, "--policy", policy);

        Assert.Equal(254, none.ExitCode);
        Assert.Contains("(NoSuchPublicAccessBlockConfiguration) when calling the GetPublicAccessBlock operation", none.Stderr);
        Assert.Contains(": The public access block configuration was not found", none.Stderr);
        Assert.True(put.ExitCode == 0, put.ToString());
        var config = JsonDocument.Parse(got.Stdout).RootElement.GetProperty("PublicAccessBlockConfiguration");
        Assert.True(config.GetProperty("BlockPublicPolicy").GetBoolean());
        Assert.False(config.GetProperty("BlockPublicAcls").GetBoolean());
        Assert.Contains("(AccessDenied)", blocked.Stderr);
        Assert.Contains("because public policies are blocked by the BlockPublicPolicy block public access setting.",
            blocked.Stderr);
        Assert.Contains("(AccessDenied)", foreign.Stderr);
        Assert.True(deleted.ExitCode == 0, deleted.ToString());
        Assert.Contains("NoSuchPublicAccessBlockConfiguration", gone.Stderr);
        Assert.True(allowed.ExitCode == 0, allowed.ToString());
    }

    [Fact]
    public async Task AccountRestrictPublicBuckets_KeepsOtherAccountsOutOfPublicBucket_Boto3()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
        var keyId = "AKIAXPAB0000" + suffix;
        var secret = "pab-account-secret-" + suffix + "000000000000000";
        var created = await Clients.KilnAsync("accounts", "create", "--name", "pab-" + suffix.ToLowerInvariant(),
            "--access-key-id", keyId, "--secret-access-key", secret, "--data-dir", Server.DataDir);
        Assert.True(created.ExitCode == 0, created.ToString());

        var result = await Clients.PythonAsync(Server, $$"""
            import os, json, uuid, boto3, botocore
            from botocore.config import Config
            E = os.environ['ENDPOINT']
            s3 = boto3.client('s3', endpoint_url=E, region_name='us-east-1')
            other = boto3.client('s3', endpoint_url=E, region_name='us-east-1', aws_access_key_id='{{keyId}}',
                aws_secret_access_key='{{secret}}')
            control = boto3.client('s3control', endpoint_url=E, region_name='us-east-1', config=Config(proxies={'http': E}))
            account = boto3.client('sts', endpoint_url=E, region_name='us-east-1').get_caller_identity()['Account']
            def err(f):
                try:
                    f(); return None
                except botocore.exceptions.ClientError as e:
                    return e.response['Error']['Code']
            out = {}
            bucket = 'it-rpb-' + uuid.uuid4().hex[:8]
            s3.create_bucket(Bucket=bucket)
            s3.delete_public_access_block(Bucket=bucket)
            s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow',
                'Principal': '*', 'Action': 's3:GetObject', 'Resource': 'arn:aws:s3:::%s/*' % bucket}]}))
            s3.put_object(Bucket=bucket, Key='k', Body=b'public')
            out['open'] = other.get_object(Bucket=bucket, Key='k')['Body'].read().decode()
            control.put_public_access_block(AccountId=account, PublicAccessBlockConfiguration={'RestrictPublicBuckets': True})
            out['restricted'] = err(lambda: other.get_object(Bucket=bucket, Key='k'))
            out['owner'] = s3.get_object(Bucket=bucket, Key='k')['Body'].read().decode()
            out['config'] = control.get_public_access_block(AccountId=account)['PublicAccessBlockConfiguration']
            control.delete_public_access_block(AccountId=account)
            out['reopened'] = other.get_object(Bucket=bucket, Key='k')['Body'].read().decode()
            print(json.dumps(out))
            """);

        Assert.True(result.ExitCode == 0, result.ToString());
        var r = JsonDocument.Parse(result.Stdout).RootElement;
        Assert.Equal("public", r.GetProperty("open").GetString());
        Assert.Equal("AccessDenied", r.GetProperty("restricted").GetString());
        Assert.Equal("public", r.GetProperty("owner").GetString());
        Assert.True(r.GetProperty("config").GetProperty("RestrictPublicBuckets").GetBoolean());
        Assert.False(r.GetProperty("config").GetProperty("BlockPublicAcls").GetBoolean());
        Assert.Equal("public", r.GetProperty("reopened").GetString());
    }
}
