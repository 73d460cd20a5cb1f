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
            var config = Path.Combine(dir, "s3cfg");
            var host = new Uri(Server.Endpoint).Authority;
            await File.WriteAllTextAsync(config, $"""
                [default]
                access_key = {Server.AccessKeyId}
                secret_key = {Server.SecretAccessKey}
                host_base = {host}
                host_bucket = {host}
                use_https = False
                signature_v2 = False
                bucket_location = us-east-1
                check_ssl_certificate = False
                """);
            Task<Clients.Result> Run(params string[] args) =>
                Clients.RunAsync(S3cmd, ["-c", config, .. args], new Dictionary<string, string> { ["HOME"] = dir });
            async Task Ok(params string[] args)
            {
                var r = await Run(args);
                Assert.True(r.ExitCode == 0, $"s3cmd {string.Join(' ', args)}: {r}");
            }

            var small = Path.Combine(dir, "small.bin");
            var large = Path.Combine(dir, "large.bin");
            await File.WriteAllBytesAsync(small, RandomNumberGenerator.GetBytes(2000));
            await File.WriteAllBytesAsync(large, RandomNumberGenerator.GetBytes(11 * 1024 * 1024 + 77));

            await Ok("mb", "s3://it-s3cmd");
            await Ok("put", small, "s3://it-s3cmd/dir/small.bin");
            await Ok("put", "--multipart-chunk-size-mb=5", large, "s3://it-s3cmd/dir/large.bin"); // 3 parts
            var ls = await Run("ls", "s3://it-s3cmd/dir/");
            await Ok("get", "s3://it-s3cmd/dir/small.bin", Path.Combine(dir, "small.back"));
            await Ok("get", "s3://it-s3cmd/dir/large.bin", Path.Combine(dir, "large.back"));
            var info = await Run("info", "s3://it-s3cmd/dir/large.bin");
            var missingKey = await Run("get", "s3://it-s3cmd/dir/missing", Path.Combine(dir, "missing.back"));
            var missingBucket = await Run("ls", "s3://it-s3cmd-no-such-bucket");

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

            await Ok("del", "s3://it-s3cmd/dir/small.bin", "s3://it-s3cmd/dir/large.bin");
            var empty = await Run("ls", "-r", "s3://it-s3cmd");
            Assert.Equal("", empty.Stdout.Trim());
            await Ok("rb", "s3://it-s3cmd");
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
            var config = Path.Combine(dir, "s3cfg");
            var host = new Uri(Server.Endpoint).Authority;
            await File.WriteAllTextAsync(config, $"""
                [default]
                access_key = {Server.AccessKeyId}
                secret_key = {Server.SecretAccessKey}
                host_base = {host}
                host_bucket = {host}
                use_https = False
                signature_v2 = False
                bucket_location = US
                check_ssl_certificate = False
                """);
            Task<Clients.Result> Run(params string[] args) =>
                Clients.RunAsync(S3cmd, ["-c", config, .. args], new Dictionary<string, string> { ["HOME"] = dir });
            var file = Path.Combine(dir, "f.txt");
            await File.WriteAllTextAsync(file, "located");

            var mb = await Run("mb", "s3://it-s3cmd-us");
            var put = await Run("put", file, "s3://it-s3cmd-us/f.txt");
            var info = await Run("info", "s3://it-s3cmd-us");
            var get = await Run("get", "s3://it-s3cmd-us/f.txt", Path.Combine(dir, "back.txt"));
            await Run("del", "s3://it-s3cmd-us/f.txt");
            var rb = await Run("rb", "s3://it-s3cmd-us");

            Assert.True(mb.ExitCode == 0, mb.ToString());
            Assert.True(put.ExitCode == 0, put.ToString());
            Assert.True(info.ExitCode == 0, info.ToString());
            Assert.Matches(@"Location:\s+us-east-1", info.Stdout);
            Assert.True(get.ExitCode == 0, get.ToString());
            Assert.Equal("located", await File.ReadAllTextAsync(Path.Combine(dir, "back.txt")));
            Assert.True(rb.ExitCode == 0, rb.ToString());
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}

/// <summary>rclone (Debian's rclone 1.60) with an <c>s3</c> remote, provider Other, in a config file
/// written by the test.</summary>
public sealed class ClientsRcloneTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Rclone = "/usr/bin/rclone";
    private KilnServer Server => fixture.Server;

    [ClientFact(Rclone, "rclone")]
    public async Task MkdirCopyLsCatDeleteRmdir_SmallAndMultipart_AndErrorCodes()
    {
        var dir = KilnServer.NewTempDir();
        try
        {
            var config = Path.Combine(dir, "rclone.conf");
            await File.WriteAllTextAsync(config, $"""
                [kiln]
                type = s3
                provider = Other
                env_auth = false
                access_key_id = {Server.AccessKeyId}
                secret_access_key = {Server.SecretAccessKey}
                endpoint = {Server.Endpoint}
                region = us-east-1
                force_path_style = true
                """);
            Task<Clients.Result> Run(params string[] args) =>
                Clients.RunAsync(Rclone, ["--config", config, "--retries", "1", "--low-level-retries", "1", .. args],
                    new Dictionary<string, string> { ["HOME"] = dir });
            async Task<Clients.Result> Ok(params string[] args)
            {
                var r = await Run(args);
                Assert.True(r.ExitCode == 0, $"rclone {string.Join(' ', args)}: {r}");
                return r;
            }

            var small = Path.Combine(dir, "small.bin");
            var large = Path.Combine(dir, "large.bin");
            await File.WriteAllBytesAsync(small, RandomNumberGenerator.GetBytes(3000));
            await File.WriteAllBytesAsync(large, RandomNumberGenerator.GetBytes(13 * 1024 * 1024 + 5));

            await Ok("mkdir", "kiln:it-rclone");
            await Ok("copyto", small, "kiln:it-rclone/dir/small.bin");
            // Above the 5 MiB cutoff: a multipart upload in 5 MiB chunks (3 parts).
            await Ok("copyto", "--s3-upload-cutoff", "5M", "--s3-chunk-size", "5M", large, "kiln:it-rclone/dir/large.bin");
            var ls = await Ok("lsjson", "--recursive", "--hash", "kiln:it-rclone");
            await Ok("copyto", "kiln:it-rclone/dir/small.bin", Path.Combine(dir, "small.back"));
            await Ok("copyto", "kiln:it-rclone/dir/large.bin", Path.Combine(dir, "large.back"));
            var check = await Run("check", dir, "kiln:it-rclone/dir", "--include", "*.bin", "--download");
            var missingBucket = await Run("copyto", "--s3-no-check-bucket", small, "kiln:it-rclone-no-such-bucket/k");

            var entries = JsonDocument.Parse(ls.Stdout).RootElement.EnumerateArray()
                .Where(e => !e.GetProperty("IsDir").GetBoolean())
                .ToDictionary(e => e.GetProperty("Path").GetString()!, e => e.GetProperty("Size").GetInt64());
            Assert.Equal(new Dictionary<string, long> { ["dir/small.bin"] = 3000, ["dir/large.bin"] = 13 * 1024 * 1024 + 5 }, entries);
            Assert.Equal(await File.ReadAllBytesAsync(small), await File.ReadAllBytesAsync(Path.Combine(dir, "small.back")));
            Assert.Equal(await File.ReadAllBytesAsync(large), await File.ReadAllBytesAsync(Path.Combine(dir, "large.back")));
            Assert.True(check.ExitCode == 0, check.ToString());
            Assert.True(missingBucket.ExitCode != 0, missingBucket.ToString());
            Assert.Contains("NoSuchBucket: The specified bucket does not exist\n\tstatus code: 404", missingBucket.Stderr);

            await Ok("deletefile", "kiln:it-rclone/dir/small.bin");
            await Ok("delete", "kiln:it-rclone");
            var empty = await Ok("lsf", "--recursive", "kiln:it-rclone");
            Assert.Equal("", empty.Stdout.Trim());
            await Ok("rmdir", "kiln:it-rclone");
            var gone = await Run("lsf", "kiln:it-rclone");
            Assert.True(gone.ExitCode != 0, gone.ToString());
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
