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
'@
    Parameters  = @{
        Manifest  = 'The manifest file. Its lock, secureinstall.lock.json, is read and written beside it.'
        Name      = 'Tools to install; every tool the manifest pins when omitted.'
        Version   = 'The version to install: its key in the manifest ("22") or the exact version ("22.22.0"). The default_version when omitted.'
        Scope     = 'CurrentUser (default): %LOCALAPPDATA%\SecureInstall\tools or ~/.local/share/secureinstall/tools. AllUsers: %ProgramData%\SecureInstall\tools or /opt/secureinstall/tools. SECUREINSTALL_HOME overrides both.'
        Platform  = 'The platform whose artifact to install: auto (this machine) or an os-arch name.'
        AddToPath = 'Put the shim folder on PATH for this session (and, on Windows, the user''s PATH).'
        Locked    = 'Install only what the lock records, and fail (NotLocked, LockMismatch) when the manifest and the lock disagree. For CI.'
        Source    = 'A bundle folder written by Save-PinnedTool: artifacts are taken from it by digest, with no network.'
        Force     = 'Reinstall even when the installed tree verifies against the lock.'
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
    )
    Inputs      = 'System.String[]: tool names to -Name.'
    Outputs     = 'SecureInstall.Core.Install.InstallResult (Name, Version, Platform, Status, Path, Sha256, VerifiedBy, TreeDigest, Shims, Waivers).'
    Notes       = 'ErrorIds: ManifestEntryUnpinned, ManifestVersionNotPinned, ManifestInsecureUrl, ChecksumMismatch, NotLocked, LockMismatch (SecurityError); ManifestInvalid, LockInvalid (InvalidData); ToolNotInManifest, VersionNotInManifest, PlatformNotInManifest (ObjectNotFound); InstallInProgress; PathIsDirectory (InvalidArgument); and every Get-VerifiedArtifact and Expand-VerifiedArchive error.'
}
