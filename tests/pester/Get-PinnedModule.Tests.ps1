#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }

# Get-PinnedModule on modules Install-PinnedModule installed from a NuGet v3 feed kept on disk (file: service index and
# flat container), so each listing runs in this session.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot '../../SecureInstall.psd1') -Force
    Set-TestEnvironment SECUREINSTALL_HOME (Join-Path $TestDrive 'home')
    Set-TestEnvironment SECUREINSTALL_CACHE (Join-Path $TestDrive 'cache')
    $feed = Join-Path $TestDrive 'feed'
    $flat = Join-Path $feed 'flat'
    Write-Fixture (Join-Path $feed 'index.json') "{ `"version`": `"3.0.0`", `"resources`": [ { `"@id`": `"$(ConvertTo-FileUri $flat)/`", `"@type`": `"PackageBaseAddress/3.0.0`" } ] }"
    function Publish-Module([string]$Id, [string]$Version) {
        $bytes = New-ModulePackage $Id $Version
        $lower = $Id.ToLowerInvariant()
        Write-Fixture (Join-Path $flat "$lower/$Version/$lower.$Version.nupkg") $bytes
        "  ${Id}:`n    version: `"$Version`"`n    sha512: $(Get-Sha512Hex $bytes)`n    source: $(ConvertTo-FileUri (Join-Path $feed 'index.json'))`n"
    }
    $lantern = Publish-Module 'Lantern' '1.0.0'
    $beacon = Publish-Module 'Beacon' '2.1.0'
}

AfterAll { Restore-TestEnvironment }

Describe 'Get-PinnedModule' {
    It 'lists each pinned module: Installed with its folder, NotInstalled, Missing; -Verify re-hashes (Verified, Tampered)' {
        $dir = New-TestFolder
        $manifest = Join-Path $dir 'tools.yml'
        $modules = Join-Path $dir 'Modules'
        Write-Fixture $manifest "modules:`n$lantern$beacon"
        $null = Install-PinnedModule -Manifest $manifest -Name Lantern -ModulePath $modules -ErrorAction Stop

        $list = @(Get-PinnedModule -Manifest $manifest -ModulePath $modules -ErrorVariable ev)
        $ev | Should -BeNullOrEmpty
        $list.Count | Should -Be 2
        $l = $list | Where-Object Name -eq 'Lantern'
        $l.Status | Should -Be 'Installed'
        $l.Version | Should -Be '1.0.0'
        $l.PinnedVersion | Should -Be '1.0.0'
        $l.Path | Should -Be (Join-Path $modules 'Lantern/1.0.0')
        ($list | Where-Object Name -eq 'Beacon').Status | Should -Be 'NotInstalled'
        ($list | Where-Object Name -eq 'Beacon').PinnedVersion | Should -Be '2.1.0'

        (Get-PinnedModule $manifest -Name 'lan*' -ModulePath $modules -Verify).Status | Should -Be 'Verified'
        Add-Content -LiteralPath (Join-Path $modules 'Lantern/1.0.0/Lantern.psm1') -Value 'Invoke-Evil'
        $tampered = Get-PinnedModule $manifest -Name 'lan*' -ModulePath $modules -Verify
        $tampered.Status | Should -Be 'Tampered'
        $tampered.Changed | Should -Match 'Lantern\.psm1'
        Remove-Item -LiteralPath (Join-Path $modules 'Lantern') -Recurse -Force
        (Get-PinnedModule $manifest -Name Lantern -ModulePath $modules).Status | Should -Be 'Missing'
    }

    It 'lists a module the lock records that the manifest no longer pins, with a warning naming Uninstall-PinnedModule' {
        $dir = New-TestFolder
        $manifest = Join-Path $dir 'tools.yml'
        $modules = Join-Path $dir 'Modules'
        Write-Fixture $manifest "modules:`n$lantern$beacon"
        $null = Install-PinnedModule -Manifest $manifest -ModulePath $modules -ErrorAction Stop
        Write-Fixture $manifest "modules:`n$beacon"
        $list = @(Get-PinnedModule -Manifest $manifest -ModulePath $modules -WarningVariable wv -WarningAction SilentlyContinue)
        $stale = $list | Where-Object Name -eq 'Lantern'
        $stale.Status | Should -Be 'Installed'
        $stale.PinnedVersion | Should -BeNullOrEmpty
        $wv | Should -Match 'Uninstall-PinnedModule'
        $stale | Uninstall-PinnedModule -Manifest $manifest -ModulePath $modules
        Join-Path $modules 'Lantern' | Should -Not -Exist
    }
}
