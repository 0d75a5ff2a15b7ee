using System.Diagnostics;

namespace ViewingHistory.Testing.Faults;

/// <summary>
/// A small ext4 filesystem in a file, loop-mounted on a fresh directory: a disk that a test can fill up for real
/// (<see cref="FillAsync"/>) and empty again (<see cref="Empty"/>). Needs root, as tests and CI run here; it fails,
/// never skips, without it. Unmounted and deleted on dispose.
/// </summary>
public sealed class LoopMount : IAsyncDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _directory = new("vh-loop");
    private bool _mounted;

    private LoopMount()
    {
    }

    /// <summary>The mounted filesystem's root.</summary>
    public string Path => System.IO.Path.Combine(_directory.Path, "mnt");

    private string Image => System.IO.Path.Combine(_directory.Path, "disk.img");

    private string Ballast => System.IO.Path.Combine(Path, "ballast");

    /// <summary>Creates and mounts a filesystem of <paramref name="megabytes"/> MiB.</summary>
    public static async Task<LoopMount> CreateAsync(int megabytes = 32)
    {
        if (!Environment.IsPrivilegedProcess)
        {
            throw new InvalidOperationException("A loop mount needs root (tests and CI run as root on these machines).");
        }

        var mount = new LoopMount();
        try
        {
            Directory.CreateDirectory(mount.Path);
            await RunAsync("truncate", "-s", $"{megabytes}M", mount.Image);

            // -m 0: no blocks reserved for root, so "full" means full for the root-run server too.
            await RunAsync("mkfs.ext4", "-q", "-m", "0", mount.Image);
            await RunAsync("mount", "-o", "loop", mount.Image, mount.Path);
            mount._mounted = true;
            return mount;
        }
        catch
        {
            await mount.DisposeAsync();
            throw;
        }
    }

    /// <summary>Free bytes as the filesystem reports them.</summary>
    public long FreeBytes => new DriveInfo(Path).AvailableFreeSpace;

    /// <summary>
    /// Writes a ballast file until at most <paramref name="leaveFreeBytes"/> (rounded to blocks) are left, or, with the
    /// default 0, until the filesystem has no space left at all (ENOSPC); returns the bytes written.
    /// </summary>
    public async Task<long> FillAsync(long leaveFreeBytes = 0)
    {
        var chunk = new byte[64 * 1024];
        Random.Shared.NextBytes(chunk);
        long written = 0;
        await using var file = new FileStream(Ballast, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, 1, FileOptions.None);
        try
        {
            while (leaveFreeBytes == 0 || FreeBytes > leaveFreeBytes)
            {
                var size = leaveFreeBytes == 0 ? chunk.Length : (int)Math.Clamp(FreeBytes - leaveFreeBytes, 4096, chunk.Length);
                await file.WriteAsync(chunk.AsMemory(0, size));
                written += size;
                if (leaveFreeBytes > 0)
                {
                    // The free space reported counts only what reached the disk.
                    file.Flush(flushToDisk: true);
                }
            }

            return written;
        }
        catch (IOException)
        {
            // ENOSPC: now write what still fits a block at a time, so not even a small write finds room.
        }

        var block = new byte[4096];
        try
        {
            while (true)
            {
                await file.WriteAsync(block);
                await file.FlushAsync();
                written += block.Length;
            }
        }
        catch (IOException)
        {
        }

        return written;
    }

    /// <summary>Deletes the ballast: the space is free again.</summary>
    public void Empty() => File.Delete(Ballast);

    public async ValueTask DisposeAsync()
    {
        if (_mounted)
        {
            // Lazy: a child process that still holds a file open must not keep the mount (and the test) hanging.
            await RunAsync("umount", "-l", Path);
            _mounted = false;
        }

        _directory.Dispose();
    }

    private static async Task RunAsync(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        await ChildCommand.RunAsync(psi, CommandTimeout);
    }
}
