using ViewingHistory.Queue;
using ViewingHistory.Store;

namespace ViewingHistory.Server.Configuration;

/// <summary>The engines this process runs behind the two seams (DESIGN.md principle 7): <c>Queue:Kind</c> and <c>Store:Kind</c>, read once at start.</summary>
internal sealed record EngineKinds(QueueKind Queue, StoreKind Store)
{
    /// <summary>Reads both kinds; names only, in any case (<c>jetstream</c>, <c>JetStream</c>), not numbers.</summary>
    /// <exception cref="InvalidOperationException">A kind that names no engine.</exception>
    public static EngineKinds Read(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return new(
            ReadKind(configuration, "Queue:Kind", QueueKind.Embedded),
            ReadKind(configuration, "Store:Kind", StoreKind.Sqlite));
    }

    /// <summary>The name a kind has in configuration and in <c>GET /v1/admin/status</c>.</summary>
    public static string NameOf<TKind>(TKind kind)
        where TKind : struct, Enum => kind.ToString().ToLowerInvariant();

    private static TKind ReadKind<TKind>(IConfiguration configuration, string key, TKind fallback)
        where TKind : struct, Enum
    {
        if (configuration[key] is not { } text)
        {
            return fallback;
        }

        foreach (var kind in Enum.GetValues<TKind>())
        {
            if (NameOf(kind).Equals(text, StringComparison.OrdinalIgnoreCase))
            {
                return kind;
            }
        }

        throw new InvalidOperationException($"{key} '{text}' is not one of {string.Join(", ", Enum.GetValues<TKind>().Select(NameOf))}.");
    }
}
