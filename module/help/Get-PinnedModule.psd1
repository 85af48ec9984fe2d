@{
    Synopsis    = 'Lists the modules a manifest pins and the lock records, and where this machine has them.'
    Description = @'
Get-PinnedModule shows, for each module the manifest pins (and each one the lock still records that the manifest no longer
pins, with a warning), the pinned version (PinnedVersion) and every version the lock's modules section records, with its
folder and status: Installed, Missing (recorded but its folder is gone) or NotInstalled (the lock records none). With
-Verify each installed tree is re-hashed (Verified or Tampered) and PSModulePath searched for copies that shadow it
(ShadowedBy), as Test-PinnedModule does, without writing errors.
The folder is <module path>/<Name>/<Version> of -ModulePath or the -Scope folder of the running edition, as for
Install-PinnedModule; the lock records no path.
'@
    Parameters  = @{
        Manifest   = 'The manifest; its lock is secureinstall.lock.json beside it.'
        Name       = 'Modules to show; wildcards allowed. All when omitted.'
        Verify     = 'Re-hash each installed tree against the lock and search PSModulePath for shadowing copies.'
        Scope      = 'The module path to look in: CurrentUser (default) or AllUsers of the running edition, as for Install-PinnedModule -Scope.'
        ModulePath = 'The module folder the modules were installed into with Install-PinnedModule -ModulePath.'
    }
    Examples    = @(
        @{
            Code    = 'Get-PinnedModule -Manifest .\tools.yml'
            Remarks = 'Lists every pinned module and whether it is installed in the CurrentUser module path.'
        }
        @{
            Code    = "Get-PinnedModule .\tools.yml -Name 'Pe*' -ModulePath .\Modules | Where-Object Status -ne 'Installed'"
            Remarks = 'Shows the pinned modules starting with Pe that are not installed in .\Modules.'
        }
    )
    Inputs      = 'System.String[]: module names to -Name.'
    Outputs     = 'SecureInstall.Core.Modules.InstalledModuleStatus (Name, Version, PinnedVersion, Status, Path, ShadowedBy).'
    Notes       = 'ErrorIds: ManifestInvalid (InvalidData), LockInvalid (InvalidData).'
}
