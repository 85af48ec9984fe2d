#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }

# The bootstrap through real pwsh child processes, against an HTTPS server on 127.0.0.1 whose self-signed
# certificate the child trusts through SSL_CERT_FILE (the bootstrap itself has no way to loosen TLS). Each child gets
# its own HOME, XDG_DATA_HOME (so the CurrentUser module path) and TMPDIR: a refusal must leave both untouched.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $pwsh = (Get-Process -Id $PID).Path
    $releaseTool = Get-ChildItem -Path (Join-Path $root 'tools/SecureInstall.Release/bin') -Recurse -Filter SecureInstall.Release.dll |
        Sort-Object LastWriteTimeUtc -Descending | Select-Object -First 1
    if (-not $releaseTool) { throw 'Build first: tools/SecureInstall.Release stamps the bootstrap under test.' }
    $readme = Get-Content -LiteralPath (Join-Path $root 'README.md') -Raw
    $oneLiner = @($readme -split "`n" | Where-Object { $_.StartsWith('& { $u = ') })[0].Trim()

    function New-StampedBootstrap([string]$PackageUri, [byte[]]$Package) {
        $out = Join-Path $TestDrive ([guid]::NewGuid().ToString('N') + '.ps1')
        & dotnet $releaseTool.FullName stamp --bootstrap (Join-Path $root 'module/Install-SecureInstall.ps1') --output $out `
            --version 9.9.9 --package-uri $PackageUri --sha256 (Get-Sha256Hex $Package) --size $Package.Length
        if ($LASTEXITCODE -ne 0) { throw 'stamping failed' }
        , [System.IO.File]::ReadAllBytes($out)
    }

    # A stand-in module: the bootstrap installs whatever the stamped digest names.
    $package = New-ZipBytes @{
        'SecureInstall.psd1' = "@{ RootModule = 'SecureInstall.psm1'; ModuleVersion = '9.9.9'; GUID = '5e1c7a11-0b6d-4c1e-9a57-3f2d8e6b9c40'; FunctionsToExport = @('Get-BootstrapProbe') }"
        'SecureInstall.psm1' = "function Get-BootstrapProbe { 'probe: module loaded' }"
        'bin/readme.txt'     = 'nested entry'
    }
    $tampered = [byte[]]$package.Clone(); $tampered[$tampered.Length - 30] = $tampered[$tampered.Length - 30] -bxor 0xff
    $longer = [byte[]]($package + [byte[]]@(0))
    $slip = New-ZipBytes @{ 'SecureInstall.psd1' = '@{}'; '../outside.txt' = 'escaped' }

    $pem = Join-Path $TestDrive 'loopback-ca.pem'
    $certificate = New-LoopbackCertificate -PemPath $pem
    $plain = Start-LoopbackServer -Routes @{ '/SecureInstall-9.9.9.zip' = @{ Body = $package } }
    $server = Start-LoopbackServer -Certificate $certificate -Routes @{}
    $base = $server.Base
    $routes = $server.Routes
    $routes['/SecureInstall-9.9.9.zip'] = @{ Body = $package }
    $routes['/tampered.zip'] = @{ Body = $tampered }
    $routes['/longer.zip'] = @{ Body = $longer }
    $routes['/slip.zip'] = @{ Body = $slip }
    $routes['/to-http.zip'] = @{ Status = 302; Headers = @{ Location = "$($plain.Base)/SecureInstall-9.9.9.zip" } }
    $bootstrap = New-StampedBootstrap "$base/SecureInstall-9.9.9.zip" $package
    $bootstrapSha = Get-Sha256Hex $bootstrap
    $routes['/good/Install-SecureInstall.ps1'] = @{ Body = $bootstrap }
    $evil = [byte[]]$bootstrap.Clone(); $evil[200] = [byte][char]'X'
    $routes['/evil/Install-SecureInstall.ps1'] = @{ Body = $evil }
    foreach ($case in 'tampered', 'longer', 'to-http') {
        $b = New-StampedBootstrap "$base/$case.zip" $package
        $routes["/$case/Install-SecureInstall.ps1"] = @{ Body = $b; Sha = (Get-Sha256Hex $b) }
    }
    $slipBoot = New-StampedBootstrap "$base/slip.zip" $slip
    $routes['/slip/Install-SecureInstall.ps1'] = @{ Body = $slipBoot; Sha = (Get-Sha256Hex $slipBoot) }

    # The README's own one-liner, pointed at the loopback release.
    function Get-OneLiner([string]$Case, [string]$Pin) {
        $oneLiner -replace "\`$u = '[^']*'", "`$u = '$base/$Case/Install-SecureInstall.ps1'" -replace "\`$pin = '[^']*'", "`$pin = '$Pin'"
    }

    # A child pwsh with its own HOME, data and temp folders that trusts the loopback certificate; a terminating error
    # comes back as ERRORID= and MESSAGE= lines and exit code 3.
    function Invoke-Child([string]$Code) {
        $environment = @{ HOME = $childHome; XDG_DATA_HOME = $childData; TMPDIR = $childTemp; SSL_CERT_FILE = $pem; DOTNET_EnableDiagnostics = '0'; PSModulePath = $null }
        $r = Invoke-ChildProcess -FilePath $pwsh -Environment $environment -ArgumentList @('-NoProfile', '-NonInteractive', '-Command',
            "try { $Code } catch { 'ERRORID=' + `$_.FullyQualifiedErrorId; 'MESSAGE=' + `$_.Exception.Message; exit 3 }")
        [pscustomobject]@{ ExitCode = $r.ExitCode; Output = $r.Out + $r.Err }
    }

    function Assert-Untouched {
        Test-Path -LiteralPath (Join-Path $childData 'powershell') | Should -BeFalse
        @(Get-ChildItem -LiteralPath $childTemp -Force).Count | Should -Be 0
    }
}

AfterAll {
    Stop-LoopbackServer $server
    Stop-LoopbackServer $plain
}

Describe 'Install-SecureInstall.ps1 (the bootstrap)' {
    BeforeEach {
        $childHome = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        $childData = Join-Path $childHome 'data'
        $childTemp = Join-Path $childHome 'tmp'
        $null = New-Item -ItemType Directory -Path $childData, $childTemp
        $modulePath = Join-Path $childData 'powershell/Modules/SecureInstall/9.9.9'
    }

    It 'README one-liner: verifies the bootstrap, then the package, installs under the version folder and imports' {
        $r = Invoke-Child ((Get-OneLiner 'good' $bootstrapSha) + '; Get-BootstrapProbe')
        $r.Output | Should -Match "Verified bootstrap sha256:$bootstrapSha \(matches -ExpectedSha256\)"
        $r.Output | Should -Match ('Verified package sha256:' + (Get-Sha256Hex $package))
        $r.Output | Should -Match 'probe: module loaded'
        $r.ExitCode | Should -Be 0
        Test-Path -LiteralPath (Join-Path $modulePath 'SecureInstall.psd1') | Should -BeTrue
        Test-Path -LiteralPath (Join-Path $modulePath 'bin/readme.txt') | Should -BeTrue
        @(Get-ChildItem -LiteralPath (Split-Path $modulePath) -Force).Count | Should -Be 1   # no staging folder left
        @(Get-ChildItem -LiteralPath $childTemp -Force).Count | Should -Be 0
    }

    It 'a second run refuses to overwrite without -Force (DestinationExists) and -Force replaces' {
        $saved = Join-Path $childHome 'Install-SecureInstall.ps1'
        [System.IO.File]::WriteAllBytes($saved, $bootstrap)
        (Invoke-Child "& '$saved' -ExpectedSha256 $bootstrapSha").ExitCode | Should -Be 0
        $again = Invoke-Child "& '$saved' -ExpectedSha256 $bootstrapSha"
        $again.Output | Should -Match 'ERRORID=DestinationExists'
        $forced = Invoke-Child "& '$saved' -ExpectedSha256 sha256:$($bootstrapSha.ToUpperInvariant()) -Force; Get-BootstrapProbe"
        $forced.Output | Should -Match 'probe: module loaded'
        @(Get-ChildItem -LiteralPath (Split-Path $modulePath) -Force).Count | Should -Be 1
    }

    It 'README one-liner uses nothing newer than Windows PowerShell 5.1' {
        . (Join-Path $PSScriptRoot 'WindowsPowerShellCompat.ps1')
        $file = Join-Path $TestDrive 'one-liner.ps1'
        [System.IO.File]::WriteAllText($file, $oneLiner)
        Get-WindowsPowerShellIncompatibility -Path $file | Should -BeNullOrEmpty
    }

    It 'README one-liner: a tampered bootstrap is never run' {
        $r = Invoke-Child (Get-OneLiner 'evil' $bootstrapSha)
        $r.ExitCode | Should -Be 3
        $r.Output | Should -Match "hashes to [0-9a-f]{64}, not the pinned $bootstrapSha"
        Assert-Untouched
    }

    It 'saved file: a wrong -ExpectedSha256 is BootstrapChecksumMismatch' {
        $saved = Join-Path $childHome 'Install-SecureInstall.ps1'
        [System.IO.File]::WriteAllBytes($saved, $evil)
        $r = Invoke-Child "& '$saved' -ExpectedSha256 $bootstrapSha"
        $r.Output | Should -Match 'ERRORID=BootstrapChecksumMismatch'
        Assert-Untouched
    }

    It 'saved file without a pin, or piped into Invoke-Expression, refuses (BootstrapNotVerified)' {
        $saved = Join-Path $childHome 'Install-SecureInstall.ps1'
        [System.IO.File]::WriteAllBytes($saved, $bootstrap)
        (Invoke-Child "& '$saved'").Output | Should -Match 'ERRORID=BootstrapNotVerified'
        (Invoke-Child "Invoke-Expression ([System.IO.File]::ReadAllText('$saved'))").Output | Should -Match 'ERRORID=BootstrapNotVerified'
        Assert-Untouched
    }

    It 'the unstamped copy in the repository refuses to install (BootstrapNotStamped)' {
        $repoCopy = Join-Path $root 'module/Install-SecureInstall.ps1'
        $sha = Get-Sha256Hex ([System.IO.File]::ReadAllBytes($repoCopy))
        (Invoke-Child "& '$repoCopy' -ExpectedSha256 $sha").Output | Should -Match 'ERRORID=BootstrapNotStamped'
        Assert-Untouched
    }

    It 'refuses <Case> (<Id>) before writing anything' -TestCases @(
        @{ Case = 'tampered'; Id = 'ChecksumMismatch' }
        @{ Case = 'longer'; Id = 'SizeMismatch' }
        @{ Case = 'to-http'; Id = 'InsecureRedirect' }
        @{ Case = 'slip'; Id = 'UnsafeArchiveEntry' }
    ) {
        param($Case, $Id)
        $before = $plain.Requests.Count
        $r = Invoke-Child (Get-OneLiner $Case $routes["/$Case/Install-SecureInstall.ps1"].Sha)
        $r.ExitCode | Should -Be 3
        $r.Output | Should -Match "ERRORID=$Id"
        Assert-Untouched
        $plain.Requests.Count | Should -Be $before   # the http:// target of the redirect was never contacted
    }
}
