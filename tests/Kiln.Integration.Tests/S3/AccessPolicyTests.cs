using System.Text.Json;

namespace Kiln.Integration.Tests.S3;

/// <summary>Bucket policies enforced by the policy engine, block public access and canned ACLs,
/// through boto3 (issue 3 "Access", issue 4 "a bucket policy alone grants same-account access").</summary>
public sealed class AccessPolicyTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private KilnServer Server => fixture.Server;

    private const string Prelude = """
        import os, json, uuid, boto3, botocore
        E = os.environ['ENDPOINT']
        def uniq(p): return p + uuid.uuid4().hex[:8]
        def client(svc, key=None, secret=None):
            kw = {'endpoint_url': E, 'region_name': 'us-east-1'}
            if key: kw.update(aws_access_key_id=key, aws_secret_access_key=secret)
            return boto3.client(svc, **kw)
        root_s3 = client('s3'); root_iam = client('iam')
        def new_user(policy, iam=None, key=None, secret=None):
            iam = iam or root_iam
            name = uniq('u')
            arn = iam.create_user(UserName=name)['User']['Arn']
            iam.put_user_policy(UserName=name, PolicyName='p', PolicyDocument=json.dumps(policy))
            k = iam.create_access_key(UserName=name)['AccessKey']
            return client('s3', k['AccessKeyId'], k['SecretAccessKey']), arn
        NOTHING = {'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Action': 'sts:GetCallerIdentity', 'Resource': '*'}]}
        def err(f):
            try:
                f(); return None
            except botocore.exceptions.ClientError as e:
                return {'Code': e.response['Error']['Code'], 'Message': e.response['Error'].get('Message')}
        def policy(*statements): return json.dumps({'Version': '2012-10-17', 'Statement': list(statements)})
        out = {}

        """;

    /// <summary>JSON text without Python's spaces after separators.</summary>
    private static string Compact(JsonElement e) => JsonSerializer.Serialize(e);

    private async Task<JsonElement> RunAsync(string script)
    {
        var result = await Clients.PythonAsync(Server, Prelude + script + "\nprint(json.dumps(out))\n");
        Assert.True(result.ExitCode == 0, result.ToString());
        return JsonDocument.Parse(result.Stdout).RootElement.Clone();
    }

    [Fact]
    public async Task BucketPolicy_SameAccount_AloneGrantsUser()
    {
        var r = await RunAsync("""
            bucket = uniq('bp')
            root_s3.create_bucket(Bucket=bucket)
            root_s3.put_object(Bucket=bucket, Key='a.txt', Body=b'hello')
            s3, arn = new_user(NOTHING)
            out['before'] = err(lambda: s3.get_object(Bucket=bucket, Key='a.txt'))
            root_s3.put_bucket_policy(Bucket=bucket, Policy=policy({'Effect': 'Allow', 'Principal': {'AWS': arn},
                'Action': 's3:GetObject', 'Resource': 'arn:aws:s3:::%s/*' % bucket}))
            out['after'] = s3.get_object(Bucket=bucket, Key='a.txt')['Body'].read().decode()
            out['put'] = err(lambda: s3.put_object(Bucket=bucket, Key='b.txt', Body=b'x'))
            out['stored'] = json.loads(root_s3.get_bucket_policy(Bucket=bucket)['Policy'])['Statement'][0]['Action']
            root_s3.delete_bucket_policy(Bucket=bucket)
            out['deleted'] = err(lambda: root_s3.get_bucket_policy(Bucket=bucket))
            out['revoked'] = err(lambda: s3.get_object(Bucket=bucket, Key='a.txt'))
            """);

        Assert.Equal("AccessDenied", r.GetProperty("before").GetProperty("Code").GetString());
        Assert.Equal("hello", r.GetProperty("after").GetString());
        Assert.Equal("AccessDenied", r.GetProperty("put").GetProperty("Code").GetString());
        Assert.Equal("s3:GetObject", r.GetProperty("stored").GetString());
        Assert.Equal("NoSuchBucketPolicy", r.GetProperty("deleted").GetProperty("Code").GetString());
        Assert.Equal("AccessDenied", r.GetProperty("revoked").GetProperty("Code").GetString());
    }

    [Fact]
    public async Task BucketPolicy_ExplicitDeny_BeatsIdentityAllowAndRoot()
    {
        var r = await RunAsync("""
            bucket = uniq('deny')
            root_s3.create_bucket(Bucket=bucket)
            root_s3.put_object(Bucket=bucket, Key='secret/a', Body=b'x')
            s3, arn = new_user({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Action': 's3:*', 'Resource': '*'}]})
            out['arn'] = arn; out['bucket'] = bucket
            out['before'] = s3.get_object(Bucket=bucket, Key='secret/a')['Body'].read().decode()
            root_s3.put_bucket_policy(Bucket=bucket, Policy=policy({'Effect': 'Deny', 'Principal': '*',
                'Action': 's3:GetObject', 'Resource': 'arn:aws:s3:::%s/secret/*' % bucket}))
            out['user'] = err(lambda: s3.get_object(Bucket=bucket, Key='secret/a'))
            out['root'] = err(lambda: root_s3.get_object(Bucket=bucket, Key='secret/a'))
            out['list'] = len(s3.list_objects_v2(Bucket=bucket).get('Contents', []))
            """);

        var arn = r.GetProperty("arn").GetString();
        var bucket = r.GetProperty("bucket").GetString();
        Assert.Equal("x", r.GetProperty("before").GetString());
        Assert.Equal("AccessDenied", r.GetProperty("user").GetProperty("Code").GetString());
        Assert.Equal($"User: {arn} is not authorized to perform: s3:GetObject on resource: \"arn:aws:s3:::{bucket}/secret/a\" with an explicit deny in a resource-based policy",
            r.GetProperty("user").GetProperty("Message").GetString());
        Assert.Equal("AccessDenied", r.GetProperty("root").GetProperty("Code").GetString());
        Assert.Equal(1, r.GetProperty("list").GetInt32());
    }

    [Fact]
    public async Task PublicPolicy_RefusedUnderBlockPublicAccess_AcceptedAfterDelete()
    {
        var r = await RunAsync("""
            bucket = uniq('pub')
            root_s3.create_bucket(Bucket=bucket)
            out['bucket'] = bucket
            out['who'] = client('sts').get_caller_identity()['Arn']
            out['pab'] = root_s3.get_public_access_block(Bucket=bucket)['PublicAccessBlockConfiguration']
            public = policy({'Effect': 'Allow', 'Principal': '*', 'Action': 's3:GetObject', 'Resource': 'arn:aws:s3:::%s/*' % bucket})
            out['blocked'] = err(lambda: root_s3.put_bucket_policy(Bucket=bucket, Policy=public))
            out['malformed'] = err(lambda: root_s3.put_bucket_policy(Bucket=bucket, Policy='{"Statement": [{"Effect": "Allow"}]}'))
            out['acl'] = err(lambda: root_s3.put_object(Bucket=bucket, Key='p', Body=b'x', ACL='public-read'))
            root_s3.put_object(Bucket=bucket, Key='q', Body=b'x', ACL='private')
            out['bucket_acl'] = err(lambda: root_s3.put_bucket_acl(Bucket=bucket, ACL='public-read'))
            root_s3.put_bucket_acl(Bucket=bucket, ACL='private')
            out['grants'] = root_s3.get_bucket_acl(Bucket=bucket)['Grants']
            out['object_grants'] = root_s3.get_object_acl(Bucket=bucket, Key='q')['Grants']
            out['create_public'] = err(lambda: root_s3.create_bucket(Bucket=uniq('pubacl'), ACL='public-read'))
            # ACLs enabled at creation (x-amz-object-ownership): public ACLs then meet block public access.
            out['create_writer_public'] = err(lambda: root_s3.create_bucket(Bucket=uniq('pubacl'), ACL='public-read',
                                                                            ObjectOwnership='ObjectWriter'))
            writer = uniq('writer')
            root_s3.create_bucket(Bucket=writer, ObjectOwnership='ObjectWriter', ACL='private')
            out['writer_ownership'] = root_s3.get_bucket_ownership_controls(Bucket=writer)['OwnershipControls']['Rules'][0]['ObjectOwnership']
            out['writer_acl'] = err(lambda: root_s3.put_object(Bucket=writer, Key='p', Body=b'x', ACL='public-read'))
            out['bad_ownership'] = err(lambda: root_s3.create_bucket(Bucket=uniq('badown'), ObjectOwnership='Nobody'))
            root_s3.delete_public_access_block(Bucket=bucket)
            out['no_pab'] = err(lambda: root_s3.get_public_access_block(Bucket=bucket))
            root_s3.put_bucket_policy(Bucket=bucket, Policy=public)
            out['stored'] = json.loads(root_s3.get_bucket_policy(Bucket=bucket)['Policy'])['Statement'][0]['Principal']
            # With public access allowed, ACLs stay disabled under the default BucketOwnerEnforced.
            out['acl_disabled'] = err(lambda: root_s3.put_object(Bucket=bucket, Key='r', Body=b'x', ACL='public-read'))
            out['r_absent'] = err(lambda: root_s3.head_object(Bucket=bucket, Key='r'))
            """);

        var bucket = r.GetProperty("bucket").GetString();
        var who = r.GetProperty("who").GetString();
        foreach (var flag in new[] { "BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets" })
        {
            Assert.True(r.GetProperty("pab").GetProperty(flag).GetBoolean(), flag);
        }

        Assert.Equal("AccessDenied", r.GetProperty("blocked").GetProperty("Code").GetString());
        Assert.Equal($"User: {who} is not authorized to perform: s3:PutBucketPolicy on resource: \"arn:aws:s3:::{bucket}\" because public policies are blocked by the BlockPublicPolicy block public access setting.",
            r.GetProperty("blocked").GetProperty("Message").GetString());
        Assert.Equal("MalformedPolicy", r.GetProperty("malformed").GetProperty("Code").GetString());
        // A new bucket has ACLs disabled (BucketOwnerEnforced) before public access blocked: S3 says so first.
        Assert.Equal("AccessControlListNotSupported", r.GetProperty("acl").GetProperty("Code").GetString());
        Assert.Equal("AccessControlListNotSupported", r.GetProperty("bucket_acl").GetProperty("Code").GetString());
        Assert.Equal("InvalidBucketAclWithObjectOwnership", r.GetProperty("create_public").GetProperty("Code").GetString());
        Assert.Equal("AccessDenied", r.GetProperty("create_writer_public").GetProperty("Code").GetString());
        Assert.Equal("ObjectWriter", r.GetProperty("writer_ownership").GetString());
        Assert.Equal("AccessDenied", r.GetProperty("writer_acl").GetProperty("Code").GetString());
        Assert.Equal("InvalidArgument", r.GetProperty("bad_ownership").GetProperty("Code").GetString());
        foreach (var grants in new[] { r.GetProperty("grants"), r.GetProperty("object_grants") })
        {
            Assert.Equal(1, grants.GetArrayLength());
            Assert.Equal("FULL_CONTROL", grants[0].GetProperty("Permission").GetString());
            Assert.Equal("CanonicalUser", grants[0].GetProperty("Grantee").GetProperty("Type").GetString());
        }

        Assert.Equal("NoSuchPublicAccessBlockConfiguration", r.GetProperty("no_pab").GetProperty("Code").GetString());
        Assert.Equal("*", r.GetProperty("stored").GetString());
        Assert.Equal("AccessControlListNotSupported", r.GetProperty("acl_disabled").GetProperty("Code").GetString());
        Assert.Equal("404", r.GetProperty("r_absent").GetProperty("Code").GetString());
    }

    [Fact]
    public async Task BucketPolicy_CrossAccount_RequiresBothSides()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
        var keyId = "AKIAXACCT000" + suffix;
        var secret = "cross-account-secret-" + suffix + "0000000000000";
        var created = await Clients.KilnAsync("accounts", "create", "--name", "xacct-" + suffix.ToLowerInvariant(),
            "--access-key-id", keyId, "--secret-access-key", secret, "--data-dir", Server.DataDir);
        Assert.True(created.ExitCode == 0, created.ToString());

        var r = await RunAsync($$"""
            other_s3 = client('s3', '{{keyId}}', '{{secret}}'); other_iam = client('iam', '{{keyId}}', '{{secret}}')
            other = client('sts', '{{keyId}}', '{{secret}}').get_caller_identity()['Account']
            bucket = uniq('xa')
            root_s3.create_bucket(Bucket=bucket)
            root_s3.put_object(Bucket=bucket, Key='shared/a', Body=b'shared')
            plain_user, _ = new_user(NOTHING, other_iam)
            reader, _ = new_user({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Action': 's3:GetObject',
                'Resource': 'arn:aws:s3:::%s/*' % bucket}]}, other_iam)
            out['no_policy'] = err(lambda: other_s3.get_object(Bucket=bucket, Key='shared/a'))
            out['no_policy_reader'] = err(lambda: reader.get_object(Bucket=bucket, Key='shared/a'))
            root_s3.put_bucket_policy(Bucket=bucket, Policy=policy({'Effect': 'Allow',
                'Principal': {'AWS': 'arn:aws:iam::%s:root' % other}, 'Action': 's3:GetObject',
                'Resource': 'arn:aws:s3:::%s/shared/*' % bucket}))
            out['other_root'] = other_s3.get_object(Bucket=bucket, Key='shared/a')['Body'].read().decode()
            out['reader'] = reader.get_object(Bucket=bucket, Key='shared/a')['Body'].read().decode()
            out['plain_user'] = err(lambda: plain_user.get_object(Bucket=bucket, Key='shared/a'))
            out['other_put'] = err(lambda: other_s3.put_object(Bucket=bucket, Key='shared/b', Body=b'x'))
            out['other_policy'] = err(lambda: other_s3.get_bucket_policy(Bucket=bucket))
            """);

        Assert.Equal("AccessDenied", r.GetProperty("no_policy").GetProperty("Code").GetString());
        Assert.Equal("AccessDenied", r.GetProperty("no_policy_reader").GetProperty("Code").GetString());
        Assert.Equal("shared", r.GetProperty("other_root").GetString());
        Assert.Equal("shared", r.GetProperty("reader").GetString());
        Assert.Equal("AccessDenied", r.GetProperty("plain_user").GetProperty("Code").GetString());
        Assert.Equal("AccessDenied", r.GetProperty("other_put").GetProperty("Code").GetString());
        Assert.Equal("AccessDenied", r.GetProperty("other_policy").GetProperty("Code").GetString());
    }

    /// <summary>A request naming a version is authorized as the *Version action, as S3 does: s3:GetObject
    /// alone reads the latest version only.</summary>
    [Fact]
    public async Task VersionedRequests_NeedTheVersionActions()
    {
        var r = await RunAsync("""
            bucket = uniq('ver')
            root_s3.create_bucket(Bucket=bucket)
            root_s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={'Status': 'Enabled'})
            v1 = root_s3.put_object(Bucket=bucket, Key='k', Body=b'one')['VersionId']
            root_s3.put_object(Bucket=bucket, Key='k', Body=b'two')
            latest_only, latest_arn = new_user({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow',
                'Action': ['s3:GetObject', 's3:DeleteObject'], 'Resource': 'arn:aws:s3:::%s/*' % bucket}]})
            versions, _ = new_user({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow',
                'Action': ['s3:GetObjectVersion', 's3:GetObjectVersionTagging'], 'Resource': 'arn:aws:s3:::%s/*' % bucket}]})
            out['latest'] = latest_only.get_object(Bucket=bucket, Key='k')['Body'].read().decode()
            out['old'] = err(lambda: latest_only.get_object(Bucket=bucket, Key='k', VersionId=v1))
            out['delete_old'] = err(lambda: latest_only.delete_object(Bucket=bucket, Key='k', VersionId=v1))
            out['arn'] = latest_arn
            out['by_version'] = versions.get_object(Bucket=bucket, Key='k', VersionId=v1)['Body'].read().decode()
            out['version_tags'] = versions.get_object_tagging(Bucket=bucket, Key='k', VersionId=v1)['TagSet']
            out['latest_refused'] = err(lambda: versions.get_object(Bucket=bucket, Key='k'))
            out['still_there'] = root_s3.get_object(Bucket=bucket, Key='k', VersionId=v1)['Body'].read().decode()
            out['bucket'] = bucket
            """);

        var bucket = r.GetProperty("bucket").GetString();
        Assert.Equal("two", r.GetProperty("latest").GetString());
        Assert.Equal("AccessDenied", r.GetProperty("old").GetProperty("Code").GetString());
        Assert.Equal($"User: {r.GetProperty("arn").GetString()} is not authorized to perform: s3:GetObjectVersion on resource: \"arn:aws:s3:::{bucket}/k\" because no identity-based policy allows the s3:GetObjectVersion action",
            r.GetProperty("old").GetProperty("Message").GetString());
        Assert.Equal("AccessDenied", r.GetProperty("delete_old").GetProperty("Code").GetString());
        Assert.Equal("one", r.GetProperty("by_version").GetString());
        Assert.Equal(0, r.GetProperty("version_tags").GetArrayLength());
        Assert.Equal("AccessDenied", r.GetProperty("latest_refused").GetProperty("Code").GetString());
        Assert.Equal("one", r.GetProperty("still_there").GetString());
    }

    /// <summary>DeleteObjects authorizes each key on its own, as S3 does: a key with a VersionId needs
    /// s3:DeleteObjectVersion, one without s3:DeleteObject; a refused key is an AccessDenied &lt;Error&gt; of
    /// its own (also in quiet mode) and the request, a 200, deletes the others.</summary>
    [Fact]
    public async Task DeleteObjects_BucketPolicyDenyingVersionDeletesUnderAPrefix_RefusesThoseKeysOnly()
    {
        var r = await RunAsync("""
            bucket = uniq('mdel')
            root_s3.create_bucket(Bucket=bucket)
            root_s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={'Status': 'Enabled'})
            ver = {k: root_s3.put_object(Bucket=bucket, Key=k, Body=k.encode())['VersionId']
                   for k in ['keep/a', 'keep/b', 'free/c', 'free/d']}
            s3, _ = new_user({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Action': 's3:*', 'Resource': '*'}]})
            root_s3.put_bucket_policy(Bucket=bucket, Policy=policy({'Effect': 'Deny', 'Principal': '*',
                'Action': 's3:DeleteObjectVersion', 'Resource': 'arn:aws:s3:::%s/keep/*' % bucket}))
            def summary(resp):
                return {'status': resp['ResponseMetadata']['HTTPStatusCode'],
                        'errors': [[e['Key'], e.get('VersionId') == ver.get(e['Key']), e['Code'], e['Message']] for e in resp.get('Errors', [])],
                        'deleted': sorted([[d['Key'], d.get('VersionId') == ver.get(d['Key']), d.get('DeleteMarker', False)]
                                           for d in resp.get('Deleted', [])])}
            out['verbose'] = summary(s3.delete_objects(Bucket=bucket, Delete={'Objects': [
                {'Key': 'keep/a', 'VersionId': ver['keep/a']}, {'Key': 'keep/b'}, {'Key': 'free/c', 'VersionId': ver['free/c']}]}))
            out['quiet'] = summary(s3.delete_objects(Bucket=bucket, Delete={'Quiet': True, 'Objects': [
                {'Key': 'keep/b', 'VersionId': ver['keep/b']}, {'Key': 'free/d', 'VersionId': ver['free/d']}]}))
            # The deny names every principal: the bucket owner's root is refused that key too.
            out['root'] = summary(root_s3.delete_objects(Bucket=bucket, Delete={'Objects': [{'Key': 'keep/a', 'VersionId': ver['keep/a']}]}))
            listing = root_s3.list_object_versions(Bucket=bucket)
            out['versions'] = sorted([v['Key'], v['VersionId'] == ver[v['Key']]] for v in listing.get('Versions', []))
            out['markers'] = [m['Key'] for m in listing.get('DeleteMarkers', [])]
            """);

        var verbose = r.GetProperty("verbose");
        Assert.Equal(200, verbose.GetProperty("status").GetInt32());
        Assert.Equal("""[["keep/a",true,"AccessDenied","Access Denied"]]""", Compact(verbose.GetProperty("errors")));
        Assert.Equal("""[["free/c",true,false],["keep/b",false,true]]""", Compact(verbose.GetProperty("deleted")));
        var quiet = r.GetProperty("quiet");
        Assert.Equal(200, quiet.GetProperty("status").GetInt32());
        Assert.Equal("""[["keep/b",true,"AccessDenied","Access Denied"]]""", Compact(quiet.GetProperty("errors")));
        Assert.Equal("[]", Compact(quiet.GetProperty("deleted")));
        Assert.Equal("""[["keep/a",true,"AccessDenied","Access Denied"]]""", Compact(r.GetProperty("root").GetProperty("errors")));
        // keep/a and keep/b keep their versions (keep/b got a delete marker); free/c and free/d are gone.
        Assert.Equal("""[["keep/a",true],["keep/b",true]]""", Compact(r.GetProperty("versions")));
        Assert.Equal("""["keep/b"]""", Compact(r.GetProperty("markers")));
    }

    [Fact]
    public async Task DeleteObjects_UserAllowedOnlyDeleteObject_CannotDeleteVersions_AndAUserWithoutAnyDeleteGetsAnErrorPerKey()
    {
        var r = await RunAsync("""
            bucket = uniq('mdel')
            root_s3.create_bucket(Bucket=bucket)
            root_s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={'Status': 'Enabled'})
            ver = {k: root_s3.put_object(Bucket=bucket, Key=k, Body=k.encode())['VersionId'] for k in ['a', 'b', 'c']}
            deleter, _ = new_user({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Action': 's3:DeleteObject',
                'Resource': 'arn:aws:s3:::%s/*' % bucket}]})
            nobody, _ = new_user(NOTHING)
            def summary(resp):
                return {'status': resp['ResponseMetadata']['HTTPStatusCode'],
                        'errors': [[e['Key'], e.get('VersionId') is not None, e['Code']] for e in resp.get('Errors', [])],
                        'deleted': sorted([[d['Key'], d.get('DeleteMarker', False)] for d in resp.get('Deleted', [])])}
            out['verbose'] = summary(deleter.delete_objects(Bucket=bucket, Delete={'Objects': [
                {'Key': 'a'}, {'Key': 'b', 'VersionId': ver['b']}]}))
            out['quiet'] = summary(deleter.delete_objects(Bucket=bucket, Delete={'Quiet': True, 'Objects': [
                {'Key': 'b', 'VersionId': ver['b']}, {'Key': 'c'}]}))
            out['nobody'] = summary(nobody.delete_objects(Bucket=bucket, Delete={'Objects': [{'Key': 'a'}, {'Key': 'c', 'VersionId': ver['c']}]}))
            out['single'] = err(lambda: deleter.delete_object(Bucket=bucket, Key='b', VersionId=ver['b']))
            out['b'] = root_s3.get_object(Bucket=bucket, Key='b', VersionId=ver['b'])['Body'].read().decode()
            out['latest_b'] = root_s3.get_object(Bucket=bucket, Key='b')['Body'].read().decode()
            out['markers'] = sorted(m['Key'] for m in root_s3.list_object_versions(Bucket=bucket).get('DeleteMarkers', []))
            """);

        var verbose = r.GetProperty("verbose");
        Assert.Equal(200, verbose.GetProperty("status").GetInt32());
        Assert.Equal("""[["b",true,"AccessDenied"]]""", Compact(verbose.GetProperty("errors")));
        Assert.Equal("""[["a",true]]""", Compact(verbose.GetProperty("deleted")));
        Assert.Equal("""[["b",true,"AccessDenied"]]""", Compact(r.GetProperty("quiet").GetProperty("errors")));
        Assert.Equal("[]", Compact(r.GetProperty("quiet").GetProperty("deleted")));
        // No delete permission at all: still a 200, every key refused on its own.
        Assert.Equal(200, r.GetProperty("nobody").GetProperty("status").GetInt32());
        Assert.Equal("""[["a",false,"AccessDenied"],["c",true,"AccessDenied"]]""", Compact(r.GetProperty("nobody").GetProperty("errors")));
        Assert.Equal("[]", Compact(r.GetProperty("nobody").GetProperty("deleted")));
        Assert.Equal("AccessDenied", r.GetProperty("single").GetProperty("Code").GetString());
        Assert.Equal("b", r.GetProperty("b").GetString());
        Assert.Equal("b", r.GetProperty("latest_b").GetString());
        Assert.Equal("""["a","c"]""", Compact(r.GetProperty("markers")));
    }

    /// <summary>GetObjectAttributes needs s3:GetObject and s3:GetObjectAttributes, or with a versionId
    /// s3:GetObjectVersion and s3:GetObjectVersionAttributes (GetObjectAttributes API reference, Permissions).</summary>
    [Fact]
    public async Task GetObjectAttributes_NeedsBothActions_TheVersionPairWithAVersionId()
    {
        var r = await RunAsync("""
            bucket = uniq('attrs')
            root_s3.create_bucket(Bucket=bucket)
            root_s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={'Status': 'Enabled'})
            v1 = root_s3.put_object(Bucket=bucket, Key='k', Body=b'first')['VersionId']
            root_s3.put_object(Bucket=bucket, Key='k', Body=b'second!')
            def user(*actions):
                return new_user({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Action': list(actions),
                    'Resource': 'arn:aws:s3:::%s/*' % bucket}]})[0]
            def call(c, version=None):
                kw = {'VersionId': version} if version else {}
                e = err(lambda: c.get_object_attributes(Bucket=bucket, Key='k', ObjectAttributes=['ETag'], **kw))
                return e['Code'] if e else 'OK'
            get_only, get_arn = new_user({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Action': 's3:GetObject',
                'Resource': 'arn:aws:s3:::%s/*' % bucket}]})
            out['get_only_message'] = err(lambda: get_only.get_object_attributes(Bucket=bucket, Key='k', ObjectAttributes=['ETag']))['Message']
            out['arn'] = get_arn; out['bucket'] = bucket
            out['get_only'] = call(get_only)
            out['attributes_only'] = call(user('s3:GetObjectAttributes'))
            both = user('s3:GetObject', 's3:GetObjectAttributes')
            out['both'] = call(both)
            out['both_version'] = call(both, v1)
            version_pair = user('s3:GetObjectVersion', 's3:GetObjectVersionAttributes')
            out['version_pair'] = call(version_pair, v1)
            a = both.get_object_attributes(Bucket=bucket, Key='k', ObjectAttributes=['ETag', 'ObjectSize', 'StorageClass'])
            b = version_pair.get_object_attributes(Bucket=bucket, Key='k', VersionId=v1, ObjectAttributes=['ObjectSize'])
            out['latest_attrs'] = [a.get('ETag'), a.get('ObjectSize'), a.get('StorageClass'), a.get('VersionId') != v1]
            out['version_attrs'] = [b.get('ETag'), b.get('ObjectSize'), b.get('VersionId') == v1]
            out['etag'] = root_s3.head_object(Bucket=bucket, Key='k')['ETag']
            out['version_pair_latest'] = call(version_pair)
            out['mixed_version'] = call(user('s3:GetObjectVersion', 's3:GetObjectAttributes'), v1)
            root_s3.put_bucket_policy(Bucket=bucket, Policy=policy({'Effect': 'Deny', 'Principal': '*',
                'Action': 's3:GetObjectAttributes', 'Resource': 'arn:aws:s3:::%s/*' % bucket}))
            out['both_bucket_deny'] = call(both)
            """);

        Assert.Equal("AccessDenied", r.GetProperty("get_only").GetString());
        Assert.Equal($"User: {r.GetProperty("arn").GetString()} is not authorized to perform: s3:GetObjectAttributes on resource: \"arn:aws:s3:::{r.GetProperty("bucket").GetString()}/k\" because no identity-based policy allows the s3:GetObjectAttributes action",
            r.GetProperty("get_only_message").GetString());
        Assert.Equal("AccessDenied", r.GetProperty("attributes_only").GetString());
        Assert.Equal("OK", r.GetProperty("both").GetString());
        Assert.Equal("AccessDenied", r.GetProperty("both_version").GetString());
        Assert.Equal("OK", r.GetProperty("version_pair").GetString());
        // What was asked for, unquoted ETag included, of the latest or of the named version.
        Assert.Equal($"[\"{r.GetProperty("etag").GetString()!.Trim('"')}\",7,\"STANDARD\",true]",
            Compact(r.GetProperty("latest_attrs")));
        Assert.Equal("[null,5,true]", Compact(r.GetProperty("version_attrs")));
        Assert.Equal("AccessDenied", r.GetProperty("version_pair_latest").GetString());
        Assert.Equal("AccessDenied", r.GetProperty("mixed_version").GetString());
        Assert.Equal("AccessDenied", r.GetProperty("both_bucket_deny").GetString());
    }
}
