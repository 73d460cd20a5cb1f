using System.Text;
using Kiln.Core;
using Kiln.Model.S3;
using Kiln.Services.S3.Storage;

namespace Kiln.Services.S3.Api;

internal sealed partial class S3Api
{
    public override async Task<ListObjectsOutput> ListObjectsAsync(ListObjectsRequest input, RequestContext context)
    {
        var encode = Encoder(input.EncodingType);
        var bucket = Required(input.Bucket, "Bucket");
        var maxKeys = MaxKeys(input.MaxKeys, objects.Limits.MaxKeys);
        var result = await objects.ListObjectsAsync(context.AccountId, bucket, input.Prefix ?? "", input.Delimiter,
            input.Marker ?? "", resuming: true, maxKeys, context.Aborted).ConfigureAwait(false);
        return new ListObjectsOutput
        {
            Name = bucket,
            Prefix = encode(input.Prefix ?? ""),
            Delimiter = encode(input.Delimiter),
            Marker = encode(input.Marker ?? ""),
            MaxKeys = maxKeys,
            EncodingType = input.EncodingType,
            IsTruncated = result.IsTruncated,
            NextMarker = result.IsTruncated ? encode(result.LastReturned) : null,
            Contents = result.Objects.Select(o => WireObject(o, encode, owner: true)).ToList(),
            CommonPrefixes = result.CommonPrefixes.Select(p => new CommonPrefix { Prefix = encode(p) }).ToList(),
        };
    }

    public override async Task<ListObjectsV2Output> ListObjectsV2Async(ListObjectsV2Request input, RequestContext context)
    {
        var encode = Encoder(input.EncodingType);
        var bucket = Required(input.Bucket, "Bucket");
        var maxKeys = MaxKeys(input.MaxKeys, objects.Limits.MaxKeys);
        var after = input.StartAfter ?? "";
        var resuming = false;
        if (input.ContinuationToken is { } token)
        {
            after = DecodeToken(token);
            resuming = true;
        }

        var result = await objects.ListObjectsAsync(context.AccountId, bucket, input.Prefix ?? "", input.Delimiter,
            after, resuming, maxKeys, context.Aborted).ConfigureAwait(false);
        return new ListObjectsV2Output
        {
            Name = bucket,
            Prefix = encode(input.Prefix ?? ""),
            Delimiter = encode(input.Delimiter),
            StartAfter = encode(input.StartAfter),
            MaxKeys = maxKeys,
            EncodingType = input.EncodingType,
            IsTruncated = result.IsTruncated,
            KeyCount = result.Objects.Count + result.CommonPrefixes.Count,
            ContinuationToken = input.ContinuationToken,
            NextContinuationToken = result.IsTruncated && result.LastReturned is { } last ? EncodeToken(last) : null,
            Contents = result.Objects.Select(o => WireObject(o, encode, owner: input.FetchOwner == true)).ToList(),
            CommonPrefixes = result.CommonPrefixes.Select(p => new CommonPrefix { Prefix = encode(p) }).ToList(),
        };
    }

    // The token is opaque to clients: the last key or prefix returned, base64url'd.
    private static string EncodeToken(string last) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(last)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string DecodeToken(string token)
    {
        try
        {
            var s = token.Replace('-', '+').Replace('_', '/');
            s = s.PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '=');
            return new UTF8Encoding(false, true).GetString(Convert.FromBase64String(s));
        }
        catch (Exception e) when (e is FormatException or DecoderFallbackException)
        {
            throw S3Errors.InvalidArgument("The continuation token provided is incorrect", "continuation-token", token);
        }
    }

    private static Model.S3.Object WireObject(ObjectVersionRecord o, Func<string?, string?> encode, bool owner) => new()
    {
        Key = encode(o.Key),
        LastModified = o.LastModified,
        ETag = Quote(o.ETag),
        // The botocore 1.29 model types Size as an integer; objects over 2 GiB are clamped until
        // the model is regenerated from a newer botocore (where it is a long).
        Size = (int)Math.Min(o.Size, int.MaxValue),
        StorageClass = o.StorageClass,
        Owner = owner ? OwnerOf(o.OwnerAccountId) : null,
        ChecksumAlgorithm = o.Checksums.Count > 0 ? o.Checksums.Keys.ToList() : null,
    };

    public override async Task<ListObjectVersionsOutput> ListObjectVersionsAsync(ListObjectVersionsRequest input,
        RequestContext context)
    {
        var encode = Encoder(input.EncodingType);
        var bucket = Required(input.Bucket, "Bucket");
        var maxKeys = MaxKeys(input.MaxKeys, objects.Limits.MaxKeys);
        var result = await objects.ListVersionsAsync(context.AccountId, bucket, input.Prefix ?? "", input.Delimiter,
            input.KeyMarker, input.VersionIdMarker, maxKeys, context.Aborted).ConfigureAwait(false);
        return new ListObjectVersionsOutput
        {
            Name = bucket,
            Prefix = encode(input.Prefix ?? ""),
            Delimiter = encode(input.Delimiter),
            KeyMarker = encode(input.KeyMarker ?? ""),
            VersionIdMarker = input.VersionIdMarker ?? "",
            MaxKeys = maxKeys,
            EncodingType = input.EncodingType,
            IsTruncated = result.IsTruncated,
            NextKeyMarker = encode(result.NextKeyMarker),
            NextVersionIdMarker = result.NextVersionIdMarker,
            Versions = result.Versions.Where(v => !v.IsDeleteMarker).Select(v => new ObjectVersion
            {
                Key = encode(v.Key),
                VersionId = v.VersionId,
                IsLatest = v.IsLatest,
                LastModified = v.LastModified,
                ETag = Quote(v.ETag),
                Size = (int)Math.Min(v.Size, int.MaxValue),
                StorageClass = v.StorageClass,
                Owner = OwnerOf(v.OwnerAccountId),
                ChecksumAlgorithm = v.Checksums.Count > 0 ? v.Checksums.Keys.ToList() : null,
            }).ToList(),
            DeleteMarkers = result.Versions.Where(v => v.IsDeleteMarker).Select(v => new DeleteMarkerEntry
            {
                Key = encode(v.Key),
                VersionId = v.VersionId,
                IsLatest = v.IsLatest,
                LastModified = v.LastModified,
                Owner = OwnerOf(v.OwnerAccountId),
            }).ToList(),
            CommonPrefixes = result.CommonPrefixes.Select(p => new CommonPrefix { Prefix = encode(p) }).ToList(),
        };
    }
}
