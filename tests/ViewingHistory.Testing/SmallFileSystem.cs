using System.Diagnostics;

namespace ViewingHistory.Testing;

/// <summary>
/// A small ext4 filesystem in a loop-mounted image file, for tests of a full disk. Tests run as root, so a read-only
/// directory would not stop them: a filesystem with no free block does. Created with no reserved blocks
/// (<c>-m 0</c>), since root may write into the reserved ones. <see cref="Fill"/> takes the free space away with a
/// filler file; <see cref="Release"/> gives it back.
/// </summary>
public sealed class SmallFileSystem : IDisposable
{
    private const string FillerName = ".filler";
    private readonly string _root;
    private readonly string _image;

    /// <param name="megabytes">The size of the filesystem (ext4 needs a few MiB for itself).</param>
    public SmallFileSystem(int megabytes = 32)
    {
        _root = Directory.CreateTempSubdirectory("vh-smallfs-").FullName;
        _image = System.IO.Path.Combine(_root, "fs.img");
        Path = System.IO.Path.Combine(_root, "mnt");
        Directory.CreateDirectory(Path);
        using (var image = new FileStream(_image, FileMode.CreateNew))
        {
            image.SetLength((long)megabytes << 20);
        }

        Run("mkfs.ext4", "-q", "-F", "-m", "0", "-E", "lazy_itable_init=0,lazy_journal_init=0", _image);
        Run("mount", "-o", "loop", _image, Path);
    }

    /// <summary>The mount point.</summary>
    public string Path { get; }

    /// <summary>Free bytes as the filesystem reports them.</summary>
    public long FreeBytes => new DriveInfo(Path).AvailableFreeSpace;

    /// <summary>Fills the filesystem until at most <paramref name="leaveFreeBytes"/> (rounded to blocks) are left.</summary>
    public void Fill(long leaveFreeBytes = 0)
    {
        var filler = System.IO.Path.Combine(Path, FillerName);
        using var stream = new FileStream(filler, FileMode.Append, FileAccess.Write, FileShare.None, 0);
        var chunk = new byte[64 * 1024];
        Array.Fill(chunk, (byte)0x5A);
        while (true)
        {
            var free = FreeBytes;
            if (free <= leaveFreeBytes)
            {
                break;
            }

            var size = (int)Math.Min(chunk.Length, Math.Max(4096, free - leaveFreeBytes));
            try
            {
                stream.Write(chunk, 0, size);
                stream.Flush(flushToDisk: true);
            }
            catch (IOException)
            {
                // ENOSPC: full, whatever was asked for.
                break;
            }
        }
    }

    /// <summary>Deletes the filler: the space is back.</summary>
    public void Release()
    {
        File.Delete(System.IO.Path.Combine(Path, FillerName));
        Run("sync", Path);
    }

    public void Dispose()
    {
        // Lazy: a file a test left open (or a child process that has not exited yet) must not leak the mount.
        try
        {
            Run("umount", "-l", Path);
        }
        finally
        {
            try
            {
                Directory.Delete(_root, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static void Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var stderr = new System.Text.StringBuilder();
        using var process = new Process { StartInfo = start };
        process.ErrorDataReceived += (_, e) =>
        {
            lock (stderr)
            {
                stderr.AppendLine(e.Data);
            }
        };
        process.OutputDataReceived += (_, _) => { };
        if (!process.Start())
        {
            throw new InvalidOperationException($"Cannot start {file}.");
        }

        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill();
            throw new TimeoutException($"{file} did not finish within 60 s.");
        }

        // The parameterless wait drains the redirected streams once the process has exited.
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed ({process.ExitCode}): {stderr}");
        }
    }
}
