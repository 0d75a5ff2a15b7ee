using Microsoft.Data.Sqlite;

namespace ViewingHistory.Store.Sqlite;

public sealed partial class SqliteHistoryStore
{
    public async Task<IReadOnlyList<string>> ListMembersAsync(string? after, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ObjectDisposedException.ThrowIf(_disposed, this);
        await Task.CompletedTask;
        try
        {
            using var connection = OpenReader();
            using var command = connection.CreateCommand();

            // The primary key (member_id, title_id) serves this walk in order.
            command.CommandText = "SELECT DISTINCT member_id FROM items WHERE member_id > $after ORDER BY member_id LIMIT $n";
            command.Parameters.AddWithValue("$after", after ?? "");
            command.Parameters.AddWithValue("$n", limit);
            var members = new List<string>(limit);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                members.Add(reader.GetString(0));
            }

            return members;
        }
        catch (SqliteException e)
        {
            throw Map(e);
        }
    }
}
