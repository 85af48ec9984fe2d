@{
    Synopsis    = 'Removes installed tool versions, their shims and their lock entries.'
    Description = @'
Uninstall-PinnedTool removes the installed tree of each named tool (one version with -Version, else every installed
version), the shims that start it, its file list and its entry in the lock. The tree is first renamed away, so a
half-deleted tree never looks installed. It supports -WhatIf and -Confirm.
'@
    Parameters  = @{
        Manifest = 'The manifest whose lock records the installs.'
        Name     = 'Tools to remove.'
        Version  = 'The version to remove; every installed version of the tool when omitted.'
    }
    Examples    = @(
        @{
            Code    = 'Uninstall-PinnedTool -Manifest .\tools.yml -Name go -Version 1.22.10'
            Remarks = 'Removes one old Go version and its lock entry.'
        }
        @{
            Code    = 'Get-PinnedTool .\tools.yml | Where-Object Status -eq Missing | Uninstall-PinnedTool -Manifest .\tools.yml -WhatIf'
            Remarks = 'Shows which stale lock entries would be removed.'
        }
    )
    Inputs      = 'Objects with Name and Version properties (Get-PinnedTool output).'
    Outputs     = 'None.'
    Notes       = 'ErrorIds: NotInstalled (ObjectNotFound), InstallInProgress, PermissionDenied, InstallRootNotTrusted (SecurityError: the install root is owned by another user or writable by others).'
}
