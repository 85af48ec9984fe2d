#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }

# Windows behaviour (issue 21 §2), tagged Windows: these need NTFS, Windows device names and cmd.exe, so they run on
# CI's Windows legs (Windows PowerShell 5.1 and pwsh 7, .github/workflows/ci.yml) and say why they skip elsewhere.
# Written for Windows PowerShell 5.1 as well as pwsh 7.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $onWindows = Test-IsWindows
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../SecureInstall.psd1') -Force
    Add-Type -AssemblyName System.IO.Compression, System.IO.Compression.FileSystem
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $onWindows = Test-IsWindows
    $why = 'Windows only: NTFS streams, device names and cmd.exe shims exist only there (CI runs this on its Windows legs)'
    $FQ = ',SecureInstall.Commands.ExpandVerifiedArchiveCommand'
    # A zip whose entries are named exactly as given (ZipArchive does not check names when writing).
    function New-Zip([string]$Path, [string[]]$Names) {
        $zip = [System.IO.Compression.ZipFile]::Open($Path, 'Create')
        try {
            foreach ($name in $Names) {
                $stream = $zip.CreateEntry($name).Open()
                try { $bytes = [System.Text.Encoding]::UTF8.GetBytes("content of $name"); $stream.Write($bytes, 0, $bytes.Length) } finally { $stream.Dispose() }
            }
        } finally { $zip.Dispose() }
        $Path
    }
}

Describe 'Archives on NTFS' -Tag 'Windows' {
    # An alternate data stream would hide bytes behind a verified file; a device name opens the device (CON, AUX,
    # LPT1, with any extension) instead of a file; a trailing dot or space and a drive-relative name alias another path.
    It 'refuses <Entry> (<Rule>) with UnsafeArchiveEntry, and writes nothing' -ForEach @(
        @{ Entry = 'tool.exe:Zone.Identifier'; Rule = 'AlternateDataStream' }
        @{ Entry = 'bin/tool.exe:hidden:$DATA'; Rule = 'AlternateDataStream' }
        @{ Entry = 'CON'; Rule = 'ReservedName' }
        @{ Entry = 'bin/aux.txt'; Rule = 'ReservedName' }
        @{ Entry = 'lpt1'; Rule = 'ReservedName' }
        @{ Entry = 'nul .log'; Rule = 'ReservedName' }
        @{ Entry = 'tool.exe.'; Rule = 'TrailingDotOrSpace' }
        @{ Entry = 'tool.exe '; Rule = 'TrailingDotOrSpace' }
        @{ Entry = 'C:tool.exe'; Rule = 'DrivePath' }
    ) {
        if (-not $onWindows) { Set-ItResult -Skipped -Because $why; return }
        $dest = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        $zip = New-Zip (Join-Path $TestDrive "$([guid]::NewGuid().ToString('N')).zip") @('readme.txt', 'bin/tool.exe', $Entry)
        $null = Expand-VerifiedArchive -Path $zip -DestinationPath $dest -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev.Count | Should -Be 1
        $ev[0].FullyQualifiedErrorId | Should -BeExactly "UnsafeArchiveEntry$FQ"
        $ev[0].Exception.Rule | Should -Be $Rule
        Test-Path -LiteralPath $dest | Should -BeFalse
    }
}

Describe 'cmd.exe shims' -Tag 'Windows' {
    BeforeAll {
        $savedHome = $env:SECUREINSTALL_HOME
    }
    AfterAll {
        $env:SECUREINSTALL_HOME = $savedHome
    }

    It 'installs the README sample under a home with a space, writes a CRLF .cmd shim, and the shim runs the tool' {
        if (-not $onWindows) { Set-ItResult -Skipped -Because $why; return }
        $ws = Join-Path $TestDrive 'workspace'
        $null = New-Item -ItemType Directory -Path $ws
        Copy-Item -LiteralPath (Join-Path $PSScriptRoot '../../samples/tools/secureinstall.yml') -Destination $ws
        Copy-Item -LiteralPath (Join-Path $PSScriptRoot '../../samples/tools/dist') -Destination $ws -Recurse
        $env:SECUREINSTALL_HOME = Join-Path $TestDrive 'home with space'
        $installed = Install-PinnedTool -Manifest (Join-Path $ws 'secureinstall.yml') -Platform windows-x64 -ErrorAction Stop
        $shim = @($installed.Shims)[0]
        $shim | Should -BeLike '*.cmd'
        $shim | Should -BeLike "$env:SECUREINSTALL_HOME*"
        $text = [System.IO.File]::ReadAllText($shim)
        $text | Should -Match '^@"[^"]+\\hello\.cmd" %\*\r\n$'
        $out = & $shim 2>&1 | ForEach-Object { "$_" }
        $LASTEXITCODE | Should -Be 0
        ($out -join "`n") | Should -Match 'hello 1\.0\.0: installed by SecureInstall'
        (Test-PinnedTool -Manifest (Join-Path $ws 'secureinstall.yml')).Status | Should -Be 'Verified'
    }

    It 'runs from PATH under a home whose folders are named %PATH% and R^D & (x86), passing arguments with spaces and quotes intact' {
        if (-not $onWindows) { Set-ItResult -Skipped -Because $why; return }
        # cmd.exe expands %...% in a batch line even inside quotes: unescaped, the shim would start "<...>\C:\Windows;...".
        $ws = Join-Path $TestDrive 'percent'
        $env:SECUREINSTALL_HOME = Join-Path $TestDrive 'a %PATH% b\R^D & (x86)'
        # The tool: a .cmd that hands its arguments to powershell.exe, which prints each as base64 (nothing can blur them).
        $zip = New-ZipBytes @{
            'args-1.0/bin/echoargs.cmd' = "@`"%SystemRoot%\System32\WindowsPowerShell\v1.0\powershell.exe`" -NoProfile -NonInteractive -ExecutionPolicy Bypass -File `"%~dp0args.ps1`" %*`r`n"
            'args-1.0/bin/args.ps1'     = '[Console]::Out.Write((@($args | ForEach-Object { [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes([string]$_)) }) -join ","))'
        }
        Write-Fixture (Join-Path $ws 'dist/args.zip') $zip
        $sha = Get-Sha256Hex $zip
        Write-Fixture (Join-Path $ws 'tools.yml') "tools:`n  echoargs:`n    versions:`n      `"1.0`":`n        artifacts:`n          windows-x64:`n            url: ./dist/args.zip`n            sha256: $sha`n            archive: zip`n            strip_components: 1`n            bin: bin/echoargs.cmd`n"
        $installed = Install-PinnedTool -Manifest (Join-Path $ws 'tools.yml') -Platform windows-x64 -ErrorAction Stop
        $shim = @($installed.Shims)[0]
        [System.IO.File]::ReadAllText($shim) | Should -Match '^@"[^"]*a %%PATH%% b\\R\^D & \(x86\)\\[^"]+\\echoargs\.cmd" %\*\r\n$'
        # As a user runs it: the shim folder on PATH, the command by name (a path with %PATH% in it would be expanded by
        # cmd /c itself before the shim ever ran).
        $given = @('a b', 'say "hi"', 'plain', 'C:\dir with space\')
        $r = Invoke-ChildProcess -FilePath "$env:SystemRoot\System32\cmd.exe" -ArgumentList (@('/d', '/c', 'echoargs') + $given) `
            -Environment @{ PATH = (Split-Path $shim) + ';' + $env:PATH }
        $r.ExitCode | Should -Be 0 -Because $r.Text
        $back = @($r.Out.Trim().Split(',') | ForEach-Object { [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($_)) })
        $back.Count | Should -Be $given.Count -Because $r.Text
        for ($i = 0; $i -lt $given.Count; $i++) { $back[$i] | Should -BeExactly $given[$i] }
    }
}
