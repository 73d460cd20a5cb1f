using System.Text.Json;

namespace Kiln.Integration.Tests.S3;

/// <summary>Listings, multipart uploads and versioning through boto3.</summary>
public sealed class S3ListingVersioningTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private KilnServer Server => fixture.Server;

    private static string[] Strings(JsonElement e) => e.EnumerateArray().Select(x => x.GetString()!).ToArray();

    [Fact]
    public async Task Listing_V1V2_DelimiterPaginationStartAfterAndUrlEncoding()
    {
        var o = await S3Py.RunAsync(Server, """
            s3.create_bucket(Bucket='it-list')
            keys = ['a/1', 'a/2', 'b/x/1', 'c', 'd e+f', 'year=2026/month=01/p', 'year=2026/month=02/p', 'year=2026/_SUCCESS']
            for k in keys:
                s3.put_object(Bucket='it-list', Key=k, Body=k.encode())
            top = s3.list_objects_v2(Bucket='it-list', Delimiter='/')
            out['top_keys'] = [x['Key'] for x in top.get('Contents', [])]
            out['top_prefixes'] = [p['Prefix'] for p in top.get('CommonPrefixes', [])]
            out['key_count'] = top['KeyCount']
            lvl = s3.list_objects_v2(Bucket='it-list', Prefix='year=2026/', Delimiter='/')
            out['lvl_keys'] = [x['Key'] for x in lvl.get('Contents', [])]
            out['lvl_prefixes'] = [p['Prefix'] for p in lvl.get('CommonPrefixes', [])]
            pages = s3.get_paginator('list_objects_v2').paginate(Bucket='it-list', PaginationConfig={'PageSize': 3})
            seen = []; n = 0
            for page in pages:
                n += 1
                seen += [x['Key'] for x in page.get('Contents', [])]
            out['v2_all'] = seen; out['v2_pages'] = n
            pages1 = s3.get_paginator('list_objects').paginate(Bucket='it-list', Delimiter='/', PaginationConfig={'PageSize': 2})
            seen1 = []
            for page in pages1:
                seen1 += [x['Key'] for x in page.get('Contents', [])] + [p['Prefix'] for p in page.get('CommonPrefixes', [])]
            out['v1_all'] = sorted(seen1)
            out['start_after'] = [x['Key'] for x in s3.list_objects_v2(Bucket='it-list', StartAfter='c').get('Contents', [])]
            out['marker'] = [x['Key'] for x in s3.list_objects(Bucket='it-list', Marker='year=2026/_SUCCESS').get('Contents', [])]
            out['encoded'] = [x['Key'] for x in s3.list_objects_v2(Bucket='it-list', Prefix='d', EncodingType='url').get('Contents', [])]
            out['max0'] = s3.list_objects_v2(Bucket='it-list', MaxKeys=1)['IsTruncated']
            out['bad_token'] = err(s3.list_objects_v2, Bucket='it-list', ContinuationToken='@@@')
            """);

        Assert.Equal(["c", "d e+f"], Strings(o.GetProperty("top_keys")));
        Assert.Equal(["a/", "b/", "year=2026/"], Strings(o.GetProperty("top_prefixes")));
        Assert.Equal(5, o.GetProperty("key_count").GetInt32());
        Assert.Equal(["year=2026/_SUCCESS"], Strings(o.GetProperty("lvl_keys")));
        Assert.Equal(["year=2026/month=01/", "year=2026/month=02/"], Strings(o.GetProperty("lvl_prefixes")));
        Assert.Equal(8, o.GetProperty("v2_all").GetArrayLength());
        Assert.Equal(3, o.GetProperty("v2_pages").GetInt32());
        Assert.Equal(["a/", "b/", "c", "d e+f", "year=2026/"], Strings(o.GetProperty("v1_all")));
        Assert.Equal(["d e+f", "year=2026/_SUCCESS", "year=2026/month=01/p", "year=2026/month=02/p"],
            Strings(o.GetProperty("start_after")));
        Assert.Equal(["year=2026/month=01/p", "year=2026/month=02/p"], Strings(o.GetProperty("marker")));
        // botocore decodes only when it asked for url encoding itself; asked by the caller, the
        // keys come back as S3 sent them.
        Assert.Equal(["d%20e%2Bf"], Strings(o.GetProperty("encoded")));
        Assert.True(o.GetProperty("max0").GetBoolean());
        Assert.Equal(("InvalidArgument", 400), S3Py.Error(o.GetProperty("bad_token")));
    }

    [Fact]
    public async Task Multipart_FivePartsOf5MiB_CompletesWithMultipartETag_AndValidates()
    {
        var o = await S3Py.RunAsync(Server, """
            s3.create_bucket(Bucket='it-mpu')
            mib = 1024 * 1024
            parts = [os.urandom(5 * mib) for _ in range(3)] + [b'tail-bytes']
            up = s3.create_multipart_upload(Bucket='it-mpu', Key='big/object', ContentType='application/x-big', Metadata={'m': 'v'})
            uid = up['UploadId']
            etags = []
            for i, p in enumerate(parts, 1):
                etags.append(s3.upload_part(Bucket='it-mpu', Key='big/object', UploadId=uid, PartNumber=i, Body=p)['ETag'])
            lp = s3.list_parts(Bucket='it-mpu', Key='big/object', UploadId=uid, MaxParts=2)
            out['list_parts'] = [[p['PartNumber'], p['Size']] for p in lp['Parts']]; out['lp_trunc'] = lp['IsTruncated']
            out['uploads'] = [u['Key'] for u in s3.list_multipart_uploads(Bucket='it-mpu').get('Uploads', [])]
            out['order'] = err(s3.complete_multipart_upload, Bucket='it-mpu', Key='big/object', UploadId=uid,
                MultipartUpload={'Parts': [{'PartNumber': 2, 'ETag': etags[1]}, {'PartNumber': 1, 'ETag': etags[0]}]})
            out['invalid_part'] = err(s3.complete_multipart_upload, Bucket='it-mpu', Key='big/object', UploadId=uid,
                MultipartUpload={'Parts': [{'PartNumber': 1, 'ETag': etags[1]}]})
            done = s3.complete_multipart_upload(Bucket='it-mpu', Key='big/object', UploadId=uid,
                MultipartUpload={'Parts': [{'PartNumber': i + 1, 'ETag': e} for i, e in enumerate(etags)]})
            whole = b''.join(parts)
            expect = hashlib.md5(b''.join(hashlib.md5(p).digest() for p in parts)).hexdigest() + '-4'
            out['etag'] = done['ETag']; out['expect'] = '"' + expect + '"'
            g = s3.get_object(Bucket='it-mpu', Key='big/object')
            out['same'] = g['Body'].read() == whole
            out['meta'] = [g['ContentType'], g['Metadata'], g.get('PartsCount')]
            r = s3.get_object(Bucket='it-mpu', Key='big/object', Range='bytes=%d-%d' % (5 * mib - 3, 5 * mib + 2))
            out['cross_part'] = r['Body'].read() == whole[5 * mib - 3: 5 * mib + 3]
            out['gone'] = err(s3.list_parts, Bucket='it-mpu', Key='big/object', UploadId=uid)
            small = s3.create_multipart_upload(Bucket='it-mpu', Key='small')['UploadId']
            e1 = s3.upload_part(Bucket='it-mpu', Key='small', UploadId=small, PartNumber=1, Body=b'tiny')['ETag']
            e2 = s3.upload_part(Bucket='it-mpu', Key='small', UploadId=small, PartNumber=2, Body=b'tiny')['ETag']
            out['too_small'] = err(s3.complete_multipart_upload, Bucket='it-mpu', Key='small', UploadId=small,
                MultipartUpload={'Parts': [{'PartNumber': 1, 'ETag': e1}, {'PartNumber': 2, 'ETag': e2}]})
            s3.abort_multipart_upload(Bucket='it-mpu', Key='small', UploadId=small)
            out['aborted'] = err(s3.upload_part, Bucket='it-mpu', Key='small', UploadId=small, PartNumber=3, Body=b'x')
            out['no_upload'] = err(s3.abort_multipart_upload, Bucket='it-mpu', Key='small', UploadId='nope')
            """);

        Assert.Equal([[1, 5242880], [2, 5242880]],
            o.GetProperty("list_parts").EnumerateArray().Select(p => new[] { p[0].GetInt32(), p[1].GetInt32() }).ToArray());
        Assert.True(o.GetProperty("lp_trunc").GetBoolean());
        Assert.Equal(["big/object"], Strings(o.GetProperty("uploads")));
        Assert.Equal(("InvalidPartOrder", 400), S3Py.Error(o.GetProperty("order")));
        Assert.Equal(("InvalidPart", 400), S3Py.Error(o.GetProperty("invalid_part")));
        Assert.Equal(o.Str("expect"), o.Str("etag"));
        Assert.True(o.GetProperty("same").GetBoolean());
        Assert.Equal("application/x-big", o.GetProperty("meta")[0].GetString());
        Assert.Equal("v", o.GetProperty("meta")[1].Str("m"));
        Assert.Equal(4, o.GetProperty("meta")[2].GetInt32());
        Assert.True(o.GetProperty("cross_part").GetBoolean());
        Assert.Equal(("NoSuchUpload", 404), S3Py.Error(o.GetProperty("gone")));
        Assert.Equal(("EntityTooSmall", 400), S3Py.Error(o.GetProperty("too_small")));
        Assert.Equal(("NoSuchUpload", 404), S3Py.Error(o.GetProperty("aborted")));
        Assert.Equal(("NoSuchUpload", 404), S3Py.Error(o.GetProperty("no_upload")));
    }

    [Fact]
    public async Task Versioning_VersionsDeleteMarkersNullVersions()
    {
        var o = await S3Py.RunAsync(Server, """
            s3.create_bucket(Bucket='it-versions')
            out['initial'] = s3.get_bucket_versioning(Bucket='it-versions').get('Status')
            s3.put_object(Bucket='it-versions', Key='k', Body=b'before')
            s3.put_bucket_versioning(Bucket='it-versions', VersioningConfiguration={'Status': 'Enabled'})
            out['status'] = s3.get_bucket_versioning(Bucket='it-versions')['Status']
            v1 = s3.put_object(Bucket='it-versions', Key='k', Body=b'one')['VersionId']
            v2 = s3.put_object(Bucket='it-versions', Key='k', Body=b'two')['VersionId']
            out['distinct'] = v1 != v2 and len(v1) == 32
            out['latest'] = s3.get_object(Bucket='it-versions', Key='k')['Body'].read().decode()
            out['by_id'] = s3.get_object(Bucket='it-versions', Key='k', VersionId=v1)['Body'].read().decode()
            out['null'] = s3.get_object(Bucket='it-versions', Key='k', VersionId='null')['Body'].read().decode()
            d = s3.delete_object(Bucket='it-versions', Key='k')
            out['marker'] = [d.get('DeleteMarker'), len(d.get('VersionId', ''))]
            out['after_delete'] = err(s3.get_object, Bucket='it-versions', Key='k')
            out['head_marker'] = err(s3.head_object, Bucket='it-versions', Key='k', VersionId=d['VersionId'])
            lv = s3.list_object_versions(Bucket='it-versions', Prefix='k')
            out['versions'] = [[v['VersionId'] == v2, v['IsLatest']] for v in lv['Versions']]
            out['version_ids'] = [v['VersionId'] for v in lv['Versions']][-1]
            out['markers'] = [[m['VersionId'] == d['VersionId'], m['IsLatest']] for m in lv['DeleteMarkers']]
            out['listed'] = [x['Key'] for x in s3.list_objects_v2(Bucket='it-versions').get('Contents', [])]
            s3.delete_object(Bucket='it-versions', Key='k', VersionId=d['VersionId'])
            out['restored'] = s3.get_object(Bucket='it-versions', Key='k')['Body'].read().decode()
            s3.delete_object(Bucket='it-versions', Key='k', VersionId=v2)
            out['previous'] = s3.get_object(Bucket='it-versions', Key='k')['Body'].read().decode()
            out['no_version'] = err(s3.get_object, Bucket='it-versions', Key='k', VersionId='A' * 32)
            s3.put_bucket_versioning(Bucket='it-versions', VersioningConfiguration={'Status': 'Suspended'})
            s3.put_object(Bucket='it-versions', Key='s', Body=b'a')
            s = s3.put_object(Bucket='it-versions', Key='s', Body=b'b')
            out['suspended'] = [v['VersionId'] for v in s3.list_object_versions(Bucket='it-versions', Prefix='s')['Versions']]
            """);

        Assert.Equal(JsonValueKind.Null, o.GetProperty("initial").ValueKind);
        Assert.Equal("Enabled", o.Str("status"));
        Assert.True(o.GetProperty("distinct").GetBoolean());
        Assert.Equal(("two", "one", "before"), (o.Str("latest"), o.Str("by_id"), o.Str("null")));
        Assert.True(o.GetProperty("marker")[0].GetBoolean());
        Assert.Equal(("NoSuchKey", 404), S3Py.Error(o.GetProperty("after_delete")));
        Assert.Equal(405, S3Py.Error(o.GetProperty("head_marker")).Status);
        Assert.Equal(3, o.GetProperty("versions").GetArrayLength());
        Assert.Equal("null", o.Str("version_ids"));
        Assert.True(o.GetProperty("markers")[0][0].GetBoolean());
        Assert.True(o.GetProperty("markers")[0][1].GetBoolean());
        Assert.Empty(Strings(o.GetProperty("listed")));
        Assert.Equal(("two", "one"), (o.Str("restored"), o.Str("previous")));
        Assert.Equal(("NoSuchVersion", 404), S3Py.Error(o.GetProperty("no_version")));
        Assert.Equal(["null"], Strings(o.GetProperty("suspended")));
    }

    [Fact]
    public async Task UploadPartCopyAndPresignedUrls_Work()
    {
        var o = await S3Py.RunAsync(Server, """
            import urllib.request
            s3.create_bucket(Bucket='it-partcopy')
            src = os.urandom(5 * 1024 * 1024 + 100)
            s3.put_object(Bucket='it-partcopy', Key='src', Body=src)
            uid = s3.create_multipart_upload(Bucket='it-partcopy', Key='dst')['UploadId']
            c1 = s3.upload_part_copy(Bucket='it-partcopy', Key='dst', UploadId=uid, PartNumber=1,
                CopySource={'Bucket': 'it-partcopy', 'Key': 'src'}, CopySourceRange='bytes=0-5242879')
            c2 = s3.upload_part_copy(Bucket='it-partcopy', Key='dst', UploadId=uid, PartNumber=2,
                CopySource={'Bucket': 'it-partcopy', 'Key': 'src'}, CopySourceRange='bytes=5242880-5242979')
            out['bad_range'] = err(s3.upload_part_copy, Bucket='it-partcopy', Key='dst', UploadId=uid, PartNumber=3,
                CopySource={'Bucket': 'it-partcopy', 'Key': 'src'}, CopySourceRange='bytes=0-99999999')
            s3.complete_multipart_upload(Bucket='it-partcopy', Key='dst', UploadId=uid, MultipartUpload={'Parts': [
                {'PartNumber': 1, 'ETag': c1['CopyPartResult']['ETag']}, {'PartNumber': 2, 'ETag': c2['CopyPartResult']['ETag']}]})
            out['copied'] = s3.get_object(Bucket='it-partcopy', Key='dst')['Body'].read() == src
            # botocore 1.29 presigns with SigV2 in us-east-1 unless told otherwise; Kiln speaks SigV4.
            v4 = boto3.client('s3', endpoint_url=os.environ['ENDPOINT'], region_name='us-east-1',
                config=Config(signature_version='s3v4', s3={'addressing_style': 'path'}))
            put_url = v4.generate_presigned_url('put_object', Params={'Bucket': 'it-partcopy', 'Key': 'presigned'}, ExpiresIn=300)
            req = urllib.request.Request(put_url, data=b'via presigned url', method='PUT')
            out['put_status'] = urllib.request.urlopen(req).status
            get_url = v4.generate_presigned_url('get_object', Params={'Bucket': 'it-partcopy', 'Key': 'presigned'}, ExpiresIn=300)
            out['get_body'] = urllib.request.urlopen(get_url).read().decode()
            """);

        Assert.Equal(("InvalidArgument", 400), S3Py.Error(o.GetProperty("bad_range")));
        Assert.True(o.GetProperty("copied").GetBoolean());
        Assert.Equal(200, o.GetProperty("put_status").GetInt32());
        Assert.Equal("via presigned url", o.Str("get_body"));
    }

    [Fact]
    public async Task VirtualHostStyle_SignedRequestToBucketDotLocalhost_ReachesTheBucket()
    {
        // *.localhost does not resolve here, so the request goes to 127.0.0.1 with the Host header
        // a virtual-host-style client sends (and signs).
        var o = await S3Py.RunAsync(Server, """
            import urllib.request
            from botocore.auth import S3SigV4Auth
            from botocore.awsrequest import AWSRequest
            from botocore.credentials import Credentials
            s3.create_bucket(Bucket='it-vhost')
            port = os.environ['ENDPOINT'].rsplit(':', 1)[1]
            req = AWSRequest(method='PUT', url='http://it-vhost.localhost:%s/dir/key.txt' % port, data=b'virtual',
                headers={'x-amz-content-sha256': hashlib.sha256(b'virtual').hexdigest()})
            S3SigV4Auth(Credentials(os.environ['AWS_ACCESS_KEY_ID'], os.environ['AWS_SECRET_ACCESS_KEY']), 's3', 'us-east-1').add_auth(req)
            headers = dict(req.headers)
            headers['Host'] = 'it-vhost.localhost:%s' % port
            r = urllib.request.Request(os.environ['ENDPOINT'] + '/dir/key.txt', data=b'virtual', method='PUT', headers=headers)
            out['status'] = urllib.request.urlopen(r).status
            out['body'] = s3.get_object(Bucket='it-vhost', Key='dir/key.txt')['Body'].read().decode()
            """);

        Assert.Equal(200, o.GetProperty("status").GetInt32());
        Assert.Equal("virtual", o.Str("body"));
    }
}
