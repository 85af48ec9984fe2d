namespace SecureInstall.Core.IO;

// What UnixFileSystem's stat and no-follow opens report (split from UnixFileSystem.Status.cs by job, issue 19).

/// <summary>A path whose last component is a symbolic link, refused rather than followed (O_NOFOLLOW).</summary>
internal sealed class SymbolicLinkRefusedException : IOException
{
    public SymbolicLinkRefusedException(string path)
        : base($"'{path}' is a symbolic link, which is not followed.")
    {
    }
}

/// <summary>
/// A path that names something other than a regular file where only one is read: a socket (or a device without a driver),
/// which open(2) refuses with ENXIO, or a FIFO, device or socket found by fstat. Public so that a front end can report it
/// on the line of the list that named it (secureinstall verify).
/// </summary>
public sealed class NotAFileException : IOException
{
    internal NotAFileException(string path)
        : base($"'{path}' is a socket or a device, not a file.")
    {
        Kind = "socket or device";
    }

    /// <param name="kind">What it is instead ("FIFO", "character device", …).</param>
    internal NotAFileException(string path, string kind)
        : base($"'{path}' is not a regular file (it is a {kind}).")
    {
        Kind = kind;
    }

    /// <summary>What the path names instead of a regular file: "FIFO", "character device", "socket or device", ….</summary>
    public string Kind { get; }
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

/// <summary>What stat says about a file: its kind, permission bits, owner, link count, size and identity (0 where not read).</summary>
internal readonly struct FileStatus
{
    internal FileStatus(UnixEntryKind kind, int mode, uint owner, uint linkCount, long size, ulong device, ulong inode)
    {
        Kind = kind;
        Mode = mode;
        Owner = owner;
        LinkCount = linkCount;
        Size = size;
        Device = device;
        Inode = inode;
    }

    /// <summary>An entry known only by its kind (a folder taken as the start of a walk).</summary>
    internal static FileStatus OfKind(UnixEntryKind kind) => new(kind, 0, 0, 0, 0, 0, 0);

    public UnixEntryKind Kind { get; }

    /// <summary>The permission bits, setuid, setgid and sticky included (mode &amp; 07777; 0 on Windows).</summary>
    public int Mode { get; }

    public uint Owner { get; }
    public uint LinkCount { get; }
    public long Size { get; }
    public ulong Device { get; }
    public ulong Inode { get; }

    public bool IsRegularFile => Kind == UnixEntryKind.RegularFile;
    public bool IsDirectory => Kind == UnixEntryKind.Directory;
    public bool IsSymbolicLink => Kind == UnixEntryKind.SymbolicLink;

    /// <summary>Writable by the group (020) or by others (002).</summary>
    public bool IsWritableByOthers => (Mode & 0x12) != 0;

    /// <summary>The sticky bit: in a folder, only an entry's owner can rename or delete it (as in /tmp).</summary>
    public bool IsSticky => (Mode & 0x200) != 0;

    /// <summary>The permission bits in octal, e.g. "0775".</summary>
    public string Permissions => "0" + Convert.ToString(Mode & 0xFFF, 8);

    public bool IsSameFile(FileStatus other) => Device == other.Device && Inode == other.Inode;
}
