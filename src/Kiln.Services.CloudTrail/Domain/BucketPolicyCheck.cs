using Kiln.Policy;

namespace Kiln.Services.CloudTrail.Domain;

/// <summary>
/// Whether a bucket policy lets CloudTrail deliver, evaluated with Kiln.Policy as the service
/// principal <c>cloudtrail.amazonaws.com</c> ("Amazon S3 bucket policy for CloudTrail", CloudTrail
/// User Guide): s3:GetBucketAcl on the bucket, and s3:PutObject on
/// <c>[prefix/]AWSLogs/&lt;account&gt;/*</c> with <c>s3:x-amz-acl = bucket-owner-full-control</c>. The
/// request carries <c>aws:SourceArn</c> (the trail ARN) and <c>aws:SourceAccount</c>, so the documented
/// confused-deputy conditions work. A service principal has no identity policies: only the bucket
/// policy can allow it, whichever account owns the bucket.
/// </summary>
public static class BucketPolicyCheck
{
    public const string ServicePrincipal = "cloudtrail.amazonaws.com";

    public static bool AllowsGetBucketAcl(TrailBucket bucket, Trail trail, DateTimeOffset now) =>
        Allows(bucket, trail, "s3:GetBucketAcl", "arn:aws:s3:::" + trail.S3BucketName, now);

    public static bool AllowsPutObject(TrailBucket bucket, Trail trail, string key, DateTimeOffset now) =>
        Allows(bucket, trail, "s3:PutObject", "arn:aws:s3:::" + trail.S3BucketName + "/" + key, now);

    private static bool Allows(TrailBucket bucket, Trail trail, string action, string resource, DateTimeOffset now)
    {
        if (bucket.Policy is null)
        {
            return false;
        }

        var context = new ConditionKeys();
        context.Set("aws:SourceArn", trail.Arn);
        context.Set("aws:SourceAccount", trail.AccountId);
        if (action == "s3:PutObject")
        {
            context.Set("s3:x-amz-acl", "bucket-owner-full-control");
        }

        var request = new AuthorizationRequest
        {
            PrincipalArn = ServicePrincipal,
            PrincipalType = PrincipalType.Service,
            Action = action,
            Resources = [resource],
            ResourcePolicy = bucket.Policy,
            ResourceAccount = bucket.OwnerAccountId,
            Context = context,
            CurrentTime = now,
            SecureTransport = true,
        };
        return PolicyEvaluator.Evaluate(request).IsAllowed;
    }
}
