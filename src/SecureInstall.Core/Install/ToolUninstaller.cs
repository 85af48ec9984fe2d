using SecureInstall.Core.IO;

namespace SecureInstall.Core.Install;

/// <summary>Uninstall-PinnedTool: removes what this root keeps for a lock entry, and nothing the lock merely names.</summary>
public static class ToolUninstaller
{
    /// <summary>
    /// Removes an installed version, its file list, its shims, its record in the root's state and its lock entry. Only &lt;<paramref name="options"/>.Root&gt;/&lt;tool&gt;/&lt;version&gt;
    /// (names checked) and its file list are deleted, never the path the lock stores; only shims whose bytes are exactly the
    /// ones SecureInstall wrote for this tool and version are deleted. A lock whose path disagrees is reported in the result;
    /// when nothing is installed where this root keeps the version, it is refused (LockPathMismatch) and nothing changes.
    /// </summary>
    /// <param name="log">Told when the lock was in the earlier format and this write migrates it.</param>
    public static UninstallResult Uninstall(ToolInstallerOptions options, LockEntry entry, string lockPath, Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        if (options.Scope == InstallScope.AllUsers) MachineRoot.EnsureReady(options.Root, $"Uninstalling {entry.Tool}", create: false, options.MachineSecurity);
        InstallRootLayout.EnsureTrustedRoot(options.Root, create: false);
        string dir = InstallRootLayout.VersionDirectory(options.Root, entry.Tool, entry.Version);
        string? recordedElsewhere = entry.InstalledPath.Length > 0 && !InstallRootLayout.SamePath(entry.InstalledPath, dir) ? entry.InstalledPath : null;
        if (recordedElsewhere != null && !UnixFileSystem.TryGetEntry(dir, out _))
            throw new LockPathMismatchException(entry.Tool, entry.Version, recordedElsewhere, dir,
                "Nothing was removed and the lock entry is kept. If it was installed for all users, uninstall with -Scope AllUsers.");
        using FileLock toolLock = FileLock.TryAcquire(InstallRootLayout.ToolLockPath(options.Root, entry.Tool), options.LockTimeout, cancellationToken)
            ?? throw new InstallException(ErrorIds.InstallInProgress, FailureKind.ResourceUnavailable, entry.Tool, $"another process is installing {entry.Tool}.");
        var removedShims = new List<string>();
        if (UnixFileSystem.TryGetEntry(options.BinDirectory, out FileStatus bin) && bin.Kind == UnixEntryKind.Directory)
        {
            foreach (string shim in Directory.GetFiles(options.BinDirectory))
            {
                // Proof, not a guess: exactly the bytes a shim of this tool and version holds, starting a file inside its folder.
                var owner = InstallRootLayout.ShimOwner(options.Root, shim);
                if (owner == null || owner.Value.Tool != entry.Tool || owner.Value.Version != entry.Version) continue;
                File.Delete(shim);
                removedShims.Add(shim);
            }
        }
        if (MoveAside(dir) is { } doomed) BestEffort.DeleteTree(doomed);
        string record = InstallRootLayout.TreeRecordPath(dir);
        if (UnixFileSystem.TryGetEntry(record, out FileStatus recordEntry) && recordEntry.Kind != UnixEntryKind.Directory) File.Delete(record);
        if (UnixFileSystem.TryGetEntry(InstallRootState.PathIn(options.Root), out _))
            InstallRootState.Update(options.Root, options.LockTimeout, state => state.Remove(entry.Tool, entry.Version), cancellationToken);
        InstallLock.Update(lockPath, options.Root, options.LockTimeout, l => l.Remove(entry.Tool, entry.Version, entry.Platform), cancellationToken, log);
        return new UninstallResult { Name = entry.Tool, Version = entry.Version, Platform = entry.Platform, Path = dir, RecordedPath = recordedElsewhere, Shims = removedShims };
    }

    /// <summary>
    /// Takes an installed version folder out of its place in one step, for Uninstall-PinnedTool and Uninstall-PinnedModule:
    /// a folder is renamed beside itself (a half-deleted tree must not look installed) and that name returned, for the
    /// caller to delete, or to move back if what follows fails; a link (or file) in its place is removed, never what it
    /// points at, and null returned; null too when nothing is there.
    /// </summary>
    public static string? MoveAside(string dir)
    {
        if (!UnixFileSystem.TryGetEntry(dir, out FileStatus folder)) return null;
        if (folder.Kind != UnixEntryKind.Directory)
        {
            // On Windows a link to a folder is itself removed as a folder (non-recursive: the link, not its target).
            if (UnixFileSystem.IsWindows && (File.GetAttributes(dir) & FileAttributes.Directory) != 0) Directory.Delete(dir, recursive: false);
            else File.Delete(dir);
            return null;
        }
        string doomed = dir + ".removing-" + Guid.NewGuid().ToString("N");
        Directory.Move(dir, doomed);
        return doomed;
    }
}
