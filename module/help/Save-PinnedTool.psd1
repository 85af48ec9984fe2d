@{
    Synopsis    = 'Writes verified artifacts, the manifest and its lock into a folder that an air-gapped machine installs from.'
    Description = @'
Save-PinnedTool downloads the pinned artifacts of the named tools (each tool's default version unless -Version; this
machine's platform unless -Platform), verifying each against its sha256 as it streams, and writes them into
<Path>/artifacts/<sha256>/<file>, together with a copy of the manifest, its lock (when there is one) and a
SHA256SUMS over the artifacts that anyone can check with sha256sum -c or Test-Checksum before carrying the folder
across. On the other machine: Install-PinnedTool -Manifest <Path>/<manifest> -Source <Path> installs with no network.
Waived (unpinned) entries are refused: a bundle holds only pinned artifacts. When the manifest requires a signature, it
is verified while saving and kept beside the artifact, and the offline install verifies it again with the same key.
'@
    Parameters  = @{
        Manifest = 'The manifest to bundle.'
        Path     = 'The bundle folder; created when missing.'
        Name     = 'Tools to bundle; all when omitted.'
        Version  = 'The version to bundle; each tool''s default_version when omitted.'
        Platform = 'Platforms to bundle: auto (this machine, the default), all, or os-arch names.'
    }
    Examples    = @(
        @{
            Code    = 'Save-PinnedTool -Manifest .\tools.yml -Path E:\bundle -Platform windows-x64'
            Remarks = 'Bundles every tool for Windows x64 onto removable media.'
        }
        @{
            Code    = 'Install-PinnedTool -Manifest E:\bundle\tools.yml -Source E:\bundle -Locked'
            Remarks = 'On the air-gapped machine: installs exactly what the bundled lock records, from the bundle.'
        }
    )
    Inputs      = 'System.String[]: tool names to -Name.'
    Outputs     = 'SecureInstall.Core.Install.BundledArtifact (Tool, Version, Platform, Path, Sha256, Size).'
    Notes       = 'ErrorIds: ChecksumMismatch, ManifestEntryUnpinned (SecurityError); ToolNotInManifest, VersionNotInManifest, PlatformNotInManifest (ObjectNotFound); DownloadFailed (ResourceUnavailable); ProxyAuthenticationRequired (AuthenticationError). Verbose lines name the URI each artifact came from after redirects, with credentials and signature values (X-Amz-Signature, token, ...) shown as ***.'
}
