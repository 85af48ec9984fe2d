using System.ComponentModel;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace SecureInstall.Core.IO;

/// <summary>
/// What a path or an open file is, for every check that must not be fooled by a link, a FIFO or another user's file:
/// one stat (statx on Linux, the kernel's newfstatat where statx cannot be used, the 64-bit-inode stat on macOS,
/// attributes on Windows), opening without following a link or waiting on a FIFO, and where a path really leads.
/// </summary>
internal static partial class UnixFileSystem
{
    // ---- What a path or an open file is: one stat for every caller (tree walks, the cache, pinned copies, the lock). ----

    /// <summary>
    /// Whether owners, link counts and file identities are read (<see cref="FileStatus.Owner"/>, …): on Linux, by statx
    /// (glibc 2.28+, musl 1.2.5+), or the kernel's fstatat where statx cannot be used (x64 and arm64); on macOS by its
    /// 64-bit-inode stat, once "/" reads back as what it is (a root-owned folder: the struct is read by offsets). Elsewhere
    /// kinds and modes are read but owners are not checked.
    /// </summary>
    public static bool CanReadOwners => s_canReadOwners.Value;

    private static readonly Lazy<bool> s_canReadOwners = new(() =>
    {
        if (!IsLinux && !IsMacOS) return false;
        try
        {
            return TryStatus("/", followLinks: true, out FileStatus root)
                && (!IsMacOS || (root.Kind == UnixEntryKind.Directory && root.Owner == 0 && root.LinkCount >= 2));
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException or PlatformNotSupportedException or IOException)
        {
            return false;
        }
    });

    /// <summary>The effective user id of this process (0 on Windows, where it is not used).</summary>
    public static uint EffectiveUserId => IsWindows ? 0u : geteuid();

    /// <summary>
    /// What a path names, without following a final symbolic link (lstat): kind, permission bits (setuid, setgid and
    /// sticky included), and on Linux owner, link count, size and identity. False when nothing is there. On Windows the
    /// kind comes from the attributes (a reparse point counts as a link) and the rest is 0.
    /// </summary>
    public static bool TryGetEntry(string path, out FileStatus entry) => TryStatus(path, followLinks: false, out entry);

    /// <summary>lstat (<paramref name="followLinks"/> false) or stat of <paramref name="path"/>; null when nothing is there.</summary>
    public static FileStatus? Status(string path, bool followLinks) => TryStatus(path, followLinks, out FileStatus status) ? status : null;

    /// <summary>fstat of an open file: what the handle reads, whatever its name points to now.</summary>
    public static FileStatus Status(SafeFileHandle handle)
    {
        if (handle == null) throw new ArgumentNullException(nameof(handle));
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            return Status(handle.DangerousGetHandle().ToInt32());
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }

    /// <summary>fstat of an open descriptor (Unix only).</summary>
    public static FileStatus Status(int fd)
    {
        if (IsWindows) throw new PlatformNotSupportedException("File descriptors are a Unix notion.");
        var buffer = new byte[StatBufferSize];
        int rc = IsMacOS ? MacFStat(fd, buffer) : LinuxStat(fd, EmptyPath, AtEmptyPath, buffer);
        if (rc != 0) throw new IOException($"Cannot read what an open file is: {new Win32Exception(Marshal.GetLastWin32Error()).Message}");
        return FromStat(buffer);
    }

    private static bool TryStatus(string path, bool followLinks, out FileStatus status)
    {
        status = default;
        if (IsWindows)
        {
            FileAttributes attributes;
            try { attributes = File.GetAttributes(path); }
            catch (FileNotFoundException) { return false; }
            catch (DirectoryNotFoundException) { return false; }
            UnixEntryKind kind = (attributes & FileAttributes.ReparsePoint) != 0 && !followLinks ? UnixEntryKind.SymbolicLink
                : (attributes & FileAttributes.Directory) != 0 ? UnixEntryKind.Directory : UnixEntryKind.RegularFile;
            status = new FileStatus(kind, 0, 0, 0, 0, 0, 0);
            return true;
        }
        var buffer = new byte[StatBufferSize];
        int rc = IsMacOS
            ? (followLinks ? MacStat(Utf8z(path), buffer) : MacLStat(Utf8z(path), buffer))
            : LinuxStat(AtFdCwd, Utf8z(path), followLinks ? 0 : AtSymlinkNoFollow, buffer);
        if (rc != 0)
        {
            int errno = Marshal.GetLastWin32Error();
            if (errno == 2 /* ENOENT */ || errno == 20 /* ENOTDIR */) return false;
            throw new IOException($"Cannot read what '{path}' is (stat): {new Win32Exception(errno).Message}");
        }
        status = FromStat(buffer);
        return true;
    }

    /// <summary>
    /// Opens an existing file read-only without following a symbolic link as its last component (O_NOFOLLOW: a link is
    /// refused with a <see cref="SymbolicLinkRefusedException"/>, never read even for a moment) and without waiting on a
    /// FIFO (O_NONBLOCK). -1 on Windows, where callers check with managed calls instead. Read with
    /// <see cref="UnixFileReader.Read"/>, close with <see cref="UnixFileReader.Close"/>; check what was opened with <see cref="Status(int)"/>.
    /// </summary>
    public static int OpenNoFollow(string path) => Open(path, followLinks: false);

    /// <summary>As <see cref="OpenNoFollow"/>, following a final symbolic link when <paramref name="followLinks"/> is set (still without waiting on a FIFO).</summary>
    public static int Open(string path, bool followLinks)
    {
        if (IsWindows) return -1;
        int flags = IsMacOS ? 0x1000000 /* O_CLOEXEC */ | 0x4 /* O_NONBLOCK */ | (followLinks ? 0 : 0x100 /* O_NOFOLLOW */)
            : 0x80000 /* O_CLOEXEC */ | 0x800 /* O_NONBLOCK */ | (followLinks ? 0 : NoFollowIs0x8000 ? 0x8000 : 0x20000) /* O_NOFOLLOW */;
        return OpenWithFlags(path, flags);
    }

    /// <summary>open(2) with <paramref name="flags"/>, retried on EINTR; a failure is the exception FileStream throws for the same cause.</summary>
    internal static int OpenWithFlags(string path, int flags)
    {
        byte[] native = Utf8z(path);
        while (true)
        {
            int fd = open(native, flags, 0);
            if (fd >= 0) return fd;
            int errno = Marshal.GetLastWin32Error();
            if (errno != 4 /* EINTR */) throw ErrnoError(errno, path, noFollow: (flags & (IsMacOS ? 0x100 : NoFollowIs0x8000 ? 0x8000 : 0x20000)) != 0);
        }
    }

    /// <summary>The exception for a failed open or read, as FileStream would throw it; ELOOP under O_NOFOLLOW is the link it refused.</summary>
    internal static Exception ErrnoError(int errno, string path, bool noFollow = false) => errno switch
    {
        2 => new FileNotFoundException($"Could not find file '{path}'.", path),                    // ENOENT
        20 => new DirectoryNotFoundException($"Could not find a part of the path '{path}'."),      // ENOTDIR
        1 or 13 => new UnauthorizedAccessException($"Access to the path '{path}' is denied."),     // EPERM, EACCES
        21 => new PathIsDirectoryException(path),                                                   // EISDIR, from read
        40 when noFollow && !IsMacOS => new SymbolicLinkRefusedException(path),                     // ELOOP
        62 when noFollow && IsMacOS => new SymbolicLinkRefusedException(path),
        6 => new NotAFileException(path),                                                           // ENXIO: a socket
        _ => new IOException($"'{path}': {new Win32Exception(errno).Message}"),
    };

    /// <summary>
    /// <see cref="OpenNoFollow"/>, kept only when what was opened is a regular file: -1 (nothing open) for a link, FIFO,
    /// device, socket or folder, so none of them can hang the caller or be read. Unix only.
    /// </summary>
    public static int OpenRegularFile(string path)
    {
        if (IsWindows) throw new PlatformNotSupportedException("OpenRegularFile is for Linux and macOS.");
        int fd;
        try
        {
            fd = OpenNoFollow(path);
        }
        catch (Exception ex) when (ex is SymbolicLinkRefusedException or NotAFileException)
        {
            return -1;
        }
        bool regular = false;
        try
        {
            regular = Status(fd).Kind == UnixEntryKind.RegularFile;
        }
        finally
        {
            if (!regular) _ = close(fd);
        }
        return regular ? fd : -1;
    }

    // One buffer for statx (the same layout on every Linux architecture), the kernel's struct stat, and macOS's.
    private const int StatBufferSize = 256;
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxBasicStats = 0x7ff;
    private static readonly byte[] EmptyPath = { 0 };

    // O_NOFOLLOW is 0100000 on arm, arm64 and powerpc, 0400000 on the others .NET runs on.
    private static bool NoFollowIs0x8000 { get; } =
        RuntimeInformation.OSArchitecture is Architecture.Arm or Architecture.Arm64 || RuntimeInformation.OSArchitecture.ToString().StartsWith("Ppc", StringComparison.Ordinal);

    /// <summary>
    /// Set when statx cannot be used: the C library lacks it (glibc before 2.28, musl before 1.2.5) or the kernel or a
    /// seccomp filter refuses it (ENOSYS, EPERM: old container runtimes). Then the kernel's own fstatat is called.
    /// </summary>
    private static bool _noStatx;

    private static int LinuxStat(int directory, byte[] path, int flags, byte[] buffer)
    {
        if (!_noStatx)
        {
            try
            {
                int rc = statx(directory, path, flags, StatxBasicStats, buffer);
                if (rc == 0) return 0;
                int errno = Marshal.GetLastWin32Error();
                if (errno != 38 /* ENOSYS */ && errno != 1 /* EPERM */) return rc;
                _noStatx = true;
            }
            catch (EntryPointNotFoundException)
            {
                _noStatx = true;
            }
        }
        // Through syscall(2), not the C library's lstat/fstat: glibc exports those names only since 2.33, and the older
        // C libraries are the ones without statx. newfstatat takes the same (folder, path, flags) as statx.
        if (KernelStat == null) throw new PlatformNotSupportedException($"This system offers no statx, and the stat layout of {RuntimeInformation.OSArchitecture} is not known.");
        return (int)syscall(KernelStat.Value.Fstatat, directory, path, buffer, flags);
    }

    /// <summary>
    /// The kernel's newfstatat system call number and its struct stat layout (offsets of dev, ino, mode, nlink and whether
    /// nlink is 64-bit, uid, size) where they are known.
    /// </summary>
    private static (long Fstatat, int Dev, int Ino, int Mode, int Nlink, bool WideNlink, int Uid, int Size)? KernelStat { get; } =
        RuntimeInformation.OSArchitecture == Architecture.X64 ? (262L, 0, 8, 24, 16, true, 28, 48)
        : RuntimeInformation.OSArchitecture == Architecture.Arm64 ? (79L, 0, 8, 16, 20, false, 24, 48)
        : null;

    private static FileStatus FromStat(byte[] b)
    {
        int mode;
        uint owner, links;
        long size;
        ulong device, inode;
        if (IsMacOS)
        {
            // struct stat (64-bit inodes): dev i32 @0, mode u16 @4, nlink u16 @6, ino u64 @8, uid u32 @16, size i64 @96.
            mode = BitConverter.ToUInt16(b, 4);
            links = BitConverter.ToUInt16(b, 6);
            inode = BitConverter.ToUInt64(b, 8);
            owner = BitConverter.ToUInt32(b, 16);
            device = BitConverter.ToUInt32(b, 0);
            size = BitConverter.ToInt64(b, 96);
        }
        else if (_noStatx)
        {
            var k = KernelStat!.Value;
            mode = (int)BitConverter.ToUInt32(b, k.Mode);
            links = k.WideNlink ? (uint)BitConverter.ToUInt64(b, k.Nlink) : BitConverter.ToUInt32(b, k.Nlink);
            owner = BitConverter.ToUInt32(b, k.Uid);
            device = BitConverter.ToUInt64(b, k.Dev);
            inode = BitConverter.ToUInt64(b, k.Ino);
            size = BitConverter.ToInt64(b, k.Size);
        }
        else
        {
            // struct statx: nlink u32 @16, uid u32 @20, mode u16 @28, ino u64 @32, size u64 @40, dev_major/minor u32 @136/140.
            mode = BitConverter.ToUInt16(b, 28);
            links = BitConverter.ToUInt32(b, 16);
            owner = BitConverter.ToUInt32(b, 20);
            inode = BitConverter.ToUInt64(b, 32);
            size = (long)BitConverter.ToUInt64(b, 40);
            device = ((ulong)BitConverter.ToUInt32(b, 136) << 32) | BitConverter.ToUInt32(b, 140);
        }
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
        return new FileStatus(kind, mode & 0xFFF, owner, links, size, device, inode);
    }

    private static int MacLStat(byte[] path, byte[] buffer) =>
        RuntimeInformation.OSArchitecture == Architecture.X64 ? lstat_inode64(path, buffer) : lstat(path, buffer);

    private static int MacStat(byte[] path, byte[] buffer) =>
        RuntimeInformation.OSArchitecture == Architecture.X64 ? stat_inode64(path, buffer) : stat(path, buffer);

    private static int MacFStat(int fd, byte[] buffer) =>
        RuntimeInformation.OSArchitecture == Architecture.X64 ? fstat_inode64(fd, buffer) : fstat(fd, buffer);

    /// <summary>
    /// Where <paramref name="path"/> really is, every link on the way resolved (realpath(3)); for a path whose end does not
    /// exist yet, the deepest existing folder resolved and the rest appended. Null on Windows or when nothing resolves.
    /// </summary>
    public static string? RealPathOfExisting(string path)
    {
        if (IsWindows) return null;
        string full = Path.GetFullPath(path);
        string tail = string.Empty;
        for (string? current = full; current != null; current = Path.GetDirectoryName(current))
        {
            IntPtr resolved = realpath(Utf8z(current), IntPtr.Zero);
            if (resolved != IntPtr.Zero)
            {
                try
                {
                    int length = 0;
                    while (Marshal.ReadByte(resolved, length) != 0) length++;
                    var bytes = new byte[length];
                    Marshal.Copy(resolved, bytes, 0, length);
                    string real = System.Text.Encoding.UTF8.GetString(bytes);
                    return tail.Length == 0 ? real : real.TrimEnd('/') + "/" + tail;
                }
                finally
                {
                    free(resolved);
                }
            }
            string name = Path.GetFileName(current);
            tail = tail.Length == 0 ? name : name + "/" + tail;
        }
        return null;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int statx(int directory, byte[] path, int flags, uint mask, byte[] buffer);

    [DllImport("libc", SetLastError = true)]
    private static extern long syscall(long number, int directory, byte[] path, byte[] buffer, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int stat(byte[] path, byte[] buffer);

    [DllImport("libc", SetLastError = true)]
    private static extern int lstat(byte[] path, byte[] buffer);

    [DllImport("libc", SetLastError = true)]
    private static extern int fstat(int fd, byte[] buffer);

    [DllImport("libc", EntryPoint = "stat$INODE64", SetLastError = true)]
    private static extern int stat_inode64(byte[] path, byte[] buffer);

    [DllImport("libc", EntryPoint = "lstat$INODE64", SetLastError = true)]
    private static extern int lstat_inode64(byte[] path, byte[] buffer);

    [DllImport("libc", EntryPoint = "fstat$INODE64", SetLastError = true)]
    private static extern int fstat_inode64(int fd, byte[] buffer);

    [DllImport("libc", SetLastError = true)]
    private static extern int open(byte[] path, int flags, uint mode);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);

    [DllImport("libc")]
    private static extern uint geteuid();

    [DllImport("libc", SetLastError = true)]
    private static extern IntPtr realpath(byte[] path, IntPtr resolved);

    [DllImport("libc")]
    private static extern void free(IntPtr pointer);
}
