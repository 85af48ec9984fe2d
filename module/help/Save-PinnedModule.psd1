@{
    Synopsis    = 'Saves the pinned modules'' verified .nupkg files, the manifest and its lock into a bundle for offline installs.'
    Description = @'
Save-PinnedModule downloads each named module's .nupkg (every module the manifest pins when -Name is omitted) through the
verified downloader (cache and mirrors included), holds it to its pinned SHA-512, and writes it into the bundle folder as
modules/sha512-<hex>/<id>.<version>.nupkg. The pinned modules each package's .nuspec depends on are saved too; an unpinned
dependency is an error naming it (ModuleDependencyNotPinned). The manifest and its lock are copied to the top of the
bundle and SHA256SUMS written over everything the bundle carries, so one folder can hold Save-PinnedTool's tools and the
modules. It supports -WhatIf and -Confirm.

On the offline machine, Install-PinnedModule -Source <bundle> reads each package from the bundle instead of the feed,
and checks it exactly as a download: its SHA-512, its .nuspec and .psd1, its dependencies. A package the bundle lacks is
NotInBundle.
'@
    Parameters  = @{
        Manifest  = 'The manifest (YAML) with a modules: section; it and its lock are copied into the bundle.'
        Path      = 'The bundle folder to write (created when missing), as for Save-PinnedTool -Path.'
        Name      = 'Modules to save, with the pinned modules they depend on; every module the manifest pins when omitted.'
        FeedToken = 'A bearer token for the feeds, sent only to each feed''s own host (never after a redirect to another).'
    }
    Examples    = @(
        @{
            Code    = 'Save-PinnedModule -Manifest .\tools.yml -Path E:\bundle'
            Remarks = 'Saves every pinned module into the bundle on E:, beside the tools Save-PinnedTool put there.'
        }
        @{
            Code    = "Save-PinnedModule -Manifest .\tools.yml -Path E:\bundle`nInstall-PinnedModule -Manifest E:\bundle\tools.yml -Source E:\bundle -ModulePath .\Modules"
            Remarks = 'On the machine without network access: installs the modules from the bundle, each held to its pin.'
        }
    )
    Inputs      = 'System.String[]: module names to -Name.'
    Outputs     = 'SecureInstall.Core.Modules.BundledModule (Name, Version, Path, Sha512, Size, IsDependency).'
    Notes       = 'ErrorIds: ChecksumMismatch (SecurityError), ModuleNotInManifest (ObjectNotFound), ModuleDependencyNotPinned, ModulePackageInvalid (InvalidData), ModuleIdentityMismatch (SecurityError), FeedInvalid (InvalidData), DownloadFailed (ResourceUnavailable).'
}
