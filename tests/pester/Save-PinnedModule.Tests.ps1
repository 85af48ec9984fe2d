#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }

# Save-PinnedModule and Install-PinnedModule -Source (and their CLI verbs) with a NuGet v3 feed kept on disk (file:
# service index and flat container). Each test has its own feed, so it can delete it to prove the install is offline.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot '../../SecureInstall.psd1') -Force
    Set-TestEnvironment SECUREINSTALL_HOME (Join-Path $TestDrive 'home')
    Set-TestEnvironment SECUREINSTALL_CACHE (Join-Path $TestDrive 'cache')

    # A folder with a feed (Greeter depends on Helper; Lantern stands alone) and tools.yml pinning all three.
    function New-ModuleWorkspace([string]$LanternSha512) {
        $dir = New-TestFolder
        $feed = Join-Path $dir 'feed'
        $flat = Join-Path $feed 'flat'
        Write-Fixture (Join-Path $feed 'index.json') "{ `"version`": `"3.0.0`", `"resources`": [ { `"@id`": `"$(ConvertTo-FileUri $flat)/`", `"@type`": `"PackageBaseAddress/3.0.0`" } ] }"
        $pins = ''
        foreach ($m in @(@{ Id = 'Helper'; Version = '1.0.0'; Deps = @{} }, @{ Id = 'Greeter'; Version = '1.2.0'; Deps = @{ Helper = '[1.0.0]' } }, @{ Id = 'Lantern'; Version = '2.0.0'; Deps = @{} })) {
            $bytes = New-ModulePackage $m.Id $m.Version -Dependencies $m.Deps
            $lower = $m.Id.ToLowerInvariant()
            Write-Fixture (Join-Path $flat "$lower/$($m.Version)/$lower.$($m.Version).nupkg") $bytes
            $sha = if ($m.Id -eq 'Lantern' -and $LanternSha512) { $LanternSha512 } else { Get-Sha512Hex $bytes }
            $pins += "  $($m.Id):`n    version: `"$($m.Version)`"`n    sha512: $sha`n    source: $(ConvertTo-FileUri (Join-Path $feed 'index.json'))`n"
        }
        $manifest = Join-Path $dir 'tools.yml'
        Write-Fixture $manifest "modules:`n$pins"
        [pscustomobject]@{ Folder = $dir; Feed = $feed; Manifest = $manifest; Bundle = (Join-Path $dir 'bundle') }
    }
}

AfterAll { Restore-TestEnvironment }

Describe 'Save-PinnedModule' {
    It 'saves a module and its pinned dependency under their pins, with the manifest, the lock and SHA256SUMS; Install-PinnedModule -Source installs from it with the feed gone' {
        $ws = New-ModuleWorkspace
        $saved = @(Save-PinnedModule -Manifest $ws.Manifest -Path $ws.Bundle -Name Greeter -ErrorVariable ev)
        $ev | Should -BeNullOrEmpty
        @($saved.Name | Sort-Object) | Should -Be @('Greeter', 'Helper')
        ($saved | Where-Object Name -eq 'Helper').IsDependency | Should -BeTrue
        foreach ($s in $saved) {
            $s.Path | Should -Exist
            $s.Path | Should -BeLike (Join-Path $ws.Bundle "modules/sha512-$($s.Sha512)/*.nupkg")
            Get-Sha512Hex ([IO.File]::ReadAllBytes($s.Path)) | Should -Be $s.Sha512
        }
        Join-Path $ws.Bundle 'tools.yml' | Should -Exist
        $sums = Get-Content -LiteralPath (Join-Path $ws.Bundle 'SHA256SUMS')
        @($sums).Count | Should -Be 2
        $sums -join "`n" | Should -Match 'modules/sha512-[0-9a-f]{128}/greeter\.1\.2\.0\.nupkg'

        Remove-Item -LiteralPath $ws.Feed -Recurse -Force
        Set-TestEnvironment SECUREINSTALL_CACHE (Join-Path $ws.Folder 'empty-cache')   # not from the cache either
        $modules = Join-Path $ws.Folder 'Modules'
        $installed = @(Install-PinnedModule -Manifest (Join-Path $ws.Bundle 'tools.yml') -Name Greeter -Source $ws.Bundle -ModulePath $modules -ErrorVariable ev2)
        $ev2 | Should -BeNullOrEmpty
        @($installed.Name | Sort-Object) | Should -Be @('Greeter', 'Helper')
        Join-Path $modules 'Greeter/1.2.0/Greeter.psd1' | Should -Exist
        (Test-PinnedModule -Manifest (Join-Path $ws.Bundle 'tools.yml') -ModulePath $modules -ErrorAction SilentlyContinue).Status | Sort-Object -Unique | Should -Be 'Verified'
        Set-TestEnvironment SECUREINSTALL_CACHE (Join-Path $TestDrive 'cache')
    }

    It 'a package that does not match its pin is ChecksumMismatch (SecurityError) and leaves nothing of it in the bundle' {
        $ws = New-ModuleWorkspace -LanternSha512 ('0' * 128)
        Save-PinnedModule -Manifest $ws.Manifest -Path $ws.Bundle -Name Lantern -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -BeExactly 'ChecksumMismatch,SecureInstall.Commands.SavePinnedModuleCommand'
        $ev[0].CategoryInfo.Category | Should -Be 'SecurityError'
        @(Get-ChildItem -LiteralPath (Join-Path $ws.Bundle 'modules') -Recurse -Force -ErrorAction SilentlyContinue) | Should -BeNullOrEmpty
    }

    It 'Install-PinnedModule -Source with a bundle that lacks the package: NotInBundle (ObjectNotFound), nothing installed' {
        $ws = New-ModuleWorkspace
        $null = Save-PinnedModule -Manifest $ws.Manifest -Path $ws.Bundle -Name Lantern -ErrorAction Stop
        $modules = Join-Path $ws.Folder 'Modules'
        Install-PinnedModule -Manifest $ws.Manifest -Name Greeter -Source $ws.Bundle -ModulePath $modules -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -BeExactly 'NotInBundle,SecureInstall.Commands.InstallPinnedModuleCommand'
        $ev[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $ev[0].Exception.Message | Should -Match 'Save-PinnedModule'
        @(Get-ChildItem -LiteralPath $modules -Force -ErrorAction SilentlyContinue) | Should -BeNullOrEmpty
    }

    It '-WhatIf writes nothing' {
        $ws = New-ModuleWorkspace
        Save-PinnedModule -Manifest $ws.Manifest -Path $ws.Bundle -WhatIf
        $ws.Bundle | Should -Not -Exist
    }
}

Describe 'secureinstall save-module' {
    It 'saves the bundle (exit 0) that install-module --source installs from' {
        $ws = New-ModuleWorkspace
        $r = Invoke-Cli save-module --manifest $ws.Manifest Greeter --path $ws.Bundle
        $r.ExitCode | Should -Be 0 -Because $r.Text
        $r.Text | Should -Match 'Helper 1\.0\.0: saved to .*\(a dependency\)'
        Remove-Item -LiteralPath $ws.Feed -Recurse -Force
        $modules = Join-Path $ws.Folder 'Modules'
        $r = Invoke-Cli install-module --manifest (Join-Path $ws.Bundle 'tools.yml') Greeter --source $ws.Bundle --module-path $modules
        $r.ExitCode | Should -Be 0 -Because $r.Text
        Join-Path $modules 'Helper/1.0.0/Helper.psd1' | Should -Exist
    }
}
