#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../SecureInstall.psd1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $FQ = ',SecureInstall.Commands.InstallPinnedToolCommand'
    $sample = Resolve-Path (Join-Path $PSScriptRoot '../../samples/tools')
    $unixSha = (Get-FileHash -LiteralPath (Join-Path $sample 'dist/hello-1.0.0-unix.tar.gz')).Hash.ToLowerInvariant()
    $isWin = [System.IO.Path]::DirectorySeparatorChar -eq '\'
    $platform = if ($isWin) { 'windows-x64' } else { 'linux-x64' }

    function Write-Manifest([string]$Folder, [string]$Text) {
        $path = Join-Path $Folder 'custom.yml'
        [System.IO.File]::WriteAllText($path, $Text)
        $path
    }
}

AfterAll { $env:SECUREINSTALL_HOME = $null }

Describe 'Install-PinnedTool' {
    It 'installs the pinned sample tool, writes a shim that runs and records the lock' {
        $ws = New-Workspace
        $r = Install-PinnedTool -Manifest (Join-Path $ws 'secureinstall.yml') -Platform $platform
        $r | Should -BeOfType ([SecureInstall.Core.Install.InstallResult])
        $r.Status | Should -Be 'Installed'
        $r.Version | Should -BeExactly '1.0.0'
        $r.VerifiedBy[0] | Should -Match 'sha256 pinned in .*secureinstall\.yml:\d+'
        Test-Path (Join-Path $ws 'home/tools/hello/1.0.0/bin') | Should -BeTrue
        if (-not $isWin) { & $r.Shims[0] | Should -Match 'hello 1.0.0' }
        $lock = Get-Content -Raw (Join-Path $ws 'secureinstall.lock.json') | ConvertFrom-Json
        $lock.tools.hello.'1.0.0'.$platform.sha256 | Should -BeExactly $r.Sha256
        $lock.tools.hello.'1.0.0'.$platform.treeDigest | Should -Match '^sha256:[0-9a-f]{64}$'
    }

    It 'is idempotent: a second run says already installed, verified' {
        $ws = New-Workspace
        $m = Join-Path $ws 'secureinstall.yml'
        $null = Install-PinnedTool -Manifest $m -Platform $platform
        $lockBefore = Get-FileHash (Join-Path $ws 'secureinstall.lock.json')
        $again = Install-PinnedTool -Manifest $m -Platform $platform -Verbose 4>&1
        ($again | Where-Object { $_ -is [SecureInstall.Core.Install.InstallResult] }).Status | Should -Be 'AlreadyInstalled'
        ($again | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n" | Should -Match 'already installed, verified'
        (Get-FileHash (Join-Path $ws 'secureinstall.lock.json')).Hash | Should -BeExactly $lockBefore.Hash
    }

    It 'shows every download and write with -WhatIf and changes nothing' {
        $ws = New-Workspace
        # What-if lines go to the host, so run a child shell and read what it printed.
        $module = Resolve-Path (Join-Path $PSScriptRoot '../../SecureInstall.psd1')
        $shell = (Get-Process -Id $PID).Path
        $out = & $shell -NoProfile -NonInteractive -Command "Import-Module '$module'; Install-PinnedTool -Manifest '$(Join-Path $ws 'secureinstall.yml')' -Platform $platform -WhatIf" | Out-String
        $out | Should -Match 'What if: .*download .*hello-1\.0\.0-unix\.tar\.gz and verify sha256'
        $out | Should -Match 'extract into'
        $out | Should -Match 'write shim'
        $out | Should -Match 'record hello 1\.0\.0'
        Test-Path (Join-Path $ws 'home') | Should -BeFalse
        Test-Path (Join-Path $ws 'secureinstall.lock.json') | Should -BeFalse
    }

    It 'refuses an entry without a digest, naming tool, version and line' {
        $ws = New-Workspace
        $m = Write-Manifest $ws "tools:`n  t:`n    versions:`n      `"1.0`":`n        url: ./dist/hello-1.0.0-unix.tar.gz`n"
        $null = Install-PinnedTool -Manifest $m -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -BeExactly "ManifestEntryUnpinned$FQ"
        $ev[0].CategoryInfo.Category | Should -Be 'SecurityError'
        $ev[0].Exception.Message | Should -Match 'custom\.yml, line \d+: t 1\.0'
        Test-Path (Join-Path $ws 'home/tools/t') | Should -BeFalse
    }

    It 'refuses <Case>' -TestCases @(
        @{ Case = 'a moving version'; Version = 'latest'; Url = './dist/hello-1.0.0-unix.tar.gz'; Id = 'ManifestVersionNotPinned' }
        @{ Case = 'a version range'; Version = '^1.0'; Url = './dist/hello-1.0.0-unix.tar.gz'; Id = 'ManifestVersionNotPinned' }
        @{ Case = 'an http URL'; Version = '1.0'; Url = 'http://example.test/t.tar.gz'; Id = 'ManifestInsecureUrl' }
    ) {
        param($Case, $Version, $Url, $Id)
        $ws = New-Workspace
        $m = Write-Manifest $ws "tools:`n  t:`n    versions:`n      `"$Version`":`n        url: $Url`n        sha256: $unixSha`n"
        { Install-PinnedTool -Manifest $m -ErrorAction Stop } | Should -Throw -ErrorId "$Id$FQ"
    }

    It 'installs a waived entry only with a warning, and records the waiver in the lock' {
        $ws = New-Workspace
        $m = Write-Manifest $ws "tools:`n  t:`n    version: `"1.0`"`n    url: ./dist/hello-1.0.0-unix.tar.gz`n    strip_components: 1`n    waiver: `"publisher rebuilds in place`"`n"
        $r = Install-PinnedTool -Manifest $m -Platform $platform -WarningVariable wv -WarningAction SilentlyContinue
        $r.Status | Should -Be 'Installed'
        ($wv -join "`n") | Should -Match 'publisher rebuilds in place'
        (Get-Content -Raw (Join-Path $ws 'secureinstall.lock.json')) | Should -Match 'ManifestEntryUnpinned waived'
    }

    It 'refuses a tampered artifact, leaving no version folder and no lock' {
        $ws = New-Workspace
        $m = Write-Manifest $ws "tools:`n  t:`n    version: `"1.0`"`n    url: ./dist/hello-1.0.0-unix.tar.gz`n    sha256: $('0' * 64)`n"
        $null = Install-PinnedTool -Manifest $m -Platform $platform -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -BeExactly "ChecksumMismatch$FQ"
        Test-Path (Join-Path $ws 'home/tools/t/1.0') | Should -BeFalse
        @(Get-ChildItem -Force (Join-Path $ws 'home/tools/t') -ErrorAction SilentlyContinue | Where-Object Name -like '.*').Count | Should -Be 0
        Test-Path (Join-Path $ws 'secureinstall.lock.json') | Should -BeFalse
    }

    It 'with -Locked refuses what the lock does not record, and a manifest that disagrees with the lock' {
        $ws = New-Workspace
        $m = Join-Path $ws 'secureinstall.yml'
        { Install-PinnedTool -Manifest $m -Platform $platform -Locked -ErrorAction Stop } | Should -Throw -ErrorId "NotLocked$FQ"
        $null = Install-PinnedTool -Manifest $m -Platform $platform
        (Install-PinnedTool -Manifest $m -Platform $platform -Locked).Status | Should -Be 'AlreadyInstalled'
        $text = (Get-Content -Raw $m) -replace [regex]::Escape($unixSha), ('1' * 64)
        [System.IO.File]::WriteAllText($m, $text)
        { Install-PinnedTool -Manifest $m -Platform $platform -Locked -ErrorAction Stop } | Should -Throw -ErrorId "LockMismatch$FQ"
    }

    It 'reports an unknown tool and a missing platform' {
        $ws = New-Workspace
        $m = Join-Path $ws 'secureinstall.yml'
        { Install-PinnedTool -Manifest $m -Name nope -ErrorAction Stop } | Should -Throw -ErrorId "ToolNotInManifest$FQ"
        $m2 = Write-Manifest $ws "tools:`n  t:`n    versions:`n      `"1.0`":`n        artifacts:`n          darwin-arm64:`n            url: ./dist/hello-1.0.0-unix.tar.gz`n            sha256: $unixSha`n"
        { Install-PinnedTool -Manifest $m2 -Platform linux-x64 -ErrorAction Stop } | Should -Throw -ErrorId "PlatformNotInManifest$FQ"
    }

    It 'reads -Platform by the CLI''s rule: aliases are accepted, an unknown platform is refused naming the known ones, and it tab-completes' {
        $ws = New-Workspace
        $m2 = Write-Manifest $ws "tools:`n  t:`n    versions:`n      `"1.0`":`n        artifacts:`n          linux-x64:`n            url: ./dist/hello-1.0.0-unix.tar.gz`n            sha256: $unixSha`n"
        # macos-aarch64 is darwin-arm64, which this manifest lacks; linux_amd64 is linux-x64, which it has (Platforms.Parse).
        { Install-PinnedTool -Manifest $m2 -Platform macos-aarch64 -ErrorAction Stop } | Should -Throw -ErrorId "PlatformNotInManifest$FQ"
        (Install-PinnedTool -Manifest $m2 -Platform linux_amd64 -WhatIf) | Should -BeNullOrEmpty
        { Install-PinnedTool -Manifest $m2 -Platform solaris-sparc } | Should -Throw -ErrorId 'ParameterArgumentValidationError,SecureInstall.Commands.InstallPinnedToolCommand'
        { Install-PinnedTool -Manifest $m2 -Platform solaris-sparc } | Should -Throw '*one of windows-x64*'
        $line = 'Install-PinnedTool -Platform darwin-'
        $completions = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText
        $completions | Should -Be @('darwin-x64', 'darwin-arm64')
    }

    It 'stops on a manifest that is not YAML' {
        $ws = New-Workspace
        $m = Write-Manifest $ws "tools: [unclosed`n"
        { Install-PinnedTool -Manifest $m } | Should -Throw -ErrorId "ManifestInvalid$FQ"
    }

    It 'ends with one good install when two processes install the same tool at once' {
        $ws = New-Workspace
        $m = Join-Path $ws 'secureinstall.yml'
        $module = Resolve-Path (Join-Path $PSScriptRoot '../../SecureInstall.psd1')
        $jobs = 1..2 | ForEach-Object {
            Start-Job -ScriptBlock {
                param($module, $m, $home_, $platform)
                $env:SECUREINSTALL_HOME = $home_
                Import-Module $module
                (Install-PinnedTool -Manifest $m -Platform $platform -ErrorAction Stop).Status.ToString()
            } -ArgumentList $module, $m, $env:SECUREINSTALL_HOME, $platform
        }
        $statuses = $jobs | Wait-Job -Timeout 120 | Receive-Job
        $jobs | Remove-Job -Force
        @($statuses).Count | Should -Be 2
        @($statuses | Where-Object { $_ -eq 'Installed' }).Count | Should -BeGreaterOrEqual 1
        (Test-PinnedTool -Manifest $m).Status | Should -Be 'Verified'
    }
}

Describe 'Install-PinnedTool interrupted' {
    It 'a process killed mid-install leaves the previous version working, no version folder and the lock unchanged' {
        $ws = New-Workspace
        $m = Join-Path $ws 'secureinstall.yml'
        $old = Install-PinnedTool -Manifest $m -Platform $platform

        # Version 2.0.0: a 192 MiB tar, so download, extraction and hashing take long enough to be killed in between.
        $src = Join-Path $ws 'v2/hello-2.0.0'
        $null = New-Item -ItemType Directory -Path (Join-Path $src 'bin')
        $bytes = New-Object byte[] (192MB)
        (New-Object System.Random 5).NextBytes($bytes)
        [System.IO.File]::WriteAllBytes((Join-Path $src 'payload.bin'), $bytes)
        [System.IO.File]::WriteAllText((Join-Path $src 'bin/hello'), "#!/bin/sh`necho hello 2.0.0`n")
        [System.IO.File]::WriteAllText((Join-Path $src 'bin/hello.cmd'), "@echo hello 2.0.0`r`n")
        $tar = Join-Path $ws 'dist/hello-2.0.0.tar'
        # tar(1) (bsdtar on Windows): System.Formats.Tar is .NET 7+, absent under Windows PowerShell 5.1.
        & tar -cf $tar -C (Join-Path $ws 'v2') 'hello-2.0.0'
        $LASTEXITCODE | Should -Be 0
        $sha = (Get-FileHash -LiteralPath $tar).Hash.ToLowerInvariant()
        $bin = if ($isWin) { 'bin/hello.cmd' } else { 'bin/hello' }
        $m2 = Write-Manifest $ws "tools:`n  hello:`n    default_version: `"2.0.0`"`n    versions:`n      `"1.0.0`":`n        url: ./dist/hello-1.0.0-unix.tar.gz`n        sha256: $unixSha`n        strip_components: 1`n        bin: $bin`n      `"2.0.0`":`n        url: ./dist/hello-2.0.0.tar`n        sha256: $sha`n        strip_components: 1`n        bin: $bin`n"
        $lockBefore = (Get-FileHash (Join-Path $ws 'secureinstall.lock.json')).Hash

        $module = Resolve-Path (Join-Path $PSScriptRoot '../../SecureInstall.psd1')
        $shell = (Get-Process -Id $PID).Path
        $child = Start-Process -FilePath $shell -PassThru -ArgumentList @('-NoProfile', '-NonInteractive', '-Command', "Import-Module '$module'; Install-PinnedTool -Manifest '$m2' -Platform $platform")
        $toolDir = Join-Path $env:SECUREINSTALL_HOME 'tools/hello'
        $deadline = [DateTime]::UtcNow.AddSeconds(60)
        $killedAt = $null
        while (-not $child.HasExited -and [DateTime]::UtcNow -lt $deadline) {
            $partial = Get-ChildItem -Force -LiteralPath $toolDir -Directory -ErrorAction SilentlyContinue | Where-Object Name -like '.download-*' |
                ForEach-Object { Get-ChildItem -Force -LiteralPath $_.FullName -Recurse -File } | Where-Object { $_.Length -ge (Get-Item $tar).Length }
            if ($partial) { $child.Kill(); $killedAt = 'after the download, before the tree is in place'; break }
            Start-Sleep -Milliseconds 5
        }
        $child.WaitForExit()
        $killedAt | Should -Not -BeNullOrEmpty -Because 'the child must be killed while installing, not finish'
        Test-Path (Join-Path $toolDir '2.0.0') | Should -BeFalse
        (Test-PinnedTool -Manifest $m2).Status | Should -Be 'Verified' -Because 'the previous version is untouched'
        if (-not $isWin) { & $old.Shims[0] | Should -Match 'hello 1.0.0' }
        (Get-FileHash (Join-Path $ws 'secureinstall.lock.json')).Hash | Should -BeExactly $lockBefore

        # The next install cleans up what the killed one left and completes.
        $r = Install-PinnedTool -Manifest $m2 -Platform $platform
        $r.Version | Should -BeExactly '2.0.0'
        (@(Get-ChildItem -Force -LiteralPath $toolDir | Where-Object Name -like '.*' | ForEach-Object Name) -join ', ') | Should -BeExactly ''
        if (-not $isWin) { & $r.Shims[0] | Should -Match 'hello 2.0.0' }
    }
}

Describe 'Test-PinnedTool, Get-PinnedTool, Uninstall-PinnedTool' {
    BeforeEach {
        $ws = New-Workspace
        $m = Join-Path $ws 'secureinstall.yml'
        $installed = Install-PinnedTool -Manifest $m -Platform $platform
    }

    It 'Test-PinnedTool verifies an untouched tree' {
        $s = Test-PinnedTool -Manifest $m
        $s | Should -BeOfType ([SecureInstall.Core.Install.InstalledToolStatus])
        $s.Status | Should -Be 'Verified'
        Test-PinnedTool -Manifest $m -Quiet | Should -BeExactly $true
    }

    It 'Test-PinnedTool names a changed, an added and a removed file' {
        $tree = $installed.Path
        Add-Content -LiteralPath (Join-Path $tree 'LICENSE') -Value 'tampered'
        Set-Content -LiteralPath (Join-Path $tree 'bin/extra') -Value 'backdoor'
        Remove-Item -LiteralPath (Get-ChildItem (Join-Path $tree 'bin') | Where-Object Name -like 'hello*' | Select-Object -First 1).FullName
        $s = Test-PinnedTool -Manifest $m -ErrorVariable ev -ErrorAction SilentlyContinue
        $s.Status | Should -Be 'Tampered'
        $s.Changed | Should -Contain 'LICENSE'
        $s.Added | Should -Contain 'bin/extra'
        @($s.Removed).Count | Should -Be 1
        $ev[0].FullyQualifiedErrorId | Should -BeExactly 'InstalledTreeTampered,SecureInstall.Commands.TestPinnedToolCommand'
        $ev[0].CategoryInfo.Category | Should -Be 'SecurityError'
        Test-PinnedTool -Manifest $m -Quiet | Should -BeExactly $false
    }

    It 'Install-PinnedTool repairs a tampered tree' {
        Add-Content -LiteralPath (Join-Path $installed.Path 'LICENSE') -Value 'tampered'
        (Install-PinnedTool -Manifest $m -Platform $platform).Status | Should -Be 'Installed'
        (Test-PinnedTool -Manifest $m).Status | Should -Be 'Verified'
    }

    It 'Get-PinnedTool lists the installed version, and -Verify re-hashes it' {
        $g = Get-PinnedTool -Manifest $m
        $g.Name | Should -BeExactly 'hello'
        $g.Status | Should -Be 'Installed'
        $g.PinnedVersion | Should -BeExactly '1.0.0'
        (Get-PinnedTool -Manifest $m -Verify).Status | Should -Be 'Verified'
        (Get-PinnedTool -Manifest $m | Format-Table | Out-String) | Should -Match 'Name\s+Version\s+Status'
    }

    It 'Uninstall-PinnedTool honours -WhatIf, then removes the tree, the shim and the lock entry' {
        Uninstall-PinnedTool -Manifest $m -Name hello -WhatIf
        Test-Path $installed.Path | Should -BeTrue
        Uninstall-PinnedTool -Manifest $m -Name hello -Confirm:$false
        Test-Path $installed.Path | Should -BeFalse
        Test-Path $installed.Shims[0] | Should -BeFalse
        (Get-PinnedTool -Manifest $m).Status | Should -Be 'NotInstalled'
        $null = Uninstall-PinnedTool -Manifest $m -Name hello -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -BeExactly 'NotInstalled,SecureInstall.Commands.UninstallPinnedToolCommand'
    }
}

Describe 'Install-PinnedTool with a Sigstore policy' -Skip:(-not (Test-Path (Join-Path $PSScriptRoot '../../../shared/corpus/sigstore-conformance'))) {
    BeforeAll {
        $cases = (Resolve-Path (Join-Path $PSScriptRoot '../../../shared/corpus/sigstore-conformance/test/assets/bundle-verify')).Path
        $artifact = Join-Path $cases 'a.txt'
        $sha = (Get-FileHash -LiteralPath $artifact).Hash.ToLowerInvariant()
        $bundleUri = [System.Uri]::new((Join-Path $cases 'happy-path-v0.3-new-mediaType/bundle.sigstore.json')).AbsoluteUri
        $identity = 'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main'
    }

    It 'records the bundle in the lock, and Test-PinnedTool re-verifies it offline and catches a forged one' {
        $ws = New-Workspace
        $m = Write-Manifest $ws "tools:`n  a:`n    signature:`n      scheme: sigstore`n      identity: `"$identity`"`n      issuer: https://token.actions.githubusercontent.com`n      bundle: `"$bundleUri`"`n    version: `"1`"`n    url: $([System.Uri]::new($artifact).AbsoluteUri)`n    sha256: $sha`n    archive: binary`n"
        $r = Install-PinnedTool -Manifest $m -Platform $platform
        ($r.VerifiedBy -join ' ') | Should -Match 'Sigstore bundle'
        $status = Test-PinnedTool -Manifest $m
        $status.Status | Should -Be 'Verified'
        $status.Signature | Should -Match '^Sigstore: '

        $lockPath = Join-Path $ws 'secureinstall.lock.json'
        $lock = Get-Content -Raw $lockPath | ConvertFrom-Json
        $entry = $lock.tools.a.'1'.$platform
        $forged = $entry.sigstoreBundle -replace '("signature"\s*:\s*")[A-Za-z0-9+/]{4}', '${1}AAAA'
        $forged | Should -Not -BeExactly $entry.sigstoreBundle
        $entry.sigstoreBundle = $forged
        [System.IO.File]::WriteAllText($lockPath, ($lock | ConvertTo-Json -Depth 20))
        $null = Test-PinnedTool -Manifest $m -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].CategoryInfo.Category | Should -Be 'SecurityError'
    }
}

Describe 'Install-PinnedTool with an npm tarball pinned by integrity: and vouched for by its npm provenance (issue 18)' {
    BeforeAll {
        # The README's integrity: example, run as written: only the registry URL is mapped to the real tarball kept in
        # tests/fixtures/sigstore/npm-sigstore-2.1.0 (sigstore@2.1.0 and its provenance; sources in its README).
        $readme = Get-Content -Raw (Join-Path $PSScriptRoot '../../README.md')
        $yaml = [regex]::Match($readme, '(?s)```yaml\r?\n(tools:\r?\n  sigstore-js:.*?)```').Groups[1].Value
        $npm = Join-Path $PSScriptRoot '../fixtures/sigstore/npm-sigstore-2.1.0'
        function New-NpmWorkspace([string]$Repository = 'sigstore/sigstore-js', [switch]$Tampered) {
            $ws = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
            $null = New-Item -ItemType Directory -Path (Join-Path $ws 'attestations')
            Copy-Item (Join-Path $npm 'sigstore-2.1.0.sigstore.json') (Join-Path $ws 'attestations')
            $tgz = Join-Path $ws 'sigstore-2.1.0.tgz'
            $bytes = [System.IO.File]::ReadAllBytes((Join-Path $npm 'sigstore-2.1.0.tgz'))
            if ($Tampered) { $bytes[1000] = $bytes[1000] -bxor 1 }
            [System.IO.File]::WriteAllBytes($tgz, $bytes)
            $text = $yaml.Replace('https://registry.npmjs.org/sigstore/-/sigstore-2.1.0.tgz', [System.Uri]::new($tgz).AbsoluteUri).Replace('sigstore/sigstore-js', $Repository)
            [System.IO.File]::WriteAllText((Join-Path $ws 'tools.yml'), $text)
            $env:SECUREINSTALL_HOME = Join-Path $ws 'home'
            $ws
        }
    }

    It 'finds the README example' {
        $yaml | Should -Match 'integrity: sha512-'
    }

    It 'installs it, with the pin and the provenance in VerifiedBy and the integrity in the lock' {
        $ws = New-NpmWorkspace
        $r = Install-PinnedTool -Manifest (Join-Path $ws 'tools.yml') -Platform linux-x64
        $r.Status | Should -Be 'Installed'
        $r.Sha256 | Should -BeExactly 'f0c641fce0310cb43208f4272dc1423153630e44ba8cdc0b5ce8466f724e0eed'
        $r.VerifiedBy[0] | Should -Match '^sha512 \(integrity\) pinned in .*tools\.yml:\d+$'
        $r.VerifiedBy[1] | Should -Match 'sigstore/sigstore-js/\.github/workflows/release\.yml'
        Test-Path (Join-Path $ws 'home/tools/sigstore-js/2.1.0/package.json') | Should -BeTrue
        $lock = Get-Content -Raw (Join-Path $ws 'secureinstall.lock.json') | ConvertFrom-Json
        $lock.tools.'sigstore-js'.'2.1.0'.'linux-x64'.integrity | Should -BeLike 'sha512-kPIj+ZLky*'
        (Test-PinnedTool -Manifest (Join-Path $ws 'tools.yml')).Status | Should -Be 'Verified'
    }

    It 'refuses the provenance of another repository with SignerNotTrusted and installs nothing' {
        $ws = New-NpmWorkspace -Repository sigstore/cosign
        Install-PinnedTool -Manifest (Join-Path $ws 'tools.yml') -Platform linux-x64 -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -BeExactly "SignerNotTrusted$FQ"
        Test-Path (Join-Path $ws 'home/tools/sigstore-js/2.1.0') | Should -BeFalse
        Test-Path (Join-Path $ws 'secureinstall.lock.json') | Should -BeFalse
    }

    It 'refuses a tampered tarball with ChecksumMismatch and installs nothing' {
        $ws = New-NpmWorkspace -Tampered
        Install-PinnedTool -Manifest (Join-Path $ws 'tools.yml') -Platform linux-x64 -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -BeExactly "ChecksumMismatch$FQ"
        Test-Path (Join-Path $ws 'home/tools/sigstore-js/2.1.0') | Should -BeFalse
    }
}

# Issue 21: a manifest's authenticode policy is enforced on every OS (managed Authenticode); on Windows WinVerifyTrust
# also runs and does not trust the root the test made, so the pass case is skipped there (the refusal holds everywhere).
Describe 'Install-PinnedTool with an authenticode signature policy' {
    BeforeAll {
        $skip = Get-AuthenticodeLabSkipReason
        function New-AuthenticodeWorkspace([string]$Signer) {
            $ws = New-TestFolder
            $env:SECUREINSTALL_HOME = Join-Path $ws 'home'
            $lab = New-AuthenticodeLab -Path (Join-Path $ws 'lab')
            $exe = Invoke-AuthenticodeSign -In $lab.Pe -Out (Join-Path $ws 'tool.exe') -Signer $lab.$Signer
            Copy-Item -LiteralPath $lab.Root -Destination (Join-Path $ws 'publisher-root.pem')
            $sha = (Get-FileHash -LiteralPath $exe).Hash.ToLowerInvariant()
            $manifest = Write-Manifest $ws @"
tools:
  tool:
    signature:
      scheme: authenticode
      thumbprint: $($lab.Publisher.Thumbprint)
      root: publisher-root.pem
    versions:
      "1.0":
        artifacts:
          ${platform}:
            url: $(ConvertTo-FileUri $exe)
            sha256: $sha
            archive: binary
"@
            [pscustomobject]@{ Folder = $ws; Manifest = $manifest; Lab = $lab }
        }
    }

    It 'installs a PE signed by the pinned signer and records the signer in VerifiedBy and the lock' {
        if ($skip) { Set-ItResult -Skipped -Because $skip; return }
        if ($isWin) { Set-ItResult -Skipped -Because 'WinVerifyTrust does not trust the root the test made'; return }
        $w = New-AuthenticodeWorkspace -Signer Publisher
        $r = Install-PinnedTool -Manifest $w.Manifest -Platform $platform
        $r.Status | Should -Be 'Installed'
        $r.VerifiedBy[1] | Should -Match ('^Authenticode signature by thumbprint ' + $w.Lab.Publisher.Thumbprint + ' ')
        # Which checks ran is per machine (WinVerifyTrust on Windows only): what the lock records leaves it out.
        $r.VerifiedBy[1] | Should -Not -Match 'managed|revocation'
        (Get-ChildItem -LiteralPath $w.Folder -Filter '*.lock.json' | Get-Content -Raw) | Should -Match $w.Lab.Publisher.Thumbprint
    }

    It 'refuses a PE signed by another certificate with SignerNotTrusted, installing nothing and writing no lock' {
        if ($skip) { Set-ItResult -Skipped -Because $skip; return }
        $w = New-AuthenticodeWorkspace -Signer Other
        Install-PinnedTool -Manifest $w.Manifest -Platform $platform -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -BeExactly "SignerNotTrusted$FQ"
        Test-Path (Join-Path $w.Folder 'home/tools/tool/1.0') | Should -BeFalse
        @(Get-ChildItem -LiteralPath $w.Folder -Filter '*.lock.json').Count | Should -Be 0
    }
}

Describe 'Install-PinnedTool -Registry (issue 20)' {
    It 'refuses a -Registry that is neither oci:// nor an OCI image layout folder, before anything is read' {
        $ws = New-Workspace
        { Install-PinnedTool -Manifest (Join-Path $ws 'secureinstall.yml') -Registry $ws -Platform $platform -ErrorAction Stop } |
            Should -Throw -ErrorId "RegistryReferenceInvalid$FQ"
        Test-Path (Join-Path $ws 'home/tools/hello') | Should -BeFalse
    }

    It 'with -RegistryOnly, fails per tool (RegistryRequestFailed) when no registry can serve it, and never uses the original URL' {
        $ws = New-Workspace
        Install-PinnedTool -Manifest (Join-Path $ws 'secureinstall.yml') -RegistryOnly -Platform $platform -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -BeExactly "RegistryRequestFailed$FQ"
        $ev[0].CategoryInfo.Category | Should -Be 'ResourceUnavailable'
        Test-Path (Join-Path $ws 'home/tools/hello/1.0.0') | Should -BeFalse
    }

    It 'installs from an OCI image layout folder with -RegistryOnly, the original artifacts gone, and the layout serving other bytes is ChecksumMismatch' {
        $ws = New-Workspace
        $m = Join-Path $ws 'secureinstall.yml'
        $bundle = Join-Path $ws 'bundle'
        $saved = Save-PinnedTool -Manifest $m -Destination $bundle -Platform $platform
        Remove-Item -Recurse -Force (Join-Path $ws 'dist')
        $blob = Join-Path $bundle "blobs/sha256/$($saved.Sha256)"
        $good = [System.IO.File]::ReadAllBytes($blob)
        Remove-Item -LiteralPath $blob   # a hard link to the bundle's file: replace it, do not write through it
        [System.IO.File]::WriteAllBytes($blob, [byte[]]::new($good.Length))
        # Save-PinnedTool put the verified artifact in the cache, which would serve it: a fleet machine has its own.
        Set-TestEnvironment SECUREINSTALL_CACHE (Join-Path $ws 'fleet-cache')
        Install-PinnedTool -Manifest $m -Registry $bundle -RegistryOnly -Platform $platform -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -BeExactly "ChecksumMismatch$FQ"
        Test-Path (Join-Path $ws 'home/tools/hello/1.0.0') | Should -BeFalse
        Remove-Item -LiteralPath $blob
        [System.IO.File]::WriteAllBytes($blob, $good)
        (Install-PinnedTool -Manifest $m -Registry $bundle -RegistryOnly -Platform $platform).Status | Should -Be 'Installed'
    }

    AfterAll { Restore-TestEnvironment }
}

Describe 'Install-PinnedTool with a setup program (installer:, issue 24)' {
    BeforeAll {
        # The installer is a copy of a real program: cmd.exe on Windows (type exe, run as "setup.exe /c exit CODE"), any file elsewhere.
        function Write-InstallerManifest([string]$Folder, [string]$Block) {
            $source = if ($isWin) { Join-Path ([Environment]::SystemDirectory) 'cmd.exe' } else { (Get-Command pwsh).Source }
            $dist = Join-Path $Folder 'dist'
            $null = New-Item -ItemType Directory -Force -Path $dist
            Copy-Item -LiteralPath $source -Destination (Join-Path $dist 'setup.exe')
            $sha = (Get-FileHash -LiteralPath (Join-Path $dist 'setup.exe')).Hash.ToLowerInvariant()
            Write-Manifest $Folder ("tools:`n  tool:`n    versions:`n      ""1.0"":`n        artifacts:`n          windows-x64:`n            url: ./dist/setup.exe`n" +
                "            sha256: $sha`n            installer:`n$Block")
        }
    }

    It 'elsewhere than Windows: downloads and verifies it, then refuses to run it (InstallerNotRunHere, NotImplemented), nothing placed' {
        if ($isWin) { Set-ItResult -Skipped -Because 'on Windows the installer runs (the Windows-tagged tests below)'; return }
        $ws = New-Workspace
        $m = Write-InstallerManifest $ws "              type: nullsoft`n"
        $r = Install-PinnedTool -Manifest $m -Name tool -Platform windows-x64 -Verbose -ErrorVariable ev -ErrorAction SilentlyContinue 4>&1
        $r | Where-Object { $_ -is [SecureInstall.Core.Install.InstallResult] } | Should -BeNullOrEmpty
        $ev[0].FullyQualifiedErrorId | Should -BeExactly "InstallerNotRunHere$FQ"
        $ev[0].CategoryInfo.Category | Should -Be 'NotImplemented'
        $ev[0].Exception.Message | Should -Match 'downloaded and verified'
        ($r | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n" | Should -Match 'sha256 [0-9a-f]{64} matches'
        Test-Path (Join-Path $ws 'home/tools/tool/1.0') | Should -BeFalse
        Test-Path (Join-Path $ws 'secureinstall.lock.json') | Should -BeFalse

        # The CLI: the same core, the same ErrorId.
        $cli = Invoke-Cli install --manifest $m tool --platform windows-x64
        $cli.ExitCode | Should -Not -Be 0
        $cli.Text | Should -Match 'InstallerNotRunHere'
        Test-Path (Join-Path $ws 'secureinstall.lock.json') | Should -BeFalse
    }

    It 'a plain exe without silent switches is refused when the manifest is read (ManifestInvalid)' {
        $ws = New-Workspace
        $m = Write-InstallerManifest $ws "              type: exe`n"
        $err = { Install-PinnedTool -Manifest $m -Name tool -Platform windows-x64 } | Should -Throw -ErrorId "ManifestInvalid$FQ" -PassThru
        $err.Exception.Message | Should -Match 'needs its silent switches'
        Test-Path (Join-Path $ws 'home/tools/tool') | Should -BeFalse
    }

    It 'on Windows: runs the verified installer with its switches, reads 3010 as installed-restart-required, records the waiver Test-PinnedTool shows' -Tag 'Windows' {
        if (-not $isWin) { Set-ItResult -Skipped -Because 'it runs a real installer (cmd.exe as setup.exe), and installers run only on Windows'; return }
        $ws = New-Workspace
        $m = Write-InstallerManifest $ws "              type: exe`n              silent: ""/c exit 3010""`n"
        $out = Install-PinnedTool -Manifest $m -Name tool -Platform windows-x64 -WarningVariable wv -WarningAction SilentlyContinue
        $r = $out | Where-Object { $_ -is [SecureInstall.Core.Install.InstallResult] }
        $r.Status | Should -Be 'Installed'
        $r.RebootRequired | Should -BeTrue
        ($wv -join "`n") | Should -Match 'restart Windows'
        ($wv -join "`n") | Should -Match 'InstallerChangesNotVerified'
        $t = Test-PinnedTool -Manifest $m -Name tool -WarningVariable tw -WarningAction SilentlyContinue
        $t.Status | Should -Be 'Verified'
        $t.Waivers -join "`n" | Should -Match 'InstallerChangesNotVerified'
        ($tw -join "`n") | Should -Match 'InstallerChangesNotVerified'
    }

    It 'on Windows: a failing exit code is InstallerFailed and nothing is recorded' -Tag 'Windows' {
        if (-not $isWin) { Set-ItResult -Skipped -Because 'it runs a real installer (cmd.exe as setup.exe), and installers run only on Windows'; return }
        $ws = New-Workspace
        $m = Write-InstallerManifest $ws "              type: exe`n              silent: ""/c exit 1603""`n"
        Install-PinnedTool -Manifest $m -Name tool -Platform windows-x64 -ErrorVariable ev -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -BeExactly "InstallerFailed$FQ"
        $ev[0].Exception.Message | Should -Match 'code 1603'
        Test-Path (Join-Path $ws 'home/tools/tool/1.0') | Should -BeFalse
        Test-Path (Join-Path $ws 'secureinstall.lock.json') | Should -BeFalse
    }
}
