using System.Security.Cryptography;
using System.Text.Json;

namespace Kiln.Integration.Tests.S3;

/// <summary>The aws CLI's high-level <c>s3</c> commands and <c>s3api</c> errors.</summary>
public sealed class S3CliTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private KilnServer Server => fixture.Server;

    private async Task<Clients.Result> AwsOkAsync(params string[] args)
    {
        var result = await Clients.AwsAsync(Server, args);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }

    [Fact]
    public async Task CpLsSyncRm_RoundTripTreeWithNestedKeys()
    {
        var local = KilnServer.NewTempDir();
        var back = KilnServer.NewTempDir();
        try
        {
            Directory.CreateDirectory(Path.Combine(local, "a", "b"));
            await File.WriteAllTextAsync(Path.Combine(local, "top.txt"), "top");
            await File.WriteAllTextAsync(Path.Combine(local, "a", "b", "c.txt"), "deep");
            await File.WriteAllBytesAsync(Path.Combine(local, "a", "data.bin"), RandomNumberGenerator.GetBytes(300_000));

            await AwsOkAsync("s3", "mb", "s3://it-cli-sync");
            await AwsOkAsync("s3", "sync", local, "s3://it-cli-sync/tree", "--only-show-errors");
            // Keys a/b and a/b/c coexist (Hive layouts need it), outside the synced tree since a
            // local filesystem cannot hold both.
            await AwsOkAsync("s3", "cp", Path.Combine(local, "top.txt"), "s3://it-cli-sync/nest/a/b", "--only-show-errors");
            await AwsOkAsync("s3", "cp", Path.Combine(local, "a", "b", "c.txt"), "s3://it-cli-sync/nest/a/b/c",
                "--only-show-errors");
            var nestedFile = await AwsOkAsync("s3", "cp", "s3://it-cli-sync/nest/a/b", "-");
            var nestedChild = await AwsOkAsync("s3", "cp", "s3://it-cli-sync/nest/a/b/c", "-");
            var ls = await AwsOkAsync("s3", "ls", "s3://it-cli-sync/tree/", "--recursive");
            var top = await AwsOkAsync("s3", "ls", "s3://it-cli-sync/tree/");
            await AwsOkAsync("s3", "sync", "s3://it-cli-sync/tree", back, "--only-show-errors");
            var again = await AwsOkAsync("s3", "sync", local, "s3://it-cli-sync/tree");

            Assert.Contains("tree/a/b/c.txt", ls.Stdout);
            Assert.Contains("tree/a/data.bin", ls.Stdout);
            Assert.Equal(("top", "deep"), (nestedFile.Stdout, nestedChild.Stdout));
            Assert.Contains("PRE a/", top.Stdout);
            Assert.Equal("deep", await File.ReadAllTextAsync(Path.Combine(back, "a", "b", "c.txt")));
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(local, "a", "data.bin")),
                await File.ReadAllBytesAsync(Path.Combine(back, "a", "data.bin")));
            Assert.DoesNotContain("upload:", again.Stdout); // nothing changed, nothing re-sent

            await AwsOkAsync("s3", "rm", "s3://it-cli-sync/", "--recursive", "--only-show-errors");
            var empty = await Clients.AwsAsync(Server, "s3", "ls", "s3://it-cli-sync/", "--recursive");
            Assert.Equal("", empty.Stdout.Trim());
            await AwsOkAsync("s3", "rb", "s3://it-cli-sync");
        }
        finally
        {
            Directory.Delete(local, true);
            Directory.Delete(back, true);
        }
    }

    [Fact]
    public async Task Cp_100MiBObject_StreamsUpAndDownWithSameMd5()
    {
        var dir = KilnServer.NewTempDir();
        try
        {
            var source = Path.Combine(dir, "big.bin");
            await using (var file = File.Create(source))
            {
                var chunk = new byte[1 << 20];
                for (var i = 0; i < 100; i++)
                {
                    RandomNumberGenerator.Fill(chunk);
                    await file.WriteAsync(chunk);
                }
            }

            await AwsOkAsync("s3", "mb", "s3://it-cli-big");
            await AwsOkAsync("s3", "cp", source, "s3://it-cli-big/big.bin", "--only-show-errors");
            var head = await AwsOkAsync("s3api", "head-object", "--bucket", "it-cli-big", "--key", "big.bin");
            var copy = Path.Combine(dir, "copy.bin");
            await AwsOkAsync("s3", "cp", "s3://it-cli-big/big.bin", copy, "--only-show-errors");

            Assert.Equal(100L << 20, JsonDocument.Parse(head.Stdout).RootElement.GetProperty("ContentLength").GetInt64());
            Assert.Equal(await Md5Async(source), await Md5Async(copy));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    private static async Task<string> Md5Async(string path)
    {
        await using var file = File.OpenRead(path);
        return Convert.ToHexString(await MD5.HashDataAsync(file));
    }

    [Fact]
    public async Task S3Api_Errors_CarryAwsCodes()
    {
        await AwsOkAsync("s3api", "create-bucket", "--bucket", "it-cli-errors");

        var noKey = await Clients.AwsAsync(Server, "s3api", "get-object", "--bucket", "it-cli-errors", "--key", "nope",
            Path.Combine(Path.GetTempPath(), "kiln-nope"));
        var noBucket = await Clients.AwsAsync(Server, "s3api", "list-objects-v2", "--bucket", "it-cli-no-such");
        var owned = await Clients.AwsAsync(Server, "s3api", "create-bucket", "--bucket", "it-cli-eu", "--region", "eu-west-1",
            "--create-bucket-configuration", "LocationConstraint=eu-west-1");
        var ownedAgain = await Clients.AwsAsync(Server, "s3api", "create-bucket", "--bucket", "it-cli-eu", "--region",
            "eu-west-1", "--create-bucket-configuration", "LocationConstraint=eu-west-1");
        var badConstraint = await Clients.AwsAsync(Server, "s3api", "create-bucket", "--bucket", "it-cli-bad-lc",
            "--create-bucket-configuration", "LocationConstraint=eu-west-1");

        Assert.Contains("(NoSuchKey)", noKey.Stderr);
        Assert.Contains("(NoSuchBucket)", noBucket.Stderr);
        Assert.True(owned.ExitCode == 0, owned.ToString());
        Assert.Contains("(BucketAlreadyOwnedByYou)", ownedAgain.Stderr);
        Assert.Contains("(IllegalLocationConstraintException)", badConstraint.Stderr);
    }

    [Fact]
    public async Task CreateBucket_LegacyEu_AcceptedInEuWest1_ReportedAsEu_RefusedElsewhere()
    {
        await AwsOkAsync("s3api", "create-bucket", "--bucket", "it-cli-legacy-eu", "--region", "eu-west-1",
            "--create-bucket-configuration", "LocationConstraint=EU");
        var location = await Clients.AwsAsync(Server, "s3api", "get-bucket-location", "--bucket", "it-cli-legacy-eu",
            "--region", "eu-west-1", "--output", "text");
        var elsewhere = await Clients.AwsAsync(Server, "s3api", "create-bucket", "--bucket", "it-cli-legacy-eu-2",
            "--region", "us-west-2", "--create-bucket-configuration", "LocationConstraint=EU");

        Assert.True(location.ExitCode == 0, location.ToString());
        Assert.Equal("EU", location.Stdout.Trim());
        Assert.NotEqual(0, elsewhere.ExitCode);
        Assert.Contains("(IllegalLocationConstraintException)", elsewhere.Stderr);
    }
}
