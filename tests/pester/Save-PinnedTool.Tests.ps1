#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../SecureInstall.psd1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $isWin = [System.IO.Path]::DirectorySeparatorChar -eq '\'
    $platform = if ($isWin) { 'windows-x64' } else { 'linux-x64' }
}

AfterAll { $env:SECUREINSTALL_HOME = $null }

Describe 'Save-PinnedTool' {
    BeforeEach {
        $ws = New-Workspace
        $m = Join-Path $ws 'secureinstall.yml'
    }

    It 'writes verified artifacts by digest, the manifest, the lock and a SHA256SUMS over the bundle' {
        $null = Install-PinnedTool -Manifest $m -Platform $platform
        $bundle = Join-Path $ws 'bundle'
        $saved = Save-PinnedTool -Manifest $m -Path $bundle -Platform all
        $saved | Should -BeOfType ([SecureInstall.Core.Install.BundledArtifact])
        @($saved).Count | Should -Be 2 -Because 'the unix and windows archives are distinct artifacts'
        foreach ($a in $saved) { Test-Path (Join-Path $bundle "artifacts/$($a.Sha256)") | Should -BeTrue }
        Test-Path (Join-Path $bundle 'secureinstall.yml') | Should -BeTrue
        Test-Path (Join-Path $bundle 'secureinstall.lock.json') | Should -BeTrue
        @(Test-Checksum -ChecksumFile (Join-Path $bundle 'SHA256SUMS') | Where-Object IsValid).Count | Should -Be 2
    }

    It 'lets another machine install from the bundle with no network and the original artifacts gone' {
        $bundle = Join-Path $ws 'bundle'
        $null = Save-PinnedTool -Manifest $m -Path $bundle -Platform $platform
        Remove-Item -Recurse -Force (Join-Path $ws 'dist')
        $env:SECUREINSTALL_HOME = Join-Path $ws 'other-machine'
        $r = Install-PinnedTool -Manifest (Join-Path $bundle 'secureinstall.yml') -Source $bundle -Platform $platform
        $r.Status | Should -Be 'Installed'
        $r.Path | Should -BeLike (Join-Path $ws 'other-machine*')
    }

    It 'refuses to install from a bundle that lacks the artifact' {
        $bundle = Join-Path $ws 'empty-bundle'
        $null = New-Item -ItemType Directory -Path $bundle
        { Install-PinnedTool -Manifest $m -Source $bundle -Platform $platform -ErrorAction Stop } | Should -Throw -ErrorId 'NotInBundle,SecureInstall.Commands.InstallPinnedToolCommand'
    }

    It 'writes nothing with -WhatIf' {
        Save-PinnedTool -Manifest $m -Path (Join-Path $ws 'bundle') -WhatIf
        Test-Path (Join-Path $ws 'bundle') | Should -BeFalse
    }
}

Describe 'Update-PinnedToolManifest' {
    BeforeEach {
        $ws = New-TestFolder
        $m = Join-Path $ws 'tools.yml'
        $old = '1' * 64
        [System.IO.File]::WriteAllText($m, @"
# build tools
tools:
  tool:
    default_version: "1.2.0"   # bump with care
    checksums_url: https://e.test/tool/{version}/SHA256SUMS
    versions:
      "1.2.0":
        url: https://e.test/tool/1.2.0/tool-1.2.0.tar.gz
        sha256: $old
"@)
        $list = Join-Path $ws 'SHA256SUMS'
    }

    It 'pins the new version from the publisher list, keeping comments, and honours -SetDefault' {
        [System.IO.File]::WriteAllText($list, "$('3' * 64)  tool-1.3.0.tar.gz`n")
        $u = Update-PinnedToolManifest -Manifest $m -Name tool -Version 1.3.0 -ChecksumUri $list -SetDefault -WarningAction SilentlyContinue
        $u.Change | Should -BeExactly 'added'
        $text = Get-Content -Raw $m
        $text | Should -Match '# bump with care'
        $text | Should -Match 'tool-1\.3\.0\.tar\.gz'
        $text | Should -Match ('3' * 64)
        $text | Should -Match 'default_version: "1\.3\.0"'
    }

    It 'refuses a changed digest for a pinned version, then re-pins with -Force and a recorded -Reason' {
        [System.IO.File]::WriteAllText($list, "$('4' * 64)  tool-1.2.0.tar.gz`n")
        $null = Update-PinnedToolManifest -Manifest $m -Name tool -Version 1.2.0 -ChecksumUri $list -ErrorVariable ev -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -BeExactly 'PinnedDigestChanged,SecureInstall.Commands.UpdatePinnedToolManifestCommand'
        $ev[0].CategoryInfo.Category | Should -Be 'SecurityError'
        (Get-Content -Raw $m) | Should -Match $old
        { Update-PinnedToolManifest -Manifest $m -Name tool -Version 1.2.0 -ChecksumUri $list -Force } | Should -Throw -ErrorId 'ReasonRequired,SecureInstall.Commands.UpdatePinnedToolManifestCommand'
        $u = Update-PinnedToolManifest -Manifest $m -Name tool -Version 1.2.0 -ChecksumUri $list -Force -Reason 'rebuilt upstream' -WarningAction SilentlyContinue
        $u.Change | Should -BeExactly 're-pinned'
        (Get-Content -Raw $m) | Should -Match 'rebuilt upstream'
    }

    It 'changes nothing with -WhatIf' {
        [System.IO.File]::WriteAllText($list, "$('3' * 64)  tool-1.3.0.tar.gz`n")
        $before = Get-FileHash $m
        $null = Update-PinnedToolManifest -Manifest $m -Name tool -Version 1.3.0 -ChecksumUri $list -WhatIf -WarningAction SilentlyContinue
        (Get-FileHash $m).Hash | Should -BeExactly $before.Hash
    }
}
