#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }

# Issue 20, "a lock that travels": the committed lock holds only what is true on every machine, so a lock written on one
# machine installs identically on a second (another checkout folder, another home, another install root) and re-writing it
# there changes no byte. The second machine is a child process with its own HOME and no SECUREINSTALL_HOME.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../SecureInstall.psd1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $isWin = [System.IO.Path]::DirectorySeparatorChar -eq '\'
    $platform = if ($isWin) { 'windows-x64' } else { 'linux-x64' }
    Set-TestEnvironment SECUREINSTALL_CACHE (Join-Path $TestDrive 'cache')
}

AfterAll { $env:SECUREINSTALL_HOME = $null; Restore-TestEnvironment }

Describe 'A lock committed on one machine' {
    BeforeAll {
        # Machine A: this session, its install root under SECUREINSTALL_HOME.
        $a = New-Workspace
        $manifestA = Join-Path $a 'secureinstall.yml'
        $installedA = Install-PinnedTool -Manifest $manifestA -Platform $platform
        $lockA = Join-Path $a 'secureinstall.lock.json'
        $written = [System.IO.File]::ReadAllBytes($lockA)

        # Machine B: another checkout folder (the lock travels with it) and another home.
        $b = Join-Path (New-TestFolder) 'agent/work/checkout'
        $null = New-Item -ItemType Directory -Path $b
        Copy-SampleTools $b
        Copy-Item -LiteralPath $lockA -Destination $b
        $homeB = Join-Path (New-TestFolder) 'home-b'
        $null = New-Item -ItemType Directory -Path $homeB
        $envB = @{ HOME = $homeB; SECUREINSTALL_HOME = $null; XDG_DATA_HOME = $null; SECUREINSTALL_CACHE = (Join-Path $homeB 'cache') }
        $module = Join-Path $PSScriptRoot '../../SecureInstall.psd1'
        $onB = Invoke-ChildProcess -FilePath (Get-Process -Id $PID).Path -Environment $envB -TimeoutSeconds 120 -ArgumentList @(
            '-NoProfile', '-NonInteractive', '-Command',
            "Import-Module '$module'; `$r = Install-PinnedTool -Manifest '$(Join-Path $b 'secureinstall.yml')' -Platform $platform -Locked; " +
            "`$t = Test-PinnedTool -Manifest '$(Join-Path $b 'secureinstall.yml')'; '{0}|{1}|{2}' -f `$r.Status, `$r.Path, `$t.Status")
        $cliB = Invoke-ChildProcess -FilePath 'dotnet' -Environment $envB -TimeoutSeconds 120 -ArgumentList @(
            (Get-CliPath), 'install', '--manifest', (Join-Path $b 'secureinstall.yml'), '--platform', $platform, '--locked', '--force')
    }

    It 'holds no path of the machine that wrote it' {
        $text = [System.Text.Encoding]::UTF8.GetString($written)
        $text | Should -Not -Match ([regex]::Escape($a))
        $text | Should -Not -Match 'installedPath'
        ($text | ConvertFrom-Json).tools.hello.'1.0.0'.$platform.url | Should -Match '^\./dist/hello-1\.0\.0-'
    }

    It 'installs on a second machine with another home, where Test-PinnedTool finds and verifies the tree' {
        $onB.ExitCode | Should -Be 0 -Because $onB.Text
        $status, $path, $tested = $onB.Out.Trim().Split('|')
        $status | Should -BeExactly 'Installed'
        $path | Should -BeExactly (Join-Path $homeB '.local/share/secureinstall/tools/hello/1.0.0')
        $tested | Should -BeExactly 'Verified'
        $path | Should -Not -BeExactly $installedA.Path
    }

    It 'is re-written there, by the cmdlet and by the CLI, byte for byte' {
        $cliB.ExitCode | Should -Be 0 -Because $cliB.Text
        $lockB = Join-Path $b 'secureinstall.lock.json'
        Get-Sha256 $lockB | Should -BeExactly (Get-Sha256Hex $written)
        # As a reviewer would see it: no diff.
        $diff = git diff --no-index --exit-code -- $lockA $lockB
        $LASTEXITCODE | Should -Be 0 -Because "$diff"
    }
}
