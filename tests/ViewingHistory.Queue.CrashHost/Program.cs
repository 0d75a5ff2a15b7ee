using System.Globalization;
using ViewingHistory.Core.Events;
using ViewingHistory.Queue.Embedded;

// Appends numbered batches from several concurrent appenders to the embedded queue in <dir> and prints
// "ACK <n>" once batch n is durable, until killed. The crash test kills it with SIGKILL and checks that every
// acknowledged batch is in the log. Usage: ViewingHistory.Queue.CrashHost <dir> [appenders]
if (args.Length < 1)
{
    Console.Error.WriteLine("usage: ViewingHistory.Queue.CrashHost <dir> [appenders]");
    return 2;
}

var appenders = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 8;
var queue = new EmbeddedEventQueue(new EmbeddedQueueOptions
{
    Directory = args[0],
    PageSizeBits = 16,
    MemorySizeBits = 18,
    SegmentSizeBits = 18,
    MinFreeDiskBytes = 0,
});
await queue.InitializeAsync(CancellationToken.None);
var output = TextWriter.Synchronized(new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true });
output.WriteLine("READY");
var next = 0;
await Task.WhenAll(Enumerable.Range(0, appenders).Select(_ => Task.Run(async () =>
{
    while (true)
    {
        var n = Interlocked.Increment(ref next);
        var events = Enumerable.Range(0, 1 + (n % 5)).Select(i => new PlaybackEvent(
            $"crash-{n}-{i}", "member-1", "title-1", $"session-{n}", i, PlaybackEventType.Progress, 1000L * i, 3_600_000, 1_700_000_000_000 + n, null)).ToArray();
        await queue.AppendAsync(new AcceptedBatch(n, events), CancellationToken.None);
        output.WriteLine($"ACK {n}");
    }
})));
return 0;
