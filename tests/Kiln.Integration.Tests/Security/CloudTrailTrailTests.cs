using System.IO.Compression;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Kiln.Integration.Tests.Security;

/// <summary>A server whose trails deliver every second (KILN_CLOUDTRAIL_DELIVERY_SECONDS; AWS: about
/// five minutes), so a test can watch log files arrive.</summary>
public sealed class TrailServerFixture : IAsyncLifetime
{
    public KilnServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await KilnServer.StartAsync(
        environment: new Dictionary<string, string> { ["KILN_CLOUDTRAIL_DELIVERY_SECONDS"] = "1" });

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>CloudTrail trails through boto3 and the aws CLI (issue 4): a trail on a bucket with the
/// documented bucket policy delivers gzipped log files that <c>aws s3 cp</c> reads back.</summary>
public sealed partial class CloudTrailTrailTests(TrailServerFixture fixture) : IClassFixture<TrailServerFixture>
{
    private KilnServer Server => fixture.Server;

    private async Task<JsonElement> RunAsync(string script)
    {
        var result = await Clients.PythonAsync(Server, Prelude + script);
        Assert.True(result.ExitCode == 0, result.ToString());
        return JsonDocument.Parse(result.Stdout).RootElement.Clone();
    }

    [GeneratedRegex(@"^audit/AWSLogs/(\d{12})/CloudTrail/us-east-1/\d{4}/\d{2}/\d{2}/\1_CloudTrail_us-east-1_\d{8}T\d{4}Z_[A-Za-z0-9]{16}\.json\.gz$")]
    private static partial Regex LogKey();

    [Fact]
    public async Task Trail_DeliversManagementEvents_AsGzippedRecords_ReadableWithAwsS3Cp()
    {
        var r = await RunAsync("""
            acct = sts.get_caller_identity()['Account']
            b = uniq('trail-logs-'); n = uniq('trail')
            s3.create_bucket(Bucket=b)
            s3.put_bucket_policy(Bucket=b, Policy=policy(b, acct, 'audit'))
            arn = ct.create_trail(Name=n, S3BucketName=b, S3KeyPrefix='audit')['TrailARN']
            ct.start_logging(Name=n)
            user = uniq('ctuser')
            out['userArn'] = iam.create_user(UserName=user)['User']['Arn']
            ak = iam.create_access_key(UserName=user)['AccessKey']
            out['denied'] = err(lambda: client('s3', ak['AccessKeyId'], ak['SecretAccessKey']).list_buckets())
            out['missing'] = err(lambda: s3.get_bucket_policy(Bucket=uniq('no-such-bucket-')))
            s3.put_object(Bucket=b, Key='data/x.csv', Body=b'1,2')
            out.update(acct=acct, bucket=b, name=n, arn=arn, user=user, secret=ak['SecretAccessKey'])
            print(json.dumps(out))
            """);
        var bucket = r.GetProperty("bucket").GetString()!;
        var account = r.GetProperty("acct").GetString()!;
        Assert.Equal("AccessDenied", r.GetProperty("denied").GetProperty("Code").GetString());

        // Poll: download everything the trail delivered with the aws CLI until the calls are in it.
        var records = new List<JsonElement>();
        var keys = new List<string>();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            (keys, records) = await DownloadAsync(bucket);
            if (records.Any(x => Name(x) == "CreateUser") && records.Any(x => x.TryGetProperty("errorCode", out var c) && c.GetString() == "NoSuchBucket"))
            {
                break;
            }

            await Task.Delay(500);
        }

        Assert.NotEmpty(keys);
        Assert.All(keys, k => Assert.Matches(LogKey(), k));
        Assert.All(keys, k => Assert.Contains("/" + account + "/", k, StringComparison.Ordinal));

        var createUser = Assert.Single(records, x => Name(x) == "CreateUser");
        Assert.Equal("iam.amazonaws.com", createUser.GetProperty("eventSource").GetString());
        Assert.Equal("Root", createUser.GetProperty("userIdentity").GetProperty("type").GetString());
        Assert.Equal(account, createUser.GetProperty("recipientAccountId").GetString());
        Assert.False(createUser.GetProperty("readOnly").GetBoolean());
        var userResource = Assert.Single(createUser.GetProperty("resources").EnumerateArray().ToList());
        Assert.Equal("AWS::IAM::User", userResource.GetProperty("type").GetString());
        Assert.Equal(r.GetProperty("userArn").GetString(), userResource.GetProperty("ARN").GetString());

        var denied = Assert.Single(records, x => Name(x) == "ListBuckets" && x.TryGetProperty("errorCode", out _));
        Assert.Equal("AccessDenied", denied.GetProperty("errorCode").GetString());
        Assert.Equal("IAMUser", denied.GetProperty("userIdentity").GetProperty("type").GetString());
        Assert.Equal(r.GetProperty("user").GetString(), denied.GetProperty("userIdentity").GetProperty("userName").GetString());

        var missing = Assert.Single(records, x => Name(x) == "GetBucketPolicy");
        Assert.Equal("NoSuchBucket", missing.GetProperty("errorCode").GetString());
        Assert.Equal("AWS::S3::Bucket", missing.GetProperty("resources")[0].GetProperty("type").GetString());

        // Default event selectors: management events only; S3 object calls are data events.
        Assert.DoesNotContain(records, x => Name(x) == "PutObject");
        Assert.All(records, x => Assert.True(x.GetProperty("managementEvent").GetBoolean()));
        var text = string.Join("\n", records.Select(x => x.GetRawText()));
        Assert.DoesNotContain(r.GetProperty("secret").GetString()!, text, StringComparison.Ordinal);
        Assert.DoesNotContain(Server.SecretAccessKey, text, StringComparison.Ordinal);
        Assert.DoesNotContain("Signature=", text, StringComparison.Ordinal);

        var status = await Clients.AwsAsync(Server, "cloudtrail", "get-trail-status", "--name", r.GetProperty("name").GetString()!);
        Assert.True(status.ExitCode == 0, status.ToString());
        var s = JsonDocument.Parse(status.Stdout).RootElement;
        Assert.True(s.GetProperty("IsLogging").GetBoolean());
        Assert.True(s.TryGetProperty("LatestDeliveryTime", out _), status.Stdout);
        Assert.True(s.TryGetProperty("StartLoggingTime", out _), status.Stdout);
        Assert.False(s.TryGetProperty("LatestDeliveryError", out _), status.Stdout);
    }

    [Fact]
    public async Task CreateTrail_Errors_AreCloudTrails()
    {
        var r = await RunAsync("""
            acct = sts.get_caller_identity()['Account']
            bare = uniq('bare-'); good = uniq('good-'); n = uniq('trail')
            s3.create_bucket(Bucket=bare); s3.create_bucket(Bucket=good)
            s3.put_bucket_policy(Bucket=good, Policy=policy(good, acct, None))
            out['policy'] = err(lambda: ct.create_trail(Name=n, S3BucketName=bare))
            out['nobucket'] = err(lambda: ct.create_trail(Name=n, S3BucketName=uniq('absent-')))
            out['badname'] = err(lambda: ct.create_trail(Name='a--b', S3BucketName=good))
            out['prefix'] = err(lambda: ct.create_trail(Name=n, S3BucketName=good, S3KeyPrefix='elsewhere'))
            t = ct.create_trail(Name=n, S3BucketName=good, IsMultiRegionTrail=True)
            out['dup'] = err(lambda: ct.create_trail(Name=n, S3BucketName=good))
            out['kms'] = err(lambda: ct.create_trail(Name=uniq('kms'), S3BucketName=good, KmsKeyId='alias/x'))
            out['got'] = ct.get_trail(Name=t['TrailARN'])['Trail']
            out['listed'] = [x['Name'] for x in ct.list_trails()['Trails']]
            out['shadow'] = [x['Name'] for x in client('cloudtrail', region='eu-west-1').describe_trails()['trailList']]
            out['remote'] = err(lambda: client('cloudtrail', region='eu-west-1').start_logging(Name=n))
            ct.start_logging(Name=n); ct.stop_logging(Name=n)
            st = ct.get_trail_status(Name=n)
            out['stopped'] = [st['IsLogging'], 'StartLoggingTime' in st, 'StopLoggingTime' in st]
            ct.delete_trail(Name=n)
            out['gone'] = err(lambda: ct.get_trail(Name=n))
            out.update(name=n, acct=acct, bare=bare)
            print(json.dumps(out, default=str))
            """);

        var policy = r.GetProperty("policy");
        Assert.Equal("InsufficientS3BucketPolicyException", policy.GetProperty("Code").GetString());
        Assert.Equal("Incorrect S3 bucket policy is detected for bucket: " + r.GetProperty("bare").GetString(), policy.GetProperty("Message").GetString());
        Assert.Equal("S3BucketDoesNotExistException", r.GetProperty("nobucket").GetProperty("Code").GetString());
        Assert.Equal("InvalidTrailNameException", r.GetProperty("badname").GetProperty("Code").GetString());
        Assert.Equal("InsufficientS3BucketPolicyException", r.GetProperty("prefix").GetProperty("Code").GetString());
        Assert.Equal("TrailAlreadyExistsException", r.GetProperty("dup").GetProperty("Code").GetString());
        Assert.Equal("UnsupportedOperationException", r.GetProperty("kms").GetProperty("Code").GetString());
        var name = r.GetProperty("name").GetString()!;
        Assert.Equal("us-east-1", r.GetProperty("got").GetProperty("HomeRegion").GetString());
        Assert.True(r.GetProperty("got").GetProperty("IsMultiRegionTrail").GetBoolean());
        Assert.Contains(name, r.GetProperty("listed").EnumerateArray().Select(x => x.GetString()));
        Assert.Contains(name, r.GetProperty("shadow").EnumerateArray().Select(x => x.GetString()));
        Assert.Equal("InvalidHomeRegionException", r.GetProperty("remote").GetProperty("Code").GetString());
        Assert.Equal("[false,true,true]", r.GetProperty("stopped").GetRawText().Replace(" ", "", StringComparison.Ordinal));
        var gone = r.GetProperty("gone");
        Assert.Equal("TrailNotFoundException", gone.GetProperty("Code").GetString());
        Assert.Equal($"Unknown trail: arn:aws:cloudtrail:us-east-1:{r.GetProperty("acct").GetString()}:trail/{name} for the user: {r.GetProperty("acct").GetString()}",
            gone.GetProperty("Message").GetString());
    }

    [Fact]
    public async Task CreateTrail_BucketWithoutPolicy_AwsCli_InsufficientS3BucketPolicy()
    {
        var bucket = "cli-bare-" + Guid.NewGuid().ToString("N")[..8];
        var made = await Clients.AwsAsync(Server, "s3api", "create-bucket", "--bucket", bucket);
        Assert.True(made.ExitCode == 0, made.ToString());
        var result = await Clients.AwsAsync(Server, "cloudtrail", "create-trail", "--name", "cli-trail", "--s3-bucket-name", bucket);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("(InsufficientS3BucketPolicyException)", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LookupEvents_ByResourceName_FindsTheBucketsEvents()
    {
        var r = await RunAsync("""
            b = uniq('lookup-res-')
            s3.create_bucket(Bucket=b)
            s3.put_bucket_tagging(Bucket=b, Tagging={'TagSet': [{'Key': 'k', 'Value': 'v'}]})
            out['bucket'] = b
            print(json.dumps(out))
            """);
        var bucket = r.GetProperty("bucket").GetString()!;
        var lookup = await Clients.AwsAsync(Server, "cloudtrail", "lookup-events", "--lookup-attributes",
            "AttributeKey=ResourceName,AttributeValue=" + bucket);
        Assert.True(lookup.ExitCode == 0, lookup.ToString());
        var events = JsonDocument.Parse(lookup.Stdout).RootElement.GetProperty("Events").EnumerateArray().ToList();
        Assert.Equal(["PutBucketTagging", "CreateBucket"], events.Select(e => e.GetProperty("EventName").GetString()));
        var resource = Assert.Single(events[1].GetProperty("Resources").EnumerateArray().ToList());
        Assert.Equal("AWS::S3::Bucket", resource.GetProperty("ResourceType").GetString());
        Assert.Equal(bucket, resource.GetProperty("ResourceName").GetString());

        var byType = await Clients.AwsAsync(Server, "cloudtrail", "lookup-events", "--lookup-attributes",
            "AttributeKey=ResourceType,AttributeValue=AWS::S3::Bucket", "--max-results", "50");
        Assert.True(byType.ExitCode == 0, byType.ToString());
        Assert.Contains(bucket, byType.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Trail_SurvivesRestart_StillLoggingWithItsTags()
    {
        await using var server = await KilnServer.StartAsync();
        var script = Prelude + """
            acct = sts.get_caller_identity()['Account']
            b = uniq('restart-logs-')
            s3.create_bucket(Bucket=b)
            s3.put_bucket_policy(Bucket=b, Policy=policy(b, acct, None))
            arn = ct.create_trail(Name='kept-trail', S3BucketName=b, TagsList=[{'Key': 'team', 'Value': 'ml'}])['TrailARN']
            ct.start_logging(Name='kept-trail')
            print(json.dumps({'arn': arn}))
            """;
        var created = await Clients.PythonAsync(server, script);
        Assert.True(created.ExitCode == 0, created.ToString());
        var arn = JsonDocument.Parse(created.Stdout).RootElement.GetProperty("arn").GetString()!;

        await server.RestartAsync();

        var status = await Clients.AwsAsync(server, "cloudtrail", "get-trail-status", "--name", arn);
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.True(JsonDocument.Parse(status.Stdout).RootElement.GetProperty("IsLogging").GetBoolean());
        var tags = await Clients.AwsAsync(server, "cloudtrail", "list-tags", "--resource-id-list", arn);
        Assert.True(tags.ExitCode == 0, tags.ToString());
        var tag = JsonDocument.Parse(tags.Stdout).RootElement.GetProperty("ResourceTagList")[0].GetProperty("TagsList")[0];
        Assert.Equal("team", tag.GetProperty("Key").GetString());
        Assert.Equal("ml", tag.GetProperty("Value").GetString());
    }

    private static string? Name(JsonElement record) => record.GetProperty("eventName").GetString();

    /// <summary><c>aws s3 cp --recursive</c> of the trail's folder, then gunzip of each file.</summary>
    private async Task<(List<string> Keys, List<JsonElement> Records)> DownloadAsync(string bucket)
    {
        var dir = KilnServer.NewTempDir();
        try
        {
            var cp = await Clients.AwsAsync(Server, "s3", "cp", $"s3://{bucket}/audit/", dir + "/", "--recursive");
            Assert.True(cp.ExitCode == 0, cp.ToString());
            var keys = new List<string>();
            var records = new List<JsonElement>();
            foreach (var file in Directory.GetFiles(dir, "*", SearchOption.AllDirectories))
            {
                keys.Add("audit/" + Path.GetRelativePath(dir, file).Replace('\\', '/'));
                await using var gz = new GZipStream(File.OpenRead(file), CompressionMode.Decompress);
                using var doc = await JsonDocument.ParseAsync(gz);
                records.AddRange(doc.RootElement.GetProperty("Records").EnumerateArray().Select(x => x.Clone()));
            }

            return (keys, records);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private const string Prelude = """
        import os, json, uuid, boto3, botocore
        E = os.environ['ENDPOINT']
        def uniq(p): return p + uuid.uuid4().hex[:8]
        def client(svc, key=None, secret=None, region='us-east-1'):
            kw = {'endpoint_url': E, 'region_name': region}
            if key: kw.update(aws_access_key_id=key, aws_secret_access_key=secret)
            return boto3.client(svc, **kw)
        s3 = client('s3'); iam = client('iam'); sts = client('sts'); ct = client('cloudtrail')
        def err(f):
            try:
                f(); return None
            except botocore.exceptions.ClientError as e:
                return {'Code': e.response['Error']['Code'], 'Message': e.response['Error'].get('Message')}
        def policy(bucket, acct, prefix):
            path = (prefix + '/' if prefix else '') + 'AWSLogs/' + acct + '/*'
            return json.dumps({'Version': '2012-10-17', 'Statement': [
                {'Sid': 'AWSCloudTrailAclCheck', 'Effect': 'Allow', 'Principal': {'Service': 'cloudtrail.amazonaws.com'},
                 'Action': 's3:GetBucketAcl', 'Resource': 'arn:aws:s3:::' + bucket},
                {'Sid': 'AWSCloudTrailWrite', 'Effect': 'Allow', 'Principal': {'Service': 'cloudtrail.amazonaws.com'},
                 'Action': 's3:PutObject', 'Resource': 'arn:aws:s3:::' + bucket + '/' + path,
                 'Condition': {'StringEquals': {'s3:x-amz-acl': 'bucket-owner-full-control'}}}]})
        out = {}

        """;
}
