using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.S3.Transfer;

namespace Kiln.Integration.Tests.S3;

/// <summary>The AWS SDK for .NET (AWSSDK.S3 4.0.103) against the real server, with its defaults:
/// v4 computes a CRC32 for every upload and sends it as an aws-chunked trailer
/// (<c>STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER</c> over plain HTTP), and validates response checksums.</summary>
public sealed class ClientsSdkTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private KilnServer Server => fixture.Server;

    [Fact]
    public async Task PutListGetDelete_SmallAndMultipart_WithDefaultFlexibleChecksums()
    {
        var seen = new ConcurrentQueue<string>();
        using var s3 = Client(seen);
        const string bucket = "it-sdk-roundtrip";
        var small = RandomNumberGenerator.GetBytes(1000);
        var large = RandomNumberGenerator.GetBytes(12 * 1024 * 1024 + 4321);

        await s3.PutBucketAsync(new PutBucketRequest { BucketName = bucket });
        var put = await s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket, Key = "dir/small.bin", InputStream = new MemoryStream(small),
        });
        // 12 MiB in 5 MiB parts: CreateMultipartUpload, three UploadParts with CRC32 trailers, Complete.
        using (var transfer = new TransferUtility(s3, new TransferUtilityConfig { MinSizeBeforePartUpload = 5 * 1024 * 1024 }))
        {
            await transfer.UploadAsync(new TransferUtilityUploadRequest
            {
                BucketName = bucket, Key = "dir/large.bin", InputStream = new MemoryStream(large), PartSize = 5 * 1024 * 1024,
            });
        }

        var list = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = "dir/" });
        var smallBack = await s3.GetObjectAsync(new GetObjectRequest
        {
            BucketName = bucket, Key = "dir/small.bin", ChecksumMode = ChecksumMode.ENABLED,
        });
        var smallBytes = await ReadAllAsync(smallBack);
        var largeBack = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "dir/large.bin" });
        var largeBytes = await ReadAllAsync(largeBack);

        Assert.Equal(["dir/large.bin", "dir/small.bin"], list.S3Objects.Select(o => o.Key));
        Assert.Equal([(long)large.Length, small.Length], list.S3Objects.Select(o => o.Size ?? -1));
        Assert.Equal(small, smallBytes);
        Assert.Equal(large, largeBytes);
        Assert.Equal($"\"{Convert.ToHexStringLower(MD5.HashData(small))}\"", put.ETag);
        Assert.EndsWith("-3\"", largeBack.ETag);
        Assert.False(string.IsNullOrEmpty(put.ChecksumCRC32), "PutObject answered no x-amz-checksum-crc32");
        Assert.Equal(put.ChecksumCRC32, smallBack.ChecksumCRC32);
        // What the SDK actually sent: every upload went aws-chunked with a signed trailer.
        var uploads = seen.Where(s => s.StartsWith("PUT /it-sdk-roundtrip/dir/", StringComparison.Ordinal)).ToList();
        Assert.True(uploads.Count == 4, string.Join("\n", seen)); // PutObject and three UploadParts
        Assert.All(uploads, u => Assert.Contains("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER x-amz-checksum-crc32", u));

        await s3.DeleteObjectAsync(bucket, "dir/small.bin");
        await s3.DeleteObjectsAsync(new DeleteObjectsRequest
        {
            BucketName = bucket, Objects = [new KeyVersion { Key = "dir/large.bin" }],
        });
        var empty = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket });
        Assert.Empty(empty.S3Objects ?? []);
        await s3.DeleteBucketAsync(bucket);
    }

    [Fact]
    public async Task PutObject_ExplicitSha256_IsValidatedAndReturned()
    {
        using var s3 = Client(null);
        const string bucket = "it-sdk-sha256";
        var body = RandomNumberGenerator.GetBytes(70_000);
        await s3.PutBucketAsync(new PutBucketRequest { BucketName = bucket });

        var put = await s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket, Key = "k", InputStream = new MemoryStream(body),
            ChecksumAlgorithm = ChecksumAlgorithm.SHA256,
        });
        var head = await s3.GetObjectMetadataAsync(new GetObjectMetadataRequest
        {
            BucketName = bucket, Key = "k", ChecksumMode = ChecksumMode.ENABLED,
        });

        var expected = Convert.ToBase64String(SHA256.HashData(body));
        Assert.Equal(expected, put.ChecksumSHA256);
        Assert.Equal(expected, head.ChecksumSHA256);
        Assert.Equal(body.Length, head.ContentLength);
    }

    [Fact]
    public async Task Errors_NoSuchKeyAndNoSuchBucket_AsAws()
    {
        using var s3 = Client(null);
        const string bucket = "it-sdk-errors";
        await s3.PutBucketAsync(new PutBucketRequest { BucketName = bucket });

        var key = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync(bucket, "missing"));
        var noBucket = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
            s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "it-sdk-no-such-bucket" }));

        Assert.IsType<NoSuchKeyException>(key); // the SDK maps the code to its modeled exception
        Assert.Equal(("NoSuchKey", HttpStatusCode.NotFound, "The specified key does not exist."),
            (key.ErrorCode, key.StatusCode, key.Message));
        Assert.Equal(("NoSuchBucket", HttpStatusCode.NotFound, "The specified bucket does not exist"),
            (noBucket.ErrorCode, noBucket.StatusCode, noBucket.Message));
        Assert.False(string.IsNullOrEmpty(key.RequestId));
    }

    private AmazonS3Client Client(ConcurrentQueue<string>? seen)
    {
        var config = new AmazonS3Config
        {
            ServiceURL = Server.Endpoint,
            ForcePathStyle = true,
            AuthenticationRegion = "us-east-1",
            MaxErrorRetry = 0,
        };
        if (seen is not null)
        {
            config.HttpClientFactory = new RecordingFactory(seen);
        }

        return new AmazonS3Client(new BasicAWSCredentials(Server.AccessKeyId, Server.SecretAccessKey), config);
    }

    private static async Task<byte[]> ReadAllAsync(GetObjectResponse response)
    {
        using var _ = response;
        var buffer = new MemoryStream();
        await response.ResponseStream.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    /// <summary>Records each request's method, path, x-amz-content-sha256 and x-amz-trailer, as sent on the wire.</summary>
    private sealed class RecordingFactory(ConcurrentQueue<string> seen) : HttpClientFactory
    {
        public override HttpClient CreateHttpClient(IClientConfig clientConfig) =>
            new(new Recorder(seen) { InnerHandler = new SocketsHttpHandler() });

        public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => false;

        public override bool DisposeHttpClientsAfterUse(IClientConfig clientConfig) => true;
    }

    private sealed class Recorder(ConcurrentQueue<string> seen) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            seen.Enqueue($"{request.Method} {request.RequestUri!.AbsolutePath} {Header(request, "x-amz-content-sha256")} {Header(request, "x-amz-trailer")}");
            return base.SendAsync(request, cancellationToken);
        }

        private static string Header(HttpRequestMessage request, string name) =>
            request.Headers.TryGetValues(name, out var values) ? string.Join(",", values)
            : request.Content is not null && request.Content.Headers.TryGetValues(name, out var content) ? string.Join(",", content)
            : "-";
    }
}
