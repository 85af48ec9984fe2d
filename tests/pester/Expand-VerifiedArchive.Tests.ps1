#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../SecureInstall.psd1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Add-Type -AssemblyName System.IO.Compression, System.IO.Compression.FileSystem
    $utf8 = New-Object System.Text.UTF8Encoding($false)
    # A zip whose entries are named exactly as given (ZipArchive does not check names when writing).
    function New-Zip([string]$Path, [hashtable]$Entries) {
        $zip = [System.IO.Compression.ZipFile]::Open($Path, 'Create')
        try {
            foreach ($name in $Entries.Keys) {
                $stream = $zip.CreateEntry($name).Open()
                try { $bytes = $utf8.GetBytes([string]$Entries[$name]); $stream.Write($bytes, 0, $bytes.Length) } finally { $stream.Dispose() }
            }
        } finally { $zip.Dispose() }
        $Path
    }
    $FQ = ',SecureInstall.Commands.ExpandVerifiedArchiveCommand'
}

Describe 'Expand-VerifiedArchive' {
    BeforeEach {
        $work = New-TestFolder
        $dest = Join-Path $work 'dest'
        $good = New-Zip (Join-Path $TestDrive "good-$([guid]::NewGuid().ToString('N')).zip") @{ 'tool-1.0/bin/tool' = 'binary'; 'tool-1.0/README' = 'read me' }
    }

    It 'extracts and outputs one ExtractedEntry per file and folder written' {
        $r = Expand-VerifiedArchive -Path $good -DestinationPath $dest
        $r | ForEach-Object { $_ | Should -BeOfType ([SecureInstall.Core.Archives.ExtractedEntry]) }
        ($r | Where-Object Kind -eq 'File').Name | Sort-Object | Should -Be @('tool-1.0/bin/tool', 'tool-1.0/README')
        Get-Content -LiteralPath (Join-Path $dest 'tool-1.0/bin/tool') -Raw | Should -BeExactly 'binary'
    }

    It 'takes the archive from the pipeline (Get-ChildItem binds LiteralPath)' {
        $r = Get-Item -LiteralPath $good | Expand-VerifiedArchive -DestinationPath $dest -PassThru
        $r | Should -BeOfType ([System.IO.DirectoryInfo])
        $r.FullName | Should -BeExactly $dest
    }

    It 'resolves a relative destination against the current location' {
        Push-Location $work
        try { $null = Expand-VerifiedArchive $good 'rel' } finally { Pop-Location }
        Test-Path -LiteralPath (Join-Path $work 'rel/tool-1.0/README') | Should -BeTrue
    }

    It 'strips the top folder and filters with -Include' {
        $r = Expand-VerifiedArchive -LiteralPath $good -DestinationPath $dest -StripComponents 1 -Include 'bin'
        $r.Name | Should -Be @('bin/tool')
        Test-Path -LiteralPath (Join-Path $dest 'README') | Should -BeFalse
    }

    It 'verifies -Sha256 and refuses a mismatch with ChecksumMismatch before extracting' {
        $null = Expand-VerifiedArchive -Path $good -DestinationPath $dest -Sha256 (Get-Sha256 $good)
        Test-Path -LiteralPath $dest | Should -BeTrue
        $other = Join-Path $work 'other'
        $null = Expand-VerifiedArchive -Path $good -DestinationPath $other -Sha256 ('0' * 64) -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -BeExactly "ChecksumMismatch$FQ"
        $ev[0].CategoryInfo.Category | Should -Be 'SecurityError'
        Test-Path -LiteralPath $other | Should -BeFalse
    }

    It 'refuses a malformed -Sha256 as a terminating InvalidHash error' {
        { Expand-VerifiedArchive -Path $good -DestinationPath $dest -Sha256 'xyz' } | Should -Throw -ErrorId "InvalidHash$FQ"
    }

    It 'refuses zip-slip with UnsafeArchiveEntry naming the entry, and writes nothing' {
        $evil = New-Zip (Join-Path $TestDrive 'evil.zip') @{ 'ok.txt' = 'ok'; '../evil.txt' = 'evil' }
        $null = Expand-VerifiedArchive -Path $evil -DestinationPath $dest -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev.Count | Should -Be 1
        $ev[0].FullyQualifiedErrorId | Should -BeExactly "UnsafeArchiveEntry$FQ"
        $ev[0].CategoryInfo.Category | Should -Be 'SecurityError'
        $ev[0].TargetObject | Should -BeExactly '../evil.txt'
        $ev[0].Exception.Rule | Should -Be 'ParentTraversal'
        @(Get-ChildItem -LiteralPath $work -Force).Count | Should -Be 0
        Test-Path -LiteralPath (Join-Path $TestDrive 'evil.txt') | Should -BeFalse
    }

    It 'refuses an existing destination with DestinationExists unless -Force' {
        $null = New-Item -ItemType Directory -Path $dest
        Set-Content -LiteralPath (Join-Path $dest 'keep.txt') -Value 'mine'
        $null = Expand-VerifiedArchive -Path $good -DestinationPath $dest -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -BeExactly "DestinationExists$FQ"
        $ev[0].CategoryInfo.Category | Should -Be 'ResourceExists'
        Test-Path -LiteralPath (Join-Path $dest 'keep.txt') | Should -BeTrue

        $null = Expand-VerifiedArchive -Path $good -DestinationPath $dest -Force
        Test-Path -LiteralPath (Join-Path $dest 'keep.txt') | Should -BeFalse
        Test-Path -LiteralPath (Join-Path $dest 'tool-1.0/README') | Should -BeTrue
    }

    It 'reports a bomb as ArchiveLimitExceeded (LimitsExceeded), and accepts it when the limit is raised' {
        $bomb = Join-Path $TestDrive 'bomb.zip'
        $zip = [System.IO.Compression.ZipFile]::Open($bomb, 'Create')
        $s = $zip.CreateEntry('zeros').Open(); $s.Write((New-Object byte[] (4MB)), 0, 4MB); $s.Dispose(); $zip.Dispose()
        $null = Expand-VerifiedArchive -Path $bomb -DestinationPath $dest -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -BeExactly "ArchiveLimitExceeded$FQ"
        $ev[0].CategoryInfo.Category | Should -Be 'LimitsExceeded'
        $null = Expand-VerifiedArchive -Path $bomb -DestinationPath $dest -MaxCompressionRatio 100000 -Verbose 4>&1 | Out-Null
        (Get-Item -LiteralPath (Join-Path $dest 'zeros')).Length | Should -Be 4MB
    }

    It 'reports content that is no archive as UnsupportedArchiveFormat' {
        $text = Join-Path $TestDrive 'notes.zip'
        [System.IO.File]::WriteAllText($text, 'not an archive at all', $utf8)
        $null = Expand-VerifiedArchive -Path $text -DestinationPath $dest -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -BeExactly "UnsupportedArchiveFormat$FQ"
    }

    It 'reports a missing archive as PathNotFound and a non-FileSystem path as NotFileSystemPath' {
        $null = Expand-VerifiedArchive -LiteralPath (Join-Path $TestDrive 'nope.zip') -DestinationPath $dest -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -BeExactly "PathNotFound$FQ"
        $null = Expand-VerifiedArchive -Path 'Env:PATH' -DestinationPath $dest -ErrorVariable ev2 -ErrorAction SilentlyContinue
        $ev2[0].FullyQualifiedErrorId | Should -BeExactly "NotFileSystemPath$FQ"
    }

    It 'does nothing with -WhatIf' {
        Expand-VerifiedArchive -Path $good -DestinationPath $dest -WhatIf
        Test-Path -LiteralPath $dest | Should -BeFalse
    }

    It 'narrates the trust decisions in verbose output' {
        $verbose = Expand-VerifiedArchive -Path $good -DestinationPath $dest -Sha256 (Get-Sha256 $good) -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        ($verbose.Message -join "`n") | Should -Match 'SHA-256 of .* as -Sha256 expects'
        ($verbose.Message -join "`n") | Should -Match 'is Zip: wrote 2 entries'
    }

    It 'shows entries in the table view: Kind, Length, LastWriteTimeUtc, Name' {
        $table = Expand-VerifiedArchive -Path $good -DestinationPath $dest | Format-Table | Out-String
        $table | Should -Match 'Kind\s+Length\s+LastWriteTimeUtc\s+Name'
        $table | Should -Match 'tool-1.0/bin/tool'
    }
}
