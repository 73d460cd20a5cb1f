using System.Collections.Concurrent;
using Kiln.Services.CloudTrail.Domain;

namespace Kiln.Services.CloudTrail.Storage;

public sealed class MemoryTrailStore : ITrailStore
{
    private readonly ConcurrentDictionary<(string Account, string Region, string Name), Trail> _trails = new();

    public Task<Trail?> GetAsync(string accountId, string region, string name, CancellationToken cancellationToken) =>
        Task.FromResult(_trails.GetValueOrDefault((accountId, region, name)));

    public Task<IReadOnlyList<Trail>> ListAsync(string accountId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<Trail>>([.. _trails.Values.Where(t => t.AccountId == accountId)
            .OrderBy(t => t.HomeRegion, StringComparer.Ordinal).ThenBy(t => t.Name, StringComparer.Ordinal)]);

    public Task<IReadOnlyList<Trail>> ListAllAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<Trail>>([.. _trails.Values]);

    public Task<bool> TryAddAsync(Trail trail, CancellationToken cancellationToken) =>
        Task.FromResult(_trails.TryAdd((trail.AccountId, trail.HomeRegion, trail.Name), trail));

    public Task<bool> ReplaceAsync(Trail trail, CancellationToken cancellationToken)
    {
        var key = (trail.AccountId, trail.HomeRegion, trail.Name);
        while (_trails.TryGetValue(key, out var current))
        {
            if (_trails.TryUpdate(key, trail, current))
            {
                return Task.FromResult(true);
            }
        }

        return Task.FromResult(false);
    }

    public Task DeleteAsync(string accountId, string region, string name, CancellationToken cancellationToken)
    {
        _trails.TryRemove((accountId, region, name), out _);
        return Task.CompletedTask;
    }
}
