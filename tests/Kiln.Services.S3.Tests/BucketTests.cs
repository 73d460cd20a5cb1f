using Kiln.Core.Errors;

namespace Kiln.Services.S3.Tests;

public sealed class BucketTests : IDisposable
{
    private readonly Harness _h = new();

    public void Dispose() => _h.Dispose();

    [Theory]
    [InlineData("ab")]
    [InlineData("Upper-Case")]
    [InlineData("-starts-with-dash")]
    [InlineData("two..dots")]
    [InlineData("192.168.1.1")]
    [InlineData("xn--punycode")]
    [InlineData("ends-s3alias-s3alias")]
    public async Task CreateBucket_BadName_ReturnsInvalidBucketName(string name)
    {
        var error = await Assert.ThrowsAsync<AwsException>(() =>
            _h.Objects.CreateBucketAsync(Harness.Account, "us-east-1", name, null, default));

        Assert.Equal("InvalidBucketName", error.Code);
        Assert.Equal(name, error.Fields["BucketName"]);
    }

    [Fact]
    public async Task CreateBucket_OtherAccountsName_ReturnsBucketAlreadyExists()
    {
        await _h.BucketAsync("shared-name");

        var error = await Assert.ThrowsAsync<AwsException>(() =>
            _h.Objects.CreateBucketAsync(Harness.Other, "us-east-1", "shared-name", null, default));

        Assert.Equal("BucketAlreadyExists", error.Code);
        Assert.Equal(409, error.StatusCode);
    }

    [Fact]
    public async Task CreateBucket_OwnAgainOutsideUsEast1_ReturnsBucketAlreadyOwnedByYou()
    {
        await _h.Objects.CreateBucketAsync(Harness.Account, "eu-west-1", "mine", "eu-west-1", default);

        var error = await Assert.ThrowsAsync<AwsException>(() =>
            _h.Objects.CreateBucketAsync(Harness.Account, "eu-west-1", "mine", "eu-west-1", default));

        Assert.Equal("BucketAlreadyOwnedByYou", error.Code);
        Assert.Equal(409, error.StatusCode);
    }

    [Fact]
    public async Task CreateBucket_LegacyEuInEuWest1_IsAnEuWest1Bucket_ThatKeepsItsConstraint()
    {
        var created = await _h.Objects.CreateBucketAsync(Harness.Account, "eu-west-1", "legacy-eu", "EU", default);
        var read = await _h.Objects.GetBucketAsync(Harness.Account, "legacy-eu", default);

        Assert.Equal(("eu-west-1", "EU"), (created.Region, created.LocationConstraint));
        Assert.Equal(("eu-west-1", "EU"), (read.Region, read.LocationConstraint));
        Assert.Null((await _h.Objects.CreateBucketAsync(Harness.Account, "eu-west-1", "plain-eu", "eu-west-1", default))
            .LocationConstraint);
    }

    [Theory]
    [InlineData("us-east-1")]
    [InlineData("eu-central-1")]
    [InlineData("us-west-2")]
    public async Task CreateBucket_LegacyEuOutsideEuWest1_IsIllegalLocationConstraint_AsAnyMismatch(string region)
    {
        var eu = await Assert.ThrowsAsync<AwsException>(() =>
            _h.Objects.CreateBucketAsync(Harness.Account, region, "legacy-eu", "EU", default));
        var other = await Assert.ThrowsAsync<AwsException>(() =>
            _h.Objects.CreateBucketAsync(Harness.Account, region, "legacy-eu", "ap-south-1", default));

        Assert.Equal(("IllegalLocationConstraintException", 400), (eu.Code, eu.StatusCode));
        Assert.Equal((other.Code, other.StatusCode), (eu.Code, eu.StatusCode));
        Assert.Equal("The EU location constraint is incompatible for the region specific endpoint this request was sent to.",
            eu.Message);
    }

    [Fact]
    public async Task CreateBucket_OwnAgainInUsEast1_Succeeds()
    {
        await _h.BucketAsync("mine");

        var again = await _h.Objects.CreateBucketAsync(Harness.Account, "us-east-1", "mine", null, default);

        Assert.Equal("mine", again.Name);
    }

    [Fact]
    public async Task CreateBucket_ConstraintOtherThanRequestRegion_ReturnsIllegalLocationConstraint()
    {
        var error = await Assert.ThrowsAsync<AwsException>(() =>
            _h.Objects.CreateBucketAsync(Harness.Account, "us-east-1", "mine", "eu-west-1", default));

        Assert.Equal("IllegalLocationConstraintException", error.Code);
    }

    [Fact]
    public async Task CreateBucket_SignedForLegacyLocationUs_ReturnsAuthorizationHeaderMalformedNamingTheRegion()
    {
        var error = await Assert.ThrowsAsync<AwsException>(() =>
            _h.Objects.CreateBucketAsync(Harness.Account, "US", "mine", null, default));

        Assert.Equal(("AuthorizationHeaderMalformed", 400), (error.Code, error.StatusCode));
        Assert.Equal("The authorization header is malformed; the region 'US' is wrong; expecting 'us-east-1'", error.Message);
        Assert.Equal("us-east-1", error.Fields["Region"]);
    }

    [Fact]
    public async Task GetBucket_OtherAccount_ReturnsAccessDenied_MissingReturnsNoSuchBucket()
    {
        await _h.BucketAsync("mine");

        var denied = await Assert.ThrowsAsync<AwsException>(() => _h.Objects.GetBucketAsync(Harness.Other, "mine", default));
        var missing = await Assert.ThrowsAsync<AwsException>(() => _h.Objects.GetBucketAsync(Harness.Account, "nope", default));

        Assert.Equal(("AccessDenied", 403), (denied.Code, denied.StatusCode));
        Assert.Equal(("NoSuchBucket", 404), (missing.Code, missing.StatusCode));
    }

    [Fact]
    public async Task DeleteBucket_WithObject_ReturnsBucketNotEmpty_EmptySucceeds()
    {
        var bucket = await _h.BucketAsync();
        await _h.PutAsync(bucket, "k", "x");

        var error = await Assert.ThrowsAsync<AwsException>(() => _h.Objects.DeleteBucketAsync(Harness.Account, bucket, default));
        Assert.Equal(("BucketNotEmpty", 409), (error.Code, error.StatusCode));

        await _h.Objects.DeleteObjectAsync(Harness.Account, bucket, "k", null, default);
        await _h.Objects.DeleteBucketAsync(Harness.Account, bucket, default);
        Assert.Empty(await _h.Objects.ListBucketsAsync(Harness.Account, default));
    }

    [Fact]
    public async Task BucketTags_SetGetDelete()
    {
        var bucket = await _h.BucketAsync();
        var none = await Assert.ThrowsAsync<AwsException>(() => _h.Objects.GetBucketTagsAsync(Harness.Account, bucket, default));
        Assert.Equal("NoSuchTagSet", none.Code);

        await _h.Objects.SetBucketTagsAsync(Harness.Account, bucket, [new("team", "ml")], default);
        Assert.Equal("ml", (await _h.Objects.GetBucketTagsAsync(Harness.Account, bucket, default))[0].Value);

        await _h.Objects.SetBucketTagsAsync(Harness.Account, bucket, null, default);
        await Assert.ThrowsAsync<AwsException>(() => _h.Objects.GetBucketTagsAsync(Harness.Account, bucket, default));
    }
}
