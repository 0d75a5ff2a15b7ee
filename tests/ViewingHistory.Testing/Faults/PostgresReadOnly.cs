using Npgsql;

namespace ViewingHistory.Testing.Faults;

/// <summary>
/// A PostgreSQL database turned read-only the way a failover to a standby or a stale pool looks to a client: every
/// new transaction is read-only (writes fail with SQLSTATE 25006), and the service's open sessions are terminated so
/// that they reconnect into that state. Switching back terminates them again.
/// </summary>
public static class PostgresReadOnly
{
    /// <summary>Sets <c>default_transaction_read_only</c> on the database of <paramref name="connectionString"/> and ends its other sessions.</summary>
    public static Task SetAsync(PostgresServer server, string connectionString, bool readOnly)
    {
        ArgumentNullException.ThrowIfNull(server);
        var database = new NpgsqlConnectionStringBuilder(connectionString).Database
            ?? throw new ArgumentException("The connection string names no database.", nameof(connectionString));
        return ExecuteAsync(server.AdminConnectionString, database, readOnly);
    }

    private static async Task ExecuteAsync(string admin, string database, bool readOnly)
    {
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync();
        var quoted = "\"" + database.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
        await using (var alter = new NpgsqlCommand($"ALTER DATABASE {quoted} SET default_transaction_read_only = {(readOnly ? "on" : "off")}", connection))
        {
            await alter.ExecuteNonQueryAsync();
        }

        await using var terminate = new NpgsqlCommand(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", connection);
        terminate.Parameters.Add(new NpgsqlParameter { Value = database });
        await terminate.ExecuteScalarAsync();
    }
}
