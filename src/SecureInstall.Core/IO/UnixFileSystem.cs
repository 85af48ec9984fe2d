using System.ComponentModel;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace SecureInstall.Core.IO;

/// <summary>
/// The few file-system calls netstandard2.0 lacks: symbolic links and the Unix executable bit
/// (File.CreateSymbolicLink and File.SetUnixFileMode arrived in .NET 6 and 7), swapping two paths in one step, and files
/// and folders created with their mode whatever the umask. What a path is (stat) and opening without following links
/// are in UnixFileSystem.Status.cs.
/// </summary>
internal static partial class UnixFileSystem
{
    public static bool IsWindows { get; } = RuntimeInformation.IsOSPlatform(OSPlatform.Windows);

    private static bool IsMacOS { get; } = RuntimeInformation.IsOSPlatform(OSPlatform.OSX);

    /// <summary>rwxr-xr-x, never setuid, setgid or sticky whatever the archive asked for. No-op on Windows.</summary>
    public static void MakeExecutable(string path) => SetExecutable(path, true);

    /// <summary>rwxr-xr-x or rw-r--r--: never setuid, setgid or world-writable. No-op on Windows.</summary>
    public static void SetExecutable(string path, bool executable)
    {
        if (IsWindows) return;
        if (chmod(path, executable ? 0x1EDu : 0x1A4u) != 0) throw new IOException($"chmod '{path}' failed: {new Win32Exception(Marshal.GetLastWin32Error()).Message}");
    }

    /// <summary>Whether any execute bit is set (false on Windows, which has none).</summary>
    public static bool IsExecutable(string path) => !IsWindows && access(Utf8z(path), 1 /* X_OK */) == 0;

    /// <summary>The target of a symbolic link as stored, or null when it cannot be read (or on Windows PowerShell 5.1's .NET Framework).</summary>
    public static string? ReadLink(string path)
    {
        if (IsWindows) return WindowsLinkTarget(path);
        var buffer = new byte[4096];
        int n = readlink(Utf8z(path), buffer, buffer.Length);
        return n > 0 ? System.Text.Encoding.UTF8.GetString(buffer, 0, n) : null;
    }

    // FileSystemInfo.LinkTarget arrived in .NET 6: found at run time, so pwsh 7 on Windows reads links and 5.1 reports none.
    private static readonly System.Reflection.PropertyInfo? LinkTargetProperty = typeof(FileSystemInfo).GetProperty("LinkTarget");

    private static string? WindowsLinkTarget(string path)
    {
        if (LinkTargetProperty == null) return null;
        try
        {
            FileSystemInfo info = (File.GetAttributes(path) & FileAttributes.Directory) != 0 ? new DirectoryInfo(path) : new FileInfo(path);
            return (LinkTargetProperty.GetValue(info) as string)?.Replace('\\', '/');
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Reflection.TargetInvocationException)
        {
            return null;
        }
    }

    /// <summary>Whether what a symbolic link finally points at exists (access(2) follows links). True on Windows, where it is not checked.</summary>
    public static bool LinkTargetExists(string path) => IsWindows || access(Utf8z(path), 0 /* F_OK */) == 0;

    /// <summary>Creates <paramref name="linkPath"/> pointing at the relative <paramref name="target"/> ('/'-separated).</summary>
    public static void CreateSymbolicLink(string linkPath, string target, bool targetIsDirectory)
    {
        if (IsWindows)
        {
            // 0x2: SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE (Developer Mode); without it only elevated users can create links
            int flags = 0x2 | (targetIsDirectory ? 0x1 : 0);
            if (!CreateSymbolicLinkW(linkPath, target.Replace('/', '\\'), flags))
                throw new IOException($"Cannot create the symbolic link '{linkPath}': {new Win32Exception(Marshal.GetLastWin32Error()).Message} (Windows needs Developer Mode or elevation for links).");
            return;
        }
        if (symlink(target, linkPath) != 0) throw new IOException($"symlink '{linkPath}' failed: {new Win32Exception(Marshal.GetLastWin32Error()).Message}");
    }

    /// <summary>
    /// Swaps two existing paths in one step (renameat2 with RENAME_EXCHANGE on Linux 3.15+, renamex_np with RENAME_SWAP on
    /// macOS), so a reader of either name sees the old entry or the new one, never neither. False when it was not done:
    /// Windows, a C library or file system without it, or any error (the caller falls back to two renames, which report it).
    /// </summary>
    public static bool TryExchange(string a, string b)
    {
        if (IsWindows) return false;
        try
        {
            return IsMacOS
                ? renamex_np(Utf8z(a), Utf8z(b), 0x2 /* RENAME_SWAP */) == 0
                : renameat2(-100 /* AT_FDCWD */, Utf8z(a), -100, Utf8z(b), 0x2 /* RENAME_EXCHANGE */) == 0;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
    }


    private static bool IsLinux { get; } = RuntimeInformation.IsOSPlatform(OSPlatform.Linux);

    // ---- Creating files and folders with the mode they must have, whatever the umask. ----

    /// <summary>
    /// Creates <paramref name="path"/> and any missing parents with <paramref name="mode"/> (0700, 0755) whatever the umask
    /// (which can only take bits away), so no folder this creates is ever group- or world-writable. Directory.CreateDirectory
    /// on Windows, where ACLs are inherited.
    /// </summary>
    public static void CreateDirectory(string path, uint mode)
    {
        string full = Path.GetFullPath(path);
        if (IsWindows || Directory.Exists(full))
        {
            if (IsWindows) Directory.CreateDirectory(full);
            return;
        }
        string? parent = Path.GetDirectoryName(full);
        if (parent != null) CreateDirectory(parent, mode);
        if (mkdir(Utf8z(full), mode) == 0) return;
        int errno = Marshal.GetLastWin32Error();
        if (errno == 17 /* EEXIST */ && Directory.Exists(full)) return; // created meanwhile by another process
        if (errno is 1 or 13) throw new UnauthorizedAccessException($"Access to the path '{full}' is denied.");
        throw new IOException($"Cannot create the folder '{full}': {new Win32Exception(errno).Message}");
    }

    /// <summary>
    /// Creates a new file (failing if anything, a link included, has the name) open for reading and writing, with
    /// <paramref name="mode"/> from the start (0600 for a private file, 0644): never readable or writable by others for
    /// an instant, whatever the umask. Elsewhere than Linux, FileMode.CreateNew and then the mode.
    /// </summary>
    public static FileStream CreateNewFile(string path, uint mode)
    {
        if (!IsLinux)
        {
            var stream = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
            if (!IsWindows) chmod(path, mode);
            return stream;
        }
        int fd;
        do
        {
            fd = open(Utf8z(path), 0x2 | 0x40 | 0x80 | 0x80000 /* O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC */, mode);
        }
        while (fd < 0 && Marshal.GetLastWin32Error() == 4 /* EINTR */);
        if (fd < 0)
        {
            int errno = Marshal.GetLastWin32Error();
            if (errno == 17) throw new IOException($"The file '{path}' already exists.", unchecked((int)0x80070050));
            if (errno is 1 or 13) throw new UnauthorizedAccessException($"Access to the path '{path}' is denied.");
            if (errno is 2 or 20) throw new DirectoryNotFoundException($"Could not find a part of the path '{path}'.");
            throw new IOException($"Cannot create '{path}': {new Win32Exception(errno).Message}");
        }
        return new FileStream(new SafeFileHandle(new IntPtr(fd), ownsHandle: true), FileAccess.ReadWrite, 1);
    }

    /// <summary>Sets the permission bits (chmod); no-op on Windows.</summary>
    public static void SetMode(string path, uint mode)
    {
        if (IsWindows) return;
        if (chmod(path, mode) != 0) throw new IOException($"chmod '{path}' failed: {new Win32Exception(Marshal.GetLastWin32Error()).Message}");
    }

    // Paths go to libc as NUL-terminated UTF-8 bytes: netstandard2.0 has no LPUTF8Str, and ANSI marshalling is not UTF-8 everywhere.
    internal static byte[] Utf8z(string s) => System.Text.Encoding.UTF8.GetBytes(s + "\0");

    private static int chmod(string path, uint mode) => chmod(Utf8z(path), mode);

    private static int symlink(string target, string linkPath) => symlink(Utf8z(target), Utf8z(linkPath));

    [DllImport("libc", SetLastError = true)]
    private static extern int chmod(byte[] path, uint mode);

    [DllImport("libc", SetLastError = true)]
    private static extern int symlink(byte[] target, byte[] linkPath);

    [DllImport("libc", SetLastError = true)]
    private static extern int access(byte[] path, int mode);

    [DllImport("libc", SetLastError = true)]
    private static extern int readlink(byte[] path, byte[] buffer, int size);

    [DllImport("libc", SetLastError = true)]
    private static extern int renameat2(int oldDirectory, byte[] oldPath, int newDirectory, byte[] newPath, uint flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int renamex_np(byte[] from, byte[] to, uint flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int mkdir(byte[] path, uint mode);

    [DllImport("kernel32.dll", CharSet = CharSet.Unicode, SetLastError = true)]
    [return: MarshalAs(UnmanagedType.I1)]
    private static extern bool CreateSymbolicLinkW(string linkPath, string target, int flags);
}
