@{
    Synopsis    = 'Installs the PowerShell modules a manifest pins, each held to the SHA-512 of its .nupkg, with their pinned dependencies.'
    Description = @'
Install-PinnedModule reads the manifest's modules: section (name -> version, sha512 of the .nupkg as hex or base64, source)
and installs each module into <module path>/<Name>/<Version>, the layout PowerShellGet writes and
Import-Module -RequiredVersion finds. The source is a NuGet v3 service index (…/index.json: the package comes from its
PackageBaseAddress flat container) or a v2 endpoint such as https://www.powershellgallery.com/api/v2 (…/package/<id>/<version>).

The .nupkg is downloaded through the verified downloader (HTTPS only, redirects checked, cache and mirrors), its SHA-512
compared with the pin before a byte is extracted, and extracted under the archive rules (no path escaping the folder, no
links out, size limits). Its .nuspec must name the pinned id and version, and its <Name>.psd1 — read as data, never run —
must declare the pinned ModuleVersion (and Prerelease): a package that says otherwise is refused (ModuleIdentityMismatch).
A module its RequiredModules names must be a .nuspec dependency too, so pinned (ModuleDependencyNotPinned otherwise),
unless the package declares it external (PrivateData.PSData.ExternalModuleDependencies: on no feed; -Verbose names it). A
.nupkg is at most 256 MiB (the Gallery's own limit is 250 MB): a feed that sends more is cut off (SizeLimitExceeded).
An existing <Name> or <Name>/<Version> folder that is a link, or that another user owns or can write, is refused
(InstallRootNotTrusted) before anything is downloaded.
The NuGet packaging parts ([Content_Types].xml, _rels/, package/ and the .nuspec) are removed, as PSResourceGet removes them.

Every dependency the .nuspec declares must be pinned in the manifest at a version inside the declared range: an unpinned
one is an error naming it (ModuleDependencyNotPinned), never a silent fetch, and a cycle is refused (ModuleDependencyCycle).
Nothing is placed until every module of the request and its dependencies is downloaded and checked; each module then moves
into place in one step, dependencies first. The lock beside the manifest records each module's version, sha512, source,
tree digest and dependencies in its modules section (no machine path). A module whose installed tree verifies against the
lock is kept (-Force reinstalls it).
'@
    Parameters  = @{
        Manifest   = 'The manifest (YAML) whose modules: section pins the modules. Its lock, secureinstall.lock.json, sits beside it.'
        Name       = 'Modules to install; every module the manifest pins when omitted. Their pinned dependencies are installed with them.'
        Scope      = "CurrentUser (default: the running edition's Documents\PowerShell\Modules, Documents\WindowsPowerShell\Modules, or ~/.local/share/powershell/Modules) or AllUsers (the edition's Program Files folder, /usr/local/share/powershell/Modules)."
        ModulePath = 'A module folder to install into instead of the scope''s; it need not be on PSModulePath.'
        FeedToken  = 'A bearer token (SecureString) for private feeds, sent only to the host of the feed the manifest names, never after a redirect to another host.'
        Force      = 'Reinstall even when the installed module verifies against the lock.'
        Source     = 'A bundle folder Save-PinnedModule wrote: each .nupkg is read from it instead of the feed (no network) and checked exactly as a download; a package it lacks is NotInBundle.'
        Registry   = 'OCI registries (oci://HOST[:PORT]/REPO) or OCI image layout folders that Save-PinnedTool filled (-Destination oci://... or a folder): each .nupkg is fetched there first by its pin, as GET /v2/REPO/blobs/sha512:<hex>, then from its feed. Registries in mirrors.json ({"registry": "oci://..."}) are tried too. What a registry serves is held to the sha512 pin like any download: other bytes are ChecksumMismatch and nothing is installed. HTTPS only unless -AllowInsecureTransport; the Authorization header never follows a redirect to another host.'
        RegistryOnly = 'Fetch only from the registries (-Registry, mirrors.json), never the modules'' feeds (not even a v3 service index): for air-gapped fleets.'
        RegistryCredential = 'User name and password (or token) for the registries: Basic auth, or the Bearer token flow. Without it, the Docker config''s entry for the host ($env:DOCKER_CONFIG/config.json, else ~/.docker/config.json), as Install-PinnedTool reads it.'
        AllowInsecureTransport = 'Speak plain HTTP to the -Registry registries (as oras --plain-http), and use a mirrors.json registry marked "plainHttp": true. What is fetched is still held to the pins, but credentials cross the network unencrypted.'
    }
    Examples    = @(
        @{
            Code    = 'Install-PinnedModule -Manifest .\tools.yml -ModulePath .\Modules'
            Remarks = 'Installs every module the manifest pins, with its dependencies, into .\Modules\<Name>\<Version>.'
        }
        @{
            Code    = 'Install-PinnedModule .\tools.yml -Name Pester -WhatIf'
            Remarks = 'Shows what would be downloaded, checked and installed, and changes nothing.'
        }
        @{
            Code    = 'Install-PinnedModule -Manifest .\tools.yml -Registry oci://registry.corp.example/tools/secureinstall -RegistryOnly'
            Remarks = 'On a fleet machine: installs the pinned modules from the organisation''s registry, which Save-PinnedTool -Destination oci://... filled, without asking their feeds; each package is still held to its sha512.'
        }
    )
    Inputs      = 'System.String[]: module names to -Name.'
    Outputs     = 'SecureInstall.Core.Modules.ModuleInstallResult (Name, Version, Status, Path, Sha512, Source, TreeDigest, Dependencies, IsDependency).'
    Notes       = 'ErrorIds: RegistryAuthenticationFailed (AuthenticationError), RegistryReferenceInvalid (InvalidArgument), RegistryRequestFailed, DownloadFailed (ResourceUnavailable); ChecksumMismatch, ModuleIdentityMismatch, UnsafeArchiveEntry, InsecureRedirect (SecurityError); ModuleDependencyNotPinned, ModuleDependencyCycle, ModulePackageInvalid, FeedInvalid, ManifestInvalid (InvalidData); ModuleNotInManifest (ObjectNotFound); ManifestEntryUnpinned, ManifestVersionNotPinned, ManifestInsecureUrl, InstallRootNotTrusted (SecurityError); SizeLimitExceeded (LimitsExceeded).'
}
