#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }

# Issue 17 #5: a manifest nested 100,000 levels deep overflowed the stack of pwsh itself (no catch survives that), and a
# "billion laughs" of aliases ran for minutes. Each case runs in a child process with a deadline, so without the
# bounds it fails a test (a crashed or killed child) instead of crashing or hanging this run.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../TestHelpers.psm1') -Force
    $root = Resolve-Path (Join-Path $PSScriptRoot '../../..')
    $module = Join-Path $root 'SecureInstall.psd1'
    $cli = Get-CliPath
    $pwsh = (Get-Process -Id $PID).Path
    $utf8 = New-Object System.Text.UTF8Encoding($false)
    $sha = 'a' * 64

    # Runs a process to completion or kills it at the deadline; what it printed, and how it ended.
    function Invoke-Child([string]$FileName, [string[]]$Arguments, [int]$Seconds = 60) {
        Invoke-ChildProcess -FilePath $FileName -ArgumentList $Arguments -Environment @{ SECUREINSTALL_HOME = (Join-Path $TestDrive 'home') } -TimeoutSeconds $Seconds
    }

    # The cmdlet in a child pwsh; prints the error's id, category and message, one per line.
    function Invoke-Cmdlet([string]$Command) {
        $script = "Import-Module '$module'; try { $Command -ErrorAction Stop | Out-Null; 'NO ERROR' } " +
            'catch { "FQID=$($_.FullyQualifiedErrorId)"; "CATEGORY=$($_.CategoryInfo.Category)"; "MESSAGE=$($_.Exception.Message)" }'
        Invoke-Child $pwsh @('-NoProfile', '-NonInteractive', '-Command', $script)
    }

    function Write-Manifest([string]$Name, [string]$Text) {
        $path = Join-Path $TestDrive $Name
        [System.IO.File]::WriteAllText($path, $Text, $utf8)
        $path
    }

    # 200 KB: tool "x" is 100,000 nested flow sequences on line 2.
    $deep = Write-Manifest 'deep.yml' ("tools:`n  x: " + ('[' * 100000) + (']' * 100000) + "`n")

    # Under 1 KB: each anchor repeats the one before nine times, 9^10 scalars in all, the last used as a mapping key.
    $laughs = "tools:`n  x:`n    version: `"1.0.0`"`n    url: https://example.test/x.tar.gz`n    sha256: $sha`n    extra:`n"
    $laughs += "      l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]`n"
    foreach ($i in 1..9) { $laughs += "      l${i}: &l$i [" + ((1..9 | ForEach-Object { "*l$($i - 1)" }) -join ', ') + "]`n" }
    $laughs += "      ? *l9`n      : boom`n"
    $bomb = Write-Manifest 'laughs.yml' $laughs
}

Describe 'Manifest bounds (issue 17 #5)' {
    It 'Get-PinnedTool on a 100,000-deep manifest fails with ManifestInvalid naming the limit and line, and pwsh survives' {
        $r = Invoke-Cmdlet "Get-PinnedTool -Manifest '$deep'"
        $r.TimedOut | Should -BeFalse
        $r.ExitCode | Should -Be 0 -Because "the child must not crash (stderr: $($r.Err))"
        $r.Out | Should -Match '(?m)^FQID=ManifestInvalid,SecureInstall\.Commands\.GetPinnedToolCommand\r?$'
        $r.Out | Should -Match '(?m)^CATEGORY=InvalidData\r?$'
        $r.Out | Should -Match ([regex]::Escape("deep.yml, line 2: nesting deeper than 64 levels (the limit)"))
    }

    It 'Install-PinnedTool -WhatIf on a 100,000-deep manifest fails with ManifestInvalid and writes nothing' {
        $r = Invoke-Cmdlet "Install-PinnedTool -Manifest '$deep' -WhatIf"
        $r.ExitCode | Should -Be 0 -Because "the child must not crash (stderr: $($r.Err))"
        $r.Out | Should -Match '(?m)^FQID=ManifestInvalid,SecureInstall\.Commands\.InstallPinnedToolCommand\r?$'
        $r.Out | Should -Match 'line 2: nesting deeper than 64 levels \(the limit\)'
        Test-Path (Join-Path $TestDrive 'home') | Should -BeFalse
        Test-Path (Join-Path $TestDrive 'secureinstall.lock.json') | Should -BeFalse
    }

    It 'Get-PinnedTool on a billion-laughs manifest fails quickly with ManifestInvalid naming the node limit and line' {
        $timer = [System.Diagnostics.Stopwatch]::StartNew()
        $r = Invoke-Cmdlet "Get-PinnedTool -Manifest '$bomb'"
        $r.TimedOut | Should -BeFalse -Because 'the bomb must be refused, not expanded'
        $r.Out | Should -Match '(?m)^FQID=ManifestInvalid,SecureInstall\.Commands\.GetPinnedToolCommand\r?$'
        $r.Out | Should -Match '(?m)^CATEGORY=InvalidData\r?$'
        # l5 (line 12) is where the alias-expanded count passes 100,000.
        $r.Out | Should -Match ([regex]::Escape('laughs.yml, line 12: more than 100000 YAML nodes (the limit)'))
        $timer.Elapsed.TotalSeconds | Should -BeLessThan 60
    }

    It 'Install-PinnedTool -WhatIf on a billion-laughs manifest fails with ManifestInvalid' {
        $r = Invoke-Cmdlet "Install-PinnedTool -Manifest '$bomb' -WhatIf"
        $r.TimedOut | Should -BeFalse -Because 'the bomb must be refused, not expanded'
        $r.Out | Should -Match '(?m)^FQID=ManifestInvalid,SecureInstall\.Commands\.InstallPinnedToolCommand\r?$'
        $r.Out | Should -Match 'more than 100000 YAML nodes \(the limit\)'
    }

    It 'secureinstall install exits 2 with ManifestInvalid on stderr for both' {
        foreach ($case in @(@{ Path = $deep; Text = 'line 2: nesting deeper than 64 levels (the limit)' },
                            @{ Path = $bomb; Text = 'line 12: more than 100000 YAML nodes (the limit)' })) {
            $r = Invoke-Child 'dotnet' @($cli, 'install', '--manifest', $case.Path)
            $r.TimedOut | Should -BeFalse
            $r.ExitCode | Should -Be 2 -Because "stderr: $($r.Err)"
            $r.Err | Should -Match ('secureinstall: ManifestInvalid: .*' + [regex]::Escape($case.Text))
        }
    }
}
