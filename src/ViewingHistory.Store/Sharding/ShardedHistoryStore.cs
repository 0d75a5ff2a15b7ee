using System.Runtime.ExceptionServices;
using Microsoft.Extensions.Logging;
using ViewingHistory.Core.Events;
using ViewingHistory.Core.History;
using ViewingHistory.Store.Postgres;

namespace ViewingHistory.Store.Sharding;

/// <summary>
/// N PostgreSQL stores as one (<c>Store:Shards</c>; DESIGN.md "The store scales by member"): member m lives on shard
/// <see cref="MemberHash.Partition"/>(m, N), and every read, hide, export and erasure of m goes to that shard alone, so a
/// shard that is down fails only its own members' operations (<see cref="StoreUnavailableException"/>, a 503 at the
/// API). An apply is split into one transaction per shard; the parts on healthy shards commit even when another fails.
/// The change feed is the global feed (<see cref="ShardedHistoryStore"/>'s Feed partial): shard 0's database holds, in
/// a schema of its own, a copy of every shard's outbox in one order. The SQL is the shards' own: this type only routes.
/// </summary>
public sealed partial class ShardedHistoryStore : IHistoryStore
{
    private readonly PostgresHistoryStore[] _shards;
    private readonly PostgresHistoryStore _feed;
    private readonly bool?[] _up;

    /// <param name="connectionStrings">The shards in order (<c>Store:Shards:0..N-1</c>); at least one.</param>
    /// <param name="schema">The schema of every shard's tables (null: the connection's search_path); the shadow store uses its own.</param>
    /// <param name="feedSchema">The schema, in shard 0's database, of the global feed.</param>
    /// <param name="clock">Stamps change rows; the system clock by default.</param>
    /// <param name="logger">Where the shards' deferred initializations report; none by default.</param>
    public ShardedHistoryStore(IReadOnlyList<string> connectionStrings, string? schema, string feedSchema, TimeProvider? clock = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(connectionStrings);
        if (connectionStrings.Count == 0)
        {
            throw new ArgumentException("A sharded store needs at least one shard.", nameof(connectionStrings));
        }

        _shards = [.. connectionStrings.Select((c, i) => new PostgresHistoryStore(c, schema, clock, new ShardPlacement(i, connectionStrings.Count), logger))];
        _feed = new PostgresHistoryStore(connectionStrings[0], feedSchema, clock, logger: logger) { IsGlobalFeed = true };
        _up = new bool?[_shards.Length];
    }

    /// <summary>The number of shards N.</summary>
    public int ShardCount => _shards.Length;

    /// <summary>The shards, in order: shard i holds the members whose <see cref="ShardOf"/> is i.</summary>
    public IReadOnlyList<IHistoryStore> Shards => _shards;

    /// <summary>What the last <see cref="PingAsync"/> said of each shard: true up, false down, null not asked yet.</summary>
    public IReadOnlyList<bool?> ShardsUp => _up;

    /// <summary>The shard that holds <paramref name="memberId"/>.</summary>
    public int ShardOf(string memberId) => _shards.Length == 1 ? 0 : MemberHash.Partition(memberId, _shards.Length);

    private PostgresHistoryStore For(string memberId) => _shards[ShardOf(memberId)];

    /// <summary>
    /// Initializes every shard and the global feed at once (each under its own advisory lock). A refusal of the
    /// configuration by any of them (a shard made under another count, refused credentials...) is thrown as it is. Those
    /// that cannot be reached are left to initialize on first use (<see cref="PostgresHistoryStore.InitializeAsync"/>), so
    /// a shard down at start stalls only its members (shard 0's database down: also the feed), and a
    /// <see cref="StoreUnavailableException"/> naming them is thrown once the others are done.
    /// </summary>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        PostgresHistoryStore[] stores = [.. _shards, _feed];
        var failures = await Task.WhenAll(stores.Select(async s =>
        {
            try
            {
                await s.InitializeAsync(cancellationToken);
                return null;
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                return e;
            }
        }));
        if (Array.Find(failures, f => f is not null and not StoreUnavailableException) is { } refusal)
        {
            ExceptionDispatchInfo.Throw(refusal);
        }

        var down = Enumerable.Range(0, stores.Length).Where(i => failures[i] is not null).ToList();
        if (down.Count > 0)
        {
            var first = failures[down[0]]!;
            var names = down.Select(i => i < _shards.Length ? $"shard {i}" : $"the global feed (shard 0's database, schema {_feed.Schema})");
            throw new StoreUnavailableException(
                $"Of {_shards.Length} PostgreSQL shards, {string.Join(", ", names)} did not answer: initialized when they answer. {first.Message}",
                first);
        }
    }

    public async Task<ApplyResult> ApplyAsync(IReadOnlyDictionary<SessionKey, SessionState> sessions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sessions);
        var parts = SplitByShard(sessions);
        var applies = parts.Select((part, i) => part is null ? Task.FromResult(default(ApplyResult)) : _shards[i].ApplyAsync(part, cancellationToken)).ToArray();
        // A shard's failure fails the apply, but the parts of the shards that committed stay committed: applying them
        // again is a no-op. (The processor holds a down shard's part on its own: ShardedApply.)
        var results = await Task.WhenAll(applies);

        return new ApplyResult(results.Sum(r => r.SessionsWritten), results.Sum(r => r.ItemsChanged));
    }

    /// <summary>The sessions of each shard (null where a shard has none).</summary>
    public Dictionary<SessionKey, SessionState>?[] SplitByShard(IReadOnlyDictionary<SessionKey, SessionState> sessions)
    {
        ArgumentNullException.ThrowIfNull(sessions);
        var parts = new Dictionary<SessionKey, SessionState>?[_shards.Length];
        foreach (var (key, state) in sessions)
        {
            (parts[ShardOf(key.MemberId)] ??= [])[key] = state;
        }

        return parts;
    }

    public Task<HistoryPage> ReadPageAsync(string memberId, int limit, HistoryCursor? after, CancellationToken cancellationToken) =>
        For(memberId).ReadPageAsync(memberId, limit, after, cancellationToken);

    public Task<HistoryPage> ReadContinueWatchingAsync(string memberId, int limit, HistoryCursor? after, CancellationToken cancellationToken) =>
        For(memberId).ReadContinueWatchingAsync(memberId, limit, after, cancellationToken);

    public Task<HistoryItem?> ReadItemAsync(string memberId, string titleId, CancellationToken cancellationToken) =>
        For(memberId).ReadItemAsync(memberId, titleId, cancellationToken);

    public Task HideTitleAsync(string memberId, string titleId, long atMs, CancellationToken cancellationToken) =>
        For(memberId).HideTitleAsync(memberId, titleId, atMs, cancellationToken);

    public Task HideAllAsync(string memberId, long atMs, CancellationToken cancellationToken) =>
        For(memberId).HideAllAsync(memberId, atMs, cancellationToken);

    public async Task<IReadOnlyList<string>> ListMembersAsync(string? after, int limit, CancellationToken cancellationToken)
    {
        // Each shard's members are in ordinal order and no member is on two shards: the first `limit` of the merge.
        var lists = await Task.WhenAll(_shards.Select(s => s.ListMembersAsync(after, limit, cancellationToken)));
        return [.. lists.SelectMany(l => l).Order(StringComparer.Ordinal).Take(limit)];
    }

    /// <summary>
    /// Succeeds while at least one shard answers (the other members' reads and writes go on), recording each shard's
    /// answer in <see cref="ShardsUp"/>; throws when none does. A hung shard does not delay the answer once another
    /// answered.
    /// </summary>
    public async Task PingAsync(CancellationToken cancellationToken)
    {
        var pings = _shards.Select(async (s, i) =>
        {
            try
            {
                await s.PingAsync(cancellationToken);
                _up[i] = true;
                return true;
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                _up[i] = false;
                return false;
            }
        }).ToList();
        var pending = new List<Task<bool>>(pings);
        while (pending.Count > 0)
        {
            var done = await Task.WhenAny(pending);
            if (await done)
            {
                return;
            }

            pending.Remove(done);
        }

        throw new StoreUnavailableException($"None of the {_shards.Length} PostgreSQL shards answers.");
    }

    /// <summary>Every shard must take the probe: a failure is only the data's when no shard's state can explain it.</summary>
    public Task ProbeWriteAsync(CancellationToken cancellationToken) => Task.WhenAll(_shards.Select(s => s.ProbeWriteAsync(cancellationToken)));

    public async ValueTask DisposeAsync()
    {
        foreach (var shard in _shards)
        {
            await shard.DisposeAsync();
        }

        await _feed.DisposeAsync();
        _copying.Dispose();
    }
}
