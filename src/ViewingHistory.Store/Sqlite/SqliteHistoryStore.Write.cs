using Microsoft.Data.Sqlite;
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
        var keysJson = Json.Keys(keys);
        return WriteAsync(
            (c, changedAt) =>
            {
                if (_hasErasures)
                {
                    // Before anything is written: a covered event must never reach a merge (CONTRACT.md, erasure).
                    StaleErasureMarksException.ThrowIfCovered(sessions, ReadErasureMarks(c, keys.Select(k => k.MemberId).Distinct(StringComparer.Ordinal).ToList()));
                }

                var stored = ReadSessions(c, keysJson);
                var changedSessions = new List<(ItemKey Item, SessionState Session)>();
                foreach (var (key, state) in sessions)
                {
                    var item = key.Item;
                    if (!stored.TryGetValue(item, out var ofItem))
                    {
                        stored[item] = ofItem = new Dictionary<string, SessionState>(StringComparer.Ordinal);
                    }

                    var merged = ofItem.TryGetValue(state.SessionId, out var old) ? SessionState.Merge(old, state) : state;
                    if (merged != old)
                    {
                        ofItem[merged.SessionId] = merged;
                        changedSessions.Add((item, merged));
                    }
                }

                if (changedSessions.Count == 0)
                {
                    return new ApplyResult(0, 0); // a redelivery: same sessions, same marks, so the same items
                }

                Execute(c.UpsertSessions, "$rows", Json.Rows(changedSessions, (w, r) =>
                {
                    w.WriteStringValue(r.Item.MemberId);
                    w.WriteStringValue(r.Item.TitleId);
                    w.WriteStringValue(r.Session.SessionId);
                    w.WriteNumberValue(r.Session.LastAtMs);
                    w.WriteNumberValue(r.Session.HeadSeq);
                    w.WriteNumberValue(r.Session.HeadTimestampMs);
                    w.WriteStringValue(r.Session.HeadEventId);
                    w.WriteNumberValue(r.Session.PositionMs);
                    w.WriteNumberValue(r.Session.DurationMs);
                    if (r.Session.StartedAtMs is { } started)
                    {
                        w.WriteNumberValue(started);
                    }
                    else
                    {
                        w.WriteNullValue();
                    }

                    w.WriteStringValue(r.Session.HeadDevice);
                }));

                // Only items with a changed session can change: the marks did not move.
                var touched = changedSessions.Select(r => r.Item).Distinct().Order().ToList();
                var memberMarks = ReadMemberMarks(c, touched.Select(k => k.MemberId).Distinct(StringComparer.Ordinal).ToList());
                // touched is a sorted subset of keys: the same list when as long, and then the same JSON parameter.
                var changed = Recompute(c, touched, stored, memberMarks, changedAt, touched.Count == keys.Count ? keysJson : null);
                return new ApplyResult(changedSessions.Count, changed);
            },
            cancellationToken);
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

                return Recompute(c, keys, ReadSessions(c, keys), ReadMemberMarks(c, [memberId]), changedAt);
            },
            cancellationToken);
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
            cancellationToken);

    /// <summary>
    /// Runs <paramref name="work"/> in one IMMEDIATE transaction on the writer, on the writer's own thread. The work is
    /// synchronous on purpose: Microsoft.Data.Sqlite's async methods run synchronously anyway, and the sync ones skip
    /// their overhead.
    /// </summary>
    private async Task<T> WriteAsync<T>(Func<WriterCommands, long, T> work, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
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
                        var result = work(commands, NowMs());
                        tx.Commit();
                        return result;
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
        var (upserts, deletes, changes) = (plan.Upserts, plan.Deletes, plan.Changes);

        if (upserts.Count > 0)
        {
            Execute(c.UpsertItems, "$rows", Json.Rows(upserts, (w, u) =>
            {
                w.WriteStringValue(u.Key.MemberId);
                w.WriteStringValue(u.Key.TitleId);
                w.WriteNumberValue(u.Item.Item.LastWatchedAtMs);
                w.WriteNumberValue(u.Item.Item.PositionMs);
                w.WriteNumberValue(u.Item.Item.DurationMs);
                w.WriteNumberValue(u.Item.Item.Sessions);
                w.WriteStringValue(u.Item.LatestSessionId);
            }));
        }

        if (deletes.Count > 0)
        {
            Execute(c.DeleteItems, "$keys", Json.Keys(deletes));
        }

        if (changes.Count > 0)
        {
            c.InsertChanges.Parameters["$at"].Value = changedAt;
            Execute(c.InsertChanges, "$rows", Json.Rows(changes, (w, ch) =>
            {
                w.WriteStringValue(ch.Key.MemberId);
                w.WriteStringValue(ch.Key.TitleId);
                if (ch.Item is { } i)
                {
                    w.WriteNumberValue(i.LastWatchedAtMs);
                    w.WriteNumberValue(i.PositionMs);
                    w.WriteNumberValue(i.DurationMs);
                    w.WriteNumberValue(i.Sessions);
                }
                else
                {
                    w.WriteNullValue();
                    w.WriteNullValue();
                    w.WriteNullValue();
                    w.WriteNullValue();
                }
            }));
        }

        return changes.Count;
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

    private static void SetParameters(SqliteCommand command, params object?[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i] ?? DBNull.Value;
        }
    }
}
