#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }

# Issue 17 #4, #6, #11: the lock's installedPath is reported, never obeyed; tampering with modes, kinds and shims is
# reported; a FIFO never hangs the check; names the installer uses are reserved and a shim collision is refused.
BeforeDiscovery {
    $onWindows = [System.IO.Path]::DirectorySeparatorChar -eq '\'
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../../SecureInstall.psd1') -Force
    Import-Module (Join-Path $PSScriptRoot '../TestHelpers.psm1') -Force
    $repo = (Resolve-Path (Join-Path $PSScriptRoot '../../..')).Path
    $isWin = [System.IO.Path]::DirectorySeparatorChar -eq '\'
    $platform = if ($isWin) { 'windows-x64' } else { 'linux-x64' }
    $utf8 = New-Object System.Text.UTF8Encoding($false)

    # Rewrites the lock as SecureInstall wrote it before lockVersion 2 (issue 20 moved installedPath out of the lock), with
    # installedPath pointing somewhere else, as an edited (or another machine's) lock of that format does.
    function Set-LockedPath([string]$Workspace, [string]$Path) {
        $lock = Join-Path $Workspace 'secureinstall.lock.json'
        $json = Get-Content -Raw -LiteralPath $lock
        $escaped = $Path.Replace('\', '\\')
        $json = $json.Replace('"lockVersion": 2', '"lockVersion": 1')
        $json = [regex]::Replace($json, '"treeDigest": ', { param($m) '"installedPath": "' + $escaped + '", "treeDigest": ' })
        [System.IO.File]::WriteAllText($lock, $json, $utf8)
    }
    function New-Victim([string]$Workspace) {
        $victim = Join-Path $Workspace 'victim/project'
        $null = New-Item -ItemType Directory -Path $victim, (Join-Path $Workspace 'victim/bin')
        [System.IO.File]::WriteAllText((Join-Path $victim 'main.c'), 'precious', $utf8)
        [System.IO.File]::WriteAllText((Join-Path $Workspace 'victim/bin/notes.sh'), "cd $victim$([System.IO.Path]::DirectorySeparatorChar)`n", $utf8)
        $victim
    }
}

AfterAll { $env:SECUREINSTALL_HOME = $null }

Describe 'A lock whose installedPath was changed' {
    BeforeEach {
        $ws = New-Workspace
        $m = Join-Path $ws 'secureinstall.yml'
        $installed = Install-PinnedTool -Manifest $m -Platform $platform
        $victim = New-Victim $ws
        Set-LockedPath $ws $victim
    }

    It 'Uninstall-PinnedTool removes only the version folder the root derives and its own shim, and warns about the recorded path' {
        $verbose = Uninstall-PinnedTool -Manifest $m -Name hello -Confirm:$false -WarningVariable wv -WarningAction SilentlyContinue -Verbose 4>&1
        "$verbose" | Should -Match 'lockVersion 1.*dropped'
        Get-Content -Raw (Join-Path $ws 'secureinstall.lock.json') | Should -Match '"lockVersion": 2'
        Get-Content -Raw (Join-Path $victim 'main.c') | Should -BeExactly 'precious'
        Test-Path (Join-Path $ws 'victim/bin/notes.sh') | Should -BeTrue
        Test-Path $installed.Path | Should -BeFalse
        Test-Path $installed.Shims[0] | Should -BeFalse
        "$wv" | Should -Match ([regex]::Escape($victim))
        (Get-PinnedTool -Manifest $m).Status | Should -Be 'NotInstalled'
    }

    It 'Uninstall-PinnedTool refuses with LockPathMismatch when nothing is installed where this root keeps it' {
        $env:SECUREINSTALL_HOME = Join-Path $ws 'another-home'
        Uninstall-PinnedTool -Manifest $m -Name hello -Confirm:$false -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -BeExactly 'LockPathMismatch,SecureInstall.Commands.UninstallPinnedToolCommand'
        $ev[0].CategoryInfo.Category | Should -Be 'SecurityError'
        Test-Path (Join-Path $victim 'main.c') | Should -BeTrue
        (Get-Content -Raw (Join-Path $ws 'secureinstall.lock.json') | ConvertFrom-Json).tools.hello | Should -Not -BeNullOrEmpty
    }

    It 'Test-PinnedTool reports LockPathMismatch and checks only the derived tree' {
        $s = Test-PinnedTool -Manifest $m -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -BeExactly 'LockPathMismatch,SecureInstall.Commands.TestPinnedToolCommand'
        $ev[0].TargetObject | Should -BeExactly $victim
        $s.Path | Should -BeExactly $installed.Path
        $s.RecordedPath | Should -BeExactly $victim
        $s.Status | Should -Be 'Tampered'
        Test-PinnedTool -Manifest $m -Quiet | Should -BeExactly $false
    }

    It 'Install-PinnedTool migrates the lock (the recorded path dropped, said in -Verbose), after which Test-PinnedTool passes' {
        $verbose = Install-PinnedTool -Manifest $m -Platform $platform -Verbose 4>&1
        ($verbose | Where-Object { $_ -is [SecureInstall.Core.Install.InstallResult] }).Status | Should -Be 'AlreadyInstalled'
        "$($verbose | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] })" | Should -Match 'lockVersion 1.*installedPath, shims.*dropped'
        Get-Content -Raw (Join-Path $ws 'secureinstall.lock.json') | Should -Not -Match 'installedPath'
        (Test-PinnedTool -Manifest $m).Status | Should -Be 'Verified'
    }
}

Describe 'Test-PinnedTool on a tampered install' {
    BeforeEach {
        $ws = New-Workspace
        $m = Join-Path $ws 'secureinstall.yml'
        $installed = Install-PinnedTool -Manifest $m -Platform $platform
    }

    It 'names a setuid file and a world-writable folder' -Skip:$onWindows {
        $exe = Join-Path $installed.Path 'bin/hello'
        & chmod u+s $exe
        & chmod o+w (Join-Path $installed.Path 'bin')
        $s = Test-PinnedTool -Manifest $m -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -BeExactly 'InstalledTreeTampered,SecureInstall.Commands.TestPinnedToolCommand'
        $s.Changed | Should -Contain 'bin (mode 0755 -> 0757 world-writable)'
        ($s.Changed | Where-Object { $_ -like 'bin/hello (mode *setuid)' }) | Should -Not -BeNullOrEmpty
    }

    It 'names a replaced shim' {
        [System.IO.File]::WriteAllText($installed.Shims[0], "#!/bin/sh`necho owned`n", $utf8)
        $s = Test-PinnedTool -Manifest $m -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -BeExactly 'InstalledTreeTampered,SecureInstall.Commands.TestPinnedToolCommand'
        $s.Changed | Should -Contain "$($installed.Shims[0]) (shim: not what SecureInstall wrote)"
    }

    It 'reports a FIFO in the tree instead of hanging on it' -Skip:$onWindows {
        & mkfifo (Join-Path $installed.Path 'bin/pipe')
        # In a child shell with a deadline: before the fix the check blocked forever opening the FIFO.
        $shell = (Get-Process -Id $PID).Path
        $script = "Import-Module '$repo/SecureInstall.psd1'; `$env:SECUREINSTALL_HOME = '$env:SECUREINSTALL_HOME'; " +
                  "`$s = Test-PinnedTool -Manifest '$m' -ErrorAction SilentlyContinue; `$s.Status; `$s.Added"
        $p = Start-Process -FilePath $shell -ArgumentList '-NoProfile', '-NonInteractive', '-Command', $script -PassThru -NoNewWindow `
            -RedirectStandardOutput (Join-Path $ws 'out.txt') -RedirectStandardError (Join-Path $ws 'err.txt')
        $done = $p.WaitForExit(60000)
        if (-not $done) { $p.Kill() }
        $done | Should -BeTrue -Because 'Test-PinnedTool must not open a FIFO'
        $out = Get-Content -Raw (Join-Path $ws 'out.txt')
        $out | Should -Match 'Tampered'
        $out | Should -Match ([regex]::Escape('bin/pipe (FIFO, device or socket, a fifo: not read)'))
    }
}

Describe 'Names in the install root' {
    It 'refuses a version named like an install leftover (ManifestInvalid)' {
        $ws = New-Workspace
        $m = Join-Path $ws 'secureinstall.yml'
        [System.IO.File]::WriteAllText($m, (Get-Content -Raw $m).Replace('"1.0.0":', '".staging-1":').Replace('default_version: "1.0.0"', 'default_version: ".staging-1"'), $utf8)
        { Install-PinnedTool -Manifest $m -Platform $platform -ErrorAction Stop } |
            Should -Throw -ErrorId 'ManifestInvalid,SecureInstall.Commands.InstallPinnedToolCommand'
    }

    It 'refuses a second tool whose bin would take over the first one''s command (ShimConflict), unless owns_shims says who owns it' {
        $ws = New-Workspace
        $m = Join-Path $ws 'secureinstall.yml'
        $text = Get-Content -Raw $m
        $body = $text.Substring($text.IndexOf('  hello:'))
        $two = $text + $body.Replace('  hello:', '  hello2:').Replace('&unix', '&unix2').Replace('*unix', '*unix2').Replace('&windows', '&windows2').Replace('*windows', '*windows2')
        [System.IO.File]::WriteAllText($m, $two, $utf8)
        Install-PinnedTool -Manifest $m -Platform $platform -ErrorVariable ev -ErrorAction SilentlyContinue
        @($ev).Count | Should -Be 2
        $ev[0].FullyQualifiedErrorId | Should -BeExactly 'ShimConflict,SecureInstall.Commands.InstallPinnedToolCommand'
        $ev[0].CategoryInfo.Category | Should -Be 'SecurityError'
        Test-Path (Join-Path $env:SECUREINSTALL_HOME 'tools/hello') | Should -BeFalse

        [System.IO.File]::WriteAllText($m, $two.Replace("  hello2:`n", "  hello2:`n    owns_shims: [hello]`n").Replace("  hello2:`r`n", "  hello2:`r`n    owns_shims: [hello]`r`n"), $utf8)
        $r = Install-PinnedTool -Manifest $m -Platform $platform
        ($r | Where-Object Name -eq 'hello').Shims | Should -BeNullOrEmpty
        @(($r | Where-Object Name -eq 'hello2').Shims).Count | Should -Be 1
    }
}

Describe 'secureinstall verify-installed with a changed installedPath' {
    BeforeAll {
        $cli = Get-CliPath
    }

    It 'exits 1 naming LockPathMismatch and leaves the recorded path alone' {
        $ws = New-Workspace
        $m = Join-Path $ws 'secureinstall.yml'
        $null = Install-PinnedTool -Manifest $m -Platform $platform
        $victim = New-Victim $ws
        Set-LockedPath $ws $victim
        $out = & dotnet $cli verify-installed --manifest $m 2>&1 | Out-String
        $LASTEXITCODE | Should -Be 1
        $out | Should -Match 'LockPathMismatch'
        $out | Should -Match 'LOCK PATH MISMATCH'
        Test-Path (Join-Path $victim 'main.c') | Should -BeTrue
    }
}
