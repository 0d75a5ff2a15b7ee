using System.Security.Cryptography;
using System.Text;

namespace ViewingHistory.Server.Auth;

/// <summary>
/// The credentials in force. Keys are held only as SHA-256 digests: a presented key is hashed and compared with
/// <see cref="CryptographicOperations.FixedTimeEquals"/> against every configured digest (fixed length, no early
/// exit on the first match), so timing tells nothing about the keys. A request hashes its key once, without
/// allocating (the key id of a match is the configured key's own, computed at start).
/// </summary>
internal sealed class Credentials
{
    private const int DigestBytes = 32;
    private readonly byte[][] _ingest;
    private readonly byte[][] _service;
    private readonly string[] _ingestIds;
    private readonly string[] _serviceIds;

    public Credentials(IEnumerable<string> ingestKeys, IEnumerable<string> serviceKeys, string memberTokenSecret)
    {
        _ingest = ingestKeys.Where(k => k.Length > 0).Select(Digest).ToArray();
        _service = serviceKeys.Where(k => k.Length > 0).Select(Digest).ToArray();
        if (_ingest.Length == 0 || _service.Length == 0)
        {
            throw new InvalidOperationException("Auth: at least one ingest key and one service key are required.");
        }

        _ingestIds = [.. _ingest.Select(IdOf)];
        _serviceIds = [.. _service.Select(IdOf)];

        if (Encoding.UTF8.GetByteCount(memberTokenSecret) < 32)
        {
            throw new InvalidOperationException("Auth:MemberTokenSecret must be at least 32 bytes (UTF-8).");
        }

        MemberTokenSecret = Encoding.UTF8.GetBytes(memberTokenSecret);
    }

    public byte[] MemberTokenSecret { get; }

    /// <summary>
    /// The kind of <paramref name="presented"/>, and for a key its id: the first 8 bytes of its SHA-256, hex, which
    /// identifies a key in limits and logs without revealing it (null for <see cref="CredentialKind.None"/>). Every
    /// configured digest is compared, whatever matches.
    /// </summary>
    public CredentialKind Match(string presented, out string? keyId)
    {
        Span<byte> digest = stackalloc byte[DigestBytes];
        Digest(presented, digest);
        var ingest = FindEqual(_ingest, digest);
        var service = FindEqual(_service, digest);
        keyId = service >= 0 ? _serviceIds[service] : ingest >= 0 ? _ingestIds[ingest] : null;
        return service >= 0 ? CredentialKind.Service : ingest >= 0 ? CredentialKind.Ingest : CredentialKind.None;
    }

    /// <summary>The index of the digest equal to <paramref name="digest"/>, or -1; compares against all of them.</summary>
    private static int FindEqual(byte[][] digests, ReadOnlySpan<byte> digest)
    {
        var found = -1;
        for (var i = 0; i < digests.Length; i++)
        {
            var equal = CryptographicOperations.FixedTimeEquals(digests[i], digest);
            found = equal ? i : found;
        }

        return found;
    }

    private static string IdOf(byte[] digest) => Convert.ToHexString(digest, 0, 8);

    private static byte[] Digest(string key)
    {
        var digest = new byte[DigestBytes];
        Digest(key, digest);
        return digest;
    }

    private static void Digest(string key, Span<byte> digest)
    {
        // Keys are short: hash them from the stack; a longer one (not a configured key, whatever it is) from the heap.
        var length = Encoding.UTF8.GetMaxByteCount(key.Length);
        Span<byte> utf8 = length <= 512 ? stackalloc byte[length] : new byte[length];
        var written = Encoding.UTF8.GetBytes(key, utf8);
        SHA256.HashData(utf8[..written], digest);
    }
}
