using System.Text.Json;

namespace Kiln.Integration.Tests.S3;

/// <summary>Object Ownership and ACLs through the aws CLI and boto3 (issue 3): ACLs disabled under
/// the BucketOwnerEnforced default; with ObjectWriter, grants are stored, returned and let another
/// account in as a resource-based policy allow would.</summary>
public sealed class S3AclTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private KilnServer Server => fixture.Server;

    private async Task<Clients.Result> AwsOkAsync(params string[] args)
    {
        var result = await Clients.AwsAsync(Server, args);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }

    private async Task<(string Key, string Secret, string Account)> OtherAccountAsync()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
        var keyId = "AKIAXACL0000" + suffix;
        var secret = "acl-account-secret-" + suffix + "000000000000000";
        var created = await Clients.KilnAsync("accounts", "create", "--name", "acl-" + suffix.ToLowerInvariant(),
            "--access-key-id", keyId, "--secret-access-key", secret, "--data-dir", Server.DataDir);
        Assert.True(created.ExitCode == 0, created.ToString());
        var who = await Clients.AwsAsAsync(Server, keyId, secret, "sts", "get-caller-identity", "--query", "Account",
            "--output", "text");
        return (keyId, secret, who.Stdout.Trim());
    }

    [Fact]
    public async Task OwnershipControls_DefaultEnforced_RefusesGrants_CliErrors()
    {
        var bucket = "it-acl-" + Guid.NewGuid().ToString("N")[..8];
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, "x");
        await AwsOkAsync("s3api", "create-bucket", "--bucket", bucket);
        await AwsOkAsync("s3api", "put-object", "--bucket", bucket, "--key", "a", "--body", file);
        File.Delete(file);

        var controls = JsonDocument.Parse((await AwsOkAsync("s3api", "get-bucket-ownership-controls", "--bucket", bucket)).Stdout);
        var grant = await Clients.AwsAsync(Server, "s3api", "put-object-acl", "--bucket", bucket, "--key", "a",
            "--grant-read", "id=111122223333");
        var bucketGrant = await Clients.AwsAsync(Server, "s3api", "put-bucket-acl", "--bucket", bucket,
            "--grant-write", "id=111122223333");
        await AwsOkAsync("s3api", "put-object-acl", "--bucket", bucket, "--key", "a", "--acl", "bucket-owner-full-control");
        await AwsOkAsync("s3api", "delete-bucket-ownership-controls", "--bucket", bucket);
        var missing = await Clients.AwsAsync(Server, "s3api", "get-bucket-ownership-controls", "--bucket", bucket);

        Assert.Equal("BucketOwnerEnforced",
            controls.RootElement.GetProperty("OwnershipControls").GetProperty("Rules")[0].GetProperty("ObjectOwnership").GetString());
        Assert.Equal(254, grant.ExitCode);
        Assert.Contains("(AccessControlListNotSupported) when calling the PutObjectAcl operation", grant.Stderr);
        Assert.Contains(": The bucket does not allow ACLs", grant.Stderr);
        Assert.Contains("(AccessControlListNotSupported) when calling the PutBucketAcl operation", bucketGrant.Stderr);
        Assert.Contains("(OwnershipControlsNotFoundError)", missing.Stderr);
    }

    [Fact]
    public async Task ObjectWriter_GrantsStoredReturnedAndHonouredAcrossAccounts()
    {
        var (key, secret, other) = await OtherAccountAsync();
        var bucket = "it-aclw-" + Guid.NewGuid().ToString("N")[..8];
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, "shared");
        await AwsOkAsync("s3api", "create-bucket", "--bucket", bucket);
        await AwsOkAsync("s3api", "put-object", "--bucket", bucket, "--key", "a.txt", "--body", file);
        await AwsOkAsync("s3api", "put-bucket-ownership-controls", "--bucket", bucket, "--ownership-controls",
            "Rules=[{ObjectOwnership=ObjectWriter}]");
        var before = await Clients.AwsAsAsync(Server, key, secret, "s3api", "get-object", "--bucket", bucket, "--key", "a.txt",
            "/dev/null");

        await AwsOkAsync("s3api", "put-object-acl", "--bucket", bucket, "--key", "a.txt", "--grant-read", $"id={other}");
        var acl = JsonDocument.Parse((await AwsOkAsync("s3api", "get-object-acl", "--bucket", bucket, "--key", "a.txt")).Stdout)
            .RootElement;
        var read = await Clients.AwsAsAsync(Server, key, secret, "s3", "cp", $"s3://{bucket}/a.txt", "-");
        var readAcl = await Clients.AwsAsAsync(Server, key, secret, "s3api", "get-object-acl", "--bucket", bucket,
            "--key", "a.txt");
        var write = await Clients.AwsAsAsync(Server, key, secret, "s3api", "put-object", "--bucket", bucket, "--key", "b.txt",
            "--body", file);
        await AwsOkAsync("s3api", "put-bucket-acl", "--bucket", bucket, "--grant-write", $"id={other}");
        var written = await Clients.AwsAsAsync(Server, key, secret, "s3api", "put-object", "--bucket", bucket, "--key",
            "b.txt", "--body", file);
        var publicGrant = await Clients.AwsAsync(Server, "s3api", "put-object-acl", "--bucket", bucket, "--key", "a.txt",
            "--grant-read", "uri=http://acs.amazonaws.com/groups/global/AllUsers");
        File.Delete(file);

        Assert.Contains("(AccessDenied) when calling the GetObject operation", before.Stderr);
        var grant = Assert.Single(acl.GetProperty("Grants").EnumerateArray());
        Assert.Equal(other, grant.GetProperty("Grantee").GetProperty("ID").GetString());
        Assert.Equal("CanonicalUser", grant.GetProperty("Grantee").GetProperty("Type").GetString());
        Assert.Equal("READ", grant.GetProperty("Permission").GetString());
        Assert.True(read.ExitCode == 0, read.ToString());
        Assert.Equal("shared", read.Stdout);
        Assert.Contains("(AccessDenied)", readAcl.Stderr);
        Assert.Contains("(AccessDenied)", write.Stderr);
        Assert.True(written.ExitCode == 0, written.ToString());
        Assert.Contains("(AccessDenied)", publicGrant.Stderr);
    }

    [Fact]
    public async Task PutBucketAcl_AccessControlPolicyBody_Boto3RoundTrip()
    {
        var result = await Clients.PythonAsync(Server, """
            import os, json, uuid, boto3, botocore
            E = os.environ['ENDPOINT']
            s3 = boto3.client('s3', endpoint_url=E, region_name='us-east-1')
            def err(f):
                try:
                    f(); return None
                except botocore.exceptions.ClientError as e:
                    return e.response['Error']['Code']
            out = {}
            bucket = 'it-aclb-' + uuid.uuid4().hex[:8]
            s3.create_bucket(Bucket=bucket)
            s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={'Rules': [{'ObjectOwnership': 'BucketOwnerPreferred'}]})
            owner = s3.get_bucket_acl(Bucket=bucket)['Owner']
            s3.put_bucket_acl(Bucket=bucket, AccessControlPolicy={'Owner': owner, 'Grants': [
                {'Grantee': {'Type': 'CanonicalUser', 'ID': owner['ID']}, 'Permission': 'FULL_CONTROL'},
                {'Grantee': {'Type': 'CanonicalUser', 'ID': '111122223333'}, 'Permission': 'READ_ACP'},
                {'Grantee': {'Type': 'Group', 'URI': 'http://acs.amazonaws.com/groups/s3/LogDelivery'}, 'Permission': 'WRITE'}]})
            out['grants'] = s3.get_bucket_acl(Bucket=bucket)['Grants']
            out['public'] = err(lambda: s3.put_bucket_acl(Bucket=bucket, AccessControlPolicy={'Owner': owner, 'Grants': [
                {'Grantee': {'Type': 'Group', 'URI': 'http://acs.amazonaws.com/groups/global/AllUsers'}, 'Permission': 'READ'}]}))
            out['bad_id'] = err(lambda: s3.put_bucket_acl(Bucket=bucket, GrantRead='id="not-an-account"'))
            out['email'] = err(lambda: s3.put_bucket_acl(Bucket=bucket, GrantRead='emailAddress="a@example.com"'))
            out['enforce'] = err(lambda: s3.put_bucket_ownership_controls(Bucket=bucket,
                OwnershipControls={'Rules': [{'ObjectOwnership': 'BucketOwnerEnforced'}]}))
            s3.put_bucket_acl(Bucket=bucket, ACL='private')
            s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={'Rules': [{'ObjectOwnership': 'BucketOwnerEnforced'}]})
            out['after'] = s3.get_bucket_acl(Bucket=bucket)['Grants']
            print(json.dumps(out))
            """);

        Assert.True(result.ExitCode == 0, result.ToString());
        var r = JsonDocument.Parse(result.Stdout).RootElement;
        var grants = r.GetProperty("grants");
        Assert.Equal(3, grants.GetArrayLength());
        Assert.Equal("READ_ACP", grants[1].GetProperty("Permission").GetString());
        Assert.Equal("111122223333", grants[1].GetProperty("Grantee").GetProperty("ID").GetString());
        Assert.Equal("Group", grants[2].GetProperty("Grantee").GetProperty("Type").GetString());
        Assert.Equal("http://acs.amazonaws.com/groups/s3/LogDelivery", grants[2].GetProperty("Grantee").GetProperty("URI").GetString());
        Assert.Equal("AccessDenied", r.GetProperty("public").GetString());
        Assert.Equal("InvalidArgument", r.GetProperty("bad_id").GetString());
        Assert.Equal("UnresolvableGrantByEmailAddress", r.GetProperty("email").GetString());
        Assert.Equal("InvalidBucketAclWithObjectOwnership", r.GetProperty("enforce").GetString());
        Assert.Equal("FULL_CONTROL", Assert.Single(r.GetProperty("after").EnumerateArray()).GetProperty("Permission").GetString());
    }

    [Fact]
    public async Task ExpectedBucketOwner_OtherAccount_AccessDeniedAndNothingWritten()
    {
        var bucket = "it-owner-" + Guid.NewGuid().ToString("N")[..8];
        var owner = (await AwsOkAsync("sts", "get-caller-identity", "--query", "Account", "--output", "text")).Stdout.Trim();
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, "owned");
        await AwsOkAsync("s3api", "create-bucket", "--bucket", bucket);

        var wrong = await Clients.AwsAsync(Server, "s3api", "put-object", "--bucket", bucket, "--key", "a", "--body", file,
            "--expected-bucket-owner", "999999999999");
        var absent = await Clients.AwsAsync(Server, "s3api", "head-object", "--bucket", bucket, "--key", "a");
        await AwsOkAsync("s3api", "put-object", "--bucket", bucket, "--key", "a", "--body", file,
            "--expected-bucket-owner", owner);
        var copyWrongSource = await Clients.AwsAsync(Server, "s3api", "copy-object", "--bucket", bucket, "--key", "b",
            "--copy-source", $"{bucket}/a", "--expected-source-bucket-owner", "999999999999");
        await AwsOkAsync("s3api", "copy-object", "--bucket", bucket, "--key", "b", "--copy-source", $"{bucket}/a",
            "--expected-source-bucket-owner", owner, "--expected-bucket-owner", owner);
        var list = await Clients.AwsAsync(Server, "s3api", "list-objects-v2", "--bucket", bucket,
            "--expected-bucket-owner", "999999999999");
        File.Delete(file);

        Assert.Equal(254, wrong.ExitCode);
        Assert.Contains("(AccessDenied) when calling the PutObject operation", wrong.Stderr);
        Assert.Contains(": Access Denied", wrong.Stderr);
        Assert.Contains("(404)", absent.Stderr);
        Assert.Contains("(AccessDenied) when calling the CopyObject operation", copyWrongSource.Stderr);
        Assert.Contains("(AccessDenied) when calling the ListObjectsV2 operation", list.Stderr);
        await AwsOkAsync("s3api", "head-object", "--bucket", bucket, "--key", "b");
    }

    [Fact]
    public async Task PutObject_GrantHeaders_StoredWithTheNewVersion()
    {
        var (key, secret, other) = await OtherAccountAsync();
        var bucket = "it-aclput-" + Guid.NewGuid().ToString("N")[..8];
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, "granted at write");
        await AwsOkAsync("s3api", "create-bucket", "--bucket", bucket);
        await AwsOkAsync("s3api", "put-bucket-ownership-controls", "--bucket", bucket, "--ownership-controls",
            "Rules=[{ObjectOwnership=ObjectWriter}]");

        await AwsOkAsync("s3api", "put-object", "--bucket", bucket, "--key", "g.txt", "--body", file,
            "--grant-read", $"id={other}");
        var acl = JsonDocument.Parse((await AwsOkAsync("s3api", "get-object-acl", "--bucket", bucket, "--key", "g.txt")).Stdout)
            .RootElement.GetProperty("Grants");
        var read = await Clients.AwsAsAsync(Server, key, secret, "s3", "cp", $"s3://{bucket}/g.txt", "-");
        // An overwrite without grants is the owner's alone again.
        await AwsOkAsync("s3api", "put-object", "--bucket", bucket, "--key", "g.txt", "--body", file);
        var after = await Clients.AwsAsAsync(Server, key, secret, "s3", "cp", $"s3://{bucket}/g.txt", "-");
        File.Delete(file);

        Assert.Contains(acl.EnumerateArray(), g => g.GetProperty("Permission").GetString() == "READ"
            && g.GetProperty("Grantee").GetProperty("ID").GetString() == other);
        Assert.True(read.ExitCode == 0, read.ToString());
        Assert.Equal("granted at write", read.Stdout);
        Assert.NotEqual(0, after.ExitCode);
        Assert.Contains("403", after.Stderr);
    }

    [Fact]
    public async Task VersionedObject_EachVersionsAclDecidesAccessToThatVersion()
    {
        var (key, secret, other) = await OtherAccountAsync();
        var bucket = "it-aclver-" + Guid.NewGuid().ToString("N")[..8];
        var mine = "it-aclvero-" + Guid.NewGuid().ToString("N")[..8];
        var one = Path.GetTempFileName();
        var two = Path.GetTempFileName();
        await File.WriteAllTextAsync(one, "one");
        await File.WriteAllTextAsync(two, "two");
        await AwsOkAsync("s3api", "create-bucket", "--bucket", bucket);
        await AwsOkAsync("s3api", "put-bucket-versioning", "--bucket", bucket, "--versioning-configuration", "Status=Enabled");
        await AwsOkAsync("s3api", "put-bucket-ownership-controls", "--bucket", bucket, "--ownership-controls",
            "Rules=[{ObjectOwnership=ObjectWriter}]");
        var v1 = JsonDocument.Parse((await AwsOkAsync("s3api", "put-object", "--bucket", bucket, "--key", "v.txt", "--body", one,
            "--grant-read", $"id={other}")).Stdout).RootElement.GetProperty("VersionId").GetString()!;
        var v2 = JsonDocument.Parse((await AwsOkAsync("s3api", "put-object", "--bucket", bucket, "--key", "v.txt", "--body", two))
            .Stdout).RootElement.GetProperty("VersionId").GetString()!;
        var output = Path.GetTempFileName();
        var absent = v2[..^1] + (v2[^1] == 'A' ? 'B' : 'A'); // well formed, never written
        Task<Clients.Result> AsOther(params string[] args) => Clients.AwsAsAsync(Server, key, secret, args);

        var oldRead = await AsOther("s3api", "get-object", "--bucket", bucket, "--key", "v.txt", "--version-id", v1, output);
        var oldBody = await File.ReadAllTextAsync(output);
        var currentRead = await AsOther("s3api", "get-object", "--bucket", bucket, "--key", "v.txt", "--version-id", v2, output);
        var latestRead = await AsOther("s3api", "get-object", "--bucket", bucket, "--key", "v.txt", output);
        var oldHead = await AsOther("s3api", "head-object", "--bucket", bucket, "--key", "v.txt", "--version-id", v1);
        var currentHead = await AsOther("s3api", "head-object", "--bucket", bucket, "--key", "v.txt", "--version-id", v2);
        // A version that does not exist grants nothing: refused as a missing key is, while the owner learns it is missing.
        var missingHead = await AsOther("s3api", "head-object", "--bucket", bucket, "--key", "v.txt", "--version-id", absent);
        var missingGet = await AsOther("s3api", "get-object", "--bucket", bucket, "--key", "v.txt", "--version-id", absent, output);
        var ownerMissing = await Clients.AwsAsync(Server, "s3api", "get-object", "--bucket", bucket, "--key", "v.txt",
            "--version-id", absent, output);
        await AsOther("s3api", "create-bucket", "--bucket", mine);
        var copyOld = await AsOther("s3api", "copy-object", "--bucket", mine, "--key", "c.txt", "--copy-source",
            $"{bucket}/v.txt?versionId={v1}");
        var copyCurrent = await AsOther("s3api", "copy-object", "--bucket", mine, "--key", "c.txt", "--copy-source",
            $"{bucket}/v.txt?versionId={v2}");

        await AwsOkAsync("s3api", "put-object-acl", "--bucket", bucket, "--key", "v.txt", "--version-id", v2,
            "--grant-read", $"id={other}");
        var latestGranted = await AsOther("s3", "cp", $"s3://{bucket}/v.txt", "-");
        await AwsOkAsync("s3api", "put-object-acl", "--bucket", bucket, "--key", "v.txt", "--version-id", v1,
            "--grant-read-acp", $"id={other}");
        var oldAcl = await AsOther("s3api", "get-object-acl", "--bucket", bucket, "--key", "v.txt", "--version-id", v1);
        var latestAcl = await AsOther("s3api", "get-object-acl", "--bucket", bucket, "--key", "v.txt");
        var oldReadAfter = await AsOther("s3api", "get-object", "--bucket", bucket, "--key", "v.txt", "--version-id", v1, output);
        var ownerAclOfV2 = JsonDocument.Parse((await AwsOkAsync("s3api", "get-object-acl", "--bucket", bucket, "--key", "v.txt",
            "--version-id", v2)).Stdout).RootElement.GetProperty("Grants");
        File.Delete(one);
        File.Delete(two);
        File.Delete(output);

        Assert.True(oldRead.ExitCode == 0, oldRead.ToString());
        Assert.Equal("one", oldBody);
        Assert.Contains("(AccessDenied) when calling the GetObject operation", currentRead.Stderr);
        Assert.Contains("(AccessDenied) when calling the GetObject operation", latestRead.Stderr);
        Assert.True(oldHead.ExitCode == 0, oldHead.ToString());
        Assert.Equal(v1, JsonDocument.Parse(oldHead.Stdout).RootElement.GetProperty("VersionId").GetString());
        Assert.Contains("(403) when calling the HeadObject operation", currentHead.Stderr);
        Assert.Contains("(403) when calling the HeadObject operation", missingHead.Stderr);
        Assert.Contains("(AccessDenied) when calling the GetObject operation", missingGet.Stderr);
        Assert.Contains("(NoSuchVersion) when calling the GetObject operation", ownerMissing.Stderr);
        Assert.True(copyOld.ExitCode == 0, copyOld.ToString());
        Assert.Contains("(AccessDenied) when calling the CopyObject operation", copyCurrent.Stderr);
        Assert.True(latestGranted.ExitCode == 0, latestGranted.ToString());
        Assert.Equal("two", latestGranted.Stdout);
        Assert.True(oldAcl.ExitCode == 0, oldAcl.ToString());
        Assert.Equal("READ_ACP", Assert.Single(JsonDocument.Parse(oldAcl.Stdout).RootElement.GetProperty("Grants").EnumerateArray())
            .GetProperty("Permission").GetString());
        Assert.Contains("(AccessDenied) when calling the GetObjectAcl operation", latestAcl.Stderr);
        Assert.Contains("(AccessDenied) when calling the GetObject operation", oldReadAfter.Stderr);
        Assert.Equal(other, Assert.Single(ownerAclOfV2.EnumerateArray()).GetProperty("Grantee").GetProperty("ID").GetString());
    }

    [Fact]
    public async Task HeadBucket_OtherAccountRefused_StillNamesTheBucketsRegion()
    {
        var (key, secret, _) = await OtherAccountAsync();
        var bucket = "it-aclhb-" + Guid.NewGuid().ToString("N")[..8];
        await AwsOkAsync("s3api", "create-bucket", "--bucket", bucket, "--region", "eu-west-1",
            "--create-bucket-configuration", "LocationConstraint=eu-west-1");

        var o = await S3Py.RunAsync(Server, $$"""
            other = client('eu-west-1', '{{key}}', '{{secret}}')
            try:
                other.head_bucket(Bucket='{{bucket}}')
            except botocore.exceptions.ClientError as e:
                out['status'] = e.response['ResponseMetadata']['HTTPStatusCode']
                out['region'] = e.response['ResponseMetadata']['HTTPHeaders'].get('x-amz-bucket-region')
            try:
                other.head_bucket(Bucket='{{bucket}}-missing')
            except botocore.exceptions.ClientError as e:
                out['missing'] = [e.response['ResponseMetadata']['HTTPStatusCode'],
                                  e.response['ResponseMetadata']['HTTPHeaders'].get('x-amz-bucket-region')]
            """);

        Assert.Equal(403, o.GetProperty("status").GetInt32());
        Assert.Equal("eu-west-1", o.Str("region"));
        Assert.Equal(404, o.GetProperty("missing")[0].GetInt32());
        Assert.Equal(JsonValueKind.Null, o.GetProperty("missing")[1].ValueKind);
    }

    [Fact]
    public async Task MultipartUpload_GrantHeaders_StoredWithTheCompletedObject()
    {
        var (key, secret, other) = await OtherAccountAsync();
        var bucket = "it-aclmp-" + Guid.NewGuid().ToString("N")[..8];
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, "one part");
        await AwsOkAsync("s3api", "create-bucket", "--bucket", bucket);
        await AwsOkAsync("s3api", "put-bucket-ownership-controls", "--bucket", bucket, "--ownership-controls",
            "Rules=[{ObjectOwnership=ObjectWriter}]");

        var upload = JsonDocument.Parse((await AwsOkAsync("s3api", "create-multipart-upload", "--bucket", bucket,
            "--key", "mp.txt", "--grant-read", $"id={other}")).Stdout).RootElement.GetProperty("UploadId").GetString()!;
        var etag = JsonDocument.Parse((await AwsOkAsync("s3api", "upload-part", "--bucket", bucket, "--key", "mp.txt",
            "--upload-id", upload, "--part-number", "1", "--body", file)).Stdout).RootElement.GetProperty("ETag").GetString();
        var before = await Clients.AwsAsAsync(Server, key, secret, "s3", "cp", $"s3://{bucket}/mp.txt", "-");
        await AwsOkAsync("s3api", "complete-multipart-upload", "--bucket", bucket, "--key", "mp.txt", "--upload-id", upload,
            "--multipart-upload", $"Parts=[{{PartNumber=1,ETag={etag}}}]");
        var read = await Clients.AwsAsAsync(Server, key, secret, "s3", "cp", $"s3://{bucket}/mp.txt", "-");
        var enforced = "it-aclmpe-" + Guid.NewGuid().ToString("N")[..8];
        await AwsOkAsync("s3api", "create-bucket", "--bucket", enforced);
        var refused = await Clients.AwsAsync(Server, "s3api", "create-multipart-upload", "--bucket", enforced, "--key", "x",
            "--grant-read", $"id={other}");
        File.Delete(file);

        Assert.NotEqual(0, before.ExitCode);
        Assert.True(read.ExitCode == 0, read.ToString());
        Assert.Equal("one part", read.Stdout);
        Assert.Contains("(AccessControlListNotSupported) when calling the CreateMultipartUpload operation", refused.Stderr);
    }
}
