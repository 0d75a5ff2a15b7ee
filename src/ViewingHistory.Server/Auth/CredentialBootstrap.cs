using System.Security.Cryptography;
using System.Text.Json;
using ViewingHistory.Server.Configuration;

namespace ViewingHistory.Server.Auth;

/// <summary>
/// CONTRACT.md: where a kind of credential is not configured, the server generates a strong random one on first
/// start, keeps it in a file readable only by its owner inside the data directory, and logs where that file is
/// (never the secrets). Authentication is never off by accident.
/// </summary>
internal static partial class CredentialBootstrap
{
    public const string FileName = "credentials.json";

    public static Credentials Resolve(AuthOptions configured, string dataDir, ILogger logger)
    {
        var ingest = configured.IngestKeys.Where(k => !string.IsNullOrEmpty(k)).ToList();
        var service = configured.ServiceKeys.Where(k => !string.IsNullOrEmpty(k)).ToList();
        var secret = configured.MemberTokenSecret;
        if (ingest.Count > 0 && service.Count > 0 && !string.IsNullOrEmpty(secret))
        {
            return new Credentials(ingest, service, secret);
        }

        var path = Path.GetFullPath(Path.Combine(dataDir, FileName));
        var stored = Load(path);
        var generated = new GeneratedCredentials(
            ingest.Count > 0 ? null : stored?.IngestKey ?? "vhi_" + RandomToken(32),
            service.Count > 0 ? null : stored?.ServiceKey ?? "vhs_" + RandomToken(32),
            !string.IsNullOrEmpty(secret) ? null : stored?.MemberTokenSecret ?? RandomToken(48));
        var merged = new GeneratedCredentials(
            generated.IngestKey ?? stored?.IngestKey,
            generated.ServiceKey ?? stored?.ServiceKey,
            generated.MemberTokenSecret ?? stored?.MemberTokenSecret);
        if (merged != stored)
        {
            Save(path, merged);
        }

        LogGenerated(logger, path);
        return new Credentials(
            ingest.Count > 0 ? ingest : [generated.IngestKey!],
            service.Count > 0 ? service : [generated.ServiceKey!],
            !string.IsNullOrEmpty(secret) ? secret : generated.MemberTokenSecret!);
    }

    private static GeneratedCredentials? Load(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        return JsonSerializer.Deserialize(File.ReadAllBytes(path), CredentialsJsonContext.Default.GeneratedCredentials);
    }

    private static void Save(string path, GeneratedCredentials credentials)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            // Created owner-only: the secrets are never readable by others, not even for a moment.
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        File.Delete(temp);
        using (var stream = new FileStream(temp, options))
        {
            JsonSerializer.Serialize(stream, credentials, CredentialsJsonContext.Default.GeneratedCredentials);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
    }

    private static string RandomToken(int bytes) => Convert.ToBase64String(RandomNumberGenerator.GetBytes(bytes))
        .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    [LoggerMessage(Level = LogLevel.Warning, Message = "Some credentials were not configured; generated ones are kept in {Path} (owner-only). Configure Auth:IngestKeys, Auth:ServiceKeys and Auth:MemberTokenSecret to use your own.")]
    private static partial void LogGenerated(ILogger logger, string path);
}
