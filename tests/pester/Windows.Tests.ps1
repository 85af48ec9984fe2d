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
    # Extracting a zip of two good entries and $Entry fails with UnsafeArchiveEntry naming $Rule and leaves no destination.
    function Assert-EntryRefused([string]$Entry, [string]$Rule) {
        $dest = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        $zip = New-Zip (Join-Path $TestDrive "$([guid]::NewGuid().ToString('N')).zip") @('readme.txt', 'bin/tool.exe', $Entry)
        $null = Expand-VerifiedArchive -Path $zip -DestinationPath $dest -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev.Count | Should -Be 1
        $ev[0].FullyQualifiedErrorId | Should -BeExactly "UnsafeArchiveEntry$FQ"
        $ev[0].Exception.Rule | Should -Be $Rule
        Test-Path -LiteralPath $dest | Should -BeFalse
    }
    # The README sample (manifest and dist/) copied into a fresh workspace folder; returns the folder.
    function Copy-ReadmeSample {
        $ws = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        $null = New-Item -ItemType Directory -Path $ws
        Copy-Item -LiteralPath (Join-Path $PSScriptRoot '../../samples/tools/secureinstall.yml') -Destination $ws
        Copy-Item -LiteralPath (Join-Path $PSScriptRoot '../../samples/tools/dist') -Destination $ws -Recurse
        $ws
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
        Assert-EntryRefused $Entry $Rule
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
        $env:SECUREINSTALL_HOME = Join-Path $TestDrive 'home with space'
        $ws = Copy-ReadmeSample
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

Describe 'Entry and bin paths that name another root' -Tag 'Windows' {
    # EntryPathPolicy and the manifest's bin check apply the same rules on every OS (an archive hostile on Windows is
    # hostile everywhere), so these run on Linux and macOS too.
    It 'refuses the entry <Entry> (<Rule>) with UnsafeArchiveEntry, and writes nothing' -ForEach @(
        @{ Entry = '\\server\share\x'; Rule = 'UncOrDevicePath' }
        @{ Entry = '//server/share/x'; Rule = 'UncOrDevicePath' }
        @{ Entry = '\\?\C:\Windows\x'; Rule = 'UncOrDevicePath' }
        @{ Entry = '\\.\PhysicalDrive0'; Rule = 'UncOrDevicePath' }
        @{ Entry = 'C:\Windows\x'; Rule = 'DrivePath' }
        @{ Entry = 'C:/Windows/x'; Rule = 'DrivePath' }
        @{ Entry = 'PROGRA~1/tool.exe'; Rule = 'ShortNameAlias' }
        @{ Entry = 'bin/LONGNA~1.EXE'; Rule = 'ShortNameAlias' }
    ) {
        Assert-EntryRefused $Entry $Rule
    }

    It 'refuses a manifest whose bin is <Bin> (ManifestInvalid), before anything is fetched or installed' -ForEach @(
        @{ Bin = '\\server\share\tool.exe' }
        @{ Bin = '\\?\C:\Windows\System32\cmd.exe' }
        @{ Bin = 'C:\Windows\System32\cmd.exe' }
        @{ Bin = 'C:cmd.exe' }
        @{ Bin = '/usr/bin/sh' }
    ) {
        $ws = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        $home2 = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        $manifest = Join-Path $ws 'tools.yml'
        Write-Fixture $manifest "tools:`n  t:`n    versions:`n      `"1.0`":`n        artifacts:`n          windows-x64:`n            url: ./dist/t.zip`n            sha256: $('a' * 64)`n            archive: zip`n            bin: '$Bin'`n"
        $saved = $env:SECUREINSTALL_HOME
        try {
            $env:SECUREINSTALL_HOME = $home2
            $err = { Install-PinnedTool -Manifest $manifest -Platform windows-x64 } | Should -Throw -ErrorId 'ManifestInvalid,SecureInstall.Commands.InstallPinnedToolCommand' -PassThru
        } finally { $env:SECUREINSTALL_HOME = $saved }
        $err.Exception.Message | Should -BeLike "*bin '$Bin' must be a relative path inside the installed tree*"
        $err.Exception.Message | Should -BeLike "*line 10*"
        Test-Path -LiteralPath $home2 | Should -BeFalse
    }
}

Describe 'Long paths' -Tag 'Windows' {
    BeforeAll {
        $savedHome = $env:SECUREINSTALL_HOME
    }
    AfterAll {
        $env:SECUREINSTALL_HOME = $savedHome
    }

    It 'installs the README sample under a home whose path is longer than 260 characters, and the shim runs' {
        if (-not $onWindows) { Set-ItResult -Skipped -Because 'Windows only: MAX_PATH (260) is a Win32 limit; other systems have no such cap'; return }
        $ws = Copy-ReadmeSample
        $longHome = $TestDrive
        while ($longHome.Length -le 280) { $longHome = Join-Path $longHome ('segment-of-a-long-path-' + $longHome.Length) }
        $env:SECUREINSTALL_HOME = $longHome
        $installed = Install-PinnedTool -Manifest (Join-Path $ws 'secureinstall.yml') -Platform windows-x64 -ErrorAction Stop
        $shim = @($installed.Shims)[0]
        $shim | Should -BeLike "$longHome*"
        $shim.Length | Should -BeGreaterThan 260
        $out = & $shim 2>&1 | ForEach-Object { "$_" }
        $LASTEXITCODE | Should -Be 0 -Because ($out -join "`n")
        ($out -join "`n") | Should -Match 'hello 1\.0\.0: installed by SecureInstall'
        (Test-PinnedTool -Manifest (Join-Path $ws 'secureinstall.yml')).Status | Should -Be 'Verified'
    }
}

Describe 'TLS 1.2 on Windows PowerShell 5.1' -Tag 'Windows' {
    # Windows PowerShell 5.1 on older .NET Framework defaults ServicePointManager.SecurityProtocol to SSL3/TLS 1.0; the
    # loopback server speaks TLS 1.2 only, so the download works only because the transport adds TLS 1.2 itself.
    BeforeAll {
        $powershellExe = $null
        if ($onWindows -and $env:SystemRoot) {
            $candidate = Join-Path $env:SystemRoot 'System32\WindowsPowerShell\v1.0\powershell.exe'
            if (Test-Path -LiteralPath $candidate) { $powershellExe = $candidate }
        }
        $server = $null
        if ($powershellExe) {
            $pem = Join-Path $TestDrive 'loopback.pem'
            $certificate = New-LoopbackCertificate -PemPath $pem
            $payload = [System.Text.Encoding]::UTF8.GetBytes('a tool fetched over TLS 1.2')
            $server = Start-LoopbackServer -Certificate $certificate -Routes @{ '/tool.bin' = @{ Body = $payload } }
        }
    }
    AfterAll {
        Stop-LoopbackServer $server
    }

    It 'Get-VerifiedArtifact fetches over https in a powershell.exe child whose SecurityProtocol is <Label>' -ForEach @(
        @{ Label = 'the default'; Protocol = '' }
        @{ Label = 'TLS 1.0 only, as on .NET 4.5'; Protocol = 'Tls' }
    ) {
        if (-not $onWindows) { Set-ItResult -Skipped -Because 'Windows only: Windows PowerShell 5.1 (powershell.exe, .NET Framework) exists only there'; return }
        if (-not $powershellExe) { Set-ItResult -Skipped -Because "powershell.exe (Windows PowerShell 5.1) is not at $env:SystemRoot\System32\WindowsPowerShell\v1.0"; return }
        $out = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        # The child trusts exactly the loopback certificate (by thumbprint), through the process-wide callback the
        # .NET Framework handler falls back to: SChannel ignores SSL_CERT_FILE, and adding a root to the user's store
        # opens a confirmation dialog. A compiled delegate, since a script block has no runspace on the TLS thread.
        $child = @'
$ErrorActionPreference = 'Stop'
Add-Type -TypeDefinition @"
public static class LoopbackPin {
    public static string Thumbprint;
    public static bool Check(object s, System.Security.Cryptography.X509Certificates.X509Certificate c, System.Security.Cryptography.X509Certificates.X509Chain ch, System.Net.Security.SslPolicyErrors e) {
        return c != null && string.Equals(c.GetCertHashString(), Thumbprint, System.StringComparison.OrdinalIgnoreCase);
    }
}
"@
[LoopbackPin]::Thumbprint = $env:SI_TEST_THUMBPRINT
[System.Net.ServicePointManager]::ServerCertificateValidationCallback = [System.Net.Security.RemoteCertificateValidationCallback][LoopbackPin]::Check
if ($env:SI_TEST_PROTOCOL) { [System.Net.ServicePointManager]::SecurityProtocol = [System.Net.SecurityProtocolType]$env:SI_TEST_PROTOCOL }
$before = [System.Net.ServicePointManager]::SecurityProtocol
Import-Module $env:SI_TEST_MODULE
$r = Get-VerifiedArtifact -Uri $env:SI_TEST_URI -OutFile $env:SI_TEST_OUT -Sha256 $env:SI_TEST_SHA -NoCache
[Console]::Out.WriteLine("edition=$($PSVersionTable.PSEdition);before=$before;after=$([System.Net.ServicePointManager]::SecurityProtocol);sha=$($r.Sha256)")
'@
        $encoded = [Convert]::ToBase64String([System.Text.Encoding]::Unicode.GetBytes($child))
        $r = Invoke-ChildProcess -FilePath $powershellExe -ArgumentList @('-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-EncodedCommand', $encoded) -TimeoutSeconds 120 -Environment @{
            SI_TEST_THUMBPRINT = $certificate.Thumbprint
            SI_TEST_PROTOCOL   = $Protocol
            SI_TEST_MODULE     = (Resolve-Path (Join-Path $PSScriptRoot '../../SecureInstall.psd1')).Path
            SI_TEST_URI        = "$($server.Base)/tool.bin"
            SI_TEST_OUT        = $out
            SI_TEST_SHA        = (Get-Sha256Hex $payload)
        }
        $r.ExitCode | Should -Be 0 -Because $r.Text
        $r.Out | Should -Match 'edition=Desktop;'
        $r.Out | Should -Match 'after=[^;]*Tls12'
        if ($Protocol) { $r.Out | Should -Match 'before=Tls;after=Tls, Tls12;' }
        [System.IO.File]::ReadAllBytes($out) | Should -Be $payload
    }
}
