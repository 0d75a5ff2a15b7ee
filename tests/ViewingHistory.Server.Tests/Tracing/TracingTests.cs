using System.Diagnostics;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using OpenTelemetry.Trace;
using ViewingHistory.Core.Diagnostics;
using ViewingHistory.Server.Tests.Infrastructure;
using ViewingHistory.Testing;

namespace ViewingHistory.Server.Tests.Tracing;

/// <summary>
/// One event followed through the in-memory exporter from its POST to the store's commit, on each queue engine: the
/// request span (continuing the client's traceparent), the ingest span under it, the processor's apply span linked to
/// that ingest span across the queue (inside the embedded log's entry; in a NATS header on JetStream), and the store's
/// span under the apply span (the SQLite transaction; Npgsql's commands).
/// </summary>
[Collection(DistributedEnginesCollection.Name)]
public sealed class TracingTests(DistributedEngines engines)
{
    [Fact]
    public Task An_event_is_traced_from_its_POST_to_the_SQLite_commit_through_the_embedded_log() =>
        FollowOneEventAsync(new Dictionary<string, string?>(), storeSpan: s => s.Source.Name == VhTracing.SourceName && s.DisplayName == "sqlite transaction");

    [Fact]
    public async Task An_event_is_traced_from_its_POST_to_the_PostgreSQL_commit_through_JetStream()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Queue:Kind"] = "jetstream",
            ["Queue:Url"] = engines.Nats.Url,
            ["Store:Kind"] = "postgres",
            ["Store:ConnectionString"] = await engines.Postgres.CreateDatabaseAsync(),
        };
        foreach (var (k, v) in DistributedEngines.StreamSettings(DistributedEngines.NewStreamName()))
        {
            settings[k] = v;
        }

        await FollowOneEventAsync(settings, storeSpan: s => s.Source.Name == "Npgsql");
    }

    private static async Task FollowOneEventAsync(Dictionary<string, string?> settings, Func<Activity, bool> storeSpan)
    {
        using var data = new TempDirectory("vh-tracing");
        var spans = new List<Activity>();
        settings["DataDir"] = data.Path;
        settings["Auth:IngestKeys:0"] = TestCredentials.IngestKey;
        settings["Auth:ServiceKeys:0"] = TestCredentials.ServiceKey;
        settings["Auth:MemberTokenSecret"] = TestCredentials.Secret;
        settings["Processor:MaxBatchWait"] = "00:00:00.005";

        // Tracing is on only with an OTLP endpoint; nothing listens on this one (the exporter's failures are its own),
        // the spans are read from the in-memory exporter beside it.
        settings["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:9";
        await using var factory = new TracedFactory(settings, spans);
        using var client = factory.CreateClient();
        var contract = new ContractClient(client, eventuallyConsistent: true);

        var member = Ev.NewId("trace");
        var traceId = ActivityTraceId.CreateRandom();
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/v1/playback/events"))
        {
            request.Content = new StringContent(Ev.Batch(Ev.Make(member, "t1")), System.Text.Encoding.UTF8, "application/json");
            ContractClient.Authorize(request, TestCredentials.IngestKey);
            request.Headers.Add("traceparent", $"00-{traceId.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
            using var response = await client.SendAsync(request);
            Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
        }

        await contract.WaitForTitleAsync(member, "t1");
        // Spans end (and are exported) a little after the work they cover: poll for the whole chain.
        Activity? server = null, ingest = null, apply = null, store = null;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (store is null)
        {
            Assert.True(DateTime.UtcNow < deadline, $"no full chain within 30 s: server {server?.DisplayName}, ingest {ingest?.DisplayName}, apply {apply?.DisplayName}; spans seen: {string.Join(", ", SpanNames(spans))}");
            await Task.Delay(50);
            Activity[] all;
            lock (spans)
            {
                all = [.. spans];
            }

            server = all.FirstOrDefault(s => s.TraceId == traceId && s.Kind == ActivityKind.Server);
            ingest = all.FirstOrDefault(s => s.TraceId == traceId && s.DisplayName == "ingest");
            apply = ingest is null ? null : all.FirstOrDefault(s => s.DisplayName == "apply processor" && s.Links.Any(l => l.Context.SpanId == ingest.SpanId && l.Context.TraceId == traceId));
            store = apply is null ? null : all.FirstOrDefault(s => s.ParentSpanId == apply.SpanId && s.TraceId == apply.TraceId && storeSpan(s));
        }

        Assert.NotNull(server);
        Assert.Equal("POST /v1/playback/events", server.DisplayName);
        Assert.Equal(server.SpanId, ingest!.ParentSpanId);
        Assert.Equal(1, ingest.GetTagItem("vh.events"));
        Assert.NotEqual(traceId, apply!.TraceId); // its own trace: one apply serves many requests
        Assert.Equal(ActivityKind.Consumer, apply.Kind);
        Assert.NotNull(store);
    }

    private static IEnumerable<string> SpanNames(List<Activity> spans)
    {
        lock (spans)
        {
            return spans.Select(s => $"{s.Source.Name}/{s.DisplayName}").Distinct().ToList();
        }
    }

    private sealed class TracedFactory(IReadOnlyDictionary<string, string?> settings, List<Activity> spans) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Testing");
            foreach (var (k, v) in settings)
            {
                builder.UseSetting(k, v);
            }

            builder.ConfigureTestServices(services => services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(new LockedList(spans))));
        }
    }

    /// <summary>The exporter adds from the threads that end spans while the test reads: a list behind a lock.</summary>
    private sealed class LockedList(List<Activity> inner) : ICollection<Activity>
    {
        public int Count { get { lock (inner) { return inner.Count; } } }

        public bool IsReadOnly => false;

        public void Add(Activity item) { lock (inner) { inner.Add(item); } }

        public void Clear() { lock (inner) { inner.Clear(); } }

        public bool Contains(Activity item) { lock (inner) { return inner.Contains(item); } }

        public void CopyTo(Activity[] array, int arrayIndex) { lock (inner) { inner.CopyTo(array, arrayIndex); } }

        public bool Remove(Activity item) { lock (inner) { return inner.Remove(item); } }

        public IEnumerator<Activity> GetEnumerator() { lock (inner) { return inner.ToList().GetEnumerator(); } }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
