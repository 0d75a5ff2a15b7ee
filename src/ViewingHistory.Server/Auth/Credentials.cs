using System.Security.Cryptography;
using System.Text;

namespace ViewingHistory.Server.Auth;

/// <summary>
/// The credentials in force. Keys are held only as SHA-256 digests: a presented key is hashed and compared with
/// <see cref="CryptographicOperations.FixedTimeEquals"/> against every configured digest (fixed length, no early
/// exit on the first match), so timing tells nothing about the keys.
/// </summary>
internal sealed class Credentials
{
    private readonly byte[][] _ingest;
    private readonly byte[][] _service;

    public Credentials(IEnumerable<string> ingestKeys, IEnumerable<string> serviceKeys, string memberTokenSecret)
    {
        _ingest = ingestKeys.Where(k => k.Length > 0).Select(Digest).ToArray();
        _service = serviceKeys.Where(k => k.Length > 0).Select(Digest).ToArray();
        if (_ingest.Length == 0 || _service.Length == 0)
        {
            throw new InvalidOperationException("Auth: at least one ingest key and one service key are required.");
        }

        if (Encoding.UTF8.GetByteCount(memberTokenSecret) < 32)
        {
            throw new InvalidOperationException("Auth:MemberTokenSecret must be at least 32 bytes (UTF-8).");
        }

        MemberTokenSecret = Encoding.UTF8.GetBytes(memberTokenSecret);
    }

    public byte[] MemberTokenSecret { get; }

    public CredentialKind Match(string presented)
    {
        var digest = Digest(presented);
        var ingest = AnyEquals(_ingest, digest);
        var service = AnyEquals(_service, digest);
        return service ? CredentialKind.Service : ingest ? CredentialKind.Ingest : CredentialKind.None;
    }

    /// <summary>The first 8 bytes of the key's SHA-256, hex: identifies a key in limits and logs without revealing it.</summary>
    public static string KeyId(string presented) => Convert.ToHexString(Digest(presented), 0, 8);

    private static bool AnyEquals(byte[][] digests, byte[] digest)
    {
        var found = false;
        foreach (var d in digests)
        {
            found |= CryptographicOperations.FixedTimeEquals(d, digest);
        }

        return found;
    }

    private static byte[] Digest(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}
