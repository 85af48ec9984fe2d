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

The folder is also an OCI image layout (oci-layout, index.json, blobs/sha256/, each blob a hard link to the bundle's
file): Install-PinnedTool -Registry <folder> reads it, as do skopeo (oci:<folder>) and oras (--oci-layout).
With -Destination oci://HOST[:PORT]/REPO[:TAG] the same content is pushed to an OCI registry instead: each file one
layer titled by its bundle path (artifacts/<sha256>/<file>, so oras pull writes back this bundle), an empty config as
ORAS writes it, artifactType application/vnd.secureinstall.tools.v1+json, tagged (latest when no tag). A blob the
registry already holds is not uploaded again (HEAD first; -MountFrom repositories are asked to mount it); large blobs
go in chunks. Fleet machines then install with Install-PinnedTool -Registry oci://HOST/REPO.

The manifest's modules: travel too, to a folder and to a registry alike: each module's .nupkg (and every pinned module it
depends on) is downloaded from its feed through the verified downloader and held to its sha512 pin, kept as
modules/sha512-<hex>/<name>.<version>.nupkg (as Save-PinnedModule writes it), and pushed as a blob addressed
sha512:<hex>, the digest Install-PinnedModule -Registry asks for; its layer is titled by that path. Modules have no
platform: -Platform narrows the tools only. -Name chooses among both: a module's name picks that module, a tool's name
that tool; naming only tools leaves the modules out.
'@
    Parameters  = @{
        Manifest = 'The manifest to bundle.'
        Path     = 'The bundle folder (created when missing), or oci://HOST[:PORT]/REPO[:TAG] to push to a registry. Alias: -Destination.'
        AllowInsecureTransport = 'Push to an oci:// destination over plain HTTP (http://HOST[:PORT]/v2/..., as oras --plain-http), for a registry without TLS; the credential then crosses the network unencrypted. Artifacts'' http:// URLs are fetched too; redirects from https to http stay refused.'
        RegistryCredential = 'User name and password (or token) for the registry: Basic auth, or the Bearer token flow. Without it, the Docker config''s entry for the host ($env:DOCKER_CONFIG/config.json, else ~/.docker/config.json): its credHelpers entry, else credsStore (docker-credential-<name> get), else auths, as docker reads them. A missing or failing helper is RegistryCredentialHelperFailed.'
        MountFrom = 'Repositories on the same registry that may already hold the blobs: each missing blob is mounted from them (no bytes sent) before it is uploaded.'
        Name     = 'Tools, or modules the manifest pins under modules:, to bundle; every tool and every module when omitted. A module brings the pinned modules it depends on.'
        FeedToken = 'A bearer token (SecureString) for the modules'' private feeds, sent only to the host of the feed the manifest names, as Save-PinnedModule -FeedToken.'
        Version  = 'The version to bundle; each tool''s default_version when omitted.'
        Platform = 'Platforms to bundle: auto (this machine, the default), all, or os-arch names. Modules have no platform and are bundled whatever it says.'
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
        @{
            Code    = 'Save-PinnedTool -Manifest .\tools.yml -Destination oci://registry.corp.example/tools/secureinstall:v1 -Platform all -RegistryCredential (Get-Credential)'
            Remarks = 'Pushes every pinned artifact, for every platform, and every pinned module''s .nupkg to the organisation''s registry; a second push uploads nothing.'
        }
    )
    Inputs      = 'System.String[]: tool names to -Name.'
    Outputs     = 'SecureInstall.Core.Install.BundledArtifact (Tool, Version, Platform, Path, Sha256, Size) and SecureInstall.Core.Modules.BundledModule (Name, Version, Path, Sha512, Size, IsDependency); with oci://, SecureInstall.Core.Registries.RegistryPushResult (Reference, Digest, Layers, BlobsUploaded, BlobsSkipped, BlobsMounted, BytesUploaded, Artifacts, Modules).'
    Notes       = 'ErrorIds: RegistryAuthenticationFailed (AuthenticationError), RegistryReferenceInvalid (InvalidArgument), RegistryRequestFailed (ResourceUnavailable); ChecksumMismatch, ManifestEntryUnpinned (SecurityError); ToolNotInManifest, VersionNotInManifest, PlatformNotInManifest (ObjectNotFound); ModuleIdentityMismatch (SecurityError), ModuleDependencyNotPinned, ModulePackageInvalid, FeedInvalid (InvalidData); DownloadFailed (ResourceUnavailable); ProxyAuthenticationRequired (AuthenticationError). Verbose lines name the URI each artifact came from after redirects, with credentials and signature values (X-Amz-Signature, token, ...) shown as ***.'
}
