using Kiln.Services.Iam.Domain;

namespace Kiln.Services.Iam.Storage;

/// <summary>The in-memory IAM store, for unit tests.</summary>
public sealed class MemoryIamStore : IIamStore
{
    private readonly Lock _lock = new();
    private readonly SortedDictionary<(string Account, EntityKind Kind, string Name), string> _rows = new();

    public Task<T?> GetAsync<T>(string accountId, EntityKind kind, string name, CancellationToken cancellationToken)
        where T : class
    {
        lock (_lock)
        {
            return Task.FromResult(_rows.TryGetValue((accountId, kind, name), out var json)
                ? EntityJson.Deserialize<T>(json)
                : null);
        }
    }

    public Task<IReadOnlyList<T>> ListAsync<T>(string accountId, EntityKind kind, CancellationToken cancellationToken)
        where T : class
    {
        lock (_lock)
        {
            return Task.FromResult<IReadOnlyList<T>>(_rows
                .Where(r => r.Key.Account == accountId && r.Key.Kind == kind)
                .OrderBy(r => r.Key.Name, StringComparer.Ordinal)
                .Select(r => EntityJson.Deserialize<T>(r.Value)).ToList());
        }
    }

    public Task WriteAsync(string accountId, IReadOnlyList<EntityWrite> writes, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            foreach (var w in writes)
            {
                if (w.Entity is null)
                {
                    _rows.Remove((accountId, w.Kind, w.Name));
                }
                else
                {
                    _rows[(accountId, w.Kind, w.Name)] = EntityJson.Serialize(w.Kind, w.Entity);
                }
            }

            return Task.CompletedTask;
        }
    }
}
