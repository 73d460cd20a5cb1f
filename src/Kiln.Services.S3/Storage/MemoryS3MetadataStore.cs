namespace Kiln.Services.S3.Storage;

/// <summary>The metadata store in memory, for unit tests. One lock makes every call atomic, which
/// is the transaction semantics the SQLite store gives.</summary>
public sealed class MemoryS3MetadataStore : IS3MetadataStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, BucketRecord> _buckets = new(StringComparer.Ordinal);
    private readonly List<ObjectVersionRecord> _versions = [];
    private readonly Dictionary<string, UploadRecord> _uploads = new(StringComparer.Ordinal);
    private readonly Dictionary<(string, int), PartRecord> _parts = [];
    private long _sequence;

    public IBucketAccessStore Access { get; } = new MemoryBucketAccessStore();

    public Task<BucketRecord?> CreateBucketAsync(BucketRecord bucket, CancellationToken cancellationToken) =>
        CreateBucketAsync(bucket, null, cancellationToken);

    public Task<BucketRecord?> CreateBucketAsync(BucketRecord bucket, BucketAccessRecord? access, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_buckets.TryGetValue(bucket.Name, out var existing))
            {
                return Task.FromResult<BucketRecord?>(existing);
            }

            _buckets[bucket.Name] = bucket;
            if (access is not null)
            {
                Access.Put(access);
            }

            return Task.FromResult<BucketRecord?>(null);
        }
    }

    public Task<BucketRecord?> GetBucketAsync(string name, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult(_buckets.GetValueOrDefault(name));
        }
    }

    public Task<IReadOnlyList<BucketRecord>> ListBucketsAsync(string ownerAccountId, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            IReadOnlyList<BucketRecord> list = _buckets.Values.Where(b => b.OwnerAccountId == ownerAccountId)
                .OrderBy(b => b.Name, KeyOrder.Instance).ToList();
            return Task.FromResult(list);
        }
    }

    public Task UpdateBucketAsync(BucketRecord bucket, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (!_buckets.ContainsKey(bucket.Name))
            {
                throw new MissingBucketException(bucket.Name);
            }

            _buckets[bucket.Name] = bucket;
            return Task.CompletedTask;
        }
    }

    public Task<IReadOnlyList<string>?> DeleteBucketAsync(string name, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (!_buckets.ContainsKey(name))
            {
                throw new MissingBucketException(name);
            }

            if (_versions.Any(v => v.Bucket == name))
            {
                return Task.FromResult<IReadOnlyList<string>?>(null);
            }

            var freed = new List<string>();
            foreach (var upload in _uploads.Values.Where(u => u.Bucket == name).ToList())
            {
                freed.AddRange(RemoveUpload(upload.UploadId));
            }

            _buckets.Remove(name);
            return Task.FromResult<IReadOnlyList<string>?>(freed);
        }
    }

    public Task<(IReadOnlyList<string> FreedBlobs, long Sequence)> PutVersionAsync(ObjectVersionRecord version,
        CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (!_buckets.ContainsKey(version.Bucket))
            {
                throw new MissingBucketException(version.Bucket);
            }

            var freed = PutVersion(version);
            return Task.FromResult((freed, _sequence));
        }
    }

    private IReadOnlyList<string> PutVersion(ObjectVersionRecord version)
    {
        var freed = new List<string>();
        for (var i = _versions.Count - 1; i >= 0; i--)
        {
            var v = _versions[i];
            if (v.Bucket != version.Bucket || v.Key != version.Key)
            {
                continue;
            }

            if (version.VersionId == ObjectVersionRecord.NullVersionId && v.VersionId == ObjectVersionRecord.NullVersionId)
            {
                freed.AddRange(v.Segments.Select(s => s.BlobId));
                _versions.RemoveAt(i);
            }
            else if (v.IsLatest)
            {
                _versions[i] = v with { IsLatest = false };
            }
        }

        _versions.Add(version with { IsLatest = true, Sequence = ++_sequence });
        return freed;
    }

    public Task<ObjectVersionRecord?> GetVersionAsync(string bucket, string key, string? versionId,
        CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            var found = _versions.FirstOrDefault(v => v.Bucket == bucket && v.Key == key &&
                                                      (versionId is null ? v.IsLatest : v.VersionId == versionId));
            return Task.FromResult(found);
        }
    }

    public Task<(ObjectVersionRecord? Removed, IReadOnlyList<string> FreedBlobs)> DeleteVersionAsync(string bucket,
        string key, string versionId, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            var index = _versions.FindIndex(v => v.Bucket == bucket && v.Key == key && v.VersionId == versionId);
            if (index < 0)
            {
                return Task.FromResult<(ObjectVersionRecord?, IReadOnlyList<string>)>((null, []));
            }

            var removed = _versions[index];
            _versions.RemoveAt(index);
            if (removed.IsLatest)
            {
                var next = _versions.Where(v => v.Bucket == bucket && v.Key == key).MaxBy(v => v.Sequence);
                if (next is not null)
                {
                    _versions[_versions.IndexOf(next)] = next with { IsLatest = true };
                }
            }

            IReadOnlyList<string> freed = removed.Segments.Select(s => s.BlobId).ToList();
            return Task.FromResult<(ObjectVersionRecord?, IReadOnlyList<string>)>((removed, freed));
        }
    }

    public Task<bool> SetTagsAsync(string bucket, string key, string versionId, IReadOnlyList<ObjectTag> tags,
        CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            var index = _versions.FindIndex(v => v.Bucket == bucket && v.Key == key && v.VersionId == versionId);
            if (index < 0)
            {
                return Task.FromResult(false);
            }

            _versions[index] = _versions[index] with { Tags = tags };
            return Task.FromResult(true);
        }
    }

    public Task<ObjectVersionRecord?> UpdateVersionAsync(string bucket, string key, string versionId,
        Func<ObjectVersionRecord, ObjectVersionRecord> change, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            var index = _versions.FindIndex(v => v.Bucket == bucket && v.Key == key && v.VersionId == versionId);
            if (index < 0)
            {
                return Task.FromResult<ObjectVersionRecord?>(null);
            }

            var old = _versions[index];
            var changed = change(old) with
            {
                Bucket = old.Bucket, Key = old.Key, VersionId = old.VersionId, Segments = old.Segments,
                Sequence = old.Sequence, IsLatest = old.IsLatest, IsDeleteMarker = old.IsDeleteMarker,
            };
            _versions[index] = changed;
            return Task.FromResult<ObjectVersionRecord?>(changed);
        }
    }

    public Task<IReadOnlyList<ObjectVersionRecord>> ListLatestAsync(string bucket, string prefix, string after, int limit,
        CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            IReadOnlyList<ObjectVersionRecord> list = _versions
                .Where(v => v.Bucket == bucket && v.IsLatest && !v.IsDeleteMarker &&
                            v.Key.StartsWith(prefix, StringComparison.Ordinal) && KeyOrder.Compare(v.Key, after) > 0)
                .OrderBy(v => v.Key, KeyOrder.Instance).Take(limit).ToList();
            return Task.FromResult(list);
        }
    }

    public Task<IReadOnlyList<ObjectVersionRecord>> ListVersionsAsync(string bucket, string prefix, string afterKey,
        long? afterSequence, int limit, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            IReadOnlyList<ObjectVersionRecord> list = _versions
                .Where(v => v.Bucket == bucket && v.Key.StartsWith(prefix, StringComparison.Ordinal) &&
                            (KeyOrder.Compare(v.Key, afterKey) > 0 ||
                             (afterSequence is { } seq && v.Key == afterKey && v.Sequence < seq)))
                .OrderBy(v => v.Key, KeyOrder.Instance).ThenByDescending(v => v.Sequence).Take(limit).ToList();
            return Task.FromResult(list);
        }
    }

    public Task CreateUploadAsync(UploadRecord upload, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (!_buckets.ContainsKey(upload.Bucket))
            {
                throw new MissingBucketException(upload.Bucket);
            }

            _uploads[upload.UploadId] = upload;
            return Task.CompletedTask;
        }
    }

    public Task<UploadRecord?> GetUploadAsync(string uploadId, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult(_uploads.GetValueOrDefault(uploadId));
        }
    }

    public Task<IReadOnlyList<string>> PutPartAsync(PartRecord part, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (!_uploads.ContainsKey(part.UploadId))
            {
                throw new MissingUploadException(part.UploadId);
            }

            IReadOnlyList<string> freed = _parts.TryGetValue((part.UploadId, part.PartNumber), out var old)
                ? [old.Blob.BlobId]
                : [];
            _parts[(part.UploadId, part.PartNumber)] = part;
            return Task.FromResult(freed);
        }
    }

    public Task<IReadOnlyList<PartRecord>> ListPartsAsync(string uploadId, int afterPartNumber, int limit,
        CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            IReadOnlyList<PartRecord> list = _parts.Values
                .Where(p => p.UploadId == uploadId && p.PartNumber > afterPartNumber)
                .OrderBy(p => p.PartNumber).Take(limit).ToList();
            return Task.FromResult(list);
        }
    }

    public Task<IReadOnlyList<UploadRecord>> ListUploadsAsync(string bucket, string prefix, string afterKey,
        string afterUploadId, int limit, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            IReadOnlyList<UploadRecord> list = _uploads.Values
                .Where(u => u.Bucket == bucket && u.Key.StartsWith(prefix, StringComparison.Ordinal) &&
                            (KeyOrder.Compare(u.Key, afterKey) > 0 ||
                             (u.Key == afterKey && string.CompareOrdinal(u.UploadId, afterUploadId) > 0)))
                .OrderBy(u => u.Key, KeyOrder.Instance).ThenBy(u => u.UploadId, StringComparer.Ordinal)
                .Take(limit).ToList();
            return Task.FromResult(list);
        }
    }

    public Task<(IReadOnlyList<string> FreedBlobs, long Sequence)> CompleteUploadAsync(string uploadId,
        ObjectVersionRecord version,
        CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (!_uploads.ContainsKey(uploadId))
            {
                throw new MissingUploadException(uploadId);
            }

            if (!_buckets.ContainsKey(version.Bucket))
            {
                throw new MissingBucketException(version.Bucket);
            }

            var used = version.Segments.Select(s => s.BlobId).ToHashSet(StringComparer.Ordinal);
            var freed = RemoveUpload(uploadId).Where(id => !used.Contains(id)).ToList();
            freed.AddRange(PutVersion(version));
            return Task.FromResult<(IReadOnlyList<string>, long)>((freed, _sequence));
        }
    }

    public Task<IReadOnlyList<string>> AbortUploadAsync(string uploadId, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (!_uploads.ContainsKey(uploadId))
            {
                throw new MissingUploadException(uploadId);
            }

            return Task.FromResult<IReadOnlyList<string>>(RemoveUpload(uploadId));
        }
    }

    private List<string> RemoveUpload(string uploadId)
    {
        _uploads.Remove(uploadId);
        var parts = _parts.Values.Where(p => p.UploadId == uploadId).ToList();
        foreach (var p in parts)
        {
            _parts.Remove((uploadId, p.PartNumber));
        }

        return parts.Select(p => p.Blob.BlobId).ToList();
    }

    public Task<IReadOnlySet<string>> ReferencedBlobsAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            var set = new HashSet<string>(StringComparer.Ordinal);
            set.UnionWith(_versions.SelectMany(v => v.Segments).Select(s => s.BlobId));
            set.UnionWith(_parts.Values.Select(p => p.Blob.BlobId));
            return Task.FromResult<IReadOnlySet<string>>(set);
        }
    }
}
