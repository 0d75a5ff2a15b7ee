using Npgsql;

namespace ViewingHistory.Store.Postgres;

public sealed partial class PostgresHistoryStore
{
    public Task<IReadOnlyList<string>> ReadErasurePartsAsync(CancellationToken cancellationToken) =>
        GuardAsync<IReadOnlyList<string>>(
            async () =>
            {
                await using var command = _dataSource.CreateCommand("SELECT part FROM erasure_parts ORDER BY part");
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                var parts = new List<string>();
                while (await reader.ReadAsync(cancellationToken))
                {
                    parts.Add(reader.GetString(0));
                }

                return parts;
            },
            cancellationToken);

    public Task RetireErasurePartAsync(string part, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(part);
        return GuardAsync(
            async () =>
            {
                await using var batch = _dataSource.CreateBatch();
                batch.BatchCommands.Add(Command("DELETE FROM erasure_parts WHERE part = $1", part));
                batch.BatchCommands.Add(Command("DELETE FROM erasure_clean WHERE part = $1", part));
                batch.BatchCommands.Add(Command(CompleteErasuresSql, NowMs()));
                return await batch.ExecuteNonQueryAsync(cancellationToken);
            },
            cancellationToken);
    }

    /// <summary>
    /// The schema's tables are there (looked up through the search path, which names the schema): nothing is created,
    /// not even by an initialization still owed (it bypasses the deferred initialization on purpose).
    /// </summary>
    public Task<bool> ExistsAsync(CancellationToken cancellationToken) =>
        GuardRawAsync(
            async () =>
            {
                await using var command = _dataSource.CreateCommand("SELECT to_regclass('sessions') IS NOT NULL");
                return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
            },
            cancellationToken);
}
