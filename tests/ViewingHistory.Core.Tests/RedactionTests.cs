using ViewingHistory.Core.Diagnostics;

namespace ViewingHistory.Core.Tests;

public sealed class RedactionTests
{
    [Theory]
    [InlineData("Could not connect to nats://vh:hunter2@10.0.0.7:4222 now", "nats://vh:***@10.0.0.7:4222")]
    [InlineData("urls nats://s3cr3t-token@nats.internal:4222,tls://a:b@c:1", "nats://***@nats.internal:4222,tls://a:***@c:1")]
    [InlineData("Host=db;Username=vh;Password=hunter2;Database=x", "Host=db;Username=vh;Password=***;Database=x")]
    [InlineData("Host=db;PWD = 'hunter2';", "Host=db;PWD = ***;")]
    [InlineData("password=\"hun;ter2\";Port=5", "password=***;Port=5")]
    public void A_nats_url_password_or_a_connection_string_password_never_survives_redaction(string text, string expected)
    {
        var redacted = Redaction.Secrets(text);

        Assert.Contains(expected, redacted, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", redacted, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t", redacted, StringComparison.Ordinal);
        Assert.DoesNotContain("hun;ter2", redacted, StringComparison.Ordinal);
    }

    [Fact]
    public void Text_without_secrets_is_left_as_it_is_for_logs()
    {
        const string text = "The SQLite store at /var/lib/vh/history.db is busy: database is locked (nats://10.0.0.1:4222)";

        Assert.Equal(text, Redaction.Secrets(text));
    }

    [Theory]
    [InlineData("StoreUnavailableException: The SQLite store at /tmp/vh-1/mnt/history.db cannot be used now: SQLite Error 13: 'database or disk is full'.")]
    [InlineData("NpgsqlException: Failed to connect to 10.1.2.3:5432 (Host=db.internal;Password=hunter2)")]
    [InlineData("NatsException: can not connect uris: nats://vh:hunter2@nats-0.nats.svc:4222")]
    [InlineData("SocketException: Failed to connect to [::1]:5432 and db.internal:5432")]
    public void A_reason_shown_to_clients_keeps_what_failed_without_paths_hosts_or_secrets(string reason)
    {
        var shown = Redaction.ForClients(reason);

        Assert.Equal(reason[..reason.IndexOf(':', StringComparison.Ordinal)], shown[..shown.IndexOf(':', StringComparison.Ordinal)]);
        foreach (var secret in new[] { "/tmp", "history.db", "10.1.2.3", "db.internal", "hunter2", "nats-0", "::1", "5432" })
        {
            Assert.DoesNotContain(secret, shown, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_reason_without_engine_details_is_shown_as_it_is()
    {
        const string reason = "InvalidOperationException: event e1 has seq -1: rejected by the store (constraint failed)";

        Assert.Equal(reason, Redaction.ForClients(reason));
    }
}
