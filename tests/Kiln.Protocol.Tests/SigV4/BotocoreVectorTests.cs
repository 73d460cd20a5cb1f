using System.Text;
using Kiln.Protocol.SigV4;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Kiln.Protocol.Tests.SigV4;

/// <summary>Requests signed by botocore (SigV4Auth, S3SigV4Auth, SigV4QueryAuth, S3SigV4QueryAuth),
/// generated once by make-vectors.py. botocore is the oracle: its canonical request must equal
/// ours byte for byte, and its signature must verify.</summary>
public sealed class BotocoreVectorTests
{
    public static TheoryData<string> All => Vectors.Names();
    public static TheoryData<string> HeaderSigned => Vectors.Names(v => !v.Presigned);
    public static TheoryData<string> Presigned => Vectors.Names(v => v.Presigned);

    [Theory]
    [MemberData(nameof(All))]
    public async Task Authenticate_BotocoreVector_SucceedsAsync(string name)
    {
        var vector = Vectors.Get(name);

        var result = await Verifier.AuthenticateAsync(vector);

        Assert.Equal(vector.AccessKeyId, result.AccessKeyId);
        Assert.Equal(vector.AccessKeyId, result.Principal.AccessKeyId);
        Assert.Equal(vector.Region, result.Region);
        Assert.Equal(vector.Service, result.Service);
        Assert.Equal(vector.SignedAt, result.SignedAt);
        Assert.Equal(vector.Presigned, result.Presigned);
        if (vector.IsS3)
        {
            Assert.NotNull(result.Body);
            Assert.Equal(vector.Decoded, await Requests.ReadAllAsync(result.Body!));
        }
        else
        {
            Assert.Null(result.Body);
        }
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task Authenticate_WrongSecret_ReportsBotocoreCanonicalRequestAsync(string name)
    {
        var vector = Vectors.Get(name);
        var store = new CredentialStore().Add(vector.AccessKeyId, "not-the-secret", vector.SessionToken,
            vector.SignedAt.AddHours(1));

        var error = await Assert.ThrowsAsync<SigV4Exception>(() => Verifier.AuthenticateAsync(vector, store: store).AsTask());

        Assert.Equal(AuthFailure.SignatureMismatch, error.Failure);
        Assert.Equal(vector.CanonicalRequest, error.Detail.CanonicalRequest);
        Assert.Equal(vector.StringToSign, error.Detail.StringToSign);
        Assert.Equal(vector.IsS3 ? 403 : vector.Style == AuthErrorStyle.Json ? 400 : 403, error.StatusCode);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task Authenticate_UnknownAccessKey_ThrowsUnknownAccessKeyAsync(string name)
    {
        var vector = Vectors.Get(name);
        var store = new CredentialStore().Add("AKIDSOMEONEELSE", vector.SecretAccessKey);

        var error = await Assert.ThrowsAsync<SigV4Exception>(() => Verifier.AuthenticateAsync(vector, store: store).AsTask());

        Assert.Equal(AuthFailure.UnknownAccessKey, error.Failure);
        var expected = vector.Style switch
        {
            AuthErrorStyle.S3 => "InvalidAccessKeyId",
            AuthErrorStyle.Query => "InvalidClientTokenId",
            _ => "UnrecognizedClientException",
        };
        Assert.Equal(expected, error.Code);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task Authenticate_TamperedMethod_ThrowsSignatureMismatchAsync(string name)
    {
        var vector = Vectors.Get(name);
        var request = Requests.Build(vector, method: vector.Method == "GET" ? "HEAD" : "POST");
        if (vector.Method == "POST")
        {
            request.Method = "PUT";
        }

        var error = await Assert.ThrowsAsync<SigV4Exception>(() => Verifier.AuthenticateAsync(vector, request).AsTask());

        Assert.Equal(AuthFailure.SignatureMismatch, error.Failure);
    }

    [Theory]
    [MemberData(nameof(HeaderSigned))]
    public async Task Authenticate_ClockSkewedBeyond15Minutes_ThrowsRequestTimeTooSkewedAsync(string name)
    {
        var vector = Vectors.Get(name);

        var late = await Assert.ThrowsAsync<SigV4Exception>(() =>
            Verifier.AuthenticateAsync(vector, now: vector.SignedAt.AddMinutes(15).AddSeconds(1)).AsTask());
        var early = await Assert.ThrowsAsync<SigV4Exception>(() =>
            Verifier.AuthenticateAsync(vector, now: vector.SignedAt.AddMinutes(-15).AddSeconds(-1)).AsTask());

        Assert.Equal(AuthFailure.RequestTimeTooSkewed, late.Failure);
        Assert.Equal(AuthFailure.RequestTimeTooSkewed, early.Failure);
        if (vector.IsS3)
        {
            Assert.Equal("RequestTimeTooSkewed", late.Code);
            Assert.Equal("20261121T101530Z", late.Fields["RequestTime"]);
            Assert.Equal("900000", late.Fields["MaxAllowedSkewMilliseconds"]);
        }
        else
        {
            Assert.StartsWith("Signature expired: ", late.Message);
            Assert.StartsWith("Signature not yet current: ", early.Message);
        }
    }

    [Theory]
    [MemberData(nameof(HeaderSigned))]
    public async Task Authenticate_ClockWithin15Minutes_SucceedsAsync(string name)
    {
        var vector = Vectors.Get(name);

        await Verifier.AuthenticateAsync(vector, now: vector.SignedAt.AddMinutes(15));
        await Verifier.AuthenticateAsync(vector, now: vector.SignedAt.AddMinutes(-15));
    }

    [Theory]
    [MemberData(nameof(Presigned))]
    public async Task Authenticate_PresignedPastExpiry_ThrowsPresignExpiredAsync(string name)
    {
        var vector = Vectors.Get(name);
        var expiry = vector.SignedAt.AddSeconds(vector.Expires!.Value);

        await Verifier.AuthenticateAsync(vector, now: expiry);
        var error = await Assert.ThrowsAsync<SigV4Exception>(() =>
            Verifier.AuthenticateAsync(vector, now: expiry.AddSeconds(1)).AsTask());

        Assert.Equal(AuthFailure.PresignExpired, error.Failure);
        if (vector.IsS3)
        {
            Assert.Equal(("AccessDenied", 403, "Request has expired"), (error.Code, error.StatusCode, error.Message));
            Assert.Equal(vector.Expires.Value.ToString(), error.Fields["X-Amz-Expires"]);
        }
        else
        {
            Assert.Equal(("SignatureDoesNotMatch", 403), (error.Code, error.StatusCode));
        }
    }

    [Theory]
    [MemberData(nameof(Presigned))]
    public async Task Authenticate_PresignedFromTheFuture_ThrowsPresignNotYetValidAsync(string name)
    {
        var vector = Vectors.Get(name);

        var error = await Assert.ThrowsAsync<SigV4Exception>(() =>
            Verifier.AuthenticateAsync(vector, now: vector.SignedAt.AddMinutes(-16)).AsTask());

        Assert.Equal(AuthFailure.PresignNotYetValid, error.Failure);
    }

    [Theory]
    [MemberData(nameof(Presigned))]
    public async Task Authenticate_PresignedQueryTampered_ThrowsSignatureMismatchAsync(string name)
    {
        var vector = Vectors.Get(name);
        var request = Requests.Build(vector, target: vector.Target + "&extra=1");

        var error = await Assert.ThrowsAsync<SigV4Exception>(() => Verifier.AuthenticateAsync(vector, request).AsTask());

        Assert.Equal(AuthFailure.SignatureMismatch, error.Failure);
    }

    [Fact]
    public async Task Authenticate_PresignedPathTampered_ThrowsSignatureMismatchAsync()
    {
        var vector = Vectors.Get("s3-presigned-get");
        var request = Requests.Build(vector, target: vector.Target.Replace("report%202026.csv", "report%202027.csv"));

        var error = await Assert.ThrowsAsync<SigV4Exception>(() => Verifier.AuthenticateAsync(vector, request).AsTask());

        Assert.Equal(("SignatureDoesNotMatch", 403), (error.Code, error.StatusCode));
    }

    [Fact]
    public async Task Authenticate_PresignedExpiresTampered_ThrowsSignatureMismatchAsync()
    {
        var vector = Vectors.Get("s3-presigned-get");
        var request = Requests.Build(vector, target: vector.Target.Replace("X-Amz-Expires=3600", "X-Amz-Expires=7200"));

        var error = await Assert.ThrowsAsync<SigV4Exception>(() =>
            Verifier.AuthenticateAsync(vector, request, now: vector.SignedAt.AddSeconds(5000)).AsTask());

        Assert.Equal(AuthFailure.SignatureMismatch, error.Failure);
    }

    [Fact]
    public async Task Authenticate_PresignedWithUnsignedAmzHeader_ThrowsAccessDeniedAsync()
    {
        var vector = Vectors.Get("s3-presigned-put");
        var request = Requests.Build(vector);
        request.Headers.Append("x-amz-acl", "public-read");

        var error = await Assert.ThrowsAsync<SigV4Exception>(() => Verifier.AuthenticateAsync(vector, request).AsTask());

        Assert.Equal(AuthFailure.UnsignedHeaders, error.Failure);
        Assert.Equal(("AccessDenied", 403), (error.Code, error.StatusCode));
        Assert.Equal("x-amz-acl", error.Fields["HeadersNotSigned"]);
    }

    [Theory]
    [InlineData("X-Amz-Expires=3600", "X-Amz-Expires=604801", "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds")]
    [InlineData("X-Amz-Expires=3600", "X-Amz-Expires=soon", "X-Amz-Expires should be a number")]
    [InlineData("X-Amz-Expires=3600", "X-Amz-Expires=-1", "X-Amz-Expires must be non-negative")]
    [InlineData("X-Amz-Date=20261121T101530Z", "X-Amz-Date=2026-11-21", "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")]
    [InlineData("X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Algorithm=AWS4-HMAC-SHA1", "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"")]
    [InlineData("&X-Amz-SignedHeaders=host", "", "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.")]
    [InlineData("AKIDEXAMPLE%2F20261121", "AKIDEXAMPLE%2F2026-11-21", "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".")]
    [InlineData("X-Amz-Date=20261121T101530Z", "X-Amz-Date=20261122T101530Z", "Invalid credential date. Date is not the same as X-Amz-Date.")]
    public async Task Authenticate_BadPresignParameter_ThrowsAuthorizationQueryParametersErrorAsync(string from, string to,
        string message)
    {
        var vector = Vectors.Get("s3-presigned-get");
        var request = Requests.Build(vector, target: vector.Target.Replace(from, to));

        var error = await Assert.ThrowsAsync<SigV4Exception>(() => Verifier.AuthenticateAsync(vector, request).AsTask());

        Assert.Equal(("AuthorizationQueryParametersError", 400, message), (error.Code, error.StatusCode, error.Message));
    }

    [Fact]
    public async Task Authenticate_PresignedMaximumWeek_SucceedsUntilTheLastSecondAsync()
    {
        var vector = Vectors.Get("s3-presigned-put");

        var result = await Verifier.AuthenticateAsync(vector, now: vector.SignedAt.AddSeconds(604800));

        Assert.Equal("ap-southeast-2", result.Region);
        Assert.Equal(PayloadSigning.Unsigned, result.PayloadSigning);
    }

    [Theory]
    [InlineData("sts-session-token")]
    [InlineData("s3-session-token")]
    [InlineData("s3-presigned-token")]
    public async Task Authenticate_SessionTokenMissing_ThrowsLikeUnknownKeyAsync(string name)
    {
        var vector = Vectors.Get(name);
        var request = vector.Presigned
            ? Requests.Build(vector, target: RemoveQueryParameter(vector.Target, "X-Amz-Security-Token"))
            : Requests.Build(vector, header: h => h[0] == "X-Amz-Security-Token" ? null : h);

        var error = await Assert.ThrowsAsync<SigV4Exception>(() => Verifier.AuthenticateAsync(vector, request).AsTask());

        Assert.Equal(AuthFailure.MissingSecurityToken, error.Failure);
        Assert.Equal(vector.IsS3 ? "InvalidAccessKeyId" : "InvalidClientTokenId", error.Code);
    }

    [Theory]
    [InlineData("sts-session-token")]
    [InlineData("s3-session-token")]
    [InlineData("s3-presigned-token")]
    public async Task Authenticate_SessionTokenWrong_ThrowsInvalidTokenAsync(string name)
    {
        var vector = Vectors.Get(name);
        var store = new CredentialStore().Add(vector.AccessKeyId, vector.SecretAccessKey, vector.SessionToken + "x",
            vector.SignedAt.AddHours(1));

        var error = await Assert.ThrowsAsync<SigV4Exception>(() => Verifier.AuthenticateAsync(vector, store: store).AsTask());

        Assert.Equal(AuthFailure.InvalidSecurityToken, error.Failure);
        Assert.Equal(vector.IsS3 ? ("InvalidToken", 400) : ("InvalidClientTokenId", 403), (error.Code, error.StatusCode!.Value));
    }

    [Theory]
    [InlineData("sts-session-token")]
    [InlineData("s3-session-token")]
    [InlineData("s3-presigned-token")]
    public async Task Authenticate_SessionTokenExpired_ThrowsExpiredTokenAsync(string name)
    {
        var vector = Vectors.Get(name);
        var store = new CredentialStore().Add(vector.AccessKeyId, vector.SecretAccessKey, vector.SessionToken,
            vector.SignedAt);

        var error = await Assert.ThrowsAsync<SigV4Exception>(() => Verifier.AuthenticateAsync(vector, store: store).AsTask());

        Assert.Equal(AuthFailure.ExpiredSecurityToken, error.Failure);
        Assert.Equal("ExpiredToken", error.Code);
        Assert.Equal(400, error.StatusCode);
        Assert.Equal(vector.IsS3 ? "The provided token has expired." : "The security token included in the request is expired",
            error.Message);
    }

    [Fact]
    public async Task Authenticate_TokenWithLongTermKey_ThrowsInvalidTokenAsync()
    {
        var vector = Vectors.Get("sts-session-token");
        var store = new CredentialStore().Add(vector.AccessKeyId, vector.SecretAccessKey);

        var error = await Assert.ThrowsAsync<SigV4Exception>(() => Verifier.AuthenticateAsync(vector, store: store).AsTask());

        Assert.Equal(AuthFailure.InvalidSecurityToken, error.Failure);
    }

    [Fact]
    public async Task Authenticate_InactiveKey_AnswersLikeAnUnknownKeyAsync()
    {
        var vector = Vectors.Get("sts-query-post");
        var store = new CredentialStore().Add(vector.AccessKeyId, vector.SecretAccessKey, active: false);

        var error = await Assert.ThrowsAsync<SigV4Exception>(() => Verifier.AuthenticateAsync(vector, store: store).AsTask());

        Assert.Equal(AuthFailure.InactiveAccessKey, error.Failure);
        Assert.Equal(("InvalidClientTokenId", 403, "The security token included in the request is invalid."),
            (error.Code, error.StatusCode!.Value, error.Message));
    }

    [Fact]
    public async Task Authenticate_StaleRequest_DoesNotLookUpTheKeyAsync()
    {
        var vector = Vectors.Get("sts-query-post");
        var store = Verifier.StoreFor(vector);

        await Assert.ThrowsAsync<SigV4Exception>(() =>
            Verifier.AuthenticateAsync(vector, store: store, now: vector.SignedAt.AddHours(1)).AsTask());

        Assert.Equal(0, store.Lookups);
    }

    [Fact]
    public async Task Authenticate_S3HexBodyDiffers_ThrowsAtEndOfStreamAsync()
    {
        var vector = Vectors.Get("s3-put-hex");
        var body = Encoding.ASCII.GetBytes("hello, s3 world?");
        var request = Requests.Build(vector, body: body);

        var result = await Verifier.AuthenticateAsync(vector, request);
        var stream = result.Body!;
        var first = new byte[4];
        await stream.ReadExactlyAsync(first);
        var error = await Assert.ThrowsAsync<SigV4Exception>(() => Requests.ReadAllAsync(stream));

        Assert.Equal("hell", Encoding.ASCII.GetString(first));
        Assert.Equal(("XAmzContentSHA256Mismatch", 400), (error.Code, error.StatusCode!.Value));
        Assert.Equal("0ddb847c4e87fe7454fddf1bc00cc2b127edccac707e934ca517856d618ae12c", error.Fields["ClientComputedContentSHA256"]);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(body)),
            error.Fields["S3ComputedContentSHA256"]);
    }

    [Fact]
    public async Task Authenticate_S3HexBodyDiffersBuffered_ThrowsAtOnceAsync()
    {
        var vector = Vectors.Get("s3-put-hex");
        var request = Requests.Build(vector, body: Encoding.ASCII.GetBytes("hello, s3 world?"));

        var error = await Assert.ThrowsAsync<SigV4Exception>(() =>
            Verifier.AuthenticateAsync(vector, request, streaming: false).AsTask());

        Assert.Equal(AuthFailure.ContentSha256Mismatch, error.Failure);
    }

    [Fact]
    public async Task Authenticate_QueryBodyTampered_ThrowsSignatureDoesNotMatchAsync()
    {
        var vector = Vectors.Get("sts-query-post");
        var request = Requests.Build(vector, body: Encoding.ASCII.GetBytes("Action=GetCallerIdentity&Version=2011-06-16"));

        var error = await Assert.ThrowsAsync<SigV4Exception>(() => Verifier.AuthenticateAsync(vector, request).AsTask());

        Assert.Equal("SignatureDoesNotMatch", error.Code);
        Assert.StartsWith("The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\nThe Canonical String for this request should have been\n'POST\n/\n",
            error.Message);
    }

    [Fact]
    public async Task Authenticate_JsonWrongSecret_ThrowsInvalidSignatureExceptionAsync()
    {
        var vector = Vectors.Get("sagemaker-json");
        var store = new CredentialStore().Add(vector.AccessKeyId, "wrong");

        var error = await Assert.ThrowsAsync<SigV4Exception>(() => Verifier.AuthenticateAsync(vector, store: store).AsTask());

        Assert.Equal(("InvalidSignatureException", 400), (error.Code, error.StatusCode!.Value));
    }

    [Fact]
    public async Task Authenticate_SignedHeaderValueChanged_ThrowsSignatureMismatchAsync()
    {
        var vector = Vectors.Get("header-whitespace-duplicates");
        var request = Requests.Build(vector, header: h => h[0] == "X-Custom" ? ["X-Custom", "a b  d"] : h);

        var error = await Assert.ThrowsAsync<SigV4Exception>(() => Verifier.AuthenticateAsync(vector, request).AsTask());

        Assert.Contains("x-custom:a b d\n", error.Detail.CanonicalRequest);
    }

    [Fact]
    public async Task Authenticate_VirtualHostBucketChanged_ThrowsSignatureMismatchAsync()
    {
        var vector = Vectors.Get("s3-virtual-host");
        var request = Requests.Build(vector, header: h => h[0] == "Host" ? ["Host", "other-bucket.s3.localhost:4600"] : h);

        var error = await Assert.ThrowsAsync<SigV4Exception>(() => Verifier.AuthenticateAsync(vector, request).AsTask());

        Assert.Equal(AuthFailure.SignatureMismatch, error.Failure);
    }

    [Fact]
    public async Task Authenticate_S3WithoutContentSha256_ThrowsInvalidRequestAsync()
    {
        var vector = Vectors.Get("s3-put-hex");
        var request = Requests.Build(vector, header: h => h[0] == "X-Amz-Content-SHA256" ? null : h);

        var error = await Assert.ThrowsAsync<SigV4Exception>(() => Verifier.AuthenticateAsync(vector, request).AsTask());

        Assert.Equal(("InvalidRequest", 400, "Missing required header for this request: x-amz-content-sha256"),
            (error.Code, error.StatusCode!.Value, error.Message));
    }

    [Fact]
    public async Task Authenticate_S3ContentSha256Garbage_ThrowsInvalidArgumentAsync()
    {
        var vector = Vectors.Get("s3-put-hex");
        var request = Requests.Build(vector, header: h => h[0] == "X-Amz-Content-SHA256" ? [h[0], "GIBBERISH"] : h);

        var error = await Assert.ThrowsAsync<SigV4Exception>(() => Verifier.AuthenticateAsync(vector, request).AsTask());

        Assert.Equal(("InvalidArgument", 400), (error.Code, error.StatusCode!.Value));
        Assert.Equal("GIBBERISH", error.Fields["ArgumentValue"]);
        Assert.Equal("x-amz-content-sha256", error.Fields["ArgumentName"]);
    }

    [Fact]
    public async Task Authenticate_CredentialDateNotRequestDate_ThrowsAuthorizationHeaderMalformedAsync()
    {
        var vector = Vectors.Get("s3-put-hex");
        var request = Requests.Build(vector, header: h => h[0] == "X-Amz-Date" ? [h[0], "20261122T001530Z"] : h);

        var error = await Assert.ThrowsAsync<SigV4Exception>(() =>
            Verifier.AuthenticateAsync(vector, request, now: new DateTimeOffset(2026, 11, 22, 0, 15, 30, TimeSpan.Zero)).AsTask());

        Assert.Equal(("AuthorizationHeaderMalformed", 400,
                "The authorization header is malformed; Invalid credential date. Date is not the same as X-Amz-Date."),
            (error.Code, error.StatusCode!.Value, error.Message));
    }

    [Theory]
    [InlineData(AuthErrorStyle.S3, "AccessDenied", 403, "AWS authentication requires a valid Date or x-amz-date header")]
    [InlineData(AuthErrorStyle.Query, "IncompleteSignature", 400, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")]
    public async Task Authenticate_NoDateHeader_ThrowsMissingDateAsync(AuthErrorStyle style, string code, int status,
        string message)
    {
        var vector = Vectors.Get("s3-put-hex");
        var request = Requests.Build(vector, header: h => h[0] == "X-Amz-Date" ? null : h);
        var authenticator = new SigV4Authenticator(Verifier.StoreFor(vector), new FixedClock(vector.SignedAt));

        var error = await Assert.ThrowsAsync<SigV4Exception>(() =>
            authenticator.AuthenticateAsync(request, SigV4Payload.Streaming(), style).AsTask());

        Assert.Equal((code, status, message), (error.Code, error.StatusCode!.Value, error.Message));
    }

    [Theory]
    [InlineData("AWS4-HMAC-SHA256 SignedHeaders=host, Signature=abc", "Credential")]
    [InlineData("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261121/us-east-1/sts/aws4_request", "Signature,SignedHeaders")]
    [InlineData("AWS4-HMAC-SHA256", "Credential,Signature,SignedHeaders")]
    public async Task Authenticate_IncompleteAuthorization_ThrowsIncompleteSignatureAsync(string authorization, string missing)
    {
        var vector = Vectors.Get("sts-query-post");
        var request = Requests.Build(vector, header: h => h[0] == "Authorization" ? [h[0], authorization] : h);

        var error = await Assert.ThrowsAsync<SigV4Exception>(() => Verifier.AuthenticateAsync(vector, request).AsTask());

        Assert.Equal(("IncompleteSignature", 400), (error.Code, error.StatusCode!.Value));
        Assert.Equal(missing.Split(','), error.Detail.MissingComponents);
        Assert.DoesNotContain("Authorization=", error.Message);
    }

    [Fact]
    public async Task Authenticate_SigV2Header_ThrowsUnsupportedAlgorithmAsync()
    {
        var vector = Vectors.Get("s3-put-hex");
        var request = Requests.Build(vector, header: h => h[0] == "Authorization" ? [h[0], "AWS AKIDEXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg="] : h);

        var error = await Assert.ThrowsAsync<SigV4Exception>(() => Verifier.AuthenticateAsync(vector, request).AsTask());

        Assert.Equal(("InvalidRequest", 400,
                "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."),
            (error.Code, error.StatusCode!.Value, error.Message));
    }

    [Fact]
    public async Task Authenticate_MalformedCredential_ThrowsAuthorizationHeaderMalformedAsync()
    {
        var vector = Vectors.Get("s3-put-hex");
        var request = Requests.Build(vector, header: h => h[0] == "Authorization"
            ? [h[0], h[1].Replace("/us-east-1/s3/aws4_request", "/us-east-1/s3")]
            : h);

        var error = await Assert.ThrowsAsync<SigV4Exception>(() => Verifier.AuthenticateAsync(vector, request).AsTask());

        Assert.Equal(AuthFailure.MalformedCredential, error.Failure);
        Assert.Equal("AuthorizationHeaderMalformed", error.Code);
    }

    [Theory]
    [InlineData(AuthErrorStyle.S3, "AccessDenied", 403)]
    [InlineData(AuthErrorStyle.Query, "MissingAuthenticationToken", 403)]
    [InlineData(AuthErrorStyle.Json, "MissingAuthenticationTokenException", 400)]
    public async Task Authenticate_Anonymous_ThrowsMissingAuthenticationAsync(AuthErrorStyle style, string code, int status)
    {
        var request = Requests.Build("GET", "/bucket/key?versionId=1", [["Host", "localhost:4600"]], []);
        var authenticator = new SigV4Authenticator(new CredentialStore(), new FixedClock(DateTimeOffset.UtcNow));

        var error = await Assert.ThrowsAsync<SigV4Exception>(() =>
            authenticator.AuthenticateAsync(request, SigV4Payload.Streaming(), style).AsTask());

        Assert.Equal(AuthFailure.MissingAuthentication, error.Failure);
        Assert.Equal((code, status), (error.Code, error.StatusCode!.Value));
    }

    [Fact]
    public async Task Authenticate_NonS3StreamingWithoutContentSha256_RefusesAsync()
    {
        var vector = Vectors.Get("sagemaker-json");

        await Assert.ThrowsAsync<ArgumentException>(() => Verifier.AuthenticateAsync(vector, streaming: true).AsTask());
    }

    [Fact]
    public async Task Authenticate_UnsignedTrailerVector_ExposesTrailerAfterEndAsync()
    {
        var vector = Vectors.Get("s3-unsigned-trailer-odd-chunks");

        var result = await Verifier.AuthenticateAsync(vector);

        Assert.Equal(PayloadSigning.UnsignedChunksWithTrailer, result.PayloadSigning);
        Assert.Equal(772, result.DecodedContentLength);
        Assert.Empty(result.Trailers);
        Assert.Equal(vector.Decoded, await Requests.ReadAllAsync(result.Body!, bufferSize: 13));
        Assert.Equal("NfbtyA==", result.Trailers["x-amz-checksum-crc32"]);
    }

    [Fact]
    public async Task Authenticate_S3RequestWithoutBody_LeavesBodyUnwrappedAsync()
    {
        var vector = Vectors.Get("s3-list-query");
        var request = Requests.Build(vector);
        request.HttpContext.Features.Set<IHttpRequestBodyDetectionFeature>(new NoBody());

        var result = await Verifier.AuthenticateAsync(vector, request);

        Assert.Same(request.Body, result.Body);
    }

    private sealed class NoBody : IHttpRequestBodyDetectionFeature
    {
        public bool CanHaveBody => false;
    }

    private static string RemoveQueryParameter(string target, string name)
    {
        var mark = target.IndexOf('?');
        var kept = target[(mark + 1)..].Split('&').Where(p => !p.StartsWith(name + "=", StringComparison.Ordinal));
        return target[..mark] + "?" + string.Join('&', kept);
    }
}
