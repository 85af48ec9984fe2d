using SecureInstall.Core.Install;

namespace SecureInstall.Core.Modules;

/// <summary>One pinned module as found on this machine, against the lock.</summary>
public sealed class InstalledModuleStatus
{
    public string Name { get; internal set; } = string.Empty;
    public string Version { get; internal set; } = string.Empty;

    /// <summary>Verified, Tampered or Missing (the tree); a shadowed module is Verified here and listed in <see cref="ShadowedBy"/>.</summary>
    public InstalledState Status { get; internal set; }

    /// <summary>&lt;ModulePath&gt;/&lt;Name&gt;/&lt;Version&gt;, derived from the module path checked, never read from the lock.</summary>
    public string Path { get; internal set; } = string.Empty;
    public string TreeDigest { get; internal set; } = string.Empty;
    public IReadOnlyList<string> Changed { get; internal set; } = Array.Empty<string>();
    public IReadOnlyList<string> Added { get; internal set; } = Array.Empty<string>();
    public IReadOnlyList<string> Removed { get; internal set; } = Array.Empty<string>();

    /// <summary>Changed, added and removed together, as a message names them.</summary>
    public TreeDiff Diff => new() { Changed = Changed, Added = Added, Removed = Removed };

    /// <summary>The lock's Authenticode verdict on its files (null when no signer was pinned).</summary>
    public string? Signature { get; internal set; }

    /// <summary>The re-check of that verdict: true passed, false failed (<see cref="SignatureFailure"/>), null not re-checked (no signer pinned, or the manifest was not given).</summary>
    public bool? SignatureVerified { get; internal set; }

    /// <summary>Why the re-check failed: the file and the rule, as at install.</summary>
    public SecureInstallException? SignatureFailure { get; internal set; }

    /// <summary>Other copies Import-Module &lt;Name&gt; would load instead of the pinned one: folders or module files.</summary>
    public IReadOnlyList<string> ShadowedBy { get; internal set; } = Array.Empty<string>();

    /// <summary>The version the manifest pins (Get-PinnedModule); null when the manifest no longer pins the module the lock records.</summary>
    public string? PinnedVersion { get; internal set; }
}

/// <summary>
/// Re-checks an installed pinned module: its tree against the lock's digest (each entry changed, added or removed), and
/// whether Import-Module by name would load another copy — one found earlier on PSModulePath, a higher version beside it
/// (PowerShell takes the highest version in the first folder that has the module), or one already loaded from elsewhere.
/// </summary>
public static class InstalledModuleVerifier
{
    /// <param name="modulePath">The module folder the pin was installed into.</param>
    /// <param name="psModulePath">PSModulePath's folders, in order.</param>
    /// <param name="loadedFrom">Where modules of this name are loaded from in the caller's session (their ModuleBase).</param>
    /// <param name="signature">The manifest's signer pin for the module: with the lock's verdict, every signable file is verified again.</param>
    public static InstalledModuleStatus Verify(string modulePath, ModuleLockEntry entry, IEnumerable<string> psModulePath, IEnumerable<string>? loadedFrom = null,
        Signatures.Authenticode.AuthenticodeRequirement? signature = null, CancellationToken cancellationToken = default)
    {
        if (entry == null) throw new ArgumentNullException(nameof(entry));
        PackageVersion version = PackageVersion.TryParse(entry.Version)
            ?? throw new LockFormatException(entry.Name, new InvalidDataException($"modules.{entry.Name}: '{entry.Version}' is not a package version."));
        string dir = ModulePaths.VersionDirectory(modulePath, entry.Name, version);
        var changed = new List<string>();
        var added = new List<string>();
        var removed = new List<string>();
        bool present = InstalledToolVerifier.CompareTree(dir, entry.TreeDigest, "Install-PinnedModule", changed, added, removed, cancellationToken);
        var shadows = Shadows(modulePath, entry.Name, version, psModulePath).ToList();
        foreach (string loaded in loadedFrom ?? Array.Empty<string>())
        {
            if (!InstallRootLayout.SamePath(loaded, dir)) shadows.Add($"{loaded} (loaded in this session)");
        }
        bool? signed = null;
        SecureInstallException? signatureFailure = null;
        if (present && signature != null && entry.Signature != null)
        {
            try
            {
                ModuleSignatures.Verify(signature, dir, $"{entry.Name}/{entry.Version}", cancellationToken);
                signed = true;
            }
            catch (SecureInstallException ex)
            {
                signed = false;
                signatureFailure = ex;
            }
        }
        return new InstalledModuleStatus
        {
            Name = entry.Name, Version = entry.Version, Path = dir, TreeDigest = entry.TreeDigest,
            Changed = changed, Added = added, Removed = removed, ShadowedBy = shadows,
            Signature = entry.Signature, SignatureVerified = signed, SignatureFailure = signatureFailure,
            Status = !present ? InstalledState.Missing : changed.Count + added.Count + removed.Count > 0 ? InstalledState.Tampered : InstalledState.Verified,
        };
    }

    /// <summary>
    /// Get-PinnedModule's listing: each module the manifest pins or the lock records (<paramref name="include"/> chooses by
    /// name), once per recorded version — NotInstalled when the lock records none, else Installed or Missing by whether its
    /// folder is there, or, with <paramref name="verify"/>, re-hashed and searched for shadows as by <see cref="Verify"/>.
    /// </summary>
    public static IEnumerable<InstalledModuleStatus> List(Manifests.PinnedManifest manifest, InstallLock lockFile, string modulePath, Func<string, bool> include,
        bool verify, CancellationToken cancellationToken = default)
    {
        if (manifest == null) throw new ArgumentNullException(nameof(manifest));
        if (lockFile == null) throw new ArgumentNullException(nameof(lockFile));
        if (include == null) throw new ArgumentNullException(nameof(include));
        IEnumerable<string> names = manifest.Modules.Select(m => m.Name)
            .Concat(lockFile.Modules.Select(e => e.Name).Where(n => manifest.FindModule(n) == null))
            .Distinct(StringComparer.OrdinalIgnoreCase).Where(include);
        foreach (string name in names)
        {
            string? pinned = manifest.FindModule(name)?.Version;
            var entries = lockFile.Modules.Where(e => string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase)).ToList();
            if (entries.Count == 0)
            {
                yield return new InstalledModuleStatus { Name = name, Status = InstalledState.NotInstalled, PinnedVersion = pinned };
                continue;
            }
            foreach (ModuleLockEntry entry in entries)
            {
                InstalledModuleStatus status;
                if (verify)
                {
                    status = Verify(modulePath, entry, ModulePaths.Searched(), null, null, cancellationToken);
                }
                else
                {
                    PackageVersion version = PackageVersion.TryParse(entry.Version)
                        ?? throw new LockFormatException(entry.Name, new InvalidDataException($"modules.{entry.Name}: '{entry.Version}' is not a package version."));
                    string dir = ModulePaths.VersionDirectory(modulePath, entry.Name, version);
                    status = new InstalledModuleStatus
                    {
                        Name = entry.Name, Version = entry.Version, Path = dir, TreeDigest = entry.TreeDigest, Signature = entry.Signature,
                        Status = Directory.Exists(dir) ? InstalledState.Installed : InstalledState.Missing,
                    };
                }
                status.PinnedVersion = pinned;
                yield return status;
            }
        }
    }

    /// <summary>
    /// The lock's entries for <paramref name="names"/> (all of them when none is named; of <paramref name="version"/> only
    /// when given); each name the lock does not record is added to <paramref name="notRecorded"/> as a NotInstalled failure.
    /// Test-PinnedModule, Uninstall-PinnedModule and their CLI verbs share it.
    /// </summary>
    public static IReadOnlyList<ModuleLockEntry> Select(InstallLock lockFile, string lockPath, IReadOnlyCollection<string> names, ICollection<ModuleException> notRecorded, string? version = null)
    {
        if (lockFile == null) throw new ArgumentNullException(nameof(lockFile));
        if (names == null) throw new ArgumentNullException(nameof(names));
        if (notRecorded == null) throw new ArgumentNullException(nameof(notRecorded));
        bool Matches(ModuleLockEntry e) => string.IsNullOrEmpty(version) || string.Equals(e.Version, version, StringComparison.OrdinalIgnoreCase);
        foreach (string missing in names.Where(n => !lockFile.Modules.Any(e => string.Equals(e.Name, n, StringComparison.OrdinalIgnoreCase) && Matches(e))).Distinct(StringComparer.OrdinalIgnoreCase))
            notRecorded.Add(new ModuleException(ErrorIds.NotInstalled, FailureKind.NotFound, missing,
                $"the lock {lockPath} records no module '{missing}'{(string.IsNullOrEmpty(version) ? "" : " " + version)}."));
        return lockFile.Modules.Where(e => (names.Count == 0 || names.Contains(e.Name, StringComparer.OrdinalIgnoreCase)) && Matches(e)).ToList();
    }

    /// <summary>
    /// What <paramref name="status"/> means as failures (none when it verified and nothing shadows it): missing, tampered,
    /// shadowed. <paramref name="install"/> and <paramref name="reinstall"/> are the front end's commands that install it and
    /// reinstall it over a changed tree, named in the remedy.
    /// </summary>
    public static IReadOnlyList<ModuleException> Failures(InstalledModuleStatus status, string install, string reinstall)
    {
        if (status == null) throw new ArgumentNullException(nameof(status));
        var failures = new List<ModuleException>();
        if (status.Status == InstalledState.Missing)
            failures.Add(new ModuleException(ErrorIds.NotInstalled, FailureKind.NotFound, status.Path,
                $"{status.Name} {status.Version} is recorded in the lock but not installed at {status.Path}. Install it with {install}."));
        else if (status.Status == InstalledState.Tampered)
            failures.Add(new ModuleException(ErrorIds.InstalledTreeTampered, FailureKind.Security, status.Path,
                $"{status.Name} {status.Version} at '{status.Path}' was changed after it was installed and verified ({status.Diff}). Reinstall it with {reinstall}, and find out what changed it."));
        if (status.SignatureFailure is { } bad)
            failures.Add(new ModuleException(bad.ErrorId, bad.Kind, status.Path,
                $"{status.Name} {status.Version} at '{status.Path}' no longer passes the Authenticode check it passed at install ({status.Signature}): {bad.Message} Reinstall it with {reinstall}.", bad));
        if (status.ShadowedBy.Count > 0)
            failures.Add(new ModuleException(ErrorIds.ModuleShadowed, FailureKind.Security, status.Name,
                $"Import-Module {status.Name} would not load the pinned {status.Name} {status.Version} at {status.Path}: {string.Join("; ", status.ShadowedBy)} comes first. " +
                $"Remove it, or import with -RequiredVersion {status.Version}."));
        return failures;
    }

    private static IEnumerable<string> Shadows(string modulePath, string name, PackageVersion pinned, IEnumerable<string> psModulePath)
    {
        foreach (string folder in psModulePath.Where(p => !string.IsNullOrWhiteSpace(p)))
        {
            string moduleDir = Path.Combine(folder, name);
            bool ours = InstallRootLayout.SamePath(folder, modulePath);
            if (Directory.Exists(moduleDir))
            {
                foreach (string candidate in Candidates(moduleDir, name))
                {
                    // In the pinned module's own folder only a higher version wins; anywhere earlier, any copy does.
                    PackageVersion? other = PackageVersion.TryParse(Path.GetFileName(candidate));
                    if (!ours || (other != null && other.Numeric > pinned.Numeric)) yield return candidate;
                }
            }
            if (ours) yield break; // later folders are only searched when the module is not found here
        }
    }

    /// <summary>The copies PowerShell would consider in &lt;folder&gt;/&lt;Name&gt;: version folders holding the module, or the module unversioned.</summary>
    private static IEnumerable<string> Candidates(string moduleDir, string name)
    {
        if (File.Exists(Path.Combine(moduleDir, name + ".psd1")) || File.Exists(Path.Combine(moduleDir, name + ".psm1")) || File.Exists(Path.Combine(moduleDir, name + ".dll")))
            yield return moduleDir;
        foreach (string versionDir in Directory.GetDirectories(moduleDir))
        {
            if (PackageVersion.TryParse(Path.GetFileName(versionDir)) != null && File.Exists(Path.Combine(versionDir, name + ".psd1"))) yield return versionDir;
        }
    }
}
