using Kiln.Core;
using Kiln.Core.Shapes;
using Kiln.Protocol.Gateway;
using Kiln.Services.S3.Storage;

namespace Kiln.Services.S3.Api;

/// <summary>x-amz-expected-bucket-owner and x-amz-source-expected-bucket-owner: when the bucket (or
/// the copy source's bucket) belongs to another account than the one named, S3 answers 403
/// AccessDenied and does nothing. Checked before the operation, for every operation whose input has
/// the member; a bucket that does not exist is left to the operation (NoSuchBucket).</summary>
public sealed class ExpectedOwnerServiceApi(IServiceApi inner, IS3MetadataStore store) : IServiceApi
{
    public ServiceInfo Service => inner.Service;

    public async Task<object?> InvokeAsync(OperationInfo operation, object? input, RequestContext context)
    {
        if (input is not null && operation.Input is { } shape)
        {
            if (Member(shape, input, "ExpectedBucketOwner") is { } expected && Member(shape, input, "Bucket") is { } bucket)
            {
                await CheckAsync(bucket, expected, context.Aborted).ConfigureAwait(false);
            }

            if (Member(shape, input, "ExpectedSourceBucketOwner") is { } expectedSource
                && Member(shape, input, "CopySource") is { } copySource)
            {
                await CheckAsync(S3Api.ParseCopySource(copySource).Bucket, expectedSource, context.Aborted).ConfigureAwait(false);
            }
        }

        return await inner.InvokeAsync(operation, input, context).ConfigureAwait(false);
    }

    private async Task CheckAsync(string bucket, string expectedOwner, CancellationToken cancellationToken)
    {
        if (await store.GetBucketAsync(bucket, cancellationToken).ConfigureAwait(false) is { } record
            && !string.Equals(record.OwnerAccountId, expectedOwner, StringComparison.Ordinal))
        {
            throw S3Errors.AccessDenied();
        }
    }

    private static string? Member(ShapeInfo shape, object input, string name) =>
        shape.FindMember(name)?.Get(input) as string;
}
