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
        private readonly SqliteConnection _connection;
        private SqliteTransaction? _transaction;

        public WriterCommands(SqliteConnection connection)
        {
            _connection = connection;

            // The batch reads take their keys as one JSON array parameter and walk it with jsonb_each (SQLite has no
            // array parameters): one statement per batch instead of one per key.
            // jsonb_each, not json_each: json_each hands each row array back as text that every `->>` parses again,
            // jsonb_each as a binary value `->>` reads directly (the store alone: 15.0 -> 13.0 µs of CPU per session).
            SelectSessions = Create(connection, """
                SELECT s.member_id, s.title_id, s.session_id, s.last_at, s.head_seq, s.head_ts, s.head_event_id, s.position_ms, s.duration_ms,
                    s.started_at, s.head_device
                FROM jsonb_each($keys) AS k JOIN sessions s ON s.member_id = k.value ->> 0 AND s.title_id = k.value ->> 1
                """, "$keys");
            // The writes, by contrast, run one prepared statement per row: binding a row's values costs less than
            // building a JSON array in C# and taking it apart again in SQLite (jsonb_each plus one ->> per column,
            // ~10 % of the writer in a profile of the realistic workload), and it is what the raw ceiling does.
            UpsertSession = Create(connection, """
                INSERT INTO sessions (member_id, title_id, session_id, last_at, head_seq, head_ts, head_event_id, position_ms, duration_ms, started_at, head_device)
                VALUES ($m, $t, $s, $last, $seq, $ts, $e, $pos, $dur, $start, $device)
                ON CONFLICT (member_id, title_id, session_id) DO UPDATE SET
                    last_at = excluded.last_at, head_seq = excluded.head_seq, head_ts = excluded.head_ts,
                    head_event_id = excluded.head_event_id, position_ms = excluded.position_ms, duration_ms = excluded.duration_ms,
                    started_at = excluded.started_at, head_device = excluded.head_device
                """, "$m", "$t", "$s", "$last", "$seq", "$ts", "$e", "$pos", "$dur", "$start", "$device");
            SelectItems = Create(connection, """
                SELECT i.member_id, i.title_id, i.last_watched_at, i.position_ms, i.duration_ms, i.sessions, i.latest_session_id
                FROM jsonb_each($keys) AS k JOIN items i ON i.member_id = k.value ->> 0 AND i.title_id = k.value ->> 1
                """, "$keys");
            SelectMemberItems = Create(connection, """
                SELECT member_id, title_id, last_watched_at, position_ms, duration_ms, sessions, latest_session_id
                FROM items WHERE member_id = $m
                """, "$m");
            SelectTitleMarks = Create(connection, """
                SELECT t.member_id, t.title_id, t.at
                FROM jsonb_each($keys) AS k JOIN title_marks t ON t.member_id = k.value ->> 0 AND t.title_id = k.value ->> 1
                """, "$keys");
            SelectMemberMarks = Create(connection, """
                SELECT m.member_id, m.at FROM json_each($members) AS k JOIN member_marks m ON m.member_id = k.value
                """, "$members");
            UpsertItem = Create(connection, """
                INSERT INTO items (member_id, title_id, last_watched_at, position_ms, duration_ms, sessions, latest_session_id)
                VALUES ($m, $t, $last, $pos, $dur, $n, $latest)
                ON CONFLICT (member_id, title_id) DO UPDATE SET
                    last_watched_at = excluded.last_watched_at, position_ms = excluded.position_ms, duration_ms = excluded.duration_ms,
                    sessions = excluded.sessions, latest_session_id = excluded.latest_session_id
                """, "$m", "$t", "$last", "$pos", "$dur", "$n", "$latest");
            DeleteItems = Create(connection, """
                DELETE FROM items WHERE (member_id, title_id) IN (SELECT value ->> 0, value ->> 1 FROM jsonb_each($keys))
                """, "$keys");

            // Executed in the order of the changes, so positions follow it.
            InsertChange = Create(connection, """
                INSERT INTO changes (member_id, title_id, last_watched_at, position_ms, duration_ms, sessions, changed_at)
                VALUES ($m, $t, $last, $pos, $dur, $n, $at)
                """, "$m", "$t", "$last", "$pos", "$dur", "$n", "$at");

            // The WHERE makes a mark that would move back a no-op, and the affected-row count says whether it rose.
            RaiseMemberMark = Create(connection, """
                INSERT INTO member_marks (member_id, at) VALUES ($m, $at)
                ON CONFLICT (member_id) DO UPDATE SET at = excluded.at WHERE excluded.at > member_marks.at
                """, "$m", "$at");
            RaiseTitleMark = Create(connection, """
                INSERT INTO title_marks (member_id, title_id, at) VALUES ($m, $t, $at)
                ON CONFLICT (member_id, title_id) DO UPDATE SET at = excluded.at WHERE excluded.at > title_marks.at
                """, "$m", "$t", "$at");
            PruneChanges = Create(connection, """
                DELETE FROM changes WHERE position < coalesce(
                    (SELECT position FROM changes WHERE changed_at >= $t ORDER BY position LIMIT 1),
                    (SELECT max(position) FROM changes))
                """, "$t");
            // Moves when another connection committed to the file since this one last looked (RowCache.Validate).
            DataVersion = Create(connection, "PRAGMA data_version");
            SelectErasureMarks = Create(connection, """
                SELECT e.member_id, e.erased_through FROM json_each($members) AS k JOIN erasures e ON e.member_id = k.value
                """, "$members");
            UpsertProbe = Create(connection, """
                INSERT INTO store_probe (id, at) VALUES (1, $at) ON CONFLICT (id) DO UPDATE SET at = excluded.at
                """, "$at");
        }

        public SqliteCommand SelectSessions { get; }

        public SqliteCommand UpsertSession { get; }

        public SqliteCommand SelectItems { get; }

        public SqliteCommand SelectMemberItems { get; }

        public SqliteCommand SelectTitleMarks { get; }

        public SqliteCommand SelectMemberMarks { get; }

        public SqliteCommand UpsertItem { get; }

        public SqliteCommand DeleteItems { get; }

        public SqliteCommand InsertChange { get; }

        public SqliteCommand RaiseMemberMark { get; }

        public SqliteCommand RaiseTitleMark { get; }

        public SqliteCommand PruneChanges { get; }

        public SqliteCommand UpsertProbe { get; }

        public SqliteCommand SelectErasureMarks { get; }

        public SqliteCommand DataVersion { get; }

        /// <summary>Points every statement at the transaction that is about to run (Microsoft.Data.Sqlite requires it).</summary>
        public void Enlist(SqliteTransaction? tx)
        {
            _transaction = tx;
            foreach (var command in _all)
            {
                command.Transaction = tx;
            }
        }

        /// <summary>
        /// A one-off statement in the running transaction, for the rare writes (erasures, their purge) that are not
        /// worth a prepared statement kept for the store's life. The caller disposes it.
        /// </summary>
        public SqliteCommand AdHoc(string sql, params (string Name, object? Value)[] parameters)
        {
            var command = _connection.CreateCommand();
            command.CommandText = sql;
            command.Transaction = _transaction;
            foreach (var (name, value) in parameters)
            {
                command.Parameters.AddWithValue(name, value ?? DBNull.Value);
            }

            return command;
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
