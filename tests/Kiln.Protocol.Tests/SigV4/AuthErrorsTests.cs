using Kiln.Protocol.SigV4;

namespace Kiln.Protocol.Tests.SigV4;

/// <summary>The failure × protocol table. Expected values are AWS's answers as cited in AuthErrors.</summary>
public sealed class AuthErrorsTests
{
    [Theory]
    // S3 (rest-xml)
    [InlineData(AuthFailure.MissingAuthentication, AuthErrorStyle.S3, "AccessDenied", 403, "Access Denied")]
    [InlineData(AuthFailure.SignatureMismatch, AuthErrorStyle.S3, "SignatureDoesNotMatch", 403, "The request signature we calculated does not match the signature you provided. Check your key and signing method.")]
    [InlineData(AuthFailure.ChunkSignatureMismatch, AuthErrorStyle.S3, "SignatureDoesNotMatch", 403, "The request signature we calculated does not match the signature you provided. Check your key and signing method.")]
    [InlineData(AuthFailure.UnknownAccessKey, AuthErrorStyle.S3, "InvalidAccessKeyId", 403, "The AWS Access Key Id you provided does not exist in our records.")]
    [InlineData(AuthFailure.InactiveAccessKey, AuthErrorStyle.S3, "InvalidAccessKeyId", 403, "The AWS Access Key Id you provided does not exist in our records.")]
    [InlineData(AuthFailure.PresignExpired, AuthErrorStyle.S3, "AccessDenied", 403, "Request has expired")]
    [InlineData(AuthFailure.PresignNotYetValid, AuthErrorStyle.S3, "AccessDenied", 403, "Request is not valid yet")]
    [InlineData(AuthFailure.RequestTimeTooSkewed, AuthErrorStyle.S3, "RequestTimeTooSkewed", 403, "The difference between the request time and the current time is too large.")]
    [InlineData(AuthFailure.IncompleteSignature, AuthErrorStyle.S3, "AuthorizationHeaderMalformed", 400, "The authorization header is malformed; the authorization header requires three components: Credential, SignedHeaders, and Signature.")]
    [InlineData(AuthFailure.ContentSha256Mismatch, AuthErrorStyle.S3, "XAmzContentSHA256Mismatch", 400, "The provided 'x-amz-content-sha256' header does not match what was computed.")]
    [InlineData(AuthFailure.InvalidSecurityToken, AuthErrorStyle.S3, "InvalidToken", 400, "The provided token is malformed or otherwise invalid.")]
    [InlineData(AuthFailure.ExpiredSecurityToken, AuthErrorStyle.S3, "ExpiredToken", 400, "The provided token has expired.")]
    [InlineData(AuthFailure.MissingPresignParameter, AuthErrorStyle.S3, "AuthorizationQueryParametersError", 400, "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.")]
    [InlineData(AuthFailure.InvalidExpires, AuthErrorStyle.S3, "AuthorizationQueryParametersError", 400, "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds")]
    [InlineData(AuthFailure.MissingDate, AuthErrorStyle.S3, "AccessDenied", 403, "AWS authentication requires a valid Date or x-amz-date header")]
    [InlineData(AuthFailure.IncompleteBody, AuthErrorStyle.S3, "IncompleteBody", 400, "You did not provide the number of bytes specified by the Content-Length HTTP header.")]
    // query (STS, IAM, SNS, SQS, CloudWatch)
    [InlineData(AuthFailure.MissingAuthentication, AuthErrorStyle.Query, "MissingAuthenticationToken", 403, "Request is missing Authentication Token")]
    [InlineData(AuthFailure.SignatureMismatch, AuthErrorStyle.Query, "SignatureDoesNotMatch", 403, "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")]
    [InlineData(AuthFailure.UnknownAccessKey, AuthErrorStyle.Query, "InvalidClientTokenId", 403, "The security token included in the request is invalid.")]
    [InlineData(AuthFailure.InvalidSecurityToken, AuthErrorStyle.Query, "InvalidClientTokenId", 403, "The security token included in the request is invalid.")]
    [InlineData(AuthFailure.ExpiredSecurityToken, AuthErrorStyle.Query, "ExpiredToken", 400, "The security token included in the request is expired")]
    [InlineData(AuthFailure.IncompleteSignature, AuthErrorStyle.Query, "IncompleteSignature", 400, "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter.")]
    [InlineData(AuthFailure.MissingDate, AuthErrorStyle.Query, "IncompleteSignature", 400, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")]
    // json
    [InlineData(AuthFailure.MissingAuthentication, AuthErrorStyle.Json, "MissingAuthenticationTokenException", 400, "Request is missing Authentication Token")]
    [InlineData(AuthFailure.SignatureMismatch, AuthErrorStyle.Json, "InvalidSignatureException", 400, "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")]
    [InlineData(AuthFailure.UnknownAccessKey, AuthErrorStyle.Json, "UnrecognizedClientException", 400, "The security token included in the request is invalid.")]
    [InlineData(AuthFailure.ExpiredSecurityToken, AuthErrorStyle.Json, "ExpiredTokenException", 400, "The security token included in the request is expired")]
    [InlineData(AuthFailure.IncompleteSignature, AuthErrorStyle.Json, "IncompleteSignatureException", 400, "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter.")]
    // rest-json
    [InlineData(AuthFailure.UnknownAccessKey, AuthErrorStyle.RestJson, "UnrecognizedClientException", 403, "The security token included in the request is invalid.")]
    [InlineData(AuthFailure.SignatureMismatch, AuthErrorStyle.RestJson, "InvalidSignatureException", 403, "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")]
    [InlineData(AuthFailure.MissingAuthentication, AuthErrorStyle.RestJson, "MissingAuthenticationTokenException", 403, "Missing Authentication Token")]
    public void ToAwsException_FailureAndStyle_AnswersAsAws(AuthFailure failure, AuthErrorStyle style, string code, int status,
        string message)
    {
        var error = AuthErrors.ToAwsException(failure, style);

        Assert.Equal((code, status, message), (error.Code, error.StatusCode!.Value, error.Message));
        Assert.Equal(failure, error.Failure);
        Assert.True(error.SenderFault);
    }

    [Fact]
    public void ToAwsException_EveryFailureAndStyle_HasAnAnswer()
    {
        foreach (var failure in Enum.GetValues<AuthFailure>())
        {
            foreach (var style in Enum.GetValues<AuthErrorStyle>())
            {
                var error = AuthErrors.ToAwsException(failure, style);
                Assert.False(string.IsNullOrEmpty(error.Code));
                Assert.False(string.IsNullOrEmpty(error.Message));
                Assert.InRange(error.StatusCode!.Value, 400, 403);
            }
        }
    }

    [Fact]
    public void ToAwsException_Message_ReplacesTheTableText()
    {
        var error = AuthErrors.ToAwsException(AuthFailure.InvalidExpires, AuthErrorStyle.S3, "X-Amz-Expires should be a number");

        Assert.Equal(("AuthorizationQueryParametersError", "X-Amz-Expires should be a number"), (error.Code, error.Message));
    }

    [Fact]
    public void ToAwsException_S3Skew_CarriesTimesAndAllowance()
    {
        var detail = new AuthFailureDetail
        {
            RequestTime = "20250901T162148Z",
            SignedAt = new DateTimeOffset(2025, 9, 1, 16, 21, 48, TimeSpan.Zero),
            ServerTime = new DateTimeOffset(2025, 9, 3, 16, 21, 50, TimeSpan.Zero),
        };

        var error = AuthErrors.ToAwsException(AuthFailure.RequestTimeTooSkewed, AuthErrorStyle.S3, detail);

        // versitygw#1514 quotes AWS: <RequestTime>20250901T162148Z</RequestTime><ServerTime>2025-09-03T16:21:50Z</ServerTime>
        Assert.Equal("20250901T162148Z", error.Fields["RequestTime"]);
        Assert.Equal("2025-09-03T16:21:50Z", error.Fields["ServerTime"]);
        Assert.Equal("900000", error.Fields["MaxAllowedSkewMilliseconds"]);
    }

    [Fact]
    public void ToAwsException_QuerySkew_WordsItLikeSts()
    {
        // aws-cli#6676: "Signature expired: 20220127T001427Z is now earlier than 20220127T014428Z (20220127T015928Z - 15 min.)"
        var detail = new AuthFailureDetail
        {
            RequestTime = "20220127T001427Z",
            SignedAt = new DateTimeOffset(2022, 1, 27, 0, 14, 27, TimeSpan.Zero),
            ServerTime = new DateTimeOffset(2022, 1, 27, 1, 59, 28, TimeSpan.Zero),
        };

        var expired = AuthErrors.ToAwsException(AuthFailure.RequestTimeTooSkewed, AuthErrorStyle.Query, detail);
        var json = AuthErrors.ToAwsException(AuthFailure.RequestTimeTooSkewed, AuthErrorStyle.Json, detail);

        Assert.Equal(("SignatureDoesNotMatch", 403), (expired.Code, expired.StatusCode!.Value));
        Assert.Equal("Signature expired: 20220127T001427Z is now earlier than 20220127T014428Z (20220127T015928Z - 15 min.)",
            expired.Message);
        Assert.Equal(("InvalidSignatureException", 400, expired.Message), (json.Code, json.StatusCode!.Value, json.Message));
    }

    [Fact]
    public void ToAwsException_FutureRequest_SaysNotYetCurrent()
    {
        var detail = new AuthFailureDetail
        {
            RequestTime = "20230804T000000Z",
            SignedAt = new DateTimeOffset(2023, 8, 4, 0, 0, 0, TimeSpan.Zero),
            ServerTime = new DateTimeOffset(2023, 8, 3, 17, 17, 33, TimeSpan.Zero),
        };

        var error = AuthErrors.ToAwsException(AuthFailure.RequestTimeTooSkewed, AuthErrorStyle.Query, detail);

        Assert.Equal("Signature not yet current: 20230804T000000Z is still later than 20230803T173233Z (20230803T171733Z + 15 min.)",
            error.Message);
    }

    [Fact]
    public void ToAwsException_S3SignatureMismatch_CarriesCanonicalRequestNotSignature()
    {
        var detail = new AuthFailureDetail { AccessKeyId = "AKID", CanonicalRequest = "GET\n/\n", StringToSign = "AWS4-HMAC-SHA256\n" };

        var error = AuthErrors.ToAwsException(AuthFailure.SignatureMismatch, AuthErrorStyle.S3, detail);

        Assert.Equal("AKID", error.Fields["AWSAccessKeyId"]);
        Assert.Equal("GET\n/\n", error.Fields["CanonicalRequest"]);
        Assert.Equal("AWS4-HMAC-SHA256\n", error.Fields["StringToSign"]);
        Assert.False(error.Fields.ContainsKey("SignatureProvided"));
    }

    [Fact]
    public void ToAwsException_QuerySignatureMismatch_ExplainsLikeSts()
    {
        var detail = new AuthFailureDetail { CanonicalRequest = "GET\n/", StringToSign = "AWS4-HMAC-SHA256\nx" };

        var error = AuthErrors.ToAwsException(AuthFailure.SignatureMismatch, AuthErrorStyle.Query, detail);

        Assert.EndsWith("\n\nThe Canonical String for this request should have been\n'GET\n/'\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256\nx'\n",
            error.Message);
    }

    [Fact]
    public void ToAwsException_WrongRegion_NamesBothRegions()
    {
        var detail = new AuthFailureDetail { Region = "us-east-1", ExpectedRegion = "eu-central-1" };

        var s3 = AuthErrors.ToAwsException(AuthFailure.WrongRegion, AuthErrorStyle.S3, detail);
        var query = AuthErrors.ToAwsException(AuthFailure.WrongRegion, AuthErrorStyle.Query, detail);

        Assert.Equal("The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'eu-central-1'", s3.Message);
        Assert.Equal("eu-central-1", s3.Fields["Region"]);
        Assert.Equal("Credential should be scoped to a valid region, not 'us-east-1'. ", query.Message);
    }

    [Fact]
    public void ToAwsException_PresignedMalformedCredential_UsesQueryParameterWording()
    {
        var header = AuthErrors.ToAwsException(AuthFailure.MalformedCredential, AuthErrorStyle.S3, new AuthFailureDetail());
        var query = AuthErrors.ToAwsException(AuthFailure.MalformedCredential, AuthErrorStyle.S3,
            new AuthFailureDetail { Presigned = true });

        Assert.Equal("AuthorizationHeaderMalformed", header.Code);
        Assert.Equal("AuthorizationQueryParametersError", query.Code);
    }

    [Theory]
    [InlineData("s3", "rest-xml", AuthErrorStyle.S3)]
    [InlineData("sts", "query", AuthErrorStyle.Query)]
    [InlineData("ec2", "ec2", AuthErrorStyle.Query)]
    [InlineData("route53", "rest-xml", AuthErrorStyle.Query)]
    [InlineData("sagemaker", "json", AuthErrorStyle.Json)]
    [InlineData("sagemaker", "rest-json", AuthErrorStyle.RestJson)]
    public void StyleFor_SigningNameAndProtocol_PicksFamily(string signingName, string protocol, AuthErrorStyle expected) =>
        Assert.Equal(expected, AuthErrors.StyleFor(signingName, protocol));
}
