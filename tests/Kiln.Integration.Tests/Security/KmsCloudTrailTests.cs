using System.Text;
using System.Text.Json;

namespace Kiln.Integration.Tests.Security;

/// <summary>A server whose KMS rotation period is two seconds, so a test can watch a key rotate
/// (KmsService.RotationSecondsVariable; DESIGN.md, Time).</summary>
public sealed class KmsServerFixture : IAsyncLifetime
{
    public KilnServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await KilnServer.StartAsync(
        environment: new Dictionary<string, string> { ["KILN_KMS_ROTATION_PERIOD_SECONDS"] = "2" });

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>KMS and CloudTrail through boto3 and the aws CLI (issue 4, "Done when").</summary>
public sealed class KmsCloudTrailTests(KmsServerFixture fixture) : IClassFixture<KmsServerFixture>
{
    private KilnServer Server => fixture.Server;

    private async Task<JsonElement> RunAsync(string script)
    {
        var result = await Clients.PythonAsync(Server, Prelude + script);
        Assert.True(result.ExitCode == 0, result.ToString());
        return JsonDocument.Parse(result.Stdout).RootElement.Clone();
    }

    [Fact]
    public async Task EncryptDecrypt_WithAndWithoutContext_RoundTrips_WrongContextFails()
    {
        var r = await RunAsync("""
            key = kms.create_key(Description='round trip')['KeyMetadata']
            out['arn'] = key['Arn']
            c1 = kms.encrypt(KeyId=key['KeyId'], Plaintext=b'hello kiln')
            out['plain'] = kms.decrypt(CiphertextBlob=c1['CiphertextBlob'])['Plaintext'].decode()
            out['encKeyId'] = c1['KeyId']
            ctx = {'purpose': 'test', 'tenant': 'a'}
            c2 = kms.encrypt(KeyId=key['Arn'], Plaintext=b'with context', EncryptionContext=ctx)
            out['ctx'] = kms.decrypt(CiphertextBlob=c2['CiphertextBlob'], EncryptionContext={'tenant': 'a', 'purpose': 'test'})['Plaintext'].decode()
            out['wrong'] = err(lambda: kms.decrypt(CiphertextBlob=c2['CiphertextBlob'], EncryptionContext={'purpose': 'test', 'tenant': 'b'}))
            out['missing'] = err(lambda: kms.decrypt(CiphertextBlob=c2['CiphertextBlob']))
            out['tampered'] = err(lambda: kms.decrypt(CiphertextBlob=c1['CiphertextBlob'][:-1] + bytes([c1['CiphertextBlob'][-1] ^ 1])))
            kms.create_alias(AliasName='alias/' + uniq('rt'), TargetKeyId=key['KeyId'])
            alias = [a for a in kms.list_aliases()['Aliases'] if a.get('TargetKeyId') == key['KeyId']][0]['AliasName']
            out['viaAlias'] = kms.decrypt(CiphertextBlob=kms.encrypt(KeyId=alias, Plaintext=b'x')['CiphertextBlob'])['Plaintext'].decode()
            out['reserved'] = err(lambda: kms.create_alias(AliasName='alias/aws/mine', TargetKeyId=key['KeyId']))
            out['dup'] = err(lambda: kms.create_alias(AliasName=alias, TargetKeyId=key['KeyId']))
            out['missingKey'] = err(lambda: kms.describe_key(KeyId='11111111-2222-3333-4444-555555555555'))
            re = kms.re_encrypt(CiphertextBlob=c2['CiphertextBlob'], SourceEncryptionContext=ctx, DestinationKeyId=key['KeyId'])
            out['re'] = kms.decrypt(CiphertextBlob=re['CiphertextBlob'])['Plaintext'].decode()
            print(json.dumps(out))
            """);

        Assert.Equal("hello kiln", r.GetProperty("plain").GetString());
        Assert.Equal(r.GetProperty("arn").GetString(), r.GetProperty("encKeyId").GetString());
        Assert.Equal("with context", r.GetProperty("ctx").GetString());
        Assert.Equal("InvalidCiphertextException", r.GetProperty("wrong").GetProperty("Code").GetString());
        Assert.Equal("InvalidCiphertextException", r.GetProperty("missing").GetProperty("Code").GetString());
        Assert.Equal("InvalidCiphertextException", r.GetProperty("tampered").GetProperty("Code").GetString());
        Assert.Equal("x", r.GetProperty("viaAlias").GetString());
        Assert.Equal("NotAuthorizedException", r.GetProperty("reserved").GetProperty("Code").GetString());
        Assert.Equal("AlreadyExistsException", r.GetProperty("dup").GetProperty("Code").GetString());
        Assert.Equal("NotFoundException", r.GetProperty("missingKey").GetProperty("Code").GetString());
        Assert.Equal("with context", r.GetProperty("re").GetString());
    }

    [Fact]
    public async Task DisableKey_StopsDecrypt_ScheduleDeletion_MakesKeyPendingDeletion()
    {
        var r = await RunAsync("""
            k = kms.create_key()['KeyMetadata']['KeyId']
            c = kms.encrypt(KeyId=k, Plaintext=b'secret')['CiphertextBlob']
            kms.disable_key(KeyId=k)
            out['disabled'] = err(lambda: kms.decrypt(CiphertextBlob=c))
            out['stateDisabled'] = kms.describe_key(KeyId=k)['KeyMetadata']['KeyState']
            kms.enable_key(KeyId=k)
            out['again'] = kms.decrypt(CiphertextBlob=c)['Plaintext'].decode()
            out['short'] = err(lambda: kms.schedule_key_deletion(KeyId=k, PendingWindowInDays=5))
            s = kms.schedule_key_deletion(KeyId=k, PendingWindowInDays=7)
            out['scheduled'] = s['KeyState']
            out['window'] = s['PendingWindowInDays']
            out['pending'] = err(lambda: kms.decrypt(CiphertextBlob=c))
            out['pendingEncrypt'] = err(lambda: kms.encrypt(KeyId=k, Plaintext=b'x'))
            kms.cancel_key_deletion(KeyId=k)
            out['afterCancel'] = kms.describe_key(KeyId=k)['KeyMetadata']['KeyState']
            print(json.dumps(out))
            """);

        Assert.Equal("DisabledException", r.GetProperty("disabled").GetProperty("Code").GetString());
        Assert.EndsWith("is disabled.", r.GetProperty("disabled").GetProperty("Message").GetString());
        Assert.Equal("Disabled", r.GetProperty("stateDisabled").GetString());
        Assert.Equal("secret", r.GetProperty("again").GetString());
        Assert.Equal("ValidationException", r.GetProperty("short").GetProperty("Code").GetString());
        Assert.Equal("PendingDeletion", r.GetProperty("scheduled").GetString());
        Assert.Equal(7, r.GetProperty("window").GetInt32());
        Assert.Equal("KMSInvalidStateException", r.GetProperty("pending").GetProperty("Code").GetString());
        Assert.EndsWith("is pending deletion.", r.GetProperty("pending").GetProperty("Message").GetString());
        Assert.Equal("KMSInvalidStateException", r.GetProperty("pendingEncrypt").GetProperty("Code").GetString());
        Assert.Equal("Disabled", r.GetProperty("afterCancel").GetString());
    }

    /// <summary>Each ciphertext names its material version (Kiln's blob: 'K','C',1, u16 ARN length,
    /// ARN, u32 version), so the test sees rotation happen and old ciphertext still decrypt.</summary>
    [Fact]
    public async Task Rotation_AddsMaterial_OldCiphertextStillDecrypts()
    {
        var r = await RunAsync("""
            import time, struct
            def version(blob):
                n = struct.unpack('>H', blob[3:5])[0]
                return struct.unpack('>I', blob[5 + n:9 + n])[0]
            k = kms.create_key()['KeyMetadata']['KeyId']
            old = kms.encrypt(KeyId=k, Plaintext=b'before rotation')['CiphertextBlob']
            out['before'] = kms.get_key_rotation_status(KeyId=k)['KeyRotationEnabled']
            kms.enable_key_rotation(KeyId=k)
            out['after'] = kms.get_key_rotation_status(KeyId=k)['KeyRotationEnabled']
            time.sleep(2.5)
            new = kms.encrypt(KeyId=k, Plaintext=b'after rotation')['CiphertextBlob']
            out['v1'] = version(old); out['v2'] = version(new)
            out['old'] = kms.decrypt(CiphertextBlob=old)['Plaintext'].decode()
            out['new'] = kms.decrypt(CiphertextBlob=new)['Plaintext'].decode()
            print(json.dumps(out))
            """);

        Assert.False(r.GetProperty("before").GetBoolean());
        Assert.True(r.GetProperty("after").GetBoolean());
        Assert.Equal(1, r.GetProperty("v1").GetInt32());
        Assert.Equal(2, r.GetProperty("v2").GetInt32());
        Assert.Equal("before rotation", r.GetProperty("old").GetString());
        Assert.Equal("after rotation", r.GetProperty("new").GetString());
    }

    [Fact]
    public async Task UserWithoutKmsDecryptInIam_IsDenied_WhileRootDecrypts()
    {
        var r = await RunAsync("""
            key = kms.create_key()['KeyMetadata']
            name = uniq('kmsuser')
            out['userArn'] = iam.create_user(UserName=name)['User']['Arn']
            iam.put_user_policy(UserName=name, PolicyName='p', PolicyDocument=json.dumps({'Version': '2012-10-17',
                'Statement': [{'Effect': 'Allow', 'Action': ['kms:Encrypt', 'kms:DescribeKey'], 'Resource': '*'}]}))
            ak = iam.create_access_key(UserName=name)['AccessKey']
            ukms = client('kms', ak['AccessKeyId'], ak['SecretAccessKey'])
            c = ukms.encrypt(KeyId=key['KeyId'], Plaintext=b'user data')['CiphertextBlob']
            out['denied'] = err(lambda: ukms.decrypt(CiphertextBlob=c))
            out['root'] = kms.decrypt(CiphertextBlob=c)['Plaintext'].decode()
            out['arn'] = key['Arn']
            # A key policy that names the user grants Decrypt without any IAM policy ("Key policies").
            kms.put_key_policy(KeyId=key['KeyId'], PolicyName='default', Policy=json.dumps({'Version': '2012-10-17', 'Statement': [
                {'Effect': 'Allow', 'Principal': {'AWS': 'arn:aws:iam::%s:root' % key['AWSAccountId']}, 'Action': 'kms:*', 'Resource': '*'},
                {'Effect': 'Allow', 'Principal': {'AWS': out['userArn']}, 'Action': 'kms:Decrypt', 'Resource': '*'}]}))
            out['viaKeyPolicy'] = ukms.decrypt(CiphertextBlob=c)['Plaintext'].decode()
            out['malformed'] = err(lambda: kms.put_key_policy(KeyId=key['KeyId'], PolicyName='default', Policy='{"Statement": 1}'))
            print(json.dumps(out))
            """);

        var denied = r.GetProperty("denied");
        Assert.Equal("AccessDeniedException", denied.GetProperty("Code").GetString());
        Assert.Equal($"User: {r.GetProperty("userArn").GetString()} is not authorized to perform: kms:Decrypt on resource: " +
                     $"{r.GetProperty("arn").GetString()} because no identity-based policy allows the kms:Decrypt action",
            denied.GetProperty("Message").GetString());
        Assert.Equal("user data", r.GetProperty("root").GetString());
        Assert.Equal("user data", r.GetProperty("viaKeyPolicy").GetString());
        Assert.Equal("MalformedPolicyDocumentException", r.GetProperty("malformed").GetProperty("Code").GetString());
    }

    [Fact]
    public async Task LookupEvents_ShowsFailedAndSuccessfulCalls_WithErrorCodes()
    {
        var missing = "11111111-2222-3333-4444-" + Guid.NewGuid().ToString("N")[..12];
        var failed = await Clients.AwsAsync(Server, "kms", "describe-key", "--key-id", missing);
        Assert.NotEqual(0, failed.ExitCode);
        Assert.Contains("NotFoundException", failed.Stderr);
        var created = await Clients.AwsAsync(Server, "kms", "create-key", "--description", "trail");
        Assert.True(created.ExitCode == 0, created.ToString());
        var keyId = JsonDocument.Parse(created.Stdout).RootElement.GetProperty("KeyMetadata").GetProperty("KeyId").GetString()!;
        var ok = await Clients.AwsAsync(Server, "kms", "describe-key", "--key-id", keyId);
        Assert.True(ok.ExitCode == 0, ok.ToString());

        var lookup = await Clients.AwsAsync(Server, "cloudtrail", "lookup-events", "--lookup-attributes",
            "AttributeKey=EventName,AttributeValue=DescribeKey", "--max-results", "50");
        Assert.True(lookup.ExitCode == 0, lookup.ToString());
        var events = JsonDocument.Parse(lookup.Stdout).RootElement.GetProperty("Events").EnumerateArray().ToList();
        Assert.All(events, e => Assert.Equal("DescribeKey", e.GetProperty("EventName").GetString()));
        var records = events.Select(e => JsonDocument.Parse(e.GetProperty("CloudTrailEvent").GetString()!).RootElement).ToList();
        var failure = Assert.Single(records, x => x.TryGetProperty("errorCode", out _) && x.GetProperty("errorMessage").GetString()!.Contains(missing));
        Assert.Equal("NotFoundException", failure.GetProperty("errorCode").GetString());
        Assert.Equal("kms.amazonaws.com", failure.GetProperty("eventSource").GetString());
        Assert.Equal("AwsApiCall", failure.GetProperty("eventType").GetString());
        Assert.True(failure.GetProperty("readOnly").GetBoolean());
        Assert.Equal("Root", failure.GetProperty("userIdentity").GetProperty("type").GetString());
        Assert.Equal(Server.AccessKeyId, failure.GetProperty("userIdentity").GetProperty("accessKeyId").GetString());
        Assert.Contains(records, x => !x.TryGetProperty("errorCode", out _));
        Assert.All(events, e => Assert.Equal("kms.amazonaws.com", e.GetProperty("EventSource").GetString()));
        Assert.All(events, e => Assert.Equal("root", e.GetProperty("Username").GetString()));
        Assert.DoesNotContain(Server.SecretAccessKey, lookup.Stdout);

        // Pagination: one event per page, no event twice.
        var r = await RunAsync("""
            ct = client('cloudtrail')
            seen = []; token = None
            for _ in range(3):
                kw = {'MaxResults': 1, 'LookupAttributes': [{'AttributeKey': 'EventSource', 'AttributeValue': 'kms.amazonaws.com'}]}
                if token: kw['NextToken'] = token
                page = ct.lookup_events(**kw)
                seen += [e['EventId'] for e in page['Events']]
                token = page.get('NextToken')
            out['seen'] = seen
            out['bad'] = err(lambda: ct.lookup_events(MaxResults=51))
            print(json.dumps(out))
            """);
        var seen = r.GetProperty("seen").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Equal(3, seen.Count);
        Assert.Equal(3, seen.Distinct().Count());
        Assert.Equal("InvalidMaxResultsException", r.GetProperty("bad").GetProperty("Code").GetString());
    }

    [Fact]
    public async Task DataDirectory_HoldsNoKeyMaterialOrDataKeyInPlaintext()
    {
        var r = await RunAsync("""
            import base64
            k = kms.create_key()['KeyMetadata']['KeyId']
            dk = kms.generate_data_key(KeyId=k, KeySpec='AES_256')
            out['plain'] = base64.b64encode(dk['Plaintext']).decode()
            out['back'] = base64.b64encode(kms.decrypt(CiphertextBlob=dk['CiphertextBlob'])['Plaintext']).decode()
            print(json.dumps(out))
            """);
        var plain = Convert.FromBase64String(r.GetProperty("plain").GetString()!);
        Assert.Equal(32, plain.Length);
        Assert.Equal(r.GetProperty("plain").GetString(), r.GetProperty("back").GetString());

        var needles = new[] { plain, Encoding.ASCII.GetBytes(Convert.ToBase64String(plain)), Encoding.ASCII.GetBytes(Convert.ToHexString(plain)),
            Encoding.ASCII.GetBytes(Convert.ToHexString(plain).ToLowerInvariant()) };
        var files = Directory.GetFiles(Server.DataDir, "*", SearchOption.AllDirectories);
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            byte[] bytes;
            try
            {
                bytes = await File.ReadAllBytesAsync(file);
            }
            catch (IOException)
            {
                continue;
            }

            foreach (var needle in needles)
            {
                Assert.True(bytes.AsSpan().IndexOf(needle) < 0, $"{file} holds the data key in plaintext");
            }
        }
    }

    private const string Prelude = """
        import os, json, uuid, boto3, botocore
        E = os.environ['ENDPOINT']
        def uniq(p): return p + uuid.uuid4().hex[:8]
        def client(svc, key=None, secret=None):
            kw = {'endpoint_url': E, 'region_name': 'us-east-1'}
            if key: kw.update(aws_access_key_id=key, aws_secret_access_key=secret)
            return boto3.client(svc, **kw)
        kms = client('kms'); iam = client('iam')
        def err(f):
            try:
                f(); return None
            except botocore.exceptions.ClientError as e:
                return {'Code': e.response['Error']['Code'], 'Message': e.response['Error'].get('Message')}
        out = {}

        """;
}
