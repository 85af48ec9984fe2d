using System.ComponentModel;
using System.Runtime.InteropServices;

namespace SecureInstall.Core.IO;

/// <summary>
/// Reads a whole file with open/read/close and nothing else, on Linux and macOS: four system calls for a small file.
/// A FileStream opened for reading makes eight (fstat, flock on open and close, fadvise besides), which is most of
/// the time when thousands of small files are checked from one list (sha256sum -c makes seven). The advisory flock
/// FileStream takes is not taken: like sha256sum, this reads a file another .NET process holds open for writing.
/// </summary>
internal static class UnixFileReader
{
    private const int EINTR = 4;

    /// <summary>
    /// O_RDONLY | O_CLOEXEC | O_NONBLOCK for this kernel, or 0 where the raw path is not used (Windows, other Unixes).
    /// O_NONBLOCK changes nothing for a regular file; it keeps the open of a FIFO from waiting for a writer for ever, so
    /// that <see cref="RegularFile.OpenToRead"/> can refuse it (issue 23).
    /// </summary>
    private static readonly int OpenFlags =
        RuntimeInformation.IsOSPlatform(OSPlatform.Linux) ? 0x80000 | 0x800 :
        RuntimeInformation.IsOSPlatform(OSPlatform.OSX) ? 0x1000000 | 0x4 : 0;

    public static bool IsAvailable { get; } = OpenFlags != 0;

    /// <summary>Opens <paramref name="path"/> read-only, without waiting on a FIFO; failures are the exceptions FileStream throws for the same cause.</summary>
    public static int Open(string path) => UnixFileSystem.OpenWithFlags(path, OpenFlags);

    /// <summary>
    /// Opens <paramref name="name"/> read-only relative to the folder <paramref name="directory"/> (openat, Linux only);
    /// failures are the exceptions FileStream throws for <paramref name="path"/>, the same file by its full path.
    /// </summary>
    public static int OpenAt(int directory, string name, string path)
    {
        byte[] native = UnixFileSystem.Utf8z(name);
        while (true)
        {
            int fd = openat(directory, native, OpenFlags, 0);
            if (fd >= 0) return fd;
            int errno = Marshal.GetLastWin32Error();
            if (errno != EINTR) throw UnixFileSystem.ErrnoError(errno, path);
        }
    }

    /// <summary>An O_PATH handle of the folder <paramref name="path"/> for <see cref="OpenAt"/> (Linux), or -1 when it cannot be opened.</summary>
    internal static int TryOpenFolder(string path)
    {
        try { return UnixFileSystem.OpenWithFlags(path, 0x200000 /* O_PATH */ | 0x10000 /* O_DIRECTORY */ | 0x80000 /* O_CLOEXEC */); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return -1; }
    }

    /// <summary>Reads up to <paramref name="count"/> bytes at the start of <paramref name="buffer"/>; 0 at the end of the file.</summary>
    public static int Read(int fd, byte[] buffer, int count, string path) => Read(fd, buffer, 0, count, path);

    /// <summary>Reads up to <paramref name="count"/> bytes into <paramref name="buffer"/> at <paramref name="offset"/>; 0 at the end of the file.</summary>
    public static unsafe int Read(int fd, byte[] buffer, int offset, int count, string path)
    {
        if (offset < 0 || count < 0 || count > buffer.Length - offset) throw new ArgumentOutOfRangeException(nameof(count));
        fixed (byte* start = buffer)
        {
            while (true)
            {
                long n = read(fd, start + offset, new IntPtr(count)).ToInt64();
                if (n >= 0) return (int)n;
                int errno = Marshal.GetLastWin32Error();
                if (errno != EINTR) throw UnixFileSystem.ErrnoError(errno, path);
            }
        }
    }

    public static void Close(int fd) => _ = close(fd);

    [DllImport("libc", SetLastError = true)]
    private static extern int openat(int directory, byte[] path, int flags, uint mode);

    [DllImport("libc", SetLastError = true)]
    private static extern unsafe IntPtr read(int fd, byte* buffer, IntPtr count);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);
}
