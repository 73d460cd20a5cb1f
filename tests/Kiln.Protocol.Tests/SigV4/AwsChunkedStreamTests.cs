using System.Reflection;
using System.Text;
using Amazon.Runtime;
using Amazon.Runtime.Internal;
using Amazon.Runtime.Internal.Auth;
using Amazon.Runtime.Internal.Util;
using Amazon.Util;
using Kiln.Protocol.SigV4;
using Microsoft.AspNetCore.Http;

namespace Kiln.Protocol.Tests.SigV4;

/// <summary>aws-chunked uploads encoded by the AWS SDK for .NET: its ChunkedUploadWrapperStream for
/// whole bodies, and its chunk string-to-sign and HMAC primitives for chunks of odd sizes.</summary>
public sealed class AwsChunkedStreamTests
{
    private const string Url = "http://localhost:4600/bucket/big.bin";

    [Theory]
    [InlineData(200_001, 65536)]
    [InlineData(81_920, 7)]
    [InlineData(0, 4096)]
    public async Task Read_SdkSignedChunks_DecodesPayloadAsync(int size, int readSize)
    {
        var data = Data(size);
        var request = SdkChunked(data, trailer: false);

        var result = await AuthenticateAsync(request);

        Assert.Equal(PayloadSigning.SignedChunks, result.PayloadSigning);
        Assert.Equal(size, result.DecodedContentLength);
        Assert.Equal(data, await Requests.ReadAllAsync(result.Body!, readSize));
    }

    [Fact]
    public async Task Read_OddChunkSizesTrickled_DecodesPayloadAsync()
    {
        var data = Data(20_000);
        var request = Chunked(data, [1, 7, 8191, 13, 4096, 97, 2], out _);
        request.Body = new TrickleStream(request.Body, 3);

        var result = await AuthenticateAsync(request);

        Assert.Equal(data, await Requests.ReadAllAsync(result.Body!, 5));
    }

    [Fact]
    public async Task Read_SyncReads_DecodesPayloadAsync()
    {
        var data = Data(5_000);
        var request = Chunked(data, [999], out _);

        var result = await AuthenticateAsync(request);
        using var copy = new MemoryStream();
        var buffer = new byte[11];
        int read;
        while ((read = result.Body!.Read(buffer, 0, buffer.Length)) > 0)
        {
            copy.Write(buffer, 0, read);
        }

        Assert.Equal(data, copy.ToArray());
    }

    [Fact]
    public void Encode_SdkPrimitivesAtSdkChunkSize_MatchSdkStream()
    {
        // The odd-size encoder below builds chunks from the SDK's own string-to-sign and HMAC; at the
        // SDK's chunk size it must produce exactly the SDK stream's bytes.
        var data = Data(200_001);
        var fromStream = SdkChunked(data, trailer: false);
        var fromPrimitives = Chunked(data, [ChunkedUploadWrapperStream.DefaultChunkSize], out _);

        Assert.Equal(((MemoryStream)fromStream.Body).ToArray(), ((MemoryStream)fromPrimitives.Body).ToArray());
    }

    [Fact]
    public async Task Read_TamperedSecondChunk_ThrowsAfterFirstChunkOnlyAsync()
    {
        var data = Data(3_000);
        var request = Chunked(data, [1000], out var wire);
        var second = IndexOfData(wire, 1);
        wire[second + 10] ^= 0x01;
        request.Body = new MemoryStream(wire);

        var result = await AuthenticateAsync(request);
        var delivered = new MemoryStream();
        var buffer = new byte[64];
        var error = await Assert.ThrowsAsync<SigV4Exception>(async () =>
        {
            int read;
            while ((read = await result.Body!.ReadAsync(buffer)) > 0)
            {
                delivered.Write(buffer, 0, read);
            }
        });

        Assert.Equal(AuthFailure.ChunkSignatureMismatch, error.Failure);
        Assert.Equal(("SignatureDoesNotMatch", 403), (error.Code, error.StatusCode!.Value));
        Assert.Equal(data[..1000], delivered.ToArray());
        await Assert.ThrowsAsync<SigV4Exception>(() => result.Body!.ReadAsync(buffer).AsTask());
    }

    [Fact]
    public async Task Read_TamperedChunkSignature_ThrowsAsync()
    {
        var data = Data(2_500);
        var request = Chunked(data, [1000], out var wire);
        var text = Encoding.Latin1.GetString(wire);
        var at = text.IndexOf("chunk-signature=", text.IndexOf("chunk-signature=", StringComparison.Ordinal) + 1,
            StringComparison.Ordinal) + "chunk-signature=".Length;
        wire[at] = (byte)(wire[at] == (byte)'a' ? 'b' : 'a');
        request.Body = new MemoryStream(wire);

        var result = await AuthenticateAsync(request);

        var error = await Assert.ThrowsAsync<SigV4Exception>(() => Requests.ReadAllAsync(result.Body!));
        Assert.Equal(AuthFailure.ChunkSignatureMismatch, error.Failure);
    }

    [Fact]
    public async Task Read_BodyCutShort_ThrowsIncompleteBodyAsync()
    {
        var data = Data(2_500);
        var request = Chunked(data, [1000], out var wire);
        request.Body = new MemoryStream(wire[..(wire.Length - 200)]);

        var result = await AuthenticateAsync(request);

        var error = await Assert.ThrowsAsync<SigV4Exception>(() => Requests.ReadAllAsync(result.Body!));
        Assert.Equal(("IncompleteBody", 400), (error.Code, error.StatusCode!.Value));
    }

    [Fact]
    public async Task Read_DecodedLengthDisagrees_ThrowsIncompleteBodyAsync()
    {
        var data = Data(2_500);
        var request = Chunked(data, [1000], out _, decodedLength: 2_501);

        var result = await AuthenticateAsync(request);

        var error = await Assert.ThrowsAsync<SigV4Exception>(() => Requests.ReadAllAsync(result.Body!));
        Assert.Equal(AuthFailure.IncompleteBody, error.Failure);
    }

    [Theory]
    [InlineData("FFFFFFFF;chunk-signature=")]
    [InlineData("12345678901234567;chunk-signature=")]
    [InlineData("zz;chunk-signature=")]
    [InlineData("10;chunk-signatur=")]
    public async Task Read_BadChunkHeader_ThrowsMalformedAsync(string header)
    {
        var request = Chunked(Data(10), [10], out _, decodedLength: null);
        request.Body = new MemoryStream(Encoding.ASCII.GetBytes(header + new string('0', 64) + "\r\n"));

        var result = await AuthenticateAsync(request);

        var error = await Assert.ThrowsAsync<SigV4Exception>(() => Requests.ReadAllAsync(result.Body!));
        Assert.Equal(AuthFailure.MalformedChunkedEncoding, error.Failure);
    }

    [Fact]
    public async Task Read_SdkSignedTrailer_ExposesVerifiedChecksumAsync()
    {
        var data = Data(100_000);
        var request = SdkChunked(data, trailer: true);
        var wire = ((MemoryStream)request.Body).ToArray();
        var expected = TrailerValue(wire, "x-amz-checksum-crc32");

        var result = await AuthenticateAsync(request);

        Assert.Equal(PayloadSigning.SignedChunksWithTrailer, result.PayloadSigning);
        Assert.Equal(data, await Requests.ReadAllAsync(result.Body!, 3000));
        Assert.Equal(expected, result.Trailers["x-amz-checksum-crc32"]);
    }

    [Fact]
    public async Task Read_SdkSignedTrailerTampered_ThrowsAtEndAsync()
    {
        var data = Data(1_000);
        var request = SdkChunked(data, trailer: true);
        var wire = ((MemoryStream)request.Body).ToArray();
        var text = Encoding.Latin1.GetString(wire);
        var value = TrailerValue(wire, "x-amz-checksum-crc32");
        var forged = (value[0] == 'A' ? "B" : "A") + value[1..];
        request.Body = new MemoryStream(Encoding.Latin1.GetBytes(text.Replace(value, forged, StringComparison.Ordinal)));

        var result = await AuthenticateAsync(request);

        var error = await Assert.ThrowsAsync<SigV4Exception>(() => Requests.ReadAllAsync(result.Body!));
        Assert.Equal(AuthFailure.ChunkSignatureMismatch, error.Failure);
        Assert.Empty(result.Trailers);
    }

    [Fact]
    public async Task Read_BufferedChunkedPayload_ReturnsDecodedStreamAsync()
    {
        var data = Data(3_333);
        var request = Chunked(data, [1024], out var wire);
        var store = new CredentialStore().Add(SdkSignerTests.AccessKey, SdkSignerTests.Secret);
        var authenticator = new SigV4Authenticator(store, new FixedClock(new DateTimeOffset(SdkSignerTests.SignedAt)));

        var result = await authenticator.AuthenticateAsync(request, SigV4Payload.Buffered(wire), AuthErrorStyle.S3);

        Assert.Equal(data, await Requests.ReadAllAsync(result.Body!));
    }

    private static ValueTask<SigV4Result> AuthenticateAsync(HttpRequest request)
    {
        var store = new CredentialStore().Add(SdkSignerTests.AccessKey, SdkSignerTests.Secret);
        var authenticator = new SigV4Authenticator(store, new FixedClock(new DateTimeOffset(SdkSignerTests.SignedAt)));
        return authenticator.AuthenticateAsync(request, SigV4Payload.Streaming(), AuthErrorStyle.S3);
    }

    private static byte[] Data(int size)
    {
        var data = new byte[size];
        new Random(size).NextBytes(data);
        return data;
    }

    /// <summary>Headers signed the way the S3 client signs an aws-chunked upload: the SDK's AWS4Signer
    /// on a request with UseChunkEncoding, which sets x-amz-content-sha256, x-amz-decoded-content-length
    /// (from Content-Length), the inflated Content-Length and x-amz-trailer. Returns the SDK's signing
    /// result, which seeds the chunk signature chain.</summary>
    private static (HttpRequest Request, AWS4SigningResult Signing) SignHeaders(long? decodedLength, bool trailer)
    {
        var sdkRequest = new DefaultRequest(new ChunkedPut(), "s3")
        {
            HttpMethod = "PUT",
            Endpoint = new Uri("http://localhost:4600"),
            ResourcePath = "/bucket/big.bin",
            UseChunkEncoding = true,
            AuthenticationRegion = "us-west-2",
            OverrideSigningServiceName = "s3",
        };
        sdkRequest.Headers["Content-Type"] = "application/octet-stream";
        if (decodedLength is { } length)
        {
            sdkRequest.Headers["Content-Length"] = length.ToString();
        }

        if (trailer)
        {
            sdkRequest.TrailingHeaders["x-amz-checksum-crc32"] = "";
            sdkRequest.SelectedChecksum = CoreChecksumAlgorithm.CRC32;
        }

        var signing = new AWS4Signer().SignRequest(sdkRequest, new S3TestConfig(), new RequestMetrics(),
            SdkSignerTests.AccessKey, SdkSignerTests.Secret, SdkSignerTests.SignedAt);
        var headers = sdkRequest.Headers.Select(h => new[] { h.Key, h.Value }).ToList();
        headers.Add(["Authorization", signing.ForAuthorizationHeader]);
        return (Requests.Build("PUT", "/bucket/big.bin", headers, []), signing);
    }

    /// <summary>The whole body through the SDK's ChunkedUploadWrapperStream (81,920-byte chunks).</summary>
    private static HttpRequest SdkChunked(byte[] data, bool trailer)
    {
        var (request, signing) = SignHeaders(data.Length, trailer);
        Stream encoder;
        if (trailer)
        {
            // As the S3 client does: the checksum header is in the trailer set before the body is read.
            var trailing = new Dictionary<string, string> { ["x-amz-checksum-crc32"] = "" };
            encoder = new ChunkedUploadWrapperStream(new MemoryStream(data), 8192, signing, CoreChecksumAlgorithm.CRC32,
                trailing, new CachedChecksum { OnComplete = _ => { } });
        }
        else
        {
            // The plain variant's constructor is internal; the public one always appends trailers.
            var constructor = typeof(ChunkedUploadWrapperStream).GetConstructor(BindingFlags.NonPublic | BindingFlags.Instance,
                [typeof(Stream), typeof(int), typeof(AWSSigningResultBase)])!;
            encoder = (Stream)constructor.Invoke([new MemoryStream(data), 8192, signing]);
        }

        using var wire = new MemoryStream();
        encoder.CopyTo(wire);
        Assert.Equal(request.Headers.ContentLength, wire.Length);
        request.Body = new MemoryStream(wire.ToArray());
        return request;
    }

    /// <summary>Chunks of the given sizes (cycled), each signed with the SDK's
    /// BuildChunkedStringToSign and AWS4Signer.SignBlob. (Content-Length stays what the SDK computed
    /// for its own chunk size; HTTP framing is Kestrel's concern, not the verifier's.)</summary>
    private static HttpRequest Chunked(byte[] data, int[] sizes, out byte[] wire, long? decodedLength = -1)
    {
        var (request, signing) = SignHeaders(decodedLength == -1 ? data.Length : decodedLength, trailer: false);
        var previous = signing.Signature;
        using var body = new MemoryStream();
        var offset = 0;
        for (var i = 0; ; i++)
        {
            var length = Math.Min(sizes[i % sizes.Length], data.Length - offset);
            var chunk = data.AsSpan(offset, length).ToArray();
            var toSign = ChunkedUploadWrapperStream.BuildChunkedStringToSign("AWS4-HMAC-SHA256-PAYLOAD",
                signing.ISO8601DateTime, signing.Scope, previous, length, chunk);
            previous = AWSSDKUtils.ToHex(AWS4Signer.SignBlob(signing.GetSigningKey(), toSign), true);
            body.Write(Encoding.ASCII.GetBytes($"{length:X};chunk-signature={previous}\r\n"));
            body.Write(chunk);
            body.Write("\r\n"u8);
            offset += length;
            if (length == 0)
            {
                break;
            }
        }

        wire = body.ToArray();
        request.Body = new MemoryStream(wire);
        return request;
    }

    private static int IndexOfData(byte[] wire, int chunk)
    {
        var position = 0;
        for (var i = 0; ; i++)
        {
            var newline = Array.IndexOf(wire, (byte)'\n', position);
            var line = Encoding.ASCII.GetString(wire, position, newline - 1 - position);
            if (i == chunk)
            {
                return newline + 1;
            }

            position = newline + 1 + Convert.ToInt32(line.Split(';')[0], 16) + 2;
        }
    }

    private static string TrailerValue(byte[] wire, string name)
    {
        var text = Encoding.Latin1.GetString(wire);
        var at = text.LastIndexOf(name + ":", StringComparison.Ordinal) + name.Length + 1;
        return text[at..text.IndexOf('\r', at)];
    }

    private sealed class ChunkedPut : AmazonWebServiceRequest;

    private sealed class S3TestConfig() : ClientConfig(new NoDefaults())
    {
        public override string RegionEndpointServiceName => "s3";
        public override string ServiceVersion => "2006-03-01";
        public override string UserAgent => "kiln-tests";

        public override Amazon.Runtime.Endpoints.Endpoint DetermineServiceOperationEndpoint(
            Amazon.Runtime.Endpoints.ServiceOperationEndpointParameters parameters) => throw new NotSupportedException();
    }

    private sealed class NoDefaults : IDefaultConfigurationProvider
    {
        public IDefaultConfiguration GetDefaultConfiguration(Amazon.RegionEndpoint clientRegion,
            DefaultConfigurationMode? requestedConfigurationMode = null) => throw new NotSupportedException();
    }

    /// <summary>A stream that hands out at most a few bytes per read, as a slow network would.</summary>
    private sealed class TrickleStream(Stream inner, int most) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, Math.Min(count, most));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            inner.ReadAsync(buffer[..Math.Min(buffer.Length, most)], cancellationToken);

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
