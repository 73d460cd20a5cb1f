using Kiln.Core.Errors;

namespace Kiln.Services.CloudTrail;

/// <summary>CloudTrail's errors (model error shapes; messages as CloudTrail writes them).</summary>
public static class CloudTrailErrors
{
    public static AwsException InvalidLookupAttributes(string message) => new("InvalidLookupAttributesException", message, 400);
    public static AwsException InvalidMaxResults() => new("InvalidMaxResultsException", "Value for parameter maxResults is invalid. It must be between 1 and 50.", 400);
    public static AwsException InvalidNextToken() => new("InvalidNextTokenException", "Invalid next token.", 400);
    public static AwsException InvalidTimeRange() => new("InvalidTimeRangeException", "Start time must be before end time.", 400);
    public static AwsException InvalidEventCategory() => new("InvalidEventCategoryException", "Event category is invalid.", 400);

    public static AwsException InvalidTrailName(string message) => new("InvalidTrailNameException", message, 400);
    public static AwsException TrailNotProvided() => new("TrailNotProvidedException", "Trail name or ARN must be specified.", 400);
    public static AwsException ArnInvalid(string arn) => new("CloudTrailARNInvalidException", $"Invalid trail ARN: {arn}", 400);
    public static AwsException TrailNotFound(string arn, string account) =>
        new("TrailNotFoundException", $"Unknown trail: {arn} for the user: {account}", 400);
    public static AwsException TrailAlreadyExists(string name, string account) =>
        new("TrailAlreadyExistsException", $"Trail {name} already exists for customer: {account}", 400);
    public static AwsException MaximumNumberOfTrailsExceeded(string account, string region) =>
        new("MaximumNumberOfTrailsExceededException", $"User: {account} already has 5 trails in {region}.", 400);
    public static AwsException S3BucketDoesNotExist(string bucket) =>
        new("S3BucketDoesNotExistException", $"S3 bucket {bucket} does not exist.", 400);
    public static AwsException InvalidS3BucketName(string bucket) =>
        new("InvalidS3BucketNameException", $"Bucket name {bucket} is not valid.", 400);
    public static AwsException InvalidS3Prefix(string message) => new("InvalidS3PrefixException", message, 400);
    public static AwsException InsufficientS3BucketPolicy(string bucket) =>
        new("InsufficientS3BucketPolicyException", $"Incorrect S3 bucket policy is detected for bucket: {bucket}", 400);
    public static AwsException InvalidHomeRegion(string arn, string homeRegion) =>
        new("InvalidHomeRegionException", $"The trail {arn} can only be changed from its home region {homeRegion}.", 400);
    public static AwsException ResourceNotFound(string arn) => new("ResourceNotFoundException", $"Resource {arn} does not exist.", 400);
    public static AwsException TagsLimitExceeded() =>
        new("TagsLimitExceededException", "The number of tags per trail has exceeded the permitted amount. Currently, the limit is 50.", 400);
    public static AwsException InvalidTagParameter(string message) => new("InvalidTagParameterException", message, 400);
    public static AwsException Unsupported(string message) => new("UnsupportedOperationException", message, 400);
    public static AwsException InvalidParameter(string message) => new("InvalidParameterException", message, 400);
}
