using Npgsql;
using ViewingHistory.Testing;

namespace ViewingHistory.EndToEnd.Tests.Chaos;

/// <summary>
/// A primary that turns read-only, as after a failover or behind a stale pool: every new transaction of the database
/// is read-only, and the service's backends are terminated so that its next ones are too (and again when it ends, so
/// that none stays read-only).
/// </summary>
public static class PostgresReadOnly
{
    /// <summary>Sets <c>default_transaction_read_only</c> for the database and returns how many of its backends were terminated.</summary>
    public static async Task<int> SetAsync(PostgresServer postgres, string connectionString, bool readOnly)
    {
        var database = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        await using var admin = new NpgsqlConnection(postgres.AdminConnectionString);
        await admin.OpenAsync();

        // The name comes from PostgresServer.CreateDatabaseAsync (a prefix and a GUID): nothing to escape but the quote.
        await using (var alter = new NpgsqlCommand($"ALTER DATABASE \"{database.Replace("\"", "\"\"", StringComparison.Ordinal)}\" SET default_transaction_read_only = {(readOnly ? "on" : "off")}", admin))
        {
            await alter.ExecuteNonQueryAsync();
        }

        await using var terminate = new NpgsqlCommand("SELECT count(pg_terminate_backend(pid))::int FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", admin);
        terminate.Parameters.Add(new NpgsqlParameter { Value = database });
        return (int)(await terminate.ExecuteScalarAsync())!;
    }
}
