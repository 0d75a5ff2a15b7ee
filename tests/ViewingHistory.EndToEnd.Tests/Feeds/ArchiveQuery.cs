using DuckDB.NET.Data;

namespace ViewingHistory.EndToEnd.Tests.Feeds;

/// <summary>Reads the Parquet archive the way an analyst would: DuckDB over the Hive-partitioned files.</summary>
public static class ArchiveQuery
{
    /// <summary>
    /// One row per archived copy of an event (duplicates included), with its partition values. A compaction running
    /// beside the query may delete a part DuckDB has listed but not opened yet; as the README tells an analyst, the
    /// query is then run again (the merged file holding those rows is already in place).
    /// </summary>
    public static List<ArchivedEvent> ReadAll(string root)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return ReadOnce(root);
            }
            catch (DuckDBException e) when (attempt < 5 && e.Message.Contains("No such file or directory", StringComparison.Ordinal))
            {
                // A part vanished under the query: read the directory again.
            }
        }
    }

    private static List<ArchivedEvent> ReadOnce(string root)
    {
        if (!Directory.EnumerateFiles(root, "*.parquet", SearchOption.AllDirectories).Any())
        {
            return [];
        }

        using var connection = new DuckDBConnection("DataSource=:memory:");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT eventId, memberId, titleId, sessionId, seq, type, positionMs, durationMs,
                   epoch_ms(timestamp), device, epoch_ms(acceptedAt), CAST(date AS VARCHAR), CAST(hour AS INTEGER)
            FROM read_parquet('{root.Replace("'", "''", StringComparison.Ordinal)}/**/*.parquet', hive_partitioning = true)
            """;
        using var reader = command.ExecuteReader();
        var rows = new List<ArchivedEvent>();
        while (reader.Read())
        {
            rows.Add(new ArchivedEvent(
                reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetInt32(4), reader.GetString(5),
                reader.GetInt64(6), reader.GetInt64(7), reader.GetInt64(8), reader.IsDBNull(9) ? null : reader.GetString(9), reader.GetInt64(10),
                reader.GetString(11), reader.GetInt32(12)));
        }

        return rows;
    }
}

public sealed record ArchivedEvent(
    string EventId, string MemberId, string TitleId, string SessionId, int Seq, string Type, long PositionMs, long DurationMs,
    long TimestampMs, string? Device, long AcceptedAtMs, string Date, int Hour);
