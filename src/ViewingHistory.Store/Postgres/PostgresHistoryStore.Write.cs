using Npgsql;
using ViewingHistory.Core.History;
using ViewingHistory.Store.Rights;

namespace ViewingHistory.Store.Postgres;

public sealed partial class PostgresHistoryStore
{
    public Task<ApplyResult> ApplyAsync(IReadOnlyDictionary<SessionKey, SessionState> sessions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sessions);
        if (sessions.Count == 0)
        {
            return Task.FromResult(new ApplyResult(0, 0));
        }

        var n = sessions.Count;
        var (members, titles, ids) = (new string[n], new string[n], new string[n]);
        var (lastAt, seq, ts, eventIds, position, duration) = (new long[n], new int[n], new long[n], new string[n], new long[n], new long[n]);
        var (startedAt, devices) = (new long?[n], new string?[n]);
        var i = 0;
        foreach (var (key, s) in sessions)
        {
            (members[i], titles[i], ids[i]) = (key.MemberId, key.TitleId, key.SessionId);
            (lastAt[i], seq[i], ts[i], eventIds[i], position[i], duration[i]) = (s.LastAtMs, s.HeadSeq, s.HeadTimestampMs, s.HeadEventId, s.PositionMs, s.DurationMs);
            (startedAt[i], devices[i]) = (s.StartedAtMs, s.HeadDevice);
            i++;
        }

        var items = sessions.Keys.Select(k => k.Item).Distinct().Order().ToArray();
        var memberIds = items.Select(k => k.MemberId).Distinct(StringComparer.Ordinal).ToArray();

        return GuardAsync(
            async () =>
            {
                await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
                await using var tx = await connection.BeginTransactionAsync(cancellationToken);
                var written = new HashSet<ItemKey>();
                var sessionsWritten = 0;
                State state;
                await using (var batch = new NpgsqlBatch(connection, tx))
                {
                    AddMemberLocks(batch, memberIds);
                    batch.BatchCommands.Add(Command(ErasureMarksOfMembersSql, (object)memberIds));
                    batch.BatchCommands.Add(Command(UpsertSessionsSql, members, titles, ids, lastAt, seq, ts, eventIds, position, duration, startedAt, devices));
                    AddItemReads(batch, items, memberIds);
                    await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
                    await reader.NextResultAsync(cancellationToken); // past the new members
                    await reader.NextResultAsync(cancellationToken); // past the locks
                    var marks = new Dictionary<string, long>(StringComparer.Ordinal);
                    while (await reader.ReadAsync(cancellationToken))
                    {
                        marks[reader.GetString(0)] = reader.GetInt64(1);
                    }

                    // Covered events must never be merged: throwing here ends the transaction uncommitted, upsert and all.
                    StaleErasureMarksException.ThrowIfCovered(sessions, marks);
                    await reader.NextResultAsync(cancellationToken);
                    while (await reader.ReadAsync(cancellationToken))
                    {
                        written.Add(new ItemKey(reader.GetString(0), reader.GetString(1)));
                        sessionsWritten++;
                    }

                    await reader.NextResultAsync(cancellationToken);
                    state = await State.ReadAsync(reader, cancellationToken);
                }

                // Items none of whose sessions changed are what they were: a redelivery writes nothing more.
                var changed = await WriteItemsAsync(connection, tx, state, items.Where(written.Contains), cancellationToken);
                await tx.CommitAsync(cancellationToken);
                return new ApplyResult(sessionsWritten, changed);
            },
            cancellationToken);
    }

    public Task HideTitleAsync(string memberId, string titleId, long atMs, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(memberId);
        ArgumentException.ThrowIfNullOrEmpty(titleId);
        var key = new ItemKey(memberId, titleId);
        return GuardAsync(
            async () =>
            {
                await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
                await using var tx = await connection.BeginTransactionAsync(cancellationToken);
                State state;
                await using (var batch = new NpgsqlBatch(connection, tx))
                {
                    AddMemberLocks(batch, [memberId]);
                    batch.BatchCommands.Add(Command(RaiseTitleMarkSql, memberId, titleId, atMs));
                    AddItemReads(batch, [key], [memberId]);
                    await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
                    await reader.NextResultAsync(cancellationToken); // past the new member
                    await reader.NextResultAsync(cancellationToken); // past the lock
                    await reader.NextResultAsync(cancellationToken); // past the mark
                    state = await State.ReadAsync(reader, cancellationToken);
                }

                await WriteItemsAsync(connection, tx, state, [key], cancellationToken);
                await tx.CommitAsync(cancellationToken);
                return 0;
            },
            cancellationToken);
    }

    public Task HideAllAsync(string memberId, long atMs, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(memberId);
        return GuardAsync(
            async () =>
            {
                await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
                await using var tx = await connection.BeginTransactionAsync(cancellationToken);
                State state;
                await using (var batch = new NpgsqlBatch(connection, tx))
                {
                    AddMemberLocks(batch, [memberId]);
                    batch.BatchCommands.Add(Command(RaiseMemberMarkSql, memberId, atMs));
                    batch.BatchCommands.Add(Command(SessionsOfMemberSql, memberId));
                    batch.BatchCommands.Add(Command(ItemsOfMemberSql, memberId));
                    batch.BatchCommands.Add(Command(TitleMarksOfMemberSql, memberId));
                    batch.BatchCommands.Add(Command(MemberMarkOfMemberSql, memberId));
                    await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
                    await reader.NextResultAsync(cancellationToken); // past the new member
                    await reader.NextResultAsync(cancellationToken); // past the lock
                    await reader.NextResultAsync(cancellationToken); // past the mark
                    state = await State.ReadAsync(reader, cancellationToken);
                }

                // A raised mark only removes sessions, so only titles that have an item can change.
                var keys = state.Items.Keys.Order().ToArray();
                await WriteItemsAsync(connection, tx, state, keys, cancellationToken);
                await tx.CommitAsync(cancellationToken);
                return 0;
            },
            cancellationToken);
    }

    private void AddItemReads(NpgsqlBatch batch, IReadOnlyList<ItemKey> items, string[] memberIds)
    {
        var m = items.Select(k => k.MemberId).ToArray();
        var t = items.Select(k => k.TitleId).ToArray();
        batch.BatchCommands.Add(Command(SessionsOfItemsSql, m, t));
        batch.BatchCommands.Add(Command(ItemsOfItemsSql, m, t));
        batch.BatchCommands.Add(Command(TitleMarksOfItemsSql, m, t));
        batch.BatchCommands.Add(Command(MemberMarksOfMembersSql, (object)memberIds)); // one array parameter, not params
    }

    /// <summary>Recomputes the items of <paramref name="keys"/> and writes, set-based, the rows and changes that differ.</summary>
    private async Task<int> WriteItemsAsync(NpgsqlConnection connection, NpgsqlTransaction tx, State state, IEnumerable<ItemKey> keys, CancellationToken cancellationToken)
    {
        var plan = ItemWritePlan.For(
            keys,
            key => state.Items.GetValueOrDefault(key),
            key => state.Sessions.TryGetValue(key, out var list) ? list : [],
            state.MemberMarks,
            state.TitleMarks);
        var (upserts, deletes, changes) = (plan.Upserts, plan.Deletes, plan.Changes);
        if (upserts.Count == 0 && deletes.Count == 0)
        {
            return 0;
        }

        await using var batch = new NpgsqlBatch(connection, tx);
        if (upserts.Count > 0)
        {
            batch.BatchCommands.Add(Command(
                UpsertItemsSql,
                upserts.Select(u => u.Key.MemberId).ToArray(),
                upserts.Select(u => u.Key.TitleId).ToArray(),
                upserts.Select(u => u.Item.Item.LastWatchedAtMs).ToArray(),
                upserts.Select(u => u.Item.Item.PositionMs).ToArray(),
                upserts.Select(u => u.Item.Item.DurationMs).ToArray(),
                upserts.Select(u => u.Item.Item.Sessions).ToArray(),
                upserts.Select(u => u.Item.LatestSessionId).ToArray()));
        }

        if (deletes.Count > 0)
        {
            batch.BatchCommands.Add(Command(DeleteItemsSql, deletes.Select(d => d.MemberId).ToArray(), deletes.Select(d => d.TitleId).ToArray()));
        }

        if (changes.Count > 0)
        {
            var now = NowMs();
            batch.BatchCommands.Add(Command(LockFeedSql, _feedLockKey));
            batch.BatchCommands.Add(Command(
                InsertChangesSql,
                changes.Select(c => c.Key.MemberId).ToArray(),
                changes.Select(c => c.Key.TitleId).ToArray(),
                changes.Select(c => c.Item?.LastWatchedAtMs).ToArray(),
                changes.Select(c => c.Item?.PositionMs).ToArray(),
                changes.Select(c => c.Item?.DurationMs).ToArray(),
                changes.Select(c => c.Item?.Sessions).ToArray(),
                changes.Select(_ => now).ToArray()));
        }

        await batch.ExecuteNonQueryAsync(cancellationToken);
        return changes.Count;
    }

    /// <summary>Two result sets: the members inserted, then the members locked (see LockMembersSql).</summary>
    private static void AddMemberLocks(NpgsqlBatch batch, IEnumerable<string> memberIds)
    {
        var sorted = memberIds.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        batch.BatchCommands.Add(Command(EnsureMembersSql, (object)sorted));
        batch.BatchCommands.Add(Command(LockMembersSql, (object)sorted));
    }

    private static NpgsqlBatchCommand Command(string sql, params object?[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
        }

        return command;
    }

    /// <summary>What a recompute reads: the sessions, items and marks of the keys it will recompute.</summary>
    private sealed class State
    {
        public Dictionary<ItemKey, List<SessionState>> Sessions { get; } = [];

        public Dictionary<ItemKey, StoredItem> Items { get; } = [];

        public Dictionary<ItemKey, long> TitleMarks { get; } = [];

        public Dictionary<string, long> MemberMarks { get; } = new(StringComparer.Ordinal);

        /// <summary>Reads four result sets in order: sessions, items, title marks, member marks.</summary>
        public static async Task<State> ReadAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
        {
            var state = new State();
            while (await reader.ReadAsync(cancellationToken))
            {
                var key = new ItemKey(reader.GetString(0), reader.GetString(1));
                if (!state.Sessions.TryGetValue(key, out var list))
                {
                    state.Sessions[key] = list = [];
                }

                list.Add(new SessionState(
                    reader.GetString(2), reader.GetInt64(3), reader.GetInt32(4), reader.GetInt64(5), reader.GetString(6), reader.GetInt64(7), reader.GetInt64(8),
                    reader.IsDBNull(9) ? null : reader.GetInt64(9), reader.IsDBNull(10) ? null : reader.GetString(10)));
            }

            await reader.NextResultAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var key = new ItemKey(reader.GetString(0), reader.GetString(1));
                state.Items[key] = new StoredItem(new HistoryItem(key.TitleId, reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt32(5)), reader.GetString(6));
            }

            await reader.NextResultAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                state.TitleMarks[new ItemKey(reader.GetString(0), reader.GetString(1))] = reader.GetInt64(2);
            }

            await reader.NextResultAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                state.MemberMarks[reader.GetString(0)] = reader.GetInt64(1);
            }

            return state;
        }
    }
}
