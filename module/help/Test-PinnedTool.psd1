@{
    Synopsis    = 'Re-verifies installed tools against the lock and reports any file changed, added or removed.'
    Description = @'
Test-PinnedTool re-lists each installed tree the lock records and compares the tree's digest with the one recorded at
install time. The listing holds every entry's kind (file, folder, link, FIFO/device/socket), its mode (setuid, setgid,
group- and world-writable, executable) and its content (for a link, the content of the file it leads to inside the
tree). A tree that differs is reported as an InstalledTreeTampered error (SecurityError) naming each entry changed,
added or removed and why (a new mode, a new kind, a link leading outside), using the file list kept beside the tree
(whose own digest is the one in the lock, so it cannot be edited to hide a change). Entries are examined with lstat and
only regular files are ever opened: a FIFO or device in the tree is reported, never read (it cannot hang the check).
A version folder replaced by a symbolic link is reported without reading what it points at. The shims the install root's
state records (<root>/.secureinstall-state.json; for an install made before it existed, those a lockVersion 1 lock
recorded) must be exactly the shims SecureInstall wrote (mode 0755) for this tool (this version, or another version the
root records for the same command).

The tree is looked for at <root>/<tool>/<version>, where <root> comes from -Scope (or SECUREINSTALL_HOME), never at the
lock: a lock is edited in pull requests and copied between machines, and holds no path of any machine. When a lock of the
earlier format (lockVersion 1) stores an installedPath that differs, that is reported as LockPathMismatch (SecurityError)
and the status is Tampered; Install-PinnedTool migrates the lock after verifying the tree. An install recorded by an earlier SecureInstall (tree listing format 1, before modes
and kinds were recorded) is reported as Tampered with a note to reinstall it with Install-PinnedTool -Force.
Only the lock is needed: a damaged manifest does not stop the check.
'@
    Parameters  = @{
        Manifest = 'The manifest whose lock (secureinstall.lock.json beside it) records the installs.'
        Name     = 'Tools to check; every tool the lock records when omitted.'
        Quiet    = 'Return a single $true when every tree verifies, else $false, instead of status objects and errors.'
        Scope    = 'The install root to check: CurrentUser (default) or AllUsers, as for Install-PinnedTool -Scope (SECUREINSTALL_HOME moves CurrentUser, SECUREINSTALL_MACHINE_HOME AllUsers). AllUsers also checks that only administrators can change the root and everything below it (InstallRootNotTrusted otherwise); no elevation is needed to check.'
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
    Outputs     = 'SecureInstall.Core.Install.InstalledToolStatus (Name, Version, Status, Path, RecordedPath, Changed, Added, Removed); with -Quiet a System.Boolean.'
    Notes       = 'ErrorIds: InstalledTreeTampered, LockPathMismatch (SecurityError), NotInstalled (ObjectNotFound), LockInvalid, ManifestInvalid (InvalidData: the lock names a tool or version that cannot be a folder).'
}
