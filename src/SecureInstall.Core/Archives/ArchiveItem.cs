namespace SecureInstall.Core.Archives;

/// <summary>What an archive says an entry is, before any rule has been applied.</summary>
internal enum ArchiveItemType
{
    File,
    Directory,
    SymbolicLink,
    HardLink,
    CharacterDevice,
    BlockDevice,
    Fifo,
    Unsupported,
}

/// <summary>One entry as read from a zip or tar, format-neutral.</summary>
internal sealed class ArchiveItem
{
    public ArchiveItem(string name, ArchiveItemType type, long size, int mode, DateTime? lastWriteTimeUtc, string? linkTarget, string? typeDescription = null)
    {
        Name = name;
        Type = type;
        Size = size;
        Mode = mode;
        LastWriteTimeUtc = lastWriteTimeUtc;
        LinkTarget = linkTarget;
        TypeDescription = typeDescription;
    }

    /// <summary>The stored name, after PAX/GNU long-name overrides.</summary>
    public string Name { get; }
    public ArchiveItemType Type { get; }

    /// <summary>Declared data length: the tar reader reads exactly this, the zip writer checks the actual length against it.</summary>
    public long Size { get; }

    /// <summary>Unix permission bits, 0 when the archive has none.</summary>
    public int Mode { get; }
    public DateTime? LastWriteTimeUtc { get; }
    public string? LinkTarget { get; }

    /// <summary>For unsupported types: what the archive called it, for the message.</summary>
    public string? TypeDescription { get; }
}
