using System.Security.Cryptography;
using System.Text.Json;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Kiln.Integration.Tests.S3;

/// <summary>SSE-KMS and SSE-C with the AWS SDK for .NET (AWSSDK.S3), including ranged reads.</summary>
public sealed class S3EncryptionSdkTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private KilnServer Server => fixture.Server;

    private AmazonS3Client Client() => new(new BasicAWSCredentials(Server.AccessKeyId, Server.SecretAccessKey),
        new AmazonS3Config { ServiceURL = Server.Endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 });

    private static async Task<byte[]> ReadAllAsync(GetObjectResponse response)
    {
        using var _ = response;
        var buffer = new MemoryStream();
        await response.ResponseStream.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    [Fact]
    public async Task Sdk_SseKmsAndSseC_RoundTripRangeAndErrors()
    {
        using var s3 = Client();
        var bucket = "sse-sdk-" + Guid.NewGuid().ToString("N")[..8];
        var data = RandomNumberGenerator.GetBytes(140_000);
        var created = await Clients.AwsAsync(Server, "kms", "create-key");
        Assert.True(created.ExitCode == 0, created.ToString());
        var keyArn = JsonDocument.Parse(created.Stdout).RootElement.GetProperty("KeyMetadata").GetProperty("Arn").GetString();
        var customerKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        await s3.PutBucketAsync(new PutBucketRequest { BucketName = bucket });

        var kmsPut = await s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket, Key = "kms", InputStream = new MemoryStream(data),
            ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS, ServerSideEncryptionKeyManagementServiceKeyId = keyArn,
        });
        var kmsGet = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "kms", ByteRange = new ByteRange(70_000, 139_999) });
        var kmsHeaders = (kmsGet.ServerSideEncryptionMethod, kmsGet.ServerSideEncryptionKeyManagementServiceKeyId);
        var kmsBytes = await ReadAllAsync(kmsGet);
        var cPut = await s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket, Key = "c", InputStream = new MemoryStream(data),
            ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256,
            ServerSideEncryptionCustomerProvidedKey = customerKey,
        });
        var cGet = await s3.GetObjectAsync(new GetObjectRequest
        {
            BucketName = bucket, Key = "c", ByteRange = new ByteRange(65_530, 65_560),
            ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256,
            ServerSideEncryptionCustomerProvidedKey = customerKey,
        });
        var cBytes = await ReadAllAsync(cGet);
        var missing = await Assert.ThrowsAsync<AmazonS3Exception>(() =>
            s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "c" }));
        var wrong = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.GetObjectAsync(new GetObjectRequest
        {
            BucketName = bucket, Key = "c",
            ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256,
            ServerSideEncryptionCustomerProvidedKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        }));

        Assert.Equal(ServerSideEncryptionMethod.AWSKMS, kmsPut.ServerSideEncryptionMethod);
        Assert.Equal(keyArn, kmsPut.ServerSideEncryptionKeyManagementServiceKeyId);
        Assert.Equal((ServerSideEncryptionMethod.AWSKMS, keyArn), kmsHeaders);
        Assert.Equal(data.AsSpan(70_000, 70_000).ToArray(), kmsBytes);
        Assert.Equal(Convert.ToBase64String(MD5.HashData(Convert.FromBase64String(customerKey))), cPut.ServerSideEncryptionCustomerProvidedKeyMD5);
        Assert.Equal(data.AsSpan(65_530, 31).ToArray(), cBytes);
        Assert.Equal(("InvalidRequest", 400), (missing.ErrorCode, (int)missing.StatusCode));
        Assert.Equal(("AccessDenied", 403), (wrong.ErrorCode, (int)wrong.StatusCode));
    }
}
