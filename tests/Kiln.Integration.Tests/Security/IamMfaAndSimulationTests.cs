using System.Text.Json;

namespace Kiln.Integration.Tests.Security;

/// <summary>Virtual MFA, MFA-protected STS, policy simulation, permissions boundaries, pagination and
/// AWS managed policies, through boto3 and the aws CLI (issue 4). TOTP codes are computed in the
/// scripts from the seed the server returned, as an authenticator app would.</summary>
public sealed class IamMfaAndSimulationTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private KilnServer Server => fixture.Server;

    private const string Prelude = """
        import os, json, uuid, time, hmac, hashlib, struct, base64, boto3, botocore
        E = os.environ['ENDPOINT']
        def uniq(p): return p + uuid.uuid4().hex[:8]
        def client(svc, key=None, secret=None, token=None):
            kw = {'endpoint_url': E, 'region_name': 'us-east-1'}
            if key: kw.update(aws_access_key_id=key, aws_secret_access_key=secret, aws_session_token=token)
            return boto3.client(svc, **kw)
        def totp(seed_b32, step):
            key = base64.b32decode(seed_b32 + '=' * (-len(seed_b32) % 8))
            h = hmac.new(key, struct.pack('>Q', step), hashlib.sha1).digest()
            o = h[-1] & 0x0F
            return '%06d' % ((struct.unpack('>I', h[o:o + 4])[0] & 0x7FFFFFFF) % 1000000)
        def now_step(): return int(time.time()) // 30
        def err(f):
            try:
                f(); return None
            except botocore.exceptions.ClientError as e:
                return {'Code': e.response['Error']['Code'], 'Message': e.response['Error'].get('Message'),
                        'Status': e.response['ResponseMetadata']['HTTPStatusCode']}
        iam = client('iam')
        account = client('sts').get_caller_identity()['Account']
        out = {}

        """;

    private static JsonElement Run(Clients.Result result)
    {
        Assert.True(result.ExitCode == 0, result.ToString());
        return JsonDocument.Parse(result.Stdout).RootElement.Clone();
    }

    [Fact]
    public async Task VirtualMfa_EnableWithTotp_ProtectsGetSessionTokenAndAssumeRole()
    {
        var r = Run(await Clients.PythonAsync(Server, Prelude + """
            name = uniq('mfauser')
            iam.create_user(UserName=name)
            iam.put_user_policy(UserName=name, PolicyName='p', PolicyDocument=json.dumps({'Version': '2012-10-17',
                'Statement': [{'Effect': 'Allow', 'Action': 'sts:AssumeRole', 'Resource': '*'}]}))
            k = iam.create_access_key(UserName=name)['AccessKey']
            dev = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)['VirtualMFADevice']
            serial = dev['SerialNumber']
            seed = dev['Base32StringSeed'].decode()
            out['serial_ok'] = serial == 'arn:aws:iam::%s:mfa/%s' % (account, name)
            out['seed_len'] = len(seed)
            out['png'] = dev['QRCodePNG'][:8].hex()
            s = now_step()
            out['bad_enable'] = err(lambda: iam.enable_mfa_device(UserName=name, SerialNumber=serial,
                AuthenticationCode1=totp(seed, s + 5), AuthenticationCode2=totp(seed, s + 6)))
            iam.enable_mfa_device(UserName=name, SerialNumber=serial,
                AuthenticationCode1=totp(seed, s - 1), AuthenticationCode2=totp(seed, s))
            listed = iam.list_mfa_devices(UserName=name)['MFADevices']
            out['listed'] = [d['SerialNumber'] for d in listed]
            assigned = iam.list_virtual_mfa_devices(AssignmentStatus='Assigned')['VirtualMFADevices']
            mine = [d for d in assigned if d['SerialNumber'] == serial]
            out['assigned_user'] = mine[0]['User']['UserName']
            out['assigned_has_seed'] = 'Base32StringSeed' in mine[0]
            out['delete_enabled'] = err(lambda: iam.delete_virtual_mfa_device(SerialNumber=serial))

            role = uniq('mfarole')
            trust = {'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow',
                'Principal': {'AWS': 'arn:aws:iam::%s:root' % account}, 'Action': 'sts:AssumeRole',
                'Condition': {'Bool': {'aws:MultiFactorAuthPresent': 'true'}}}]}
            role_arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))['Role']['Arn']
            user_sts = client('sts', k['AccessKeyId'], k['SecretAccessKey'])
            out['wrong_code'] = err(lambda: user_sts.get_session_token(SerialNumber=serial, TokenCode=totp(seed, now_step() + 9)))
            out['wrong_serial'] = err(lambda: user_sts.get_session_token(SerialNumber=serial + 'x', TokenCode=totp(seed, now_step())))
            out['no_mfa_assume'] = err(lambda: user_sts.assume_role(RoleArn=role_arn, RoleSessionName='nomfa'))
            direct = user_sts.assume_role(RoleArn=role_arn, RoleSessionName='direct', SerialNumber=serial, TokenCode=totp(seed, now_step()))
            out['direct_arn'] = direct['AssumedRoleUser']['Arn']
            c = user_sts.get_session_token(SerialNumber=serial, TokenCode=totp(seed, now_step()), DurationSeconds=900)['Credentials']
            mfa_sts = client('sts', c['AccessKeyId'], c['SecretAccessKey'], c['SessionToken'])
            via = mfa_sts.assume_role(RoleArn=role_arn, RoleSessionName='viasession')
            out['via_arn'] = via['AssumedRoleUser']['Arn']

            iam.deactivate_mfa_device(UserName=name, SerialNumber=serial)
            out['after_deactivate'] = iam.list_mfa_devices(UserName=name)['MFADevices']
            iam.delete_virtual_mfa_device(SerialNumber=serial)
            out['deleted'] = err(lambda: iam.delete_virtual_mfa_device(SerialNumber=serial))
            print(json.dumps(out))
            """));

        Assert.True(r.GetProperty("serial_ok").GetBoolean());
        Assert.Equal(32, r.GetProperty("seed_len").GetInt32());
        Assert.Equal("89504e470d0a1a0a", r.GetProperty("png").GetString());
        Assert.Equal("InvalidAuthenticationCode", r.GetProperty("bad_enable").GetProperty("Code").GetString());
        Assert.Equal(403, r.GetProperty("bad_enable").GetProperty("Status").GetInt32());
        Assert.Single(r.GetProperty("listed").EnumerateArray());
        Assert.StartsWith("mfauser", r.GetProperty("assigned_user").GetString());
        Assert.False(r.GetProperty("assigned_has_seed").GetBoolean());
        Assert.Equal("DeleteConflict", r.GetProperty("delete_enabled").GetProperty("Code").GetString());
        Assert.Equal(("AccessDenied", "MultiFactorAuthentication failed with invalid MFA one time pass code."),
            (r.GetProperty("wrong_code").GetProperty("Code").GetString(), r.GetProperty("wrong_code").GetProperty("Message").GetString()));
        Assert.Equal("AccessDenied", r.GetProperty("wrong_serial").GetProperty("Code").GetString());
        Assert.StartsWith("MultiFactorAuthentication failed, unable to validate MFA code.", r.GetProperty("wrong_serial").GetProperty("Message").GetString());
        Assert.Equal("AccessDenied", r.GetProperty("no_mfa_assume").GetProperty("Code").GetString());
        Assert.EndsWith("/direct", r.GetProperty("direct_arn").GetString());
        Assert.EndsWith("/viasession", r.GetProperty("via_arn").GetString());
        Assert.Empty(r.GetProperty("after_deactivate").EnumerateArray());
        Assert.Equal("NoSuchEntity", r.GetProperty("deleted").GetProperty("Code").GetString());
    }

    [Fact]
    public async Task CreateVirtualMfaDevice_CliOutfile_WritesSeedAndPng()
    {
        var name = "cli" + Guid.NewGuid().ToString("N")[..8];
        var dir = Directory.CreateTempSubdirectory("kiln-mfa");
        try
        {
            var seedFile = Path.Combine(dir.FullName, "seed.txt");
            var pngFile = Path.Combine(dir.FullName, "qr.png");
            var seed = await Clients.AwsAsync(Server, "iam", "create-virtual-mfa-device", "--virtual-mfa-device-name", name,
                "--outfile", seedFile, "--bootstrap-method", "Base32StringSeed");
            var png = await Clients.AwsAsync(Server, "iam", "create-virtual-mfa-device", "--virtual-mfa-device-name", name + "b",
                "--path", "/cli/", "--outfile", pngFile, "--bootstrap-method", "QRCodePNG");

            Assert.True(seed.ExitCode == 0, seed.ToString());
            Assert.True(png.ExitCode == 0, png.ToString());
            Assert.Matches("^[A-Z2-7]{32}$", await File.ReadAllTextAsync(seedFile));
            var bytes = await File.ReadAllBytesAsync(pngFile);
            Assert.Equal([0x89, 0x50, 0x4E, 0x47], bytes[..4]);
            Assert.Contains(":mfa/cli/" + name + "b", png.Stdout);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>The QR code is read back by an independent decoder (zbar, Debian package zbar-tools),
    /// which must find the otpauth:// URI authenticator apps expect, with the seed the call returned.</summary>
    [Fact]
    public async Task CreateVirtualMfaDevice_QrCodePng_DecodesToOtpauthUriWithTheSeed()
    {
        const string zbar = "/usr/bin/zbarimg";
        Assert.True(File.Exists(zbar), "zbarimg is missing: install Debian's zbar-tools (test.sh test_packages)");
        var dir = Directory.CreateTempSubdirectory("kiln-qr");
        try
        {
            var png = Path.Combine(dir.FullName, "qr.png");
            var r = Run(await Clients.PythonAsync(Server, Prelude + $$"""
                name = uniq('qr.user@')
                dev = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)['VirtualMFADevice']
                open('{{png}}', 'wb').write(dev['QRCodePNG'])
                print(json.dumps({'name': name, 'account': account, 'seed': dev['Base32StringSeed'].decode()}))
                """));
            var decoded = await Clients.RunAsync(zbar, ["--quiet", "--raw", png], []);

            Assert.True(decoded.ExitCode == 0, decoded.ToString());
            var name = r.GetProperty("name").GetString()!;
            Assert.Equal($"otpauth://totp/{Uri.EscapeDataString(name)}@{r.GetProperty("account").GetString()}?secret={r.GetProperty("seed").GetString()}",
                decoded.Stdout.Trim());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Simulate_CustomAndPrincipal_ReportDecisionsAndMatchedStatements()
    {
        var r = Run(await Clients.PythonAsync(Server, Prelude + """
            doc = json.dumps({'Version': '2012-10-17', 'Statement': [
                {'Sid': 'Read', 'Effect': 'Allow', 'Action': 's3:GetObject', 'Resource': 'arn:aws:s3:::data/*'},
                {'Sid': 'NoSecret', 'Effect': 'Deny', 'Action': 's3:GetObject', 'Resource': 'arn:aws:s3:::data/secret/*'}]}, indent=2)
            res = iam.simulate_custom_policy(PolicyInputList=[doc], ActionNames=['s3:GetObject', 's3:PutObject'],
                ResourceArns=['arn:aws:s3:::data/a', 'arn:aws:s3:::data/secret/b'])['EvaluationResults']
            out['custom'] = [(x['EvalActionName'], x['EvalResourceName'], x['EvalDecision'],
                [m['SourcePolicyId'] for m in x['MatchedStatements']]) for x in res]
            out['pos'] = res[0]['MatchedStatements'][0]['StartPosition']

            name = uniq('simuser')
            arn = iam.create_user(UserName=name)['User']['Arn']
            iam.put_user_policy(UserName=name, PolicyName='mfa-iam', PolicyDocument=json.dumps({'Version': '2012-10-17',
                'Statement': [{'Effect': 'Allow', 'Action': 'iam:*', 'Resource': '*',
                               'Condition': {'Bool': {'aws:MultiFactorAuthPresent': 'true'}}}]}))
            iam.attach_user_policy(UserName=name, PolicyArn='arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess')
            p = iam.simulate_principal_policy(PolicySourceArn=arn, ActionNames=['iam:ListUsers', 's3:ListBucket', 's3:PutObject'])
            out['principal'] = [(x['EvalActionName'], x['EvalDecision'],
                [(m['SourcePolicyId'], m.get('SourcePolicyType')) for m in x['MatchedStatements']],
                x['MissingContextValues']) for x in p['EvaluationResults']]
            with_mfa = iam.simulate_principal_policy(PolicySourceArn=arn, ActionNames=['iam:ListUsers'],
                ContextEntries=[{'ContextKeyName': 'aws:MultiFactorAuthPresent', 'ContextKeyValues': ['true'], 'ContextKeyType': 'boolean'}])
            out['with_mfa'] = with_mfa['EvaluationResults'][0]['EvalDecision']
            out['missing_source'] = err(lambda: iam.simulate_principal_policy(
                PolicySourceArn='arn:aws:iam::%s:user/nobody-%s' % (account, name), ActionNames=['s3:GetObject']))
            out['malformed'] = err(lambda: iam.simulate_custom_policy(PolicyInputList=['{nope'], ActionNames=['s3:GetObject']))
            paged = iam.simulate_custom_policy(PolicyInputList=[doc], ActionNames=['s3:GetObject', 's3:PutObject', 's3:ListBucket'], MaxItems=2)
            rest = iam.simulate_custom_policy(PolicyInputList=[doc], ActionNames=['s3:GetObject', 's3:PutObject', 's3:ListBucket'], Marker=paged['Marker'])
            out['paged'] = [len(paged['EvaluationResults']), paged['IsTruncated'], len(rest['EvaluationResults']), rest['IsTruncated']]
            print(json.dumps(out))
            """));

        var custom = r.GetProperty("custom").EnumerateArray().Select(x => string.Join("|", x.EnumerateArray()
            .Select(v => v.ValueKind == JsonValueKind.Array ? string.Join(",", v.EnumerateArray().Select(s => s.GetString())) : v.GetString()))).ToList();
        Assert.Equal(
        [
            "s3:GetObject|arn:aws:s3:::data/a|allowed|PolicyInputList.1",
            "s3:GetObject|arn:aws:s3:::data/secret/b|explicitDeny|PolicyInputList.1",
            "s3:PutObject|arn:aws:s3:::data/a|implicitDeny|",
            "s3:PutObject|arn:aws:s3:::data/secret/b|implicitDeny|",
        ], custom);
        // json.dumps(indent=2): the first statement's "{" is on line 4, column 5; AWS reports the column after it.
        Assert.Equal((4, 6), (r.GetProperty("pos").GetProperty("Line").GetInt32(), r.GetProperty("pos").GetProperty("Column").GetInt32()));

        var principal = r.GetProperty("principal").EnumerateArray().ToList();
        Assert.Equal(("iam:ListUsers", "implicitDeny"), (principal[0][0].GetString(), principal[0][1].GetString()));
        Assert.Equal(["aws:MultiFactorAuthPresent"], principal[0][3].EnumerateArray().Select(v => v.GetString()));
        Assert.Equal(("s3:ListBucket", "allowed"), (principal[1][0].GetString(), principal[1][1].GetString()));
        Assert.Equal(("AmazonS3ReadOnlyAccess", "aws-managed"), (principal[1][2][0][0].GetString(), principal[1][2][0][1].GetString()));
        Assert.Equal("implicitDeny", principal[2][1].GetString());
        Assert.Equal("allowed", r.GetProperty("with_mfa").GetString());
        Assert.Equal("NoSuchEntity", r.GetProperty("missing_source").GetProperty("Code").GetString());
        Assert.Equal("InvalidInput", r.GetProperty("malformed").GetProperty("Code").GetString());
        Assert.Equal("[2,true,1,false]", r.GetProperty("paged").GetRawText().Replace(" ", "", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PermissionsBoundary_PutAndDelete_OnUserAndRole()
    {
        var r = Run(await Clients.PythonAsync(Server, Prelude + """
            name = uniq('bnd')
            iam.create_user(UserName=name)
            iam.put_user_permissions_boundary(UserName=name, PermissionsBoundary='arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess')
            out['user_set'] = iam.get_user(UserName=name)['User'].get('PermissionsBoundary')
            iam.delete_user_permissions_boundary(UserName=name)
            out['user_cleared'] = 'PermissionsBoundary' in iam.get_user(UserName=name)['User']
            role = uniq('bndrole')
            iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps({'Version': '2012-10-17', 'Statement': [
                {'Effect': 'Allow', 'Principal': {'Service': 'sagemaker.amazonaws.com'}, 'Action': 'sts:AssumeRole'}]}))
            out['missing_policy'] = err(lambda: iam.put_role_permissions_boundary(RoleName=role,
                PermissionsBoundary='arn:aws:iam::%s:policy/none-%s' % (account, role)))
            iam.put_role_permissions_boundary(RoleName=role, PermissionsBoundary='arn:aws:iam::aws:policy/AmazonSageMakerFullAccess')
            out['role_set'] = iam.get_role(RoleName=role)['Role']['PermissionsBoundary']['PermissionsBoundaryArn']
            iam.delete_role_permissions_boundary(RoleName=role)
            out['role_cleared'] = 'PermissionsBoundary' in iam.get_role(RoleName=role)['Role']
            out['missing_user'] = err(lambda: iam.delete_user_permissions_boundary(UserName='nobody-' + name))
            print(json.dumps(out))
            """));

        Assert.Equal("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess", r.GetProperty("user_set").GetProperty("PermissionsBoundaryArn").GetString());
        Assert.Equal("Policy", r.GetProperty("user_set").GetProperty("PermissionsBoundaryType").GetString());
        Assert.False(r.GetProperty("user_cleared").GetBoolean());
        Assert.Equal("NoSuchEntity", r.GetProperty("missing_policy").GetProperty("Code").GetString());
        Assert.Equal("arn:aws:iam::aws:policy/AmazonSageMakerFullAccess", r.GetProperty("role_set").GetString());
        Assert.False(r.GetProperty("role_cleared").GetBoolean());
        Assert.Equal("NoSuchEntity", r.GetProperty("missing_user").GetProperty("Code").GetString());
    }

    [Fact]
    public async Task ListUsers_MaxItemsAndMarker_PageThroughEverything_Boto3PaginatorToo()
    {
        var r = Run(await Clients.PythonAsync(Server, Prelude + """
            prefix = '/' + uniq('page') + '/'
            names = sorted(uniq('pu') for _ in range(5))
            for n in names: iam.create_user(UserName=n, Path=prefix)
            first = iam.list_users(PathPrefix=prefix, MaxItems=2)
            second = iam.list_users(PathPrefix=prefix, MaxItems=2, Marker=first['Marker'])
            third = iam.list_users(PathPrefix=prefix, MaxItems=2, Marker=second['Marker'])
            out['pages'] = [[u['UserName'] for u in p['Users']] for p in (first, second, third)]
            out['truncated'] = [first['IsTruncated'], second['IsTruncated'], third['IsTruncated'], 'Marker' in third]
            out['names'] = names
            pag = iam.get_paginator('list_users').paginate(PathPrefix=prefix, PaginationConfig={'PageSize': 1})
            out['paginated'] = [u['UserName'] for page in pag for u in page['Users']]
            out['bad_marker'] = err(lambda: iam.list_users(PathPrefix=prefix, Marker='bm9wZQ=='))
            out['bad_max'] = err(lambda: iam.list_users(MaxItems=1001))
            print(json.dumps(out))
            """));

        var names = r.GetProperty("names").EnumerateArray().Select(n => n.GetString()).ToList();
        var pages = r.GetProperty("pages").EnumerateArray().Select(p => p.EnumerateArray().Select(n => n.GetString()).ToList()).ToList();
        Assert.Equal(names, pages.SelectMany(p => p));
        Assert.Equal([2, 2, 1], pages.Select(p => p.Count));
        Assert.Equal("[true,true,false,false]", r.GetProperty("truncated").GetRawText().Replace(" ", "", StringComparison.Ordinal));
        Assert.Equal(names, r.GetProperty("paginated").EnumerateArray().Select(n => n.GetString()));
        Assert.Equal(("ValidationError", "Invalid Marker."),
            (r.GetProperty("bad_marker").GetProperty("Code").GetString(), r.GetProperty("bad_marker").GetProperty("Message").GetString()));
        Assert.Equal(("ValidationError", "1 validation error detected: Value '1001' at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 1000"),
            (r.GetProperty("bad_max").GetProperty("Code").GetString(), r.GetProperty("bad_max").GetProperty("Message").GetString()));
    }

    [Fact]
    public async Task AwsManagedPolicies_RealDocuments_AreServed()
    {
        var glue = await Clients.AwsAsync(Server, "iam", "get-policy", "--policy-arn", "arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole");
        var doc = await Clients.AwsAsync(Server, "iam", "get-policy-version", "--policy-arn", "arn:aws:iam::aws:policy/AmazonKinesisFullAccess",
            "--version-id", "v1");
        var list = await Clients.AwsAsync(Server, "iam", "list-policies", "--scope", "AWS", "--path-prefix", "/service-role/");

        Assert.True(glue.ExitCode == 0, glue.ToString());
        Assert.Contains("\"Path\": \"/service-role/\"", glue.Stdout);
        Assert.True(doc.ExitCode == 0, doc.ToString());
        Assert.Contains("\"kinesis:*\"", doc.Stdout);
        Assert.Contains("AWSGlueServiceRole", list.Stdout);
        Assert.DoesNotContain("AdministratorAccess", list.Stdout);
    }
}
