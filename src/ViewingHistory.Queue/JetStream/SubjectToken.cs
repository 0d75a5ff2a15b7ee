using System.Text;

namespace ViewingHistory.Queue.JetStream;

/// <summary>
/// Ids as NATS subject tokens, reversibly. A token may not be empty and may not hold <c>.</c> (the separator),
/// <c>*</c>, <c>&gt;</c> or whitespace, yet <c>x.</c>, <c>.y</c> and <c>a..b</c> are valid member ids: published as they
/// are, <c>vh.changes.x.</c> is no valid subject and the publish never gets an answer. So every character outside
/// <c>[A-Za-z0-9_:-]</c> is written as <c>%</c> and two upper-case hex digits per UTF-8 byte (<c>a.b</c> becomes
/// <c>a%2Eb</c>; <c>%</c> itself becomes <c>%25</c>, though the contract's alphabet has none). Ordinary ids, without a
/// dot, stay as they are, and every id is exactly one token, so <c>{prefix}.*</c> matches every member.
/// </summary>
public static class SubjectToken
{
    private const string Hex = "0123456789ABCDEF";

    private static readonly System.Buffers.SearchValues<char> Safe =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_:-");

    /// <summary>The token for <paramref name="id"/>: never empty for a non-empty id, never holding <c>.</c>, <c>*</c>, <c>&gt;</c> or whitespace.</summary>
    public static string Encode(string id)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        if (id.AsSpan().IndexOfAnyExcept(Safe) < 0)
        {
            return id;
        }

        var builder = new StringBuilder(id.Length + 8);
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < id.Length; i++)
        {
            var c = id[i];
            if (Safe.Contains(c))
            {
                builder.Append(c);
                continue;
            }

            var length = char.IsHighSurrogate(c) && i + 1 < id.Length
                ? Encoding.UTF8.GetBytes(id.AsSpan(i++, 2), utf8)
                : Encoding.UTF8.GetBytes(id.AsSpan(i, 1), utf8);
            foreach (var b in utf8[..length])
            {
                builder.Append('%').Append(Hex[b >> 4]).Append(Hex[b & 0xF]);
            }
        }

        return builder.ToString();
    }

    /// <summary>The id a token was made from (what a subscriber of <c>{prefix}.*</c> does with the subject's last token).</summary>
    /// <exception cref="FormatException">A <c>%</c> not followed by two hex digits.</exception>
    public static string Decode(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (!token.Contains('%', StringComparison.Ordinal))
        {
            return token;
        }

        var bytes = new List<byte>(token.Length);
        for (var i = 0; i < token.Length; i++)
        {
            if (token[i] != '%')
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(token[i].ToString()));
                continue;
            }

            if (i + 2 >= token.Length || !Uri.IsHexDigit(token[i + 1]) || !Uri.IsHexDigit(token[i + 2]))
            {
                throw new FormatException($"'{token}' is not an encoded subject token: '%' must be followed by two hex digits.");
            }

            bytes.Add((byte)((Uri.FromHex(token[i + 1]) << 4) | Uri.FromHex(token[i + 2])));
            i += 2;
        }

        return Encoding.UTF8.GetString([.. bytes]);
    }
}
