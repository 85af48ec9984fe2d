#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }

# install.sh (issue 23) run by dash, the strictest POSIX sh here, against an HTTPS server on 127.0.0.1 whose
# self-signed certificate the child trusts through CURL_CA_BUNDLE (curl) or a WGETRC naming it (wget, GnuTLS): the
# script itself has no way to loosen TLS. Each run gets its own HOME, TMPDIR and --prefix: a refusal must leave all of
# them untouched. The binary served is a small stand-in: install.sh installs whatever bytes the stamped digest names.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $missing = @('dash', 'curl', 'wget', 'shellcheck') | Where-Object { -not (Get-Command $_ -CommandType Application -ErrorAction SilentlyContinue) }
    $noDash = -not (Test-IsLinux) -or @($missing) -contains 'dash' -or @($missing) -contains 'curl'
    $noWget = $noDash -or @($missing) -contains 'wget'
    $noShellcheck = @($missing) -contains 'shellcheck'
    if ($missing) { Write-Host "InstallScript.Tests.ps1: $($missing -join ', ') not found (Debian: apt-get install dash curl wget shellcheck; .ci/run installs them): the tests that need them are skipped." }
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $releaseTool = Get-ChildItem -Path (Join-Path $root 'tools/SecureInstall.Release/bin') -Recurse -Filter SecureInstall.Release.dll |
        Sort-Object LastWriteTimeUtc -Descending | Select-Object -First 1
    if (-not $releaseTool) { throw 'Build first: tools/SecureInstall.Release stamps the install.sh under test.' }

    function New-StampedScript([string]$BaseUri, [hashtable]$Digests) {
        $out = Join-Path $TestDrive ([guid]::NewGuid().ToString('N') + '.sh')
        $arguments = @('stamp-sh', '--script', (Join-Path $root 'install.sh'), '--output', $out, '--version', '9.9.9', '--base-uri', $BaseUri)
        foreach ($rid in $Digests.Keys) { $arguments += @("--sha256-$rid", $Digests[$rid]) }
        $log = & dotnet $releaseTool.FullName @arguments 2>&1
        if ($LASTEXITCODE -ne 0) { throw "stamping failed: $log" }
        , [System.IO.File]::ReadAllBytes($out)
    }

    $binary = [System.Text.Encoding]::ASCII.GetBytes("#!/bin/sh`necho 'secureinstall 9.9.9 (stand-in)'`n")
    $binarySha = Get-Sha256Hex $binary
    $tampered = [byte[]]$binary.Clone(); $tampered[20] = [byte][char]'X'

    $pem = Join-Path $TestDrive 'loopback-ca.pem'
    $certificate = New-LoopbackCertificate -PemPath $pem
    $plain = Start-LoopbackServer -Routes @{ '/secureinstall-linux-x64' = @{ Body = $binary } }
    $server = Start-LoopbackServer -Certificate $certificate -Routes @{}
    $base = $server.Base
    $routes = $server.Routes
    $routes['/good/secureinstall-linux-x64'] = @{ Body = $binary }
    $routes['/tampered/secureinstall-linux-x64'] = @{ Body = $tampered }
    $routes['/hop/secureinstall-linux-x64'] = @{ Status = 302; Headers = @{ Location = "$base/good/secureinstall-linux-x64" } }
    $routes['/to-http/secureinstall-linux-x64'] = @{ Status = 302; Headers = @{ Location = "$($plain.Base)/secureinstall-linux-x64" } }
    $html = [System.Text.Encoding]::ASCII.GetBytes("<!DOCTYPE html>`n<html><head><title>Sign in</title></head><body>captive portal</body></html>`n")
    $routes['/html/secureinstall-linux-x64'] = @{ Body = $html; Headers = @{ 'Content-Type' = 'text/html' } }
    $routes['/html404/secureinstall-linux-x64'] = @{ Status = 404; Reason = 'Not Found'; Body = $html }
    # Half the binary, then the connection closes although Content-Length promised all of it.
    $routes['/partial/secureinstall-linux-x64'] = @{ Body = $binary[0..24]; ContentLength = $binary.Length }
    $routes['/good/secureinstall-linux-arm64'] = @{ Body = $binary }
    $routes['/good/secureinstall-osx-arm64'] = @{ Body = $binary }
    $scripts = @{}
    foreach ($case in 'html', 'html404', 'partial') {
        $bytes = New-StampedScript "$base/$case/" @{ 'linux-x64' = $binarySha }
        $scripts[$case] = @{ Bytes = $bytes; Sha = (Get-Sha256Hex $bytes) }
    }
    # Every platform install.sh knows, so the uname mapping decides which binary is fetched.
    $allPlatforms = New-StampedScript "$base/good/" @{ 'linux-x64' = $binarySha; 'linux-arm64' = $binarySha; 'osx-arm64' = $binarySha }
    foreach ($case in 'good', 'tampered', 'hop', 'to-http') {
        $bytes = New-StampedScript "$base/$case/" @{ 'linux-x64' = $binarySha }
        $scripts[$case] = @{ Bytes = $bytes; Sha = (Get-Sha256Hex $bytes) }
        $routes["/$case/install.sh"] = @{ Body = $bytes }
    }
    # Released for linux-arm64 only: this x64 machine has no binary in it.
    $armOnly = New-StampedScript "$base/good/" @{ 'linux-arm64' = $binarySha }
    $wgetrc = Join-Path $TestDrive 'wgetrc'
    [System.IO.File]::WriteAllText($wgetrc, "ca_certificate = $pem`n")

    # A folder of the tools install.sh uses, for a PATH without curl (the wget path) or with a uname that lies.
    function New-ToolFolder([string[]]$Without = @(), [hashtable]$Fake = @{}) {
        $dir = New-TestFolder
        foreach ($tool in 'sh', 'dash', 'bash', 'sha256sum', 'shasum', 'perl', 'openssl', 'cut', 'tr', 'sed', 'grep', 'head', 'tail', 'mktemp', 'rm', 'mkdir', 'cp', 'chmod', 'mv', 'uname', 'curl', 'wget', 'cat') {
            if ($Without -contains $tool -or $Fake.ContainsKey($tool)) { continue }
            $path = (Get-Command $tool -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1).Source
            if (-not $path) { continue }
            $null = New-Item -ItemType SymbolicLink -Path (Join-Path $dir $tool) -Target $path
        }
        foreach ($name in $Fake.Keys) {
            [System.IO.File]::WriteAllText((Join-Path $dir $name), "#!/bin/sh`n$($Fake[$name])`n")
            & chmod 0755 (Join-Path $dir $name)
        }
        $dir
    }

    # Runs install.sh (saved to a file, as the one-liner does) under dash with its own HOME, TMPDIR and prefix.
    function Invoke-InstallScript([byte[]]$Script, [string]$Pin, [string]$Path = '/usr/local/bin:/usr/bin:/bin', [string[]]$Extra = @(), [string]$Shell = 'dash', [hashtable]$ExtraEnvironment = @{}) {
        $script:childHome = New-TestFolder
        $script:childTemp = New-TestFolder
        $script:prefix = Join-Path (New-TestFolder) 'prefix'
        $file = Join-Path (New-TestFolder) 'install.sh'
        [System.IO.File]::WriteAllBytes($file, $Script)
        $arguments = @($file)
        if ($Pin) { $arguments += @('--expected-sha256', $Pin) }
        $arguments += @('--prefix', $script:prefix) + $Extra
        $environment = @{ HOME = $script:childHome; TMPDIR = $script:childTemp; PATH = $Path; CURL_CA_BUNDLE = $pem; WGETRC = $wgetrc; SSL_CERT_FILE = $pem }
        foreach ($k in $ExtraEnvironment.Keys) { $environment[$k] = $ExtraEnvironment[$k] }
        Invoke-ChildProcess -FilePath $Shell -ArgumentList $arguments -Environment $environment -TimeoutSeconds 60
    }

    function Assert-NothingWritten {
        Test-Path -LiteralPath $script:prefix | Should -BeFalse
        @(Get-ChildItem -LiteralPath $script:childTemp -Force).Count | Should -Be 0
        @(Get-ChildItem -LiteralPath $script:childHome -Force).Count | Should -Be 0
    }
}

AfterAll {
    if ($server) { Stop-LoopbackServer $server }
    if ($plain) { Stop-LoopbackServer $plain }
}

Describe 'install.sh, the file in the repository' {
    It 'is clean under shellcheck -s sh (POSIX sh, no bashisms)' -Skip:$noShellcheck {
        $out = & shellcheck -s sh (Join-Path $root 'install.sh') 2>&1 | Out-String
        $LASTEXITCODE | Should -Be 0 -Because $out
    }

    It 'is ASCII with LF endings and set -eu, so its digest is the same everywhere' {
        $bytes = [System.IO.File]::ReadAllBytes((Join-Path $root 'install.sh'))
        @($bytes | Where-Object { $_ -gt 0x7e -or $_ -eq 0x0d }).Count | Should -Be 0
        [System.Text.Encoding]::ASCII.GetString($bytes) | Should -Match '(?m)^set -eu$'
    }

    It 'refuses to run unstamped: it names no binary to install (exit 2)' -Skip:$noDash {
        $bytes = [System.IO.File]::ReadAllBytes((Join-Path $root 'install.sh'))
        $r = Invoke-InstallScript $bytes (Get-Sha256Hex $bytes)
        $r.ExitCode | Should -Be 2
        $r.Err | Should -Match 'not stamped by a release build'
        Assert-NothingWritten
    }
}

Describe 'install.sh under dash, against an HTTPS loopback release' {
    It 'installs the binary whose digest was stamped into it, executable, at PREFIX/bin/secureinstall' -Skip:$noDash {
        $r = Invoke-InstallScript $scripts.good.Bytes $scripts.good.Sha
        $r.ExitCode | Should -Be 0 -Because $r.Text
        $installed = Join-Path $script:prefix 'bin/secureinstall'
        Get-Sha256 $installed | Should -Be $binarySha
        & $installed | Should -Be 'secureinstall 9.9.9 (stand-in)'
        & test -x $installed
        $LASTEXITCODE | Should -Be 0 -Because 'install.sh leaves the binary executable (test -x)'
        $r.Err | Should -Match "sha256 $binarySha"
        @(Get-ChildItem -LiteralPath $script:childTemp -Force).Count | Should -Be 0 -Because 'its temporary folder is removed'
        @(Get-ChildItem -LiteralPath (Join-Path $script:prefix 'bin') -Force).Name | Should -Be @('secureinstall')
    }

    It 'installs to ~/.local/bin without --prefix, following an https redirect' -Skip:$noDash {
        $home2 = New-TestFolder
        $file = Join-Path (New-TestFolder) 'install.sh'
        [System.IO.File]::WriteAllBytes($file, $scripts.hop.Bytes)
        $r = Invoke-ChildProcess -FilePath 'dash' -ArgumentList @($file, '--expected-sha256', $scripts.hop.Sha) -TimeoutSeconds 60 `
            -Environment @{ HOME = $home2; TMPDIR = (New-TestFolder); PATH = '/usr/bin:/bin'; CURL_CA_BUNDLE = $pem }
        $r.ExitCode | Should -Be 0 -Because $r.Text
        Get-Sha256 (Join-Path $home2 '.local/bin/secureinstall') | Should -Be $binarySha
    }

    It 'refuses a tampered install.sh before anything else: no download, nothing written (BootstrapChecksumMismatch, exit 1)' -Skip:$noDash {
        $evil = [byte[]]$scripts.good.Bytes.Clone(); $evil[300] = [byte][char]'X'
        $before = $server.Requests.Count
        $r = Invoke-InstallScript $evil $scripts.good.Sha
        $r.ExitCode | Should -Be 1
        $r.Err | Should -Match "BootstrapChecksumMismatch: .* hashes to $(Get-Sha256Hex $evil), not the pinned $($scripts.good.Sha)"
        $server.Requests.Count | Should -Be $before
        Assert-NothingWritten
    }

    It 'refuses to run without a pin (BootstrapNotVerified, exit 1)' -Skip:$noDash {
        $r = Invoke-InstallScript $scripts.good.Bytes ''
        $r.ExitCode | Should -Be 1
        $r.Err | Should -Match 'BootstrapNotVerified'
        Assert-NothingWritten
    }

    It 'refuses the good script piped into sh: it cannot hash what it is read from (exit 1)' -Skip:$noDash {
        $file = Join-Path $TestDrive 'piped.sh'
        [System.IO.File]::WriteAllBytes($file, $scripts.good.Bytes)
        $prefix2 = Join-Path (New-TestFolder) 'prefix'
        $out = & dash -c "dash -s -- --expected-sha256 $($scripts.good.Sha) --prefix '$prefix2' < '$file'; echo exit=`$?" 2>&1 | Out-String
        $out | Should -Match 'BootstrapNotVerified: install.sh must run from a file it can hash'
        $out | Should -Match 'exit=1'
        Test-Path -LiteralPath $prefix2 | Should -BeFalse
    }

    It 'refuses a tampered binary: ChecksumMismatch naming both digests, exit 1, nothing installed' -Skip:$noDash {
        $r = Invoke-InstallScript $scripts.tampered.Bytes $scripts.tampered.Sha
        $r.ExitCode | Should -Be 1
        $r.Err | Should -Match "ChecksumMismatch: .*/tampered/secureinstall-linux-x64 hashes to $(Get-Sha256Hex $tampered), not the $binarySha stamped for linux-x64"
        Assert-NothingWritten
    }

    It 'refuses an https->http redirect before connecting to the http server (InsecureRedirect, exit 1)' -Skip:$noDash {
        $before = $plain.Requests.Count
        $r = Invoke-InstallScript $scripts.'to-http'.Bytes $scripts.'to-http'.Sha
        $r.ExitCode | Should -Be 1
        $r.Err | Should -Match 'InsecureRedirect'
        $plain.Requests.Count | Should -Be $before
        Assert-NothingWritten
    }

    It 'refuses a platform the release has no binary for, before any download (WrongPlatform, exit 2)' -Skip:$noDash -ForEach @(
        @{ Name = 'an arm64 machine, x64-only release'; Uname = 'if [ "$1" = -m ]; then echo aarch64; else echo Linux; fi'; Release = 'good'; Expect = 'no native secureinstall for linux-arm64' }
        @{ Name = 'an x64 machine, arm64-only release'; Uname = ''; Release = 'arm-only'; Expect = 'no native secureinstall for linux-x64' }
        @{ Name = 'FreeBSD'; Uname = 'if [ "$1" = -m ]; then echo amd64; else echo FreeBSD; fi'; Release = 'good'; Expect = "operating system 'FreeBSD'" }
        @{ Name = 'a riscv64 Linux'; Uname = 'if [ "$1" = -m ]; then echo riscv64; else echo Linux; fi'; Release = 'good'; Expect = "processor 'riscv64'" }
        @{ Name = 'an Intel Mac, no osx-x64 is released'; Uname = 'if [ "$1" = -m ]; then echo x86_64; else echo Darwin; fi'; Release = 'all'; Expect = 'no native secureinstall for osx-x64' }
    ) {
        $fake = @{}
        if ($Uname) { $fake['uname'] = $Uname }
        $tools = New-ToolFolder -Fake $fake
        $bytes = switch ($Release) { 'arm-only' { $armOnly } 'all' { $allPlatforms } default { $scripts.good.Bytes } }
        $before = $server.Requests.Count
        $r = Invoke-InstallScript $bytes (Get-Sha256Hex $bytes) -Path $tools
        $r.ExitCode | Should -Be 2
        $r.Err | Should -Match "WrongPlatform: .*$([regex]::Escape($Expect))"
        $server.Requests.Count | Should -Be $before
        Assert-NothingWritten
    }
}

Describe 'install.sh on a musl Linux (Alpine)' {
    # The Linux binaries are linked against glibc: on musl they would be installed and then not start (issue 23).
    It 'refuses <Machine> under <Shell>, naming linux-musl-<Arch>, before any download (WrongPlatform, exit 2)' -Skip:$noDash -ForEach @(
        @{ Shell = 'dash'; Machine = 'x86_64'; Arch = 'x64' }
        @{ Shell = 'bash'; Machine = 'x86_64'; Arch = 'x64' }
        @{ Shell = 'dash'; Machine = 'aarch64'; Arch = 'arm64' }
    ) {
        # What musl's ldd (a script running ld-musl-<arch>.so.1 --list) prints for --version: on stderr, exit 1.
        $tools = New-ToolFolder -Fake @{
            uname = "if [ `"`$1`" = -m ]; then echo $Machine; else echo Linux; fi"
            ldd   = "printf 'musl libc ($Machine)\nVersion 1.2.5\nDynamic Program Path: /lib/ld-musl-$Machine.so.1\n' >&2; exit 1"
        }
        $before = $server.Requests.Count
        $r = Invoke-InstallScript $allPlatforms (Get-Sha256Hex $allPlatforms) -Path $tools -Shell $Shell
        $r.ExitCode | Should -Be 2 -Because $r.Text
        $r.Err | Should -Match "WrongPlatform: this system is linux-musl-$Arch \(the musl C library, as on Alpine\).* only glibc Linux and macOS are served\. Nothing installed\."
        $server.Requests.Count | Should -Be $before
        Assert-NothingWritten
    }

    It 'still installs on a glibc Linux whose ldd says "<Ldd>"' -Skip:$noDash -ForEach @(
        @{ Ldd = 'ldd (Debian GLIBC 2.36-9+deb12u14) 2.36' }
        @{ Ldd = 'ldd (GNU libc) 2.39' }
    ) {
        $tools = New-ToolFolder -Fake @{ uname = 'if [ "$1" = -m ]; then echo x86_64; else echo Linux; fi'; ldd = "echo '$Ldd'" }
        $r = Invoke-InstallScript $allPlatforms (Get-Sha256Hex $allPlatforms) -Path $tools
        $r.ExitCode | Should -Be 0 -Because $r.Text
        $r.Err | Should -Match 'installed secureinstall 9\.9\.9 \(linux-x64\)'
    }
}

Describe 'install.sh: the uname mapping picks the binary it downloads' {
    It '<Name> installs secureinstall-<Rid>' -Skip:$noDash -ForEach @(
        @{ Name = 'Linux x86_64'; Uname = 'if [ "$1" = -m ]; then echo x86_64; else echo Linux; fi'; Rid = 'linux-x64' }
        @{ Name = 'Linux aarch64'; Uname = 'if [ "$1" = -m ]; then echo aarch64; else echo Linux; fi'; Rid = 'linux-arm64' }
        @{ Name = 'Darwin arm64'; Uname = 'if [ "$1" = -m ]; then echo arm64; else echo Darwin; fi'; Rid = 'osx-arm64' }
    ) {
        $tools = New-ToolFolder -Fake @{ uname = $Uname }
        $r = Invoke-InstallScript $allPlatforms (Get-Sha256Hex $allPlatforms) -Path $tools
        $r.ExitCode | Should -Be 0 -Because $r.Text
        $r.Err | Should -Match "installed secureinstall 9\.9\.9 \($Rid\)"
        @($server.Requests)[-1] | Should -BeExactly "/good/secureinstall-$Rid"
        Get-Sha256 (Join-Path $script:prefix 'bin/secureinstall') | Should -Be $binarySha
    }
}

Describe 'install.sh: answers that are not the binary' {
    It 'refuses <Name> (exit 1, nothing installed)' -Skip:$noDash -ForEach @(
        @{ Name = 'an HTML page served as the binary (a captive portal, a login page): ChecksumMismatch'; Case = 'html'; Expect = 'ChecksumMismatch: .*/html/secureinstall-linux-x64 hashes to {0}, not the {1}' }
        @{ Name = 'an HTTP 404: DownloadFailed'; Case = 'html404'; Expect = 'DownloadFailed: .*/html404/secureinstall-linux-x64 could not be downloaded.*404' }
        @{ Name = 'a download cut short (fewer bytes than Content-Length): DownloadFailed'; Case = 'partial'; Expect = 'DownloadFailed: .*/partial/secureinstall-linux-x64 could not be downloaded' }
    ) {
        $r = Invoke-InstallScript $scripts[$Case].Bytes $scripts[$Case].Sha
        $r.ExitCode | Should -Be 1 -Because $r.Text
        $r.Err | Should -Match ($Expect -f (Get-Sha256Hex $html), $binarySha)
        Assert-NothingWritten
    }
}

Describe 'install.sh: what is already at the destination' {
    BeforeEach {
        $script:dest = New-TestFolder
        $null = New-Item -ItemType Directory -Path (Join-Path $script:dest 'bin')
        $script:target = Join-Path $script:dest 'bin/secureinstall'
        $script:victim = New-TestFolder
    }

    It 'replaces an older binary by a rename; nothing else is left in bin' -Skip:$noDash {
        Write-Fixture $script:target 'old secureinstall'
        $r = Invoke-InstallScript $scripts.good.Bytes $scripts.good.Sha -Extra @('--prefix', $script:dest)
        $r.ExitCode | Should -Be 0 -Because $r.Text
        Get-Sha256 $script:target | Should -Be $binarySha
        @(Get-ChildItem -LiteralPath (Join-Path $script:dest 'bin') -Force).Name | Should -Be @('secureinstall')
    }

    It 'replaces a symlink planted at bin/secureinstall and never writes through it (link to a file)' -Skip:$noDash {
        $outside = Join-Path $script:victim 'profile'
        Write-Fixture $outside 'do not touch'
        $null = New-Item -ItemType SymbolicLink -Path $script:target -Target $outside
        $r = Invoke-InstallScript $scripts.good.Bytes $scripts.good.Sha -Extra @('--prefix', $script:dest)
        $r.ExitCode | Should -Be 0 -Because $r.Text
        (Get-Item -LiteralPath $script:target -Force).LinkType | Should -BeNullOrEmpty
        Get-Sha256 $script:target | Should -Be $binarySha
        Get-Content -LiteralPath $outside -Raw | Should -BeExactly 'do not touch'
    }

    It 'replaces a symlink planted at bin/secureinstall and never writes through it (link to a folder)' -Skip:$noDash {
        $null = New-Item -ItemType SymbolicLink -Path $script:target -Target $script:victim
        $r = Invoke-InstallScript $scripts.good.Bytes $scripts.good.Sha -Extra @('--prefix', $script:dest)
        $r.ExitCode | Should -Be 0 -Because $r.Text
        @(Get-ChildItem -LiteralPath $script:victim -Force).Count | Should -Be 0 -Because 'mv onto a link to a folder would move the binary into that folder'
        (Get-Item -LiteralPath $script:target -Force).LinkType | Should -BeNullOrEmpty
        Get-Sha256 $script:target | Should -Be $binarySha
    }

    It 'refuses a real folder at bin/secureinstall (exit 2) and leaves neither it changed nor a staged file behind' -Skip:$noDash {
        $null = New-Item -ItemType Directory -Path $script:target
        $r = Invoke-InstallScript $scripts.good.Bytes $scripts.good.Sha -Extra @('--prefix', $script:dest)
        $r.ExitCode | Should -Be 2
        $r.Err | Should -Match 'bin/secureinstall is a folder; not replaced'
        @(Get-ChildItem -LiteralPath $script:target -Force).Count | Should -Be 0
        @(Get-ChildItem -LiteralPath (Join-Path $script:dest 'bin') -Force).Name | Should -Be @('secureinstall')
        @(Get-ChildItem -LiteralPath $script:childTemp -Force).Count | Should -Be 0
    }

    It 'refuses to guess a folder when HOME is unset and no --prefix is given (exit 2, nothing written)' -Skip:$noDash {
        $file = Join-Path (New-TestFolder) 'install.sh'
        [System.IO.File]::WriteAllBytes($file, $scripts.good.Bytes)
        $temp = New-TestFolder
        $r = Invoke-ChildProcess -FilePath 'dash' -ArgumentList @($file, '--expected-sha256', $scripts.good.Sha) -TimeoutSeconds 60 `
            -Environment @{ HOME = $null; TMPDIR = $temp; PATH = '/usr/bin:/bin'; CURL_CA_BUNDLE = $pem }
        $r.ExitCode | Should -Be 2
        $r.Err | Should -Match 'HOME is not set: give the install folder with --prefix DIR'
        @(Get-ChildItem -LiteralPath $temp -Force).Count | Should -Be 0
    }

    It 'refuses an empty --prefix, which would install into /bin, as a usage error before anything else (exit 2)' -Skip:$noDash {
        # A pin that does not match: a script that took '' would stop at its self-check instead of writing /bin/secureinstall.
        $r = Invoke-InstallScript $scripts.good.Bytes ('0' * 64) -Extra @('--prefix', '')
        $r.ExitCode | Should -Be 2
        $r.Err | Should -Match "--prefix needs a folder, not ''"
    }
}

Describe 'install.sh without sha256sum (macOS, busybox images)' {
    It 'checks itself and the binary with <Tool> and installs' -Skip:$noDash -ForEach @(
        @{ Tool = 'shasum'; Without = @('sha256sum') }
        @{ Tool = 'openssl'; Without = @('sha256sum', 'shasum') }
    ) {
        $tools = New-ToolFolder -Without $Without
        $r = Invoke-InstallScript $scripts.good.Bytes $scripts.good.Sha -Path $tools
        $r.ExitCode | Should -Be 0 -Because $r.Text
        Get-Sha256 (Join-Path $script:prefix 'bin/secureinstall') | Should -Be $binarySha
        $r = Invoke-InstallScript $scripts.tampered.Bytes $scripts.tampered.Sha -Path $tools
        $r.ExitCode | Should -Be 1
        $r.Err | Should -Match "ChecksumMismatch: .* hashes to $(Get-Sha256Hex $tampered)"
    }

    It 'refuses to run with none of sha256sum, shasum and openssl (exit 2, nothing written)' -Skip:$noDash {
        $tools = New-ToolFolder -Without @('sha256sum', 'shasum', 'openssl')
        $r = Invoke-InstallScript $scripts.good.Bytes $scripts.good.Sha -Path $tools
        $r.ExitCode | Should -Be 2
        $r.Err | Should -Match 'needs sha256sum, shasum or openssl'
        Assert-NothingWritten
    }
}

Describe 'install.sh under bash (set -eu holds there too)' {
    It 'installs the stamped binary, and refuses a tampered one and an https->http redirect' -Skip:($noDash -or -not (Get-Command bash -CommandType Application -ErrorAction SilentlyContinue)) {
        $r = Invoke-InstallScript $scripts.hop.Bytes $scripts.hop.Sha -Shell 'bash'
        $r.ExitCode | Should -Be 0 -Because $r.Text
        Get-Sha256 (Join-Path $script:prefix 'bin/secureinstall') | Should -Be $binarySha
        $r = Invoke-InstallScript $scripts.tampered.Bytes $scripts.tampered.Sha -Shell 'bash'
        $r.ExitCode | Should -Be 1
        $r.Err | Should -Match 'ChecksumMismatch'
        Assert-NothingWritten
        $r = Invoke-InstallScript $scripts.'to-http'.Bytes $scripts.'to-http'.Sha -Shell 'bash'
        $r.ExitCode | Should -Be 1
        $r.Err | Should -Match 'InsecureRedirect'
        Assert-NothingWritten
    }
}

Describe 'install.sh with wget instead of curl' {
    It 'installs the good binary, following an https redirect' -Skip:$noWget {
        $tools = New-ToolFolder -Without 'curl'
        $r = Invoke-InstallScript $scripts.hop.Bytes $scripts.hop.Sha -Path $tools
        $r.ExitCode | Should -Be 0 -Because $r.Text
        Get-Sha256 (Join-Path $script:prefix 'bin/secureinstall') | Should -Be $binarySha
    }

    It 'refuses an https->http redirect without requesting the http URL (InsecureRedirect, exit 1)' -Skip:$noWget {
        $tools = New-ToolFolder -Without 'curl'
        $before = $plain.Requests.Count
        $r = Invoke-InstallScript $scripts.'to-http'.Bytes $scripts.'to-http'.Sha -Path $tools
        $r.ExitCode | Should -Be 1
        $r.Err | Should -Match 'InsecureRedirect: redirected to http://127\.0\.0\.1:\d+/secureinstall-linux-x64'
        $plain.Requests.Count | Should -Be $before
        Assert-NothingWritten
    }

    It 'refuses a download cut short at once, without retrying it for minutes (DownloadFailed, exit 1)' -Skip:$noWget {
        $tools = New-ToolFolder -Without 'curl'
        $before = $server.Requests.Count
        $r = Invoke-InstallScript $scripts.partial.Bytes $scripts.partial.Sha -Path $tools
        $r.TimedOut | Should -BeFalse
        $r.ExitCode | Should -Be 1 -Because $r.Text
        $r.Err | Should -Match 'DownloadFailed: .*/partial/secureinstall-linux-x64'
        $server.Requests.Count - $before | Should -Be 1 -Because 'wget retries a cut-off transfer 20 times by default'
        Assert-NothingWritten
    }

    It 'refuses a tampered binary (ChecksumMismatch, exit 1)' -Skip:$noWget {
        $tools = New-ToolFolder -Without 'curl'
        $r = Invoke-InstallScript $scripts.tampered.Bytes $scripts.tampered.Sha -Path $tools
        $r.ExitCode | Should -Be 1
        $r.Err | Should -Match 'ChecksumMismatch'
        Assert-NothingWritten
    }
}

Describe 'The README one-liner for sh' {
    BeforeAll {
        $readme = Get-Content -LiteralPath (Join-Path $root 'README.md') -Raw
        $shLine = @($readme -split "`n" | Where-Object { $_.StartsWith("(u='") })[0].Trim()
        # The README's own line, pointed at the loopback release.
        function Get-ShOneLiner([string]$Uri, [string]$Pin) {
            $shLine -replace "u='[^']*'", "u='$Uri'" -replace "pin='[^']*'", "pin='$Pin'"
        }
        function Invoke-OneLiner([string]$Line, [string]$Shell = 'dash') {
            $script:childHome = New-TestFolder
            $script:childTemp = New-TestFolder
            Invoke-ChildProcess -FilePath $Shell -ArgumentList @('-c', $Line) -TimeoutSeconds 60 `
                -Environment @{ HOME = $script:childHome; TMPDIR = $script:childTemp; PATH = '/usr/bin:/bin'; CURL_CA_BUNDLE = $pem }
        }
    }

    It 'is the line the release build writes, with a placeholder pin until the first release' {
        $shLine | Should -Match "^\(u='https://github\.com/secureinstall/SecureInstall/releases/download/v[0-9.]+/install\.sh'; pin='<the install\.sh digest from the v[0-9.]+ release notes>'; "
        $shLine | Should -Match "--proto '=https' --proto-redir '=https'"
        $shLine | Should -Not -Match '\| *(ba|da)?sh\b' -Because 'nothing is piped into sh'
    }

    It 'under <Shell>: downloads install.sh, checks the pin, runs it: the binary lands in ~/.local/bin; the temporary file is gone' -Skip:$noDash -ForEach @(
        @{ Shell = 'dash' }
        @{ Shell = 'bash' }
    ) {
        $r = Invoke-OneLiner (Get-ShOneLiner "$base/good/install.sh" $scripts.good.Sha) $Shell
        $r.ExitCode | Should -Be 0 -Because $r.Text
        Get-Sha256 (Join-Path $script:childHome '.local/bin/secureinstall') | Should -Be $binarySha
        @(Get-ChildItem -LiteralPath $script:childTemp -Force).Count | Should -Be 0
    }

    It 'refuses an install.sh that does not hash to the pin and runs none of it (exit 1)' -Skip:$noDash {
        $r = Invoke-OneLiner (Get-ShOneLiner "$base/good/install.sh" ('0' * 64))
        $r.ExitCode | Should -Be 1
        $r.Err | Should -Match "install\.sh hashes to $($scripts.good.Sha), not the pinned 0{64}: not run\."
        $r.Err | Should -Not -Match 'install\.sh: ' -Because 'the script never ran'
        @(Get-ChildItem -LiteralPath $script:childHome -Force).Count | Should -Be 0
        @(Get-ChildItem -LiteralPath $script:childTemp -Force).Count | Should -Be 0
    }
}
