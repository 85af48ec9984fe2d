#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }

# The `secureinstall` command line, run as a process the way a bash CI step runs it.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
}

BeforeAll {
    $root = Resolve-Path (Join-Path $PSScriptRoot '../..')
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $utf8 = New-Object System.Text.UTF8Encoding($false)
    $dir = Join-Path $TestDrive 'cli'
    $null = New-Item -ItemType Directory -Path $dir
    [System.IO.File]::WriteAllText((Join-Path $dir 'a.bin'), 'alpha', $utf8)
    [System.IO.File]::WriteAllText((Join-Path $dir 'b.bin'), 'beta', $utf8)
    $shaA = (Get-FileHash -LiteralPath (Join-Path $dir 'a.bin')).Hash
}

Describe 'secureinstall verify' {
    It 'exits 0 and prints OK for a matching --sha256' {
        $r = Invoke-Cli verify --sha256 $shaA (Join-Path $dir 'a.bin')
        $r.ExitCode | Should -Be 0
        $r.Text | Should -Match 'a\.bin: OK'
    }

    It 'exits 1 and prints both digests on a mismatch' {
        $r = Invoke-Cli verify --sha256 $shaA (Join-Path $dir 'b.bin')
        $r.ExitCode | Should -Be 1
        $r.Text | Should -Match "FAILED SHA256 expected $($shaA.ToLowerInvariant())"
    }

    It 'exits 2 on a malformed digest, naming the error id' {
        $r = Invoke-Cli verify --sha256 'xyz' (Join-Path $dir 'a.bin')
        $r.ExitCode | Should -Be 2
        $r.Text | Should -Match 'InvalidHash'
    }

    It 'exits 2 on a usage error' {
        (Invoke-Cli verify --no-such-option).ExitCode | Should -Be 2
        (Invoke-Cli verify (Join-Path $dir 'a.bin')).ExitCode | Should -Be 2
    }

    It 'writes a list with checksums -o that verify --checksums accepts, and fails on a missing listed file' {
        $list = Join-Path $dir 'SHA256SUMS'
        (Invoke-Cli checksums -o $list (Join-Path $dir 'a.bin') (Join-Path $dir 'b.bin')).ExitCode | Should -Be 0
        $ok = Invoke-Cli verify --checksums $list
        $ok.ExitCode | Should -Be 0
        $ok.Text | Should -Match '2 of 2 file\(s\) verified'
        Remove-Item -LiteralPath (Join-Path $dir 'b.bin')
        $missing = Invoke-Cli verify --checksums $list
        $missing.ExitCode | Should -Be 1
        $missing.Text | Should -Match 'b\.bin: FAILED'
    }

    It 'exits 1 for a file the list does not name (ChecksumNotFound)' {
        $list = Join-Path $dir 'one.txt'
        [System.IO.File]::WriteAllText($list, "$shaA  a.bin`n", $utf8)
        [System.IO.File]::WriteAllText((Join-Path $dir 'c.bin'), 'gamma', $utf8)
        $r = Invoke-Cli verify --checksums $list (Join-Path $dir 'c.bin')
        $r.ExitCode | Should -Be 1
        $r.Text | Should -Match 'ChecksumNotFound'
    }

    It 'reports a listed FIFO, socket or device on its own line instead of hanging on it (issue 23)' -Skip:(Test-IsWindows) {
        $special = Join-Path $TestDrive 'special'
        $null = New-Item -ItemType Directory -Path $special
        [System.IO.File]::WriteAllText((Join-Path $special 'a.bin'), 'alpha', $utf8)
        & mkfifo (Join-Path $special 'pipe')
        $null = New-Item -ItemType SymbolicLink -Path (Join-Path $special 'zero') -Target '/dev/zero'
        $socket = [System.Net.Sockets.Socket]::new([System.Net.Sockets.AddressFamily]::Unix, [System.Net.Sockets.SocketType]::Stream, [System.Net.Sockets.ProtocolType]::Unspecified)
        try {
            $socket.Bind([System.Net.Sockets.UnixDomainSocketEndPoint]::new((Join-Path $special 'sock')))
            $sha = $shaA.ToLowerInvariant()
            $list = Join-Path $special 'SHA256SUMS'
            [System.IO.File]::WriteAllText($list, "$sha  a.bin`n$sha  pipe`n$sha  zero`n$sha  sock`n", $utf8)
            $command = Get-CliCommand
            $prefix = @($command | Select-Object -Skip 1)
            # In a child with a timeout: a verify that blocks on the FIFO fails this test instead of blocking the run.
            $r = Invoke-ChildProcess -FilePath $command[0] -ArgumentList ($prefix + @('verify', '--checksums', $list)) -TimeoutSeconds 60
            $r.TimedOut | Should -BeFalse -Because 'opening a FIFO for reading waits for a writer'
            $r.ExitCode | Should -Be 1
            $r.Out | Should -Match '(?m)[\\/]a\.bin: OK$'
            $r.Out | Should -Match '(?m)^pipe: FAILED open or read \(listed at line 2, a FIFO, not a regular file\)$'
            $r.Out | Should -Match '(?m)^zero: FAILED open or read \(listed at line 3, a character device, not a regular file\)$'
            $r.Out | Should -Match '(?m)^sock: FAILED open or read \(listed at line 4, a socket or device, not a regular file\)$'
            # The total counts them: four listed, one verified, three not read (it said "1 of 1 file(s) verified").
            $r.Err | Should -Match 'secureinstall: 1 of 4 file\(s\) verified; 3 listed file\(s\) could not be read\.'
            # Named on the command line, the FIFO is FileReadFailed (exit 2), not a hang either.
            $one = Invoke-ChildProcess -FilePath $command[0] -ArgumentList ($prefix + @('verify', '--sha256', $sha, (Join-Path $special 'pipe'))) -TimeoutSeconds 60
            $one.TimedOut | Should -BeFalse
            $one.ExitCode | Should -Be 2
            $one.Err | Should -Match 'secureinstall: FileReadFailed: .*pipe'' is not a regular file \(it is a FIFO\)'
        }
        finally {
            $socket.Dispose()
        }
    }

    It 'verifies the bundled sample release (the README main job)' {
        $r = Invoke-Cli verify --checksums (Join-Path $root 'samples/release/SHA256SUMS')
        $r.ExitCode | Should -Be 0
        $r.Text | Should -Match '3 of 3 file\(s\) verified'
    }
}

Describe 'secureinstall get' {
    BeforeAll {
        $shaALower = $shaA.ToLowerInvariant()
        $aUri = [System.Uri]::new((Join-Path $dir 'a.bin')).AbsoluteUri
        $list = Join-Path $dir 'GETSUMS'
        [System.IO.File]::WriteAllText($list, "$shaALower  a.bin`n", $utf8)
    }

    It 'exits 0, places the file and prints its digest for a matching --sha256' {
        $target = Join-Path $TestDrive 'get-ok.bin'
        $r = Invoke-Cli get $aUri --sha256 $shaA -o $target --no-cache
        $r.ExitCode | Should -Be 0
        $r.Text | Should -Match "OK sha256:$shaALower"
        (Get-FileHash -LiteralPath $target).Hash | Should -Be $shaA
    }

    It 'takes --flush-to-disk and places the same verified file' {
        $target = Join-Path $TestDrive 'get-flushed.bin'
        $r = Invoke-Cli get $aUri --sha256 $shaA -o $target --no-cache --flush-to-disk
        $r.ExitCode | Should -Be 0
        (Get-FileHash -LiteralPath $target).Hash | Should -Be $shaA
    }

    It 'exits 1 with ChecksumMismatch and places nothing on a mismatch' {
        $target = Join-Path $TestDrive 'get-bad.bin'
        $r = Invoke-Cli get $aUri --sha256 ('0' * 64) -o $target --no-cache
        $r.ExitCode | Should -Be 1
        $r.Text | Should -Match 'ChecksumMismatch'
        Test-Path -LiteralPath $target | Should -BeFalse
    }

    It 'exits 1 with VerificationRequired when no digest is given' {
        $r = Invoke-Cli get $aUri -o (Join-Path $TestDrive 'get-none.bin') --no-cache
        $r.ExitCode | Should -Be 1
        $r.Text | Should -Match 'VerificationRequired'
    }

    It 'looks the artifact up in --checksums-uri' {
        $target = Join-Path $TestDrive 'get-list.bin'
        $r = Invoke-Cli get $aUri --checksums-uri ([System.Uri]::new($list).AbsoluteUri) -o $target --no-cache
        $r.ExitCode | Should -Be 0
    }

    It 'announces a loosened limit on stderr (LoosenedLimits, as the cmdlets'' verbose lines), and not with --quiet' {
        $r = Invoke-Cli get $aUri --sha256 $shaA -o (Join-Path $TestDrive 'get-loose.bin') --no-cache --allow-weak-algorithm --maximum-size 9000000000000
        $r.ExitCode | Should -Be 0
        $r.Text | Should -Match 'secureinstall: warning: --allow-weak-algorithm: '
        $r.Text | Should -Match 'secureinstall: warning: --maximum-size raised to 9000000000000 \(default 8589934592\)\.'
        $quiet = Invoke-Cli get $aUri --sha256 $shaA -o (Join-Path $TestDrive 'get-loose-q.bin') --no-cache --allow-weak-algorithm --quiet
        $quiet.Text | Should -Not -Match 'warning'
    }

    It 'exits 2 with SignatureParametersInvalid for two trusted keys (ArgumentException before issue 19)' {
        $r = Invoke-Cli get $aUri --sha256 $shaA -o (Join-Path $TestDrive 'get-2keys.bin') --minisign-key 'RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3' --pgp-key (Join-Path $root 'tests/pester/fixtures/signatures/signer.pub.asc')
        $r.ExitCode | Should -Be 2
        $r.Text | Should -Match 'secureinstall: SignatureParametersInvalid: Give one trusted key: --minisign-key or --pgp-key\.'
    }

    It 'exits 1 with InsecureTransport for http:// without --allow-insecure-transport' {
        $r = Invoke-Cli get 'http://127.0.0.1:9/a.bin' --sha256 $shaA -o (Join-Path $TestDrive 'get-http.bin')
        $r.ExitCode | Should -Be 1
        $r.Text | Should -Match 'InsecureTransport'
    }
}

# Ctrl+C reaches the verb as System.CommandLine's cancellation token: the work stops and the verb says so (exit 2).
Describe 'secureinstall and Ctrl+C' {
    It 'stops hashing on SIGINT with "cancelled", exit 2' -Skip:(-not (Test-IsLinux)) {
        $big = Join-Path $TestDrive 'big.bin'
        $f = [System.IO.File]::Create($big); $f.SetLength(64GB); $f.Dispose()   # sparse: hashing it takes long, storing it nothing
        $command = Get-CliCommand
        $arguments = @(@($command | Select-Object -Skip 1) + @('verify', '--sha256', ('0' * 64), $big))
        $start = [System.Diagnostics.ProcessStartInfo]::new($command[0], (ConvertTo-ArgumentString $arguments))
        $start.RedirectStandardError = $true
        $start.RedirectStandardOutput = $true
        $p = [System.Diagnostics.Process]::Start($start)
        try {
            # Signal once the file is open: the verb is running, so its token is wired.
            $deadline = [DateTime]::UtcNow.AddSeconds(60)
            while (-not $p.HasExited -and [DateTime]::UtcNow -lt $deadline -and
                   -not (Get-ChildItem "/proc/$($p.Id)/fd" -ErrorAction SilentlyContinue | Where-Object { $_.Target -eq $big })) { Start-Sleep -Milliseconds 50 }
            $p.HasExited | Should -BeFalse
            & kill -INT $p.Id
            $p.WaitForExit(30000) | Should -BeTrue
            $p.ExitCode | Should -Be 2
            $p.StandardError.ReadToEnd() | Should -Match 'secureinstall: cancelled'
        }
        finally {
            if (-not $p.HasExited) { $p.Kill() }
            $p.Dispose()
        }
    }
}

Describe 'secureinstall verify-signature' {
    BeforeAll {
        $vectors = Join-Path $PSScriptRoot 'fixtures/signatures'
        $sigDir = Join-Path $TestDrive 'sig'
        $null = New-Item -ItemType Directory -Path $sigDir
        Copy-Item -Path (Join-Path $vectors 'minisign/*') -Destination $sigDir
        Copy-Item -LiteralPath (Join-Path $vectors 'SHA256SUMS'), (Join-Path $vectors 'SHA256SUMS.asc'), (Join-Path $vectors 'signer.pub.asc'), (Join-Path $vectors 'rsa.pub.asc') -Destination $sigDir
    }

    It 'exits 0 for the official minisign vector and prints the verified trusted comment' {
        $r = Invoke-Cli verify-signature --minisign-key 'RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3' (Join-Path $sigDir 'test')
        $r.ExitCode | Should -Be 0
        $r.Text | Should -Match 'OK Minisign key E7620F1842B4E81F'
        $r.Text | Should -Match 'trusted comment: timestamp:1556193335'
    }

    It 'exits 0 for an OpenPGP detached signature beside the list, with a fingerprint pin' {
        $r = Invoke-Cli verify-signature --pgp-key (Join-Path $sigDir 'signer.pub.asc') --fingerprint '01461741D1D1D2745FB4D2B602652EAC77DD49B9' (Join-Path $sigDir 'SHA256SUMS')
        $r.ExitCode | Should -Be 0
        $r.Text | Should -Match 'OK OpenPgp key 63F1A99DBAC50892'
    }

    It 'exits 1 with SignerNotTrusted for another key' {
        $r = Invoke-Cli verify-signature --pgp-key (Join-Path $sigDir 'rsa.pub.asc') (Join-Path $sigDir 'SHA256SUMS')
        $r.ExitCode | Should -Be 1
        $r.Text | Should -Match 'SignerNotTrusted'
    }

    It 'exits 1 with SignatureInvalid for a changed file' {
        $changed = Join-Path $sigDir 'changed'
        [System.IO.File]::WriteAllText($changed, 'Test', $utf8)
        $r = Invoke-Cli verify-signature -P (Join-Path $sigDir 'minisign.pub') -x (Join-Path $sigDir 'test.minisig') $changed
        $r.ExitCode | Should -Be 1
        $r.Text | Should -Match 'SignatureInvalid'
    }

    It 'exits 2 without exactly one trusted key' {
        (Invoke-Cli verify-signature (Join-Path $sigDir 'test')).ExitCode | Should -Be 2
    }

    It 'exits 2 with SignatureNotSupported for Authenticode off Windows' -Skip:(Test-IsWindows) {
        $r = Invoke-Cli verify-signature --signer-thumbprint ('0' * 40) (Join-Path $sigDir 'test')
        $r.ExitCode | Should -Be 2
        $r.Text | Should -Match 'SignatureNotSupported'
    }
}

Describe 'secureinstall install and verify-installed' {
    BeforeAll {
        $ws = Join-Path $TestDrive 'install'
        $null = New-Item -ItemType Directory -Path $ws
        Copy-Item -Recurse (Join-Path $root 'samples/tools/dist') $ws
        Copy-Item (Join-Path $root 'samples/tools/secureinstall.yml') $ws
        $m = Join-Path $ws 'secureinstall.yml'
        $env:SECUREINSTALL_HOME = Join-Path $ws 'home'
    }
    AfterAll { $env:SECUREINSTALL_HOME = $null }

    It 'installs the sample tool, then says already installed, verified' {
        $r = Invoke-Cli install --manifest $m
        $r.ExitCode | Should -Be 0
        $r.Text | Should -Match 'hello 1\.0\.0: installed to .* verified by sha256 pinned in'
        (Invoke-Cli install --manifest $m).Text | Should -Match 'already installed, verified'
    }

    It 'verify-installed exits 0 for an untouched tree and 1 naming a changed file' {
        (Invoke-Cli verify-installed --manifest $m).ExitCode | Should -Be 0
        Add-Content -LiteralPath (Join-Path $env:SECUREINSTALL_HOME 'tools/hello/1.0.0/LICENSE') -Value 'x'
        $r = Invoke-Cli verify-installed --manifest $m
        $r.ExitCode | Should -Be 1
        $r.Text | Should -Match 'TAMPERED changed: LICENSE'
    }

    It 'exits 1 for an unpinned entry and 2 for a manifest that is not YAML' {
        $bad = Join-Path $ws 'bad.yml'
        [System.IO.File]::WriteAllText($bad, "tools:`n  t:`n    version: `"1`"`n    url: https://e.test/t.zip`n")
        $r = Invoke-Cli install --manifest $bad
        $r.ExitCode | Should -Be 1
        $r.Text | Should -Match 'ManifestEntryUnpinned'
        [System.IO.File]::WriteAllText($bad, "tools: [")
        (Invoke-Cli install --manifest $bad).ExitCode | Should -Be 2
    }
}

Describe 'secureinstall run-script' {
    BeforeAll {
        $runDir = Join-Path $TestDrive 'run-script'
        $null = New-Item -ItemType Directory -Path $runDir
        $installer = Join-Path $runDir 'install.ps1'
        [System.IO.File]::WriteAllText($installer, "param(`$A, `$B)`n`"args: `$A `$B`"`nexit 7`n", $utf8)
        $installerSha = (Get-FileHash -LiteralPath $installer).Hash.ToLowerInvariant()
        $installerUri = [System.Uri]::new($installer).AbsoluteUri
    }

    It 'runs the verified script with pwsh, passes the arguments after --, and returns its exit code' {
        $r = Invoke-Cli run-script $installerUri --sha256 $installerSha -- one two
        $r.Text | Should -Match 'OK sha256:'
        $r.Text | Should -Match 'args: one two'
        $r.ExitCode | Should -Be 7
    }

    It 'exits 1 with ChecksumMismatch and runs nothing on a wrong digest' {
        $r = Invoke-Cli run-script $installerUri --sha256 ('0' * 64) -- one two
        $r.ExitCode | Should -Be 1
        $r.Text | Should -Match 'ChecksumMismatch'
        $r.Text | Should -Not -Match 'args:'
    }

    It '--trust-on-first-use pins, then refuses a change with ScriptChanged and a diff' {
        $pins = Join-Path $runDir 'pins.json'
        (Invoke-Cli run-script $installerUri --trust-on-first-use --pin-store $pins).ExitCode | Should -Be 7
        [System.IO.File]::WriteAllText($installer, "'changed'`n", $utf8)
        $r = Invoke-Cli run-script $installerUri --trust-on-first-use --pin-store $pins --inspect
        $r.ExitCode | Should -Be 1
        $r.Text | Should -Match 'ScriptChanged'
        $r.Text | Should -Match "(?m)^\+'changed'"
    }
}

BeforeDiscovery {
    $noSigstoreCorpus = -not (Test-Path -LiteralPath (Join-Path $PSScriptRoot '../../../shared/corpus/sigstore-conformance/test/assets/bundle-verify'))
}

# The sigstore-conformance client protocol; the full suite runs in xunit (SigstoreConformanceTests).
Describe 'secureinstall verify-bundle' {
    BeforeAll {
        $cases = Join-Path $PSScriptRoot '../../../shared/corpus/sigstore-conformance/test/assets/bundle-verify'
        $id = 'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main'
        $iss = 'https://token.actions.githubusercontent.com'
    }

    It 'exits 0 for a keyless bundle with the shipped root, with the file and with sha256:HEX' -Skip:$noSigstoreCorpus {
        $a = Join-Path $cases 'a.txt'
        $r = Invoke-Cli verify-bundle --bundle (Join-Path $cases 'happy-path-v0.3/bundle.sigstore.json') --certificate-identity $id --certificate-oidc-issuer $iss $a
        $r.ExitCode | Should -Be 0
        $r.Text | Should -Match 'OK Sigstore'
        $hex = (Get-FileHash -LiteralPath $a).Hash.ToLowerInvariant()
        (Invoke-Cli verify-bundle --bundle (Join-Path $cases 'happy-path-v0.3/bundle.sigstore.json') --certificate-identity $id --certificate-oidc-issuer $iss "sha256:$hex").ExitCode | Should -Be 0
    }

    It 'exits 0 for a keyed bundle with --key and --trusted-root' -Skip:$noSigstoreCorpus {
        $case = Join-Path $cases 'managed-key-and-trusted-root'
        (Invoke-Cli verify-bundle --bundle (Join-Path $case 'bundle.sigstore.json') --key (Join-Path $case 'key.pub') --trusted-root (Join-Path $case 'trusted_root.json') (Join-Path $cases 'a.txt')).ExitCode | Should -Be 0
    }

    It 'exits 1 with SignatureInvalid for a bad bundle, 2 for a malformed one or bad usage' -Skip:$noSigstoreCorpus {
        $r = Invoke-Cli verify-bundle --bundle (Join-Path $cases 'signature-mismatch_fail/bundle.sigstore.json') --certificate-identity $id --certificate-oidc-issuer $iss (Join-Path $cases 'a.txt')
        $r.ExitCode | Should -Be 1
        $r.Text | Should -Match 'SignatureInvalid'
        (Invoke-Cli verify-bundle --bundle (Join-Path $cases 'bundle-malformed-json_fail/bundle.sigstore.json') --certificate-identity $id --certificate-oidc-issuer $iss (Join-Path $cases 'a.txt')).ExitCode | Should -Be 2
        (Invoke-Cli verify-bundle --bundle (Join-Path $cases 'happy-path-v0.3/bundle.sigstore.json') --certificate-identity $id (Join-Path $cases 'a.txt')).ExitCode | Should -Be 2
    }

    It 'refuses what is not one policy with SignatureParametersInvalid, as Test-SigstoreBundle does (one rule, issue 19)' -Skip:$noSigstoreCorpus {
        $b = Join-Path $cases 'happy-path-v0.3/bundle.sigstore.json'
        $r = Invoke-Cli verify-bundle --bundle $b --certificate-identity $id (Join-Path $cases 'a.txt')
        $r.ExitCode | Should -Be 2
        $r.Text | Should -Match 'SignatureParametersInvalid: no OIDC issuer'
        $r = Invoke-Cli verify-bundle --bundle $b --key (Join-Path $cases 'managed-key-happy-path/key.pub') --certificate-identity $id --certificate-oidc-issuer $iss (Join-Path $cases 'a.txt')
        $r.ExitCode | Should -Be 2
        $r.Text | Should -Match 'SignatureParametersInvalid: give either a public key'
    }
}

Describe 'secureinstall get with a signed checksum list' {
    BeforeAll {
        $fx = Join-Path $root 'tests/pester/fixtures/signatures'
        $rel = Join-Path $fx 'release'
        $zip = [System.Uri]::new((Join-Path $rel 'tool-1.0.zip')).AbsoluteUri
        $sums = [System.Uri]::new((Join-Path $rel 'SHA256SUMS')).AbsoluteUri
        $sig = [System.Uri]::new((Join-Path $rel 'SHA256SUMS.asc')).AbsoluteUri
    }

    It 'verifies the list signature with the trusted key, then the artifact against the list' {
        $out = Join-Path $TestDrive 'signed-ok.zip'
        $r = Invoke-Cli get $zip --checksums-uri $sums --signature-uri $sig --pgp-key (Join-Path $fx 'signer.pub.asc') -o $out --no-cache
        $r.ExitCode | Should -Be 0 -Because $r.Text
        Test-Path $out | Should -BeTrue
    }

    It 'exits 1 and places nothing when the list is signed by another key' {
        $out = Join-Path $TestDrive 'signed-wrong.zip'
        $r = Invoke-Cli get $zip --checksums-uri $sums --signature-uri $sig --pgp-key (Join-Path $fx 'rsa.pub.asc') -o $out --no-cache
        $r.ExitCode | Should -Be 1
        $r.Text | Should -Match 'SignerNotTrusted'
        Test-Path $out | Should -BeFalse
    }

    It 'exits 2 when --signature-uri comes without a key' {
        $r = Invoke-Cli get $zip --sha256 ('0' * 64) --signature-uri $sig -o (Join-Path $TestDrive 'x')
        $r.ExitCode | Should -Be 2
        $r.Text | Should -Match 'needs the key'
    }
}
