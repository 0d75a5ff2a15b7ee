using Microsoft.Data.Sqlite;
using ViewingHistory.Core.History;

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

        var byItem = new SortedDictionary<ItemKey, List<SessionState>>();
        foreach (var (key, state) in sessions)
        {
            if (!byItem.TryGetValue(key.Item, out var list))
            {
                byItem[key.Item] = list = [];
            }

            list.Add(state);
        }

        return WriteAsync(
            (c, changedAt) =>
            {
                var sessionsWritten = 0;
                var itemsChanged = 0;
                var memberMarks = new Dictionary<string, long?>(StringComparer.Ordinal);
                foreach (var (item, incoming) in byItem)
                {
                    var stored = ReadItemSessions(c, item);
                    var written = 0;
                    foreach (var state in incoming)
                    {
                        var merged = stored.TryGetValue(state.SessionId, out var old) ? SessionState.Merge(old, state) : state;
                        if (merged != old)
                        {
                            WriteSession(c, item, merged);
                            stored[merged.SessionId] = merged;
                            written++;
                        }
                    }

                    sessionsWritten += written;
                    if (written == 0)
                    {
                        // Same sessions and same marks: the item is what it was (redelivery writes nothing at all).
                        continue;
                    }

                    if (!memberMarks.TryGetValue(item.MemberId, out var memberMark))
                    {
                        memberMarks[item.MemberId] = memberMark = ReadMark(c.SelectMemberMark, item.MemberId, null);
                    }

                    var mark = ItemComputer.EffectiveMark(memberMark, ReadMark(c.SelectTitleMark, item.MemberId, item.TitleId));
                    var after = StoredItem.Compute(item.TitleId, stored.Values, mark);
                    if (WriteItem(c, item, ReadStoredItem(c, item), after, changedAt))
                    {
                        itemsChanged++;
                    }
                }

                return new ApplyResult(sessionsWritten, itemsChanged);
            },
            cancellationToken);
    }

    public Task HideTitleAsync(string memberId, string titleId, long atMs, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(memberId);
        ArgumentException.ThrowIfNullOrEmpty(titleId);
        var item = new ItemKey(memberId, titleId);
        return WriteAsync(
            (c, changedAt) =>
            {
                SetParameters(c.RaiseTitleMark, memberId, titleId, atMs);
                if (c.RaiseTitleMark.ExecuteNonQuery() == 0)
                {
                    return 0; // the mark already stood at or after atMs: nothing can change
                }

                var mark = ItemComputer.EffectiveMark(ReadMark(c.SelectMemberMark, memberId, null), ReadMark(c.SelectTitleMark, memberId, titleId));
                var after = StoredItem.Compute(titleId, ReadItemSessions(c, item).Values, mark);
                return WriteItem(c, item, ReadStoredItem(c, item), after, changedAt) ? 1 : 0;
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
                var items = ReadMemberItems(c, memberId);
                if (items.Count == 0)
                {
                    return 0;
                }

                var titleMarks = new Dictionary<string, long>(StringComparer.Ordinal);
                SetParameters(c.SelectMemberTitleMarks, memberId);
                using (var reader = c.SelectMemberTitleMarks.ExecuteReader())
                {
                    while (reader.Read())
                    {
                        titleMarks[reader.GetString(0)] = reader.GetInt64(1);
                    }
                }

                var sessionsByTitle = ReadMemberSessions(c, memberId);
                var changed = 0;
                foreach (var (titleId, before) in items)
                {
                    long? titleMark = titleMarks.TryGetValue(titleId, out var tm) ? tm : null;
                    var sessions = sessionsByTitle.TryGetValue(titleId, out var list) ? list : [];
                    var after = StoredItem.Compute(titleId, sessions, ItemComputer.EffectiveMark(atMs, titleMark));
                    if (WriteItem(c, new ItemKey(memberId, titleId), before, after, changedAt))
                    {
                        changed++;
                    }
                }

                return changed;
            },
            cancellationToken);
    }

    /// <summary>
    /// Runs <paramref name="work"/> in one IMMEDIATE transaction on the writer. The work is synchronous on purpose:
    /// Microsoft.Data.Sqlite's async methods run synchronously anyway, and the sync ones skip their overhead.
    /// </summary>
    private async Task<T> WriteAsync<T>(Func<WriterCommands, long, T> work, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _writeGate.WaitAsync(cancellationToken);
        try
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
        }
        catch (SqliteException e)
        {
            throw Map(e);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private static Dictionary<string, SessionState> ReadItemSessions(WriterCommands c, ItemKey item)
    {
        var sessions = new Dictionary<string, SessionState>(StringComparer.Ordinal);
        SetParameters(c.SelectItemSessions, item.MemberId, item.TitleId);
        using var reader = c.SelectItemSessions.ExecuteReader();
        while (reader.Read())
        {
            var s = new SessionState(reader.GetString(0), reader.GetInt64(1), reader.GetInt32(2), reader.GetInt64(3), reader.GetString(4), reader.GetInt64(5), reader.GetInt64(6));
            sessions[s.SessionId] = s;
        }

        return sessions;
    }

    private static Dictionary<string, List<SessionState>> ReadMemberSessions(WriterCommands c, string memberId)
    {
        var sessions = new Dictionary<string, List<SessionState>>(StringComparer.Ordinal);
        SetParameters(c.SelectMemberSessions, memberId);
        using var reader = c.SelectMemberSessions.ExecuteReader();
        while (reader.Read())
        {
            var titleId = reader.GetString(0);
            if (!sessions.TryGetValue(titleId, out var list))
            {
                sessions[titleId] = list = [];
            }

            list.Add(new SessionState(reader.GetString(1), reader.GetInt64(2), reader.GetInt32(3), reader.GetInt64(4), reader.GetString(5), reader.GetInt64(6), reader.GetInt64(7)));
        }

        return sessions;
    }

    private static void WriteSession(WriterCommands c, ItemKey item, SessionState s) =>
        Run(c.UpsertSession, item.MemberId, item.TitleId, s.SessionId, s.LastAtMs, s.HeadSeq, s.HeadTimestampMs, s.HeadEventId, s.PositionMs, s.DurationMs);

    private static StoredItem? ReadStoredItem(WriterCommands c, ItemKey item)
    {
        SetParameters(c.SelectItem, item.MemberId, item.TitleId);
        using var reader = c.SelectItem.ExecuteReader();
        return reader.Read()
            ? new StoredItem(new HistoryItem(item.TitleId, reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt32(3)), reader.GetString(4))
            : null;
    }

    private static List<(string TitleId, StoredItem Item)> ReadMemberItems(WriterCommands c, string memberId)
    {
        var items = new List<(string, StoredItem)>();
        SetParameters(c.SelectMemberItems, memberId);
        using var reader = c.SelectMemberItems.ExecuteReader();
        while (reader.Read())
        {
            var titleId = reader.GetString(0);
            items.Add((titleId, new StoredItem(new HistoryItem(titleId, reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt32(4)), reader.GetString(5))));
        }

        return items;
    }

    private static long? ReadMark(SqliteCommand command, string memberId, string? titleId)
    {
        if (titleId is null)
        {
            SetParameters(command, memberId);
        }
        else
        {
            SetParameters(command, memberId, titleId);
        }

        return command.ExecuteScalar() is long at ? at : null;
    }

    /// <summary>Writes the item row and, when the contract's item differs, a change row. True when a change was recorded.</summary>
    private static bool WriteItem(WriterCommands c, ItemKey key, StoredItem? before, StoredItem? after, long changedAt)
    {
        switch (ItemWrites.Classify(before, after))
        {
            case ItemWrite.None:
                return false;
            case ItemWrite.RowOnly:
                UpsertItem(c, key, after!);
                return false;
        }

        if (after is null)
        {
            Run(c.DeleteItem, key.MemberId, key.TitleId);
            Run(c.InsertChange, key.MemberId, key.TitleId, null, null, null, null, changedAt);
        }
        else
        {
            UpsertItem(c, key, after);
            var i = after.Item;
            Run(c.InsertChange, key.MemberId, key.TitleId, i.LastWatchedAtMs, i.PositionMs, i.DurationMs, i.Sessions, changedAt);
        }

        return true;
    }

    private static void UpsertItem(WriterCommands c, ItemKey key, StoredItem s) =>
        Run(c.UpsertItem, key.MemberId, key.TitleId, s.Item.LastWatchedAtMs, s.Item.PositionMs, s.Item.DurationMs, s.Item.Sessions, s.LatestSessionId);

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
