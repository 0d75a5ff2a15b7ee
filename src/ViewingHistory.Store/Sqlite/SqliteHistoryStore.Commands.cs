using Microsoft.Data.Sqlite;

namespace ViewingHistory.Store.Sqlite;

public sealed partial class SqliteHistoryStore
{
    /// <summary>
    /// The writer's statements, created once: Microsoft.Data.Sqlite keeps a command's compiled statement while its
    /// text stays the same, so the hot path never parses SQL again; only parameter values change.
    /// </summary>
    private sealed class WriterCommands : IDisposable
    {
        private readonly List<SqliteCommand> _all = [];

        public WriterCommands(SqliteConnection connection)
        {
            SelectItemSessions = Create(connection, """
                SELECT session_id, last_at, head_seq, head_ts, head_event_id, position_ms, duration_ms
                FROM sessions WHERE member_id = $m AND title_id = $t
                """, "$m", "$t");
            SelectMemberSessions = Create(connection, """
                SELECT title_id, session_id, last_at, head_seq, head_ts, head_event_id, position_ms, duration_ms
                FROM sessions WHERE member_id = $m
                """, "$m");
            UpsertSession = Create(connection, """
                INSERT INTO sessions (member_id, title_id, session_id, last_at, head_seq, head_ts, head_event_id, position_ms, duration_ms)
                VALUES ($m, $t, $s, $last, $seq, $ts, $eid, $pos, $dur)
                ON CONFLICT (member_id, title_id, session_id) DO UPDATE SET
                    last_at = excluded.last_at, head_seq = excluded.head_seq, head_ts = excluded.head_ts,
                    head_event_id = excluded.head_event_id, position_ms = excluded.position_ms, duration_ms = excluded.duration_ms
                """, "$m", "$t", "$s", "$last", "$seq", "$ts", "$eid", "$pos", "$dur");
            SelectItem = Create(connection, """
                SELECT last_watched_at, position_ms, duration_ms, sessions, latest_session_id
                FROM items WHERE member_id = $m AND title_id = $t
                """, "$m", "$t");
            SelectMemberItems = Create(connection, """
                SELECT title_id, last_watched_at, position_ms, duration_ms, sessions, latest_session_id
                FROM items WHERE member_id = $m
                """, "$m");
            UpsertItem = Create(connection, """
                INSERT INTO items (member_id, title_id, last_watched_at, position_ms, duration_ms, sessions, latest_session_id)
                VALUES ($m, $t, $last, $pos, $dur, $n, $latest)
                ON CONFLICT (member_id, title_id) DO UPDATE SET
                    last_watched_at = excluded.last_watched_at, position_ms = excluded.position_ms, duration_ms = excluded.duration_ms,
                    sessions = excluded.sessions, latest_session_id = excluded.latest_session_id
                """, "$m", "$t", "$last", "$pos", "$dur", "$n", "$latest");
            DeleteItem = Create(connection, "DELETE FROM items WHERE member_id = $m AND title_id = $t", "$m", "$t");
            InsertChange = Create(connection, """
                INSERT INTO changes (member_id, title_id, last_watched_at, position_ms, duration_ms, sessions, changed_at)
                VALUES ($m, $t, $last, $pos, $dur, $n, $at)
                """, "$m", "$t", "$last", "$pos", "$dur", "$n", "$at");
            SelectMemberMark = Create(connection, "SELECT at FROM member_marks WHERE member_id = $m", "$m");
            SelectTitleMark = Create(connection, "SELECT at FROM title_marks WHERE member_id = $m AND title_id = $t", "$m", "$t");

            // The WHERE makes a mark that would move back a no-op, and the affected-row count says whether it rose.
            RaiseMemberMark = Create(connection, """
                INSERT INTO member_marks (member_id, at) VALUES ($m, $at)
                ON CONFLICT (member_id) DO UPDATE SET at = excluded.at WHERE excluded.at > member_marks.at
                """, "$m", "$at");
            RaiseTitleMark = Create(connection, """
                INSERT INTO title_marks (member_id, title_id, at) VALUES ($m, $t, $at)
                ON CONFLICT (member_id, title_id) DO UPDATE SET at = excluded.at WHERE excluded.at > title_marks.at
                """, "$m", "$t", "$at");
            SelectMemberTitleMarks = Create(connection, "SELECT title_id, at FROM title_marks WHERE member_id = $m", "$m");
            PruneChanges = Create(connection, """
                DELETE FROM changes WHERE position < coalesce(
                    (SELECT position FROM changes WHERE changed_at >= $t ORDER BY position LIMIT 1),
                    (SELECT max(position) FROM changes))
                """, "$t");
        }

        public SqliteCommand SelectItemSessions { get; }

        public SqliteCommand SelectMemberSessions { get; }

        public SqliteCommand UpsertSession { get; }

        public SqliteCommand SelectItem { get; }

        public SqliteCommand SelectMemberItems { get; }

        public SqliteCommand UpsertItem { get; }

        public SqliteCommand DeleteItem { get; }

        public SqliteCommand InsertChange { get; }

        public SqliteCommand SelectMemberMark { get; }

        public SqliteCommand SelectTitleMark { get; }

        public SqliteCommand RaiseMemberMark { get; }

        public SqliteCommand RaiseTitleMark { get; }

        public SqliteCommand SelectMemberTitleMarks { get; }

        public SqliteCommand PruneChanges { get; }

        /// <summary>Points every statement at the transaction that is about to run (Microsoft.Data.Sqlite requires it).</summary>
        public void Enlist(SqliteTransaction? tx)
        {
            foreach (var command in _all)
            {
                command.Transaction = tx;
            }
        }

        public void Dispose()
        {
            foreach (var command in _all)
            {
                command.Dispose();
            }
        }

        private SqliteCommand Create(SqliteConnection connection, string sql, params string[] parameters)
        {
            var command = connection.CreateCommand();
            command.CommandText = sql;
            foreach (var name in parameters)
            {
                command.Parameters.Add(new SqliteParameter { ParameterName = name });
            }

            _all.Add(command);
            return command;
        }
    }
}
