using Kiln.Core;
using Kiln.Model.S3Control;
using Kiln.Services.S3.Domain;

namespace Kiln.Services.S3.Api;

/// <summary>S3 Control: the account-level block public access settings. The account comes in the
/// x-amz-account-id header (botocore also puts it in front of the host name); a caller manages
/// only its own account's settings.</summary>
/// <param name="domain">The S3 domain, resolved on first use: the host builds the service catalog
/// (every API) while the S3 domain's own dependencies may still be resolving.</param>
public sealed class S3ControlApi(Func<ObjectService> domain) : S3ControlApiBase
{
    private ObjectService? _objects;

    private ObjectService Objects => _objects ??= domain();

    public override Task PutPublicAccessBlockAsync(PutPublicAccessBlockRequest input, RequestContext context)
    {
        var account = OwnAccount(input.AccountId, context);
        var c = input.PublicAccessBlockConfiguration ?? throw S3Errors.MalformedXml();
        Objects.PutAccountPublicAccessBlock(account, new Storage.PublicAccessBlock(c.BlockPublicAcls == true,
            c.IgnorePublicAcls == true, c.BlockPublicPolicy == true, c.RestrictPublicBuckets == true));
        return Task.CompletedTask;
    }

    public override Task<GetPublicAccessBlockOutput> GetPublicAccessBlockAsync(GetPublicAccessBlockRequest input,
        RequestContext context)
    {
        var b = Objects.GetAccountPublicAccessBlock(OwnAccount(input.AccountId, context));
        return Task.FromResult(new GetPublicAccessBlockOutput
        {
            PublicAccessBlockConfiguration = new PublicAccessBlockConfiguration
            {
                BlockPublicAcls = b.BlockPublicAcls,
                IgnorePublicAcls = b.IgnorePublicAcls,
                BlockPublicPolicy = b.BlockPublicPolicy,
                RestrictPublicBuckets = b.RestrictPublicBuckets,
            },
        });
    }

    public override Task DeletePublicAccessBlockAsync(DeletePublicAccessBlockRequest input, RequestContext context)
    {
        Objects.DeleteAccountPublicAccessBlock(OwnAccount(input.AccountId, context));
        return Task.CompletedTask;
    }

    /// <summary>The named account, which must be the caller's: S3 Control answers AccessDenied for
    /// another account's settings.</summary>
    private static string OwnAccount(string? accountId, RequestContext context)
    {
        if (string.IsNullOrEmpty(accountId))
        {
            throw S3Errors.InvalidRequest("Missing required header for this request: x-amz-account-id");
        }

        return accountId == context.AccountId ? accountId : throw S3Errors.AccessDenied();
    }
}
