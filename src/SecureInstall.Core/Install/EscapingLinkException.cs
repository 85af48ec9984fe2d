namespace SecureInstall.Core.Install;

/// <summary>
/// An unpacked tool or module holds a link that does not lead to a file or folder inside it (<see cref="InstalledTree.RefuseEscapingLinks"/>):
/// UnsafeArchiveEntry, as the archive rules name the same danger, with the tool or module as target.
/// </summary>
public sealed class EscapingLinkException : SecureInstallException
{
    public EscapingLinkException(string name, string version, TreeFile link)
        : base($"{name} {version}: the link '{link.Path}' -> '{link.LinkTarget}' does not lead to a file or folder inside what was unpacked "
               + "(an installed tree never holds a link out of itself, to nowhere, or to a FIFO or device: what it leads to could change unseen); nothing was installed.",
               ErrorIds.UnsafeArchiveEntry, FailureKind.Security, name)
    {
        Link = link;
    }

    /// <summary>The link refused (its path in the tree and its target).</summary>
    public TreeFile Link { get; }
}
