using System.Buffers.Text;
using System.Security.Cryptography;
using Microsoft.Extensions.Primitives;

namespace ViewingHistory.Server.Endpoints;

/// <summary>
/// Strong entity tags derived from a body alone, and <c>If-None-Match</c> evaluated as RFC 9110 (§8.8.3, §13.1.2) says.
/// A tag depends on nothing but the bytes served, so every node and every mode gives the same tag for the same body.
/// </summary>
internal static class EntityTags
{
    /// <summary>The quoted base64url of the first 16 bytes of the body's SHA-256 (CONTRACT.md's example, taken as is).</summary>
    public static string Of(ReadOnlySpan<byte> body)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(body, hash);
        return "\"" + Base64Url.EncodeToString(hash[..16]) + "\"";
    }

    /// <summary>
    /// True when <c>If-None-Match</c> names <paramref name="current"/> (a strong, quoted tag) by weak comparison
    /// (<c>W/"x"</c> matches <c>"x"</c>), or is <c>*</c> (a current representation exists: the caller has one). Several
    /// header lines form one list. A value that is neither <c>*</c> nor a list of entity-tags is ignored (false: the
    /// request is answered as if unconditional), as a malformed precondition cannot be said to hold.
    /// </summary>
    public static bool IfNoneMatchHolds(StringValues headers, string current)
    {
        if (headers.Count == 0)
        {
            return false;
        }

        var value = headers.Count == 1 ? headers[0]! : string.Join(',', headers.ToArray());
        if (value.AsSpan().Trim(" \t").SequenceEqual("*"))
        {
            return true;
        }

        var matched = false;
        var rest = value.AsSpan();
        while (true)
        {
            rest = rest.TrimStart(" \t,");
            if (rest.IsEmpty)
            {
                return matched;
            }

            if (!TryTakeTag(ref rest, out var opaque))
            {
                return false;
            }

            matched |= opaque.SequenceEqual(current);
            rest = rest.TrimStart(" \t");
            if (!rest.IsEmpty && rest[0] != ',')
            {
                return false;
            }
        }
    }

    /// <summary>entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE; etagc = %x21 / %x23-7E / obs-text. Gives the opaque tag, quotes included.</summary>
    private static bool TryTakeTag(ref ReadOnlySpan<char> text, out ReadOnlySpan<char> opaque)
    {
        opaque = default;
        var start = text.StartsWith("W/", StringComparison.Ordinal) ? 2 : 0;
        if (text.Length <= start || text[start] != '"')
        {
            return false;
        }

        for (var i = start + 1; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '"')
            {
                opaque = text[start..(i + 1)];
                text = text[(i + 1)..];
                return true;
            }

            if (c < 0x21 || c == 0x7F || c > 0xFF)
            {
                return false;
            }
        }

        return false;
    }
}
