using SecureInstall.Core.Manifests;

namespace SecureInstall.Core.Install;

/// <summary>
/// Where things are in a bundle written by Save-PinnedTool and read by Install-PinnedTool -Source: one owner for the layout.
/// <c>artifacts/&lt;pin&gt;/&lt;file&gt;</c> holds each artifact, named by its pin (the SHA-256 hex, or "sha512-HEX" for an
/// artifact pinned by <c>integrity:</c> alone), with its detached signature or Sigstore bundle beside it; the manifest and its
/// lock at the top; <c>SHA256SUMS</c> over the artifacts, for whoever carries the bundle across an air gap.
/// </summary>
public sealed class BundleLayout
{
    public const string ArtifactsFolder = "artifacts";
    public const string ChecksumListName = "SHA256SUMS";

    public BundleLayout(string root) => Root = root ?? throw new ArgumentNullException(nameof(root));

    public string Root { get; }

    public string ArtifactsDirectory => Path.Combine(Root, ArtifactsFolder);

    public string ChecksumListPath => Path.Combine(Root, ChecksumListName);

    public string LockPath => Path.Combine(Root, InstallLock.FileName);

    /// <summary>The folder an artifact is kept under: its SHA-256, or "&lt;algorithm&gt;-&lt;hex&gt;" of its integrity pin.</summary>
    /// <exception cref="ArgumentException">the artifact is waived: a bundle holds only pinned artifacts.</exception>
    public static string KeyOf(PinnedArtifact artifact)
    {
        if (artifact == null) throw new ArgumentNullException(nameof(artifact));
        if (artifact.Sha256 != null) return artifact.Sha256;
        if (artifact.Integrity != null) return Checksums.ChecksumAlgorithms.LowerName(artifact.Integrity.Algorithm) + "-" + artifact.Integrity.Digest;
        throw new ArgumentException("A waived artifact has no place in a bundle.", nameof(artifact));
    }

    public string ArtifactPath(PinnedArtifact artifact) =>
        Path.Combine(ArtifactsDirectory, KeyOf(artifact), ToolInstaller.FileNameOf(artifact.Url));

    /// <summary>A file kept beside the artifact (its signature, its Sigstore bundle).</summary>
    /// <exception cref="InstallException">
    /// ManifestInvalid: the name (from a manifest's signature or bundle URL) is not one plain file name, or is the artifact's
    /// own: "../../x" decoded from a URL must never place a file outside the bundle.
    /// </exception>
    public string BesideArtifact(PinnedArtifact artifact, string fileName)
    {
        if (!IO.RelativePath.IsPlainFileName(fileName) || string.Equals(fileName, ToolInstaller.FileNameOf(artifact.Url), StringComparison.OrdinalIgnoreCase))
            throw new InstallException(ErrorIds.ManifestInvalid, FailureKind.InvalidData, fileName,
                $"'{fileName}' (the last part of a signature or bundle URL) cannot be kept beside {ToolInstaller.FileNameOf(artifact.Url)} in a bundle: it must be one plain file name of its own.");
        return Path.Combine(Path.GetDirectoryName(ArtifactPath(artifact))!, fileName);
    }

    public string ManifestCopyPath(string manifestPath) => Path.Combine(Root, Path.GetFileName(manifestPath));

    /// <summary>Save-PinnedModule's folder: <c>modules/sha512-&lt;hex&gt;/&lt;id&gt;.&lt;version&gt;.nupkg</c>, each package named by its pin.</summary>
    public const string ModulesFolder = "modules";

    public string ModulesDirectory => Path.Combine(Root, ModulesFolder);

    /// <summary>Where a pinned module's .nupkg is kept: under its SHA-512 pin, named as a NuGet flat container names it.</summary>
    public string ModulePackagePath(PinnedModule module)
    {
        if (module == null) throw new ArgumentNullException(nameof(module));
        Modules.PackageVersion version = Modules.PackageVersion.TryParse(module.Version)
            ?? throw new ArgumentException($"module {module.Name}: '{module.Version}' is not an exact package version.", nameof(module));
        string file = $"{module.Name.ToLowerInvariant()}.{version.Normalized.ToLowerInvariant()}.nupkg";
        if (!IO.RelativePath.IsPlainFileName(file))
            throw new InstallException(ErrorIds.ManifestInvalid, FailureKind.InvalidData, module.Name, $"module '{module.Name}' {module.Version} cannot name a file in a bundle: '{file}' is not one plain file name.");
        return Path.Combine(ModulesDirectory, "sha512-" + module.Sha512Hex, file);
    }

    /// <summary>Copies the manifest, and its lock when there is one, to the top of the bundle.</summary>
    public void CopyManifest(string manifestPath)
    {
        File.Copy(manifestPath, ManifestCopyPath(manifestPath), overwrite: true);
        string lockPath = InstallLock.PathBeside(manifestPath);
        if (File.Exists(lockPath)) File.Copy(lockPath, LockPath, overwrite: true);
    }

    /// <summary>SHA256SUMS over everything the bundle carries (tools' artifacts and modules' packages), for whoever carries it across an air gap.</summary>
    public void WriteChecksumList(CancellationToken cancellationToken)
    {
        var items = new[] { ArtifactsDirectory, ModulesDirectory }.Where(Directory.Exists)
            .SelectMany(d => Directory.GetFiles(d, "*", SearchOption.AllDirectories))
            .Select(f => new Checksums.ChecksumListItem(f, Checksums.ChecksumListWriter.NameFor(f, Root)));
        Checksums.ChecksumListWriter.Save(new Checksums.ChecksumListWriter().Write(items, Checksums.ChecksumAlgorithm.SHA256, Checksums.ChecksumListFormat.Gnu, cancellationToken), ChecksumListPath);
    }

    /// <summary>The artifact's full path when the bundle holds it, else null.</summary>
    public string? Existing(PinnedArtifact artifact)
    {
        if (!artifact.IsPinned) return null;
        string path = ArtifactPath(artifact);
        return File.Exists(path) ? Path.GetFullPath(path) : null;
    }
}
