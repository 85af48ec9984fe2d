using SecureInstall.Core.Manifests;
using SecureInstall.Core.Signatures;
using SecureInstall.Core.Signatures.Sigstore;

namespace SecureInstall.Core.Install;

/// <summary>One artifact of a pinned tool version for one platform, with the signature its tool's policy requires, resolved.</summary>
public sealed class ResolvedArtifact
{
    internal ResolvedArtifact(PinnedManifest manifest, PinnedTool tool, PinnedVersion version, PinnedArtifact artifact)
    {
        Manifest = manifest;
        Tool = tool;
        Version = version;
        Artifact = artifact;
    }

    public PinnedManifest Manifest { get; }
    public PinnedTool Tool { get; }
    public PinnedVersion Version { get; }
    public PinnedArtifact Artifact { get; }

    /// <summary>The detached signature the tool's policy requires (key read, URL built), or null.</summary>
    public ManifestSignatureRequirement? Signature { get; internal set; }

    /// <summary>The Sigstore bundle or GitHub attestation the tool's policy requires, or null.</summary>
    public SigstoreRequirement? Sigstore { get; internal set; }

    /// <summary>The Authenticode signer every executable of the tool must be signed by, or null.</summary>
    public Signatures.Authenticode.AuthenticodeRequirement? Authenticode { get; internal set; }

    /// <summary>Where that bundle is fetched from.</summary>
    public Uri? SigstoreBundleUri { get; internal set; }

    /// <summary>"sha256 pinned in downloads.yml:12" (or the integrity algorithm), or "none (waived)".</summary>
    public string DigestSource => DigestSourceIn(Manifest.Source);

    /// <summary>
    /// <see cref="DigestSource"/> as the lock records it: naming the manifest by its file name (the lock sits beside it), so the
    /// lock reads the same on every machine whatever folder the checkout is in.
    /// </summary>
    public string LockDigestSource => DigestSourceIn(System.IO.Path.GetFileName(Manifest.Source));

    private string DigestSourceIn(string manifest) => Artifact.Sha256 != null ? $"sha256 pinned in {manifest}:{Artifact.Line}"
        : Artifact.Integrity != null ? $"{Checksums.ChecksumAlgorithms.LowerName(Artifact.Integrity.Algorithm)} (integrity) pinned in {manifest}:{Artifact.Line}"
        : "none (waived)";

    /// <summary>Every pinned digest as one entry to check (the strongest, the others as companions), or null when waived.</summary>
    public Checksums.ChecksumEntry? Expected => Artifact.Expected(DigestSource);
}

/// <summary>
/// The one place a manifest's tool, version and platform become an artifact to fetch, and its tool's signature policy a
/// requirement: used by Install-PinnedTool, Save-PinnedTool and Update-PinnedToolManifest, so each refuses the same things
/// with the same ErrorIds and words.
/// </summary>
public static class PinnedArtifactResolver
{
    /// <summary>The tool a manifest pins by that name (any case).</summary>
    /// <exception cref="InstallException">ToolNotInManifest, naming the tools it does pin.</exception>
    public static PinnedTool Tool(PinnedManifest manifest, string name) =>
        manifest.Find(name)
        ?? throw new InstallException(ErrorIds.ToolNotInManifest, FailureKind.NotFound, name, $"{manifest.Source} pins no tool named '{name}' (it pins {string.Join(", ", manifest.Tools.Select(t => t.Name))}).");

    /// <summary>The tool and version a manifest pins (the default, or the only one, when <paramref name="version"/> is null).</summary>
    /// <exception cref="InstallException">ToolNotInManifest, VersionNotInManifest; or the version's first rule violation.</exception>
    public static (PinnedTool Tool, PinnedVersion Version) Version(PinnedManifest manifest, string name, string? version)
    {
        PinnedTool tool = Tool(manifest, name);
        PinnedVersion pinned = tool.Resolve(version)
            ?? throw new InstallException(ErrorIds.VersionNotInManifest, FailureKind.NotFound, tool.Name, version == null
                ? $"{manifest.Source}: {tool.Name} has several versions and no default_version; name one with -Version ({string.Join(", ", tool.Versions.Select(v => v.Key))})."
                : $"{manifest.Source}: {tool.Name} has no version '{version}' (it pins {string.Join(", ", tool.Versions.Select(v => v.Key))}).");
        if (pinned.Problems.Count > 0) throw pinned.Problems[0];
        return (tool, pinned);
    }

    /// <summary>The version's artifact for <paramref name="platform"/> (or its platform-less one).</summary>
    /// <exception cref="InstallException">PlatformNotInManifest.</exception>
    public static PinnedArtifact ArtifactFor(PinnedManifest manifest, PinnedTool tool, PinnedVersion pinned, string platform) =>
        pinned.ArtifactFor(platform)
        ?? throw new InstallException(ErrorIds.PlatformNotInManifest, FailureKind.NotFound, tool.Name,
            $"{manifest.Source}: {tool.Name} {pinned.Version} has no artifact for {platform} (it has {string.Join(", ", pinned.Artifacts.Select(a => a.Platform))}).");

    /// <summary>
    /// Resolves the tool's signature policy for <paramref name="artifact"/> now (key read, URL built), so a policy that
    /// cannot be enforced stops before anything is fetched.
    /// </summary>
    public static ResolvedArtifact Resolve(PinnedManifest manifest, PinnedTool tool, PinnedVersion pinned, PinnedArtifact artifact)
    {
        var resolved = new ResolvedArtifact(manifest, tool, pinned, artifact);
        if (tool.Signature == null) return resolved;
        if (SigstoreRequirement.IsSigstoreScheme(tool.Signature.Scheme))
        {
            string where = $"{tool.Name}: signature (line {tool.Signature.Line})";
            var settings = tool.Signature.Settings.ToDictionary(kv => kv.Key, kv => kv.Value);
            settings["scheme"] = tool.Signature.Scheme.Trim().ToLowerInvariant();
            resolved.Sigstore = SigstoreRequirement.FromSettings(settings, tool.Signature.BaseDirectory, where);
            resolved.SigstoreBundleUri = resolved.Sigstore.BundleUri(artifact.Url, pinned.Version, where, artifact.Sha256);
        }
        else if (Signatures.Authenticode.AuthenticodeRequirement.IsScheme(tool.Signature.Scheme))
        {
            resolved.Authenticode = Signatures.Authenticode.AuthenticodeRequirement.FromPolicy(tool.Signature, tool.Name);
        }
        else
        {
            resolved.Signature = ManifestSignatureRequirement.Resolve(tool.Signature, tool.Name, pinned.Version, artifact.Url);
        }
        return resolved;
    }

    /// <summary>Resolves <paramref name="name"/> (at <paramref name="version"/>) for one platform.</summary>
    public static ResolvedArtifact Resolve(PinnedManifest manifest, string name, string? version, string platform)
    {
        (PinnedTool tool, PinnedVersion pinned) = Version(manifest, name, version);
        return Resolve(manifest, tool, pinned, ArtifactFor(manifest, tool, pinned, platform));
    }

    /// <summary>
    /// What Save-PinnedTool covers: the named tools (all when none), one version (the default when none), the given platforms
    /// (every artifact when none). A waived artifact is refused: a bundle holds only pinned ones.
    /// </summary>
    public static IReadOnlyList<ResolvedArtifact> Select(PinnedManifest manifest, IReadOnlyCollection<string> names, string? version, IReadOnlyCollection<string> platforms)
    {
        var selected = new List<ResolvedArtifact>();
        foreach (string name in names.Count == 0 ? manifest.Tools.Select(t => t.Name) : names)
        {
            (PinnedTool tool, PinnedVersion pinned) = Version(manifest, name, version);
            IEnumerable<PinnedArtifact> artifacts = platforms.Count == 0 ? pinned.Artifacts : platforms.Select(p => ArtifactFor(manifest, tool, pinned, p));
            foreach (PinnedArtifact a in artifacts.Distinct())
            {
                if (!a.IsPinned)
                    throw new InstallException(ErrorIds.ManifestEntryUnpinned, FailureKind.Security, tool.Name, $"{tool.Name} {pinned.Version} is waived (no sha256 or integrity): a bundle holds only pinned artifacts.");
                selected.Add(Resolve(manifest, tool, pinned, a));
            }
        }
        return selected;
    }
}
