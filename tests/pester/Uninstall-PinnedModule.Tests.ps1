#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }

# Uninstall-PinnedModule (and `secureinstall uninstall-module`) on modules Install-PinnedModule installed from a NuGet v3
# feed kept on disk (file: service index and flat container), so each install and removal runs in this session.
BeforeDiscovery { Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force }

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot '../../SecureInstall.psd1') -Force
    Set-TestEnvironment SECUREINSTALL_HOME (Join-Path $TestDrive 'home')
    Set-TestEnvironment SECUREINSTALL_CACHE (Join-Path $TestDrive 'cache')
    $feed = Join-Path $TestDrive 'feed'
    $flat = Join-Path $feed 'flat'
    Write-Fixture (Join-Path $feed 'index.json') "{ `"version`": `"3.0.0`", `"resources`": [ { `"@id`": `"$(ConvertTo-FileUri $flat)/`", `"@type`": `"PackageBaseAddress/3.0.0`" } ] }"
    function Publish-Module([string]$Id, [string]$Version, [hashtable]$Dependencies = @{}) {
        $bytes = New-ModulePackage $Id $Version -Dependencies $Dependencies -Extra @{ 'lib/data.txt' = 'data' }
        $lower = $Id.ToLowerInvariant()
        Write-Fixture (Join-Path $flat "$lower/$Version/$lower.$Version.nupkg") $bytes
        "  ${Id}:`n    version: `"$Version`"`n    sha512: $(Get-Sha512Hex $bytes)`n    source: $(ConvertTo-FileUri (Join-Path $feed 'index.json'))`n"
    }
    # Greeter depends on Helper; Lantern stands alone.
    $pins = (Publish-Module 'Helper' '1.0.0') + (Publish-Module 'Greeter' '1.2.0' @{ Helper = '[1.0.0]' }) + (Publish-Module 'Lantern' '2.0.0')

    function New-InstalledModules {
        $dir = New-TestFolder
        $manifest = Join-Path $dir 'tools.yml'
        Write-Fixture $manifest "modules:`n$pins"
        $modules = Join-Path $dir 'Modules'
        $null = Install-PinnedModule -Manifest $manifest -ModulePath $modules -ErrorAction Stop
        [pscustomobject]@{ Manifest = $manifest; Modules = $modules; Lock = (Join-Path $dir 'secureinstall.lock.json'); Folder = $dir }
    }
    function Get-LockedModules([string]$Lock) {
        $modules = (Get-Content -Raw -LiteralPath $Lock | ConvertFrom-Json).modules
        if ($null -eq $modules) { @() } else { @($modules.PSObject.Properties | ForEach-Object Name | Sort-Object) }
    }
}

AfterAll { Restore-TestEnvironment }

Describe 'Uninstall-PinnedModule' {
    It 'removes a verified version, its file list, its emptied module folder and its lock entry; the others stay verified' {
        $ws = New-InstalledModules
        Uninstall-PinnedModule -Manifest $ws.Manifest -Name Lantern -ModulePath $ws.Modules -ErrorVariable ev
        $ev | Should -BeNullOrEmpty
        Join-Path $ws.Modules 'Lantern' | Should -Not -Exist
        Get-LockedModules $ws.Lock | Should -Be @('Greeter', 'Helper')
        @(Get-ChildItem -LiteralPath $ws.Modules -Force | ForEach-Object Name | Sort-Object) | Should -Be @('Greeter', 'Helper')
        $status = @(Test-PinnedModule -Manifest $ws.Manifest -ModulePath $ws.Modules -ErrorAction SilentlyContinue)
        $status.Status | Sort-Object -Unique | Should -Be 'Verified'
    }

    It '-WhatIf changes nothing' {
        $ws = New-InstalledModules
        $before = Get-Content -Raw -LiteralPath $ws.Lock
        Uninstall-PinnedModule -Manifest $ws.Manifest -Name Lantern -ModulePath $ws.Modules -WhatIf
        Join-Path $ws.Modules 'Lantern/2.0.0/Lantern.psd1' | Should -Exist
        Get-Content -Raw -LiteralPath $ws.Lock | Should -BeExactly $before
    }

    It 'refuses a changed tree, naming the change, and removes nothing of the request (InstalledTreeTampered, SecurityError); -Force removes it with a warning' {
        $ws = New-InstalledModules
        Write-Fixture (Join-Path $ws.Modules 'Lantern/2.0.0/notes.txt') 'my own notes'
        $before = Get-Content -Raw -LiteralPath $ws.Lock
        Uninstall-PinnedModule -Manifest $ws.Manifest -Name Greeter, Helper, Lantern -ModulePath $ws.Modules -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev.Count | Should -Be 1
        $ev[0].FullyQualifiedErrorId | Should -BeExactly 'InstalledTreeTampered,SecureInstall.Commands.UninstallPinnedModuleCommand'
        $ev[0].CategoryInfo.Category | Should -Be 'SecurityError'
        $ev[0].Exception.Message | Should -Match 'added: notes\.txt'
        foreach ($m in 'Greeter/1.2.0', 'Helper/1.0.0', 'Lantern/2.0.0') { Join-Path $ws.Modules $m | Should -Exist }
        Get-Content -Raw -LiteralPath $ws.Lock | Should -BeExactly $before

        Uninstall-PinnedModule -Manifest $ws.Manifest -Name Lantern -ModulePath $ws.Modules -Force -WarningVariable wv -ErrorVariable ev2
        $ev2 | Should -BeNullOrEmpty
        $wv | Should -Match 'notes\.txt'
        Join-Path $ws.Modules 'Lantern' | Should -Not -Exist
        Get-LockedModules $ws.Lock | Should -Be @('Greeter', 'Helper')
    }

    It 'keeps a module another recorded module depends on (ModuleRequiredByAnother); naming both removes both' {
        $ws = New-InstalledModules
        Uninstall-PinnedModule -Manifest $ws.Manifest -Name Helper -ModulePath $ws.Modules -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -BeExactly 'ModuleRequiredByAnother,SecureInstall.Commands.UninstallPinnedModuleCommand'
        $ev[0].Exception.Message | Should -Match 'Greeter 1\.2\.0'
        Join-Path $ws.Modules 'Helper/1.0.0' | Should -Exist

        Uninstall-PinnedModule -Manifest $ws.Manifest -Name Helper, Greeter -ModulePath $ws.Modules -ErrorVariable ev2
        $ev2 | Should -BeNullOrEmpty
        Get-LockedModules $ws.Lock | Should -Be @('Lantern')
        foreach ($m in 'Greeter', 'Helper') { Join-Path $ws.Modules $m | Should -Not -Exist }
    }

    It 'a recorded version whose folder is gone loses only its lock entry; a name the lock lacks is NotInstalled (ObjectNotFound)' {
        $ws = New-InstalledModules
        Remove-Item -LiteralPath (Join-Path $ws.Modules 'Lantern') -Recurse -Force
        Uninstall-PinnedModule -Manifest $ws.Manifest -Name Lantern, Ghost -ModulePath $ws.Modules -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev.Count | Should -Be 1
        $ev[0].FullyQualifiedErrorId | Should -BeExactly 'NotInstalled,SecureInstall.Commands.UninstallPinnedModuleCommand'
        $ev[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $ev[0].Exception.Message | Should -Match "no module 'Ghost'"
        Get-LockedModules $ws.Lock | Should -Be @('Greeter', 'Helper')
    }

    It 'takes Install-PinnedModule output from the pipeline (Name and Version by property name)' {
        $ws = New-InstalledModules
        Install-PinnedModule -Manifest $ws.Manifest -Name Lantern -ModulePath $ws.Modules | Uninstall-PinnedModule -Manifest $ws.Manifest -ModulePath $ws.Modules
        Join-Path $ws.Modules 'Lantern' | Should -Not -Exist
        Get-LockedModules $ws.Lock | Should -Be @('Greeter', 'Helper')
    }

    It 'a symbolic link in the version folder''s place is refused, and with -Force removed as a link, its target untouched' -Skip:(Test-IsWindows) {
        $ws = New-InstalledModules
        $elsewhere = Join-Path $ws.Folder 'elsewhere'
        Write-Fixture (Join-Path $elsewhere 'keep.txt') 'keep'
        Remove-Item -LiteralPath (Join-Path $ws.Modules 'Lantern/2.0.0') -Recurse -Force
        $null = New-Item -ItemType SymbolicLink -Path (Join-Path $ws.Modules 'Lantern/2.0.0') -Target $elsewhere
        Uninstall-PinnedModule -Manifest $ws.Manifest -Name Lantern -ModulePath $ws.Modules -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -BeExactly 'InstalledTreeTampered,SecureInstall.Commands.UninstallPinnedModuleCommand'
        Uninstall-PinnedModule -Manifest $ws.Manifest -Name Lantern -ModulePath $ws.Modules -Force -WarningAction SilentlyContinue
        Join-Path $ws.Modules 'Lantern' | Should -Not -Exist
        Join-Path $elsewhere 'keep.txt' | Should -Exist
    }
}

Describe 'Uninstall-PinnedModule in a module path others can write' {
    It 'is refused (InstallRootNotTrusted, SecurityError) before anything is removed' -Skip:(Test-IsWindows) {
        $ws = New-InstalledModules
        & chmod o+w $ws.Modules
        $before = Get-Content -Raw -LiteralPath $ws.Lock
        Uninstall-PinnedModule -Manifest $ws.Manifest -Name Lantern -ModulePath $ws.Modules -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -BeExactly 'InstallRootNotTrusted,SecureInstall.Commands.UninstallPinnedModuleCommand'
        $ev[0].CategoryInfo.Category | Should -Be 'SecurityError'
        Join-Path $ws.Modules 'Lantern/2.0.0/Lantern.psd1' | Should -Exist
        Get-Content -Raw -LiteralPath $ws.Lock | Should -BeExactly $before
    }
}

Describe 'secureinstall uninstall-module' {
    It 'removes what the lock records (exit 0); a changed tree is exit 1 with InstalledTreeTampered and nothing removed' {
        $ws = New-InstalledModules
        $r = Invoke-Cli uninstall-module --manifest $ws.Manifest Lantern --module-path $ws.Modules
        $r.ExitCode | Should -Be 0 -Because $r.Text
        $r.Text | Should -Match 'Lantern 2\.0\.0: removed'
        Join-Path $ws.Modules 'Lantern' | Should -Not -Exist
        Get-LockedModules $ws.Lock | Should -Be @('Greeter', 'Helper')

        Add-Content -LiteralPath (Join-Path $ws.Modules 'Greeter/1.2.0/Greeter.psm1') -Value 'Invoke-Evil'
        $r = Invoke-Cli uninstall-module --manifest $ws.Manifest Greeter Helper --module-path $ws.Modules
        $r.ExitCode | Should -Be 1 -Because $r.Text
        $r.Text | Should -Match 'secureinstall: InstalledTreeTampered: .*changed: Greeter\.psm1'
        Get-LockedModules $ws.Lock | Should -Be @('Greeter', 'Helper')
        Join-Path $ws.Modules 'Helper/1.0.0' | Should -Exist
    }
}
