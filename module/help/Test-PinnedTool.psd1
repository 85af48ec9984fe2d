@{
    Synopsis    = 'Re-verifies installed tools against the lock and reports any file changed, added or removed.'
    Description = @'
Test-PinnedTool re-hashes every file of each installed tree the lock records and compares the tree's digest with the
one recorded at install time. A tree that differs is reported as an InstalledTreeTampered error (SecurityError) naming
the files changed, added and removed, using the file list kept beside the tree (whose own digest is the one in the
lock, so it cannot be edited to hide a change). Only the lock is needed: a damaged manifest does not stop the check.
'@
    Parameters  = @{
        Manifest = 'The manifest whose lock (secureinstall.lock.json beside it) records the installs.'
        Name     = 'Tools to check; every tool the lock records when omitted.'
        Quiet    = 'Return a single $true when every tree verifies, else $false, instead of status objects and errors.'
    }
    Examples    = @(
        @{
            Code    = 'Test-PinnedTool -Manifest .\tools.yml'
            Remarks = 'Checks every installed tool; a changed file is an error naming it.'
        }
        @{
            Code    = "if (-not (Test-PinnedTool .\tools.yml -Quiet)) { throw 'installed tools were modified' }"
            Remarks = 'Stops a CI job whose tool folder was tampered with.'
        }
    )
    Inputs      = 'System.String[]: tool names to -Name.'
    Outputs     = 'SecureInstall.Core.Install.InstalledToolStatus (Name, Version, Status, Path, Changed, Added, Removed); with -Quiet a System.Boolean.'
    Notes       = 'ErrorIds: InstalledTreeTampered (SecurityError), NotInstalled (ObjectNotFound), LockInvalid (InvalidData).'
}
