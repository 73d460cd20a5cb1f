using System.Text.Json;

namespace Kiln.Integration.Tests.S3;

/// <summary>Buckets and objects through boto3 (botocore 1.29, Debian): bytes, headers, errors.</summary>
public sealed class S3ObjectTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private KilnServer Server => fixture.Server;

    [Fact]
    public async Task Buckets_CreateListHeadLocationDelete_WithAwsErrors()
    {
        var o = await S3Py.RunAsync(Server, """
            s3.create_bucket(Bucket='it-buckets')
            eu = client('eu-west-1')
            eu.create_bucket(Bucket='it-buckets-eu', CreateBucketConfiguration={'LocationConstraint': 'eu-west-1'})
            out['names'] = [b['Name'] for b in s3.list_buckets()['Buckets']]
            out['location_us'] = s3.get_bucket_location(Bucket='it-buckets').get('LocationConstraint')
            out['location_eu'] = s3.get_bucket_location(Bucket='it-buckets-eu')['LocationConstraint']
            out['head_us'] = s3.head_bucket(Bucket='it-buckets')['ResponseMetadata']['HTTPHeaders']
            out['head_eu'] = eu.head_bucket(Bucket='it-buckets-eu')['ResponseMetadata']['HTTPHeaders']
            out['owned'] = err(eu.create_bucket, Bucket='it-buckets-eu', CreateBucketConfiguration={'LocationConstraint': 'eu-west-1'})
            out['again_us'] = err(s3.create_bucket, Bucket='it-buckets')
            out['bad_name'] = err(s3.create_bucket, Bucket='Bad_Name')
            out['head_missing'] = err(s3.head_bucket, Bucket='it-no-such-bucket')
            out['list_missing'] = err(s3.list_objects_v2, Bucket='it-no-such-bucket')
            s3.put_object(Bucket='it-buckets', Key='k', Body=b'x')
            out['not_empty'] = err(s3.delete_bucket, Bucket='it-buckets')
            s3.delete_object(Bucket='it-buckets', Key='k')
            s3.delete_bucket(Bucket='it-buckets')
            out['after_delete'] = err(s3.head_bucket, Bucket='it-buckets')
            """);

        Assert.Contains("it-buckets", o.GetProperty("names").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(JsonValueKind.Null, o.GetProperty("location_us").ValueKind);
        Assert.Equal("eu-west-1", o.Str("location_eu"));
        // HeadBucket names the bucket's region (GetBucketLocation's empty constraint is us-east-1).
        Assert.Equal("us-east-1", o.GetProperty("head_us").Str("x-amz-bucket-region"));
        Assert.Equal("false", o.GetProperty("head_us").Str("x-amz-access-point-alias"));
        Assert.Equal("eu-west-1", o.GetProperty("head_eu").Str("x-amz-bucket-region"));
        Assert.Equal(("BucketAlreadyOwnedByYou", 409), S3Py.Error(o.GetProperty("owned")));
        Assert.Equal(JsonValueKind.Null, o.GetProperty("again_us").ValueKind);
        Assert.Equal(("InvalidBucketName", 400), S3Py.Error(o.GetProperty("bad_name")));
        Assert.Equal(("404", 404), S3Py.Error(o.GetProperty("head_missing")));
        Assert.Equal(("NoSuchBucket", 404), S3Py.Error(o.GetProperty("list_missing")));
        Assert.Equal(("BucketNotEmpty", 409), S3Py.Error(o.GetProperty("not_empty")));
        Assert.Equal(("404", 404), S3Py.Error(o.GetProperty("after_delete")));
    }

    /// <summary>"EU" is S3's legacy LocationConstraint for eu-west-1: accepted there, the bucket is in
    /// eu-west-1 and GetBucketLocation answers "EU"; anywhere else it is a mismatch like any other.</summary>
    [Fact]
    public async Task CreateBucket_LegacyEuConstraint_InEuWest1Only()
    {
        var o = await S3Py.RunAsync(Server, """
            eu = client('eu-west-1')
            eu.create_bucket(Bucket='it-legacy-eu', CreateBucketConfiguration={'LocationConstraint': 'EU'})
            out['location'] = s3.get_bucket_location(Bucket='it-legacy-eu')['LocationConstraint']
            out['head'] = eu.head_bucket(Bucket='it-legacy-eu')['ResponseMetadata']['HTTPHeaders'].get('x-amz-bucket-region')
            out['listed'] = 'it-legacy-eu' in [b['Name'] for b in s3.list_buckets()['Buckets']]
            out['again'] = err(eu.create_bucket, Bucket='it-legacy-eu', CreateBucketConfiguration={'LocationConstraint': 'EU'})
            out['us'] = err(s3.create_bucket, Bucket='it-legacy-eu-us', CreateBucketConfiguration={'LocationConstraint': 'EU'})
            central = client('eu-central-1')
            out['central'] = err(central.create_bucket, Bucket='it-legacy-eu-c', CreateBucketConfiguration={'LocationConstraint': 'EU'})
            out['central_other'] = err(central.create_bucket, Bucket='it-legacy-eu-c',
                                       CreateBucketConfiguration={'LocationConstraint': 'eu-west-1'})
            out['absent'] = [err(s3.head_bucket, Bucket=b) for b in ['it-legacy-eu-us', 'it-legacy-eu-c']]
            """);

        Assert.Equal("EU", o.Str("location"));
        Assert.Equal("eu-west-1", o.Str("head"));
        Assert.True(o.GetProperty("listed").GetBoolean());
        Assert.Equal(("BucketAlreadyOwnedByYou", 409), S3Py.Error(o.GetProperty("again")));
        Assert.Equal(("IllegalLocationConstraintException", 400), S3Py.Error(o.GetProperty("us")));
        Assert.Equal("The EU location constraint is incompatible for the region specific endpoint this request was sent to.",
            o.GetProperty("us")[2].GetString());
        Assert.Equal(("IllegalLocationConstraintException", 400), S3Py.Error(o.GetProperty("central")));
        Assert.Equal(S3Py.Error(o.GetProperty("central_other")), S3Py.Error(o.GetProperty("central")));
        Assert.All(o.GetProperty("absent").EnumerateArray(), e => Assert.Equal(("404", 404), S3Py.Error(e)));
    }

    [Fact]
    public async Task CreateBucket_ObjectLockEnabled_NotImplemented_NothingCreated()
    {
        var o = await S3Py.RunAsync(Server, """
            out['lock'] = err(s3.create_bucket, Bucket='it-object-lock', ObjectLockEnabledForBucket=True)
            out['head'] = err(s3.head_bucket, Bucket='it-object-lock')
            """);

        Assert.Equal(("NotImplemented", 501), S3Py.Error(o.GetProperty("lock")));
        Assert.Equal(("404", 404), S3Py.Error(o.GetProperty("head")));
    }

    [Fact]
    public async Task Objects_RoundTrip_HeadersMetadataRangesConditionsAndOverrides()
    {
        var o = await S3Py.RunAsync(Server, """
            s3.create_bucket(Bucket='it-objects')
            body = os.urandom(100000)
            put = s3.put_object(Bucket='it-objects', Key='dir/file.bin', Body=body, ContentType='application/x-test',
                CacheControl='max-age=60', ContentDisposition='attachment', Metadata={'Origin': 'it'})
            s3.put_object(Bucket='it-objects', Key='dir/file.bin/child', Body=b'child')
            g = s3.get_object(Bucket='it-objects', Key='dir/file.bin')
            out['same'] = g['Body'].read() == body
            out['etag'] = put['ETag']; out['md5'] = '"' + md5(body) + '"'; out['get_etag'] = g['ETag']
            out['type'] = g['ContentType']; out['cache'] = g['CacheControl']; out['disp'] = g['ContentDisposition']
            out['meta'] = g['Metadata']; out['length'] = g['ContentLength']
            out['child'] = s3.get_object(Bucket='it-objects', Key='dir/file.bin/child')['Body'].read().decode()
            r = s3.get_object(Bucket='it-objects', Key='dir/file.bin', Range='bytes=10-19')
            out['range_status'] = r['ResponseMetadata']['HTTPStatusCode']; out['range_ok'] = r['Body'].read() == body[10:20]
            out['content_range'] = r['ContentRange']
            s = s3.get_object(Bucket='it-objects', Key='dir/file.bin', Range='bytes=-5')
            out['suffix_ok'] = s['Body'].read() == body[-5:]
            out['bad_range'] = err(s3.get_object, Bucket='it-objects', Key='dir/file.bin', Range='bytes=200000-')
            out['if_none_match'] = err(s3.get_object, Bucket='it-objects', Key='dir/file.bin', IfNoneMatch=put['ETag'])
            out['if_match'] = err(s3.get_object, Bucket='it-objects', Key='dir/file.bin', IfMatch='"0000"')
            import datetime
            past = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)
            out['unmodified'] = err(s3.get_object, Bucket='it-objects', Key='dir/file.bin', IfUnmodifiedSince=past)
            out['modified_ok'] = s3.get_object(Bucket='it-objects', Key='dir/file.bin', IfModifiedSince=past)['ResponseMetadata']['HTTPStatusCode']
            o = s3.get_object(Bucket='it-objects', Key='dir/file.bin', ResponseContentType='text/plain', ResponseCacheControl='no-cache')
            out['override'] = [o['ContentType'], o['CacheControl']]
            h = s3.head_object(Bucket='it-objects', Key='dir/file.bin')
            out['head'] = [h['ContentLength'], h['ETag'], h['Metadata']]
            out['head_missing'] = err(s3.head_object, Bucket='it-objects', Key='nope')
            out['missing'] = err(s3.get_object, Bucket='it-objects', Key='nope')
            import base64
            out['bad_md5'] = err(s3.put_object, Bucket='it-objects', Key='m', Body=b'abc',
                ContentMD5=base64.b64encode(hashlib.md5(b'xyz').digest()).decode())
            out['after_bad_md5'] = err(s3.head_object, Bucket='it-objects', Key='m')
            out['too_long'] = err(s3.put_object, Bucket='it-objects', Key='k' * 1025, Body=b'x')
            s3.put_object(Bucket='it-objects', Key='empty', Body=b'')
            out['empty'] = s3.get_object(Bucket='it-objects', Key='empty')['Body'].read().decode()
            s3.delete_object(Bucket='it-objects', Key='dir/file.bin')
            out['deleted'] = err(s3.get_object, Bucket='it-objects', Key='dir/file.bin')
            out['child_left'] = s3.get_object(Bucket='it-objects', Key='dir/file.bin/child')['Body'].read().decode()
            """);

        Assert.True(o.GetProperty("same").GetBoolean());
        Assert.Equal(o.Str("md5"), o.Str("etag"));
        Assert.Equal(o.Str("md5"), o.Str("get_etag"));
        Assert.Equal(("application/x-test", "max-age=60", "attachment"), (o.Str("type"), o.Str("cache"), o.Str("disp")));
        Assert.Equal("it", o.GetProperty("meta").Str("origin"));
        Assert.Equal(100000, o.GetProperty("length").GetInt32());
        Assert.Equal("child", o.Str("child"));
        Assert.Equal(206, o.GetProperty("range_status").GetInt32());
        Assert.True(o.GetProperty("range_ok").GetBoolean());
        Assert.Equal("bytes 10-19/100000", o.Str("content_range"));
        Assert.True(o.GetProperty("suffix_ok").GetBoolean());
        Assert.Equal(("InvalidRange", 416), S3Py.Error(o.GetProperty("bad_range")));
        Assert.Equal(("304", 304), S3Py.Error(o.GetProperty("if_none_match")));
        Assert.Equal(("PreconditionFailed", 412), S3Py.Error(o.GetProperty("if_match")));
        Assert.Equal(("PreconditionFailed", 412), S3Py.Error(o.GetProperty("unmodified")));
        Assert.Equal(200, o.GetProperty("modified_ok").GetInt32());
        Assert.Equal(["text/plain", "no-cache"], o.GetProperty("override").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(100000, o.GetProperty("head")[0].GetInt32());
        Assert.Equal(("404", 404), S3Py.Error(o.GetProperty("head_missing")));
        Assert.Equal(("NoSuchKey", 404), S3Py.Error(o.GetProperty("missing")));
        Assert.Equal("The specified key does not exist.", o.GetProperty("missing")[2].GetString());
        Assert.Equal(("BadDigest", 400), S3Py.Error(o.GetProperty("bad_md5")));
        Assert.Equal(("404", 404), S3Py.Error(o.GetProperty("after_bad_md5")));
        Assert.Equal(("KeyTooLongError", 400), S3Py.Error(o.GetProperty("too_long")));
        Assert.Equal("", o.Str("empty"));
        Assert.Equal(("NoSuchKey", 404), S3Py.Error(o.GetProperty("deleted")));
        Assert.Equal("child", o.Str("child_left"));
    }

    [Fact]
    public async Task Checksums_ValidatedWhenSent_ReturnedWhenAsked()
    {
        var o = await S3Py.RunAsync(Server, """
            s3.create_bucket(Bucket='it-checksums')
            p = s3.put_object(Bucket='it-checksums', Key='c', Body=b'hello', ChecksumAlgorithm='SHA256')
            out['put'] = p.get('ChecksumSHA256')
            g = s3.get_object(Bucket='it-checksums', Key='c', ChecksumMode='ENABLED')
            out['get'] = g.get('ChecksumSHA256')
            out['plain'] = s3.get_object(Bucket='it-checksums', Key='c').get('ChecksumSHA256')
            out['wrong'] = err(s3.put_object, Bucket='it-checksums', Key='w', Body=b'hello', ChecksumCRC32='AAAAAA==')
            out['right'] = s3.put_object(Bucket='it-checksums', Key='r', Body=b'hello', ChecksumCRC32='NhCmhg==').get('ChecksumCRC32')
            """);

        Assert.Equal("LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=", o.Str("put"));
        Assert.Equal("LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=", o.Str("get"));
        Assert.Equal(JsonValueKind.Null, o.GetProperty("plain").ValueKind);
        Assert.Equal(("BadDigest", 400), S3Py.Error(o.GetProperty("wrong")));
        Assert.Equal("NhCmhg==", o.Str("right"));
    }

    [Fact]
    public async Task CopyAndDeleteObjects_DirectivesConditionsQuiet()
    {
        var o = await S3Py.RunAsync(Server, """
            s3.create_bucket(Bucket='it-copy-a'); s3.create_bucket(Bucket='it-copy-b')
            src = s3.put_object(Bucket='it-copy-a', Key='src', Body=b'payload', Metadata={'a': '1'}, ContentType='text/x-src', Tagging='t=1')
            c1 = s3.copy_object(Bucket='it-copy-b', Key='same', CopySource={'Bucket': 'it-copy-a', 'Key': 'src'})
            h1 = s3.head_object(Bucket='it-copy-b', Key='same')
            out['copy_etag'] = c1['CopyObjectResult']['ETag']; out['src_etag'] = src['ETag']
            out['kept'] = [h1['Metadata'], h1['ContentType']]
            out['kept_tags'] = s3.get_object_tagging(Bucket='it-copy-b', Key='same')['TagSet']
            s3.copy_object(Bucket='it-copy-b', Key='repl', CopySource='it-copy-a/src', MetadataDirective='REPLACE',
                Metadata={'b': '2'}, ContentType='text/x-new')
            h2 = s3.head_object(Bucket='it-copy-b', Key='repl')
            out['replaced'] = [h2['Metadata'], h2['ContentType']]
            out['bytes'] = s3.get_object(Bucket='it-copy-b', Key='repl')['Body'].read().decode()
            out['cond'] = err(s3.copy_object, Bucket='it-copy-b', Key='x', CopySource='it-copy-a/src', CopySourceIfMatch='"nope"')
            out['self'] = err(s3.copy_object, Bucket='it-copy-a', Key='src', CopySource='it-copy-a/src')
            out['missing_src'] = err(s3.copy_object, Bucket='it-copy-b', Key='x', CopySource='it-copy-a/none')
            for k in ['d1', 'd2', 'd3']:
                s3.put_object(Bucket='it-copy-a', Key=k, Body=b'x')
            loud = s3.delete_objects(Bucket='it-copy-a', Delete={'Objects': [{'Key': 'd1'}, {'Key': 'd2'}]})
            quiet = s3.delete_objects(Bucket='it-copy-a', Delete={'Objects': [{'Key': 'd3'}], 'Quiet': True})
            out['loud'] = sorted(d['Key'] for d in loud.get('Deleted', []))
            out['quiet'] = quiet.get('Deleted', [])
            out['left'] = sorted(x['Key'] for x in s3.list_objects_v2(Bucket='it-copy-a').get('Contents', []))
            """);

        Assert.Equal(o.Str("src_etag"), o.Str("copy_etag"));
        Assert.Equal("1", o.GetProperty("kept")[0].Str("a"));
        Assert.Equal("text/x-src", o.GetProperty("kept")[1].GetString());
        Assert.Equal("t", o.GetProperty("kept_tags")[0].Str("Key"));
        Assert.False(o.GetProperty("replaced")[0].TryGetProperty("a", out _));
        Assert.Equal("2", o.GetProperty("replaced")[0].Str("b"));
        Assert.Equal("text/x-new", o.GetProperty("replaced")[1].GetString());
        Assert.Equal("payload", o.Str("bytes"));
        Assert.Equal(("PreconditionFailed", 412), S3Py.Error(o.GetProperty("cond")));
        Assert.Equal(("InvalidRequest", 400), S3Py.Error(o.GetProperty("self")));
        Assert.Equal(("NoSuchKey", 404), S3Py.Error(o.GetProperty("missing_src")));
        Assert.Equal(["d1", "d2"], o.GetProperty("loud").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(0, o.GetProperty("quiet").GetArrayLength());
        Assert.Equal(["src"], o.GetProperty("left").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Tagging_ObjectAndBucket_WithLimits()
    {
        var o = await S3Py.RunAsync(Server, """
            s3.create_bucket(Bucket='it-tags')
            s3.put_object(Bucket='it-tags', Key='k', Body=b'x', Tagging='project=kiln&stage=test%20run')
            out['initial'] = s3.get_object_tagging(Bucket='it-tags', Key='k')['TagSet']
            out['count'] = s3.get_object(Bucket='it-tags', Key='k').get('TagCount')
            s3.put_object_tagging(Bucket='it-tags', Key='k', Tagging={'TagSet': [{'Key': 'only', 'Value': 'one'}]})
            out['replaced'] = s3.get_object_tagging(Bucket='it-tags', Key='k')['TagSet']
            s3.delete_object_tagging(Bucket='it-tags', Key='k')
            out['deleted'] = s3.get_object_tagging(Bucket='it-tags', Key='k')['TagSet']
            out['eleven'] = err(s3.put_object_tagging, Bucket='it-tags', Key='k',
                Tagging={'TagSet': [{'Key': 'k%d' % i, 'Value': 'v'} for i in range(11)]})
            out['eleven_put'] = err(s3.put_object, Bucket='it-tags', Key='k2', Body=b'x',
                Tagging='&'.join('k%d=v' % i for i in range(11)))
            out['no_bucket_tags'] = err(s3.get_bucket_tagging, Bucket='it-tags')
            s3.put_bucket_tagging(Bucket='it-tags', Tagging={'TagSet': [{'Key': 'team', 'Value': 'ml'}]})
            out['bucket'] = s3.get_bucket_tagging(Bucket='it-tags')['TagSet']
            s3.delete_bucket_tagging(Bucket='it-tags')
            out['bucket_deleted'] = err(s3.get_bucket_tagging, Bucket='it-tags')
            """);

        Assert.Equal("test run", o.GetProperty("initial").EnumerateArray().Single(t => t.Str("Key") == "stage").Str("Value"));
        Assert.Equal(2, o.GetProperty("count").GetInt32());
        Assert.Equal("one", o.GetProperty("replaced")[0].Str("Value"));
        Assert.Equal(0, o.GetProperty("deleted").GetArrayLength());
        Assert.Equal(("BadRequest", 400), S3Py.Error(o.GetProperty("eleven")));
        Assert.Equal(("BadRequest", 400), S3Py.Error(o.GetProperty("eleven_put")));
        Assert.Equal(("NoSuchTagSet", 404), S3Py.Error(o.GetProperty("no_bucket_tags")));
        Assert.Equal("ml", o.GetProperty("bucket")[0].Str("Value"));
        Assert.Equal(("NoSuchTagSet", 404), S3Py.Error(o.GetProperty("bucket_deleted")));
    }

    [Fact]
    public async Task OwnerOnlyRule_OtherAccount_GetsAccessDeniedAndBucketAlreadyExists()
    {
        var created = await Clients.KilnAsync("accounts", "create", "--name", "s3-other", "--access-key-id",
            "AKIAS3OTHER000000001", "--secret-access-key", "s3-other-secret-0000000000000000000000", "--data-dir",
            Server.DataDir);
        Assert.True(created.ExitCode == 0, created.ToString());

        await S3Py.RunAsync(Server, """
            s3.create_bucket(Bucket='it-owned')
            s3.put_object(Bucket='it-owned', Key='secret', Body=b'x')
            """);
        var o = await S3Py.RunAsync(Server, """
            out['get'] = err(s3.get_object, Bucket='it-owned', Key='secret')
            out['put'] = err(s3.put_object, Bucket='it-owned', Key='mine', Body=b'y')
            out['list'] = err(s3.list_objects_v2, Bucket='it-owned')
            out['create'] = err(s3.create_bucket, Bucket='it-owned')
            out['buckets'] = [b['Name'] for b in s3.list_buckets()['Buckets']]
            """, "AKIAS3OTHER000000001", "s3-other-secret-0000000000000000000000");

        Assert.Equal(("AccessDenied", 403), S3Py.Error(o.GetProperty("get")));
        Assert.Equal(("AccessDenied", 403), S3Py.Error(o.GetProperty("put")));
        Assert.Equal(("AccessDenied", 403), S3Py.Error(o.GetProperty("list")));
        Assert.Equal(("BucketAlreadyExists", 409), S3Py.Error(o.GetProperty("create")));
        Assert.Empty(o.GetProperty("buckets").EnumerateArray());
    }
}
