using SecureInstall.Core.Install;
using SecureInstall.Core.IO;

namespace SecureInstall.Core.Modules;

/// <summary>One pinned module version Uninstall-PinnedModule removed (or found already gone) and dropped from the lock.</summary>
public sealed class ModuleUninstallResult
{
    public string Name { get; internal set; } = string.Empty;
    public string Version { get; internal set; } = string.Empty;

    /// <summary>&lt;ModulePath&gt;/&lt;Name&gt;/&lt;Version&gt;, derived from the module path and the (checked) names, never read from the lock.</summary>
    public string Path { get; internal set; } = string.Empty;

    /// <summary>Verified (the tree was the lock's), Tampered (removed with -Force although it differed) or Missing (only the lock entry went).</summary>
    public InstalledState Status { get; internal set; }

    /// <summary>What differed from the lock in a tree removed with -Force.</summary>
    public TreeDiff Diff { get; internal set; } = new();
}

/// <summary>
/// Uninstall-PinnedModule: removes the module versions the lock's modules section records from a module path, and their
/// lock entries. Only &lt;ModulePath&gt;/&lt;Name&gt;/&lt;Version&gt; (and its file list) of a recorded version is removed, and only
/// when its tree is still the one the lock's digest names (or with force): a folder someone changed may hold their work.
/// A module that another recorded module depends on is kept unless that one goes too. Each version is taken out of its
/// place in one rename, the lock written, and only then deleted; a lock that cannot be written puts the folders back.
/// </summary>
public static class ModuleUninstaller
{
    /// <summary>
    /// Removes <paramref name="entries"/> from the options' ModulePath and from the lock at <paramref name="lockPath"/>
    /// (its writes serialised under LockRoot's .locks). Every entry is checked before anything is touched: a tree that is
    /// not the lock's (without Force) or a module another remaining one depends on refuses the whole request, and nothing changes.
    /// </summary>
    public static IReadOnlyList<ModuleUninstallResult> Uninstall(ModuleInstallerOptions options, IReadOnlyList<ModuleLockEntry> entries, string lockPath,
        Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        if (options == null) throw new ArgumentNullException(nameof(options));
        if (entries == null) throw new ArgumentNullException(nameof(entries));
        string modulePath = options.ModulePath;
        bool force = options.Force;
        if (entries.Count == 0) return Array.Empty<ModuleUninstallResult>();
        // As at install: a module path another user owns or can write is refused before anything is checked or removed.
        InstallRootLayout.EnsureTrustedRoot(modulePath, create: false);
        InstallLock current = InstallLock.Load(lockPath);
        var leaving = new HashSet<string>(entries.Select(e => e.Name + " " + e.Version), StringComparer.OrdinalIgnoreCase);
        foreach (ModuleLockEntry entry in entries)
        {
            ModuleLockEntry? dependent = current.Modules.FirstOrDefault(m => !leaving.Contains(m.Name + " " + m.Version)
                && m.Dependencies.Contains(entry.Name + " " + entry.Version, StringComparer.OrdinalIgnoreCase));
            if (dependent != null)
                throw new ModuleException(ErrorIds.ModuleRequiredByAnother, FailureKind.InvalidArgument, entry.Name,
                    $"{entry.Name} {entry.Version} is a pinned dependency of {dependent.Name} {dependent.Version}, which the lock records and which stays installed. " +
                    $"Uninstall {dependent.Name} too (name both), or first. Nothing was removed.");
        }

        var results = new List<ModuleUninstallResult>();
        foreach (ModuleLockEntry entry in entries)
        {
            cancellationToken.ThrowIfCancellationRequested();
            PackageVersion version = PackageVersion.TryParse(entry.Version)
                ?? throw new LockFormatException(lockPath, new InvalidDataException($"modules.{entry.Name}: '{entry.Version}' is not a package version."));
            string dir = ModulePaths.VersionDirectory(modulePath, entry.Name, version);
            var changed = new List<string>();
            var added = new List<string>();
            var removed = new List<string>();
            bool present = InstalledToolVerifier.CompareTree(dir, entry.TreeDigest, "Install-PinnedModule", changed, added, removed, cancellationToken);
            var diff = new TreeDiff { Changed = changed, Added = added, Removed = removed };
            InstalledState state = !present ? InstalledState.Missing : changed.Count + added.Count + removed.Count > 0 ? InstalledState.Tampered : InstalledState.Verified;
            if (state == InstalledState.Tampered && !force)
                throw new ModuleException(ErrorIds.InstalledTreeTampered, FailureKind.Security, dir,
                    $"{entry.Name} {entry.Version} at '{dir}' is not the tree the lock records ({diff}): it was changed after it was installed, and what was changed may be someone's work. " +
                    "Nothing was removed and the lock is unchanged. Look at it, then uninstall with -Force (--force) to remove the folder as it is.");
            log?.Invoke(state switch
            {
                InstalledState.Missing => $"{entry.Name} {entry.Version} is not at {dir}; only its lock entry is removed.",
                InstalledState.Tampered => $"{entry.Name} {entry.Version} at {dir} differs from the lock ({diff}); removing it anyway (force).",
                _ => $"{entry.Name} {entry.Version} at {dir} verified against the lock ({entry.TreeDigest}); removing it.",
            });
            results.Add(new ModuleUninstallResult { Name = entry.Name, Version = entry.Version, Path = dir, Status = state, Diff = diff });
        }

        // Out of place first (one rename each), then the lock; a lock that cannot be written puts every folder back.
        var moved = new List<(string Dir, string Doomed)>();
        try
        {
            foreach (ModuleUninstallResult r in results.Where(r => r.Status != InstalledState.Missing))
            {
                if (ToolUninstaller.MoveAside(r.Path) is { } doomed) moved.Add((r.Path, doomed));
            }
            InstallLock.Update(lockPath, options.LockRoot, options.LockTimeout, l => { foreach (ModuleLockEntry e in entries) l.RemoveModule(e.Name, e.Version); }, cancellationToken, log);
        }
        catch
        {
            foreach ((string dir, string doomed) in moved) Directory.Move(doomed, dir);
            throw;
        }
        foreach ((_, string doomed) in moved) BestEffort.DeleteTree(doomed);
        foreach (ModuleUninstallResult r in results)
        {
            BestEffort.DeleteFile(InstallRootLayout.TreeRecordPath(r.Path));
            // The <Name> folder this module leaves empty goes too, so no empty module shows in Get-Module -ListAvailable.
            BestEffort.DeleteEmptyDirectory(System.IO.Path.GetDirectoryName(r.Path)!);
        }
        return results;
    }
}
