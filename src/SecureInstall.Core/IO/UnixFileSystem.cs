using System;
using System.ComponentModel;
using System.IO;
using System.Runtime.InteropServices;

namespace SecureInstall.Core.IO;

/// <summary>
/// The few file-system calls netstandard2.0 lacks: symbolic links and the Unix executable bit
/// (File.CreateSymbolicLink and File.SetUnixFileMode arrived in .NET 6 and 7), and swapping two paths in one step.
/// </summary>
internal static class UnixFileSystem
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

    /// <summary>
    /// Opens an existing file read-only without following a symbolic link as its last component (O_NOFOLLOW: a link
    /// fails, it is not read even for a moment) and without waiting on a FIFO (O_NONBLOCK). -1 where this is not
    /// available (Windows, a Unix other than Linux and macOS): the caller checks with managed calls instead.
    /// </summary>
    public static int OpenNoFollow(string path)
    {
        int flags = IsWindows ? 0
            : IsMacOS ? 0x1000000 | 0x100 | 0x4                          // O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK
            : RuntimeInformation.IsOSPlatform(OSPlatform.Linux) ? 0x80000 | LinuxNoFollow | 0x800
            : 0;
        if (flags == 0) return -1;
        byte[] native = Utf8z(path);
        while (true)
        {
            int fd = openFile(native, flags);
            if (fd >= 0) return fd;
            int errno = Marshal.GetLastWin32Error();
            switch (errno)
            {
                case 4: continue;                                                                 // EINTR
                case 2: throw new FileNotFoundException($"Could not find file '{path}'.", path);  // ENOENT
                case 20: throw new DirectoryNotFoundException($"Could not find a part of the path '{path}'.");
                case 40 when !IsMacOS:
                case 62 when IsMacOS: throw new IOException($"'{path}' is a symbolic link, which is not followed.");  // ELOOP
                case 1 or 13: throw new UnauthorizedAccessException($"Access to the path '{path}' is denied.");
                default: throw new IOException($"'{path}': {new Win32Exception(errno).Message}");
            }
        }
    }

    /// <summary>O_NOFOLLOW differs by architecture on Linux: 0100000 on ARM and POWER, 0400000 elsewhere.</summary>
    private static int LinuxNoFollow =>
        RuntimeInformation.ProcessArchitecture is Architecture.Arm or Architecture.Arm64
        || RuntimeInformation.ProcessArchitecture.ToString() is "Armv6" or "Ppc64le" ? 0x8000 : 0x20000;

    /// <summary>
    /// Type, number of names (hard links) and size of an open file, by statx(2), whose layout is the same on every Linux
    /// architecture. False where it is missing (macOS, Windows, C libraries before glibc 2.28 or musl 1.2.5).
    /// </summary>
    public static bool TryStat(int fd, out bool isRegularFile, out long linkCount, out long size)
    {
        isRegularFile = false;
        linkCount = 0;
        size = 0;
        if (IsWindows || !RuntimeInformation.IsOSPlatform(OSPlatform.Linux)) return false;
        var buffer = new byte[256];
        try
        {
            // AT_EMPTY_PATH: the descriptor itself; STATX_TYPE | STATX_NLINK | STATX_SIZE.
            if (statx(fd, new byte[] { 0 }, 0x1000, 0x1 | 0x4 | 0x200, buffer) != 0) return false;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
        ushort mode = BitConverter.ToUInt16(buffer, 28);            // struct statx: stx_nlink at 16, stx_mode at 28, stx_size at 40
        isRegularFile = (mode & 0xF000) == 0x8000;                  // S_IFMT, S_IFREG
        linkCount = BitConverter.ToUInt32(buffer, 16);
        size = (long)BitConverter.ToUInt64(buffer, 40);
        return true;
    }

    /// What a path names, without following a final symbolic link (lstat): its kind and its permission bits
    /// (including setuid, setgid and sticky). False when nothing is there. On Windows the kind comes from the
    /// attributes (a reparse point counts as a link) and the mode is 0.
    /// </summary>
    public static bool TryGetEntry(string path, out UnixEntry entry)
    {
        entry = default;
        if (IsWindows)
        {
            FileAttributes attributes;
            try { attributes = File.GetAttributes(path); }
            catch (FileNotFoundException) { return false; }
            catch (DirectoryNotFoundException) { return false; }
            UnixEntryKind kind = (attributes & FileAttributes.ReparsePoint) != 0 ? UnixEntryKind.SymbolicLink
                : (attributes & FileAttributes.Directory) != 0 ? UnixEntryKind.Directory : UnixEntryKind.RegularFile;
            entry = new UnixEntry(kind, 0);
            return true;
        }
        var buffer = new byte[StatBufferSize];
        int rc = IsMacOS ? MacLStat(Utf8z(path), buffer) : LinuxStat(-100 /* AT_FDCWD */, Utf8z(path), 0x100 /* AT_SYMLINK_NOFOLLOW */, buffer);
        if (rc != 0)
        {
            int errno = Marshal.GetLastWin32Error();
            if (errno == 2 /* ENOENT */ || errno == 20 /* ENOTDIR */) return false;
            throw new IOException($"lstat '{path}' failed: {new Win32Exception(errno).Message}");
        }
        entry = FromStat(buffer);
        return true;
    }

    /// <summary>
    /// Opens a file for reading only when it is a regular file: the final component is not followed (O_NOFOLLOW), and
    /// the open does not wait (O_NONBLOCK), so a FIFO or a device put in its place can neither hang the caller nor be
    /// read; what was opened is checked with fstat. Returns -1 (nothing open) when it is anything but a regular file.
    /// Unix only; the descriptor is read with <see cref="UnixFileReader.Read"/> and closed with <see cref="UnixFileReader.Close"/>.
    /// </summary>
    public static int OpenRegularFile(string path)
    {
        if (IsWindows) throw new PlatformNotSupportedException("OpenRegularFile is for Linux and macOS.");
        int flags = IsMacOS ? 0x1000000 /* O_CLOEXEC */ | 0x100 /* O_NOFOLLOW */ | 0x4 /* O_NONBLOCK */
            : 0x80000 /* O_CLOEXEC */ | 0x800 /* O_NONBLOCK */ | (NoFollowIs0x8000 ? 0x8000 : 0x20000) /* O_NOFOLLOW */;
        int fd;
        do fd = open(Utf8z(path), flags);
        while (fd < 0 && Marshal.GetLastWin32Error() == 4 /* EINTR */);
        if (fd < 0)
        {
            int errno = Marshal.GetLastWin32Error();
            if (errno == 40 /* ELOOP, Linux */ || errno == 62 /* ELOOP, macOS */ || errno == 6 /* ENXIO: a socket */) return -1;
            if (errno == 2) throw new FileNotFoundException($"Could not find file '{path}'.", path);
            if (errno == 1 || errno == 13) throw new UnauthorizedAccessException($"Access to the path '{path}' is denied.");
            throw new IOException($"open '{path}' failed: {new Win32Exception(errno).Message}");
        }
        var buffer = new byte[StatBufferSize];
        int rc = IsMacOS ? MacFStat(fd, buffer) : LinuxStat(fd, new byte[1], 0x1000 /* AT_EMPTY_PATH */, buffer);
        if (rc != 0 || FromStat(buffer).Kind != UnixEntryKind.RegularFile)
        {
            close(fd);
            return -1;
        }
        return fd;
    }

    // statx's layout is the same on every Linux architecture (stx_mode: u16 at 28); macOS's 64-bit-inode stat has st_mode (u16) at 4.
    private const int StatBufferSize = 256;
    private const uint StatxTypeAndMode = 0x1 /* STATX_TYPE */ | 0x2 /* STATX_MODE */;

    // O_NOFOLLOW is 0100000 on arm, arm64 and powerpc, 0400000 on the others .NET runs on.
    private static bool NoFollowIs0x8000 { get; } =
        RuntimeInformation.OSArchitecture is Architecture.Arm or Architecture.Arm64 || RuntimeInformation.OSArchitecture.ToString().StartsWith("Ppc", StringComparison.Ordinal);

    /// <summary>Whether the C library has statx (glibc 2.28+, musl 1.2.5+); without it, lstat/fstat and the kernel's stat layout.</summary>
    private static bool _noStatx;

    private static int LinuxStat(int directory, byte[] path, int flags, byte[] buffer)
    {
        if (!_noStatx)
        {
            try
            {
                return statx(directory, path, flags, StatxTypeAndMode, buffer);
            }
            catch (EntryPointNotFoundException)
            {
                _noStatx = true;
            }
        }
        // The kernel's struct stat puts st_mode at 24 on x64 and 16 on arm64; other layouts are not guessed.
        if (KernelStatModeOffset < 0) throw new PlatformNotSupportedException($"This C library has no statx, and the stat layout of {RuntimeInformation.OSArchitecture} is not known.");
        return (flags & 0x1000) != 0 ? fstat(directory, buffer) : lstat(path, buffer);
    }

    private static int KernelStatModeOffset { get; } =
        RuntimeInformation.OSArchitecture == Architecture.X64 ? 24 : RuntimeInformation.OSArchitecture == Architecture.Arm64 ? 16 : -1;

    private static UnixEntry FromStat(byte[] buffer)
    {
        int mode = IsMacOS ? BitConverter.ToUInt16(buffer, 4) : _noStatx ? (int)BitConverter.ToUInt32(buffer, KernelStatModeOffset) : BitConverter.ToUInt16(buffer, 28);
        UnixEntryKind kind = (mode & 0xF000) switch
        {
            0x8000 => UnixEntryKind.RegularFile,
            0x4000 => UnixEntryKind.Directory,
            0xA000 => UnixEntryKind.SymbolicLink,
            0x1000 => UnixEntryKind.Fifo,
            0x2000 => UnixEntryKind.CharacterDevice,
            0x6000 => UnixEntryKind.BlockDevice,
            0xC000 => UnixEntryKind.Socket,
            _ => UnixEntryKind.Other,
        };
        return new UnixEntry(kind, mode & 0xFFF);
    }

    private static int MacLStat(byte[] path, byte[] buffer) =>
        RuntimeInformation.OSArchitecture == Architecture.X64 ? lstat_inode64(path, buffer) : lstat(path, buffer);

    private static int MacFStat(int fd, byte[] buffer) =>
        RuntimeInformation.OSArchitecture == Architecture.X64 ? fstat_inode64(fd, buffer) : fstat(fd, buffer);

    [DllImport("libc", SetLastError = true)]
    private static extern int statx(int directory, byte[] path, int flags, uint mask, byte[] buffer);

    [DllImport("libc", SetLastError = true)]
    private static extern int lstat(byte[] path, byte[] buffer);

    [DllImport("libc", EntryPoint = "lstat$INODE64", SetLastError = true)]
    private static extern int lstat_inode64(byte[] path, byte[] buffer);

    [DllImport("libc", SetLastError = true)]
    private static extern int fstat(int fd, byte[] buffer);

    [DllImport("libc", EntryPoint = "fstat$INODE64", SetLastError = true)]
    private static extern int fstat_inode64(int fd, byte[] buffer);

    [DllImport("libc", SetLastError = true)]
    private static extern int open(byte[] path, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);

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

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int openFile(byte[] path, int flags);


    [DllImport("kernel32.dll", CharSet = CharSet.Unicode, SetLastError = true)]
    [return: MarshalAs(UnmanagedType.I1)]
    private static extern bool CreateSymbolicLinkW(string linkPath, string target, int flags);
}

/// <summary>What kind of thing a directory entry is (lstat's file type).</summary>
internal enum UnixEntryKind
{
    RegularFile,
    Directory,
    SymbolicLink,
    Fifo,
    CharacterDevice,
    BlockDevice,
    Socket,
    Other,
}

/// <summary>A directory entry's kind and permission bits (mode &amp; 07777; 0 on Windows).</summary>
internal readonly struct UnixEntry
{
    public UnixEntry(UnixEntryKind kind, int mode)
    {
        Kind = kind;
        Mode = mode;
    }

    public UnixEntryKind Kind { get; }
    public int Mode { get; }
}
