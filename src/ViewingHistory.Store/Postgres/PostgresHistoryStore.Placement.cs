using Npgsql;
using ViewingHistory.Store.Sharding;

namespace ViewingHistory.Store.Postgres;

public sealed partial class PostgresHistoryStore
{
    private const string PlacementSchemaSql = """
        CREATE TABLE IF NOT EXISTS store_shards (
            id integer NOT NULL PRIMARY KEY CHECK (id = 1),
            shard_index integer NOT NULL,
            shard_count integer NOT NULL
        );
        """;

    /// <summary>
    /// Records this store's placement the first time, and refuses a start under another one (see <see cref="ShardPlacement"/>).
    /// A database from before placements were recorded is taken as the one shard it was, unless it holds members and is
    /// now named one of several shards: then nobody can tell which members it holds, and starting would strand them.
    /// Runs in the schema transaction, under its advisory lock.
    /// </summary>
    private async Task CheckPlacementAsync(NpgsqlConnection connection, NpgsqlTransaction tx, CancellationToken cancellationToken)
    {
        await using (var command = new NpgsqlCommand("SELECT shard_index, shard_count FROM store_shards WHERE id = 1", connection, tx))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (await reader.ReadAsync(cancellationToken))
            {
                var recorded = new ShardPlacement(reader.GetInt32(0), reader.GetInt32(1));
                if (recorded != Placement)
                {
                    throw new InvalidOperationException(
                        $"The PostgreSQL store{SchemaLabel} was made as {recorded} and is configured as {Placement} (Store:Shards): members live on " +
                        "shard MemberHash(memberId) mod N, so a new N puts them where nobody looks. Keep the shard count and order, or move the " +
                        "members first (README, 'Moving from one shard to two').");
                }

                return;
            }
        }

        if (Placement != ShardPlacement.Single)
        {
            await using var command = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM members)", connection, tx);
            if ((bool)(await command.ExecuteScalarAsync(cancellationToken))!)
            {
                throw new InvalidOperationException(
                    $"The PostgreSQL store{SchemaLabel} holds members but no recorded shard placement (it was made by a one-shard deployment), " +
                    $"and is configured as {Placement} (Store:Shards): its members would be looked up on other shards. Start it as the one " +
                    "shard it is, or move the members first (README, 'Moving from one shard to two').");
            }
        }

        await using (var insert = new NpgsqlCommand("INSERT INTO store_shards (id, shard_index, shard_count) VALUES (1, $1, $2)", connection, tx))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = Placement.Index });
            insert.Parameters.Add(new NpgsqlParameter { Value = Placement.Count });
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private string SchemaLabel => Schema is null ? string.Empty : $" in schema {Schema}";
}
