using System.Globalization;
using ViewingHistory.Core.Events;

namespace ViewingHistory.Queue.JetStream;

/// <summary>
/// How accepted batches map onto the S streams of <see cref="JetStreamQueueOptions.Streams"/>: stream 0 is the
/// configured stream name itself (so S = 1 is the single stream of before, and a deployment going from 1 to S keeps
/// its stream, and what is in it, as stream 0), stream i &gt; 0 is <c>{name}_{i}</c>; a member's events go to stream
/// <c>MemberHash.Partition(memberId, S)</c>, the hash the processors partition by.
/// </summary>
/// <remarks>
/// Changing S between restarts moves members between streams. That is harmless: a stream is not an owner, any
/// processor may apply any member's events in any order (the merge is order-independent and idempotent), so a member's
/// events in two streams for a while are merged like any other redelivery. What must not happen is events stranded
/// in a stream nobody reads after S is lowered: every node keeps reading the streams past S that still exist (found
/// at start) until an operator deletes them once drained.
/// </remarks>
public static class StreamLayout
{
    /// <summary>The most streams a deployment may shard into.</summary>
    public const int MaxStreams = 64;

    /// <summary>Stream <paramref name="index"/>'s name for the base name <paramref name="streamName"/>.</summary>
    public static string NameOf(string streamName, int index) =>
        index == 0 ? streamName : streamName + "_" + index.ToString(CultureInfo.InvariantCulture);

    /// <summary>The index of <paramref name="name"/> among the streams of <paramref name="streamName"/> (0..63), or -1.</summary>
    public static int IndexOf(string streamName, string name)
    {
        if (string.Equals(name, streamName, StringComparison.Ordinal))
        {
            return 0;
        }

        if (name.Length <= streamName.Length + 1 || !name.StartsWith(streamName + "_", StringComparison.Ordinal))
        {
            return -1;
        }

        var digits = name.AsSpan(streamName.Length + 1);
        return digits[0] != '0'
            && int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            && index is > 0 and < MaxStreams
            ? index
            : -1;
    }

    /// <summary>The stream of <paramref name="memberId"/>'s events among <paramref name="streams"/>.</summary>
    public static int StreamOf(string memberId, int streams) => streams == 1 ? 0 : MemberHash.Partition(memberId, streams);

    /// <summary>
    /// The batch split into one part per stream that gets events, in stream order, each with its message id: with one
    /// stream the batch itself under <see cref="BatchId.Of"/> (as before streams existed); with S streams
    /// <c>{batch id}:{stream}</c>, so a retried append stores each part once within the dedup window.
    /// </summary>
    public static IReadOnlyList<(int Stream, AcceptedBatch Part, string MsgId)> Split(AcceptedBatch batch, int streams)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return Split(batch, streams, BatchId.Of(batch));
    }

    /// <summary><see cref="Split(AcceptedBatch, int)"/> under a given base id (a dead letter's replay id).</summary>
    public static IReadOnlyList<(int Stream, AcceptedBatch Part, string MsgId)> Split(AcceptedBatch batch, int streams, string baseId)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (streams == 1)
        {
            return [(0, batch, baseId)];
        }

        var parts = new List<PlaybackEvent>?[streams];
        foreach (var e in batch.Events)
        {
            (parts[StreamOf(e.MemberId, streams)] ??= []).Add(e);
        }

        var result = new List<(int, AcceptedBatch, string)>();
        for (var i = 0; i < streams; i++)
        {
            if (parts[i] is { } events)
            {
                result.Add((i, batch with { Events = events }, baseId + ":" + i.ToString(CultureInfo.InvariantCulture)));
            }
        }

        return result;
    }

    /// <summary>
    /// The indexes <paramref name="value"/> (<see cref="JetStreamQueueOptions.ConsumeStreams"/>) names, sorted and
    /// distinct, or every index of <paramref name="streams"/> when it is empty; null with <paramref name="problem"/>
    /// set when it is not a list of indexes in 0..S-1.
    /// </summary>
    public static IReadOnlyList<int>? ParseConsumeStreams(string? value, int streams, out string? problem)
    {
        problem = null;
        if (string.IsNullOrWhiteSpace(value))
        {
            return [.. Enumerable.Range(0, Math.Max(1, streams))];
        }

        var indexes = new SortedSet<int>();
        foreach (var item in value.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(item, NumberStyles.None, CultureInfo.InvariantCulture, out var index) || index >= streams)
            {
                problem = $"ConsumeStreams must list stream indexes in 0..{streams - 1} (Streams is {streams}), separated by commas; '{item}' is not one.";
                return null;
            }

            indexes.Add(index);
        }

        return [.. indexes];
    }
}
