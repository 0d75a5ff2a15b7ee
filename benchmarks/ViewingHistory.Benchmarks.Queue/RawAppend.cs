using System.Diagnostics;

namespace ViewingHistory.Benchmarks.Queue;

/// <summary>The ceiling: what group commit on a plain file can do on this disk (DESIGN.md's "raw batched fsync appends").</summary>
internal static class RawAppend
{
    public const int RecordBytes = 300;
    public const int RecordsPerCommit = 64;

    public static Result Run(string path, TimeSpan duration)
    {
        var record = new byte[RecordBytes];
        Random.Shared.NextBytes(record);
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 64 * 1024);
        long records = 0;
        long commits = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            for (var i = 0; i < RecordsPerCommit; i++)
            {
                file.Write(record);
            }

            file.Flush(flushToDisk: true);
            records += RecordsPerCommit;
            commits++;
        }

        var seconds = clock.Elapsed.TotalSeconds;
        return new Result(records / seconds, commits / seconds);
    }

    internal readonly record struct Result(double RecordsPerSecond, double CommitsPerSecond);
}
