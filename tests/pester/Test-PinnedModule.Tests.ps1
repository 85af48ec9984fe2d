#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }

# Test-PinnedModule on modules Install-PinnedModule installed from a NuGet v3 feed kept on disk (file: service index and
# flat container, which the verified downloader reads like a mirror), so each check runs in this session.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot '../../SecureInstall.psd1') -Force
    Set-TestEnvironment SECUREINSTALL_HOME (Join-Path $TestDrive 'home')
    Set-TestEnvironment SECUREINSTALL_CACHE (Join-Path $TestDrive 'cache')
    $feed = Join-Path $TestDrive 'feed'
    $flat = Join-Path $feed 'flat'
    Write-Fixture (Join-Path $feed 'index.json') "{ `"version`": `"3.0.0`", `"resources`": [ { `"@id`": `"$(ConvertTo-FileUri $flat)/`", `"@type`": `"PackageBaseAddress/3.0.0`" } ] }"

    # A module package in the feed; returns the manifest lines that pin it.
    function Publish-Module([string]$Id, [string]$Version) {
        $bytes = New-ZipBytes @{
            "$Id.nuspec" = "<?xml version=`"1.0`"?><package><metadata><id>$Id</id><version>$Version</version></metadata></package>"
            "$Id.psd1"   = "@{ RootModule = '$Id.psm1'; ModuleVersion = '$Version'; FunctionsToExport = @('Get-$Id') }"
            "$Id.psm1"   = "function Get-$Id { '$Id' }"
            'lib/data.txt' = 'data'
        }
        $lower = $Id.ToLowerInvariant()
        Write-Fixture (Join-Path $flat "$lower/$Version/$lower.$Version.nupkg") $bytes
        $sha = Get-Sha512Hex $bytes
        "  ${Id}:`n    version: `"$Version`"`n    sha512: $sha`n    source: $(ConvertTo-FileUri (Join-Path $feed 'index.json'))`n"
    }
    $pins = (Publish-Module 'Lantern' '1.0.0') + (Publish-Module 'Beacon' '2.1.0')

    # A fresh folder with the manifest and both modules installed into its Modules folder.
    function New-InstalledModules {
        $dir = New-TestFolder
        $manifest = Join-Path $dir 'tools.yml'
        Write-Fixture $manifest "modules:`n$pins"
        $modules = Join-Path $dir 'Modules'
        $null = Install-PinnedModule -Manifest $manifest -ModulePath $modules -ErrorAction Stop
        [pscustomobject]@{ Manifest = $manifest; Modules = $modules; Folder = $dir }
    }
    $savedModulePath = $env:PSModulePath
}

AfterAll {
    $env:PSModulePath = $savedModulePath
    Restore-TestEnvironment
}

Describe 'Test-PinnedModule' {
    AfterEach { $env:PSModulePath = $savedModulePath }

    It 'verifies freshly installed modules: Verified, nothing shadows them' {
        $ws = New-InstalledModules
        $env:PSModulePath = $ws.Modules + [IO.Path]::PathSeparator + $savedModulePath
        $status = @(Test-PinnedModule -Manifest $ws.Manifest -ModulePath $ws.Modules -ErrorVariable ev)
        $ev | Should -BeNullOrEmpty
        $status.Name | Sort-Object | Should -Be @('Beacon', 'Lantern')
        $status.Status | Sort-Object -Unique | Should -Be 'Verified'
        @($status | ForEach-Object { $_.ShadowedBy.Count }) | Should -Be @(0, 0)
    }

    It 'names each file changed, added and removed: InstalledTreeTampered (SecurityError)' {
        $ws = New-InstalledModules
        $dir = Join-Path $ws.Modules 'Lantern/1.0.0'
        Add-Content -LiteralPath (Join-Path $dir 'Lantern.psm1') -Value 'Invoke-Evil'
        Write-Fixture (Join-Path $dir 'lib/extra.ps1') 'added'
        Remove-Item -LiteralPath (Join-Path $dir 'lib/data.txt')
        $status = Test-PinnedModule -Manifest $ws.Manifest -Name Lantern -ModulePath $ws.Modules -ErrorVariable ev -ErrorAction SilentlyContinue
        $status.Status | Should -Be 'Tampered'
        $status.Changed | Should -Match 'Lantern\.psm1'
        $status.Added | Should -Match 'lib/extra\.ps1'
        $status.Removed | Should -Match 'lib/data\.txt'
        $ev[0].FullyQualifiedErrorId | Should -BeExactly 'InstalledTreeTampered,SecureInstall.Commands.TestPinnedModuleCommand'
        $ev[0].CategoryInfo.Category | Should -Be 'SecurityError'
        $ev[0].Exception.Message | Should -Match 'Install-PinnedModule -Force'
    }

    It 'reports a copy earlier on PSModulePath, and a higher version beside the pin: ModuleShadowed (SecurityError)' {
        $ws = New-InstalledModules
        $earlier = Join-Path $ws.Folder 'Earlier'
        Write-Fixture (Join-Path $earlier 'Beacon/9.0.0/Beacon.psd1') "@{ ModuleVersion = '9.0.0' }"
        Write-Fixture (Join-Path $ws.Modules 'Lantern/1.5.0/Lantern.psd1') "@{ ModuleVersion = '1.5.0' }"
        $env:PSModulePath = $earlier + [IO.Path]::PathSeparator + $ws.Modules
        $status = @(Test-PinnedModule -Manifest $ws.Manifest -ModulePath $ws.Modules -ErrorVariable ev -ErrorAction SilentlyContinue)
        ($status | Where-Object Name -eq 'Beacon').ShadowedBy | Should -Be @((Join-Path $earlier 'Beacon/9.0.0'))
        ($status | Where-Object Name -eq 'Lantern').ShadowedBy | Should -Be @((Join-Path $ws.Modules 'Lantern/1.5.0'))
        @($ev.FullyQualifiedErrorId | Sort-Object -Unique) | Should -Be @('ModuleShadowed,SecureInstall.Commands.TestPinnedModuleCommand')
        $ev.Count | Should -Be 2
        $ev[0].CategoryInfo.Category | Should -Be 'SecurityError'
        ($ev.Exception.Message -join "`n") | Should -Match '-RequiredVersion'
    }

    It 'a module the lock records but that is gone: NotInstalled; a name the lock lacks: NotInstalled' {
        $ws = New-InstalledModules
        Remove-Item -LiteralPath (Join-Path $ws.Modules 'Beacon/2.1.0') -Recurse -Force
        $status = Test-PinnedModule -Manifest $ws.Manifest -Name Beacon, Ghost -ModulePath $ws.Modules -ErrorVariable ev -ErrorAction SilentlyContinue
        $status.Status | Should -Be 'Missing'
        $ev.FullyQualifiedErrorId | Should -Be @('NotInstalled,SecureInstall.Commands.TestPinnedModuleCommand', 'NotInstalled,SecureInstall.Commands.TestPinnedModuleCommand')
        $ev[0].Exception.Message | Should -Match "no module 'Ghost'"
    }

    It 'the status has a table view with Name, Version, Status, ShadowedBy and Path' {
        (Get-FormatData -TypeName SecureInstall.Core.Modules.InstalledModuleStatus).FormatViewDefinition[0].Control.Headers.Label |
            Should -Be @('Name', 'Version', 'Status', 'ShadowedBy', 'Path')
    }
}
