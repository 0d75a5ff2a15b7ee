using System.Globalization;
using ViewingHistory.Core.Events;
using ViewingHistory.Core.History;

namespace ViewingHistory.Cli.Simulation;

/// <summary>The verdict: every member the run drove, read back with the service key, item by item against the model.</summary>
internal sealed class Verifier(ServiceClient client)
{
    internal sealed record Verdict(int Members, int Items, IReadOnlyList<string> Differences, IReadOnlyDictionary<string, string> LeftOut)
    {
        public bool Matches => Differences.Count == 0;
    }

    /// <summary>
    /// Reads until every member matches or <paramref name="settle"/> runs out: in async mode the history catches up
    /// with the accepted events within the service's end-to-end latency. Members that matched are not read again
    /// (nothing changes them any more).
    /// </summary>
    public async Task<Verdict> VerifyAsync(SimulationModel model, IReadOnlyList<string> members, TimeSpan settle, Action<string> progress, CancellationToken cancellationToken)
    {
        var (expected, leftOut) = model.Expected(members);
        var pending = new HashSet<string>(expected.Keys, StringComparer.Ordinal);
        var differences = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var deadline = DateTime.UtcNow + settle;
        while (true)
        {
            foreach (var member in pending.ToList())
            {
                var actual = await client.ReadHistoryAsync(member, cancellationToken);
                var diff = Compare(member, expected[member], actual);
                if (diff.Count == 0)
                {
                    pending.Remove(member);
                    differences.Remove(member);
                }
                else
                {
                    differences[member] = diff;
                }
            }

            if (pending.Count == 0 || DateTime.UtcNow >= deadline)
            {
                break;
            }

            progress($"{expected.Count - pending.Count}/{expected.Count} members match; waiting for the rest to settle");
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        }

        return new Verdict(expected.Count, expected.Values.Sum(v => v.Count), [.. differences.Values.SelectMany(d => d)], leftOut);
    }

    private static List<string> Compare(string member, List<HistoryItem> expected, List<ServerItem> actual)
    {
        var diff = new List<string>();
        for (var i = 0; i < Math.Max(expected.Count, actual.Count); i++)
        {
            var want = i < expected.Count ? Show(expected[i]) : null;
            var got = i < actual.Count ? Show(actual[i]) : null;
            if (!string.Equals(want, got, StringComparison.Ordinal))
            {
                diff.Add($"{member} #{i}: expected {want ?? "(no item)"}, server has {got ?? "(no item)"}");
            }
        }

        return diff;
    }

    private static string Show(HistoryItem i) =>
        Show(i.TitleId, Timestamps.Format(i.LastWatchedAtMs), i.PositionMs, i.DurationMs, i.Progress4, i.Completed, i.Sessions);

    private static string Show(ServerItem i) =>
        Show(i.TitleId, i.LastWatchedAt, i.PositionMs, i.DurationMs, i.Progress, i.Completed, i.Sessions);

    private static string Show(string title, string at, long position, long duration, double progress, bool completed, int sessions) =>
        string.Create(CultureInfo.InvariantCulture, $"{title} at {at} pos {position}/{duration} progress {progress:0.####}{(completed ? " completed" : string.Empty)} sessions {sessions}");
}
