@{
    Synopsis    = 'Lists the tools a manifest pins and what this machine has installed of them.'
    Description = @'
Get-PinnedTool shows, for each tool of the manifest, the pinned default version and every installed version the lock
records for this platform, with its folder and status: Installed, Missing (recorded but its folder is gone) or
NotInstalled. With -Verify each installed tree is re-hashed (Verified or Tampered), as Test-PinnedTool does.
The folder is <root>/<tool>/<version> of the install root -Scope names; a lock of the earlier format (lockVersion 1)
whose installedPath differs is shown in RecordedPath with a warning, and that path is never used.
'@
    Parameters  = @{
        Manifest = 'The manifest; its lock is secureinstall.lock.json beside it.'
        Name     = 'Tools to show; wildcards allowed. All when omitted.'
        Verify   = 'Re-hash each installed tree against the lock.'
        Scope    = 'The install root to look in: CurrentUser (default) or AllUsers, as for Install-PinnedTool -Scope (SECUREINSTALL_HOME moves CurrentUser, SECUREINSTALL_MACHINE_HOME AllUsers).'
    }
    Examples    = @(
        @{
            Code    = 'Get-PinnedTool -Manifest .\tools.yml'
            Remarks = 'Lists every pinned tool and its installed versions.'
        }
        @{
            Code    = "Get-PinnedTool .\tools.yml -Name 'no*' -Verify | Where-Object Status -ne 'Verified'"
            Remarks = 'Finds installed node versions whose files changed.'
        }
    )
    Inputs      = 'System.String[]: tool names to -Name.'
    Outputs     = 'SecureInstall.Core.Install.InstalledToolStatus.'
    Notes       = 'ErrorIds: ManifestInvalid, LockInvalid (InvalidData); PathNotFound; PathIsDirectory (InvalidArgument).'
}
