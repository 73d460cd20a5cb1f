namespace Kiln.Integration.Tests.S3;

/// <summary>SSE-S3 through boto3, and a look at the bytes on disk.</summary>
public sealed class S3EncryptionTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private KilnServer Server => fixture.Server;

    [Fact]
    public async Task SseS3_EveryObjectSealed_BucketEncryptionConfigurable()
    {
        var o = await S3Py.RunAsync(Server, """
            s3.create_bucket(Bucket='it-sse')
            marker = b'kiln-it-plaintext-marker-' + b'z' * 200000
            out['put'] = s3.put_object(Bucket='it-sse', Key='plain-default', Body=marker).get('ServerSideEncryption')
            out['explicit'] = s3.put_object(Bucket='it-sse', Key='explicit', Body=b'x', ServerSideEncryption='AES256').get('ServerSideEncryption')
            g = s3.get_object(Bucket='it-sse', Key='plain-default')
            out['get'] = g.get('ServerSideEncryption'); out['same'] = g['Body'].read() == marker
            r = s3.get_object(Bucket='it-sse', Key='plain-default', Range='bytes=65530-65560')
            out['range'] = r['Body'].read() == marker[65530:65561]
            out['default'] = s3.get_bucket_encryption(Bucket='it-sse')['ServerSideEncryptionConfiguration']['Rules'][0]['ApplyServerSideEncryptionByDefault']['SSEAlgorithm']
            s3.put_bucket_encryption(Bucket='it-sse', ServerSideEncryptionConfiguration={'Rules': [
                {'ApplyServerSideEncryptionByDefault': {'SSEAlgorithm': 'AES256'}}]})
            s3.delete_bucket_encryption(Bucket='it-sse')
            out['kms'] = s3.put_object(Bucket='it-sse', Key='kms', Body=b'x', ServerSideEncryption='aws:kms').get('ServerSideEncryption')
            """);

        Assert.Equal("AES256", o.Str("put"));
        Assert.Equal("AES256", o.Str("explicit"));
        Assert.Equal("AES256", o.Str("get"));
        Assert.True(o.GetProperty("same").GetBoolean());
        Assert.True(o.GetProperty("range").GetBoolean());
        Assert.Equal("AES256", o.Str("default"));
        Assert.Equal("aws:kms", o.Str("kms"));
        var marker = "kiln-it-plaintext-marker-"u8.ToArray();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(Server.DataDir, "s3", "blobs"), "*", SearchOption.AllDirectories))
        {
            Assert.Equal(-1, (await File.ReadAllBytesAsync(file)).AsSpan().IndexOf(marker));
        }
    }
}
