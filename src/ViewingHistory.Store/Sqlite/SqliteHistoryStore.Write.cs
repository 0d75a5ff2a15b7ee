using System.Diagnostics;
using Microsoft.Data.Sqlite;
using ViewingHistory.Core.Diagnostics;
using ViewingHistory.Core.History;
using ViewingHistory.Store.Rights;

namespace ViewingHistory.Store.Sqlite;

public sealed partial class SqliteHistoryStore
{
    public Task<ApplyResult> ApplyAsync(IReadOnlyDictionary<SessionKey, SessionState> sessions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sessions);
        if (sessions.Count == 0)
        {
            return Task.FromResult(new ApplyResult(0, 0));
        }

        var keys = sessions.Keys.Select(k => k.Item).Distinct().Order().ToList();
        return WriteAsync(
            (c, changedAt) =>
            {
                if (MayHoldErasures(c))
                {
                    // Before anything is read or written: a covered event must never reach a merge (CONTRACT.md, erasure).
                    StaleErasureMarksException.ThrowIfCovered(sessions, ReadErasureMarks(c, keys.Select(k => k.MemberId).Distinct(StringComparer.Ordinal).ToList()));
                }

                // What the row cache lacks is read (one statement per kind for all the missing keys); the rest is known.
                var items = LoadItems(c, keys);
                var changedSessions = new List<(ItemKey Item, SessionState Session)>();
                foreach (var (key, state) in sessions)
                {
                    var ofItem = items[key.Item].Sessions;
                    var merged = ofItem.TryGetValue(state.SessionId, out var old) ? SessionState.Merge(old, state) : state;
                    if (merged != old)
                    {
                        ofItem[merged.SessionId] = merged;
                        changedSessions.Add((key.Item, merged));
                    }
                }

                if (changedSessions.Count == 0)
                {
                    return new ApplyResult(0, 0); // a redelivery: same sessions, same marks, so the same items
                }

                foreach (var (item, session) in changedSessions)
                {
                    Run(
                        c.UpsertSession,
                        item.MemberId, item.TitleId, session.SessionId, session.LastAtMs, session.HeadSeq, session.HeadTimestampMs, session.HeadEventId,
                        session.PositionMs, session.DurationMs, session.StartedAtMs, session.HeadDevice);
                }

                // Only items with a changed session can change: the marks did not move.
                var touched = changedSessions.Select(r => r.Item).Distinct().Order().ToList();
                var titleMarks = new Dictionary<ItemKey, long>();
                foreach (var key in touched)
                {
                    if (items[key].TitleMark is { } mark)
                    {
                        titleMarks[key] = mark;
                    }
                }

                var plan = ItemWritePlan.For(touched, key => items[key].Item, key => items[key].Sessions.Values, LoadMemberMarks(c, touched), titleMarks);
                WritePlan(c, plan, changedAt);
                foreach (var (key, item) in plan.Upserts)
                {
                    items[key].Item = item;
                }

                foreach (var key in plan.Deletes)
                {
                    items[key].Item = null;
                }

                return new ApplyResult(changedSessions.Count, plan.Changes.Count);
            },
            cancellationToken,
            keepsRowCache: true);
    }

    /// <summary>The cached rows of <paramref name="keys"/>; those the cache lacks are read and cached (absent rows too).</summary>
    private Dictionary<ItemKey, CachedItem> LoadItems(WriterCommands c, List<ItemKey> keys)
    {
        var result = new Dictionary<ItemKey, CachedItem>(keys.Count);
        List<ItemKey>? missing = null;
        foreach (var key in keys)
        {
            if (_rows.TryGetItem(key, out var item))
            {
                result[key] = item;
            }
            else
            {
                (missing ??= []).Add(key);
            }
        }

        if (missing is null)
        {
            return result;
        }

        var keysJson = Json.Keys(missing);
        var sessions = ReadSessions(c, keysJson);
        var items = ReadItems(c, keysJson);
        var titleMarks = ReadTitleMarks(c, keysJson);
        foreach (var key in missing)
        {
            var entry = new CachedItem(sessions.GetValueOrDefault(key)) { Item = items.GetValueOrDefault(key), TitleMark = titleMarks.TryGetValue(key, out var m) ? m : null };
            result[key] = entry;
            _rows.SetItem(key, entry);
        }

        return result;
    }

    /// <summary>The hide-all marks of the members of <paramref name="keys"/>, from the row cache or read (and cached).</summary>
    private Dictionary<string, long> LoadMemberMarks(WriterCommands c, List<ItemKey> keys)
    {
        var marks = new Dictionary<string, long>(StringComparer.Ordinal);
        List<string>? missing = null;
        foreach (var member in keys.Select(k => k.MemberId).Distinct(StringComparer.Ordinal))
        {
            if (!_rows.TryGetMemberMark(member, out var mark))
            {
                (missing ??= []).Add(member);
            }
            else if (mark is { } at)
            {
                marks[member] = at;
            }
        }

        if (missing is not null)
        {
            var read = ReadMemberMarks(c, missing);
            foreach (var member in missing)
            {
                long? mark = read.TryGetValue(member, out var at) ? at : null;
                _rows.SetMemberMark(member, mark);
                if (mark is not null)
                {
                    marks[member] = at;
                }
            }
        }

        return marks;
    }

    public Task HideTitleAsync(string memberId, string titleId, long atMs, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(memberId);
        ArgumentException.ThrowIfNullOrEmpty(titleId);
        List<ItemKey> keys = [new ItemKey(memberId, titleId)];
        return WriteAsync(
            (c, changedAt) =>
            {
                SetParameters(c.RaiseTitleMark, memberId, titleId, atMs);
                if (c.RaiseTitleMark.ExecuteNonQuery() == 0)
                {
                    return 0; // the mark already stood at or after atMs: nothing can change
                }

                // Recomputed from what is stored: the cached copy of this item is stale from here on.
                _rows.ForgetItem(keys[0]);
                return Recompute(c, keys, ReadSessions(c, keys), ReadMemberMarks(c, [memberId]), changedAt);
            },
            cancellationToken,
            keepsRowCache: true);
    }

    public Task HideAllAsync(string memberId, long atMs, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(memberId);
        return WriteAsync(
            (c, changedAt) =>
            {
                SetParameters(c.RaiseMemberMark, memberId, atMs);
                if (c.RaiseMemberMark.ExecuteNonQuery() == 0)
                {
                    return 0;
                }

                // A raised mark only removes sessions, so only titles that have an item can change.
                var keys = new List<ItemKey>();
                SetParameters(c.SelectMemberItems, memberId);
                using (var reader = c.SelectMemberItems.ExecuteReader())
                {
                    while (reader.Read())
                    {
                        keys.Add(new ItemKey(memberId, reader.GetString(1)));
                    }
                }

                if (keys.Count == 0)
                {
                    return 0;
                }

                keys.Sort();
                return Recompute(c, keys, ReadSessions(c, keys), new Dictionary<string, long>(StringComparer.Ordinal) { [memberId] = atMs }, changedAt);
            },
            cancellationToken);
    }

    public Task ProbeWriteAsync(CancellationToken cancellationToken) =>
        WriteAsync(
            (c, at) =>
            {
                // One row, rewritten in place through the writer like every apply: a real commit, so a read-only or
                // unwritable file refuses it.
                c.UpsertProbe.Parameters[0].Value = at;
                return c.UpsertProbe.ExecuteNonQuery();
            },
            cancellationToken,
            keepsRowCache: true);

    /// <summary>
    /// Runs <paramref name="work"/> in one IMMEDIATE transaction on the writer, on the writer's own thread. The work is
    /// synchronous on purpose: Microsoft.Data.Sqlite's async methods run synchronously anyway, and the sync ones skip
    /// their overhead. The row cache (<see cref="RowCache"/>) is checked against the file first, dropped when the work
    /// fails, and dropped after it unless the work says it keeps the cache true (<paramref name="keepsRowCache"/>): a
    /// new kind of write is safe by default.
    /// </summary>
    private async Task<T> WriteAsync<T>(Func<WriterCommands, long, T> work, CancellationToken cancellationToken, bool keepsRowCache = false)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);

        // A span around the transaction and its commit (Microsoft.Data.Sqlite has no instrumentation of its own):
        // the wait for the single writer, the statements and the fsync of the commit. Null unless a tracer listens.
        using var activity = VhTracing.Source.StartActivity("sqlite transaction", ActivityKind.Client);
        activity?.SetTag("db.system.name", "sqlite");
        try
        {
            return await _writerThread.RunAsync(
                () =>
                {
                    ObjectDisposedException.ThrowIf(_disposed, this);
                    var writer = _writer ?? throw new InvalidOperationException("InitializeAsync must complete before the store is used.");
                    var commands = _commands!;
                    using var tx = writer.BeginTransaction(deferred: false);
                    commands.Enlist(tx);
                    try
                    {
                        _rows.Validate((long)commands.DataVersion.ExecuteScalar()!);
                        var result = work(commands, NowMs());
                        tx.Commit();
                        if (!keepsRowCache)
                        {
                            _rows.Clear();
                        }

                        return result;
                    }
                    catch
                    {
                        _rows.Clear(); // it may hold rows of the work that did not commit
                        throw;
                    }
                    finally
                    {
                        commands.Enlist(null);
                    }
                },
                cancellationToken);
        }
        catch (SqliteException e)
        {
            activity?.SetStatus(ActivityStatusCode.Error, "SQLite error " + e.SqliteErrorCode.ToString(System.Globalization.CultureInfo.InvariantCulture));
            throw Map(e);
        }
    }

    /// <summary>
    /// Recomputes the items of <paramref name="keys"/> from their sessions and marks, and writes, three statements in
    /// all, the rows that differ and a change for every item whose contract form differs. Returns the changes.
    /// </summary>
    private static int Recompute(
        WriterCommands c,
        IReadOnlyList<ItemKey> keys,
        Dictionary<ItemKey, Dictionary<string, SessionState>> sessions,
        Dictionary<string, long> memberMarks,
        long changedAt,
        string? keysJson = null)
    {
        keysJson ??= Json.Keys(keys);
        var items = ReadItems(c, keysJson);
        var titleMarks = ReadTitleMarks(c, keysJson);
        var plan = ItemWritePlan.For(
            keys,
            key => items.GetValueOrDefault(key),
            key => sessions.TryGetValue(key, out var found) ? found.Values : [],
            memberMarks,
            titleMarks);
        WritePlan(c, plan, changedAt);
        return plan.Changes.Count;
    }

    /// <summary>Writes a plan: three set-based statements at most (item upserts, item deletes, change appends).</summary>
    private static void WritePlan(WriterCommands c, ItemWritePlan plan, long changedAt)
    {
        var (upserts, deletes, changes) = (plan.Upserts, plan.Deletes, plan.Changes);
        foreach (var (key, item) in upserts)
        {
            var i = item.Item;
            Run(c.UpsertItem, key.MemberId, key.TitleId, i.LastWatchedAtMs, i.PositionMs, i.DurationMs, i.Sessions, item.LatestSessionId);
        }

        if (deletes.Count > 0)
        {
            Execute(c.DeleteItems, "$keys", Json.Keys(deletes));
        }

        foreach (var (key, item) in changes)
        {
            // A hidden item's change carries no item: null columns.
            Run(c.InsertChange, key.MemberId, key.TitleId, item?.LastWatchedAtMs, item?.PositionMs, item?.DurationMs, item?.Sessions, changedAt);
        }
    }

    private static Dictionary<ItemKey, Dictionary<string, SessionState>> ReadSessions(WriterCommands c, IReadOnlyList<ItemKey> keys) =>
        ReadSessions(c, Json.Keys(keys));

    private static Dictionary<ItemKey, Dictionary<string, SessionState>> ReadSessions(WriterCommands c, string keysJson)
    {
        var sessions = new Dictionary<ItemKey, Dictionary<string, SessionState>>();
        c.SelectSessions.Parameters["$keys"].Value = keysJson;
        using var reader = c.SelectSessions.ExecuteReader();
        while (reader.Read())
        {
            var key = new ItemKey(reader.GetString(0), reader.GetString(1));
            if (!sessions.TryGetValue(key, out var ofItem))
            {
                sessions[key] = ofItem = new Dictionary<string, SessionState>(StringComparer.Ordinal);
            }

            var s = new SessionState(
                reader.GetString(2), reader.GetInt64(3), reader.GetInt32(4), reader.GetInt64(5), reader.GetString(6), reader.GetInt64(7), reader.GetInt64(8),
                reader.IsDBNull(9) ? null : reader.GetInt64(9), reader.IsDBNull(10) ? null : reader.GetString(10));
            ofItem[s.SessionId] = s;
        }

        return sessions;
    }

    private static Dictionary<ItemKey, StoredItem> ReadItems(WriterCommands c, string keysJson)
    {
        var items = new Dictionary<ItemKey, StoredItem>();
        c.SelectItems.Parameters["$keys"].Value = keysJson;
        using var reader = c.SelectItems.ExecuteReader();
        while (reader.Read())
        {
            var key = new ItemKey(reader.GetString(0), reader.GetString(1));
            items[key] = new StoredItem(new HistoryItem(key.TitleId, reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt32(5)), reader.GetString(6));
        }

        return items;
    }

    private static Dictionary<ItemKey, long> ReadTitleMarks(WriterCommands c, string keysJson)
    {
        var marks = new Dictionary<ItemKey, long>();
        c.SelectTitleMarks.Parameters["$keys"].Value = keysJson;
        using var reader = c.SelectTitleMarks.ExecuteReader();
        while (reader.Read())
        {
            marks[new ItemKey(reader.GetString(0), reader.GetString(1))] = reader.GetInt64(2);
        }

        return marks;
    }

    private static Dictionary<string, long> ReadMemberMarks(WriterCommands c, IReadOnlyList<string> members)
    {
        var marks = new Dictionary<string, long>(StringComparer.Ordinal);
        c.SelectMemberMarks.Parameters["$members"].Value = Json.Strings(members);
        using var reader = c.SelectMemberMarks.ExecuteReader();
        while (reader.Read())
        {
            marks[reader.GetString(0)] = reader.GetInt64(1);
        }

        return marks;
    }

    private static Dictionary<string, long> ReadErasureMarks(WriterCommands c, IReadOnlyList<string> members)
    {
        var marks = new Dictionary<string, long>(StringComparer.Ordinal);
        c.SelectErasureMarks.Parameters["$members"].Value = Json.Strings(members);
        using var reader = c.SelectErasureMarks.ExecuteReader();
        while (reader.Read())
        {
            marks[reader.GetString(0)] = reader.GetInt64(1);
        }

        return marks;
    }

    private static void Execute(SqliteCommand command, string parameter, string json)
    {
        command.Parameters[parameter].Value = json;
        command.ExecuteNonQuery();
    }

    /// <summary>Binds one row's values in parameter order and executes the statement.</summary>
    private static void Run(SqliteCommand command, params object?[] values)
    {
        SetParameters(command, values);
        command.ExecuteNonQuery();
    }

    private static void SetParameters(SqliteCommand command, params object?[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i] ?? DBNull.Value;
        }
    }
}
