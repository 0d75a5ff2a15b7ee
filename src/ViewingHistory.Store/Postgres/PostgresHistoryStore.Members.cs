using Npgsql;

namespace ViewingHistory.Store.Postgres;

public sealed partial class PostgresHistoryStore
{
    public Task<IReadOnlyList<string>> ListMembersAsync(string? after, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        return GuardAsync<IReadOnlyList<string>>(
            async () =>
            {
                await using var command = _dataSource.CreateCommand(
                    "SELECT DISTINCT member_id FROM items WHERE member_id > $1 ORDER BY member_id LIMIT $2");
                command.Parameters.Add(new NpgsqlParameter { Value = after ?? "" });
                command.Parameters.Add(new NpgsqlParameter { Value = limit });
                var members = new List<string>(limit);
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    members.Add(reader.GetString(0));
                }

                return members;
            },
            cancellationToken);
    }
}
