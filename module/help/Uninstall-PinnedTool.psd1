@{
    Synopsis    = 'Removes installed tool versions, their shims and their lock entries.'
    Description = @'
Uninstall-PinnedTool removes the installed tree of each named tool (one version with -Version, else every installed
version), the shims that start it, its file list and its entry in the lock. The tree is first renamed away, so a
half-deleted tree never looks installed. It supports -WhatIf and -Confirm.

What is removed is derived from the install root (-Scope, or SECUREINSTALL_HOME) and the tool and version names, which
are checked: only <root>/<tool>/<version> and <root>/<tool>/<version>.tree (and its record in the root's state), never a
path a lock stores. A lock of the earlier format (lockVersion 1) whose installedPath differs is reported with a warning and that path is left alone; when nothing is installed where the root
keeps the version, the uninstall is refused (LockPathMismatch) and the lock entry kept. A symbolic link in the version
folder's place is removed as a link, never followed. Only shims holding exactly what SecureInstall wrote for that tool and
version are deleted; any other file in the shim folder is left alone.
'@
    Parameters  = @{
        Manifest = 'The manifest whose lock records the installs.'
        Name     = 'Tools to remove.'
        Version  = 'The version to remove; every installed version of the tool when omitted.'
        Scope    = 'The install root to remove from: CurrentUser (default) or AllUsers, as for Install-PinnedTool -Scope (SECUREINSTALL_HOME moves CurrentUser, SECUREINSTALL_MACHINE_HOME AllUsers). AllUsers needs an elevated session or root (ElevationRequired) and an admin-only root (InstallRootNotTrusted).'
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
    Notes       = 'ErrorIds: NotInstalled (ObjectNotFound), LockPathMismatch (SecurityError), ManifestInvalid (InvalidData: the lock names a tool or version that cannot be a folder), InstallInProgress, PermissionDenied, InstallRootNotTrusted (SecurityError: the install root is owned by another user or writable by others).'
}
