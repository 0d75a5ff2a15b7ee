using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ViewingHistory.Testing;

namespace ViewingHistory.EndToEnd.Tests;

/// <summary>
/// Issue 5, secrets: the generated credentials file is owner-only, and no key or secret, configured or generated,
/// appears in the server's output (at Debug level) after every kind of authentication failure.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SecretsTests : IDisposable
{
    private const string ConfiguredIngestKey = "e2e-configured-ingest-key-7f3a9c1d";
    private readonly TempDirectory _data = new("vh-e2e-secrets");

    [Fact]
    public async Task The_generated_credentials_file_is_owner_only_and_no_key_or_secret_reaches_the_log()
    {
        string output;
        string serviceKey;
        string secret;
        await using (var server = await ServerProcess.StartAsync(new Dictionary<string, string>
        {
            ["DataDir"] = _data.Path,
            ["Auth:IngestKeys:0"] = ConfiguredIngestKey,
            ["Logging:LogLevel:Default"] = "Debug",
        }))
        {
            var file = Path.Combine(_data.Path, "credentials.json");
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            var stored = JsonNode.Parse(await File.ReadAllTextAsync(file))!;
            serviceKey = (string)stored["serviceKey"]!;
            secret = (string)stored["memberTokenSecret"]!;
            Assert.Null(stored["ingestKey"]);

            var cases = new (HttpMethod Method, string Path, string? Credential, HttpStatusCode Status)[]
            {
                (HttpMethod.Post, "/v1/playback/events", ConfiguredIngestKey, HttpStatusCode.Accepted),
                (HttpMethod.Post, "/v1/playback/events", serviceKey, HttpStatusCode.Forbidden),
                (HttpMethod.Get, "/v1/members/m1/history", ConfiguredIngestKey, HttpStatusCode.Forbidden),
                (HttpMethod.Post, "/v1/playback/events", ConfiguredIngestKey + "x", HttpStatusCode.Unauthorized),
                (HttpMethod.Get, "/v1/changes", serviceKey[..^1], HttpStatusCode.Unauthorized),
                (HttpMethod.Get, "/v1/members/m1/history", Token("m1", secret, TimeSpan.FromMinutes(-5)), HttpStatusCode.Unauthorized),
                (HttpMethod.Get, "/v1/members/m1/history", Token("m1", secret + "x", TimeSpan.FromMinutes(5)), HttpStatusCode.Unauthorized),
                (HttpMethod.Get, "/v1/members/m2/history", Token("m1", secret, TimeSpan.FromMinutes(5)), HttpStatusCode.Forbidden),
                (HttpMethod.Get, $"/v1/changes?access_token={serviceKey}", null, HttpStatusCode.Unauthorized),
                (HttpMethod.Get, "/v1/admin/dead-letters", serviceKey, HttpStatusCode.OK),
            };
            foreach (var (method, path, credential, status) in cases)
            {
                using var request = new HttpRequestMessage(method, path);
                if (method == HttpMethod.Post)
                {
                    request.Content = new StringContent(
                        """[{"eventId":"s1","memberId":"m1","titleId":"t","sessionId":"s","seq":0,"type":"start","positionMs":0,"durationMs":1000,"timestamp":"2026-01-01T00:00:00Z"}]""",
                        Encoding.UTF8,
                        "application/json");
                }

                if (credential is not null)
                {
                    request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + credential);
                }

                using var response = await server.Client.SendAsync(request);
                Assert.True(response.StatusCode == status, $"{method} {path}: expected {(int)status}, got {(int)response.StatusCode}");
            }

            // A graceful stop flushes every log line written so far.
            Assert.Equal(0, await server.StopAsync(TimeSpan.FromSeconds(30)));
            output = server.Output;
        }

        Assert.Contains(Path.Combine(_data.Path, "credentials.json"), output, StringComparison.Ordinal);
        Assert.Contains("dbug:", output, StringComparison.Ordinal);
        foreach (var (name, value) in new[] { ("configured ingest key", ConfiguredIngestKey), ("generated service key", serviceKey), ("generated member token secret", secret) })
        {
            Assert.False(output.Contains(value, StringComparison.Ordinal), $"The {name} appears in the server's output.");
        }
    }

    public void Dispose() => _data.Dispose();

    private static string Token(string sub, string secret, TimeSpan expiresIn)
    {
        var head = B64("{\"alg\":\"HS256\",\"typ\":\"JWT\"}"u8.ToArray());
        var payload = B64(Encoding.UTF8.GetBytes($"{{\"sub\":\"{sub}\",\"exp\":{DateTimeOffset.UtcNow.Add(expiresIn).ToUnixTimeSeconds()}}}"));
        var signature = B64(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.ASCII.GetBytes($"{head}.{payload}")));
        return $"{head}.{payload}.{signature}";
    }

    private static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
