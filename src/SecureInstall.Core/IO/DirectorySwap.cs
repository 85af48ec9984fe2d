namespace SecureInstall.Core.IO;

/// <summary>
/// Puts a complete folder tree, built beside its destination (same folder, so on the same volume), in the destination's
/// place, so that readers see either the old content or the whole new tree, never a half-written one. The one swap the
/// archive extractor and the installer share.
/// </summary>
public static class DirectorySwap
{
    /// <summary>What a swapped-out destination is renamed to while its replacement moves in: ".{name}.old-{id}".</summary>
    private const string AsideMarker = ".old-";

    /// <summary>
    /// Moves <paramref name="staged"/> to <paramref name="destination"/>. Without <paramref name="replace"/> the destination
    /// must not exist (a rename that fails if it does). With it, the destination must exist (a folder, a file or a link;
    /// the caller has looked) and is replaced: exchanged with the staged tree in one step where the OS can (renameat2 RENAME_EXCHANGE, renamex_np
    /// RENAME_SWAP), so it is never absent; otherwise (Windows, file systems that cannot swap) renamed aside to
    /// <see cref="AsidePathFor"/>, the staged tree renamed in, and the old content deleted. If the staged tree cannot be
    /// moved in, the old content is renamed back and the exception rethrown. The old content is deleted best-effort:
    /// what is left is named so that <c>InstallRootLayout.IsLeftover</c> (or, after an exchange, the staging folder's own
    /// cleanup) removes it later.
    /// </summary>
    public static void MoveIntoPlace(string staged, string destination, bool replace) =>
        MoveIntoPlace(staged, destination, replace, UnixFileSystem.TryExchange);

    /// <summary>The same, with the exchange given: tests pass one that refuses, to run the rename-aside path on any OS.</summary>
    internal static void MoveIntoPlace(string staged, string destination, bool replace, Func<string, string, bool> tryExchange)
    {
        if (staged == null) throw new ArgumentNullException(nameof(staged));
        if (destination == null) throw new ArgumentNullException(nameof(destination));
        if (!replace)
        {
            Directory.Move(staged, destination);
            return;
        }
        if (tryExchange(staged, destination))
        {
            // Swapped in one step; the old content now sits at the staged path until it is gone.
            BestEffort.Delete(staged);
            return;
        }
        // For an instant the destination is absent, but never half-written.
        string aside = AsidePathFor(destination);
        bool wasFile = File.Exists(destination) && !Directory.Exists(destination);
        if (wasFile) File.Move(destination, aside);
        else Directory.Move(destination, aside);
        try
        {
            Directory.Move(staged, destination);
        }
        catch
        {
            if (wasFile) File.Move(aside, destination);
            else Directory.Move(aside, destination);
            throw;
        }
        BestEffort.Delete(aside);
    }

    /// <summary>
    /// A fresh name beside <paramref name="destination"/> for its old content during a swap: ".{name}.old-{id}", hidden, and
    /// containing ".old-", which <c>InstallRootLayout.IsLeftover</c> deletes and <c>InstallRootLayout.ReservedReason</c>
    /// refuses as a tool or version name (so a pinned version can never be taken for a leftover).
    /// </summary>
    public static string AsidePathFor(string destination)
    {
        string full = Path.GetFullPath(destination).TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
        return Path.Combine(Path.GetDirectoryName(full)!, "." + Path.GetFileName(full) + AsideMarker + Guid.NewGuid().ToString("N").Substring(0, 12));
    }

    /// <summary>Whether a file or folder name has the form <see cref="AsidePathFor"/> gives: old content a swap could not delete.</summary>
    public static bool IsAsideName(string name) =>
        name.StartsWith(".", StringComparison.Ordinal) && name.IndexOf(AsideMarker, StringComparison.OrdinalIgnoreCase) >= 0;
}
