#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../SecureInstall.psd1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $utf8 = New-Object System.Text.UTF8Encoding($false)
    $FQ = ',SecureInstall.Commands.TestChecksumCommand'
}

Describe 'Test-Checksum -Hash' {
    BeforeAll {
        $file = Join-Path $TestDrive 'app.zip'
        Write-Fixture $file 'release bytes'
        $sha = Get-Sha256 $file
    }

    It 'returns a valid ChecksumResult when the digest matches' {
        $r = Test-Checksum -Path $file -Hash $sha
        $r | Should -BeOfType ([SecureInstall.Core.Checksums.ChecksumResult])
        $r.IsValid | Should -BeTrue
        $r.ActualHash | Should -BeExactly $sha
        $r.Algorithm | Should -Be 'SHA256'
        $r.Source | Should -BeExactly '-Hash'
    }

    It 'accepts upper-case hex and a sha256: prefix' {
        (Test-Checksum $file $sha.ToUpperInvariant()).IsValid | Should -BeTrue
        (Test-Checksum $file "sha256:$sha").IsValid | Should -BeTrue
    }

    It 'infers SHA512 from a 128-digit digest' {
        $sha512 = (Get-FileHash -LiteralPath $file -Algorithm SHA512).Hash
        $r = Test-Checksum -Path $file -Hash $sha512
        $r.Algorithm | Should -Be 'SHA512'
        $r.IsValid | Should -BeTrue
    }

    It 'writes a non-terminating ChecksumMismatch SecurityError naming both digests, and still returns the result' {
        $wrong = 'a' * 64
        $r = Test-Checksum -Path $file -Hash $wrong -ErrorVariable ev -ErrorAction SilentlyContinue
        $r.IsValid | Should -BeFalse
        $ev.Count | Should -Be 1
        $ev[0].FullyQualifiedErrorId | Should -BeExactly "ChecksumMismatch$FQ"
        $ev[0].CategoryInfo.Category | Should -Be 'SecurityError'
        $ev[0].TargetObject | Should -BeExactly $file
        $ev[0].Exception.Message | Should -Match $wrong
        $ev[0].Exception.Message | Should -Match $sha
        $ev[0].Exception.Expected | Should -BeExactly $wrong
    }

    It 'raises ChecksumMismatch with -ErrorAction Stop' {
        { Test-Checksum -Path $file -Hash ('b' * 64) -ErrorAction Stop } | Should -Throw -ErrorId "ChecksumMismatch$FQ"
    }

    It 'refuses a malformed digest before reading any file' {
        { Test-Checksum -Path $file -Hash 'not-hex' } | Should -Throw -ErrorId "InvalidHash$FQ"
        { Test-Checksum -Path $file -Hash ('a' * 63) } | Should -Throw -ErrorId "InvalidHash$FQ"
    }

    It 'refuses a digest whose length contradicts -Algorithm' {
        { Test-Checksum -Path $file -Hash $sha -Algorithm SHA512 } | Should -Throw -ErrorId "InvalidHash$FQ"
    }

    It 'refuses MD5 unless -AllowWeakAlgorithm' {
        $md5 = (Get-FileHash -LiteralPath $file -Algorithm MD5).Hash
        $null = Test-Checksum -Path $file -Hash $md5 -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -BeExactly "WeakAlgorithmRefused$FQ"
        $ev[0].CategoryInfo.Category | Should -Be 'SecurityError'
        (Test-Checksum -Path $file -Hash $md5 -AllowWeakAlgorithm).IsValid | Should -BeTrue
    }
}

Describe 'Test-Checksum paths and pipeline' {
    BeforeAll {
        $dir = Join-Path $TestDrive 'paths'
        Write-Fixture (Join-Path $dir 'one.txt') 'same'
        Write-Fixture (Join-Path $dir 'two.txt') 'same'
        Write-Fixture (Join-Path $dir 'odd[1].txt') 'same'
        $same = Get-Sha256 (Join-Path $dir 'one.txt')
    }

    It 'expands wildcards in -Path' {
        $r = Test-Checksum -Path (Join-Path $dir '*.txt') -Hash $same
        @($r).Count | Should -Be 3
        @($r | Where-Object IsValid).Count | Should -Be 3
    }

    It 'takes -LiteralPath as written, brackets included' {
        $r = Test-Checksum -LiteralPath (Join-Path $dir 'odd[1].txt') -Hash $same
        $r.IsValid | Should -BeTrue
        Split-Path -Leaf $r.Path | Should -BeExactly 'odd[1].txt'
    }

    It 'binds Get-ChildItem output by PSPath (LiteralPath)' {
        $r = Get-ChildItem -LiteralPath $dir -Filter 'odd*' | Test-Checksum -Hash $same
        $r.IsValid | Should -BeTrue
        Split-Path -Leaf $r.Path | Should -BeExactly 'odd[1].txt'
    }

    It 'binds strings from the pipeline to -Path' {
        $r = (Join-Path $dir 'one.txt'), (Join-Path $dir 'two.txt') | Test-Checksum -Hash $same
        @($r).Count | Should -Be 2
    }

    It 'resolves paths relative to the current location' {
        Push-Location $dir
        try { (Test-Checksum -Path './one.txt' -Hash $same).Path | Should -BeExactly (Join-Path $dir 'one.txt') }
        finally { Pop-Location }
    }

    It 'reports a missing file as PathNotFound and goes on with the others' {
        $r = Test-Checksum -Path (Join-Path $dir 'absent.txt'), (Join-Path $dir 'one.txt') -Hash $same -ErrorVariable ev -ErrorAction SilentlyContinue
        @($r).Count | Should -Be 1
        $ev[0].FullyQualifiedErrorId | Should -BeExactly "PathNotFound$FQ"
        $ev[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'refuses a path of another provider' {
        $null = Test-Checksum -Path 'Env:PATH' -Hash $same -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -BeExactly "NotFileSystemPath$FQ"
    }
}

Describe 'Test-Checksum -ChecksumFile' {
    BeforeAll {
        $rel = Join-Path $TestDrive 'release'
        Write-Fixture (Join-Path $rel 'tool-linux.tar.gz') 'linux build'
        Write-Fixture (Join-Path $rel 'tool-windows.zip') 'windows build'
        Write-Fixture (Join-Path $rel 'sub/extra.bin') 'extra'
        $h = @{}
        foreach ($n in 'tool-linux.tar.gz', 'tool-windows.zip', 'sub/extra.bin') { $h[$n] = Get-Sha256 (Join-Path $rel $n) }
        $gnu = Join-Path $rel 'SHA256SUMS'
        Write-Fixture $gnu ("# published checksums`n{0}  tool-linux.tar.gz`n{1} *tool-windows.zip`n{2}  ./sub/extra.bin`n" -f $h['tool-linux.tar.gz'], $h['tool-windows.zip'], $h['sub/extra.bin'])
    }

    It 'looks each file up by name in a GNU list (text and binary mode, comments)' {
        $r = Test-Checksum -Path (Join-Path $rel 'tool-*') -ChecksumFile $gnu
        @($r).Count | Should -Be 2
        $r | ForEach-Object { $_.IsValid | Should -BeTrue }
        $r[0].Source | Should -Match 'SHA256SUMS:\d+$'
    }

    It 'looks a file in a subdirectory up by its relative path with a ./ prefix in the list' {
        (Test-Checksum -LiteralPath (Join-Path $rel 'sub/extra.bin') -ChecksumFile $gnu).IsValid | Should -BeTrue
    }

    It 'reads BSD tag lists' {
        $bsd = Join-Path $rel 'bsd.txt'
        Write-Fixture $bsd ("SHA256 (tool-linux.tar.gz) = {0}`n" -f $h['tool-linux.tar.gz'])
        (Test-Checksum -Path (Join-Path $rel 'tool-linux.tar.gz') -ChecksumFile $bsd).IsValid | Should -BeTrue
    }

    It 'reads a UTF-16LE list with BOM, CRLF and upper-case hex, as Windows PowerShell writes it' {
        $u16 = Join-Path $rel 'utf16.txt'
        $text = "{0}  tool-windows.zip`r`n" -f $h['tool-windows.zip'].ToUpperInvariant()
        [System.IO.File]::WriteAllText($u16, $text, [System.Text.Encoding]::Unicode)
        (Test-Checksum -Path (Join-Path $rel 'tool-windows.zip') -ChecksumFile $u16).IsValid | Should -BeTrue
    }

    It 'reports a file the list does not name as ChecksumNotFound' {
        $other = Join-Path $TestDrive 'unlisted.bin'
        Write-Fixture $other 'x'
        $null = Test-Checksum -Path $other -ChecksumFile $gnu -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -BeExactly "ChecksumNotFound$FQ"
        $ev[0].CategoryInfo.Category | Should -Be 'SecurityError'
        $ev[0].TargetObject | Should -BeExactly $other
    }

    It 'refuses a list naming one file twice with different digests' {
        $dup = Join-Path $rel 'dup.txt'
        Write-Fixture $dup ("{0}  a.bin`n{1}  a.bin`n" -f ('1' * 64), ('2' * 64))
        { Test-Checksum -Path (Join-Path $rel 'tool-linux.tar.gz') -ChecksumFile $dup } | Should -Throw -ErrorId "ChecksumConflict$FQ"
    }

    It 'names the file and line of an entry it cannot read' {
        $bad = Join-Path $rel 'bad.txt'
        Write-Fixture $bad ("{0}  ok.bin`n{1}  short-digest.bin`n" -f ('1' * 64), ('2' * 60))
        $err = { Test-Checksum -Path (Join-Path $rel 'tool-linux.tar.gz') -ChecksumFile $bad } | Should -Throw -ErrorId "ChecksumListInvalid$FQ" -PassThru
        $err.Exception.Message | Should -Match 'bad\.txt, line 2'
        $err.CategoryInfo.Category | Should -Be 'InvalidData'
    }

    It 'refuses a list with no readable entry' {
        $empty = Join-Path $rel 'empty.txt'
        Write-Fixture $empty "# nothing here`n"
        { Test-Checksum -Path (Join-Path $rel 'tool-linux.tar.gz') -ChecksumFile $empty } | Should -Throw -ErrorId "ChecksumListInvalid$FQ"
    }

    It 'checks every listed file when no -Path is given, and reports a listed file that is missing' {
        $withMissing = Join-Path $rel 'with-missing.txt'
        Write-Fixture $withMissing ("{0}  tool-linux.tar.gz`n{1}  gone.bin`n" -f $h['tool-linux.tar.gz'], ('3' * 64))
        $r = Test-Checksum -ChecksumFile $withMissing -ErrorVariable ev -ErrorAction SilentlyContinue
        @($r).Count | Should -Be 1
        $r.IsValid | Should -BeTrue
        $ev[0].FullyQualifiedErrorId | Should -BeExactly "PathNotFound$FQ"
        $ev[0].Exception.Message | Should -Match 'line 2'
    }

    It 'refuses to read files a hostile list points outside its folder' {
        $escape = Join-Path $rel 'escape.txt'
        Write-Fixture $escape ("{0}  ../../etc/passwd`n" -f ('4' * 64))
        $null = Test-Checksum -ChecksumFile $escape -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -BeExactly "ChecksumListInvalid$FQ"
    }

    It 'warns that a clear-signed list signature is not checked' {
        $signed = Join-Path $rel 'signed.txt'
        Write-Fixture $signed ("-----BEGIN PGP SIGNED MESSAGE-----`nHash: SHA256`n`n{0}  tool-linux.tar.gz`n-----BEGIN PGP SIGNATURE-----`n`nabc`n-----END PGP SIGNATURE-----`n" -f $h['tool-linux.tar.gz'])
        $r = Test-Checksum -Path (Join-Path $rel 'tool-linux.tar.gz') -ChecksumFile $signed -WarningVariable wv -WarningAction SilentlyContinue
        $r.IsValid | Should -BeTrue
        $wv[0] | Should -Match 'clear-signed'
    }

    It 'explains in -Verbose where the expected digest came from' {
        $v = Test-Checksum -Path (Join-Path $rel 'tool-linux.tar.gz') -ChecksumFile $gnu -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        ($v.Message -join "`n") | Should -Match 'SHA256SUMS:\d+ expects'
    }
}

Describe 'Test-Checksum and a listed file that is not a regular file' {
    It 'writes FileReadFailed for a listed FIFO and device and verifies the rest, without hanging (issue 23)' -Skip:(Test-IsWindows) {
        $special = Join-Path $TestDrive 'special'
        Write-Fixture (Join-Path $special 'a.bin') 'alpha'
        & mkfifo (Join-Path $special 'pipe')
        $null = New-Item -ItemType SymbolicLink -Path (Join-Path $special 'zero') -Target '/dev/zero'
        $sha = Get-Sha256 (Join-Path $special 'a.bin')
        $list = Join-Path $special 'SHA256SUMS'
        Write-Fixture $list "$sha  a.bin`n$sha  pipe`n$sha  zero`n"
        # In a child pwsh with a timeout: a cmdlet blocked on the FIFO fails this test instead of blocking the run.
        $code = "Import-Module '$(Join-Path $PSScriptRoot '../../SecureInstall.psd1')'`n" +
            "`$r = @(Test-Checksum -ChecksumFile '$list' -ErrorVariable ev -ErrorAction SilentlyContinue)`n" +
            "[pscustomobject]@{ Valid = @(`$r | ForEach-Object { `$_.IsValid }); Errors = @(`$ev | ForEach-Object { [pscustomobject]@{ Id = `$_.FullyQualifiedErrorId; Category = `"`$(`$_.CategoryInfo.Category)`"; Message = `$_.Exception.Message } }) } | ConvertTo-Json -Depth 3"
        $child = Invoke-ChildProcess -FilePath (Get-Process -Id $PID).Path -ArgumentList @('-NoProfile', '-NonInteractive', '-Command', $code) -TimeoutSeconds 120
        $child.TimedOut | Should -BeFalse -Because 'opening a FIFO for reading waits for a writer'
        $out = $child.Out | ConvertFrom-Json
        @($out.Valid) | Should -Be @($true)
        @($out.Errors).Count | Should -Be 2
        @($out.Errors | ForEach-Object { $_.Id }) | Should -Be @("FileReadFailed$FQ", "FileReadFailed$FQ")
        @($out.Errors)[0].Category | Should -Be 'ReadError'
        @($out.Errors)[0].Message | Should -Match 'pipe'' is not a regular file \(it is a FIFO\)'
        @($out.Errors)[1].Message | Should -Match 'zero'' is not a regular file \(it is a character device\)'
    }
}

Describe 'Test-Checksum -Checksums and -Quiet' {
    BeforeAll {
        $dir = Join-Path $TestDrive 'quiet'
        Write-Fixture (Join-Path $dir 'a.bin') 'a'
        Write-Fixture (Join-Path $dir 'b.bin') 'b'
        $text = "{0}  a.bin`n{1}  b.bin`n" -f (Get-Sha256 (Join-Path $dir 'a.bin')), (Get-Sha256 (Join-Path $dir 'b.bin'))
    }

    It 'reads list text given inline, relative to the current location' {
        Push-Location $dir
        try { @(Test-Checksum -Path 'a.bin', 'b.bin' -Checksums $text | Where-Object IsValid).Count | Should -Be 2 }
        finally { Pop-Location }
    }

    It '-Quiet returns a single $true when every file verifies' {
        Push-Location $dir
        try { Test-Checksum -Path '*.bin' -Checksums $text -Quiet | Should -BeExactly $true }
        finally { Pop-Location }
    }

    It '-Quiet returns $false on a mismatch without writing an error' {
        $r = Test-Checksum -Path (Join-Path $dir 'a.bin') -Hash ('0' * 64) -Quiet -ErrorVariable ev
        $r | Should -BeExactly $false
        $ev.Count | Should -Be 0
    }

    It '-Quiet still reports a missing file, and returns $false' {
        $r = Test-Checksum -Path (Join-Path $dir 'nope.bin') -Hash ('0' * 64) -Quiet -ErrorVariable ev -ErrorAction SilentlyContinue
        $r | Should -BeExactly $false
        $ev[0].FullyQualifiedErrorId | Should -BeExactly "PathNotFound$FQ"
    }
}

Describe 'Test-Checksum output' {
    It 'declares ChecksumResult as its output type' {
        (Get-Command Test-Checksum).OutputType.Type | Should -Contain ([SecureInstall.Core.Checksums.ChecksumResult])
    }

    It 'shows a table with Status, Algorithm, ActualHash and Path' {
        $f = Join-Path $TestDrive 'fmt.bin'
        Write-Fixture $f 'fmt'
        $text = Test-Checksum -Path $f -Hash (Get-Sha256 $f) | Format-Table | Out-String -Width 200
        $text | Should -Match 'Status\s+Algorithm\s+ActualHash\s+Path'
        $text | Should -Match 'OK\s+SHA256'
    }
}

Describe 'Test-Checksum on the real-world corpus' -Skip:(-not (Test-Path (Join-Path $PSScriptRoot '../../../shared/corpus/checksums'))) {
    BeforeAll { $corpus = (Resolve-Path (Join-Path $PSScriptRoot '../../../shared/corpus/checksums')).Path }

    It 'verifies empty.zip from the homebrew tap list' {
        $r = Test-Checksum -LiteralPath (Join-Path $corpus 'verifiable/RBerga06+files-homebrew-tap/empty.zip') -ChecksumFile (Join-Path $corpus 'verifiable/RBerga06+files-homebrew-tap/sha256.txt')
        $r.IsValid | Should -BeTrue
    }

    It 'reports the missing wxWidgets tarball of the truecrypt list as missing, not OK' {
        $null = Test-Checksum -ChecksumFile (Join-Path $corpus 'verifiable/gheja+truecrypt-builder/sha256sums.txt') -ErrorVariable ev -ErrorAction SilentlyContinue
        ($ev | Where-Object { $_.Exception.Message -match 'wxWidgets' }).FullyQualifiedErrorId | Should -BeExactly "PathNotFound$FQ"
    }
}

Describe 'Test-Checksum as the README shows it' {
    It 'checks every file of a release folder piped from Get-ChildItem against the list in it, skipping the list itself' {
        # The README's second example; it once failed with "-Checksums: no checksum entry could be read (it is empty)".
        $release = Join-Path $TestDrive 'readme-release'
        Copy-Item -Path (Join-Path $PSScriptRoot '../../samples/release') -Destination $release -Recurse
        Push-Location $TestDrive
        try {
            $results = @(Get-ChildItem .\readme-release | Test-Checksum -ChecksumFile .\readme-release\SHA256SUMS -ErrorVariable ev -ErrorAction SilentlyContinue)
        }
        finally {
            Pop-Location
        }
        $ev | Should -BeNullOrEmpty
        $results.Count | Should -Be 3
        $results.IsValid | Should -Not -Contain $false
        $results.Path | ForEach-Object { Split-Path -Leaf $_ } | Should -Not -Contain 'SHA256SUMS'
    }
}

Describe 'Test-Checksum with Debian Release lists and SRI digests' {
    BeforeAll {
        $fixtures = Join-Path $PSScriptRoot '../fixtures/debian'
        $dists = Join-Path $TestDrive 'debian/dists/bookworm'
        $null = New-Item -ItemType Directory -Path (Join-Path $dists 'contrib/debian-installer/binary-all') -Force
        Copy-Item (Join-Path $fixtures 'bookworm-InRelease') (Join-Path $dists 'InRelease')
        # gzip -9n of nothing: bookworm's contrib/debian-installer/binary-all/Packages.gz (20 bytes).
        $gz = [byte[]](0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0x02, 0x03, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        $packages = Join-Path $dists 'contrib/debian-installer/binary-all/Packages.gz'
        [System.IO.File]::WriteAllBytes($packages, $gz)
    }

    It 'verifies a file against the real bookworm InRelease after checking its signature with the archive key' {
        $sig = Test-ArtifactSignature -Path (Join-Path $dists 'InRelease') -PgpPublicKey (Join-Path $fixtures 'debian-archive-bookworm-automatic.gpg')
        $sig.IsValid | Should -BeTrue
        $sig.Fingerprint | Should -BeExactly 'B8B80B5B623EAB6AD8775C45B7C5D7D6350947F8'
        $r = Test-Checksum -Path $packages -ChecksumFile (Join-Path $dists 'InRelease') -WarningAction SilentlyContinue
        $r.IsValid | Should -BeTrue
        $r.Algorithm | Should -Be 'SHA256'
        $r.ExpectedSize | Should -Be 20
        $r.Companions[0].Algorithm | Should -Be 'MD5'
        $r.Companions[0].IsValid | Should -BeTrue
    }

    It 'reports a file whose size the Release list contradicts as ChecksumMismatch' {
        $list = Join-Path $TestDrive 'Release'
        Write-Fixture $list "SHA256:`n f61f27bd17de546264aa58f40f3aafaac7021e0ef69c17f6b1b4cd7664a037ec 21 Packages.gz`n"
        Copy-Item $packages (Join-Path $TestDrive 'Packages.gz')
        $r = Test-Checksum -Path (Join-Path $TestDrive 'Packages.gz') -ChecksumFile $list -ErrorVariable ev -ErrorAction SilentlyContinue
        $r.IsValid | Should -BeFalse
        $ev[0].FullyQualifiedErrorId | Should -BeExactly "ChecksumMismatch$FQ"
        $ev[0].CategoryInfo.Category | Should -Be 'SecurityError'
        $ev[0].Exception.Message | Should -Match 'the file is 20 bytes, .*Release:2 states 21'
    }

    It 'accepts an SRI digest (sha512- and base64) as -Hash' {
        $file = Join-Path $TestDrive 'sri.tgz'
        Write-Fixture $file 'npm tarball bytes'
        $bytes = [System.IO.File]::ReadAllBytes($file)
        $sri = 'sha512-' + [Convert]::ToBase64String([System.Security.Cryptography.SHA512]::Create().ComputeHash($bytes))
        $r = Test-Checksum -Path $file -Hash $sri
        $r.IsValid | Should -BeTrue
        $r.Algorithm | Should -Be 'SHA512'
    }

    It 'fails an SRI value with two hashes when the weaker one disagrees, whatever the stronger says' {
        $file = Join-Path $TestDrive 'sri2.tgz'
        Write-Fixture $file 'npm tarball bytes'
        $bytes = [System.IO.File]::ReadAllBytes($file)
        $good512 = 'sha512-' + [Convert]::ToBase64String([System.Security.Cryptography.SHA512]::Create().ComputeHash($bytes))
        $bad384 = 'sha384-' + [Convert]::ToBase64String((New-Object byte[] 48))
        $r = Test-Checksum -Path $file -Hash "$bad384 $good512" -ErrorVariable ev -ErrorAction SilentlyContinue
        $r.IsValid | Should -BeFalse
        $ev[0].FullyQualifiedErrorId | Should -BeExactly "ChecksumMismatch$FQ"
        $ev[0].Exception.Message | Should -Match 'SHA384'
    }
}
