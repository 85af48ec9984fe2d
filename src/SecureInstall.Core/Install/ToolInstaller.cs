using SecureInstall.Core.Archives;
using SecureInstall.Core.Checksums;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.IO;
using SecureInstall.Core.Manifests;

namespace SecureInstall.Core.Install;

/// <summary>
/// Installs pinned tools: resolve → verified download → safe extraction (or a plain binary) → atomic move into
/// <c>&lt;root&gt;/&lt;tool&gt;/&lt;version&gt;/</c> → shims → lock. One process at a time per tool (a file lock);
/// an interrupted install leaves the previous version working and no half-written version folder.
/// </summary>
public sealed class ToolInstaller
{
    private readonly ToolInstallerOptions _options;
    private readonly VerifiedDownloader _downloader;

    public ToolInstaller(ToolInstallerOptions options, VerifiedDownloader downloader)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _downloader = downloader ?? throw new ArgumentNullException(nameof(downloader));
    }

    public ToolInstallerOptions Options => _options;

    /// <summary>Resolves a tool to one artifact and checks every fail-closed rule; throws when it may not be installed.</summary>
    public InstallPlan Plan(PinnedManifest manifest, InstallLock lockFile, string name, string? version)
    {
        ResolvedArtifact resolved = PinnedArtifactResolver.Resolve(manifest, name, version, _options.Platform);
        PinnedTool tool = resolved.Tool;
        PinnedVersion pinned = resolved.Version;
        PinnedArtifact artifact = resolved.Artifact;
        if (_options.Locked) CheckLocked(lockFile, tool, pinned, artifact);

        string target = InstallRootLayout.VersionDirectory(_options.Root, tool.Name, pinned.Version);
        var uris = new List<Uri>();
        Uri? bundleUri = resolved.SigstoreBundleUri;
        Signatures.ManifestSignatureRequirement? signature = resolved.Signature;
        if (_options.Source != null)
        {
            // From a Save-PinnedTool bundle: the artifact and what vouches for it are taken from beside it, and checked as online.
            var layout = new BundleLayout(_options.Source);
            string bundled = layout.Existing(artifact)
                ?? throw new InstallException(ErrorIds.NotInBundle, FailureKind.NotFound, tool.Name, $"the bundle '{_options.Source}' holds no artifact pinned by {artifact.DescribePin()} for {tool.Name} {pinned.Version}; save it again with Save-PinnedTool.");
            uris.Add(new Uri(bundled));
            if (resolved.Sigstore != null) bundleUri = new Uri(BundledCompanion(layout, resolved, ToolInstaller.FileNameOf(bundleUri!), "bundle"));
            if (signature != null) signature = signature.WithSignatureUri(new Uri(BundledCompanion(layout, resolved, signature.SignatureFileName, "signature")));
        }
        else
        {
            uris.Add(artifact.Url);
            uris.AddRange(artifact.Mirrors);
        }

        IReadOnlyList<string> executables = InstallShims.ExecutablesOf(artifact);
        // An Authenticode policy checks the executables the install names; with none named it would check nothing and vouch anyway.
        if (resolved.Authenticode != null && executables.Count == 0)
            throw new InstallException(ErrorIds.ManifestInvalid, FailureKind.InvalidData, tool.Name,
                $"{manifest.Source}: {tool.Name} {pinned.Version} ({_options.Platform}): its signature policy is Authenticode, which checks the executables the install places, "
                + "but the artifact names none: list them under bin: (or install a plain binary with archive: binary).");
        SortedDictionary<string, string> commands = InstallShims.CommandsFor(manifest, tool, executables, _options.Platform);
        var shims = commands.Keys.Select(ShimPath).ToList();
        var actions = new List<string>
        {
            $"download {string.Join(" (then mirrors: ", uris.Select(u => u.AbsoluteUri))}{(uris.Count > 1 ? ")" : "")} and verify {(artifact.IsPinned ? artifact.DescribePin() : "sha256 (waived)")}",
            KindOf(artifact) == ArtifactKind.Binary ? $"copy the binary into {target}" : $"extract into {target}{(artifact.StripComponents > 0 ? $" (strip {artifact.StripComponents})" : "")}",
        };
        IReadOnlyList<Waiver> waivers = artifact.TrustedOnFirstUse is { } tofu ? pinned.Waivers.Append(tofu).ToList() : pinned.Waivers;
        InstallerCommand? installerCommand = null;
        if (artifact.Installer is { } setup)
        {
            // The installer runs from the verified copy in the version folder: -WhatIf shows the exact command line.
            installerCommand = InstallerRun.CommandFor(setup, Path.Combine(target, FileNameOf(artifact.Url)), tool.Name);
            actions.Add(_options.RunsInstallers
                ? $"run {installerCommand.CommandLine}{(setup.Elevated ? " (elevated: machine scope)" : "")}"
                : $"refuse to run the {setup.Type} installer: installers run only on Windows");
            waivers = waivers.Concat(new[] { new Waiver(PinnedInstaller.WaiverRule, setup.WaiverReason, artifact.Line) }).ToList();
        }
        if (signature != null) actions.Insert(1, $"verify the {signature.Describe(null)} before using the download");
        if (resolved.Sigstore != null) actions.Insert(1, $"verify the {resolved.Sigstore.Describe(null)} from {bundleUri!.AbsoluteUri} before using the download");
        if (resolved.Authenticode != null) actions.Insert(actions.Count, $"verify the {resolved.Authenticode.Describe(null)} before placing it");
        actions.AddRange(shims.Select(s => $"write shim {s}"));
        actions.Add($"record {tool.Name} {pinned.Version} ({_options.Platform}) in the lock");
        return new InstallPlan
        {
            Tool = tool.Name, Version = pinned.Version, Platform = _options.Platform, Artifact = artifact, Uris = uris,
            Waivers = waivers, InstallerCommand = installerCommand, TargetDirectory = target, Shims = shims, Executables = executables, DigestSource = resolved.DigestSource, LockDigestSource = resolved.LockDigestSource, Actions = actions,
            ShimCommands = commands, OwnedShims = tool.OwnsShims,
            Signature = signature,
            // Named as the manifest gives it, not where this install reads it from (a bundle): the lock is the same either way.
            LockSignatureUrl = resolved.Signature == null ? null : artifact.LockUrlOf(resolved.Signature.SignatureUri, tool.Signature?.BaseDirectory),
            Sigstore = resolved.Sigstore,
            SigstoreBundleUri = bundleUri,
            Authenticode = resolved.Authenticode,
        };
    }

    /// <summary>-Locked: only what the lock records, with the pin and (for remote URLs) the URL the manifest gives.</summary>
    private void CheckLocked(InstallLock lockFile, PinnedTool tool, PinnedVersion pinned, PinnedArtifact artifact)
    {
        LockEntry locked = lockFile.Find(tool.Name, pinned.Version, _options.Platform)
            ?? throw new InstallException(ErrorIds.NotLocked, FailureKind.Security, tool.Name,
                $"-Locked: the lock records no {tool.Name} {pinned.Version} for {_options.Platform}. Install it without -Locked and commit the lock.");
        // The digest decides; a file: URL differs from machine to machine (bundles, checkouts), so only remote URLs must match too.
        bool urlDiffers = !artifact.Url.IsFile && !locked.Url.StartsWith("file:", StringComparison.OrdinalIgnoreCase) && locked.Url != artifact.LockUrl;
        if (!locked.RecordsPinOf(artifact) || urlDiffers)
            throw new InstallException(ErrorIds.LockMismatch, FailureKind.Security, tool.Name,
                $"-Locked: the manifest and the lock disagree on {tool.Name} {pinned.Version} ({_options.Platform}): manifest {artifact.Url.AbsoluteUri} {artifact.DescribePin()}, " +
                $"lock {locked.Url} sha256 {locked.Sha256}{(locked.Integrity != null ? " integrity " + locked.Integrity : "")}. Re-lock deliberately, or restore the manifest.");
    }

    /// <summary>The signature or Sigstore bundle Save-PinnedTool kept beside a bundled artifact; refused when it is missing.</summary>
    private string BundledCompanion(BundleLayout layout, ResolvedArtifact resolved, string fileName, string what)
    {
        string path = layout.BesideArtifact(resolved.Artifact, fileName);
        if (!File.Exists(path))
            throw new InstallException(ErrorIds.SignatureNotFound, FailureKind.Security, resolved.Tool.Name,
                $"{resolved.Tool.Name} requires a {resolved.Tool.Signature!.Scheme} {what}, and the bundle '{_options.Source}' holds the artifact but not {fileName}; save the bundle again with Save-PinnedTool.");
        return Path.GetFullPath(path);
    }

    /// <summary>What vouched for the bytes, as the lock records it: the pinned digest, then the signature that verified.</summary>
    private static List<string> VerifiedBy(InstallPlan plan, DownloadResult downloaded, IReadOnlyList<Signatures.SignatureResult>? authenticode)
    {
        var by = new List<string>();
        if (plan.Artifact.IsPinned) by.Add(plan.LockDigestSource);
        if (plan.Signature != null) by.Add(plan.Signature.Describe(downloaded.Signature, plan.LockSignatureUrl));
        if (plan.Sigstore != null) by.Add(plan.Sigstore.Describe(downloaded.Signature));
        if (plan.Authenticode != null) by.Add(plan.Authenticode.Describe(authenticode, withChecks: false));
        return by;
    }

    /// <summary>Carries out a plan and records it in the lock at <paramref name="lockPath"/>.</summary>
    /// <param name="events">What was checked and done (<see cref="InstallEventKind.Info"/>), and each waiver the manifest applies
    /// (<see cref="InstallEventKind.Waiver"/>): the front end shows waivers always.</param>
    public async Task<InstallResult> InstallAsync(InstallPlan plan, string lockPath, IProgress<DownloadProgress>? progress = null, Action<InstallEvent>? events = null, CancellationToken cancellationToken = default)
    {
        Action<string>? log = events == null ? null : line => events(InstallEvent.Info(line));
        string toolDir = Path.GetDirectoryName(plan.TargetDirectory)!;
        if (_options.Scope == InstallScope.AllUsers) MachineRoot.EnsureReady(_options.Root, $"Installing {plan.Tool}", create: true, _options.MachineSecurity);
        InstallRootLayout.EnsureTrustedRoot(_options.Root);
        // A machine-scope installer in a session that is not elevated is refused before anything is downloaded.
        if (plan.Artifact.Installer is { } elevated && _options.RunsInstallers) InstallerRun.CheckCanRun(elevated, plan.Tool, true, _options.MachineSecurity ?? MachineRoot.Platform);
        UnixFileSystem.CreateDirectory(toolDir, 0x1ED /* 0755 */);
        using FileLock toolLock = FileLock.TryAcquire(InstallRootLayout.ToolLockPath(_options.Root, plan.Tool), _options.LockTimeout, cancellationToken,
                () => log?.Invoke($"Another process is installing {plan.Tool}; waiting for it."))
            ?? throw new InstallException(ErrorIds.InstallInProgress, FailureKind.ResourceUnavailable, plan.Tool, $"another process has been installing {plan.Tool} for over {_options.LockTimeout.TotalMinutes:F0} minutes; try again later.");

        RemoveLeftovers(toolDir, log);
        InstallShims.CheckOurs(_options.Root, plan, log);

        // Under the lock, what another process installed meanwhile counts: the second of two concurrent installs is a no-op.
        InstallLock current = InstallLock.Load(lockPath);
        if (!_options.Force && current.Find(plan.Tool, plan.Version, plan.Platform) is { } recorded && recorded.RecordsPinOf(plan.Artifact)
            && UnixFileSystem.TryGetEntry(plan.TargetDirectory, out FileStatus existing) && existing.Kind == UnixEntryKind.Directory)
        {
            if (InstalledTree.Compute(plan.TargetDirectory, cancellationToken).Digest == recorded.TreeDigest)
                return KeepInstalled(plan, recorded, current.IsLegacy, lockPath, log, cancellationToken);
            log?.Invoke($"{plan.Tool} {plan.Version} at {plan.TargetDirectory} no longer matches the lock; reinstalling.");
        }

        string work = Path.Combine(toolDir, ".download-" + Guid.NewGuid().ToString("N"));
        string staging = Path.Combine(toolDir, ".staging-" + Guid.NewGuid().ToString("N"));
        try
        {
            UnixFileSystem.CreateDirectory(work, 0x1ED /* 0755 whatever the umask */);
            foreach (Waiver w in plan.Waivers) events?.Invoke(new InstallEvent(InstallEventKind.Waiver, $"WAIVER {plan.Tool} {plan.Version}: {w}"));
            (DownloadResult downloaded, byte[]? bundleJson) = await DownloadAsync(plan, work, progress, log, cancellationToken).ConfigureAwait(false);
            // Verified, and refused before anything is placed where installers do not run.
            if (plan.Artifact.Installer is { } refused) InstallerRun.CheckCanRun(refused, $"{plan.Tool} {plan.Version}", _options.RunsInstallers, _options.MachineSecurity ?? MachineRoot.Platform);
            IReadOnlyDictionary<string, KnownFile>? known = Stage(plan, downloaded, staging, log, cancellationToken);
            IReadOnlyList<Signatures.SignatureResult>? authenticode = plan.Authenticode?.Verify(plan.Executables.Select(e => RelativePath.Combine(staging, e)), cancellationToken);
            if (authenticode != null) log?.Invoke($"Verified the {plan.Authenticode!.Describe(authenticode)}.");

            InstalledTree tree = InstalledTree.Compute(staging, known, cancellationToken);
            tree.RefuseEscapingLinks(plan.Tool, plan.Version);
            AtomicFile.WriteAllText(InstallRootLayout.TreeRecordPath(plan.TargetDirectory), tree.Listing);
            DirectorySwap.MoveIntoPlace(staging, plan.TargetDirectory, replace: Directory.Exists(plan.TargetDirectory));
            bool rebootRequired = false;
            if (plan.Artifact.Installer is { } setup)
            {
                try
                {
                    rebootRequired = await InstallerRun.RunAsync(setup, plan.InstallerCommand!, plan.Tool, _options.InstallerLauncher ?? new ProcessInstallerLauncher(), _options.RunsInstallers,
                        _options.MachineSecurity ?? MachineRoot.Platform, log, cancellationToken).ConfigureAwait(false) == InstallerOutcome.SucceededRebootRequired;
                }
                catch
                {
                    // A refused or failed run records nothing: the verified installer is not kept as if it had installed.
                    BestEffort.DeleteTree(plan.TargetDirectory);
                    throw;
                }
                if (rebootRequired) events?.Invoke(new InstallEvent(InstallEventKind.Warning, $"{plan.Tool} {plan.Version} is installed; restart Windows to finish (the installer asked for it)."));
            }
            log?.Invoke($"Installed {plan.Tool} {plan.Version} into {plan.TargetDirectory} (tree {tree.Digest}).");
            InstallShims.Write(_options.Root, plan);

            // The lock holds only what is true on every machine (the url as the manifest writes it, the manifest by its file name);
            // where it went and which shims it wrote are this root's own state.
            var entry = new LockEntry
            {
                Tool = plan.Tool, Version = plan.Version, Platform = plan.Platform, Url = plan.Artifact.LockUrl,
                // With only an integrity pin, the SHA-256 recorded is that of the bytes that matched it.
                Sha256 = plan.Artifact.IsPinned ? downloaded.Sha256 : string.Empty, Integrity = plan.Artifact.IntegrityText,
                Size = downloaded.Size, TreeDigest = tree.Digest,
                VerifiedBy = VerifiedBy(plan, downloaded, authenticode),
                Waivers = plan.Waivers.Select(w => w.ToString()).ToList(),
                SignaturePolicy = plan.Sigstore == null ? null : new SortedDictionary<string, string>(plan.Sigstore.Settings.ToDictionary(kv => kv.Key, kv => kv.Value), StringComparer.Ordinal),
                SigstoreBundle = bundleJson == null ? null : Encoding.UTF8.GetString(bundleJson),
            };
            RecordInRoot(plan, downloaded.Sha256, tree.Digest, cancellationToken);
            InstallLock.Update(lockPath, _options.Root, _options.LockTimeout, l => l.Set(entry), cancellationToken, log);
            InstallResult result = Result(plan, entry, InstallStatus.Installed, downloaded.FromCache);
            result.RebootRequired = rebootRequired;
            return result;
        }
        finally
        {
            BestEffort.DeleteTree(work);
            BestEffort.DeleteTree(staging);
        }
    }

    /// <summary>
    /// The tree verified against the lock: keep it, rewrite the shims, and record it in this root's state. A lock in the earlier
    /// format is written again (migrated): its url and digest source for this tool as every machine reads them, its per-machine
    /// fields dropped.
    /// </summary>
    private InstallResult KeepInstalled(InstallPlan plan, LockEntry recorded, bool legacyLock, string lockPath, Action<string>? log, CancellationToken cancellationToken)
    {
        log?.Invoke($"{plan.Tool} {plan.Version} is already installed at {plan.TargetDirectory}; its tree verified against the lock ({recorded.TreeDigest}).");
        InstallShims.Write(_options.Root, plan);
        if (recorded.InstalledPath.Length > 0 && !InstallRootLayout.SamePath(recorded.InstalledPath, plan.TargetDirectory))
            log?.Invoke($"The lock recorded {plan.Tool} {plan.Version} at {recorded.InstalledPath}; it verified at {plan.TargetDirectory}, which this root's state records.");
        InstallRecord? inRoot = InstallRootState.Load(_options.Root).Find(plan.Tool, plan.Version);
        if (inRoot == null || inRoot.TreeDigest != recorded.TreeDigest || !inRoot.Shims.SequenceEqual(plan.ShimCommands))
            RecordInRoot(plan, recorded.Sha256, recorded.TreeDigest, cancellationToken);
        if (legacyLock)
        {
            // The pin matched (RecordsPinOf), so the digest decides: a file: url resolved on some machine becomes the manifest's
            // relative one, and the digest source (first, as VerifiedBy writes it) names the manifest as every machine does.
            if (recorded.Url.StartsWith("file:", StringComparison.OrdinalIgnoreCase) || recorded.Url == plan.Artifact.Url.AbsoluteUri) recorded.Url = plan.Artifact.LockUrl;
            if (plan.Artifact.IsPinned && recorded.VerifiedBy.Count > 0 && recorded.VerifiedBy[0].Contains(" pinned in "))
                recorded.VerifiedBy = new[] { plan.LockDigestSource }.Concat(recorded.VerifiedBy.Skip(1)).ToList();
            InstallLock.Update(lockPath, _options.Root, _options.LockTimeout, l => l.Set(recorded), cancellationToken, log);
        }
        return Result(plan, recorded, InstallStatus.AlreadyInstalled, fromCache: false);
    }

    /// <summary>Records in the root's state that <paramref name="plan"/>'s tool version is installed here, with its tree and shims.</summary>
    private void RecordInRoot(InstallPlan plan, string sha256, string treeDigest, CancellationToken cancellationToken) =>
        InstallRootState.Update(_options.Root, _options.LockTimeout, state => state.Set(new InstallRecord
        {
            Tool = plan.Tool, Version = plan.Version, Platform = plan.Platform, Sha256 = plan.Artifact.IsPinned ? sha256 : string.Empty, TreeDigest = treeDigest,
            Shims = new SortedDictionary<string, string>(plan.ShimCommands.ToDictionary(kv => kv.Key, kv => kv.Value), StringComparer.Ordinal),
        }), cancellationToken);

    /// <summary>
    /// Fetches the artifact into <paramref name="work"/>, held to every pinned digest and to the signature or Sigstore bundle
    /// the plan requires; returns the download and the bundle's bytes (kept in the lock).
    /// </summary>
    private async Task<(DownloadResult Downloaded, byte[]? BundleJson)> DownloadAsync(InstallPlan plan, string work, IProgress<DownloadProgress>? progress,
        Action<string>? log, CancellationToken cancellationToken)
    {
        var request = new DownloadRequest(plan.Uris, Path.Combine(work, FileNameOf(plan.Artifact.Url)))
        {
            Expected = plan.Artifact.Expected(plan.DigestSource),
            ExpectedSize = plan.Artifact.Size,
            SkipVerification = !plan.Artifact.IsPinned && plan.Signature == null && plan.Sigstore == null,
            SignatureUri = plan.Signature?.SignatureUri,
            SignatureVerifier = plan.Signature?.Verifier,
        };
        byte[]? bundleJson = null;
        if (plan.Sigstore != null)
        {
            // The bundle is only data until it verifies against the artifact's digests, offline, before anything is placed.
            // Capped before it is fetched: nothing near a bundle's size limit is read, let alone the 8 GiB an artifact may have.
            byte[] json = bundleJson = await plan.Sigstore.FetchAsync(_downloader, plan.SigstoreBundleUri!, plan.Artifact.Sha256, cancellationToken).ConfigureAwait(false);
            request.DigestCheck = (digests, ct) => plan.Sigstore.Verify(json, plan.SigstoreBundleUri!.AbsoluteUri, digests, ct);
        }
        DownloadResult downloaded = await _downloader.DownloadAsync(request, progress, cancellationToken).ConfigureAwait(false);
        string checkedAs = plan.Artifact.IsPinned
            ? (plan.Artifact.Sha256 != null ? $"sha256 {downloaded.Sha256} matches {plan.DigestSource}" : $"{plan.Artifact.IntegrityText} matches {plan.DigestSource} (sha256 {downloaded.Sha256})")
            : $"sha256 {downloaded.Sha256} {(plan.Signature == null && plan.Sigstore == null ? "NOT VERIFIED (waived)" : "(no pinned digest)")}";
        log?.Invoke($"Downloaded {UriText.Redact(downloaded.FinalUri)} ({downloaded.Size} bytes{(downloaded.FromCache ? ", from the cache" : "")}); {checkedAs}.");
        if (plan.Signature != null) log?.Invoke($"Verified the {plan.Signature.Describe(downloaded.Signature)}.");
        if (plan.Sigstore != null) log?.Invoke($"Verified the {plan.Sigstore.Describe(downloaded.Signature)}.");
        return (downloaded, bundleJson);
    }

    /// <summary>Lays the verified download out in <paramref name="staging"/>: a plain binary copied, an archive extracted under the archive rules.</summary>
    /// <returns>For a raw binary, the file moved into the tree with the SHA-256 it was verified by, so the tree listing does not read it again.</returns>
    private IReadOnlyDictionary<string, KnownFile>? Stage(InstallPlan plan, DownloadResult downloaded, string staging, Action<string>? log, CancellationToken cancellationToken)
    {
        Dictionary<string, KnownFile>? known = null;
        if (KindOf(plan.Artifact) == ArtifactKind.Binary)
        {
            UnixFileSystem.CreateDirectory(staging, 0x1ED /* 0755 whatever the umask */);
            string name = InstallShims.BinaryFileName(plan.Artifact);
            string exe = Path.Combine(staging, name);
            File.Move(downloaded.Path, exe);
            UnixFileSystem.SetExecutable(exe, true);
            // Taken after the move, inside the staging folder of an install root already checked to be ours alone.
            if (KnownFile.Of(exe, downloaded.Sha256) is KnownFile file) known = new Dictionary<string, KnownFile>(StringComparer.Ordinal) { [name] = file };
        }
        else
        {
            ArchiveExtractionOptions extraction = _options.Extraction.Clone();
            extraction.StripComponents = plan.Artifact.StripComponents;
            ArchiveExtractionResult extracted = new SafeArchiveExtractor(extraction).Extract(downloaded.Path, staging, null, cancellationToken);
            log?.Invoke($"Extracted {extracted.Entries.Count} entries, every one checked against the archive rules.");
        }

        foreach (string exe in plan.Executables)
        {
            string path = RelativePath.Combine(staging, exe);
            if (!File.Exists(path))
                throw new InstallException(ErrorIds.ExecutableNotInArtifact, FailureKind.InvalidData, plan.Tool, $"{plan.Tool} {plan.Version}: the artifact holds no '{exe}' (the manifest's bin). Check bin and strip_components.");
            // The manifest declares it an executable; archives made on Windows often lose the bit. Never setuid/setgid.
            if (!UnixFileSystem.IsWindows && !UnixFileSystem.IsExecutable(path)) UnixFileSystem.SetExecutable(path, true);
        }
        return known;
    }

    public string ShimPath(string name) => InstallRootLayout.ShimPath(_options.Root, name);

    /// <summary>Under the tool lock, any staging, download or old folder belongs to an install that was interrupted.</summary>
    /// <remarks>
    /// Runs under the tool's lock, so nothing else is working here. Besides our staging, download, old and removing
    /// folders, a process killed while extracting leaves the extractor's temporary tree beside the staging folder, and one
    /// killed while writing a file leaves an atomic write's temporary file: both are named by AtomicFile.TemporaryPathFor.
    /// </remarks>
    private static void RemoveLeftovers(string toolDir, Action<string>? log)
    {
        foreach (string dir in Directory.GetDirectories(toolDir))
        {
            string name = Path.GetFileName(dir);
            if (InstallRootLayout.IsLeftover(name))
            {
                log?.Invoke($"Removing {dir}, left by an interrupted install.");
                BestEffort.DeleteTree(dir);
            }
        }
        foreach (string file in Directory.GetFiles(toolDir))
        {
            if (!AtomicFile.IsTemporaryName(Path.GetFileName(file))) continue;
            log?.Invoke($"Removing {file}, left by an interrupted install.");
            BestEffort.DeleteFile(file);
        }
    }

    internal static string FileNameOf(Uri url)
    {
        string name = Uri.UnescapeDataString(url.Segments.Length > 0 ? url.Segments[url.Segments.Length - 1] : string.Empty).Trim('/');
        return RelativePath.IsPlainFileName(name) ? name : "artifact";
    }

    internal static ArtifactKind KindOf(PinnedArtifact artifact)
    {
        if (artifact.Kind != ArtifactKind.Auto) return artifact.Kind;
        string name = FileNameOf(artifact.Url).ToLowerInvariant();
        string[] archives = { ".zip", ".tar", ".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".tbz2", ".tar.zst", ".tzst" };
        return archives.Any(name.EndsWith) ? ArtifactKind.Auto : ArtifactKind.Binary;
    }

    private static InstallResult Result(InstallPlan plan, LockEntry entry, InstallStatus status, bool fromCache) => new()
    {
        Name = plan.Tool, Version = plan.Version, Platform = plan.Platform, Status = status, Path = plan.TargetDirectory,
        Sha256 = entry.Sha256, VerifiedBy = entry.VerifiedBy, TreeDigest = entry.TreeDigest, Shims = plan.Shims, Waivers = entry.Waivers, FromCache = fromCache,
    };
}
