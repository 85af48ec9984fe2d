using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using SecureInstall.Core.Checksums;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.IO;
using SecureInstall.Core.Manifests;
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
/// An offline bundle for air-gapped machines: <c>artifacts/&lt;sha256&gt;/&lt;file&gt;</c> (each verified against its pin
/// while it was fetched), the manifest, its lock when there is one, and a SHA256SUMS over the artifacts.
/// Another machine installs from it with Install-PinnedTool -Source &lt;bundle&gt;.
/// </summary>
public sealed class ToolBundle
{
    private readonly VerifiedDownloader _downloader;

    public ToolBundle(VerifiedDownloader downloader) => _downloader = downloader ?? throw new ArgumentNullException(nameof(downloader));

    /// <summary>Which (tool, version, artifact) a Save covers: the named tools (all when none), one version (the default when none), the given platforms.</summary>
    public static IReadOnlyList<(PinnedTool Tool, PinnedVersion Version, PinnedArtifact Artifact)> Select(
        PinnedManifest manifest, IReadOnlyCollection<string> names, string? version, IReadOnlyCollection<string> platforms)
    {
        var selected = new List<(PinnedTool, PinnedVersion, PinnedArtifact)>();
        foreach (PinnedTool tool in names.Count == 0 ? manifest.Tools : names.Select(n => manifest.Find(n)
                     ?? throw new InstallException(ErrorIds.ToolNotInManifest, FailureKind.NotFound, n, $"{manifest.Source} pins no tool named '{n}'.")))
        {
            PinnedVersion pinned = tool.Resolve(version)
                ?? throw new InstallException(ErrorIds.VersionNotInManifest, FailureKind.NotFound, tool.Name, $"{manifest.Source}: {tool.Name} has no version '{version ?? "(default)"}'.");
            if (pinned.Problems.Count > 0) throw pinned.Problems[0];
            IEnumerable<PinnedArtifact> artifacts = platforms.Count == 0 ? pinned.Artifacts : platforms.Select(p => pinned.ArtifactFor(p)
                ?? throw new InstallException(ErrorIds.PlatformNotInManifest, FailureKind.NotFound, tool.Name, $"{tool.Name} {pinned.Version} has no artifact for {p}."));
            foreach (PinnedArtifact a in artifacts.Distinct())
            {
                if (a.Sha256 == null)
                    throw new InstallException(ErrorIds.ManifestEntryUnpinned, FailureKind.Security, tool.Name, $"{tool.Name} {pinned.Version} is waived (no sha256): a bundle holds only pinned artifacts.");
                selected.Add((tool, pinned, a));
            }
        }
        return selected;
    }

    public async Task<IReadOnlyList<BundledArtifact>> SaveAsync(string manifestPath, IReadOnlyList<(PinnedTool Tool, PinnedVersion Version, PinnedArtifact Artifact)> selection,
        string bundleDirectory, Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        UnixFileSystem.CreateDirectory(bundleDirectory, 0x1ED /* 0755 whatever the umask */);
        var written = new List<BundledArtifact>();
        // Platforms often share one artifact (a universal tarball): fetch each digest once.
        foreach (var group in selection.GroupBy(s => (s.Tool.Name, s.Version.Version, s.Artifact.Sha256)))
        {
            (PinnedTool tool, PinnedVersion version, PinnedArtifact artifact) = group.First();
            string platforms = string.Join(", ", group.Select(g => g.Artifact.Platform));
            string fileName = ToolInstaller.FileNameOf(artifact.Url);
            string target = Path.Combine(bundleDirectory, "artifacts", artifact.Sha256!, fileName);
            UnixFileSystem.CreateDirectory(Path.GetDirectoryName(target)!, 0x1ED);
            var request = new DownloadRequest(new[] { artifact.Url }.Concat(artifact.Mirrors), target)
            {
                Expected = ChecksumEntry.FromDigest(artifact.Sha256!, ChecksumAlgorithm.SHA256, $"sha256 pinned in {Path.GetFileName(manifestPath)}:{artifact.Line}"),
                ExpectedSize = artifact.Size,
            };
            bool sigstore = tool.Signature != null && Signatures.Sigstore.SigstoreRequirement.IsSigstoreScheme(tool.Signature.Scheme);
            ManifestSignatureRequirement? signature = tool.Signature == null || sigstore ? null : ManifestSignatureRequirement.Resolve(tool.Signature, tool.Name, version.Version, artifact.Url);
            if (signature != null)
            {
                request.SignatureUri = signature.SignatureUri;
                request.SignatureVerifier = signature.Verifier;
            }
            DownloadResult result = await _downloader.DownloadAsync(request, null, cancellationToken).ConfigureAwait(false);
            if (signature != null)
            {
                // Keep the signature beside the artifact, so the air-gapped install checks it with the manifest's key too.
                string signaturePath = Path.Combine(Path.GetDirectoryName(target)!, signature.SignatureFileName);
                await _downloader.DownloadAsync(new DownloadRequest(signature.SignatureUri, signaturePath) { SkipVerification = true }, null, cancellationToken).ConfigureAwait(false);
                SignatureResult checkedAgain = signature.Verifier.VerifyFile(target, signaturePath, cancellationToken);
                log?.Invoke($"Bundled its {signature.Describe(checkedAgain)}.");
            }
            log?.Invoke($"Bundled {tool.Name} {version.Version} ({platforms}) from {UriText.Redact(result.FinalUri)}: sha256 {result.Sha256} verified.");
            if (sigstore)
            {
                // The Sigstore bundle travels too, checked against the digest now and again at the offline install.
                string where = $"{tool.Name}: signature (line {tool.Signature!.Line})";
                var settings = tool.Signature.Settings.ToDictionary(kv => kv.Key, kv => kv.Value);
                settings["scheme"] = tool.Signature.Scheme.Trim().ToLowerInvariant();
                var requirement = Signatures.Sigstore.SigstoreRequirement.FromSettings(settings, tool.Signature.BaseDirectory, where);
                Uri bundleUri = requirement.BundleUri(artifact.Url, version.Version, where);
                string bundlePath = Path.Combine(Path.GetDirectoryName(target)!, ToolInstaller.FileNameOf(bundleUri));
                await _downloader.DownloadAsync(new DownloadRequest(bundleUri, bundlePath) { SkipVerification = true }, null, cancellationToken).ConfigureAwait(false);
                SignatureResult verified = requirement.Verify(File.ReadAllBytes(bundlePath), bundleUri.AbsoluteUri, result.Sha256, cancellationToken);
                log?.Invoke($"Bundled its {requirement.Describe(verified)}.");
            }
            written.Add(new BundledArtifact { Tool = tool.Name, Version = version.Version, Platform = platforms, Path = target, Sha256 = result.Sha256, Size = result.Size });
        }

        File.Copy(manifestPath, Path.Combine(bundleDirectory, Path.GetFileName(manifestPath)), overwrite: true);
        string lockPath = InstallLock.PathBeside(manifestPath);
        if (File.Exists(lockPath)) File.Copy(lockPath, Path.Combine(bundleDirectory, InstallLock.FileName), overwrite: true);

        // A list over the whole bundle, so whoever carries it across the air gap can check it with any sha256sum.
        var items = Directory.GetFiles(Path.Combine(bundleDirectory, "artifacts"), "*", SearchOption.AllDirectories)
            .Select(f => new ChecksumListItem(f, ChecksumListWriter.NameFor(f, bundleDirectory)));
        ChecksumListWriter.Save(new ChecksumListWriter().Write(items, ChecksumAlgorithm.SHA256, ChecksumListFormat.Gnu, cancellationToken), Path.Combine(bundleDirectory, "SHA256SUMS"));
        return written;
    }
}
