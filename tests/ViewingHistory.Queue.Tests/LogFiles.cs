namespace ViewingHistory.Queue.Tests;

/// <summary>The embedded log's segment files on disk: what truncation frees, a whole segment at a time.</summary>
internal static class LogFiles
{
    public static IEnumerable<FileInfo> Segments(string queueDirectory) =>
        new DirectoryInfo(Path.Combine(queueDirectory, "log")).EnumerateFiles("events.*", SearchOption.TopDirectoryOnly);

    public static int SegmentCount(string queueDirectory) => Segments(queueDirectory).Count();

    public static long Bytes(string queueDirectory)
    {
        long bytes = 0;
        foreach (var file in Segments(queueDirectory))
        {
            try
            {
                bytes += file.Length;
            }
            catch (FileNotFoundException)
            {
                // Deleted by truncation between the listing and the stat.
            }
        }

        return bytes;
    }
}
