namespace ViewingHistory.Store.Postgres;

public sealed partial class PostgresHistoryStore
{
    // A write first locks its members' rows, in member order, until it commits: writers of the same member queue,
    // writers of different members do not meet, and one order for all means no deadlock. Row locks rather than
    // advisory locks, because advisory locks live in the shared lock table (max_locks_per_transaction x
    // max_connections slots): batches of thousands of members from several processors would exhaust it. A new
    // member's row is inserted first (in the same order); a concurrent insert of the same member waits for the
    // first one's commit, so the FOR UPDATE always finds every row it asks for.
    private const string EnsureMembersSql = """
        INSERT INTO members (member_id) SELECT * FROM unnest($1::text[]) ORDER BY 1
        ON CONFLICT (member_id) DO NOTHING RETURNING member_id
        """;

    private const string LockMembersSql = """
        SELECT member_id FROM members WHERE member_id = ANY($1::text[]) ORDER BY member_id FOR UPDATE
        """;

    // The merge of SessionState.Merge in one statement: lastAt = GREATEST; the head columns move only when the
    // incoming head ranks higher by (seq, ts, eventId ordinal); the row-wise comparison is lexicographic. The WHERE
    // skips rows the merge would not change, so a redelivery rewrites nothing and RETURNING lists what changed.
    private const string UpsertSessionsSql = """
        INSERT INTO sessions AS s (member_id, title_id, session_id, last_at, head_seq, head_ts, head_event_id, position_ms, duration_ms, started_at, head_device)
        SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::integer[], $6::bigint[], $7::text[], $8::bigint[], $9::bigint[], $10::bigint[], $11::text[])
        ON CONFLICT (member_id, title_id, session_id) DO UPDATE SET
            last_at = GREATEST(s.last_at, excluded.last_at),
            head_seq = CASE WHEN (excluded.head_seq, excluded.head_ts, excluded.head_event_id COLLATE "C") > (s.head_seq, s.head_ts, s.head_event_id COLLATE "C")
                THEN excluded.head_seq ELSE s.head_seq END,
            head_ts = CASE WHEN (excluded.head_seq, excluded.head_ts, excluded.head_event_id COLLATE "C") > (s.head_seq, s.head_ts, s.head_event_id COLLATE "C")
                THEN excluded.head_ts ELSE s.head_ts END,
            head_event_id = CASE WHEN (excluded.head_seq, excluded.head_ts, excluded.head_event_id COLLATE "C") > (s.head_seq, s.head_ts, s.head_event_id COLLATE "C")
                THEN excluded.head_event_id ELSE s.head_event_id END,
            position_ms = CASE WHEN (excluded.head_seq, excluded.head_ts, excluded.head_event_id COLLATE "C") > (s.head_seq, s.head_ts, s.head_event_id COLLATE "C")
                THEN excluded.position_ms ELSE s.position_ms END,
            duration_ms = CASE WHEN (excluded.head_seq, excluded.head_ts, excluded.head_event_id COLLATE "C") > (s.head_seq, s.head_ts, s.head_event_id COLLATE "C")
                THEN excluded.duration_ms ELSE s.duration_ms END,
            head_device = CASE WHEN (excluded.head_seq, excluded.head_ts, excluded.head_event_id COLLATE "C") > (s.head_seq, s.head_ts, s.head_event_id COLLATE "C")
                THEN excluded.head_device ELSE s.head_device END,
            -- min, with NULL (a row stored before started_at was kept) absorbing, as SessionState.EarliestStart
            started_at = CASE WHEN s.started_at IS NULL OR excluded.started_at IS NULL THEN NULL ELSE LEAST(s.started_at, excluded.started_at) END
        WHERE excluded.last_at > s.last_at
            OR excluded.started_at < s.started_at
            OR (excluded.head_seq, excluded.head_ts, excluded.head_event_id COLLATE "C") > (s.head_seq, s.head_ts, s.head_event_id COLLATE "C")
        RETURNING s.member_id, s.title_id
        """;

    // The marks of the batch's members, read under their locks before anything is written (see StaleErasureMarksException).
    private const string ErasureMarksOfMembersSql = "SELECT member_id, erased_through FROM erasures WHERE member_id = ANY($1::text[])";

    private const string SessionColumns = "s.member_id, s.title_id, s.session_id, s.last_at, s.head_seq, s.head_ts, s.head_event_id, s.position_ms, s.duration_ms, s.started_at, s.head_device";

    private const string ItemColumns = "i.member_id, i.title_id, i.last_watched_at, i.position_ms, i.duration_ms, i.sessions, i.latest_session_id";

    // The four reads of a recompute, for a set of (member, title) keys. They run after the upsert in the same
    // transaction, and under the members' locks, so they see every session any writer has committed for them.
    // LATERAL keeps them to one index probe per key: a plain join with the unnest estimates 100 keys and may pick a
    // hash join over the whole table, whose cost then grows with the store instead of with the batch.
    private const string SessionsOfItemsSql = $"""
        SELECT {SessionColumns} FROM unnest($1::text[], $2::text[]) AS k(member_id, title_id)
        CROSS JOIN LATERAL (SELECT * FROM sessions x WHERE x.member_id = k.member_id AND x.title_id = k.title_id) s
        """;

    private const string ItemsOfItemsSql = $"""
        SELECT {ItemColumns} FROM unnest($1::text[], $2::text[]) AS k(member_id, title_id)
        CROSS JOIN LATERAL (SELECT * FROM items x WHERE x.member_id = k.member_id AND x.title_id = k.title_id) i
        """;

    private const string TitleMarksOfItemsSql = """
        SELECT t.member_id, t.title_id, t.at FROM unnest($1::text[], $2::text[]) AS k(member_id, title_id)
        CROSS JOIN LATERAL (SELECT * FROM title_marks x WHERE x.member_id = k.member_id AND x.title_id = k.title_id) t
        """;

    private const string MemberMarksOfMembersSql = "SELECT member_id, at FROM member_marks WHERE member_id = ANY($1::text[])";

    // The same reads for every title of one member (hide-all).
    private const string SessionsOfMemberSql = $"SELECT {SessionColumns} FROM sessions s WHERE s.member_id = $1";

    private const string ItemsOfMemberSql = $"SELECT {ItemColumns} FROM items i WHERE i.member_id = $1";

    private const string TitleMarksOfMemberSql = "SELECT t.member_id, t.title_id, t.at FROM title_marks t WHERE t.member_id = $1";

    private const string MemberMarkOfMemberSql = "SELECT member_id, at FROM member_marks WHERE member_id = $1";

    private const string RaiseTitleMarkSql = """
        INSERT INTO title_marks AS t (member_id, title_id, at) VALUES ($1, $2, $3)
        ON CONFLICT (member_id, title_id) DO UPDATE SET at = excluded.at WHERE excluded.at > t.at
        RETURNING t.at
        """;

    private const string RaiseMemberMarkSql = """
        INSERT INTO member_marks AS m (member_id, at) VALUES ($1, $2)
        ON CONFLICT (member_id) DO UPDATE SET at = excluded.at WHERE excluded.at > m.at
        RETURNING m.at
        """;

    private const string UpsertItemsSql = """
        INSERT INTO items AS i (member_id, title_id, last_watched_at, position_ms, duration_ms, sessions, latest_session_id)
        SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::integer[], $7::text[])
        ON CONFLICT (member_id, title_id) DO UPDATE SET
            last_watched_at = excluded.last_watched_at, position_ms = excluded.position_ms, duration_ms = excluded.duration_ms,
            sessions = excluded.sessions, latest_session_id = excluded.latest_session_id
        """;

    private const string DeleteItemsSql = """
        DELETE FROM items i USING unnest($1::text[], $2::text[]) AS k(member_id, title_id)
        WHERE i.member_id = k.member_id AND i.title_id = k.title_id
        """;

    // Feed positions come from a bigserial, and sequence values are handed out at insert time but become visible at
    // commit: two writers could commit 11 before 10, and a reader that saw 11 and moved on would skip 10 forever.
    // So every writer takes one global transaction-level lock just before it draws positions and keeps it to its
    // commit: positions are then drawn and committed in the same order, and a reader that sees position P sees every
    // committed change below P. Only the end of a transaction that really changes items is serialized, after its
    // member row locks (always the last lock taken, so the lock order stays acyclic).
    private const string LockFeedSql = "SELECT pg_advisory_xact_lock($1)";

    private const string InsertChangesSql = """
        INSERT INTO changes (member_id, title_id, last_watched_at, position_ms, duration_ms, sessions, changed_at)
        SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::integer[], $7::bigint[])
        """;

    private const string ItemPageColumns = "title_id, last_watched_at, position_ms, duration_ms, sessions";

    private const string FirstPageSql = $"""
        SELECT {ItemPageColumns} FROM items WHERE member_id = $1
        ORDER BY last_watched_at DESC, title_id LIMIT $2
        """;

    // Two exact ranges of items_page (the rest of the cursor's lastWatchedAt, then everything older): each page
    // reads about limit index entries, however deep into the history it is.
    private const string NextPageSql = $"""
        (SELECT {ItemPageColumns} FROM items WHERE member_id = $1 AND last_watched_at = $3 AND title_id > $4
            ORDER BY title_id LIMIT $2)
        UNION ALL
        (SELECT {ItemPageColumns} FROM items WHERE member_id = $1 AND last_watched_at < $3
            ORDER BY last_watched_at DESC, title_id LIMIT $2)
        ORDER BY last_watched_at DESC, title_id LIMIT $2
        """;
}
