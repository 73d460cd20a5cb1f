namespace Kiln.Integration.Tests;

/// <summary>One server shared by the tests of a class that only read or add their own state.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public KilnServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await KilnServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>Python helpers the tests paste in front of their scripts: a raw request signed by
/// botocore's own SigV4 signer and sent with urllib, printing status, headers and body as JSON.</summary>
public static class Py
{
    public const string Signed = """
        import os, sys, json, urllib.request, urllib.error
        from botocore.auth import SigV4Auth, S3SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        E = os.environ['ENDPOINT']
        def creds():
            return Credentials(os.environ['AWS_ACCESS_KEY_ID'], os.environ['AWS_SECRET_ACCESS_KEY'])
        def send(service, method, path, body=b'', headers=None, sign=True, signer=SigV4Auth):
            url = E + path
            req = AWSRequest(method=method, url=url, data=body, headers=headers or {})
            if sign:
                signer(creds(), service, 'us-east-1').add_auth(req)
            return raw(method, url, body, dict(req.headers))
        def raw(method, url, body=b'', headers=None):
            r = urllib.request.Request(url, data=body if body else None, method=method, headers=headers or {})
            try:
                resp = urllib.request.urlopen(r)
                out = (resp.status, dict(resp.headers), resp.read().decode('utf-8', 'replace'))
            except urllib.error.HTTPError as e:
                out = (e.code, dict(e.headers), e.read().decode('utf-8', 'replace'))
            print(json.dumps({'status': out[0], 'headers': out[1], 'body': out[2]}))

        """;
}
