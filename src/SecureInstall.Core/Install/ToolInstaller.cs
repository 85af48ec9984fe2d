using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using SecureInstall.Core.Archives;
using SecureInstall.Core.Checksums;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.IO;
using SecureInstall.Core.Manifests;

namespace SecureInstall.Core.Install;

public enum InstallScope
{
    CurrentUser,
    AllUsers,
}

public sealed class ToolInstallerOptions
{
    /// <summary>Where tools go: <c>&lt;Root&gt;/&lt;tool&gt;/&lt;version&gt;/</c>, shims in <c>&lt;Root&gt;/bin</c>.</summary>
    public string Root { get; set; } = DefaultRoot(InstallScope.CurrentUser);

    public string Platform { get; set; } = Platforms.Current;

    /// <summary>CI mode: install only what the lock records, and fail when the manifest disagrees with it.</summary>
    public bool Locked { get; set; }

    /// <summary>A folder written by Save-PinnedTool: artifacts are taken from it by digest, with no network.</summary>
    public string? Source { get; set; }

    /// <summary>Reinstall even when the installed tree verifies.</summary>
    public bool Force { get; set; }

    /// <summary>How long to wait for another process installing the same tool.</summary>
    public TimeSpan LockTimeout { get; set; } = TimeSpan.FromMinutes(10);

    public ArchiveExtractionOptions Extraction { get; set; } = new();

    public string BinDirectory => Path.Combine(Root, "bin");

    /// <summary>
    /// Per user: %LOCALAPPDATA%\SecureInstall\tools on Windows, $XDG_DATA_HOME/secureinstall/tools (~/.local/share) elsewhere;
    /// all users: %ProgramData%\SecureInstall\tools or /opt/secureinstall/tools. SECUREINSTALL_HOME overrides both.
    /// </summary>
    public static string DefaultRoot(InstallScope scope)
    {
        string? overridden = Environment.GetEnvironmentVariable("SECUREINSTALL_HOME");
        if (!string.IsNullOrEmpty(overridden)) return Path.Combine(overridden, "tools");
        bool windows = Path.DirectorySeparatorChar == '\\';
        if (scope == InstallScope.AllUsers)
            return windows ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.CommonApplicationData), "SecureInstall", "tools") : "/opt/secureinstall/tools";
        if (windows) return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "SecureInstall", "tools");
        string? xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        string data = string.IsNullOrEmpty(xdg) ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share") : xdg!;
        return Path.Combine(data, "secureinstall", "tools");
    }
}

/// <summary>What an install will do, before it does it (for -WhatIf and for the install itself).</summary>
public sealed class InstallPlan
{
    public string Tool { get; internal set; } = string.Empty;
    public string Version { get; internal set; } = string.Empty;
    public string Platform { get; internal set; } = string.Empty;
    public PinnedArtifact Artifact { get; internal set; } = null!;
    public IReadOnlyList<Uri> Uris { get; internal set; } = Array.Empty<Uri>();
    public IReadOnlyList<Waiver> Waivers { get; internal set; } = Array.Empty<Waiver>();
    public string TargetDirectory { get; internal set; } = string.Empty;
    public IReadOnlyList<string> Shims { get; internal set; } = Array.Empty<string>();

    /// <summary>Paths inside the installed tree that are executables: the manifest's bin, or the file itself for a plain binary.</summary>
    public IReadOnlyList<string> Executables { get; internal set; } = Array.Empty<string>();

    /// <summary>The shims this install writes: command name → the executable it starts (a name another tool owns is left out).</summary>
    public IReadOnlyDictionary<string, string> ShimCommands { get; internal set; } = new SortedDictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Commands the manifest says this tool owns (owns_shims): their shims may replace another tool's.</summary>
    public IReadOnlyList<string> OwnedShims { get; internal set; } = Array.Empty<string>();

    public string DigestSource { get; internal set; } = string.Empty;

    /// <summary>The signature the manifest's policy requires of the artifact, or null when it requires none.</summary>
    public Signatures.ManifestSignatureRequirement? Signature { get; internal set; }

    /// <summary>The Sigstore bundle (or GitHub attestation) the manifest's policy requires, or null.</summary>
    public Signatures.Sigstore.SigstoreRequirement? Sigstore { get; internal set; }

    /// <summary>Where that bundle is fetched from.</summary>
    public Uri? SigstoreBundleUri { get; internal set; }

    /// <summary>Every download and write, in order, as a person reads it.</summary>
    public IReadOnlyList<string> Actions { get; internal set; } = Array.Empty<string>();
}

public enum InstallStatus
{
    Installed,
    AlreadyInstalled,
}

/// <summary>The outcome of installing one tool.</summary>
public sealed class InstallResult
{
    public string Name { get; internal set; } = string.Empty;
    public string Version { get; internal set; } = string.Empty;
    public string Platform { get; internal set; } = string.Empty;
    public InstallStatus Status { get; internal set; }
    public string Path { get; internal set; } = string.Empty;
    public string Sha256 { get; internal set; } = string.Empty;
    public IReadOnlyList<string> VerifiedBy { get; internal set; } = Array.Empty<string>();
    public string TreeDigest { get; internal set; } = string.Empty;
    public IReadOnlyList<string> Shims { get; internal set; } = Array.Empty<string>();
    public IReadOnlyList<string> Waivers { get; internal set; } = Array.Empty<string>();
    public bool FromCache { get; internal set; }
}

/// <summary>What Uninstall-PinnedTool removed.</summary>
public sealed class UninstallResult
{
    public string Name { get; internal set; } = string.Empty;
    public string Version { get; internal set; } = string.Empty;
    public string Platform { get; internal set; } = string.Empty;

    /// <summary>The version folder removed: &lt;root&gt;/&lt;tool&gt;/&lt;version&gt;.</summary>
    public string Path { get; internal set; } = string.Empty;

    /// <summary>The different path the lock recorded (not touched), or null.</summary>
    public string? RecordedPath { get; internal set; }

    public IReadOnlyList<string> Shims { get; internal set; } = Array.Empty<string>();
}

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
        PinnedTool tool = manifest.Find(name)
            ?? throw new InstallException(ErrorIds.ToolNotInManifest, FailureKind.NotFound, name, $"{manifest.Source} pins no tool named '{name}' (it pins {string.Join(", ", manifest.Tools.Select(t => t.Name))}).");
        PinnedVersion pinned = tool.Resolve(version)
            ?? throw new InstallException(ErrorIds.VersionNotInManifest, FailureKind.NotFound, tool.Name, version == null
                ? $"{manifest.Source}: {tool.Name} has several versions and no default_version; name one with -Version ({string.Join(", ", tool.Versions.Select(v => v.Key))})."
                : $"{manifest.Source}: {tool.Name} has no version '{version}' (it pins {string.Join(", ", tool.Versions.Select(v => v.Key))}).");
        if (pinned.Problems.Count > 0) throw pinned.Problems[0];
        PinnedArtifact artifact = pinned.ArtifactFor(_options.Platform)
            ?? throw new InstallException(ErrorIds.PlatformNotInManifest, FailureKind.NotFound, tool.Name,
                $"{manifest.Source}: {tool.Name} {pinned.Version} has no artifact for {_options.Platform} (it has {string.Join(", ", pinned.Artifacts.Select(a => a.Platform))}).");

        if (_options.Locked)
        {
            LockEntry locked = lockFile.Find(tool.Name, pinned.Version, _options.Platform)
                ?? throw new InstallException(ErrorIds.NotLocked, FailureKind.Security, tool.Name,
                    $"-Locked: the lock records no {tool.Name} {pinned.Version} for {_options.Platform}. Install it without -Locked and commit the lock.");
            // The digest decides; a file: URL differs from machine to machine (bundles, checkouts), so only remote URLs must match too.
            bool urlDiffers = !artifact.Url.IsFile && !locked.Url.StartsWith("file:", StringComparison.OrdinalIgnoreCase) && locked.Url != artifact.Url.AbsoluteUri;
            if (!string.Equals(locked.Sha256, artifact.Sha256 ?? string.Empty, StringComparison.OrdinalIgnoreCase) || urlDiffers)
                throw new InstallException(ErrorIds.LockMismatch, FailureKind.Security, tool.Name,
                    $"-Locked: the manifest and the lock disagree on {tool.Name} {pinned.Version} ({_options.Platform}): manifest {artifact.Url.AbsoluteUri} sha256 {artifact.Sha256 ?? "(none)"}, lock {locked.Url} sha256 {locked.Sha256}. Re-lock deliberately, or restore the manifest.");
        }

        string target = InstallRootLayout.VersionDirectory(_options.Root, tool.Name, pinned.Version);
        var uris = new List<Uri>();
        string? bundled = BundledArtifact(artifact);
        if (bundled != null) uris.Add(new Uri(bundled));
        else if (_options.Source != null)
            throw new InstallException(ErrorIds.NotInBundle, FailureKind.NotFound, tool.Name, $"the bundle '{_options.Source}' holds no artifact with sha256 {artifact.Sha256} for {tool.Name} {pinned.Version}; save it again with Save-PinnedTool.");
        else
        {
            uris.Add(artifact.Url);
            uris.AddRange(artifact.Mirrors);
        }

        // The tool's signature policy: resolved (key read, URL built) now, so a policy that cannot be enforced stops the plan.
        Signatures.ManifestSignatureRequirement? signature = null;
        Signatures.Sigstore.SigstoreRequirement? sigstore = null;
        Uri? bundleUri = null;
        if (tool.Signature != null && Signatures.Sigstore.SigstoreRequirement.IsSigstoreScheme(tool.Signature.Scheme))
        {
            string where = $"{tool.Name}: signature (line {tool.Signature.Line})";
            var settings = new Dictionary<string, string>(tool.Signature.Settings.ToDictionary(kv => kv.Key, kv => kv.Value)) { ["scheme"] = tool.Signature.Scheme.Trim().ToLowerInvariant() };
            sigstore = Signatures.Sigstore.SigstoreRequirement.FromSettings(settings, tool.Signature.BaseDirectory, where);
            bundleUri = sigstore.BundleUri(artifact.Url, pinned.Version, where);
            if (bundled != null)
            {
                string bundledBundle = Path.Combine(Path.GetDirectoryName(bundled)!, FileNameOf(bundleUri));
                if (!File.Exists(bundledBundle))
                    throw new InstallException(ErrorIds.SignatureNotFound, FailureKind.Security, tool.Name,
                        $"{tool.Name} requires a {tool.Signature.Scheme} bundle, and the bundle '{_options.Source}' holds the artifact but not {FileNameOf(bundleUri)}; save the bundle again with Save-PinnedTool.");
                bundleUri = new Uri(bundledBundle);
            }
        }
        else if (tool.Signature != null)
        {
            signature = Signatures.ManifestSignatureRequirement.Resolve(tool.Signature, tool.Name, pinned.Version, artifact.Url);
            if (bundled != null)
            {
                // Save-PinnedTool keeps the signature beside the artifact; it is checked with the manifest's key as online.
                string bundledSignature = Path.Combine(Path.GetDirectoryName(bundled)!, signature.SignatureFileName);
                if (!File.Exists(bundledSignature))
                    throw new InstallException(ErrorIds.SignatureNotFound, FailureKind.Security, tool.Name,
                        $"{tool.Name} requires a {tool.Signature.Scheme} signature, and the bundle '{_options.Source}' holds the artifact but not {signature.SignatureFileName}; save the bundle again with Save-PinnedTool.");
                signature = signature.WithSignatureUri(new Uri(bundledSignature));
            }
        }

        IReadOnlyList<string> executables = ExecutablesOf(artifact);
        SortedDictionary<string, string> commands = ShimCommandsFor(manifest, tool, executables);
        var shims = commands.Keys.Select(ShimPath).ToList();
        string digestSource = artifact.Sha256 == null ? "none (waived)" : $"sha256 pinned in {manifest.Source}:{artifact.Line}";
        var actions = new List<string>
        {
            $"download {string.Join(" (then mirrors: ", uris.Select(u => u.AbsoluteUri))}{(uris.Count > 1 ? ")" : "")} and verify sha256 {artifact.Sha256 ?? "(waived)"}",
            KindOf(artifact) == ArtifactKind.Binary ? $"copy the binary into {target}" : $"extract into {target}{(artifact.StripComponents > 0 ? $" (strip {artifact.StripComponents})" : "")}",
        };
        if (signature != null) actions.Insert(1, $"verify the {signature.Describe(null)} before using the download");
        if (sigstore != null) actions.Insert(1, $"verify the {sigstore.Describe(null)} from {bundleUri!.AbsoluteUri} before using the download");
        actions.AddRange(shims.Select(s => $"write shim {s}"));
        actions.Add($"record {tool.Name} {pinned.Version} ({_options.Platform}) in the lock");
        return new InstallPlan
        {
            Tool = tool.Name, Version = pinned.Version, Platform = _options.Platform, Artifact = artifact, Uris = uris,
            Waivers = pinned.Waivers, TargetDirectory = target, Shims = shims, Executables = executables, DigestSource = digestSource, Actions = actions,
            ShimCommands = commands, OwnedShims = tool.OwnsShims,
            Signature = signature,
            Sigstore = sigstore,
            SigstoreBundleUri = bundleUri,
        };
    }

    private static IReadOnlyList<string> ExecutablesOf(PinnedArtifact artifact) =>
        artifact.Executables.Count == 0 && KindOf(artifact) == ArtifactKind.Binary ? new[] { FileNameOf(artifact.Url) } : artifact.Executables;

    /// <summary>
    /// The shims a tool gets: one per executable, named by its file name. Two tools of the manifest wanting the same command
    /// is refused (ShimConflict), unless one of them lists it in owns_shims: then only that one gets it (issue 17 #11).
    /// </summary>
    private SortedDictionary<string, string> ShimCommandsFor(PinnedManifest manifest, PinnedTool tool, IReadOnlyList<string> executables)
    {
        var commands = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (string exe in executables)
        {
            string name = InstallRootLayout.ShimName(exe);
            if (name.Length == 0 || name.StartsWith(".", StringComparison.Ordinal))
                throw new InstallException(ErrorIds.ManifestInvalid, FailureKind.InvalidData, tool.Name, $"{manifest.Source}: {tool.Name}: bin '{exe}' cannot name a command (its file name is empty or starts with a dot).");
            if (commands.Keys.FirstOrDefault(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase)) is { } same)
                throw new InstallException(ErrorIds.ShimConflict, FailureKind.Security, tool.Name,
                    $"{manifest.Source}: {tool.Name} has two bin entries for the command '{name}' ({commands[same]} and {exe}); each command starts one executable.");
            commands[name] = exe;
        }
        foreach (PinnedTool other in manifest.Tools.Where(t => !ReferenceEquals(t, tool)))
        {
            IEnumerable<string> theirs = other.Versions.Select(v => v.ArtifactFor(_options.Platform)).Where(a => a != null)
                .SelectMany(a => ExecutablesOf(a!)).Select(InstallRootLayout.ShimName);
            foreach (string name in theirs.Distinct(StringComparer.OrdinalIgnoreCase))
            {
                string? mine = commands.Keys.FirstOrDefault(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase));
                if (mine == null) continue;
                PinnedTool? owner = manifest.Tools.FirstOrDefault(t => t.OwnsShims.Contains(name, StringComparer.OrdinalIgnoreCase));
                if (owner == null)
                    throw new InstallException(ErrorIds.ShimConflict, FailureKind.Security, tool.Name,
                        $"{manifest.Source}: {tool.Name} and {other.Name} both have a bin entry named '{name}', so each would take the command over from the other. " +
                        $"Say which tool owns it with owns_shims: [{name}] on that tool.");
                if (!ReferenceEquals(owner, tool)) commands.Remove(mine);
            }
        }
        return commands;
    }

    /// <summary>
    /// Refuses to replace a file in the shim folder that is not a shim this tool wrote (another tool's, a user's own
    /// script, an edited shim), unless the manifest says this tool owns the command (owns_shims).
    /// </summary>
    private void CheckShimsAreOurs(InstallPlan plan, Action<string>? log)
    {
        foreach (string name in plan.ShimCommands.Keys)
        {
            string shim = ShimPath(name);
            if (!UnixFileSystem.TryGetEntry(shim, out _)) continue;
            var owner = InstallRootLayout.ShimOwner(_options.Root, shim);
            if (owner != null && owner.Value.Tool == plan.Tool) continue;
            string what = owner == null ? "a file SecureInstall did not write (or changed since)" : $"the shim of {owner.Value.Tool} {owner.Value.Version}";
            if (plan.OwnedShims.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                log?.Invoke($"{shim} is {what}; {plan.Tool} owns the command '{name}' (owns_shims), so its shim replaces it.");
                continue;
            }
            throw new InstallException(ErrorIds.ShimConflict, FailureKind.Security, shim,
                $"{plan.Tool} {plan.Version} would write the shim {shim}, which is {what}. Nothing was installed. " +
                $"Remove that file, or say in the manifest that {plan.Tool} owns the command: owns_shims: [{name}].");
        }
    }

    /// <summary>What vouched for the bytes, as the lock records it: the pinned digest, then the signature that verified.</summary>
    private static List<string> VerifiedBy(InstallPlan plan, DownloadResult downloaded)
    {
        var by = new List<string>();
        if (plan.Artifact.Sha256 != null) by.Add(plan.DigestSource);
        if (plan.Signature != null) by.Add(plan.Signature.Describe(downloaded.Signature));
        if (plan.Sigstore != null) by.Add(plan.Sigstore.Describe(downloaded.Signature));
        return by;
    }

    /// <summary>Carries out a plan and records it in the lock at <paramref name="lockPath"/>.</summary>
    public async Task<InstallResult> InstallAsync(InstallPlan plan, string lockPath, IProgress<DownloadProgress>? progress = null, Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        string toolDir = Path.GetDirectoryName(plan.TargetDirectory)!;
        EnsureTrustedRoot(_options);
        UnixFileSystem.CreateDirectory(toolDir, 0x1ED /* 0755 */);
        using FileLock toolLock = FileLock.TryAcquire(Path.Combine(_options.Root, ".locks", SafeSegment(plan.Tool) + ".lock"), _options.LockTimeout, cancellationToken,
                () => log?.Invoke($"Another process is installing {plan.Tool}; waiting for it."))
            ?? throw new InstallException(ErrorIds.InstallInProgress, FailureKind.ResourceUnavailable, plan.Tool, $"another process has been installing {plan.Tool} for over {_options.LockTimeout.TotalMinutes:F0} minutes; try again later.");

        RemoveLeftovers(toolDir, log);
        CheckShimsAreOurs(plan, log);

        // Under the lock, what another process installed meanwhile counts: the second of two concurrent installs is a no-op.
        LockEntry? recorded = LoadLock(lockPath).Find(plan.Tool, plan.Version, plan.Platform);
        if (!_options.Force && recorded != null && recorded.Sha256 == (plan.Artifact.Sha256 ?? string.Empty)
            && UnixFileSystem.TryGetEntry(plan.TargetDirectory, out FileStatus existing) && existing.Kind == UnixEntryKind.Directory)
        {
            InstalledTree current = InstalledTree.Compute(plan.TargetDirectory, cancellationToken);
            if (current.Digest == recorded.TreeDigest)
            {
                log?.Invoke($"{plan.Tool} {plan.Version} is already installed at {plan.TargetDirectory}; its tree verified against the lock ({recorded.TreeDigest}).");
                WriteShims(plan);
                if (!InstallRootLayout.SamePath(recorded.InstalledPath, plan.TargetDirectory) || !recorded.Shims.SequenceEqual(plan.ShimCommands))
                {
                    // The tree verified where this root keeps it: record that path (a lock from another machine names its own) and the shims.
                    if (recorded.InstalledPath.Length > 0 && !InstallRootLayout.SamePath(recorded.InstalledPath, plan.TargetDirectory))
                        log?.Invoke($"The lock recorded {plan.Tool} {plan.Version} at {recorded.InstalledPath}; recording {plan.TargetDirectory}, where it verified.");
                    recorded.InstalledPath = plan.TargetDirectory;
                    recorded.Shims = new SortedDictionary<string, string>(plan.ShimCommands.ToDictionary(kv => kv.Key, kv => kv.Value), StringComparer.Ordinal);
                    UpdateLock(_options, lockPath, l => l.Set(recorded), cancellationToken);
                }
                return Result(plan, recorded, InstallStatus.AlreadyInstalled, fromCache: false);
            }
            log?.Invoke($"{plan.Tool} {plan.Version} at {plan.TargetDirectory} no longer matches the lock; reinstalling.");
        }

        string work = Path.Combine(toolDir, ".download-" + Guid.NewGuid().ToString("N"));
        string staging = Path.Combine(toolDir, ".staging-" + Guid.NewGuid().ToString("N"));
        try
        {
            UnixFileSystem.CreateDirectory(work, 0x1ED /* 0755 whatever the umask */);
            string fileName = FileNameOf(plan.Artifact.Url);
            var request = new DownloadRequest(plan.Uris, Path.Combine(work, fileName))
            {
                Expected = plan.Artifact.Sha256 == null ? null : ChecksumEntry.FromDigest(plan.Artifact.Sha256, ChecksumAlgorithm.SHA256, plan.DigestSource),
                ExpectedSize = plan.Artifact.Size,
                SkipVerification = plan.Artifact.Sha256 == null && plan.Signature == null && plan.Sigstore == null,
                SignatureUri = plan.Signature?.SignatureUri,
                SignatureVerifier = plan.Signature?.Verifier,
            };
            byte[]? bundleJson = null;
            if (plan.Sigstore != null)
            {
                // The bundle is only data until it verifies against the artifact's digest, offline, before anything is placed.
                string bundleFile = Path.Combine(work, "sigstore-bundle.json");
                await _downloader.DownloadAsync(new DownloadRequest(plan.SigstoreBundleUri!, bundleFile) { SkipVerification = true }, null, cancellationToken).ConfigureAwait(false);
                if (new FileInfo(bundleFile).Length > 4L * 1024 * 1024)
                    throw new Signatures.SignatureFormatException(plan.SigstoreBundleUri!.AbsoluteUri, "is larger than any Sigstore bundle (4 MiB); refusing to read it.");
                bundleJson = File.ReadAllBytes(bundleFile);
                byte[] json = bundleJson;
                request.DigestCheck = (sha, ct) => plan.Sigstore.Verify(json, plan.SigstoreBundleUri!.AbsoluteUri, sha, ct);
            }
            foreach (Waiver w in plan.Waivers) log?.Invoke($"WAIVER {plan.Tool} {plan.Version}: {w}");
            DownloadResult downloaded = await _downloader.DownloadAsync(request, progress, cancellationToken).ConfigureAwait(false);
            log?.Invoke($"Downloaded {UriText.Redact(downloaded.FinalUri)} ({downloaded.Size} bytes{(downloaded.FromCache ? ", from the cache" : "")}); sha256 {downloaded.Sha256} {(plan.Artifact.Sha256 != null ? "matches " + plan.DigestSource : plan.Signature == null ? "NOT VERIFIED (waived)" : "(no pinned digest)")}.");
            if (plan.Signature != null) log?.Invoke($"Verified the {plan.Signature.Describe(downloaded.Signature)}.");
            if (plan.Sigstore != null) log?.Invoke($"Verified the {plan.Sigstore.Describe(downloaded.Signature)}.");

            if (KindOf(plan.Artifact) == ArtifactKind.Binary)
            {
                UnixFileSystem.CreateDirectory(staging, 0x1ED /* 0755 whatever the umask */);
                string exe = Path.Combine(staging, fileName);
                File.Move(downloaded.Path, exe);
                UnixFileSystem.SetExecutable(exe, true);
            }
            else
            {
                var extraction = new ArchiveExtractionOptions
                {
                    MaxTotalBytes = _options.Extraction.MaxTotalBytes,
                    MaxEntryCount = _options.Extraction.MaxEntryCount,
                    MaxCompressionRatio = _options.Extraction.MaxCompressionRatio,
                    MaxDepth = _options.Extraction.MaxDepth,
                    StripComponents = plan.Artifact.StripComponents,
                };
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

            InstalledTree tree = InstalledTree.Compute(staging, cancellationToken);
            // An installed tree never holds a link out of itself (or to nowhere, or to a FIFO or device): its content could change unseen.
            if (tree.EscapingLinks.FirstOrDefault() is { } escaping)
                throw new InstallException(ErrorIds.UnsafeArchiveEntry, FailureKind.Security, plan.Tool,
                    $"{plan.Tool} {plan.Version}: the artifact's link '{escaping.Path}' -> '{escaping.LinkTarget}' does not lead to a file or folder inside the tree; nothing was installed.");
            WriteText(TreeRecordPath(plan.TargetDirectory), tree.Listing);
            DirectorySwap.MoveIntoPlace(staging, plan.TargetDirectory, replace: Directory.Exists(plan.TargetDirectory));
            log?.Invoke($"Installed {plan.Tool} {plan.Version} into {plan.TargetDirectory} (tree {tree.Digest}).");
            WriteShims(plan);

            var entry = new LockEntry
            {
                Tool = plan.Tool, Version = plan.Version, Platform = plan.Platform, Url = plan.Artifact.Url.AbsoluteUri,
                Sha256 = plan.Artifact.Sha256 ?? string.Empty, Size = downloaded.Size, InstalledPath = plan.TargetDirectory, TreeDigest = tree.Digest,
                Shims = new SortedDictionary<string, string>(plan.ShimCommands.ToDictionary(kv => kv.Key, kv => kv.Value), StringComparer.Ordinal),
                VerifiedBy = VerifiedBy(plan, downloaded),
                Waivers = plan.Waivers.Select(w => w.ToString()).ToList(),
                SignaturePolicy = plan.Sigstore == null ? null : new SortedDictionary<string, string>(plan.Sigstore.Settings.ToDictionary(kv => kv.Key, kv => kv.Value), StringComparer.Ordinal),
                SigstoreBundle = bundleJson == null ? null : System.Text.Encoding.UTF8.GetString(bundleJson),
            };
            UpdateLock(_options, lockPath, l => l.Set(entry), cancellationToken);
            return Result(plan, entry, InstallStatus.Installed, downloaded.FromCache);
        }
        finally
        {
            BestEffort.DeleteTree(work);
            BestEffort.DeleteTree(staging);
        }
    }

    /// <summary>
    /// Re-verifies an install the lock records, at &lt;<paramref name="root"/>&gt;/&lt;tool&gt;/&lt;version&gt; (never at the path the lock
    /// stores, which is only compared and reported): the tree's entries (content, kind, mode) against the lock's digest, the
    /// version folder itself (a link in its place is tampering), and the shims the lock records. Throws
    /// <see cref="InstallException"/> (ManifestInvalid) when the lock names a tool or version that cannot be a folder.
    /// </summary>
    public static InstalledToolStatus Verify(string root, InstallLock lockFile, LockEntry entry, CancellationToken cancellationToken = default)
    {
        string dir = InstallRootLayout.VersionDirectory(root, entry.Tool, entry.Version);
        var changed = new List<string>();
        var added = new List<string>();
        var removed = new List<string>();
        var status = new InstalledToolStatus
        {
            Name = entry.Tool, Version = entry.Version, Platform = entry.Platform, Path = dir, TreeDigest = entry.TreeDigest,
            RecordedPath = entry.InstalledPath.Length > 0 && !InstallRootLayout.SamePath(entry.InstalledPath, dir) ? entry.InstalledPath : null,
        };
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
            if (actual.Digest != entry.TreeDigest)
            {
                string record = TreeRecordPath(dir);
                InstalledTree? recorded = null;
                try
                {
                    string? text = InstallRootLayout.ReadSmallRegularFile(record, 64 * 1024 * 1024);
                    if (text != null) recorded = InstalledTree.Parse(text);
                }
                catch (InvalidDataException) { }
                if (recorded == null || recorded.Digest != entry.TreeDigest)
                    changed.Add("(the tree differs from the lock, and its file list was changed too: " + record + ")");
                else if (recorded.Format != InstalledTree.CurrentFormat)
                    changed.Add($"(recorded by an earlier SecureInstall in tree listing format {recorded.Format}, which holds no kinds, modes, folders or shims; reinstall it with Install-PinnedTool -Force to record them)");
                else
                {
                    TreeDiff diff = InstalledTree.Compare(recorded, actual);
                    changed.AddRange(diff.Changed);
                    added.AddRange(diff.Added);
                    removed.AddRange(diff.Removed);
                }
            }
        }
        CheckShims(root, lockFile, entry, dir, changed, removed);
        status.Changed = changed;
        status.Added = added;
        status.Removed = removed;
        status.Status = !present ? InstalledState.Missing
            : changed.Count + added.Count + removed.Count > 0 || status.RecordedPath != null ? InstalledState.Tampered
            : InstalledState.Verified;
        return status;
    }

    /// <summary>
    /// Each shim the lock records must be a regular rwxr-xr-x file holding exactly what SecureInstall writes for this tool:
    /// for this version, or for another version of the tool the lock records with the same command (the last one installed owns it).
    /// </summary>
    private static void CheckShims(string root, InstallLock lockFile, LockEntry entry, string dir, List<string> changed, List<string> removed)
    {
        foreach (var command in entry.Shims)
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
                : lockFile.Find(entry.Tool, owner.Value.Version, entry.Platform) is { } newer && newer.Shims.TryGetValue(command.Key, out string? exe)
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
        return requirement.Verify(System.Text.Encoding.UTF8.GetBytes(entry.SigstoreBundle), $"the lock's bundle for {entry.Tool} {entry.Version}", entry.Sha256, cancellationToken);
    }

    /// <summary>
    /// An install root another user owns or can write (or a folder above it) is refused before anything is installed or removed:
    /// they could swap the installed version afterwards (issue 17). A missing root is created rwxr-xr-x whatever the umask
    /// (by an install; an uninstall creates nothing).
    /// </summary>
    private static void EnsureTrustedRoot(ToolInstallerOptions options, bool create = true)
    {
        const string remedy = "Make it yours (chown; chmod go-w), or install elsewhere (SECUREINSTALL_HOME, -Scope).";
        if (create) DirectoryTrust.Ensure(options.Root, 0x1ED /* 0755 */, ErrorIds.InstallRootNotTrusted, "install root", remedy);
        else DirectoryTrust.Check(options.Root, ErrorIds.InstallRootNotTrusted, "install root", remedy);
    }

    /// <summary>
    /// Removes an installed version, its record, its shims and its lock entry. Only &lt;<paramref name="options"/>.Root&gt;/&lt;tool&gt;/&lt;version&gt;
    /// (names checked) and its file list are deleted, never the path the lock stores; only shims whose bytes are exactly the
    /// ones SecureInstall wrote for this tool and version are deleted. A lock whose path disagrees is reported in the result;
    /// when nothing is installed where this root keeps the version, it is refused (LockPathMismatch) and nothing changes.
    /// </summary>
    public static UninstallResult Uninstall(ToolInstallerOptions options, LockEntry entry, string lockPath, CancellationToken cancellationToken = default)
    {
        EnsureTrustedRoot(options, create: false);
        string dir = InstallRootLayout.VersionDirectory(options.Root, entry.Tool, entry.Version);
        string? recordedElsewhere = entry.InstalledPath.Length > 0 && !InstallRootLayout.SamePath(entry.InstalledPath, dir) ? entry.InstalledPath : null;
        if (recordedElsewhere != null && !UnixFileSystem.TryGetEntry(dir, out _))
            throw new LockPathMismatchException(entry.Tool, entry.Version, recordedElsewhere, dir,
                "Nothing was removed and the lock entry is kept. If it was installed for all users, uninstall with -Scope AllUsers.");
        using FileLock toolLock = FileLock.TryAcquire(Path.Combine(options.Root, ".locks", SafeSegment(entry.Tool) + ".lock"), options.LockTimeout, cancellationToken)
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
        if (UnixFileSystem.TryGetEntry(dir, out FileStatus folder))
        {
            if (folder.Kind != UnixEntryKind.Directory)
            {
                // A link (or file) in the version folder's place: remove it, never what it points at.
                // On Windows a link to a folder is itself removed as a folder (non-recursive: the link, not its target).
                if (UnixFileSystem.IsWindows && (File.GetAttributes(dir) & FileAttributes.Directory) != 0) Directory.Delete(dir, recursive: false);
                else File.Delete(dir);
            }
            else
            {
                // Rename first: a half-deleted tree must not look installed.
                string doomed = dir + ".removing-" + Guid.NewGuid().ToString("N");
                Directory.Move(dir, doomed);
                BestEffort.DeleteTree(doomed);
            }
        }
        string record = TreeRecordPath(dir);
        if (UnixFileSystem.TryGetEntry(record, out FileStatus recordEntry) && recordEntry.Kind != UnixEntryKind.Directory) File.Delete(record);
        UpdateLock(options, lockPath, l => l.Remove(entry.Tool, entry.Version, entry.Platform), cancellationToken);
        return new UninstallResult { Name = entry.Tool, Version = entry.Version, Platform = entry.Platform, Path = dir, RecordedPath = recordedElsewhere, Shims = removedShims };
    }

    public static string TreeRecordPath(string installedPath) => InstallRootLayout.TreeRecordPath(installedPath);

    public string ShimPath(string name) => InstallRootLayout.ShimPath(_options.Root, name);

    private static void UpdateLock(ToolInstallerOptions options, string lockPath, Action<InstallLock> change, CancellationToken cancellationToken)
    {
        // Installs of different tools share one lock file: serialise its read-modify-write.
        string key = Hex.Encode(System.Security.Cryptography.SHA256.Create().ComputeHash(Encoding.UTF8.GetBytes(Path.GetFullPath(lockPath)))).Substring(0, 16);
        using FileLock fileLock = FileLock.TryAcquire(Path.Combine(options.Root, ".locks", "lockfile-" + key + ".lock"), options.LockTimeout, cancellationToken)
            ?? throw new InstallException(ErrorIds.InstallInProgress, FailureKind.ResourceUnavailable, lockPath, $"another process holds {lockPath}.");
        InstallLock current = LoadLock(lockPath);
        change(current);
        current.Save(lockPath);
    }

    private static InstallLock LoadLock(string lockPath) => InstallLock.Load(lockPath);

    private void WriteShims(InstallPlan plan)
    {
        if (plan.ShimCommands.Count == 0) return;
        UnixFileSystem.CreateDirectory(_options.BinDirectory, 0x1ED /* 0755 whatever the umask */);
        foreach (var command in plan.ShimCommands)
        {
            string target = RelativePath.Combine(plan.TargetDirectory, command.Value);
            string shim = ShimPath(command.Key);
            WriteText(shim, InstallRootLayout.ShimContent(plan.Tool, plan.Version, target));
            UnixFileSystem.SetExecutable(shim, true);
        }
    }

    private static void WriteText(string path, string text)
    {
        using AtomicFile file = AtomicFile.Create(path);
        byte[] bytes = new UTF8Encoding(false).GetBytes(text);
        file.Stream.Write(bytes, 0, bytes.Length);
        file.Commit();
    }

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

    private string? BundledArtifact(PinnedArtifact artifact)
    {
        if (_options.Source == null || artifact.Sha256 == null) return null;
        string path = Path.Combine(_options.Source, "artifacts", artifact.Sha256, FileNameOf(artifact.Url));
        return File.Exists(path) ? Path.GetFullPath(path) : null;
    }

    internal static string FileNameOf(Uri url)
    {
        string name = Uri.UnescapeDataString(url.Segments.Length > 0 ? url.Segments[url.Segments.Length - 1] : string.Empty).Trim('/');
        return name.Length == 0 || name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || name == "." || name == ".." ? "artifact" : name;
    }

    internal static ArtifactKind KindOf(PinnedArtifact artifact)
    {
        if (artifact.Kind != ArtifactKind.Auto) return artifact.Kind;
        string name = FileNameOf(artifact.Url).ToLowerInvariant();
        string[] archives = { ".zip", ".tar", ".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".tbz2", ".tar.zst", ".tzst" };
        return archives.Any(name.EndsWith) ? ArtifactKind.Auto : ArtifactKind.Binary;
    }

    /// <summary>Tool names and versions become folder names: refuse anything that is not a plain segment.</summary>
    internal static string SafeSegment(string value) => InstallRootLayout.Checked(value, isVersion: false);

    private static InstallResult Result(InstallPlan plan, LockEntry entry, InstallStatus status, bool fromCache) => new()
    {
        Name = plan.Tool, Version = plan.Version, Platform = plan.Platform, Status = status, Path = plan.TargetDirectory,
        Sha256 = entry.Sha256, VerifiedBy = entry.VerifiedBy, TreeDigest = entry.TreeDigest, Shims = plan.Shims, Waivers = entry.Waivers, FromCache = fromCache,
    };
}
