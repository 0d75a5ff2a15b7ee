using System.Diagnostics;
using System.Globalization;
using Xunit.Abstractions;

namespace ViewingHistory.EndToEnd.Tests.Chaos;

/// <summary>
/// The chaos run's own log, every line stamped with the seconds since the run started, so that a failure can be read
/// against the faults that preceded it and replayed with the same seed.
/// </summary>
public sealed class ChaosLog(ITestOutputHelper output)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<string> _lines = [];

    public TimeSpan Elapsed => _clock.Elapsed;

    public void Write(string line)
    {
        var stamped = $"[{_clock.Elapsed.TotalSeconds.ToString("0000.000", CultureInfo.InvariantCulture)}s] {line}";
        lock (_lines)
        {
            _lines.Add(stamped);
            try
            {
                output.WriteLine(stamped);
            }
            catch (InvalidOperationException)
            {
                // The output helper refuses writes once the test has ended; the line is still in Lines.
            }
        }
    }

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }
}
