using SecureInstall.Core.IO;

namespace SecureInstall.Core.Install;

/// <summary>
/// Re-verifies what the lock says was installed (Test-PinnedTool, Get-PinnedTool -Verify, secureinstall verify-installed):
/// the tree, the version folder, the shims, and the Sigstore bundle the lock kept. Reads only; changes nothing.
/// </summary>
public static class InstalledToolVerifier
{
    /// <summary>
    /// Re-verifies an install the lock records, at &lt;<paramref name="root"/>&gt;/&lt;tool&gt;/&lt;version&gt; (never at the path the lock
    /// stores, which is only compared and reported): the tree's entries (content, kind, mode) against the lock's digest, the
    /// version folder itself (a link in its place is tampering), and the shims the root's state records for it (those a lock
    /// of the earlier format recorded, when the root has no record yet). Throws <see cref="InstallException"/> (ManifestInvalid)
    /// when the lock names a tool or version that cannot be a folder; InstallRootNotTrusted or InstallStateInvalid for a root
    /// state that cannot be read (<see cref="InstallRootState.Load"/>).
    /// </summary>
    public static InstalledToolStatus Verify(string root, LockEntry entry, CancellationToken cancellationToken = default)
    {
        string dir = InstallRootLayout.VersionDirectory(root, entry.Tool, entry.Version);
        var changed = new List<string>();
        var added = new List<string>();
        var removed = new List<string>();
        var status = new InstalledToolStatus
        {
            Name = entry.Tool, Version = entry.Version, Platform = entry.Platform, Path = dir, TreeDigest = entry.TreeDigest, Waivers = entry.Waivers,
            RecordedPath = entry.InstalledPath.Length > 0 && !InstallRootLayout.SamePath(entry.InstalledPath, dir) ? entry.InstalledPath : null,
        };
        bool present = CompareTree(dir, entry.TreeDigest, "Install-PinnedTool", changed, added, removed, cancellationToken);
        CheckShims(root, InstallRootState.Load(root), entry, dir, changed, removed);
        status.Changed = changed;
        status.Added = added;
        status.Removed = removed;
        status.Status = !present ? InstalledState.Missing
            : changed.Count + added.Count + removed.Count > 0 || status.RecordedPath != null ? InstalledState.Tampered
            : InstalledState.Verified;
        return status;
    }

    /// <summary>
    /// Compares the tree at <paramref name="dir"/> with <paramref name="treeDigest"/> (the lock's), adding each entry changed,
    /// added or removed, read from the file list kept beside the tree (whose own digest must be the lock's); false when the
    /// folder is gone. The one tree check of installed tools and installed modules.
    /// </summary>
    /// <param name="installer">The cmdlet that reinstalls, for the message about an old listing format.</param>
    public static bool CompareTree(string dir, string treeDigest, string installer, List<string> changed, List<string> added, List<string> removed, CancellationToken cancellationToken)
    {
        bool present = UnixFileSystem.TryGetEntry(dir, out FileStatus folder);
        if (!present)
        {
            removed.Add("(the whole tree: " + dir + ")");
        }
        else if (folder.Kind != UnixEntryKind.Directory)
        {
            changed.Add(folder.Kind == UnixEntryKind.SymbolicLink
                ? $"(the version folder {dir} is a symbolic link to '{UnixFileSystem.ReadLink(dir)}', not the installed folder; nothing behind it was read)"
                : $"(the version folder {dir} is a {InstalledTree.Describe(folder.Kind)}, not the installed folder)");
        }
        else
        {
            InstalledTree actual = InstalledTree.Compute(dir, cancellationToken);
            if (actual.Digest != treeDigest)
            {
                string record = InstallRootLayout.TreeRecordPath(dir);
                InstalledTree? recorded = null;
                try
                {
                    string? text = InstallRootLayout.ReadSmallRegularFile(record, 64 * 1024 * 1024);
                    if (text != null) recorded = InstalledTree.Parse(text);
                }
                catch (InvalidDataException) { }
                if (recorded == null || recorded.Digest != treeDigest)
                    changed.Add("(the tree differs from the lock, and its file list was changed too: " + record + ")");
                else if (recorded.Format != InstalledTree.CurrentFormat)
                    changed.Add($"(recorded by an earlier SecureInstall in tree listing format {recorded.Format}, which holds no kinds, modes, folders or shims; reinstall it with {installer} -Force to record them)");
                else
                {
                    TreeDiff diff = InstalledTree.Compare(recorded, actual);
                    changed.AddRange(diff.Changed);
                    added.AddRange(diff.Added);
                    removed.AddRange(diff.Removed);
                }
            }
        }
        return present;
    }

    /// <summary>
    /// Each shim the lock records must be a regular rwxr-xr-x file holding exactly what SecureInstall writes for this tool:
    /// for this version, or for another version of the tool the root records with the same command (the last one installed owns it).
    /// </summary>
    private static void CheckShims(string root, InstallRootState state, LockEntry entry, string dir, List<string> changed, List<string> removed)
    {
        SortedDictionary<string, string> shims = state.Find(entry.Tool, entry.Version)?.Shims ?? entry.Shims;
        foreach (var command in shims)
        {
            if (!InstallRootLayout.IsCommandName(command.Key))
            {
                changed.Add($"(the lock names a shim '{command.Key}', which is not a command name)");
                continue;
            }
            string shim = InstallRootLayout.ShimPath(root, command.Key);
            if (!UnixFileSystem.TryGetEntry(shim, out FileStatus kind))
            {
                removed.Add(shim + " (shim)");
                continue;
            }
            var owner = InstallRootLayout.ShimOwner(root, shim);
            bool ours = owner != null && owner.Value.Tool == entry.Tool && (owner.Value.Version == entry.Version
                ? owner.Value.Target == Path.Combine(dir, command.Value.Replace('/', Path.DirectorySeparatorChar))
                : state.Find(entry.Tool, owner.Value.Version) is { } newer && newer.Shims.TryGetValue(command.Key, out string? exe)
                  && owner.Value.Target == Path.Combine(InstallRootLayout.VersionDirectory(root, entry.Tool, owner.Value.Version), exe.Replace('/', Path.DirectorySeparatorChar)));
            if (!ours)
                changed.Add(shim + (owner == null ? " (shim: not what SecureInstall wrote)" : $" (shim: now starts {owner.Value.Tool} {owner.Value.Version}, which the lock does not give this command)"));
            else if (!UnixFileSystem.IsWindows && kind.Mode != 0x1ED)
                changed.Add($"{shim} (shim: mode {Convert.ToString(kind.Mode, 8).PadLeft(4, '0')}, not 0755)");
        }
    }

    /// <summary>
    /// Re-verifies the Sigstore bundle the lock kept for an install against the locked SHA-256, offline, with the
    /// requirement the lock recorded; null when the install has none. Throws when it no longer verifies.
    /// </summary>
    public static Signatures.SignatureResult? VerifyRecordedSignature(LockEntry entry, CancellationToken cancellationToken = default)
    {
        if (entry.SigstoreBundle == null || entry.SignaturePolicy == null) return null;
        var requirement = Signatures.Sigstore.SigstoreRequirement.FromSettings(entry.SignaturePolicy, null, $"{entry.Tool} {entry.Version}: the lock's signature policy");
        Checksums.ChecksumEntry pinned = entry.PinnedDigests()
            ?? throw new InstallException(ErrorIds.LockInvalid, FailureKind.InvalidData, entry.Tool, $"the lock keeps a Sigstore bundle for {entry.Tool} {entry.Version} but no digest to check it against.");
        return requirement.Verify(System.Text.Encoding.UTF8.GetBytes(entry.SigstoreBundle), $"the lock's bundle for {entry.Tool} {entry.Version}", pinned, cancellationToken);
    }
}
