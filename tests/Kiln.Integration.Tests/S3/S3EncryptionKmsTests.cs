using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Kiln.Integration.Tests.S3;

/// <summary>A server whose KMS rotation period is two seconds, so SSE-KMS objects can be seen to
/// survive a key rotation (KmsService.RotationSecondsVariable).</summary>
public sealed class SseServerFixture : IAsyncLifetime
{
    public KilnServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await KilnServer.StartAsync(
        environment: new Dictionary<string, string> { ["KILN_KMS_ROTATION_PERIOD_SECONDS"] = "2" });

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>SSE-KMS, SSE-C and default bucket encryption through boto3 and the aws CLI, and a scan
/// of the whole data directory for plaintext and keys.</summary>
public sealed class S3EncryptionKmsTests(SseServerFixture fixture) : IClassFixture<SseServerFixture>
{
    private KilnServer Server => fixture.Server;

    /// <summary>More helpers for the S3Py prelude: any service's client, unique names.</summary>
    private const string Helpers = """
        import base64, time, uuid, struct
        def svc(name, key=None, secret=None):
            return boto3.client(name, endpoint_url=os.environ['ENDPOINT'], region_name='us-east-1',
                aws_access_key_id=key or os.environ['AWS_ACCESS_KEY_ID'],
                aws_secret_access_key=secret or os.environ['AWS_SECRET_ACCESS_KEY'],
                config=Config(retries={'max_attempts': 1}, s3={'addressing_style': 'path'}))
        def uniq(p): return p + uuid.uuid4().hex[:8]
        kms = svc('kms'); iam = svc('iam')

        """;

    private Task<JsonElement> RunAsync(string script) => S3Py.RunAsync(Server, Helpers + script);

    [Fact]
    public async Task SseKms_PutGetHeadRangeCopyMultipart_HeadersAndBytes()
    {
        var o = await RunAsync("""
            b = uniq('sse-kms-'); s3.create_bucket(Bucket=b)
            key = kms.create_key()['KeyMetadata']
            data = os.urandom(200000)
            p = s3.put_object(Bucket=b, Key='k', Body=data, ServerSideEncryption='aws:kms', SSEKMSKeyId=key['KeyId'])
            out['put'] = [p.get('ServerSideEncryption'), p.get('SSEKMSKeyId'), p.get('BucketKeyEnabled')]
            g = s3.get_object(Bucket=b, Key='k')
            out['get'] = [g.get('ServerSideEncryption'), g.get('SSEKMSKeyId'), g['Body'].read() == data]
            r = s3.get_object(Bucket=b, Key='k', Range='bytes=65530-131080')
            out['range'] = [r['ContentRange'], r['Body'].read() == data[65530:131081]]
            h = s3.head_object(Bucket=b, Key='k')
            out['head'] = [h.get('ServerSideEncryption'), h.get('SSEKMSKeyId'), h['ContentLength']]
            out['arn'] = key['Arn']
            # No key id: the account's AWS managed key aws/s3, created on first use.
            m = s3.put_object(Bucket=b, Key='managed', Body=b'm', ServerSideEncryption='aws:kms', BucketKeyEnabled=True)
            out['managed'] = [m.get('SSEKMSKeyId'), kms.describe_key(KeyId='alias/aws/s3')['KeyMetadata']['Arn'], m.get('BucketKeyEnabled')]
            out['managedGet'] = s3.get_object(Bucket=b, Key='managed')['Body'].read().decode()
            ctx = base64.b64encode(json.dumps({'team': 'ml'}).encode()).decode()
            c = s3.put_object(Bucket=b, Key='ctx', Body=b'c', ServerSideEncryption='aws:kms', SSEKMSKeyId=key['Arn'], SSEKMSEncryptionContext=ctx)
            out['ctx'] = [c.get('SSEKMSEncryptionContext') == ctx, s3.get_object(Bucket=b, Key='ctx')['Body'].read().decode()]
            # Copy: destination encrypted under another key; source decrypted as the caller.
            key2 = kms.create_key()['KeyMetadata']
            cp = s3.copy_object(Bucket=b, Key='copy', CopySource={'Bucket': b, 'Key': 'k'}, ServerSideEncryption='aws:kms', SSEKMSKeyId=key2['Arn'])
            out['copy'] = [cp.get('ServerSideEncryption'), cp.get('SSEKMSKeyId') == key2['Arn'], s3.get_object(Bucket=b, Key='copy')['Body'].read() == data]
            # Multipart: one KMS data key for the upload, each part sealed under its own key.
            mp = s3.create_multipart_upload(Bucket=b, Key='mp', ServerSideEncryption='aws:kms', SSEKMSKeyId=key['KeyId'])
            p1 = os.urandom(5 * 1024 * 1024); p2 = os.urandom(1000)
            u1 = s3.upload_part(Bucket=b, Key='mp', UploadId=mp['UploadId'], PartNumber=1, Body=p1)
            u2 = s3.upload_part(Bucket=b, Key='mp', UploadId=mp['UploadId'], PartNumber=2, Body=p2)
            done = s3.complete_multipart_upload(Bucket=b, Key='mp', UploadId=mp['UploadId'], MultipartUpload={'Parts': [
                {'PartNumber': 1, 'ETag': u1['ETag']}, {'PartNumber': 2, 'ETag': u2['ETag']}]})
            out['mpHeaders'] = [mp.get('ServerSideEncryption'), mp.get('SSEKMSKeyId') == key['Arn'], u1.get('ServerSideEncryption'),
                u1.get('SSEKMSKeyId') == key['Arn'], done.get('ServerSideEncryption'), done.get('SSEKMSKeyId') == key['Arn']]
            whole = p1 + p2
            out['mpGet'] = s3.get_object(Bucket=b, Key='mp')['Body'].read() == whole
            out['mpRange'] = s3.get_object(Bucket=b, Key='mp', Range='bytes=5242000-5243000')['Body'].read() == whole[5242000:5243001]
            # Errors, and nothing stored by a refused write.
            out['unknown'] = err(s3.put_object, Bucket=b, Key='bad', Body=b'x', ServerSideEncryption='aws:kms', SSEKMSKeyId='11111111-2222-3333-4444-555555555555')
            out['badAlias'] = err(s3.put_object, Bucket=b, Key='bad', Body=b'x', ServerSideEncryption='aws:kms', SSEKMSKeyId='alias/none-such')
            out['keyWithoutKms'] = err(s3.put_object, Bucket=b, Key='bad', Body=b'x', ServerSideEncryption='AES256', SSEKMSKeyId=key['KeyId'])
            out['dsse'] = err(s3.put_object, Bucket=b, Key='bad', Body=b'x', ServerSideEncryption='aws:kms:dsse')
            out['badCtx'] = err(s3.put_object, Bucket=b, Key='bad', Body=b'x', ServerSideEncryption='aws:kms', SSEKMSEncryptionContext='bm90IGpzb24=')
            out['badStored'] = err(s3.head_object, Bucket=b, Key='bad')
            """);

        var arn = o.Str("arn");
        Assert.Equal<IEnumerable<string?>>(["aws:kms", arn, null], Strings(o.GetProperty("put")));
        Assert.Equal("aws:kms", o.GetProperty("get")[0].GetString());
        Assert.Equal(arn, o.GetProperty("get")[1].GetString());
        Assert.True(o.GetProperty("get")[2].GetBoolean());
        Assert.Equal("bytes 65530-131080/200000", o.GetProperty("range")[0].GetString());
        Assert.True(o.GetProperty("range")[1].GetBoolean());
        Assert.Equal("aws:kms", o.GetProperty("head")[0].GetString());
        Assert.Equal(arn, o.GetProperty("head")[1].GetString());
        Assert.Equal(200000, o.GetProperty("head")[2].GetInt32());
        var managed = o.GetProperty("managed");
        Assert.Equal(managed[1].GetString(), managed[0].GetString());
        Assert.True(managed[2].GetBoolean());
        Assert.Equal("m", o.Str("managedGet"));
        Assert.True(o.GetProperty("ctx")[0].GetBoolean());
        Assert.Equal("c", o.GetProperty("ctx")[1].GetString());
        Assert.Equal("aws:kms", o.GetProperty("copy")[0].GetString());
        Assert.True(o.GetProperty("copy")[1].GetBoolean() && o.GetProperty("copy")[2].GetBoolean());
        var mp = o.GetProperty("mpHeaders");
        Assert.Equal("aws:kms", mp[0].GetString());
        Assert.True(mp[1].GetBoolean());
        Assert.Equal("aws:kms", mp[2].GetString());
        Assert.True(mp[3].GetBoolean());
        Assert.Equal("aws:kms", mp[4].GetString());
        Assert.True(mp[5].GetBoolean());
        Assert.True(o.GetProperty("mpGet").GetBoolean());
        Assert.True(o.GetProperty("mpRange").GetBoolean());
        Assert.Equal(("KMS.NotFoundException", 400), S3Py.Error(o.GetProperty("unknown")));
        Assert.Equal(("KMS.NotFoundException", 400), S3Py.Error(o.GetProperty("badAlias")));
        Assert.Equal(("InvalidArgument", 400), S3Py.Error(o.GetProperty("keyWithoutKms")));
        Assert.Equal(("InvalidArgument", 400), S3Py.Error(o.GetProperty("dsse")));
        Assert.Equal(("InvalidArgument", 400), S3Py.Error(o.GetProperty("badCtx")));
        Assert.Equal(404, S3Py.Error(o.GetProperty("badStored")).Status);
    }

    [Fact]
    public async Task SseKms_BucketDefault_StoredReturnedApplied_DeleteRestoresSseS3()
    {
        var o = await RunAsync("""
            b = uniq('sse-def-'); s3.create_bucket(Bucket=b)
            key = kms.create_key()['KeyMetadata']
            alias = 'alias/' + uniq('s3default')
            kms.create_alias(AliasName=alias, TargetKeyId=key['KeyId'])
            s3.put_bucket_encryption(Bucket=b, ServerSideEncryptionConfiguration={'Rules': [{
                'ApplyServerSideEncryptionByDefault': {'SSEAlgorithm': 'aws:kms', 'KMSMasterKeyID': alias}, 'BucketKeyEnabled': True}]})
            rule = s3.get_bucket_encryption(Bucket=b)['ServerSideEncryptionConfiguration']['Rules'][0]
            out['rule'] = [rule['ApplyServerSideEncryptionByDefault']['SSEAlgorithm'], rule['ApplyServerSideEncryptionByDefault'].get('KMSMasterKeyID'), rule.get('BucketKeyEnabled')]
            p = s3.put_object(Bucket=b, Key='k', Body=b'by default')
            out['put'] = [p.get('ServerSideEncryption'), p.get('SSEKMSKeyId') == key['Arn'], p.get('BucketKeyEnabled')]
            out['get'] = s3.get_object(Bucket=b, Key='k')['Body'].read().decode()
            out['explicit'] = s3.put_object(Bucket=b, Key='s3', Body=b'x', ServerSideEncryption='AES256').get('ServerSideEncryption')
            out['keyWithAes'] = err(s3.put_bucket_encryption, Bucket=b, ServerSideEncryptionConfiguration={'Rules': [{
                'ApplyServerSideEncryptionByDefault': {'SSEAlgorithm': 'AES256', 'KMSMasterKeyID': alias}}]})
            out['badAlgorithm'] = err(s3.put_bucket_encryption, Bucket=b, ServerSideEncryptionConfiguration={'Rules': [{
                'ApplyServerSideEncryptionByDefault': {'SSEAlgorithm': 'DES'}}]})
            out['unchanged'] = s3.get_bucket_encryption(Bucket=b)['ServerSideEncryptionConfiguration']['Rules'][0]['ApplyServerSideEncryptionByDefault']['SSEAlgorithm']
            s3.delete_bucket_encryption(Bucket=b)
            rule = s3.get_bucket_encryption(Bucket=b)['ServerSideEncryptionConfiguration']['Rules'][0]
            out['after'] = [rule['ApplyServerSideEncryptionByDefault']['SSEAlgorithm'], rule['ApplyServerSideEncryptionByDefault'].get('KMSMasterKeyID')]
            out['afterPut'] = s3.put_object(Bucket=b, Key='k2', Body=b'x').get('ServerSideEncryption')
            """);

        Assert.Equal("aws:kms", o.GetProperty("rule")[0].GetString());
        Assert.StartsWith("alias/s3default", o.GetProperty("rule")[1].GetString());
        Assert.True(o.GetProperty("rule")[2].GetBoolean());
        Assert.Equal("aws:kms", o.GetProperty("put")[0].GetString());
        Assert.True(o.GetProperty("put")[1].GetBoolean());
        Assert.True(o.GetProperty("put")[2].GetBoolean());
        Assert.Equal("by default", o.Str("get"));
        Assert.Equal("AES256", o.Str("explicit"));
        Assert.Equal(("InvalidArgument", 400), S3Py.Error(o.GetProperty("keyWithAes")));
        Assert.Equal(("InvalidArgument", 400), S3Py.Error(o.GetProperty("badAlgorithm")));
        Assert.Equal("aws:kms", o.Str("unchanged"));
        Assert.Equal<IEnumerable<string?>>(["AES256", null], Strings(o.GetProperty("after")));
        Assert.Equal("AES256", o.Str("afterPut"));
    }

    [Fact]
    public async Task SseKms_UserWithoutKmsDecrypt_AccessDenied_DisabledKeyStopsGet_RotationKeepsReadable()
    {
        var o = await RunAsync("""
            b = uniq('sse-auth-'); s3.create_bucket(Bucket=b)
            key = kms.create_key()['KeyMetadata']
            def user(actions):
                name = uniq('sseuser')
                iam.create_user(UserName=name)
                iam.put_user_policy(UserName=name, PolicyName='p', PolicyDocument=json.dumps({'Version': '2012-10-17',
                    'Statement': [{'Effect': 'Allow', 'Action': ['s3:*'] + actions, 'Resource': '*'}]}))
                ak = iam.create_access_key(UserName=name)['AccessKey']
                return client(key=ak['AccessKeyId'], secret=ak['SecretAccessKey'])
            writer = user(['kms:GenerateDataKey'])
            nokms = user([])
            time.sleep(1)
            out['writerPut'] = writer.put_object(Bucket=b, Key='w', Body=b'written by user', ServerSideEncryption='aws:kms', SSEKMSKeyId=key['KeyId']).get('ServerSideEncryption')
            out['writerGet'] = err(writer.get_object, Bucket=b, Key='w')
            out['writerHead'] = writer.head_object(Bucket=b, Key='w').get('ServerSideEncryption')
            out['noKmsPut'] = err(nokms.put_object, Bucket=b, Key='n', Body=b'x', ServerSideEncryption='aws:kms', SSEKMSKeyId=key['KeyId'])
            out['noKmsStored'] = err(s3.head_object, Bucket=b, Key='n')
            mp = writer.create_multipart_upload(Bucket=b, Key='mp', ServerSideEncryption='aws:kms', SSEKMSKeyId=key['KeyId'])
            out['writerPart'] = err(writer.upload_part, Bucket=b, Key='mp', UploadId=mp['UploadId'], PartNumber=1, Body=b'x')
            out['rootGet'] = s3.get_object(Bucket=b, Key='w')['Body'].read().decode()
            # A disabled key stops GET (HEAD needs no key); enabling it again restores reads.
            kms.disable_key(KeyId=key['KeyId'])
            out['disabledGet'] = err(s3.get_object, Bucket=b, Key='w')
            out['disabledPut'] = err(s3.put_object, Bucket=b, Key='d', Body=b'x', ServerSideEncryption='aws:kms', SSEKMSKeyId=key['KeyId'])
            out['disabledHead'] = s3.head_object(Bucket=b, Key='w')['ContentLength']
            kms.enable_key(KeyId=key['KeyId'])
            out['enabledGet'] = s3.get_object(Bucket=b, Key='w')['Body'].read().decode()
            # Rotation: new material encrypts new objects, the old one still reads.
            kms.enable_key_rotation(KeyId=key['KeyId'])
            time.sleep(2.5)
            s3.put_object(Bucket=b, Key='after', Body=b'after rotation', ServerSideEncryption='aws:kms', SSEKMSKeyId=key['KeyId'])
            blob = kms.encrypt(KeyId=key['KeyId'], Plaintext=b'v')['CiphertextBlob']
            n = struct.unpack('>H', blob[3:5])[0]
            out['version'] = struct.unpack('>I', blob[5 + n:9 + n])[0]
            out['old'] = s3.get_object(Bucket=b, Key='w')['Body'].read().decode()
            out['new'] = s3.get_object(Bucket=b, Key='after')['Body'].read().decode()
            """);

        Assert.Equal("aws:kms", o.Str("writerPut"));
        var denied = o.GetProperty("writerGet");
        Assert.Equal(("AccessDenied", 403), S3Py.Error(denied));
        Assert.Contains("kms:Decrypt", denied[2].GetString());
        Assert.Equal("aws:kms", o.Str("writerHead"));
        var noKms = o.GetProperty("noKmsPut");
        Assert.Equal(("AccessDenied", 403), S3Py.Error(noKms));
        Assert.Contains("kms:GenerateDataKey", noKms[2].GetString());
        Assert.Equal(404, S3Py.Error(o.GetProperty("noKmsStored")).Status);
        Assert.Equal(("AccessDenied", 403), S3Py.Error(o.GetProperty("writerPart")));
        Assert.Equal("written by user", o.Str("rootGet"));
        Assert.Equal(("KMS.DisabledException", 400), S3Py.Error(o.GetProperty("disabledGet")));
        Assert.Equal(("KMS.DisabledException", 400), S3Py.Error(o.GetProperty("disabledPut")));
        Assert.Equal(15, o.GetProperty("disabledHead").GetInt32());
        Assert.Equal("written by user", o.Str("enabledGet"));
        Assert.True(o.GetProperty("version").GetInt32() >= 2);
        Assert.Equal("written by user", o.Str("old"));
        Assert.Equal("after rotation", o.Str("new"));
    }

    [Fact]
    public async Task SseC_Boto3_PutGetHeadRangeMultipartCopy_WrongOrMissingKey()
    {
        var o = await RunAsync("""
            b = uniq('sse-c-'); s3.create_bucket(Bucket=b)
            k1 = os.urandom(32); k2 = os.urandom(32)
            def md5b64(k): return base64.b64encode(hashlib.md5(k).digest()).decode()
            data = os.urandom(150000)
            p = s3.put_object(Bucket=b, Key='c', Body=data, SSECustomerAlgorithm='AES256', SSECustomerKey=k1)
            out['put'] = [p.get('SSECustomerAlgorithm'), p.get('SSECustomerKeyMD5') == md5b64(k1), p.get('ServerSideEncryption')]
            g = s3.get_object(Bucket=b, Key='c', SSECustomerAlgorithm='AES256', SSECustomerKey=k1)
            out['get'] = [g['Body'].read() == data, g.get('SSECustomerAlgorithm'), g.get('SSECustomerKeyMD5') == md5b64(k1)]
            r = s3.get_object(Bucket=b, Key='c', Range='bytes=65000-70000', SSECustomerAlgorithm='AES256', SSECustomerKey=k1)
            out['range'] = r['Body'].read() == data[65000:70001]
            h = s3.head_object(Bucket=b, Key='c', SSECustomerAlgorithm='AES256', SSECustomerKey=k1)
            out['head'] = [h['ContentLength'], h.get('SSECustomerKeyMD5') == md5b64(k1)]
            out['missing'] = err(s3.get_object, Bucket=b, Key='c')
            out['wrong'] = err(s3.get_object, Bucket=b, Key='c', SSECustomerAlgorithm='AES256', SSECustomerKey=k2)
            out['headMissing'] = err(s3.head_object, Bucket=b, Key='c')
            out['headWrong'] = err(s3.head_object, Bucket=b, Key='c', SSECustomerAlgorithm='AES256', SSECustomerKey=k2)
            out['md5'] = err(s3.put_object, Bucket=b, Key='bad', Body=b'x', SSECustomerAlgorithm='AES256', SSECustomerKey=base64.b64encode(k1).decode(), SSECustomerKeyMD5=md5b64(k2))
            out['short'] = err(s3.put_object, Bucket=b, Key='bad', Body=b'x', SSECustomerAlgorithm='AES256', SSECustomerKey=k1[:16])
            out['algorithm'] = err(s3.put_object, Bucket=b, Key='bad', Body=b'x', SSECustomerAlgorithm='AES512', SSECustomerKey=k1)
            out['withSse'] = err(s3.put_object, Bucket=b, Key='bad', Body=b'x', ServerSideEncryption='AES256', SSECustomerAlgorithm='AES256', SSECustomerKey=k1)
            out['badStored'] = err(s3.head_object, Bucket=b, Key='bad')
            s3.put_object(Bucket=b, Key='plain', Body=b'p')
            out['notApplicable'] = err(s3.get_object, Bucket=b, Key='plain', SSECustomerAlgorithm='AES256', SSECustomerKey=k1)
            # Multipart under the customer's key: every part brings it again.
            mp = s3.create_multipart_upload(Bucket=b, Key='mp', SSECustomerAlgorithm='AES256', SSECustomerKey=k1)
            p1 = os.urandom(5 * 1024 * 1024); p2 = os.urandom(777)
            out['partNoKey'] = err(s3.upload_part, Bucket=b, Key='mp', UploadId=mp['UploadId'], PartNumber=1, Body=b'x')
            out['partWrongKey'] = err(s3.upload_part, Bucket=b, Key='mp', UploadId=mp['UploadId'], PartNumber=1, Body=b'x', SSECustomerAlgorithm='AES256', SSECustomerKey=k2)
            u1 = s3.upload_part(Bucket=b, Key='mp', UploadId=mp['UploadId'], PartNumber=1, Body=p1, SSECustomerAlgorithm='AES256', SSECustomerKey=k1)
            u2 = s3.upload_part(Bucket=b, Key='mp', UploadId=mp['UploadId'], PartNumber=2, Body=p2, SSECustomerAlgorithm='AES256', SSECustomerKey=k1)
            s3.complete_multipart_upload(Bucket=b, Key='mp', UploadId=mp['UploadId'], MultipartUpload={'Parts': [
                {'PartNumber': 1, 'ETag': u1['ETag']}, {'PartNumber': 2, 'ETag': u2['ETag']}]})
            out['mpHeaders'] = [mp.get('SSECustomerAlgorithm'), u1.get('SSECustomerKeyMD5') == md5b64(k1)]
            whole = p1 + p2
            out['mpGet'] = s3.get_object(Bucket=b, Key='mp', SSECustomerAlgorithm='AES256', SSECustomerKey=k1)['Body'].read() == whole
            out['mpRange'] = s3.get_object(Bucket=b, Key='mp', Range='bytes=5242800-5243500', SSECustomerAlgorithm='AES256', SSECustomerKey=k1)['Body'].read() == whole[5242800:5243501]
            # Copy: the source's key in the copy-source headers, the copy under another key.
            out['copyNoSourceKey'] = err(s3.copy_object, Bucket=b, Key='c2', CopySource={'Bucket': b, 'Key': 'c'})
            cp = s3.copy_object(Bucket=b, Key='c2', CopySource={'Bucket': b, 'Key': 'c'},
                CopySourceSSECustomerAlgorithm='AES256', CopySourceSSECustomerKey=k1, SSECustomerAlgorithm='AES256', SSECustomerKey=k2)
            out['copy'] = [cp.get('SSECustomerKeyMD5') == md5b64(k2),
                s3.get_object(Bucket=b, Key='c2', SSECustomerAlgorithm='AES256', SSECustomerKey=k2)['Body'].read() == data]
            out['copyOldKey'] = err(s3.get_object, Bucket=b, Key='c2', SSECustomerAlgorithm='AES256', SSECustomerKey=k1)
            """);

        Assert.Equal("AES256", o.GetProperty("put")[0].GetString());
        Assert.True(o.GetProperty("put")[1].GetBoolean());
        Assert.Equal(JsonValueKind.Null, o.GetProperty("put")[2].ValueKind);
        Assert.True(o.GetProperty("get")[0].GetBoolean());
        Assert.Equal("AES256", o.GetProperty("get")[1].GetString());
        Assert.True(o.GetProperty("get")[2].GetBoolean());
        Assert.True(o.GetProperty("range").GetBoolean());
        Assert.Equal(150000, o.GetProperty("head")[0].GetInt32());
        Assert.True(o.GetProperty("head")[1].GetBoolean());
        Assert.Equal(("InvalidRequest", 400), S3Py.Error(o.GetProperty("missing")));
        Assert.Equal("The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.",
            o.GetProperty("missing")[2].GetString());
        Assert.Equal(("AccessDenied", 403), S3Py.Error(o.GetProperty("wrong")));
        Assert.Equal(400, S3Py.Error(o.GetProperty("headMissing")).Status);
        Assert.Equal(403, S3Py.Error(o.GetProperty("headWrong")).Status);
        Assert.Equal(("InvalidArgument", 400), S3Py.Error(o.GetProperty("md5")));
        Assert.Equal("The calculated MD5 hash of the key did not match the hash that was provided.", o.GetProperty("md5")[2].GetString());
        Assert.Equal(("InvalidArgument", 400), S3Py.Error(o.GetProperty("short")));
        Assert.Equal(("InvalidArgument", 400), S3Py.Error(o.GetProperty("algorithm")));
        Assert.Equal(("InvalidArgument", 400), S3Py.Error(o.GetProperty("withSse")));
        Assert.Equal(404, S3Py.Error(o.GetProperty("badStored")).Status);
        Assert.Equal(("InvalidRequest", 400), S3Py.Error(o.GetProperty("notApplicable")));
        Assert.Equal(("InvalidRequest", 400), S3Py.Error(o.GetProperty("partNoKey")));
        Assert.Equal(("InvalidRequest", 400), S3Py.Error(o.GetProperty("partWrongKey")));
        Assert.Equal("AES256", o.GetProperty("mpHeaders")[0].GetString());
        Assert.True(o.GetProperty("mpHeaders")[1].GetBoolean());
        Assert.True(o.GetProperty("mpGet").GetBoolean());
        Assert.True(o.GetProperty("mpRange").GetBoolean());
        Assert.Equal(("InvalidRequest", 400), S3Py.Error(o.GetProperty("copyNoSourceKey")));
        Assert.True(o.GetProperty("copy")[0].GetBoolean() && o.GetProperty("copy")[1].GetBoolean());
        Assert.Equal(("AccessDenied", 403), S3Py.Error(o.GetProperty("copyOldKey")));
    }

    [Fact]
    public async Task AwsCli_SseKmsAndSseC_PutObjectGetObject()
    {
        var bucket = "sse-cli-" + Guid.NewGuid().ToString("N")[..8];
        var dir = KilnServer.NewTempDir();
        try
        {
            var body = Path.Combine(dir, "body");
            var data = RandomNumberGenerator.GetBytes(100_000);
            await File.WriteAllBytesAsync(body, data);
            Assert.Equal(0, (await Clients.AwsAsync(Server, "s3api", "create-bucket", "--bucket", bucket)).ExitCode);
            var key = await Clients.AwsAsync(Server, "kms", "create-key");
            var keyArn = JsonDocument.Parse(key.Stdout).RootElement.GetProperty("KeyMetadata").GetProperty("Arn").GetString()!;

            var kmsPut = await Clients.AwsAsync(Server, "s3api", "put-object", "--bucket", bucket, "--key", "kms",
                "--body", body, "--server-side-encryption", "aws:kms", "--ssekms-key-id", keyArn);
            var kmsGet = await Clients.AwsAsync(Server, "s3api", "get-object", "--bucket", bucket, "--key", "kms",
                "--range", "bytes=1000-70999", Path.Combine(dir, "kms.out"));
            // The CLI takes the raw 32-byte key and sends it base64-encoded with its MD5.
            var customer = "0123456789abcdef0123456789abcdef";
            var cPut = await Clients.AwsAsync(Server, "s3api", "put-object", "--bucket", bucket, "--key", "c",
                "--body", body, "--sse-customer-algorithm", "AES256", "--sse-customer-key", customer);
            var cGet = await Clients.AwsAsync(Server, "s3api", "get-object", "--bucket", bucket, "--key", "c",
                "--sse-customer-algorithm", "AES256", "--sse-customer-key", customer, Path.Combine(dir, "c.out"));
            var cMissing = await Clients.AwsAsync(Server, "s3api", "get-object", "--bucket", bucket, "--key", "c",
                Path.Combine(dir, "missing.out"));
            var cWrong = await Clients.AwsAsync(Server, "s3api", "head-object", "--bucket", bucket, "--key", "c",
                "--sse-customer-algorithm", "AES256", "--sse-customer-key", "fedcba9876543210fedcba9876543210");

            Assert.True(kmsPut.ExitCode == 0, kmsPut.ToString());
            var put = JsonDocument.Parse(kmsPut.Stdout).RootElement;
            Assert.Equal("aws:kms", put.GetProperty("ServerSideEncryption").GetString());
            Assert.Equal(keyArn, put.GetProperty("SSEKMSKeyId").GetString());
            Assert.True(kmsGet.ExitCode == 0, kmsGet.ToString());
            Assert.Equal(data.AsSpan(1000, 70_000).ToArray(), await File.ReadAllBytesAsync(Path.Combine(dir, "kms.out")));
            Assert.True(cPut.ExitCode == 0, cPut.ToString());
            Assert.Equal("AES256", JsonDocument.Parse(cPut.Stdout).RootElement.GetProperty("SSECustomerAlgorithm").GetString());
            Assert.True(cGet.ExitCode == 0, cGet.ToString());
            Assert.Equal(data, await File.ReadAllBytesAsync(Path.Combine(dir, "c.out")));
            Assert.NotEqual(0, cMissing.ExitCode);
            Assert.Contains("InvalidRequest", cMissing.Stderr);
            Assert.NotEqual(0, cWrong.ExitCode);
            Assert.Contains("403", cWrong.Stderr);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Issue 4's scan: objects under SSE-S3, SSE-KMS and SSE-C hold a distinctive random
    /// plaintext; no file under the data directory (metadata.db and its WAL, blobs, tmp, audit)
    /// holds that plaintext, the SSE-C key (raw or base64), or the KMS data key's plaintext.</summary>
    [Fact]
    public async Task DataDirectory_HoldsNoPlaintextNoCustomerKeyNoKmsDataKey()
    {
        var o = await RunAsync("""
            import sqlite3
            b = uniq('sse-scan-'); s3.create_bucket(Bucket=b)
            marker = os.urandom(48).hex().encode()
            body = (marker + b'|') * 3000
            ck = os.urandom(32)
            s3.put_object(Bucket=b, Key='s3', Body=body)
            s3.put_object(Bucket=b, Key='kms', Body=body, ServerSideEncryption='aws:kms')
            s3.put_object(Bucket=b, Key='c', Body=body, SSECustomerAlgorithm='AES256', SSECustomerKey=ck)
            mp = s3.create_multipart_upload(Bucket=b, Key='mpc', SSECustomerAlgorithm='AES256', SSECustomerKey=ck)
            s3.upload_part(Bucket=b, Key='mpc', UploadId=mp['UploadId'], PartNumber=1, Body=body, SSECustomerAlgorithm='AES256', SSECustomerKey=ck)
            out['reads'] = [s3.get_object(Bucket=b, Key='s3')['Body'].read() == body,
                s3.get_object(Bucket=b, Key='kms')['Body'].read() == body,
                s3.get_object(Bucket=b, Key='c', SSECustomerAlgorithm='AES256', SSECustomerKey=ck)['Body'].read() == body]
            # The KMS data key, recovered the way only a KMS caller can: decrypt the stored ciphertext.
            db = sqlite3.connect('file:' + os.environ['DATA_DB'] + '?mode=ro', uri=True)
            doc = json.loads(db.execute("SELECT doc FROM s3_versions WHERE bucket = ? AND key = 'kms'", (b,)).fetchone()[0])
            enc = doc['Encryption']
            plain = kms.decrypt(CiphertextBlob=base64.b64decode(enc['KmsKeyBlob']), EncryptionContext=enc['KmsContext'])['Plaintext']
            out['marker'] = marker.decode(); out['ck'] = base64.b64encode(ck).decode(); out['dk'] = base64.b64encode(plain).decode()
            """.Replace("os.environ['DATA_DB']", $"'{Path.Combine(Server.DataDir, "metadata.db")}'", StringComparison.Ordinal));

        Assert.All(o.GetProperty("reads").EnumerateArray(), r => Assert.True(r.GetBoolean()));
        var customerKey = Convert.FromBase64String(o.Str("ck"));
        var dataKey = Convert.FromBase64String(o.Str("dk"));
        Assert.Equal(32, dataKey.Length);
        var needles = new Dictionary<string, byte[]>
        {
            ["plaintext"] = Encoding.ASCII.GetBytes(o.Str("marker")),
            ["SSE-C key"] = customerKey,
            ["SSE-C key base64"] = Encoding.ASCII.GetBytes(o.Str("ck")),
            ["KMS data key"] = dataKey,
            ["KMS data key base64"] = Encoding.ASCII.GetBytes(o.Str("dk")),
        };
        var files = Directory.EnumerateFiles(Server.DataDir, "*", SearchOption.AllDirectories).ToList();
        Assert.Contains(files, f => f.EndsWith("metadata.db", StringComparison.Ordinal));
        Assert.Contains(files, f => f.Contains(Path.Combine("s3", "blobs"), StringComparison.Ordinal));
        foreach (var file in files)
        {
            byte[] bytes;
            try
            {
                bytes = await File.ReadAllBytesAsync(file);
            }
            catch (FileNotFoundException)
            {
                continue; // a temp file or WAL removed while we listed
            }

            foreach (var (name, needle) in needles)
            {
                Assert.True(bytes.AsSpan().IndexOf(needle) < 0, $"{name} found in {file}");
            }
        }
    }

    private static string?[] Strings(JsonElement array) =>
        array.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Null ? null : e.ToString()).ToArray();
}
