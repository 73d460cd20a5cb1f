using System.Collections.Concurrent;

namespace Kiln.Core;

/// <summary>
/// A thread-safe cache of values that are cheap to make again (parsed documents, derived keys): at
/// most <c>capacity</c> entries, emptied when an addition would pass that, so a burst of distinct
/// keys costs one remake per active key afterwards. Entries are counted with an interlocked counter,
/// because <see cref="ConcurrentDictionary{TKey,TValue}.Count"/> takes every lock of the dictionary.
/// </summary>
public sealed class BoundedCache<TKey, TValue>(int capacity, IEqualityComparer<TKey>? comparer = null)
    where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, TValue> _entries = new(comparer);
    private int _count;

    public bool TryGet(TKey key, out TValue value) => _entries.TryGetValue(key, out value!);

    public void Set(TKey key, TValue value)
    {
        if (Interlocked.Increment(ref _count) > capacity)
        {
            _entries.Clear();
            Interlocked.Exchange(ref _count, 1);
        }

        _entries[key] = value;
    }

    public void Remove(TKey key) => _entries.TryRemove(key, out _);
}
