#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../SecureInstall.psd1') -Force
    $utf8 = New-Object System.Text.UTF8Encoding($false)
    $FQ = ',SecureInstall.Commands.NewChecksumFileCommand'
}

Describe 'New-ChecksumFile' {
    BeforeEach {
        $dir = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        $null = New-Item -ItemType Directory -Path (Join-Path $dir 'sub')
        [System.IO.File]::WriteAllText((Join-Path $dir 'b.zip'), 'bbb', $utf8)
        [System.IO.File]::WriteAllText((Join-Path $dir 'a.tar.gz'), 'aaa', $utf8)
        [System.IO.File]::WriteAllText((Join-Path $dir 'sub/c.bin'), 'ccc', $utf8)
        $out = Join-Path $dir 'checksums.txt'
    }

    It 'writes a sorted GNU list with LF endings and no BOM that Test-Checksum verifies' {
        $item = New-ChecksumFile -Path (Join-Path $dir '*.*'), (Join-Path $dir 'sub/c.bin') -OutFile $out
        $item | Should -BeOfType ([System.IO.FileInfo])
        $bytes = [System.IO.File]::ReadAllBytes($out)
        $bytes[0] | Should -Not -Be 0xEF
        $text = $utf8.GetString($bytes)
        $text | Should -Not -Match "`r"
        $lines = $text.TrimEnd("`n").Split("`n")
        $lines.Count | Should -Be 3
        $lines[0] | Should -Match '^[0-9a-f]{64}  a\.tar\.gz$'
        $lines[1] | Should -Match '  b\.zip$'
        $lines[2] | Should -Match '  sub/c\.bin$'
        @(Test-Checksum -ChecksumFile $out | Where-Object IsValid).Count | Should -Be 3
    }

    It 'is deterministic: the same files give the same bytes' {
        $null = New-ChecksumFile -Path (Join-Path $dir '*.*') -OutFile $out
        $first = Get-FileHash -LiteralPath $out
        $null = New-ChecksumFile -Path (Join-Path $dir 'b.zip'), (Join-Path $dir 'a.tar.gz') -OutFile $out -Force
        (Get-FileHash -LiteralPath $out).Hash | Should -BeExactly $first.Hash
    }

    It 'writes BSD tags with -Format Bsd and SHA512 with -Algorithm' {
        $null = New-ChecksumFile -Path (Join-Path $dir 'a.tar.gz') -OutFile $out -Format Bsd -Algorithm SHA512
        Get-Content -LiteralPath $out | Should -Match '^SHA512 \(a\.tar\.gz\) = [0-9a-f]{128}$'
    }

    It 'takes Get-ChildItem output from the pipeline, listing subfolders by relative path' {
        $null = Get-ChildItem -LiteralPath $dir -Recurse -File | New-ChecksumFile -OutFile $out
        $text = Get-Content -LiteralPath $out -Raw
        $text | Should -Match '  sub/c\.bin'
        @(Test-Checksum -ChecksumFile $out | Where-Object IsValid).Count | Should -Be 3
    }

    It 'writes nothing with -WhatIf' {
        New-ChecksumFile -Path (Join-Path $dir '*.zip') -OutFile $out -WhatIf
        Test-Path -LiteralPath $out | Should -BeFalse
    }

    It 'refuses to replace an existing list without -Force' {
        [System.IO.File]::WriteAllText($out, 'old', $utf8)
        { New-ChecksumFile -Path (Join-Path $dir '*.zip') -OutFile $out } | Should -Throw -ErrorId "OutFileExists$FQ"
        Get-Content -LiteralPath $out -Raw | Should -BeExactly 'old'
        $null = New-ChecksumFile -Path (Join-Path $dir '*.zip') -OutFile $out -Force
        Get-Content -LiteralPath $out -Raw | Should -Match 'b\.zip'
    }

    It 'does not list the list itself when a wildcard matches it' {
        [System.IO.File]::WriteAllText($out, 'old', $utf8)
        $null = New-ChecksumFile -Path (Join-Path $dir '*') -OutFile $out -Force
        Get-Content -LiteralPath $out -Raw | Should -Not -Match 'checksums\.txt'
    }

    It 'fails when no file matched' {
        { New-ChecksumFile -Path (Join-Path $dir '*.none') -OutFile $out } | Should -Throw -ErrorId "NoInputFiles$FQ"
    }

    It 'refuses MD5 unless -AllowWeakAlgorithm' {
        { New-ChecksumFile -Path (Join-Path $dir 'b.zip') -OutFile $out -Algorithm MD5 } | Should -Throw -ErrorId "WeakAlgorithmRefused$FQ"
        Test-Path -LiteralPath $out | Should -BeFalse
    }

    It 'leaves no temporary file beside the list' {
        $null = New-ChecksumFile -Path (Join-Path $dir '*.zip') -OutFile $out
        Get-ChildItem -LiteralPath $dir -Force -Filter '*.partial' | Should -BeNullOrEmpty
    }
}
