using Npgsql;

namespace ViewingHistory.Store.Postgres;

/// <summary>The PostgreSQL store's settings, bound from the <c>Store</c> section.</summary>
public sealed record PostgresStoreOptions
{
    /// <summary>The configuration section the server binds these options from.</summary>
    public const string Section = "Store";

    /// <summary>Npgsql connection string (<c>Store:ConnectionString</c>): the one-shard form.</summary>
    public string? ConnectionString { get; init; }

    /// <summary>
    /// Npgsql connection strings of the shards, in order (<c>Store:Shards:0..N-1</c>): member m lives on shard
    /// MemberHash(m) mod N. Either this or <see cref="ConnectionString"/>, never both.
    /// </summary>
    public IReadOnlyList<string>? Shards { get; init; }

    /// <summary>The connection strings of the shards: <see cref="Shards"/>, or the one <see cref="ConnectionString"/>.</summary>
    public IReadOnlyList<string> ShardConnectionStrings => Shards is { Count: > 0 } shards ? shards : [ConnectionString!];

    /// <summary>Why these settings cannot run, or null when they can.</summary>
    public string? Problem() => (ConnectionString is { Length: > 0 }, Shards is { Count: > 0 }) switch
    {
        (false, false) => "Store:Kind=postgres needs Store:ConnectionString (one shard) or Store:Shards:0..N-1 (N shards).",
        (true, true) => "Store:ConnectionString and Store:Shards are both set: use Store:ConnectionString for one shard or Store:Shards:0..N-1 for N, not both.",
        (false, true) when Shards!.Any(string.IsNullOrWhiteSpace) => "Store:Shards holds an empty connection string: every shard 0..N-1 needs one, in order.",
        (true, false) => Unparsable("Store:ConnectionString", ConnectionString!),
        _ => Shards!.Select((c, i) => Unparsable($"Store:Shards:{i}", c)).FirstOrDefault(p => p is not null),
    };

    /// <summary>Why Npgsql cannot parse <paramref name="connectionString"/> (the setting named, its value never quoted: it may hold a password), or null.</summary>
    private static string? Unparsable(string setting, string connectionString)
    {
        try
        {
            _ = new NpgsqlConnectionStringBuilder(connectionString);
            return null;
        }
        catch (ArgumentException ex)
        {
            return $"{setting} is not a valid Npgsql connection string: {ex.Message}";
        }
    }
}
