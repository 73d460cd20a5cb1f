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
}
