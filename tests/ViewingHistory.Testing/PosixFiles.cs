using System.Runtime.InteropServices;

namespace ViewingHistory.Testing;

/// <summary>File operations .NET does not expose as such, for tests that play a tool's part (the kubelet's).</summary>
public static class PosixFiles
{
    /// <summary>
    /// rename(2): replaces <paramref name="destination"/> by <paramref name="source"/> in one step, also when both are
    /// symlinks to directories (File.Move follows such a link and refuses it).
    /// </summary>
    public static void RenameOver(string source, string destination)
    {
        if (Rename(source, destination) != 0)
        {
            throw new IOException($"rename({source}, {destination}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [DllImport("libc", EntryPoint = "rename", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int Rename(string oldPath, string newPath);
}
