using System.Globalization;
using Kiln.Core;
using Kiln.Model.CloudTrail;
using Kiln.Services.CloudTrail.Domain;

namespace Kiln.Services.CloudTrail.Api;

/// <summary>Trails: CreateTrail, UpdateTrail, GetTrail, DescribeTrails, ListTrails, GetTrailStatus,
/// StartLogging, StopLogging, DeleteTrail, GetEventSelectors, AddTags, ListTags, RemoveTags.</summary>
internal sealed partial class CloudTrailApi
{
    public override async Task<CreateTrailResponse> CreateTrailAsync(CreateTrailRequest input, RequestContext context)
    {
        CheckUnsupported(input.KmsKeyId, input.SnsTopicName, input.CloudWatchLogsLogGroupArn ?? input.CloudWatchLogsRoleArn,
            input.EnableLogFileValidation, input.IsOrganizationTrail);
        Dictionary<string, string>? tags = null;
        if (input.TagsList is { Count: > 0 } list)
        {
            tags = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var tag in list)
            {
                var (key, value) = CheckTag(tag);
                tags[key] = value ?? "";
            }
        }

        var trail = await trails.CreateAsync(context.AccountId, context.Region, input.Name,
            new TrailSettings(input.S3BucketName, input.S3KeyPrefix, input.IncludeGlobalServiceEvents, input.IsMultiRegionTrail),
            tags, context.Aborted);
        return new CreateTrailResponse
        {
            Name = trail.Name,
            S3BucketName = trail.S3BucketName,
            S3KeyPrefix = trail.S3KeyPrefix,
            IncludeGlobalServiceEvents = trail.IncludeGlobalServiceEvents,
            IsMultiRegionTrail = trail.IsMultiRegionTrail,
            TrailARN = trail.Arn,
            LogFileValidationEnabled = false,
            IsOrganizationTrail = false,
        };
    }

    public override async Task<UpdateTrailResponse> UpdateTrailAsync(UpdateTrailRequest input, RequestContext context)
    {
        CheckUnsupported(input.KmsKeyId, input.SnsTopicName, input.CloudWatchLogsLogGroupArn ?? input.CloudWatchLogsRoleArn,
            input.EnableLogFileValidation, input.IsOrganizationTrail);
        var trail = await trails.UpdateAsync(context.AccountId, context.Region, input.Name,
            new TrailSettings(input.S3BucketName, input.S3KeyPrefix, input.IncludeGlobalServiceEvents, input.IsMultiRegionTrail),
            context.Aborted);
        return new UpdateTrailResponse
        {
            Name = trail.Name,
            S3BucketName = trail.S3BucketName,
            S3KeyPrefix = trail.S3KeyPrefix,
            IncludeGlobalServiceEvents = trail.IncludeGlobalServiceEvents,
            IsMultiRegionTrail = trail.IsMultiRegionTrail,
            TrailARN = trail.Arn,
            LogFileValidationEnabled = false,
            IsOrganizationTrail = false,
        };
    }

    public override async Task<GetTrailResponse> GetTrailAsync(GetTrailRequest input, RequestContext context)
    {
        var trail = await trails.ResolveAsync(context.AccountId, context.Region, input.Name, forWrite: false, context.Aborted);
        return new GetTrailResponse { Trail = ToShape(trail) };
    }

    public override async Task<DescribeTrailsResponse> DescribeTrailsAsync(DescribeTrailsRequest input, RequestContext context)
    {
        var found = await trails.DescribeAsync(context.AccountId, context.Region, input.trailNameList,
            input.includeShadowTrails ?? true, context.Aborted);
        return new DescribeTrailsResponse { trailList = [.. found.Select(ToShape)] };
    }

    /// <summary>The account's trails in every region; Kiln allows five per region, so one page holds them.</summary>
    public override async Task<ListTrailsResponse> ListTrailsAsync(ListTrailsRequest input, RequestContext context)
    {
        if (input.NextToken is not null)
        {
            throw CloudTrailErrors.InvalidNextToken();
        }

        var all = await trails.ListAsync(context.AccountId, context.Aborted);
        return new ListTrailsResponse
        {
            Trails = [.. all.Select(t => new TrailInfo { TrailARN = t.Arn, Name = t.Name, HomeRegion = t.HomeRegion })],
        };
    }

    public override async Task<GetTrailStatusResponse> GetTrailStatusAsync(GetTrailStatusRequest input, RequestContext context)
    {
        var t = await trails.ResolveAsync(context.AccountId, context.Region, input.Name, forWrite: false, context.Aborted);
        return new GetTrailStatusResponse
        {
            IsLogging = t.IsLogging,
            LatestDeliveryTime = t.LatestDeliveryTime,
            LatestDeliveryError = t.LatestDeliveryError,
            StartLoggingTime = t.StartLoggingTime,
            StopLoggingTime = t.StopLoggingTime,
            // The string fields below are marked "no longer in use" in the API reference; SDKs still show them.
            LatestDeliveryAttemptTime = Text(t.LatestDeliveryAttemptTime),
            LatestDeliveryAttemptSucceeded = t.LatestDeliveryError is null ? Text(t.LatestDeliveryTime) : "",
            TimeLoggingStarted = Text(t.StartLoggingTime),
            TimeLoggingStopped = Text(t.StopLoggingTime),
        };
    }

    public override async Task<StartLoggingResponse> StartLoggingAsync(StartLoggingRequest input, RequestContext context)
    {
        await trails.StartLoggingAsync(context.AccountId, context.Region, input.Name, context.Aborted);
        return new StartLoggingResponse();
    }

    public override async Task<StopLoggingResponse> StopLoggingAsync(StopLoggingRequest input, RequestContext context)
    {
        await trails.StopLoggingAsync(context.AccountId, context.Region, input.Name, context.Aborted);
        return new StopLoggingResponse();
    }

    public override async Task<DeleteTrailResponse> DeleteTrailAsync(DeleteTrailRequest input, RequestContext context)
    {
        await trails.DeleteAsync(context.AccountId, context.Region, input.Name, context.Aborted);
        return new DeleteTrailResponse();
    }

    /// <summary>Kiln trails always have the default selector: all management events, no data events.</summary>
    public override async Task<GetEventSelectorsResponse> GetEventSelectorsAsync(GetEventSelectorsRequest input, RequestContext context)
    {
        var trail = await trails.ResolveAsync(context.AccountId, context.Region, input.TrailName, forWrite: false, context.Aborted);
        return new GetEventSelectorsResponse
        {
            TrailARN = trail.Arn,
            EventSelectors =
            [
                new EventSelector { ReadWriteType = "All", IncludeManagementEvents = true, DataResources = [], ExcludeManagementEventSources = [] },
            ],
        };
    }

    public override async Task<AddTagsResponse> AddTagsAsync(AddTagsRequest input, RequestContext context)
    {
        await trails.ChangeTagsAsync(context.AccountId, input.ResourceId, [.. (input.TagsList ?? []).Select(CheckTag)], remove: false,
            context.Aborted);
        return new AddTagsResponse();
    }

    public override async Task<RemoveTagsResponse> RemoveTagsAsync(RemoveTagsRequest input, RequestContext context)
    {
        await trails.ChangeTagsAsync(context.AccountId, input.ResourceId, [.. (input.TagsList ?? []).Select(CheckTag)], remove: true,
            context.Aborted);
        return new RemoveTagsResponse();
    }

    /// <summary>Tags of up to 20 trails named by ARN ("ResourceIdList"), in any region.</summary>
    public override async Task<ListTagsResponse> ListTagsAsync(ListTagsRequest input, RequestContext context)
    {
        if (input.ResourceIdList is not { Count: > 0 and <= 20 } ids)
        {
            throw CloudTrailErrors.InvalidParameter("ResourceIdList must name between 1 and 20 resources.");
        }

        var list = new List<ResourceTag>(ids.Count);
        foreach (var id in ids)
        {
            var trail = await trails.FindByArnAsync(context.AccountId, id, context.Aborted);
            list.Add(new ResourceTag
            {
                ResourceId = trail.Arn,
                TagsList = [.. trail.Tags.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => new Tag { Key = t.Key, Value = t.Value })],
            });
        }

        return new ListTagsResponse { ResourceTagList = list };
    }

    /// <summary>"Key: ... Length Constraints: Maximum length of 128"; "Value: ... Maximum length of 256" (Tag).</summary>
    private static (string Key, string? Value) CheckTag(Tag tag)
    {
        if (string.IsNullOrEmpty(tag.Key) || tag.Key.Length > 128)
        {
            throw CloudTrailErrors.InvalidTagParameter("Tag key must be between 1 and 128 characters.");
        }

        if (tag.Value is { Length: > 256 })
        {
            throw CloudTrailErrors.InvalidTagParameter("Tag value must be at most 256 characters.");
        }

        return (tag.Key, tag.Value);
    }

    private static Kiln.Model.CloudTrail.Trail ToShape(Domain.Trail t) => new()
    {
        Name = t.Name,
        S3BucketName = t.S3BucketName,
        S3KeyPrefix = t.S3KeyPrefix,
        IncludeGlobalServiceEvents = t.IncludeGlobalServiceEvents,
        IsMultiRegionTrail = t.IsMultiRegionTrail,
        HomeRegion = t.HomeRegion,
        TrailARN = t.Arn,
        LogFileValidationEnabled = false,
        HasCustomEventSelectors = false,
        HasInsightSelectors = false,
        IsOrganizationTrail = false,
    };

    private static string? Text(DateTimeOffset? time) =>
        time?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>Features Kiln's trails do not have answer UnsupportedOperationException rather than
    /// being accepted and silently dropped.</summary>
    private static void CheckUnsupported(string? kmsKeyId, string? snsTopic, string? cloudWatchLogs, bool? validation, bool? organization)
    {
        if (!string.IsNullOrEmpty(kmsKeyId))
        {
            throw CloudTrailErrors.Unsupported("Kiln does not encrypt trail log files with SSE-KMS (KmsKeyId); they are encrypted at rest as every S3 object is.");
        }

        if (!string.IsNullOrEmpty(snsTopic))
        {
            throw CloudTrailErrors.Unsupported("Kiln has no Amazon SNS: SnsTopicName is not supported.");
        }

        if (!string.IsNullOrEmpty(cloudWatchLogs))
        {
            throw CloudTrailErrors.Unsupported("Kiln trails do not deliver to CloudWatch Logs.");
        }

        if (validation == true)
        {
            throw CloudTrailErrors.Unsupported("Kiln trails do not write digest files: log file validation is not supported.");
        }

        if (organization == true)
        {
            throw new Kiln.Core.Errors.AwsException("OrganizationsNotInUseException",
                "This account is not a member of an organization.", 400);
        }
    }
}
