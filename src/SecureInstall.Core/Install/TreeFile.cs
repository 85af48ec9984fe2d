namespace SecureInstall.Core.Install;

// The entries of an installed tree and the differences between two listings (split from InstalledTree.cs, issue 19).

/// <summary>What an entry of an installed tree is, as lstat sees it (a link is never followed to decide).</summary>
public enum TreeEntryKind
{
    File,
    Directory,
    Link,
    /// <summary>A FIFO, device or socket: never opened, always reported.</summary>
    Other,
}

/// <summary>One entry of an installed tree: its path relative to the tree root, kind, permission bits and content digest.</summary>
public sealed class TreeFile
{
    /// <summary>What a link's digest is when it does not lead to a regular file or folder inside the tree.</summary>
    public const string LinkOutside = "outside", LinkDangling = "dangling", LinkToDirectory = "dir", LinkToOther = "other";

    /// <summary>A link whose target cannot be read here (Windows PowerShell 5.1's .NET Framework has no API for it): recorded, not resolved.</summary>
    public const string LinkUnreadable = "unreadable";

    public TreeFile(string path, TreeEntryKind kind, int mode, string sha256, string? linkTarget = null)
    {
        Path = path;
        Kind = kind;
        Mode = mode;
        Sha256 = sha256;
        LinkTarget = linkTarget;
    }

    /// <summary>A file of a format-1 listing, which recorded only the executable bit.</summary>
    public TreeFile(string path, string sha256, bool executable)
        : this(path, TreeEntryKind.File, executable ? 0x1ED : 0x1A4, sha256)
    {
    }

    /// <summary>Forward slashes, relative to the tree root; "." is the root folder itself.</summary>
    public string Path { get; }

    public TreeEntryKind Kind { get; }

    /// <summary>mode &amp; 07777 (setuid, setgid, sticky and the rwx bits); 0 on Windows.</summary>
    public int Mode { get; }

    /// <summary>
    /// Lower-case hex of the content; for a link, of the regular file it leads to inside the tree ("dir" for a folder
    /// inside the tree, "outside", "dangling" or "other" otherwise); "-" for a folder; the kind ("fifo", …) for an other.
    /// </summary>
    public string Sha256 { get; }

    /// <summary>A link's target as stored; null for anything else.</summary>
    public string? LinkTarget { get; }

    public bool Executable => (Mode & 0x49) != 0;

    /// <summary>Setuid, setgid, or writable by group or others: what Test-PinnedTool names when it appears.</summary>
    public bool HasRiskyMode => (Mode & 0xC00) != 0 || (Mode & 0x12) != 0;

    internal bool SameAs(TreeFile other) =>
        Kind == other.Kind && Mode == other.Mode && Sha256 == other.Sha256 && LinkTarget == other.LinkTarget;
}

/// <summary>What changed between a recorded tree and the tree on disk.</summary>
public sealed class TreeDiff
{
    public IReadOnlyList<string> Changed { get; internal set; } = Array.Empty<string>();
    public IReadOnlyList<string> Added { get; internal set; } = Array.Empty<string>();
    public IReadOnlyList<string> Removed { get; internal set; } = Array.Empty<string>();
    public bool IsEmpty => Changed.Count == 0 && Added.Count == 0 && Removed.Count == 0;

    public override string ToString() =>
        string.Join("; ", new[] { ("changed", Changed), ("added", Added), ("removed", Removed) }
            .Where(p => p.Item2.Count > 0).Select(p => $"{p.Item1}: {string.Join(", ", p.Item2.Take(10))}{(p.Item2.Count > 10 ? $" (+{p.Item2.Count - 10} more)" : "")}"));
}
