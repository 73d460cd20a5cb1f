using System.Security.Cryptography;
using System.Text.Json;

namespace Kiln.Integration.Tests.S3;

/// <summary>A fact that is skipped, with the Debian package to install, when a client binary is absent.</summary>
public sealed class ClientFactAttribute : FactAttribute
{
    public ClientFactAttribute(string binary, string package)
    {
        if (!File.Exists(binary))
        {
            Skip = $"{binary} is missing: apt-get install {package}";
        }
    }
}

/// <summary>s3cmd (Debian's s3cmd 2.3) with a config file written by the test: path style on the
/// endpoint, SigV4, plain HTTP.</summary>
public sealed class ClientsS3cmdTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string S3cmd = "/usr/bin/s3cmd";
    private KilnServer Server => fixture.Server;

    [ClientFact(S3cmd, "s3cmd")]
    public async Task MbPutLsGetDelRb_SmallAndMultipart_AndErrorCodes()
    {
        var dir = KilnServer.NewTempDir();
        try
        {
            var s3cmd = S3cmdIn(dir);
            var small = Path.Combine(dir, "small.bin");
            var large = Path.Combine(dir, "large.bin");
            await File.WriteAllBytesAsync(small, RandomNumberGenerator.GetBytes(2000));
            await File.WriteAllBytesAsync(large, RandomNumberGenerator.GetBytes(11 * 1024 * 1024 + 77));

            await s3cmd.Ok("mb", "s3://it-s3cmd");
            await s3cmd.Ok("put", small, "s3://it-s3cmd/dir/small.bin");
            await s3cmd.Ok("put", "--multipart-chunk-size-mb=5", large, "s3://it-s3cmd/dir/large.bin"); // 3 parts
            var ls = await s3cmd.Run("ls", "s3://it-s3cmd/dir/");
            await s3cmd.Ok("get", "s3://it-s3cmd/dir/small.bin", Path.Combine(dir, "small.back"));
            await s3cmd.Ok("get", "s3://it-s3cmd/dir/large.bin", Path.Combine(dir, "large.back"));
            var info = await s3cmd.Run("info", "s3://it-s3cmd/dir/large.bin");
            var missingKey = await s3cmd.Run("get", "s3://it-s3cmd/dir/missing", Path.Combine(dir, "missing.back"));
            var missingBucket = await s3cmd.Run("ls", "s3://it-s3cmd-no-such-bucket");

            Assert.Contains("s3://it-s3cmd/dir/small.bin", ls.Stdout);
            Assert.Contains("s3://it-s3cmd/dir/large.bin", ls.Stdout);
            Assert.Contains(" 2000 ", ls.Stdout);
            Assert.Equal(await File.ReadAllBytesAsync(small), await File.ReadAllBytesAsync(Path.Combine(dir, "small.back")));
            Assert.Equal(await File.ReadAllBytesAsync(large), await File.ReadAllBytesAsync(Path.Combine(dir, "large.back")));
            // s3cmd keeps the file's MD5 in user metadata for a multipart object and shows it back.
            Assert.Contains($"MD5 sum:   {Convert.ToHexStringLower(MD5.HashData(await File.ReadAllBytesAsync(large)))}", info.Stdout);
            Assert.Contains("x-amz-meta-s3cmd-attrs:", info.Stdout);
            Assert.Contains("SSE:       AES256", info.Stdout);
            Assert.True(missingKey.ExitCode != 0, missingKey.ToString());
            // s3cmd HEADs the key first (a 404 without a body, so no code on the wire) and refuses the get.
            Assert.True(missingKey.ExitCode == 64, missingKey.ToString());
            Assert.Contains("ERROR: Parameter problem: Source object 's3://it-s3cmd/dir/missing' does not exist.", missingKey.Stderr);
            Assert.True(missingBucket.ExitCode != 0, missingBucket.ToString());
            Assert.Contains("ERROR: S3 error: 404 (NoSuchBucket): The specified bucket does not exist", missingBucket.Stderr);

            await s3cmd.Ok("del", "s3://it-s3cmd/dir/small.bin", "s3://it-s3cmd/dir/large.bin");
            var empty = await s3cmd.Run("ls", "-r", "s3://it-s3cmd");
            Assert.Equal("", empty.Stdout.Trim());
            await s3cmd.Ok("rb", "s3://it-s3cmd");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    /// <summary>Bucket configuration and server-side object commands as s3cmd sends them: policy, CORS
    /// (with a browser's preflight answered), lifecycle, storage-class change, server-side copy and move,
    /// sync both ways, an archived object refused until restored, and a public ACL refused.</summary>
    [ClientFact(S3cmd, "s3cmd")]
    public async Task PolicyCorsLifecycle_ModifyCopyMoveSync_GlacierAndPublicAclRefused()
    {
        var dir = KilnServer.NewTempDir();
        try
        {
            var s3cmd = S3cmdIn(dir);
            var file = Path.Combine(dir, "h.txt");
            await File.WriteAllTextAsync(file, "hello s3cmd\n");
            const string b = "s3://it-s3cmd-config";
            await s3cmd.Ok("mb", b);
            await s3cmd.Ok("put", file, $"{b}/a/h.txt");

            var policy = Path.Combine(dir, "policy.json");
            await File.WriteAllTextAsync(policy, """
                {"Version":"2012-10-17","Statement":[{"Sid":"ReadAll","Effect":"Allow",
                 "Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"s3:GetObject",
                 "Resource":"arn:aws:s3:::it-s3cmd-config/*"}]}
                """);
            await s3cmd.Ok("setpolicy", policy, b);
            var withPolicy = await s3cmd.Run("info", b);
            await s3cmd.Ok("delpolicy", b);
            var withoutPolicy = await s3cmd.Run("info", b);

            var cors = Path.Combine(dir, "cors.xml");
            await File.WriteAllTextAsync(cors, "<CORSConfiguration><CORSRule><AllowedOrigin>https://app.example</AllowedOrigin>"
                + "<AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>300</MaxAgeSeconds></CORSRule></CORSConfiguration>");
            await s3cmd.Ok("setcors", cors, b);
            using var http = new HttpClient();
            using var preflight = new HttpRequestMessage(HttpMethod.Options, $"{Server.Endpoint}/it-s3cmd-config/a/h.txt");
            preflight.Headers.Add("Origin", "https://app.example");
            preflight.Headers.Add("Access-Control-Request-Method", "GET");
            using var allowed = await http.SendAsync(preflight);
            await s3cmd.Ok("delcors", b);
            using var again = new HttpRequestMessage(HttpMethod.Options, $"{Server.Endpoint}/it-s3cmd-config/a/h.txt");
            again.Headers.Add("Origin", "https://app.example");
            again.Headers.Add("Access-Control-Request-Method", "GET");
            using var refusedPreflight = await http.SendAsync(again);

            await s3cmd.Ok("expire", "--expiry-days=30", "--expiry-prefix=logs/", b);
            var lifecycle = await s3cmd.Run("getlifecycle", b);
            await s3cmd.Ok("dellifecycle", b);
            var noLifecycle = await s3cmd.Run("getlifecycle", b);

            await s3cmd.Ok("modify", "--storage-class=STANDARD_IA", $"{b}/a/h.txt");
            var modified = await s3cmd.Run("info", $"{b}/a/h.txt");
            await s3cmd.Ok("cp", $"{b}/a/h.txt", $"{b}/b/copy.txt");
            await s3cmd.Ok("mv", $"{b}/b/copy.txt", $"{b}/c/moved.txt");
            var listed = await s3cmd.Run("ls", "-r", b);
            await s3cmd.Ok("get", $"{b}/c/moved.txt", Path.Combine(dir, "moved.back"));

            var tree = Path.Combine(dir, "tree");
            Directory.CreateDirectory(Path.Combine(tree, "x"));
            await File.WriteAllTextAsync(Path.Combine(tree, "one"), "1");
            await File.WriteAllTextAsync(Path.Combine(tree, "x", "two"), "22");
            await s3cmd.Ok("sync", tree + "/", $"{b}/sync/");
            await s3cmd.Ok("sync", $"{b}/sync/", Path.Combine(dir, "back") + "/");

            await s3cmd.Ok("put", "--storage-class=GLACIER", file, $"{b}/cold/h.txt");
            var frozen = await s3cmd.Run("get", "--force", $"{b}/cold/h.txt", Path.Combine(dir, "cold.back"));
            await s3cmd.Ok("restore", "--restore-days=1", "--restore-priority=bulk", $"{b}/cold/h.txt");
            var publicAcl = await s3cmd.Run("setacl", "--acl-public", $"{b}/a/h.txt");

            Assert.Contains("Policy:    {\"Version\":\"2012-10-17\"", withPolicy.Stdout);
            Assert.Contains("\"Sid\":\"ReadAll\"", withPolicy.Stdout);
            Assert.Contains("Policy:    none", withoutPolicy.Stdout);
            Assert.Equal(System.Net.HttpStatusCode.OK, allowed.StatusCode);
            Assert.Equal("https://app.example", allowed.Headers.GetValues("Access-Control-Allow-Origin").Single());
            Assert.Equal(System.Net.HttpStatusCode.Forbidden, refusedPreflight.StatusCode);
            Assert.Contains("<Days>30</Days>", lifecycle.Stdout);
            Assert.Contains("<Prefix>logs/</Prefix>", lifecycle.Stdout);
            Assert.True(noLifecycle.ExitCode != 0, noLifecycle.ToString());
            Assert.Contains("ERROR: S3 error: 404 (NoSuchLifecycleConfiguration)", noLifecycle.Stderr);
            Assert.Contains("Storage:   STANDARD_IA", modified.Stdout);
            Assert.Contains($"{b}/a/h.txt", listed.Stdout);
            Assert.Contains($"{b}/c/moved.txt", listed.Stdout);
            Assert.DoesNotContain($"{b}/b/copy.txt", listed.Stdout);
            Assert.Equal("hello s3cmd\n", await File.ReadAllTextAsync(Path.Combine(dir, "moved.back")));
            Assert.Equal("1", await File.ReadAllTextAsync(Path.Combine(dir, "back", "one")));
            Assert.Equal("22", await File.ReadAllTextAsync(Path.Combine(dir, "back", "x", "two")));
            Assert.True(frozen.ExitCode != 0, frozen.ToString());
            Assert.Contains("403 (InvalidObjectState)", frozen.Stderr);
            // New buckets block public ACLs and disable ACLs (BucketOwnerEnforced): refused, nothing changed.
            Assert.True(publicAcl.ExitCode != 0, publicAcl.ToString());
            Assert.Contains("(AccessControlListNotSupported)", publicAcl.Stderr);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    /// <summary>s3cmd's own default location, "US", is no region: it signs CreateBucket for "US", and
    /// S3's AuthorizationHeaderMalformed (naming us-east-1) sends it back to sign for us-east-1.</summary>
    [ClientFact(S3cmd, "s3cmd")]
    public async Task BucketLocationUs_MbPutInfoGetRb()
    {
        var dir = KilnServer.NewTempDir();
        try
        {
            var s3cmd = S3cmdIn(dir, location: "US");
            var file = Path.Combine(dir, "f.txt");
            await File.WriteAllTextAsync(file, "located");

            await s3cmd.Ok("mb", "s3://it-s3cmd-us");
            await s3cmd.Ok("put", file, "s3://it-s3cmd-us/f.txt");
            var info = await s3cmd.Run("info", "s3://it-s3cmd-us");
            await s3cmd.Ok("get", "s3://it-s3cmd-us/f.txt", Path.Combine(dir, "back.txt"));
            await s3cmd.Ok("del", "s3://it-s3cmd-us/f.txt");
            await s3cmd.Ok("rb", "s3://it-s3cmd-us");

            Assert.True(info.ExitCode == 0, info.ToString());
            Assert.Matches(@"Location:\s+us-east-1", info.Stdout);
            Assert.Equal("located", await File.ReadAllTextAsync(Path.Combine(dir, "back.txt")));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    /// <summary>s3cmd with a config file in <paramref name="dir"/> (also its HOME): path style on the
    /// endpoint, SigV4, plain HTTP.</summary>
    private S3cmdClient S3cmdIn(string dir, string location = "us-east-1")
    {
        var config = Path.Combine(dir, "s3cfg");
        var host = new Uri(Server.Endpoint).Authority;
        File.WriteAllText(config, $"""
            [default]
            access_key = {Server.AccessKeyId}
            secret_key = {Server.SecretAccessKey}
            host_base = {host}
            host_bucket = {host}
            use_https = False
            signature_v2 = False
            bucket_location = {location}
            check_ssl_certificate = False
            """);
        return new S3cmdClient(config, dir);
    }

    private sealed class S3cmdClient(string config, string home)
    {
        public Task<Clients.Result> Run(params string[] args) =>
            Clients.RunAsync(S3cmd, ["-c", config, .. args], new Dictionary<string, string> { ["HOME"] = home });

        public async Task Ok(params string[] args)
        {
            var r = await Run(args);
            Assert.True(r.ExitCode == 0, $"s3cmd {string.Join(' ', args)}: {r}");
        }
    }
}

/// <summary>rclone (Debian's rclone 1.60) with an <c>s3</c> remote, provider Other, in a config file
/// written by the test.</summary>
public sealed class ClientsRcloneTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    internal const string Rclone = "/usr/bin/rclone";
    private KilnServer Server => fixture.Server;

    [ClientFact(Rclone, "rclone")]
    public async Task MkdirCopyLsCatDeleteRmdir_SmallAndMultipart_AndErrorCodes()
    {
        var dir = KilnServer.NewTempDir();
        try
        {
            var rclone = RcloneIn(Server, dir);
            var small = Path.Combine(dir, "small.bin");
            var large = Path.Combine(dir, "large.bin");
            await File.WriteAllBytesAsync(small, RandomNumberGenerator.GetBytes(3000));
            await File.WriteAllBytesAsync(large, RandomNumberGenerator.GetBytes(13 * 1024 * 1024 + 5));

            await rclone.Ok("mkdir", "kiln:it-rclone");
            await rclone.Ok("copyto", small, "kiln:it-rclone/dir/small.bin");
            // Above the 5 MiB cutoff: a multipart upload in 5 MiB chunks (3 parts).
            await rclone.Ok("copyto", "--s3-upload-cutoff", "5M", "--s3-chunk-size", "5M", large, "kiln:it-rclone/dir/large.bin");
            var ls = await rclone.Ok("lsjson", "--recursive", "--hash", "kiln:it-rclone");
            await rclone.Ok("copyto", "kiln:it-rclone/dir/small.bin", Path.Combine(dir, "small.back"));
            await rclone.Ok("copyto", "kiln:it-rclone/dir/large.bin", Path.Combine(dir, "large.back"));
            var check = await rclone.Run("check", dir, "kiln:it-rclone/dir", "--include", "*.bin", "--download");
            var missingBucket = await rclone.Run("copyto", "--s3-no-check-bucket", small, "kiln:it-rclone-no-such-bucket/k");

            var entries = JsonDocument.Parse(ls.Stdout).RootElement.EnumerateArray()
                .Where(e => !e.GetProperty("IsDir").GetBoolean())
                .ToDictionary(e => e.GetProperty("Path").GetString()!, e => e.GetProperty("Size").GetInt64());
            Assert.Equal(new Dictionary<string, long> { ["dir/small.bin"] = 3000, ["dir/large.bin"] = 13 * 1024 * 1024 + 5 }, entries);
            Assert.Equal(await File.ReadAllBytesAsync(small), await File.ReadAllBytesAsync(Path.Combine(dir, "small.back")));
            Assert.Equal(await File.ReadAllBytesAsync(large), await File.ReadAllBytesAsync(Path.Combine(dir, "large.back")));
            Assert.True(check.ExitCode == 0, check.ToString());
            Assert.True(missingBucket.ExitCode != 0, missingBucket.ToString());
            Assert.Contains("NoSuchBucket: The specified bucket does not exist\n\tstatus code: 404", missingBucket.Stderr);

            await rclone.Ok("deletefile", "kiln:it-rclone/dir/small.bin");
            await rclone.Ok("delete", "kiln:it-rclone");
            var empty = await rclone.Ok("lsf", "--recursive", "kiln:it-rclone");
            Assert.Equal("", empty.Stdout.Trim());
            await rclone.Ok("rmdir", "kiln:it-rclone");
            var gone = await rclone.Run("lsf", "kiln:it-rclone");
            Assert.True(gone.ExitCode != 0, gone.ToString());
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    /// <summary>rclone with an <c>s3</c> remote named kiln (provider Other, path style) in a config file
    /// in <paramref name="dir"/> (also its HOME); one try per call, so an error shows at once.</summary>
    internal static RcloneClient RcloneIn(KilnServer server, string dir)
    {
        var config = Path.Combine(dir, "rclone.conf");
        File.WriteAllText(config, $"""
            [kiln]
            type = s3
            provider = Other
            env_auth = false
            access_key_id = {server.AccessKeyId}
            secret_access_key = {server.SecretAccessKey}
            endpoint = {server.Endpoint}
            region = us-east-1
            force_path_style = true
            """);
        return new RcloneClient(config, dir);
    }

    internal sealed class RcloneClient(string config, string home)
    {
        public Task<Clients.Result> Run(params string[] args) =>
            Clients.RunAsync(Rclone, ["--config", config, "--retries", "1", "--low-level-retries", "1", .. args],
                new Dictionary<string, string> { ["HOME"] = home });

        public async Task<Clients.Result> Ok(params string[] args)
        {
            var r = await Run(args);
            Assert.True(r.ExitCode == 0, $"rclone {string.Join(' ', args)}: {r}");
            return r;
        }
    }
}

/// <summary>rclone's S3 extras on a server whose "day" is one second (restores finish in a moment):
/// versioning through its backend command, old versions listed and read, ranged reads, presigned links,
/// storage tiers, server-side copy, SSE-KMS, and an archived object readable only once restored.</summary>
public sealed class ClientsRcloneExtrasTests(LifecycleTests.FastDayServer fixture) : IClassFixture<LifecycleTests.FastDayServer>
{
    private KilnServer Server => fixture.Server;

    [ClientFact(ClientsRcloneTests.Rclone, "rclone")]
    public async Task VersionsRangesLinkTierCopyKms_GlacierReadableAfterRestore()
    {
        var dir = KilnServer.NewTempDir();
        try
        {
            var rclone = ClientsRcloneTests.RcloneIn(Server, dir);
            var file = Path.Combine(dir, "v.txt");
            await rclone.Ok("mkdir", "kiln:it-rclone-x");
            await rclone.Ok("backend", "versioning", "kiln:it-rclone-x", "Enabled");
            var versioning = await rclone.Ok("backend", "versioning", "kiln:it-rclone-x");
            await File.WriteAllTextAsync(file, "first");
            await rclone.Ok("copyto", file, "kiln:it-rclone-x/v.txt");
            await File.WriteAllTextAsync(file, "second version");
            await rclone.Ok("copyto", file, "kiln:it-rclone-x/v.txt");
            var versions = await rclone.Ok("lsjson", "--s3-versions", "kiln:it-rclone-x");
            var old = JsonDocument.Parse(versions.Stdout).RootElement.EnumerateArray()
                .Select(e => e.GetProperty("Path").GetString()!).Single(p => p.StartsWith("v-v", StringComparison.Ordinal));
            var oldBody = await rclone.Ok("cat", "--s3-versions", $"kiln:it-rclone-x/{old}");
            var range = await rclone.Ok("cat", "--offset", "7", "--count", "3", "kiln:it-rclone-x/v.txt");

            var link = await rclone.Ok("link", "--expire", "1h", "kiln:it-rclone-x/v.txt");
            using var http = new HttpClient();
            var linked = await http.GetStringAsync(link.Stdout.Trim());

            await rclone.Ok("settier", "STANDARD_IA", "kiln:it-rclone-x/v.txt");
            var copy = await rclone.Ok("copyto", "-v", "kiln:it-rclone-x/v.txt", "kiln:it-rclone-x/copy.txt");
            await rclone.Ok("copyto", "--s3-server-side-encryption", "aws:kms", file, "kiln:it-rclone-x/kms.txt");
            var kmsHead = await Clients.AwsAsync(Server, "s3api", "head-object", "--bucket", "it-rclone-x", "--key", "kms.txt");
            var kmsBody = await rclone.Ok("cat", "kiln:it-rclone-x/kms.txt");

            await rclone.Ok("copyto", "--s3-storage-class", "GLACIER", file, "kiln:it-rclone-x/cold.txt");
            var frozen = await rclone.Run("cat", "kiln:it-rclone-x/cold.txt");
            // Bulk from GLACIER takes up to 12 hours: half a second here.
            var restore = await rclone.Ok("backend", "restore", "kiln:it-rclone-x", "--include", "cold.txt",
                "-o", "priority=Bulk", "-o", "lifetime=1");
            Clients.Result thawed;
            var waited = System.Diagnostics.Stopwatch.StartNew();
            do
            {
                await Task.Delay(200);
                thawed = await rclone.Run("cat", "kiln:it-rclone-x/cold.txt");
            }
            while (thawed.ExitCode != 0 && waited.Elapsed < TimeSpan.FromSeconds(15));
            var tiers = await rclone.Ok("lsjson", "kiln:it-rclone-x");

            Assert.Equal("Enabled", versioning.Stdout.Trim());
            Assert.Equal("first", oldBody.Stdout);
            Assert.Equal("ver", range.Stdout);
            Assert.Equal("second version", linked);
            Assert.Contains("(server-side copy)", copy.Stderr);
            Assert.True(kmsHead.ExitCode == 0, kmsHead.ToString());
            Assert.Equal("aws:kms", JsonDocument.Parse(kmsHead.Stdout).RootElement.GetProperty("ServerSideEncryption").GetString());
            Assert.Equal("second version", kmsBody.Stdout);
            Assert.True(frozen.ExitCode != 0, frozen.ToString());
            Assert.Contains("Object in GLACIER, restore first", frozen.Stderr);
            Assert.Equal("OK", JsonDocument.Parse(restore.Stdout).RootElement[0].GetProperty("Status").GetString());
            Assert.True(thawed.ExitCode == 0, thawed.ToString());
            Assert.Equal("second version", thawed.Stdout);
            var tierOf = JsonDocument.Parse(tiers.Stdout).RootElement.EnumerateArray()
                .ToDictionary(e => e.GetProperty("Path").GetString()!, e => e.GetProperty("Tier").GetString());
            Assert.Equal("STANDARD_IA", tierOf["v.txt"]);
            Assert.Equal("GLACIER", tierOf["cold.txt"]);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
