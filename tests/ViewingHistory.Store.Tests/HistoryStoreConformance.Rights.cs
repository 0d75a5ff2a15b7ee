using ViewingHistory.Core.Events;
using ViewingHistory.Core.History;
using ViewingHistory.Store.Rights;
using static ViewingHistory.Store.Tests.Events;

namespace ViewingHistory.Store.Tests;

/// <summary>CONTRACT.md "Member data rights": the erasure mark and its purge, and the export, on every store.</summary>
public abstract partial class HistoryStoreConformance
{
    /// <summary>T of the erasures below: 100 s after T0, so E = T0 + 400 s; events after 400 s are not covered.</summary>
    private const long ErasedAt = T0 + 100_000;

    private const long ErasedThrough = ErasedAt + 300_000;

    /// <summary>What every path does: reduce against the marks known, and again against the store's when it refuses.</summary>
    protected async Task<ApplyResult> ApplyFilteredAsync(IHistoryStore store, IReadOnlyDictionary<string, long> known, params IEnumerable<PlaybackEvent> events)
    {
        var marks = new Dictionary<string, long>(known, StringComparer.Ordinal);
        var list = events.ToList();
        for (var attempt = 0; ; attempt++)
        {
            Assert.True(attempt < 5, "the store kept refusing the batch");
            try
            {
                return await store.ApplyAsync(BatchReducer.ReduceSessions(list, marks), None);
            }
            catch (StaleErasureMarksException e)
            {
                foreach (var (m, through) in e.ErasedThrough)
                {
                    marks[m] = through;
                }
            }
        }
    }

    [Fact]
    public async Task An_erasure_deletes_the_members_rows_at_once_and_keeps_its_mark()
    {
        await ApplyAsync(Event("gone", "t1", "s", 0, 10, 5_000), Event("gone", "t2", "s", 0, 20, 6_000), Event("kept", "t1", "s", 0, 10, 7_000));
        await HideAsync(new HideMark("gone", "t1", T0 + 15_000));
        await HideAsync(new HideMark("gone", null, T0 + 5_000));
        Clock.NowMs = ErasedAt;

        var record = await Store.EraseMemberAsync("gone", null, None);

        Assert.Equal(new ErasureRecord("gone", ErasedAt, ErasedThrough, record.FeedPosition, null), record);
        Assert.Empty(await ReadAllAsync("gone"));
        Assert.Null(await Store.ReadItemAsync("gone", "t2", None));
        Assert.Single(await ReadAllAsync("kept"));
        var status = await Store.ReadErasureAsync("gone", None);
        Assert.Equal(record, status!.Erasure);
        Assert.Contains(ErasureParts.Feed, status.Pending);
        Assert.Null(await Store.ReadErasureAsync("kept", None));
        var export = await ExportAsync("gone");
        Assert.Empty(export.Items);
        Assert.Empty(export.Sessions);
        Assert.Empty(export.Hides);
        Assert.Equal(record, export.Erasure);
    }

    [Fact]
    public async Task Covered_events_are_refused_before_any_merge_and_uncovered_ones_make_a_new_history()
    {
        Clock.NowMs = ErasedAt;
        await Store.EraseMemberAsync("m", null, None);

        // A session with a covered head and an uncovered later event: reduced blindly it is refused, nothing written.
        var late = Event("m", "t", "s", 9, 300, 90_000);
        var after = Event("m", "t", "s", 1, 500, 20_000);
        var refused = await Assert.ThrowsAsync<StaleErasureMarksException>(() => ApplyAsync(late, after));
        Assert.Equal(ErasedThrough, refused.ErasedThrough["m"]);
        Assert.Empty(await ReadAllAsync("m"));

        await ApplyFilteredAsync(Store, new Dictionary<string, long>(), late, after, Event("other", "t", "s", 0, 300, 1_000));
        Assert.Equal(new HistoryItem("t", T0 + 500_000, 20_000, 100_000, 1), Assert.Single(await ReadAllAsync("m")));
        Assert.Single(await ReadAllAsync("other"));
        var session = Assert.Single((await ExportAsync("m")).Sessions);
        Assert.Equal(T0 + 500_000, session.StartedAtMs);
    }

    [Fact]
    public async Task Any_order_of_events_hides_and_erasures_gives_the_reference_history()
    {
        var random = new Random(15);
        var events = RandomSet(random, "er", 300);
        var hides = RandomHides(random, "er", 8);
        var members = events.Select(e => e.MemberId).Distinct(StringComparer.Ordinal).ToList();
        var erasures = new List<ErasureMark>();
        var batches = ShuffledBatches(random, events);
        var known = new Dictionary<string, long>(StringComparer.Ordinal);
        for (var i = 0; i < batches.Count; i++)
        {
            await ApplyFilteredAsync(Store, known, batches[i]);
            if (i == batches.Count / 3 || i == batches.Count / 2)
            {
                // As at the server, every event applied before the erasure is covered by it (its timestamp is at most
                // T + 5 min); the ones still to come are covered or not (events span T0 .. T0 + 40 s).
                var member = members[random.Next(members.Count)];
                var appliedMax = batches.Take(i + 1).SelectMany(b => b).Where(e => e.MemberId == member).Select(e => e.TimestampMs).DefaultIfEmpty(T0).Max();
                Clock.NowMs = appliedMax - 300_000 + (random.Next(10) * 1000L);
                erasures.Add(new ErasureMark(member, (await Store.EraseMemberAsync(member, null, None)).ErasedThroughMs));
                await Store.PurgeErasedChangesAsync(1000, None); // completes it: a second one of the member is a new mark
            }
        }

        // Hides come after the erasures, as at the server (a hide accepted before an erasure is older than its T); those
        // at or before E change nothing, and the reference drops them.
        foreach (var hide in hides)
        {
            await HideAsync(hide);
        }

        foreach (var member in members)
        {
            var expected = HistoryReducer.Compute(events, hides, erasures);
            Assert.Equal(expected.TryGetValue(member, out var items) ? items : [], await ReadAllAsync(member));
        }
    }

    [Fact]
    public async Task The_feed_gets_a_null_change_per_item_and_no_longer_returns_the_members_earlier_items()
    {
        await ApplyAsync(Event("gone", "t1", "s", 0, 10, 5_000), Event("gone", "t2", "s", 0, 20, 6_000));
        await ApplyAsync(Event("kept", "t1", "s", 0, 10, 7_000));
        await HideAsync(new HideMark("gone", "t1", T0 + 15_000)); // a null change that carried no item: it stays
        Clock.NowMs = ErasedAt;
        var record = await Store.EraseMemberAsync("gone", null, None);
        await ApplyFilteredAsync(Store, new Dictionary<string, long>(), Event("gone", "t3", "s", 0, 500, 1_000));

        var visible = (await Store.ReadChangesAsync(0, 100, None)).Changes;
        Assert.DoesNotContain(visible, c => c.MemberId == "gone" && c.Item is not null && c.Position <= record.FeedPosition);
        Assert.Equal(["t2"], visible.Where(c => c.MemberId == "gone" && c.Item is null && c.Position > record.FeedPosition).Select(c => c.TitleId));
        Assert.Single(visible, c => c.MemberId == "gone" && c.TitleId == "t3" && c.Item is not null);
        Assert.Single(visible, c => c.MemberId == "kept");
        Assert.Equal(visible.Select(c => c.Position).Order(), visible.Select(c => c.Position));

        // The purge deletes them for good; with the feed the only part, the erasure is then complete.
        Assert.Equal(2, await Store.PurgeErasedChangesAsync(2, None));
        Assert.Equal(visible, (await Store.ReadChangesAsync(0, 100, None)).Changes);
        var status = await Store.ReadErasureAsync("gone", None);
        Assert.Equal(ErasedAt, status!.Erasure.CompletedAtMs);
        Assert.Empty(status.Pending);
    }

    [Fact]
    public async Task An_erasure_completes_only_when_every_registered_part_is_clean_and_a_repeat_while_pending_keeps_its_mark()
    {
        await Store.RegisterErasurePartAsync("archive:n1:/a", None);
        await Store.RegisterErasurePartAsync("archive:n1:/a", None);
        Clock.NowMs = ErasedAt;
        var first = await Store.EraseMemberAsync("m", null, None);
        await Store.PurgeErasedChangesAsync(100, None);

        Clock.NowMs = ErasedAt + 60_000;
        Assert.Equal(first, await Store.EraseMemberAsync("m", null, None));
        var pending = await Store.ReadErasureAsync("m", None);
        Assert.Equal(["archive:n1:/a"], pending!.Pending);
        Assert.Equal([first], await Store.ReadPendingErasuresAsync("archive:n1:/a", None));
        Assert.Empty(await Store.ReadPendingErasuresAsync(ErasureParts.Feed, None));

        await Store.MarkErasurePartCleanAsync("archive:n1:/a", "m", first.ErasedThroughMs, None);
        var done = await Store.ReadErasureAsync("m", None);
        Assert.Equal(ErasedAt + 60_000, done!.Erasure.CompletedAtMs);
        Assert.Empty(await Store.ReadPendingErasuresAsync("archive:n1:/a", None));

        // After completion a new request records a new, later mark, pending on every part again.
        Clock.NowMs = ErasedAt + 120_000;
        var second = await Store.EraseMemberAsync("m", null, None);
        Assert.Equal(ErasedAt + 120_000, second.RequestedAtMs);
        Assert.Equal(ErasedThrough + 120_000, second.ErasedThroughMs);
        Assert.Equal(2, (await Store.ReadErasureAsync("m", None))!.Pending.Count);

        // The shadow store's copy of an older mark never lowers it.
        Assert.Equal(second, await Store.EraseMemberAsync("m", ErasedAt, None));
        Assert.Equal(second.ErasedThroughMs, (await Store.ReadErasureMarksAsync(["m", "n"], None))["m"]);
    }

    [Fact]
    public async Task A_retired_part_no_longer_holds_erasures_back_and_a_store_not_yet_created_does_not_exist()
    {
        await Store.RegisterErasurePartAsync("shadow", None);
        await Store.RegisterErasurePartAsync("relay", None);
        Assert.Equal([ErasureParts.Feed, "relay", "shadow"], await Store.ReadErasurePartsAsync(None));
        Clock.NowMs = ErasedAt;
        var erasure = await Store.EraseMemberAsync("m", null, None);
        await Store.PurgeErasedChangesAsync(100, None);
        await Store.MarkErasurePartCleanAsync("shadow", "m", erasure.ErasedThroughMs, None);
        Assert.Equal(["relay"], (await Store.ReadErasureAsync("m", None))!.Pending);

        Clock.NowMs = ErasedAt + 1_000;
        await Store.RetireErasurePartAsync("relay", None);
        await Store.RetireErasurePartAsync("relay", None);
        Assert.Equal(ErasedAt + 1_000, (await Store.ReadErasureAsync("m", None))!.Erasure.CompletedAtMs);
        Assert.Equal([ErasureParts.Feed, "shadow"], await Store.ReadErasurePartsAsync(None));

        // Retiring forgets what the part reported: registered again, it is pending for the next erasure.
        await Store.RetireErasurePartAsync("shadow", None);
        await Store.RegisterErasurePartAsync("shadow", None);
        Clock.NowMs = ErasedAt + 2_000;
        var next = await Store.EraseMemberAsync("n", null, None);
        Assert.Equal([next], await Store.ReadPendingErasuresAsync("shadow", None));

        Assert.True(await Store.ExistsAsync(None));
        await using var elsewhere = NewStoreElsewhere();
        Assert.False(await elsewhere.ExistsAsync(None));
    }

    [Fact]
    public async Task The_export_is_the_members_items_sessions_and_hides()
    {
        await ApplyAsync(
            Event("x", "b", "s2", 0, 30, 10_000) with { Device = "tv" },
            Event("x", "b", "s2", 1, 40, 20_000) with { Device = "phone" },
            Event("x", "b", "s1", 0, 5, 1_000),
            Event("x", "a", "s9", 3, 50, 50_000) with { Device = "web" },
            Event("x", "a", "s9", 1, 45, 40_000),
            Event("y", "a", "s", 0, 1, 1_000));
        await HideAsync(new HideMark("x", "b", T0 + 10_000));
        await HideAsync(new HideMark("x", null, T0 + 1_000));

        var export = await ExportAsync("x");

        Assert.Equal([new HideMark("x", null, T0 + 1_000), new HideMark("x", "b", T0 + 10_000)], export.Hides);
        Assert.Null(export.Erasure);
        Assert.Equal(
            [new HistoryItem("a", T0 + 50_000, 50_000, 100_000, 1), new HistoryItem("b", T0 + 40_000, 20_000, 100_000, 1)],
            export.Items);
        Assert.Equal(
            [
                new ExportedSession("a", "s9", T0 + 45_000, T0 + 50_000, 50_000, 100_000, "web", false),
                new ExportedSession("b", "s1", T0 + 5_000, T0 + 5_000, 1_000, 100_000, null, true),
                new ExportedSession("b", "s2", T0 + 30_000, T0 + 40_000, 20_000, 100_000, "phone", false),
            ],
            export.Sessions);
        var empty = await ExportAsync("nobody");
        Assert.Empty(empty.Items);
        Assert.Empty(empty.Sessions);
        Assert.Empty(empty.Hides);
    }

    protected async Task<CollectedExport> ExportAsync(string member, IHistoryStore? store = null)
    {
        var sink = new CollectedExport();
        await (store ?? Store).ExportAsync(member, sink, None);
        return sink;
    }

    /// <summary>An export kept in memory, checking the order of the calls as it goes.</summary>
    protected sealed class CollectedExport : IMemberExportSink
    {
        private bool _begun;

        public List<HideMark> Hides { get; } = [];

        public ErasureRecord? Erasure { get; private set; }

        public List<HistoryItem> Items { get; } = [];

        public List<ExportedSession> Sessions { get; } = [];

        public ValueTask BeginAsync(IReadOnlyList<HideMark> hides, ErasureRecord? erasure, CancellationToken cancellationToken)
        {
            Assert.False(_begun);
            _begun = true;
            Hides.AddRange(hides);
            Erasure = erasure;
            return ValueTask.CompletedTask;
        }

        public ValueTask ItemAsync(HistoryItem item, CancellationToken cancellationToken)
        {
            Assert.True(_begun && Sessions.Count == 0);
            Items.Add(item);
            return ValueTask.CompletedTask;
        }

        public ValueTask SessionAsync(ExportedSession session, CancellationToken cancellationToken)
        {
            Assert.True(_begun);
            Sessions.Add(session);
            return ValueTask.CompletedTask;
        }
    }
}
