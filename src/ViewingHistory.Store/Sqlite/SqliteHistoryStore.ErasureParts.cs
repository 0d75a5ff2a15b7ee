namespace ViewingHistory.Store.Sqlite;

public sealed partial class SqliteHistoryStore
{
    public async Task<IReadOnlyList<string>> ReadErasurePartsAsync(CancellationToken cancellationToken) =>
        await ReadAsync(connection =>
        {
            using var command = Command(connection, null, "SELECT part FROM erasure_parts ORDER BY part");
            using var reader = command.ExecuteReader();
            var parts = new List<string>();
            while (reader.Read())
            {
                parts.Add(reader.GetString(0));
            }

            return (IReadOnlyList<string>)parts;
        });

    public Task RetireErasurePartAsync(string part, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(part);
        return WriteAsync(
            (c, now) =>
            {
                foreach (var table in new[] { "erasure_parts", "erasure_clean" })
                {
                    using var delete = c.AdHoc($"DELETE FROM {table} WHERE part = $p", ("$p", part));
                    delete.ExecuteNonQuery();
                }

                return CompleteErasures(c, now);
            },
            cancellationToken);
    }

    /// <summary>The file is there: the store was initialized once and not deleted since.</summary>
    public Task<bool> ExistsAsync(CancellationToken cancellationToken) => Task.FromResult(File.Exists(Path));
}
