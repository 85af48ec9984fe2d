@{
    Synopsis    = 'Removes installed pinned module versions and their entries in the lock.'
    Description = @'
Uninstall-PinnedModule removes what Install-PinnedModule installed: for each named module, the version the lock's modules
section records (one version with -Version, else every recorded version), from the module path (-ModulePath, or the
-Scope folder of the running edition, as for Install-PinnedModule), and its lock entry. It supports -WhatIf and -Confirm.

Only <module path>/<Name>/<Version> of a version the lock records is removed, and its file list beside it; the path is
derived from the module path and the names, never read from the lock. Before anything is removed, every version's tree is
compared with the lock's digest: a tree that changed since its install (a file changed, added or removed) may hold
someone's work, so the whole request is refused (InstalledTreeTampered) and nothing changes, unless -Force is given. A
module that another recorded module depends on, and that module stays, is refused too (ModuleRequiredByAnother): name
both. A version whose folder is already gone loses only its lock entry.

Each folder is first renamed away in one step, then the lock is written, then the folders are deleted: a lock that cannot
be written puts them back, so a module is never half removed or removed while the lock still records it. A <Name>
folder left empty is removed too.
'@
    Parameters  = @{
        Manifest   = 'The manifest whose lock (secureinstall.lock.json beside it) records the modules.'
        Name       = 'Modules to remove.'
        Version    = 'The version to remove; every version the lock records of the module when omitted.'
        Scope      = 'The module path to remove from: CurrentUser (default) or AllUsers of the running edition, as for Install-PinnedModule -Scope.'
        ModulePath = 'The module folder the modules were installed into with Install-PinnedModule -ModulePath.'
        Force      = 'Remove a version folder even when its tree is no longer the one the lock records (a warning names what differed).'
    }
    Examples    = @(
        @{
            Code    = "Install-PinnedModule -Manifest .\tools.yml -Name Pester -ModulePath .\Modules`nUninstall-PinnedModule -Manifest .\tools.yml -Name Pester -Version 5.9.0 -ModulePath .\Modules"
            Remarks = 'Installs the pinned Pester into .\Modules, then removes that version again and its lock entry.'
        }
        @{
            Code    = "Install-PinnedModule -Manifest .\tools.yml -ModulePath .\Modules | Uninstall-PinnedModule -Manifest .\tools.yml -ModulePath .\Modules -WhatIf"
            Remarks = 'Shows what would be removed: the output of Install-PinnedModule (Name, Version) binds by property name.'
        }
    )
    Inputs      = 'Objects with Name and Version properties (Install-PinnedModule and Test-PinnedModule output).'
    Outputs     = 'None.'
    Notes       = 'ErrorIds: NotInstalled (ObjectNotFound: the lock records no such module or version), InstalledTreeTampered (SecurityError: the tree changed since its install; -Force removes it anyway), ModuleRequiredByAnother (InvalidArgument), InstallRootNotTrusted (SecurityError: the module path is owned by another user or writable by others), LockInvalid (InvalidData), InstallInProgress (ResourceUnavailable), PermissionDenied.'
}
