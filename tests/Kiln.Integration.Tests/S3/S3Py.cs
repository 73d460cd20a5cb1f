using System.Text.Json;

namespace Kiln.Integration.Tests.S3;

/// <summary>boto3 scripts for the S3 tests: a client on the test server, and <c>err(...)</c> that
/// returns [Code, HTTP status, Message] of a ClientError (None when the call succeeds). Each script
/// fills <c>out</c>, printed as JSON at the end.</summary>
internal static class S3Py
{
    public const string Prelude = """
        import os, json, hashlib, boto3, botocore
        from botocore.config import Config
        def client(region='us-east-1', key=None, secret=None):
            return boto3.client('s3', endpoint_url=os.environ['ENDPOINT'], region_name=region,
                aws_access_key_id=key or os.environ['AWS_ACCESS_KEY_ID'],
                aws_secret_access_key=secret or os.environ['AWS_SECRET_ACCESS_KEY'],
                config=Config(retries={'max_attempts': 1}, s3={'addressing_style': 'path'}))
        s3 = client()
        def err(fn, *a, **k):
            try:
                fn(*a, **k)
                return None
            except botocore.exceptions.ClientError as e:
                return [e.response['Error'].get('Code'), e.response['ResponseMetadata']['HTTPStatusCode'],
                        e.response['Error'].get('Message')]
        def md5(b):
            return hashlib.md5(b).hexdigest()
        out = {}

        """;

    public const string Epilogue = "\nprint(json.dumps(out, default=str))\n";

    /// <summary>Runs a script and returns its <c>out</c> document; fails the test on a Python error.</summary>
    public static async Task<JsonElement> RunAsync(KilnServer server, string script, string? key = null, string? secret = null)
    {
        var result = await Clients.PythonAsync(server, Prelude + script + Epilogue, key, secret);
        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.Stdout.Trim().Split('\n');
        return JsonDocument.Parse(lines[^1]).RootElement;
    }

    /// <summary>[Code, Status] of an err(...) entry.</summary>
    public static (string? Code, int Status) Error(JsonElement element)
    {
        Assert.Equal(JsonValueKind.Array, element.ValueKind);
        return (element[0].GetString(), element[1].GetInt32());
    }

    public static string Str(this JsonElement e, string name) => e.GetProperty(name).GetString()!;
}
