using Microsoft.Data.Sqlite;
using Npgsql;
using ViewingHistory.Store.Postgres;

namespace ViewingHistory.Pipeline.Tests.Infrastructure;

/// <summary>
/// Makes one title or member poison in a real store, the way a store rejects an entry for good (a constraint), so
/// the service needs no hook for it.
/// </summary>
public static class Poison
{
    /// <summary>A SQLite trigger that aborts every session insert of <paramref name="title"/> (SQLITE_CONSTRAINT: the entry's fault).</summary>
    public static async Task RejectTitleAsync(string databasePath, string title)
    {
        await using var connection = new SqliteConnection($"Data Source={databasePath};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        // A trigger cannot take parameters: the title is quoted as a literal.
        var literal = "'" + title.Replace("'", "''", StringComparison.Ordinal) + "'";
        command.CommandText = $"CREATE TRIGGER reject_poison BEFORE INSERT ON sessions WHEN NEW.title_id = {literal} BEGIN SELECT RAISE(ABORT, 'poison title'); END";
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>A fresh PostgreSQL store whose sessions table refuses <paramref name="member"/> (check_violation: not transient).</summary>
    public static async Task<PostgresHistoryStore> PostgresRefusingAsync(string connectionString, string member)
    {
        var store = new PostgresHistoryStore(connectionString);
        await store.InitializeAsync(CancellationToken.None);
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"ALTER TABLE sessions ADD CONSTRAINT refuse_poison CHECK (member_id <> '{member}')", connection);
        await command.ExecuteNonQueryAsync();
        return store;
    }
}
