using System.Text.Json;

namespace Kiln.Integration.Tests.S3;

/// <summary>Lifecycle, storage classes and restore through boto3 on a server whose "day" is one
/// second (KILN_DAY_SECONDS, DESIGN.md Time): a 2-day expiration acts in about 3 seconds.</summary>
public sealed class LifecycleTests(LifecycleTests.FastDayServer fixture) : IClassFixture<LifecycleTests.FastDayServer>
{
    public sealed class FastDayServer : IAsyncLifetime
    {
        public KilnServer Server { get; private set; } = null!;

        public async Task InitializeAsync() => Server =
            await KilnServer.StartAsync(environment: new Dictionary<string, string> { ["KILN_DAY_SECONDS"] = "1" });

        public async Task DisposeAsync() => await Server.DisposeAsync();
    }

    private KilnServer Server => fixture.Server;

    private static string Join(JsonElement array) => string.Join(',', array.EnumerateArray().Select(e => e.ToString()));

    [Fact]
    public async Task Lifecycle_TransitionToGlacierThenExpire_WithinSeconds()
    {
        var o = await S3Py.RunAsync(Server, """
            import time
            b = 'it-lifecycle'
            s3.create_bucket(Bucket=b)
            out['none'] = err(s3.get_bucket_lifecycle_configuration, Bucket=b)
            out['ia_too_soon'] = err(s3.put_bucket_lifecycle_configuration, Bucket=b, LifecycleConfiguration={'Rules': [
                {'ID': 'ia', 'Status': 'Enabled', 'Filter': {'Prefix': ''},
                 'Transitions': [{'Days': 10, 'StorageClass': 'STANDARD_IA'}]}]})
            s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration={'Rules': [
                {'ID': 'logs', 'Status': 'Enabled', 'Filter': {'Prefix': 'logs/'},
                 'Transitions': [{'Days': 1, 'StorageClass': 'GLACIER'}], 'Expiration': {'Days': 2}}]})
            rules = s3.get_bucket_lifecycle_configuration(Bucket=b)['Rules']
            out['rule'] = [rules[0]['ID'], rules[0]['Filter']['Prefix'], rules[0]['Transitions'][0]['StorageClass'],
                           rules[0]['Transitions'][0]['Days'], rules[0]['Expiration']['Days']]
            s3.put_object(Bucket=b, Key='logs/a', Body=b'old log')
            s3.put_object(Bucket=b, Key='keep/a', Body=b'kept')
            start = time.time()
            classes = []
            while time.time() - start < 10:
                try:
                    c = s3.head_object(Bucket=b, Key='logs/a').get('StorageClass', 'STANDARD')
                except botocore.exceptions.ClientError as e:
                    c = 'GONE'
                if not classes or classes[-1] != c:
                    classes.append(c)
                    if c == 'GLACIER':
                        out['glacier_get'] = err(s3.get_object, Bucket=b, Key='logs/a')
                        out['listed'] = [o.get('StorageClass') for o in s3.list_objects_v2(Bucket=b, Prefix='logs/')['Contents']]
                if c == 'GONE':
                    break
                time.sleep(0.05)
            out['classes'] = classes
            out['elapsed'] = time.time() - start
            out['kept'] = s3.get_object(Bucket=b, Key='keep/a')['Body'].read().decode()
            s3.delete_bucket_lifecycle(Bucket=b)
            out['deleted'] = err(s3.get_bucket_lifecycle_configuration, Bucket=b)
            """);

        Assert.Equal(("NoSuchLifecycleConfiguration", 404), S3Py.Error(o.GetProperty("none")));
        Assert.Equal(("InvalidArgument", 400), S3Py.Error(o.GetProperty("ia_too_soon")));
        Assert.Equal("'Days' in Transition action must be greater than or equal to 30 for storageClass 'STANDARD_IA'",
            o.GetProperty("ia_too_soon")[2].GetString());
        Assert.Equal("logs,logs/,GLACIER,1,2", Join(o.GetProperty("rule")));
        Assert.Equal("STANDARD,GLACIER,GONE", Join(o.GetProperty("classes")));
        Assert.Equal(("InvalidObjectState", 403), S3Py.Error(o.GetProperty("glacier_get")));
        Assert.Equal("GLACIER", Join(o.GetProperty("listed")));
        Assert.InRange(o.GetProperty("elapsed").GetDouble(), 1.0, 5.0);
        Assert.Equal("kept", o.Str("kept"));
        Assert.Equal(("NoSuchLifecycleConfiguration", 404), S3Py.Error(o.GetProperty("deleted")));
    }

    [Fact]
    public async Task RestoreObject_DeepArchive_RefusedThenOngoingThenReadable()
    {
        var o = await S3Py.RunAsync(Server, """
            import time
            b = 'it-restore'
            s3.create_bucket(Bucket=b)
            out['bad_class'] = err(s3.put_object, Bucket=b, Key='x', Body=b'x', StorageClass='COLD')
            s3.put_object(Bucket=b, Key='cold', Body=b'archived', StorageClass='DEEP_ARCHIVE')
            out['head_class'] = s3.head_object(Bucket=b, Key='cold')['StorageClass']
            out['get'] = err(s3.get_object, Bucket=b, Key='cold')
            # Bulk from DEEP_ARCHIVE takes 48 hours: two seconds here.
            r = s3.restore_object(Bucket=b, Key='cold', RestoreRequest={'Days': 5, 'GlacierJobParameters': {'Tier': 'Bulk'}})
            out['status'] = r['ResponseMetadata']['HTTPStatusCode']
            out['ongoing'] = s3.head_object(Bucket=b, Key='cold').get('Restore')
            out['again'] = err(s3.restore_object, Bucket=b, Key='cold', RestoreRequest={'Days': 5})
            out['still_frozen'] = err(s3.get_object, Bucket=b, Key='cold')
            start = time.time()
            body = None
            while time.time() - start < 10 and body is None:
                try:
                    body = s3.get_object(Bucket=b, Key='cold')['Body'].read().decode()
                except botocore.exceptions.ClientError:
                    time.sleep(0.1)
            out['body'] = body
            out['waited'] = time.time() - start
            out['done'] = s3.head_object(Bucket=b, Key='cold').get('Restore')
            """);

        Assert.Equal(("InvalidStorageClass", 400), S3Py.Error(o.GetProperty("bad_class")));
        Assert.Equal("DEEP_ARCHIVE", o.Str("head_class"));
        Assert.Equal(("InvalidObjectState", 403), S3Py.Error(o.GetProperty("get")));
        Assert.Equal(202, o.GetProperty("status").GetInt32());
        Assert.Equal("ongoing-request=\"true\"", o.Str("ongoing"));
        Assert.Equal(("RestoreAlreadyInProgress", 409), S3Py.Error(o.GetProperty("again")));
        Assert.Equal(("InvalidObjectState", 403), S3Py.Error(o.GetProperty("still_frozen")));
        Assert.Equal("archived", o.Str("body"));
        Assert.InRange(o.GetProperty("waited").GetDouble(), 1.0, 5.0);
        Assert.StartsWith("ongoing-request=\"false\", expiry-date=\"", o.Str("done"));
    }

    // Server access logging lives with these tests: it shares their bucket-configuration plumbing.
    [Fact]
    public async Task BucketLogging_RequestsDeliveredAsLogObjectsInAwsFormat()
    {
        var o = await S3Py.RunAsync(Server, """
            import time
            s3.create_bucket(Bucket='it-logged')
            s3.create_bucket(Bucket='it-logs')
            out['missing_target'] = err(s3.put_bucket_logging, Bucket='it-logged',
                BucketLoggingStatus={'LoggingEnabled': {'TargetBucket': 'it-no-such-logs', 'TargetPrefix': 'x/'}})
            out['before'] = s3.get_bucket_logging(Bucket='it-logged').get('LoggingEnabled')
            s3.put_bucket_logging(Bucket='it-logged',
                BucketLoggingStatus={'LoggingEnabled': {'TargetBucket': 'it-logs', 'TargetPrefix': 'access/'}})
            out['config'] = s3.get_bucket_logging(Bucket='it-logged')['LoggingEnabled']
            s3.put_object(Bucket='it-logged', Key='data/one.csv', Body=b'a,b\n1,2\n')
            s3.get_object(Bucket='it-logged', Key='data/one.csv')['Body'].read()
            err(s3.get_object, Bucket='it-logged', Key='missing')
            start = time.time()
            keys = []
            while time.time() - start < 10 and not keys:
                keys = [o['Key'] for o in s3.list_objects_v2(Bucket='it-logs', Prefix='access/').get('Contents', [])]
                time.sleep(0.2)
            out['keys'] = keys
            out['lines'] = [l for k in keys for l in
                            s3.get_object(Bucket='it-logs', Key=k)['Body'].read().decode().splitlines()]
            """);

        Assert.Equal(("InvalidTargetBucketForLogging", 400), S3Py.Error(o.GetProperty("missing_target")));
        Assert.Equal(JsonValueKind.Null, o.GetProperty("before").ValueKind);
        Assert.Equal("it-logs", o.GetProperty("config").Str("TargetBucket"));
        Assert.Equal("access/", o.GetProperty("config").Str("TargetPrefix"));
        Assert.Matches(@"^access/\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9A-F]{16}$", o.GetProperty("keys")[0].GetString()!);
        var lines = o.GetProperty("lines").EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.Contains(lines, l => l.Contains(" it-logged [", StringComparison.Ordinal) &&
                                    l.Contains(" REST.PUT.OBJECT data/one.csv \"PUT /it-logged/data/one.csv HTTP/1.1\" 200 - - 8 ",
                                        StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains(" REST.GET.OBJECT data/one.csv \"GET /it-logged/data/one.csv HTTP/1.1\" 200 - 8 8 ",
            StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains(" REST.GET.OBJECT missing \"GET /it-logged/missing HTTP/1.1\" 404 NoSuchKey ",
            StringComparison.Ordinal));
    }
}
