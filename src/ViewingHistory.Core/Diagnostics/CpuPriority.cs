using System.Runtime.InteropServices;

namespace ViewingHistory.Core.Diagnostics;

/// <summary>
/// The CPU priority of the calling thread, as Linux's nice value (setpriority(2) on the thread's id). A higher value
/// yields the cores to the process's other threads whenever both want them and costs nothing while the cores are free;
/// an unprivileged process may raise it but not lower it back, so a thread is lowered once, for good. Elsewhere than on
/// Linux nothing changes.
/// </summary>
public static partial class CpuPriority
{
    /// <summary>The highest nice value: the lowest priority short of an idle-only thread.</summary>
    public const int LowestNice = 19;

    /// <summary>
    /// Sets the calling thread's nice value to <paramref name="nice"/> (1 to <see cref="LowestNice"/>; 0 leaves it as it
    /// is). Returns false where that is not possible (not Linux, or refused), with the thread as it was.
    /// </summary>
    public static bool LowerCurrentThread(int nice)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(nice);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(nice, LowestNice);
        if (nice == 0 || !OperatingSystem.IsLinux())
        {
            return false;
        }

        return SetPriority(PriorityProcess, GetThreadId(), nice) == 0;
    }

    /// <summary>The calling thread's nice value, or null where it cannot be read (not Linux).</summary>
    public static int? CurrentThreadNice()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        // getpriority(2) returns the nice value itself from glibc (the raw syscall's offset is undone there).
        Marshal.SetLastPInvokeError(0);
        var nice = GetPriority(PriorityProcess, GetThreadId());
        return nice == -1 && Marshal.GetLastPInvokeError() != 0 ? null : nice;
    }

    // PRIO_PROCESS with a thread id: on Linux the nice value is a thread's, and "process" names one thread here.
    private const int PriorityProcess = 0;

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetThreadId();

    [LibraryImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static partial int SetPriority(int which, int who, int priority);

    [LibraryImport("libc", EntryPoint = "getpriority", SetLastError = true)]
    private static partial int GetPriority(int which, int who);
}
