// The resolved catalog entry (per platform: URL, checksum source, signature policy), shared by the aqua and winget readers.
using SecureInstall.Core.Checksums;
using SecureInstall.Core.Manifests;

namespace SecureInstall.Core.Catalogs.Aqua;

/// <summary>The publisher's checksum file for an artifact, as the definition's <c>checksum:</c> describes it.</summary>
public sealed class CatalogChecksumSource
{
    public Uri Url { get; internal set; } = null!;
    public ChecksumAlgorithm Algorithm { get; internal set; } = ChecksumAlgorithm.SHA256;

    /// <summary>"" (a checksum list in any dialect ChecksumListParser reads), "raw" (the file is the digest) or "regexp".</summary>
    public string FileFormat { get; internal set; } = string.Empty;
    public string? ChecksumPattern { get; internal set; }
    public string? FilePattern { get; internal set; }

    /// <summary>The Sigstore bundle over the checksum file (aqua's <c>checksum.cosign.bundle</c>), verified before any digest in it is trusted; null when unsigned.</summary>
    public Uri? SigstoreBundle { get; internal set; }

    /// <summary>Who must have signed the checksum file: the certificate identity (or identity regex), rendered for this version, and its OIDC issuer.</summary>
    public string? CertificateIdentity { get; internal set; }
    public string? CertificateIdentityRegex { get; internal set; }
    public string? CertificateOidcIssuer { get; internal set; }

    /// <summary>"identity X, issuer Y" as the entry's comment and -WhatIf say it.</summary>
    public string SignerText => (CertificateIdentity != null ? "identity " + CertificateIdentity : "identity matching " + CertificateIdentityRegex) + ", issuer " + CertificateOidcIssuer;
}

/// <summary>One platform's artifact as a catalog definition gives it, before anything is fetched.</summary>
public sealed class CatalogArtifact
{
    /// <summary>Manifest spelling: linux-x64, darwin-arm64, …</summary>
    public string Platform { get; internal set; } = string.Empty;
    public Uri Url { get; internal set; } = null!;

    /// <summary>The file name the publisher's list names the artifact by.</summary>
    public string Asset { get; internal set; } = string.Empty;
    public ArtifactKind Kind { get; internal set; }

    /// <summary>The archive format as the definition names it (tar.gz, zip, raw, msi, …).</summary>
    public string Format { get; internal set; } = string.Empty;
    public IReadOnlyList<string> Executables { get; internal set; } = Array.Empty<string>();

    /// <summary>Where the digest comes from; null when the definition names no checksum file (then only -TrustOnFirstUse pins it).</summary>
    public CatalogChecksumSource? Checksum { get; internal set; }

    /// <summary>A digest the definition itself gives (winget's InstallerSha256), lower-case hex SHA-256.</summary>
    public string? Sha256 { get; internal set; }

    /// <summary>Why nothing pins the bytes ("checksum: enabled: false"), for the refusal and the waiver.</summary>
    public string? UnpinnedReason { get; internal set; }

    /// <summary>The signature policy the definition states for this artifact, in the manifest's vocabulary, or null.</summary>
    public IReadOnlyDictionary<string, string>? Signature { get; internal set; }

    /// <summary>Features of the definition that are not carried into the entry, each by name and why.</summary>
    public List<string> NotCarried { get; } = new();

    /// <summary>Switches and the like an installer needs (winget), carried as a comment.</summary>
    public string? InstallerNote { get; internal set; }

    /// <summary>A setup program run on Windows (winget msi, wix, exe, inno, nullsoft, burn): the entry's <c>installer:</c> block, or null.</summary>
    public PinnedInstaller? Installer { get; internal set; }
}

/// <summary>A package version resolved for every platform: artifacts for those it supports, a reason for the others.</summary>
public sealed class CatalogResolution
{
    public string Catalog { get; internal set; } = string.Empty;
    public string Package { get; internal set; } = string.Empty;
    public string Version { get; internal set; } = string.Empty;

    /// <summary>The release tag the URLs use ("v2.63.0").</summary>
    public string Tag { get; internal set; } = string.Empty;
    public string DefinitionSource { get; internal set; } = string.Empty;
    public string? DefinitionCommit { get; internal set; }

    /// <summary>The tool name the entry gets (a plain folder name).</summary>
    public string ToolName { get; internal set; } = string.Empty;
    public List<CatalogArtifact> Artifacts { get; } = new();

    /// <summary>Platforms without an artifact, each with the reason (not supported by the package, an unmapped format, …).</summary>
    public List<KeyValuePair<string, string>> Skipped { get; } = new();
}
