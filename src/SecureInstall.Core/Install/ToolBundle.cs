using SecureInstall.Core.Checksums;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.IO;
using SecureInstall.Core.Manifests;
using SecureInstall.Core.Modules;
using SecureInstall.Core.Signatures;

namespace SecureInstall.Core.Install;

/// <summary>One artifact written into a bundle.</summary>
public sealed class BundledArtifact
{
    public string Tool { get; internal set; } = string.Empty;
    public string Version { get; internal set; } = string.Empty;
    public string Platform { get; internal set; } = string.Empty;
    public string Path { get; internal set; } = string.Empty;
    public string Sha256 { get; internal set; } = string.Empty;
    public long Size { get; internal set; }
}

/// <summary>
/// An offline bundle for air-gapped machines (laid out as <see cref="BundleLayout"/> says): each artifact verified against
/// its pin while it was fetched, the chosen modules' packages (<see cref="ModuleBundle"/>), the manifest, its lock when
/// there is one, and a SHA256SUMS over them. Another machine installs from it with Install-PinnedTool -Source &lt;bundle&gt;
/// and Install-PinnedModule -Source &lt;bundle&gt;; <see cref="Registries.RegistryPush"/> pushes the same folder.
/// </summary>
public sealed class ToolBundle
{
    private readonly VerifiedDownloader _downloader;

    public ToolBundle(VerifiedDownloader downloader) => _downloader = downloader ?? throw new ArgumentNullException(nameof(downloader));

    /// <summary>A bearer token for the modules' feeds: sent to each feed's own host only (as Save-PinnedModule -FeedToken).</summary>
    public string? FeedToken { get; set; }

    /// <summary>The tools' artifacts only.</summary>
    public async Task<IReadOnlyList<BundledArtifact>> SaveAsync(string manifestPath, IReadOnlyList<ResolvedArtifact> selection,
        string bundleDirectory, Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        var layout = new BundleLayout(bundleDirectory);
        UnixFileSystem.CreateDirectory(bundleDirectory, 0x1ED /* 0755 whatever the umask */);
        IReadOnlyList<BundledArtifact> written = await SaveArtifactsAsync(selection, layout, log, cancellationToken).ConfigureAwait(false);
        layout.CopyManifest(manifestPath);
        // A list over the whole bundle, so whoever carries it across the air gap can check it with any sha256sum.
        layout.WriteChecksumList(cancellationToken);
        return written;
    }

    /// <summary>
    /// The tools' artifacts and the modules' packages <paramref name="selection"/> chose (each module's .nupkg through
    /// <see cref="ModuleBundle"/>: the verified downloader, its SHA-512 pin, its pinned dependencies), then the manifest, its
    /// lock and one SHA256SUMS over both.
    /// </summary>
    public async Task<SavedBundle> SaveAsync(string manifestPath, BundleSelection selection, string bundleDirectory, Action<string>? log = null,
        CancellationToken cancellationToken = default)
    {
        if (selection == null) throw new ArgumentNullException(nameof(selection));
        var layout = new BundleLayout(bundleDirectory);
        UnixFileSystem.CreateDirectory(bundleDirectory, 0x1ED /* 0755 whatever the umask */);
        IReadOnlyList<BundledArtifact> artifacts = await SaveArtifactsAsync(selection.Artifacts, layout, log, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<BundledModule> modules = selection.Modules.Count == 0 ? Array.Empty<BundledModule>()
            : await new ModuleBundle(_downloader) { FeedToken = FeedToken }.SavePackagesAsync(selection.Manifest, selection.Modules, layout, log, cancellationToken).ConfigureAwait(false);
        layout.CopyManifest(manifestPath);
        layout.WriteChecksumList(cancellationToken);
        return new SavedBundle(artifacts, modules);
    }

    private async Task<IReadOnlyList<BundledArtifact>> SaveArtifactsAsync(IReadOnlyList<ResolvedArtifact> selection, BundleLayout layout, Action<string>? log,
        CancellationToken cancellationToken)
    {
        var written = new List<BundledArtifact>();
        // Platforms often share one artifact (a universal tarball): fetch each pin once.
        // Grouped by every pin, not only the folder key: two platforms with one sha256 but different integrity: are two checks.
        foreach (var group in selection.GroupBy(s => (s.Tool.Name, s.Version.Version, BundleLayout.KeyOf(s.Artifact), s.Artifact.IntegrityText)))
        {
            ResolvedArtifact resolved = group.First();
            PinnedArtifact artifact = resolved.Artifact;
            string platforms = string.Join(", ", group.Select(g => g.Artifact.Platform));
            string target = layout.ArtifactPath(artifact);
            UnixFileSystem.CreateDirectory(Path.GetDirectoryName(target)!, 0x1ED);
            var request = new DownloadRequest(new[] { artifact.Url }.Concat(artifact.Mirrors), target)
            {
                Expected = resolved.Expected,
                ExpectedSize = artifact.Size,
            };
            ManifestSignatureRequirement? signature = resolved.Signature;
            if (signature != null)
            {
                request.SignatureUri = signature.SignatureUri;
                request.SignatureVerifier = signature.Verifier;
            }
            DownloadResult result = await _downloader.DownloadAsync(request, null, cancellationToken).ConfigureAwait(false);
            if (signature != null)
            {
                // Keep the signature beside the artifact, so the air-gapped install checks it with the manifest's key too.
                // The bytes kept are the bytes checked: fetched capped, verified against the saved artifact, then written whole.
                string signaturePath = layout.BesideArtifact(artifact, signature.SignatureFileName);
                byte[] signatureBytes = await _downloader.FetchSmallAsync(signature.SignatureUri, DetachedSignatureVerifier.MaximumSignatureBytes, "signature",
                    cancellationToken: cancellationToken).ConfigureAwait(false);
                SignatureResult checkedAgain;
                using (FileStream saved = FileHasher.OpenRead(target))
                    checkedAgain = signature.Verifier.Verify(saved, target, new MemoryStream(signatureBytes, writable: false), signature.SignatureUri.AbsoluteUri, cancellationToken);
                AtomicFile.WriteAllBytes(signaturePath, signatureBytes);
                log?.Invoke($"Bundled its {signature.Describe(checkedAgain)}.");
            }
            log?.Invoke($"Bundled {resolved.Tool.Name} {resolved.Version.Version} ({platforms}) from {UriText.Redact(result.FinalUri)}: {(artifact.Sha256 != null ? "sha256 " + result.Sha256 : artifact.IntegrityText)} verified.");
            if (resolved.Sigstore != null)
            {
                // The Sigstore bundle travels too, checked against the pinned digests now and again at the offline install.
                Uri bundleUri = resolved.SigstoreBundleUri!;
                string bundlePath = layout.BesideArtifact(artifact, ToolInstaller.FileNameOf(bundleUri));
                byte[] json = await resolved.Sigstore.FetchAsync(_downloader, bundleUri, artifact.Sha256, cancellationToken).ConfigureAwait(false);
                SignatureResult verified = resolved.Sigstore.Verify(json, bundleUri.AbsoluteUri, request.Expected!, cancellationToken);
                AtomicFile.WriteAllBytes(bundlePath, json);
                log?.Invoke($"Bundled its {resolved.Sigstore.Describe(verified)}.");
            }
            written.Add(new BundledArtifact { Tool = resolved.Tool.Name, Version = resolved.Version.Version, Platform = platforms, Path = target, Sha256 = result.Sha256, Size = result.Size });
        }
        return written;
    }
}

/// <summary>What <see cref="ToolBundle"/> wrote: the tools' artifacts and the modules' packages.</summary>
public sealed class SavedBundle
{
    public SavedBundle(IReadOnlyList<BundledArtifact> artifacts, IReadOnlyList<BundledModule> modules)
    {
        Artifacts = artifacts;
        Modules = modules;
    }

    public IReadOnlyList<BundledArtifact> Artifacts { get; }
    public IReadOnlyList<BundledModule> Modules { get; }
}
