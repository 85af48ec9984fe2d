using System.Runtime.InteropServices;

namespace SecureInstall.Core.Install;

/// <summary>The few POSIX calls netstandard2.0 lacks (file modes, link targets). Only called on Unix.</summary>
internal static class UnixFile
{
    [DllImport("libc", SetLastError = true)]
    internal static extern int readlink(string path, byte[] buffer, int size);

    [DllImport("libc", SetLastError = true)]
    private static extern int chmod(string path, uint mode);

    [DllImport("libc", SetLastError = true)]
    private static extern int access(string path, int mode);

    private const int X_OK = 1;

    public static bool IsExecutable(string path) => access(path, X_OK) == 0;

    /// <summary>rwxr-xr-x or rw-r--r--: never setuid, setgid or world-writable.</summary>
    public static void SetExecutable(string path, bool executable)
    {
        if (chmod(path, executable ? 0x1EDu : 0x1A4u) != 0)
            throw new System.IO.IOException($"chmod '{path}' failed (errno {Marshal.GetLastWin32Error()}).");
    }
}
