@{
    Synopsis    = 'Installs exactly the tool versions a manifest pins, verified, and records them in the lock.'
    Description = @'
Install-PinnedTool reads a pinned-tool manifest (YAML: the native layout or the clauded downloads.yml layout) and, for
each tool: resolves the version and this machine's artifact, refuses it if the entry is not pinned (no sha256, a moving
version such as "latest" or a range, an http URL) unless the entry carries a waiver with a reason, downloads it through
the verified download engine (one streaming pass, digest checked before the file is kept), extracts it with the safe
archive extractor (or copies a plain binary), moves the complete tree into <root>/<tool>/<version>/ with a rename,
writes shims into <root>/bin, and records URL, SHA-256, size, what verified it, the installed path and a digest of the
installed tree in secureinstall.lock.json beside the manifest.

An interrupted install leaves the previous version working and no half-written version folder. A second run is a
no-op that re-hashes the installed tree and says "already installed, verified". Two concurrent installs of the same
tool (two processes) end with one good install: the second waits for the first, then finds it installed. With
-Locked (CI) only what the lock records is installed, and a manifest that disagrees with the lock is an error.
Every waiver is printed as a warning at each install and recorded in the lock.

The installed tree is recorded as a listing of every entry's kind (file, folder, link, other), mode (setuid, setgid,
sticky and rwx bits) and content digest (for a link, of the file it leads to inside the tree); a tree holding a link
that leads outside itself is refused. Tool names and versions are folders of the install root, so the names the
installer uses itself are refused in the manifest (ManifestInvalid): a leading dot (.staging-, .download-, .locks,
*.partial), '.old-' and '.removing-' (deleted as leftovers), a version ending in '.tree', a tool named 'bin'.
Each bin entry gets a shim named after its file; two tools of the manifest with the same command are refused
(ShimConflict) unless one lists it in owns_shims, and a file in the shim folder that is not this tool's own shim (another
tool's, a user's script, an edited shim) is never overwritten unless the manifest says this tool owns the command.
When the tree is already installed and verifies, the lock's installed path and shims are re-recorded for this machine.
The lock must be a regular file: a symbolic link, FIFO, device or folder in its place is refused (LockInvalid), never read.

An artifact with an installer: block (a setup program, as Add-PinnedTool -From winget writes it) is downloaded and
verified like any artifact, then, on Windows only, run from its verified copy in the version folder with its silent
switches: silent: replaces the type's defaults (msi and wix through msiexec /i <file> /qn /norestart; inno /VERYSILENT
/SUPPRESSMSGBOXES /NORESTART /SP-; nullsoft /S; burn /quiet /norestart) and custom: is appended; a plain exe needs
silent:. -WhatIf shows the exact command line. scope: machine (or elevated: true) needs an elevated session
(ElevationRequired, before anything is downloaded). Exit code 0 and success_codes: are success; 3010, 1641 and the codes
return_codes: calls rebootRequiredToFinish are success with a warning to restart Windows; any other code is
InstallerFailed (naming the code's meaning from return_codes:), and nothing is kept or recorded. The lock records the
waiver InstallerChangesNotVerified: Test-PinnedTool verifies the installer that ran, not what it changed on the machine,
and shows that waiver. Elsewhere than Windows the installer is downloaded and verified, then refused with
InstallerNotRunHere; nothing is placed or recorded.
'@
    Parameters  = @{
        Manifest  = 'The manifest file. Its lock, secureinstall.lock.json, is read and written beside it.'
        Name      = 'Tools to install; every tool the manifest pins when omitted.'
        Version   = 'The version to install: its key in the manifest ("22") or the exact version ("22.22.0"). The default_version when omitted.'
        Scope     = 'CurrentUser (default): %LOCALAPPDATA%\SecureInstall\tools or ~/.local/share/secureinstall/tools (SECUREINSTALL_HOME moves it). AllUsers: %ProgramData%\SecureInstall\tools or /opt/secureinstall/tools (SECUREINSTALL_MACHINE_HOME moves it); needs an elevated session or root (else ElevationRequired), and the root and everything below it must be changeable by administrators only (else InstallRootNotTrusted, naming the path, its owner and mode or ACL). A new root gets Administrators and SYSTEM full control, Users read and execute, inheritance removed (Windows) or root ownership without group/world write (Unix). The shims are in <root>\bin, which the administrator adds to the machine PATH (the warning says how).'
        Platform  = 'The platform whose artifact to install: auto (this machine) or an os-arch name.'
        AddToPath = 'Put the shim folder on PATH: this session''s, and the one new sessions get. On Windows the user''s PATH (CurrentUser) or the machine PATH (AllUsers: HKLM Session Manager\Environment, kept REG_EXPAND_SZ, then WM_SETTINGCHANGE); for all users on Linux a root-owned /etc/profile.d/secureinstall.sh, on macOS /etc/paths.d/secureinstall. -WhatIf shows the change.'
        Locked    = 'Install only what the lock records, and fail (NotLocked, LockMismatch) when the manifest and the lock disagree. For CI.'
        Source    = 'A bundle folder written by Save-PinnedTool: artifacts are taken from it by digest, with no network.'
        Force     = 'Reinstall even when the installed tree verifies against the lock.'
        Registry  = 'OCI registries (oci://HOST[:PORT]/REPO) or OCI image layout folders (written by Save-PinnedTool -Destination <folder>): each artifact pinned by sha256 is fetched there first as GET /v2/REPO/blobs/sha256:<pin>, then from its own URL. Registries in mirrors.json ({"registry": "oci://..."}) are tried too. What a registry serves is verified like any download; other bytes are ChecksumMismatch and the next source is tried. HTTPS only unless -AllowInsecureTransport is given; the Authorization header never follows a redirect to another host (a storage URL).'
        AllowInsecureTransport = 'Speak plain HTTP to the -Registry registries (http://HOST[:PORT]/v2/..., as oras --plain-http), for a registry without TLS; and use a mirrors.json registry marked {"registry": "oci://...", "plainHttp": true}, which is refused (InsecureTransport, naming the registry) without this switch. What is fetched is still verified against the pins, but credentials cross the network unencrypted. Artifacts'' http:// URLs are fetched too; redirects from https to http stay refused.'
        RegistryOnly = 'Fetch only from the registries (-Registry, mirrors.json), never the artifacts'' own URLs: for air-gapped fleets. An artifact pinned by a sha512 integrity alone is fetched by it (GET /v2/REPO/blobs/sha512:<pin>); one pinned by sha384 alone cannot be asked for (OCI digests are sha256 and sha512) and fails.'
        RegistryCredential = 'User name and password (or token) for the registries: sent as Basic auth, or to the token service the registry names (the Bearer token flow). Without it, the Docker config''s entry for the host is used ($env:DOCKER_CONFIG/config.json, else ~/.docker/config.json), with docker''s precedence: the host''s credHelpers entry, else credsStore (docker-credential-<name> get, with a 30 s timeout; a helper holding nothing means anonymous), else auths. A missing or failing helper is RegistryCredentialHelperFailed.'
    }
    Examples    = @(
        @{
            Code    = 'Install-PinnedTool -Manifest .\tools.yml'
            Remarks = 'Installs every tool the manifest pins, for this machine, into the per-user tool folder.'
        }
        @{
            Code    = 'Install-PinnedTool -Manifest .\tools.yml -Name go, node -WhatIf'
            Remarks = 'Shows every download, extraction, shim and lock write it would do, without doing any.'
        }
        @{
            Code    = 'Install-PinnedTool -Manifest .\tools.yml -Locked -AddToPath'
            Remarks = 'In CI: installs exactly what the committed lock records and puts the shims on PATH.'
        }
        @{
            Code    = 'Install-PinnedTool -Manifest .\tools.yml -Registry oci://registry.corp.example/tools/secureinstall -RegistryOnly'
            Remarks = 'On a fleet machine: fetches every artifact by its pinned digest from the organisation''s registry and never from the internet.'
        }
    )
    Inputs      = 'System.String[]: tool names to -Name.'
    Outputs     = 'SecureInstall.Core.Install.InstallResult (Name, Version, Platform, Status, Path, Sha256, VerifiedBy, TreeDigest, Shims, Waivers).'
    Notes       = 'ErrorIds: InstallerNotRunHere, InstallerNotRunnable (NotImplemented), InstallerFailed (WriteError), ElevationRequired (PermissionDenied); RegistryAuthenticationFailed (AuthenticationError), RegistryReferenceInvalid (InvalidArgument), RegistryRequestFailed (ResourceUnavailable); ManifestEntryUnpinned, ManifestVersionNotPinned, ManifestInsecureUrl, ChecksumMismatch, NotLocked, LockMismatch, ShimConflict, UnsafeArchiveEntry (SecurityError); ManifestInvalid, LockInvalid (InvalidData); ToolNotInManifest, VersionNotInManifest, PlatformNotInManifest (ObjectNotFound); InstallInProgress; PathIsDirectory (InvalidArgument); InstallRootNotTrusted (SecurityError: the install root, or a folder above it, is owned by another user or writable by others); and every Get-VerifiedArtifact and Expand-VerifiedArchive error. Verbose lines name the URI the artifact came from after redirects, with credentials and signature values (X-Amz-Signature, token, ...) shown as ***.'
}
