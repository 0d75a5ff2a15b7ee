using System.Buffers.Binary;
using System.Buffers.Text;
using System.IO.Hashing;
using System.Text;

namespace ViewingHistory.Core.History;

/// <summary>
/// The position after an item in page order. Its wire form is opaque: base64url of
/// <c>[scope][lastWatchedAtMs][titleId utf8][xxhash32 of the rest, seeded]</c>. It carries only data of the
/// contract, so it works across modes and engines; the checksum makes strings the service did not issue fail, and the
/// scope (<see cref="CursorScope"/>) makes a cursor of one list fail on the other.
/// </summary>
public readonly record struct HistoryCursor(long LastWatchedAtMs, string TitleId)
{
    private const int Seed = 0x5648_4331; // "VHC1"

    /// <summary>True when <paramref name="item"/> comes after this cursor in page order.</summary>
    public bool Precedes(HistoryItem item) =>
        item.LastWatchedAtMs < LastWatchedAtMs || (item.LastWatchedAtMs == LastWatchedAtMs && string.CompareOrdinal(item.TitleId, TitleId) > 0);

    public static HistoryCursor After(HistoryItem item) => new(item.LastWatchedAtMs, item.TitleId);

    public string Encode() => Encode(CursorScope.History);

    public string Encode(CursorScope scope)
    {
        var title = Encoding.UTF8.GetBytes(TitleId);
        var raw = new byte[1 + 8 + title.Length + 4];
        raw[0] = (byte)scope;
        BinaryPrimitives.WriteInt64BigEndian(raw.AsSpan(1), LastWatchedAtMs);
        title.CopyTo(raw, 9);
        BinaryPrimitives.WriteUInt32BigEndian(raw.AsSpan(9 + title.Length), XxHash32.HashToUInt32(raw.AsSpan(0, 9 + title.Length), Seed));
        return Base64Url.EncodeToString(raw);
    }

    public static bool TryDecode(string? text, out HistoryCursor cursor) => TryDecode(text, CursorScope.History, out cursor);

    /// <summary>Decodes a cursor of <paramref name="scope"/>; false for anything else, a cursor of the other list included.</summary>
    public static bool TryDecode(string? text, CursorScope scope, out HistoryCursor cursor)
    {
        cursor = default;
        if (string.IsNullOrEmpty(text) || text.Length > 200)
        {
            return false;
        }

        byte[] raw;
        try
        {
            raw = Base64Url.DecodeFromChars(text);
        }
        catch (FormatException)
        {
            return false;
        }

        if (raw.Length < 14 || raw[0] != (byte)scope)
        {
            return false;
        }

        var body = raw.AsSpan(0, raw.Length - 4);
        if (XxHash32.HashToUInt32(body, Seed) != BinaryPrimitives.ReadUInt32BigEndian(raw.AsSpan(raw.Length - 4)))
        {
            return false;
        }

        var title = Encoding.UTF8.GetString(body[9..]);
        if (!Validation.EventRules.IsValidId(title))
        {
            return false;
        }

        cursor = new HistoryCursor(BinaryPrimitives.ReadInt64BigEndian(body[1..]), title);
        return true;
    }
}
