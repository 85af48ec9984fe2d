@{
    Synopsis    = 'Re-verifies installed pinned modules against the lock, and reports any copy that Import-Module would load instead.'
    Description = @'
Test-PinnedModule re-lists each module the lock's modules section records, at <module path>/<Name>/<Version> (the path
comes from -Scope or -ModulePath, never from the lock), and compares the tree's digest with the one recorded at install.
A tree that differs is an InstalledTreeTampered error (SecurityError) naming each file changed, added or removed, read
from the file list kept beside the tree (whose own digest is the lock's, so it cannot be edited to hide a change).

It also reports shadowing (ModuleShadowed, SecurityError): a module of the same name that Import-Module <Name> would load
instead of the pinned one — a copy in a PSModulePath folder searched before the pinned module's, a higher version beside
it (PowerShell takes the highest version in the first folder that has the module), or a copy already loaded in this
session from elsewhere. Importing with -RequiredVersion avoids the first two.
'@
    Parameters  = @{
        Manifest   = 'The manifest whose lock (secureinstall.lock.json beside it) records the modules.'
        Name       = 'Modules to check; every module the lock records when omitted.'
        Scope      = 'The module path to check: CurrentUser (default) or AllUsers of the running edition, as for Install-PinnedModule -Scope.'
        ModulePath = 'The module folder the modules were installed into with Install-PinnedModule -ModulePath.'
    }
    Examples    = @(
        @{
            Code    = 'Test-PinnedModule -Manifest .\tools.yml -ModulePath .\Modules'
            Remarks = 'Checks every pinned module installed into .\Modules; a changed file or a shadowing copy is an error naming it.'
        }
    )
    Inputs      = 'System.String[]: module names to -Name.'
    Outputs     = 'SecureInstall.Core.Modules.InstalledModuleStatus (Name, Version, Status, Path, Changed, Added, Removed, ShadowedBy).'
    Notes       = 'ErrorIds: InstalledTreeTampered, ModuleShadowed (SecurityError), NotInstalled (ObjectNotFound), LockInvalid (InvalidData).'
}
