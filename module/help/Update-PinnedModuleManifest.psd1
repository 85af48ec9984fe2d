@{
    Synopsis    = 'Pins a PowerShell module version from its feed, with the .nupkg''s SHA-512, and pins each of its dependencies.'
    Description = @'
Update-PinnedModuleManifest asks the module's feed for its versions (NuGet v3: the flat container's <id>/index.json
named by the service index; v2: OData FindPackagesById()), takes -Version or the highest release, downloads the .nupkg
through the verified downloader (https only, size capped, no cache) and computes its SHA-512. It reads the package's
.nuspec (and its .psd1, held to the rules Install-PinnedModule applies) and pins each dependency the same way, at the highest version the feed has inside the dependency's range (what
Install-PSResource installs for a range), and their dependencies in turn. The manifest's modules: section is edited as
text: a pinned module's version and sha512 are replaced in place, a new one is appended, comments and layout stay, and
the result is read back before it is written atomically. A version already pinned whose package now has another
SHA-512 is refused with PinnedDigestChanged and the manifest is left as it was. -WhatIf shows each change.
'@
    Parameters  = @{
        Manifest  = 'The manifest to update.'
        Name      = 'The module.'
        Version   = 'The version to pin; the feed''s highest release by default.'
        Source    = 'The feed: a NuGet v2 endpoint (https://www.powershellgallery.com/api/v2) or a v3 index.json; the module''s pinned source by default.'
        FeedToken = 'A bearer token for the feed, sent to the feed''s own host only, never after a redirect to another.'
    }
    Examples    = @(
        @{
            Code    = 'Update-PinnedModuleManifest -Manifest .\tools.yml -Name Pester -WhatIf'
            Remarks = 'Shows the pins the feed''s newest Pester and its dependencies would get, and changes nothing.'
        }
        @{
            Code    = 'Update-PinnedModuleManifest .\tools.yml Pester 5.9.0'
            Remarks = 'Pins Pester 5.9.0 and its dependencies; review the diff before committing.'
        }
    )
    Inputs      = 'None.'
    Outputs     = 'SecureInstall.Core.Modules.ModulePinUpdate (Name, Version, FromVersion, Change, Sha512, Source, IsDependency, Dependencies), one per module pinned.'
    Notes       = 'ErrorIds: PinnedDigestChanged, ModuleIdentityMismatch, InsecureRedirect, ManifestInsecureUrl (SecurityError); FeedInvalid, ModulePackageInvalid, ManifestInvalid (InvalidData); ModuleNotInManifest (ObjectNotFound); ModuleDependencyNotPinned (InvalidData); SizeLimitExceeded (LimitsExceeded); DownloadFailed.'
}
