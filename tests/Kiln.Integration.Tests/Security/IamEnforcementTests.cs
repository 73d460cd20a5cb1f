using System.Text.Json;

namespace Kiln.Integration.Tests.Security;

/// <summary>IAM enforced on every request, through the aws CLI and boto3 (issue 4, "Done when").</summary>
public sealed class IamEnforcementTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private KilnServer Server => fixture.Server;

    private static string Unique(string prefix) => prefix + Guid.NewGuid().ToString("N")[..8];

    /// <summary>Creates a user with an access key as root; returns (arn, key id, secret).</summary>
    private async Task<(string Arn, string KeyId, string Secret)> NewUserAsync(string name)
    {
        var created = await Clients.AwsAsync(Server, "iam", "create-user", "--user-name", name);
        Assert.True(created.ExitCode == 0, created.ToString());
        var key = await Clients.AwsAsync(Server, "iam", "create-access-key", "--user-name", name);
        Assert.True(key.ExitCode == 0, key.ToString());
        using var user = JsonDocument.Parse(created.Stdout);
        using var k = JsonDocument.Parse(key.Stdout);
        return (user.RootElement.GetProperty("User").GetProperty("Arn").GetString()!,
            k.RootElement.GetProperty("AccessKey").GetProperty("AccessKeyId").GetString()!,
            k.RootElement.GetProperty("AccessKey").GetProperty("SecretAccessKey").GetString()!);
    }

    [Fact]
    public async Task NewUser_WithoutPolicy_IsDeniedEverything_ButKnowsWhoItIs()
    {
        var name = Unique("nopolicy");
        var (arn, keyId, secret) = await NewUserAsync(name);

        var s3 = await Clients.AwsAsAsync(Server, keyId, secret, "s3api", "list-buckets");
        var iam = await Clients.AwsAsAsync(Server, keyId, secret, "iam", "get-user", "--user-name", name);
        var who = await Clients.AwsAsAsync(Server, keyId, secret, "sts", "get-caller-identity");

        Assert.NotEqual(0, s3.ExitCode);
        Assert.Contains("(AccessDenied)", s3.Stderr);
        Assert.Contains($"User: {arn} is not authorized to perform: s3:ListAllMyBuckets because no identity-based policy allows the s3:ListAllMyBuckets action", s3.Stderr);
        Assert.NotEqual(0, iam.ExitCode);
        Assert.Contains($"User: {arn} is not authorized to perform: iam:GetUser on resource: {arn} because no identity-based policy allows the iam:GetUser action", iam.Stderr);
        Assert.True(who.ExitCode == 0, who.ToString());
        Assert.Contains(arn, who.Stdout);
    }

    [Fact]
    public async Task GetObjectPolicy_OnTeamPrefix_AllowsThereAndNowhereElse()
    {
        var result = await Clients.PythonAsync(Server, Prelude + """
            bucket = uniq('data')
            root_s3.create_bucket(Bucket=bucket)
            root_s3.put_object(Bucket=bucket, Key='team-a/x.csv', Body=b'a,1')
            root_s3.put_object(Bucket=bucket, Key='team-b/y.csv', Body=b'b,2')
            s3, arn = new_user({'Version': '2012-10-17', 'Statement': [
                {'Effect': 'Allow', 'Action': 's3:GetObject', 'Resource': 'arn:aws:s3:::%s/team-a/*' % bucket}]})
            out['ok'] = s3.get_object(Bucket=bucket, Key='team-a/x.csv')['Body'].read().decode()
            out['other'] = err(lambda: s3.get_object(Bucket=bucket, Key='team-b/y.csv'))
            out['put'] = err(lambda: s3.put_object(Bucket=bucket, Key='team-a/z.csv', Body=b'z'))
            out['arn'] = arn
            out['bucket'] = bucket
            print(json.dumps(out))
            """);

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Stdout);
        var r = json.RootElement;
        var arn = r.GetProperty("arn").GetString();
        var bucket = r.GetProperty("bucket").GetString();
        Assert.Equal("a,1", r.GetProperty("ok").GetString());
        Assert.Equal("AccessDenied", r.GetProperty("other").GetProperty("Code").GetString());
        Assert.Equal($"User: {arn} is not authorized to perform: s3:GetObject on resource: \"arn:aws:s3:::{bucket}/team-b/y.csv\" because no identity-based policy allows the s3:GetObject action",
            r.GetProperty("other").GetProperty("Message").GetString());
        Assert.Equal("AccessDenied", r.GetProperty("put").GetProperty("Code").GetString());
    }

    [Fact]
    public async Task ExplicitDeny_BeatsAdministratorAccess()
    {
        var result = await Clients.PythonAsync(Server, Prelude + """
            bucket = uniq('deny')
            root_s3.create_bucket(Bucket=bucket)
            root_s3.put_object(Bucket=bucket, Key='secret/k', Body=b's')
            root_s3.put_object(Bucket=bucket, Key='public/k', Body=b'p')
            s3, arn = new_user({'Version': '2012-10-17', 'Statement': [
                {'Effect': 'Deny', 'Action': 's3:*', 'Resource': 'arn:aws:s3:::%s/secret/*' % bucket}]},
                attach='arn:aws:iam::aws:policy/AdministratorAccess')
            out['public'] = s3.get_object(Bucket=bucket, Key='public/k')['Body'].read().decode()
            out['secret'] = err(lambda: s3.get_object(Bucket=bucket, Key='secret/k'))
            print(json.dumps(out))
            """);

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.Equal("p", json.RootElement.GetProperty("public").GetString());
        var secret = json.RootElement.GetProperty("secret");
        Assert.Equal("AccessDenied", secret.GetProperty("Code").GetString());
        Assert.EndsWith("with an explicit deny in an identity-based policy", secret.GetProperty("Message").GetString());
    }

    [Fact]
    public async Task AssumeRole_ReturnsWorkingCredentials_AndWrongExternalIdIsDenied()
    {
        var who = await Clients.AwsAsync(Server, "sts", "get-caller-identity");
        using var whoJson = JsonDocument.Parse(who.Stdout);
        var account = whoJson.RootElement.GetProperty("Account").GetString();
        var role = Unique("reader");
        var trust = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::ACCOUNT:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"ext-1"}}}]}"""
            .Replace("ACCOUNT", account, StringComparison.Ordinal);
        var created = await Clients.AwsAsync(Server, "iam", "create-role", "--role-name", role, "--assume-role-policy-document", trust);
        Assert.True(created.ExitCode == 0, created.ToString());
        var roleArn = $"arn:aws:iam::{account}:role/{role}";

        var wrong = await Clients.AwsAsync(Server, "sts", "assume-role", "--role-arn", roleArn, "--role-session-name", "sess",
            "--external-id", "nope");
        var assumed = await Clients.AwsAsync(Server, "sts", "assume-role", "--role-arn", roleArn, "--role-session-name", "sess",
            "--external-id", "ext-1", "--duration-seconds", "900");

        Assert.NotEqual(0, wrong.ExitCode);
        Assert.Contains("(AccessDenied)", wrong.Stderr);
        Assert.Contains($"is not authorized to perform: sts:AssumeRole on resource: {roleArn}", wrong.Stderr);
        Assert.True(assumed.ExitCode == 0, assumed.ToString());
        using var json = JsonDocument.Parse(assumed.Stdout);
        var creds = json.RootElement.GetProperty("Credentials");
        var expiration = DateTimeOffset.Parse(creds.GetProperty("Expiration").GetString()!);
        Assert.InRange(expiration - DateTimeOffset.UtcNow, TimeSpan.FromSeconds(840), TimeSpan.FromSeconds(905));
        Assert.StartsWith("ASIA", creds.GetProperty("AccessKeyId").GetString());

        var session = await Clients.AwsWithSessionAsync(Server, creds, "sts", "get-caller-identity");
        var noToken = await Clients.AwsAsAsync(Server, creds.GetProperty("AccessKeyId").GetString()!,
            creds.GetProperty("SecretAccessKey").GetString()!, "sts", "get-caller-identity");

        Assert.True(session.ExitCode == 0, session.ToString());
        Assert.Contains($"arn:aws:sts::{account}:assumed-role/{role}/sess", session.Stdout);
        Assert.NotEqual(0, noToken.ExitCode);
    }

    /// <summary>boto3 helpers: root clients, and a new user with an inline (and optionally an
    /// attached) policy, returned as an S3 client signed with the user's key.</summary>
    private const string Prelude = """
        import os, json, uuid, boto3, botocore
        E = os.environ['ENDPOINT']
        def uniq(p): return p + uuid.uuid4().hex[:8]
        def client(svc, key=None, secret=None):
            kw = {'endpoint_url': E, 'region_name': 'us-east-1'}
            if key: kw.update(aws_access_key_id=key, aws_secret_access_key=secret)
            return boto3.client(svc, **kw)
        root_s3 = client('s3'); root_iam = client('iam')
        def new_user(policy, attach=None):
            name = uniq('u')
            arn = root_iam.create_user(UserName=name)['User']['Arn']
            root_iam.put_user_policy(UserName=name, PolicyName='p', PolicyDocument=json.dumps(policy))
            if attach: root_iam.attach_user_policy(UserName=name, PolicyArn=attach)
            k = root_iam.create_access_key(UserName=name)['AccessKey']
            return client('s3', k['AccessKeyId'], k['SecretAccessKey']), arn
        def err(f):
            try:
                f(); return None
            except botocore.exceptions.ClientError as e:
                return {'Code': e.response['Error']['Code'], 'Message': e.response['Error'].get('Message')}
        out = {}

        """;
}
