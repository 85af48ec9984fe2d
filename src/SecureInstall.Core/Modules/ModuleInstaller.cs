using SecureInstall.Core.Archives;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.Install;
using SecureInstall.Core.IO;
using SecureInstall.Core.Manifests;

namespace SecureInstall.Core.Modules;

public sealed class ModuleInstallerOptions
{
    /// <summary>The module folder to install into (&lt;ModulePath&gt;/&lt;Name&gt;/&lt;Version&gt;): see <see cref="ModulePaths.Default"/>.</summary>
    public string ModulePath { get; set; } = ModulePaths.Default(InstallScope.CurrentUser, desktop: false);

    /// <summary>Where the file lock that serialises writes of the lock file is kept (its .locks folder): the tool install root.</summary>
    public string LockRoot { get; set; } = ToolInstallerOptions.DefaultRoot(InstallScope.CurrentUser);

    /// <summary>Reinstall even when the installed tree verifies against the lock.</summary>
    public bool Force { get; set; }

    /// <summary>A bundle folder Save-PinnedModule wrote: each .nupkg is read from it instead of the feed (no network), and still held to its pin.</summary>
    public string? Source { get; set; }

    /// <summary>A bearer token for the feeds: sent to each feed's own host only, never after a redirect to another.</summary>
    public string? FeedToken { get; set; }

    public TimeSpan LockTimeout { get; set; } = TimeSpan.FromMinutes(10);
    public ArchiveExtractionOptions Extraction { get; set; } = new();
}

public enum ModuleInstallStatus
{
    Installed,
    AlreadyInstalled,
}

/// <summary>One module installed (or found installed and verified) by <see cref="ModuleInstaller"/>.</summary>
public sealed class ModuleInstallResult
{
    public string Name { get; internal set; } = string.Empty;
    public string Version { get; internal set; } = string.Empty;
    public ModuleInstallStatus Status { get; internal set; }
    public string Path { get; internal set; } = string.Empty;
    public string Sha512 { get; internal set; } = string.Empty;
    public string Source { get; internal set; } = string.Empty;
    public string TreeDigest { get; internal set; } = string.Empty;

    /// <summary>The pinned modules its .nuspec depends on ("Name Version").</summary>
    public IReadOnlyList<string> Dependencies { get; internal set; } = Array.Empty<string>();

    /// <summary>Installed because a requested module depends on it.</summary>
    public bool IsDependency { get; internal set; }

    public bool FromCache { get; internal set; }

    /// <summary>The Authenticode verdict on its files when the manifest pins a signer (as the lock records it); null otherwise.</summary>
    public string? Signature { get; internal set; }

    /// <summary>Catalog files (.cat) in the module: named, not relied on (each file must carry its own signature).</summary>
    public IReadOnlyList<string> Catalogs { get; internal set; } = Array.Empty<string>();
}

/// <summary>
/// Installs pinned PowerShell modules: the .nupkg from the pinned feed through the verified downloader (cache, mirrors,
/// SHA-512 checked before a byte is extracted) → extracted under the archive rules into a staging folder → the .nuspec and
/// the .psd1 (read as data) must name the pinned module and version → the NuGet packaging parts removed, as PSResourceGet
/// removes them → every .nuspec dependency must be pinned in the manifest, with no cycle → each module moved into
/// &lt;ModulePath&gt;/&lt;Name&gt;/&lt;Version&gt; in one step, dependencies first → the lock's modules section. Nothing is placed
/// until every module of the request is downloaded and checked.
/// </summary>
public sealed partial class ModuleInstaller
{
    private readonly ModuleInstallerOptions _options;
    private readonly VerifiedDownloader _downloader;

    public ModuleInstaller(ModuleInstallerOptions options, VerifiedDownloader downloader)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _downloader = downloader ?? throw new ArgumentNullException(nameof(downloader));
    }

    public ModuleInstallerOptions Options => _options;

    /// <summary>The modules named (all the manifest pins when none is), each checked against the manifest's rules.</summary>
    public static IReadOnlyList<PinnedModule> Select(PinnedManifest manifest, IEnumerable<string>? names)
    {
        if (manifest == null) throw new ArgumentNullException(nameof(manifest));
        var chosen = new List<PinnedModule>();
        List<string> wanted = names?.ToList() ?? new List<string>();
        if (wanted.Count == 0) chosen.AddRange(manifest.Modules);
        foreach (string name in wanted.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            chosen.Add(manifest.FindModule(name) ?? throw new ModuleException(ErrorIds.ModuleNotInManifest, FailureKind.NotFound, name,
                $"{manifest.Source} pins no module '{name}'{(manifest.Modules.Count > 0 ? $" (it pins {string.Join(", ", manifest.Modules.Select(m => m.Name))})" : " (it has no modules: section)")}."));
        }
        foreach (PinnedModule m in chosen) CheckPinned(m);
        return chosen;
    }

    internal static void CheckPinned(PinnedModule module)
    {
        if (module.Problems.Count > 0) throw module.Problems[0];
        if (module.Sha512 == null || PackageVersion.TryParse(module.Version) == null)
            throw new ModuleException(ErrorIds.ManifestVersionNotPinned, FailureKind.Security, module.Name, $"module {module.Name}: '{module.Version}' is not an exact package version.");
    }

    /// <summary>What installing <paramref name="module"/> does, for -WhatIf and the confirmation prompt.</summary>
    public string Describe(PinnedModule module) =>
        (_options.Source != null ? $"read {module.Name} {module.Version} from the bundle {_options.Source}, "
            : _downloader.Options.RegistryOnly ? $"fetch {module.Name} {module.Version} from the registries by sha512 only (never from {UriText.Redact(module.Source)}), "
            : $"download {module.Name} {module.Version} from {UriText.Redact(module.Source)} ({(NuGetFeed.IsV3(module.Source) ? "NuGet v3 flat container" : "NuGet v2")}), ") +
        $"verify sha512 {module.Sha512Hex}, " +
        $"check its .nuspec and .psd1 name {module.Name} {module.Version}, " +
        (module.SignaturePolicy != null ? $"verify the Authenticode signature of every script and PE file by {module.Signature}, " : "") +
        $"require its dependencies to be pinned, and install into {TargetOf(module)}";

    public string TargetOf(PinnedModule module) => ModulePaths.VersionDirectory(_options.ModulePath, module.Name, PackageVersion.TryParse(module.Version)!);

    /// <summary>Installs <paramref name="modules"/> and the pinned modules they depend on, and records them in the lock at <paramref name="lockPath"/>.</summary>
    public async Task<IReadOnlyList<ModuleInstallResult>> InstallAsync(PinnedManifest manifest, IReadOnlyList<PinnedModule> modules, string lockPath,
        Action<InstallEvent>? events = null, CancellationToken cancellationToken = default)
    {
        if (manifest == null) throw new ArgumentNullException(nameof(manifest));
        if (modules == null) throw new ArgumentNullException(nameof(modules));
        Action<string> log = line => events?.Invoke(InstallEvent.Info(line));
        InstallRootLayout.EnsureTrustedRoot(_options.ModulePath);
        InstallLock recorded = InstallLock.Load(lockPath);
        var staged = new Dictionary<string, Staged>(StringComparer.OrdinalIgnoreCase);
        var requested = new HashSet<string>(modules.Select(m => m.Name), StringComparer.OrdinalIgnoreCase);
        var temporaries = new List<string>(); // every download and staging folder, deleted however the install ends
        try
        {
            var queue = new Queue<PinnedModule>(modules);
            while (queue.Count > 0)
            {
                PinnedModule module = queue.Dequeue();
                if (staged.ContainsKey(module.Name)) continue;
                CheckPinned(module);
                Staged s = await StageAsync(module, recorded, temporaries, log, cancellationToken).ConfigureAwait(false);
                staged[module.Name] = s;
                foreach (NuSpecDependency dependency in s.Dependencies)
                {
                    PinnedModule pin = PinOf(manifest, module, dependency);
                    s.Pins.Add(pin);
                    queue.Enqueue(pin);
                }
            }

            var results = new List<ModuleInstallResult>();
            var entries = new List<ModuleLockEntry>();
            foreach (Staged s in DependenciesFirst(staged))
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (s.Staging != null)
                {
                    AtomicFile.WriteAllText(InstallRootLayout.TreeRecordPath(s.Target), s.Tree!.Listing);
                    DirectorySwap.MoveIntoPlace(s.Staging, s.Target, replace: Directory.Exists(s.Target));
                    log($"Installed {s.Module.Name} {s.Module.Version} into {s.Target} (tree {s.Tree.Digest}).");
                }
                var entry = new ModuleLockEntry
                {
                    Name = s.Module.Name, Version = s.Module.Version, Sha512 = s.Module.Sha512Hex, Source = s.Module.Source.AbsoluteUri,
                    TreeDigest = s.TreeDigest, Dependencies = s.Pins.Select(p => p.Name + " " + p.Version).ToList(), Signature = s.Signature,
                };
                entries.Add(entry);
                results.Add(new ModuleInstallResult
                {
                    Name = entry.Name, Version = entry.Version, Status = s.Staging == null ? ModuleInstallStatus.AlreadyInstalled : ModuleInstallStatus.Installed,
                    Path = s.Target, Sha512 = entry.Sha512, Source = UriText.Redact(s.Module.Source), TreeDigest = entry.TreeDigest, Dependencies = entry.Dependencies,
                    IsDependency = !requested.Contains(entry.Name), FromCache = s.FromCache, Signature = entry.Signature, Catalogs = s.Catalogs,
                });
            }
            InstallLock.Update(lockPath, _options.LockRoot, _options.LockTimeout, l => entries.ForEach(l.SetModule), cancellationToken);
            return results;
        }
        finally
        {
            foreach (string temporary in temporaries.Where(t => !t.EndsWith(Path.DirectorySeparatorChar.ToString(), StringComparison.Ordinal))) BestEffort.DeleteTree(temporary);
            foreach (string created in temporaries.Where(t => t.EndsWith(Path.DirectorySeparatorChar.ToString(), StringComparison.Ordinal)))
            {
                // A module folder this install created and left empty (it failed): gone, so no empty module shows in Get-Module -ListAvailable.
                try
                {
                    if (Directory.Exists(created) && !Directory.EnumerateFileSystemEntries(created).Any()) Directory.Delete(created);
                }
                catch (IOException) { }
                catch (UnauthorizedAccessException) { }
            }
        }
    }

    /// <summary>The pin a dependency resolves to: the manifest must pin it, at a version inside the .nuspec's range.</summary>
    /// <param name="outcome">What the failure left undone, for the message.</param>
    internal static PinnedModule PinOf(PinnedManifest manifest, PinnedModule dependent, NuSpecDependency dependency, string outcome = "nothing was installed")
    {
        PinnedModule pin = manifest.FindModule(dependency.Id)
            ?? throw new ModuleException(ErrorIds.ModuleDependencyNotPinned, FailureKind.InvalidData, dependent.Name,
                $"{dependent.Name} {dependent.Version} depends on {dependency}, which {manifest.Source} does not pin. Pin it under modules: " +
                $"(Update-PinnedModuleManifest writes the pins of a module and its dependencies); a dependency is never fetched unpinned. {Capitalised(outcome)}.");
        PackageVersion pinned = PackageVersion.TryParse(pin.Version)!;
        if (pinned.Satisfies(dependency.Range) != true)
            throw new ModuleException(ErrorIds.ModuleDependencyNotPinned, FailureKind.InvalidData, dependent.Name,
                $"{dependent.Name} {dependent.Version} depends on {dependency.Id} {dependency.Range}, and the manifest pins {pin.Name} {pin.Version}, outside that range. {Capitalised(outcome)}.");
        return pin;
    }

    private static string Capitalised(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text.Substring(1);

    /// <summary>Dependencies before their dependents; a cycle is refused, naming it.</summary>
    private static List<Staged> DependenciesFirst(Dictionary<string, Staged> staged)
    {
        var order = new List<Staged>();
        var done = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var path = new List<string>();
        void Visit(Staged s)
        {
            if (done.Contains(s.Module.Name)) return;
            int at = path.FindIndex(p => string.Equals(p, s.Module.Name, StringComparison.OrdinalIgnoreCase));
            if (at >= 0)
            {
                string cycle = string.Join(" -> ", path.Skip(at).Concat(new[] { s.Module.Name }));
                throw new ModuleException(ErrorIds.ModuleDependencyCycle, FailureKind.InvalidData, s.Module.Name,
                    $"the pinned modules depend on each other in a cycle: {cycle}. PowerShell cannot import such modules; nothing was installed.");
            }
            path.Add(s.Module.Name);
            foreach (PinnedModule pin in s.Pins) Visit(staged[pin.Name]);
            path.RemoveAt(path.Count - 1);
            done.Add(s.Module.Name);
            order.Add(s);
        }
        foreach (Staged s in staged.Values) Visit(s);
        return order;
    }

    /// <summary>Downloads, verifies, extracts and checks one module into a staging folder beside its target (or keeps a verified install).</summary>
    private async Task<Staged> StageAsync(PinnedModule module, InstallLock recorded, List<string> temporaries, Action<string> log, CancellationToken cancellationToken)
    {
        PackageVersion version = PackageVersion.TryParse(module.Version)!;
        string target = TargetOf(module);
        string nameDir = Path.GetDirectoryName(target)!;
        var s = new Staged(module, target);

        RefuseUntrustedFolder(module, nameDir);
        RefuseUntrustedFolder(module, target);
        Signatures.Authenticode.AuthenticodeRequirement? signature = ModuleSignatures.RequirementOf(module);
        if (!_options.Force && recorded.FindModule(module.Name, module.Version) is { } locked && Checksums.Hex.DigestEquals(locked.Sha512, module.Sha512Hex)
            && (signature == null || locked.Signature != null) // a signer pinned since the install is checked by installing again
            && UnixFileSystem.TryGetEntry(target, out FileStatus existing) && existing.Kind == UnixEntryKind.Directory
            && InstalledTree.Compute(target, cancellationToken).Digest == locked.TreeDigest)
        {
            log($"{module.Name} {module.Version} is already installed at {target}; its tree verified against the lock ({locked.TreeDigest}).");
            s.TreeDigest = locked.TreeDigest;
            s.Signature = locked.Signature;
            s.Dependencies = locked.Dependencies.Select(d => new NuSpecDependency(d.Split(' ')[0], "[" + d.Substring(d.IndexOf(' ') + 1) + "]")).ToList();
            return s;
        }

        if (!Directory.Exists(nameDir)) temporaries.Add(nameDir + Path.DirectorySeparatorChar); // removed again if it stays empty
        UnixFileSystem.CreateDirectory(nameDir, 0x1ED /* 0755 */);
        string work = Path.Combine(nameDir, ".download-" + Guid.NewGuid().ToString("N"));
        temporaries.Add(work);
        UnixFileSystem.CreateDirectory(work, 0x1ED);
        string package = Path.Combine(work, $"{module.Name.ToLowerInvariant()}.{version.Normalized}.nupkg");
        DownloadRequest request = _options.Source != null
            ? new DownloadRequest(BundledPackage(module), package) { Expected = module.Sha512, MaximumSize = NuGetFeed.MaximumPackageBytes }
            : NuGetFeed.PackageRequest(module, version, package, _downloader, _options.FeedToken);
        DownloadResult downloaded = await _downloader.DownloadAsync(request, null, cancellationToken).ConfigureAwait(false);
        s.FromCache = downloaded.FromCache;
        log($"Downloaded {UriText.Redact(downloaded.FinalUri)} ({downloaded.Size} bytes{(downloaded.FromCache ? ", from the cache" : "")}); sha512 {module.Sha512Hex} matches the manifest.");

        string staging = Path.Combine(nameDir, ".staging-" + Guid.NewGuid().ToString("N"));
        temporaries.Add(staging);
        s.Staging = staging;
        ArchiveExtractionOptions extraction = _options.Extraction.Clone();
        extraction.DecodePercentEscapes = true; // a .nupkg's entry names are OPC part names ("My%20Module.psm1")
        ArchiveExtractionResult extracted = new SafeArchiveExtractor(extraction).Extract(downloaded.Path, staging, null, cancellationToken);
        log($"Extracted {extracted.Entries.Count} entries of {module.Name} {module.Version}, every one checked against the archive rules.");

        NuSpec spec = CheckPackage(module, staging, version, "nothing was installed", out IReadOnlyList<string> external);
        log($"{module.Name} {module.Version}: its .nuspec and {module.Name}.psd1 name the pinned module and version; it depends on " +
            $"{(spec.Dependencies.Count == 0 ? "no module" : string.Join(", ", spec.Dependencies))}, and its RequiredModules names none but those" +
            (external.Count == 0 ? "." : $" and {string.Join(", ", external)}, which it declares external (ExternalModuleDependencies: on no feed, so not pinned; Import-Module loads them from PSModulePath)."));
        RemovePackagingParts(staging, spec.Id);
        s.Dependencies = spec.Dependencies;
        if (signature != null)
        {
            // In staging, before anything is placed: an unsigned or other-signer file refuses the whole install, naming the file.
            log($"Verifying the {signature.Describe(null)} of {module.Name} {module.Version}'s files.");
            ModuleSignatureVerdict verdict = ModuleSignatures.Verify(signature, staging, $"{module.Name}/{module.Version}", cancellationToken);
            s.Signature = verdict.Description;
            s.Catalogs = verdict.Catalogs;
            log($"Verified the {verdict.Description}.");
        }

        InstalledTree tree = InstalledTree.Compute(staging, cancellationToken);
        tree.RefuseEscapingLinks(module.Name, module.Version);
        s.Tree = tree;
        s.TreeDigest = tree.Digest;
        return s;
    }

    /// <summary>
    /// An existing &lt;Name&gt; or &lt;Name&gt;/&lt;Version&gt; folder is held to the module path's own rule: a link there would put the
    /// module (and the staging folder) outside the module path, and a folder another user owns or can write lets them change
    /// the module after it is verified.
    /// </summary>
    private static void RefuseUntrustedFolder(PinnedModule module, string folder)
    {
        if (!UnixFileSystem.TryGetEntry(folder, out FileStatus entry)) return;
        if (entry.Kind != UnixEntryKind.Directory)
            throw new ModuleException(ErrorIds.InstallRootNotTrusted, FailureKind.Security, folder,
                $"'{folder}' is {(entry.Kind == UnixEntryKind.SymbolicLink ? "a symbolic link" : "not a folder")}, where {module.Name} {module.Version} would be installed: " +
                "a module is only installed into a real folder of the module path. Remove it (or install elsewhere with -ModulePath). Nothing was installed.");
        DirectoryTrust.Check(folder, ErrorIds.InstallRootNotTrusted, "module folder", "Make it yours (chown; chmod go-w) or remove it, or install elsewhere (-ModulePath). Nothing was installed.");
    }

    /// <summary>The module's .nupkg in the bundle <see cref="ModuleInstallerOptions.Source"/> (Save-PinnedModule's layout), held to the same pin as from the feed.</summary>
    private Uri BundledPackage(PinnedModule module)
    {
        string path = new BundleLayout(_options.Source!).ModulePackagePath(module);
        if (!File.Exists(path))
            throw new ModuleException(ErrorIds.NotInBundle, FailureKind.NotFound, module.Name,
                $"the bundle '{_options.Source}' holds no package of {module.Name} {module.Version} pinned by sha512 {module.Sha512Hex}; save it again with Save-PinnedModule. Nothing was installed.");
        return new Uri(Path.GetFullPath(path));
    }

    /// <summary>Whether a feed credential may go to <paramref name="a"/>: the feed <paramref name="b"/>'s own origin only.</summary>
    internal static bool SameOrigin(Uri a, Uri b) =>
        string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase) && string.Equals(a.Host, b.Host, StringComparison.OrdinalIgnoreCase) && a.Port == b.Port;

    private sealed class Staged
    {
        public Staged(PinnedModule module, string target)
        {
            Module = module;
            Target = target;
        }

        public PinnedModule Module { get; }
        public string Target { get; }
        public string? Staging { get; set; }
        public InstalledTree? Tree { get; set; }
        public string TreeDigest { get; set; } = string.Empty;
        public bool FromCache { get; set; }
        public IReadOnlyList<NuSpecDependency> Dependencies { get; set; } = Array.Empty<NuSpecDependency>();
        public List<PinnedModule> Pins { get; } = new();
        public string? Signature { get; set; }
        public IReadOnlyList<string> Catalogs { get; set; } = Array.Empty<string>();
    }
}
