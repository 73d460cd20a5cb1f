using Kiln.Protocol.SigV4;

namespace Kiln.Protocol.Tests.SigV4;

public sealed class CredentialScopeTests
{
    [Fact]
    public void TryRead_AuthorizationHeader_ReturnsScope()
    {
        var request = Requests.Build(Vectors.Get("sagemaker-json"));

        Assert.True(CredentialScope.TryRead(request, out var scope));
        Assert.Equal(new CredentialScope("AKIDEXAMPLE", "20261121", "us-west-2", "sagemaker"), scope);
    }

    [Fact]
    public void TryRead_PresignedQuery_ReturnsScope()
    {
        var request = Requests.Build(Vectors.Get("s3-presigned-put"));

        Assert.Equal(new CredentialScope("AKIDEXAMPLE", "20261121", "ap-southeast-2", "s3"), CredentialScope.Read(request));
    }

    [Fact]
    public void Read_Anonymous_ReturnsNull()
    {
        var request = Requests.Build("GET", "/bucket/key?prefix=a", [["Host", "localhost"]], []);

        Assert.Null(CredentialScope.Read(request));
    }

    [Theory]
    [InlineData("AWS AKIDEXAMPLE:signature")]
    [InlineData("AWS4-HMAC-SHA256 Credential=AKID/20261121/us-east-1/s3, SignedHeaders=host, Signature=00")]
    [InlineData("AWS4-HMAC-SHA256 Credential=AKID/2026112/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00")]
    [InlineData("AWS4-HMAC-SHA256 Credential=AKID/20261121//s3/aws4_request, SignedHeaders=host, Signature=00")]
    [InlineData("AWS4-HMAC-SHA256 SignedHeaders=host, Signature=00")]
    public void TryRead_UnparsableCredential_ReturnsFalse(string authorization)
    {
        var request = Requests.Build("GET", "/", [["Authorization", authorization]], []);

        Assert.False(CredentialScope.TryRead(request, out _));
    }

    [Theory]
    [InlineData("sagemaker-json")]
    [InlineData("s3-presigned-get")]
    public void IsAnonymous_SignedRequest_ReturnsFalse(string name) =>
        Assert.False(SigV4Authenticator.IsAnonymous(Requests.Build(Vectors.Get(name))));

    [Fact]
    public void IsAnonymous_SigV2OrUnsignedRequest_TellsThemApart()
    {
        var sigV2 = Requests.Build("GET", "/b/k", [["Authorization", "AWS AKID:sig"]], []);
        var anonymous = Requests.Build("GET", "/b/k?prefix=X-Amz", [["Host", "localhost"]], []);

        Assert.False(SigV4Authenticator.IsAnonymous(sigV2));
        Assert.False(CredentialScope.TryRead(sigV2, out _));
        Assert.True(SigV4Authenticator.IsAnonymous(anonymous));
    }

    [Fact]
    public void TryRead_CommaWithoutSpace_ReturnsScope()
    {
        var request = Requests.Build("GET", "/", [["Authorization",
            "AWS4-HMAC-SHA256 Credential=AKID/20261121/eu-west-3/kinesis/aws4_request,SignedHeaders=host,Signature=00"]], []);

        Assert.Equal("kinesis", CredentialScope.Read(request)?.Service);
        Assert.Equal("eu-west-3", CredentialScope.Read(request)?.Region);
    }
}
