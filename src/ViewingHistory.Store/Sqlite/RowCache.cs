using ViewingHistory.Core.History;

namespace ViewingHistory.Store.Sqlite;

/// <summary>
/// What the SQLite writer last wrote or read of an item: all its stored sessions, its stored row and its title mark.
/// Absent rows are known too (an empty session set, a null item or mark): a new session's item is read once, then never.
/// </summary>
internal sealed class CachedItem(Dictionary<string, SessionState>? sessions)
{
    public Dictionary<string, SessionState> Sessions { get; } = sessions ?? new(StringComparer.Ordinal);

    public StoredItem? Item { get; set; }

    public long? TitleMark { get; set; }
}

/// <summary>
/// The SQLite writer's bounded cache of rows (benchmarks/NOTES.md: on a large fleet every session of a batch is a
/// different one, and reading its sessions, item and marks back cost as much as writing them). Correct because the
/// writer is the file's only writer in this process, all its work runs on one thread, and every transaction first
/// checks <c>PRAGMA data_version</c>, which moves when another connection (another process) committed to the file:
/// then the cache is dropped (<see cref="Validate"/>). Entries change while a transaction runs; if it fails, the writer
/// drops everything (<see cref="Clear"/>), so the cache never holds what did not commit. Least recently used entries go
/// first once <see cref="Capacity"/> items (and as many members) are held. Not thread-safe: the writer thread only.
/// </summary>
internal sealed class RowCache(int capacity)
{
    private readonly Lru<ItemKey, CachedItem> _items = new(capacity);
    private readonly Lru<string, long?> _memberMarks = new(capacity);
    private long _dataVersion = -1;

    public int Capacity { get; } = capacity;

    public int Count => _items.Count;

    /// <summary>Drops everything when <paramref name="dataVersion"/> (PRAGMA data_version, read in the write transaction) moved.</summary>
    public void Validate(long dataVersion)
    {
        if (dataVersion != _dataVersion)
        {
            Clear();
            _dataVersion = dataVersion;
        }
    }

    public bool TryGetItem(ItemKey key, out CachedItem item) => _items.TryGet(key, out item!);

    public void SetItem(ItemKey key, CachedItem item) => _items.Set(key, item);

    public void ForgetItem(ItemKey key) => _items.Remove(key);

    public bool TryGetMemberMark(string memberId, out long? mark) => _memberMarks.TryGet(memberId, out mark);

    public void SetMemberMark(string memberId, long? mark) => _memberMarks.Set(memberId, mark);

    public void Clear()
    {
        _items.Clear();
        _memberMarks.Clear();
    }

    /// <summary>A plain LRU map: a dictionary of nodes of a recency list (most recent first).</summary>
    private sealed class Lru<TKey, TValue>(int capacity)
        where TKey : notnull
    {
        private readonly Dictionary<TKey, LinkedListNode<(TKey Key, TValue Value)>> _map = [];
        private readonly LinkedList<(TKey Key, TValue Value)> _recency = new();

        public int Count => _map.Count;

        public bool TryGet(TKey key, out TValue value)
        {
            if (_map.TryGetValue(key, out var node))
            {
                _recency.Remove(node);
                _recency.AddFirst(node);
                value = node.Value.Value;
                return true;
            }

            value = default!;
            return false;
        }

        public void Set(TKey key, TValue value)
        {
            if (capacity <= 0)
            {
                return;
            }

            if (_map.TryGetValue(key, out var node))
            {
                _recency.Remove(node);
                node.Value = (key, value);
                _recency.AddFirst(node);
                return;
            }

            if (_map.Count >= capacity)
            {
                var oldest = _recency.Last!;
                _recency.RemoveLast();
                _map.Remove(oldest.Value.Key);
            }

            _map[key] = _recency.AddFirst((key, value));
        }

        public void Remove(TKey key)
        {
            if (_map.Remove(key, out var node))
            {
                _recency.Remove(node);
            }
        }

        public void Clear()
        {
            _map.Clear();
            _recency.Clear();
        }
    }
}
