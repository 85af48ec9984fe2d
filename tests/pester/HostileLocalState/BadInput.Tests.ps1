#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }

# Issue 17 #12: bad input that gave nothing (a folder where a file is read), or an error that named nothing
# (ArgumentException, a PathNotFound with no path, after the whole download). Each gets a SecureInstall ErrorId, its
# category and a message naming the input; the CLI prints the same id and exits 2.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../TestHelpers.psm1') -Force
    $root = Resolve-Path (Join-Path $PSScriptRoot '../../..')
    Import-Module (Join-Path $root 'SecureInstall.psd1') -Force
    $isWin = [System.IO.Path]::DirectorySeparatorChar -eq '\'
    $utf8 = New-Object System.Text.UTF8Encoding($false)

    $work = Join-Path $TestDrive 'work'
    $folder = Join-Path $work 'a-folder'
    $null = New-Item -ItemType Directory -Path (Join-Path $folder 'inner')
    $file = Join-Path $work 'a.bin'
    [System.IO.File]::WriteAllText($file, 'alpha', $utf8)
    [System.IO.File]::WriteAllText((Join-Path $folder 'b.bin'), 'beta', $utf8)
    $sha = (Get-FileHash -LiteralPath $file).Hash.ToLowerInvariant()

    # Counts what reaches it: the checks below must fail before any request.
    $payload = [System.Text.Encoding]::ASCII.GetBytes('alpha')
    $server = Start-LoopbackServer -Routes @{ '/a.bin' = @{ Body = $payload }; '/SHA256SUMS' = @{ Body = [System.Text.Encoding]::ASCII.GetBytes("$sha  a.bin`n") } }
    $base = $server.Base
}

AfterAll { Stop-LoopbackServer $server }

Describe 'A folder where a file is read (PathIsDirectory)' {
    It 'Test-Checksum -Path on a folder -Hash writes PathIsDirectory naming the folder, and -Quiet is $false' {
        $r = Test-Checksum -Path $folder -Hash $sha -ErrorVariable ev -ErrorAction SilentlyContinue
        $r | Should -BeNullOrEmpty
        $ev.Count | Should -Be 1
        $ev[0].FullyQualifiedErrorId | Should -BeExactly 'PathIsDirectory,SecureInstall.Commands.TestChecksumCommand'
        $ev[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $ev[0].TargetObject | Should -BeExactly $folder
        $ev[0].Exception.Message | Should -BeLike "*'$folder' is a folder, not a file*"
        Test-Checksum -Path $folder -Hash $sha -Quiet -ErrorAction SilentlyContinue | Should -BeFalse
    }

    It 'Test-Checksum -LiteralPath on a folder writes PathIsDirectory' {
        Test-Checksum -LiteralPath $folder -Hash $sha -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -BeExactly 'PathIsDirectory,SecureInstall.Commands.TestChecksumCommand'
    }

    It 'still skips folders a wildcard or Get-ChildItem brings, as Get-FileHash does' {
        $r = Test-Checksum -Path (Join-Path $folder '*') -Hash (Get-FileHash (Join-Path $folder 'b.bin')).Hash -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev | Should -BeNullOrEmpty
        @($r).Count | Should -Be 1
        $piped = Get-ChildItem -LiteralPath $folder | Test-Checksum -Hash (Get-FileHash (Join-Path $folder 'b.bin')).Hash -ErrorVariable ev2 -ErrorAction SilentlyContinue
        $ev2 | Should -BeNullOrEmpty
        @($piped).Count | Should -Be 1
    }

    It 'Expand-VerifiedArchive on a folder writes PathIsDirectory and creates no destination' {
        $dest = Join-Path $TestDrive 'never'
        $r = Expand-VerifiedArchive -Path $folder -DestinationPath $dest -ErrorVariable ev -ErrorAction SilentlyContinue
        $r | Should -BeNullOrEmpty
        $ev.Count | Should -Be 1
        $ev[0].FullyQualifiedErrorId | Should -BeExactly 'PathIsDirectory,SecureInstall.Commands.ExpandVerifiedArchiveCommand'
        $ev[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $ev[0].Exception.Message | Should -BeLike "*'$folder' is a folder*"
        Test-Path -LiteralPath $dest | Should -BeFalse
    }

    It 'a folder given as a single input file (checksum list, manifest, key) stops with PathIsDirectory naming it' {
        { Test-Checksum -ChecksumFile $folder } | Should -Throw -ErrorId 'PathIsDirectory,SecureInstall.Commands.TestChecksumCommand'
        { Get-PinnedTool -Manifest $folder } | Should -Throw -ErrorId 'PathIsDirectory,SecureInstall.Commands.GetPinnedToolCommand'
        { Install-PinnedTool -Manifest $folder -WhatIf } | Should -Throw -ErrorId 'PathIsDirectory,SecureInstall.Commands.InstallPinnedToolCommand'
        { Test-ArtifactSignature -Path $file -PgpPublicKey $folder } | Should -Throw -ErrorId 'PathIsDirectory,SecureInstall.Commands.TestArtifactSignatureCommand'
        try { Test-Checksum -ChecksumFile $folder } catch { $err = $_ }
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.Exception.Message | Should -BeLike "*'$folder' is a folder, not a file*"
    }

    It 'secureinstall verify --checksums, install --manifest and verify-signature --pgp-key on a folder exit 2 with PathIsDirectory' {
        foreach ($arguments in @(@('verify', '--checksums', $folder), @('install', '--manifest', $folder), @('verify-signature', '--pgp-key', $folder, $file))) {
            $r = Invoke-Cli @arguments
            $r.ExitCode | Should -Be 2 -Because ($arguments -join ' ')
            $r.Text | Should -Match ('secureinstall: PathIsDirectory: ' + [regex]::Escape("'$folder' is a folder"))
        }
    }

    It 'secureinstall verify, extract and checksums on a folder exit 2 with PathIsDirectory' {
        $verify = Invoke-Cli verify --sha256 $sha $folder
        $verify.ExitCode | Should -Be 2
        $verify.Text | Should -Match ('secureinstall: PathIsDirectory: ' + [regex]::Escape("'$folder' is a folder"))
        $extract = Invoke-Cli extract $folder (Join-Path $TestDrive 'never-cli')
        $extract.ExitCode | Should -Be 2
        $extract.Text | Should -Match ('secureinstall: PathIsDirectory: ' + [regex]::Escape("'$folder' is a folder"))
        Test-Path -LiteralPath (Join-Path $TestDrive 'never-cli') | Should -BeFalse
        $sums = Invoke-Cli checksums $folder
        $sums.ExitCode | Should -Be 2
        $sums.Text | Should -Match 'secureinstall: PathIsDirectory: '
    }
}

Describe 'Get-VerifiedArtifact input that cannot work fails before any request' {
    BeforeEach { $server.Requests.Clear() }

    It 'a relative -Uri is InvalidUri naming it' {
        Get-VerifiedArtifact -Uri 'tool.zip' -OutFile (Join-Path $work 'tool.zip') -Sha256 $sha -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev.Count | Should -Be 1
        $ev[0].FullyQualifiedErrorId | Should -BeExactly 'InvalidUri,SecureInstall.Commands.GetVerifiedArtifactCommand'
        $ev[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $ev[0].TargetObject | Should -BeExactly 'tool.zip'
        $ev[0].Exception.Message | Should -BeLike "*'tool.zip' is not absolute*"
    }

    It 'a relative -ChecksumUri is InvalidUri naming it, and nothing is fetched' {
        Get-VerifiedArtifact -Uri "$base/a.bin" -OutFile (Join-Path $work 'c.bin') -ChecksumUri 'SHA256SUMS' -AllowInsecureTransport -NoCache -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -BeExactly 'InvalidUri,SecureInstall.Commands.GetVerifiedArtifactCommand'
        $ev[0].Exception.Message | Should -BeLike "*'SHA256SUMS' is not absolute*"
        $server.Requests.Count | Should -Be 0
        Test-Path -LiteralPath (Join-Path $work 'c.bin') | Should -BeFalse
    }

    It 'a -Token of type <Name> is TokenInvalid naming the accepted types, and the value is not shown' -TestCases @(
        @{ Name = 'int'; Token = 424242 }
        @{ Name = 'hashtable'; Token = @{ secret = 'hunter2' } }
        @{ Name = 'string array'; Token = @('hunter2', 'x') }
    ) {
        param($Token)
        $err = $null
        try { Get-VerifiedArtifact -Uri "$base/a.bin" -OutFile (Join-Path $work 't.bin') -Sha256 $sha -Token $Token -AllowInsecureTransport -NoCache }
        catch { $err = $_ }
        $err | Should -Not -BeNullOrEmpty
        $err.FullyQualifiedErrorId | Should -BeExactly 'TokenInvalid,SecureInstall.Commands.GetVerifiedArtifactCommand'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.Exception.Message | Should -Match '-Token takes a string or a SecureString'
        $err.Exception.Message | Should -Not -Match '424242|hunter2'
        $server.Requests.Count | Should -Be 0
        Test-Path -LiteralPath (Join-Path $work 't.bin') | Should -BeFalse
    }

    It 'an -OutFile that is a symbolic link to nothing is PathNotFound naming it, before any request' {
        if ($isWin) { Set-ItResult -Skipped -Because 'symbolic links need Developer Mode or elevation on Windows'; return }
        $link = Join-Path $work 'dangling.bin'
        $null = New-Item -ItemType SymbolicLink -Path $link -Target (Join-Path $work 'gone/target.bin')
        Get-VerifiedArtifact -Uri "$base/a.bin" -OutFile $link -Sha256 $sha -AllowInsecureTransport -NoCache -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev.Count | Should -Be 1
        $ev[0].FullyQualifiedErrorId | Should -BeExactly 'PathNotFound,SecureInstall.Commands.GetVerifiedArtifactCommand'
        $ev[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $ev[0].TargetObject | Should -BeExactly $link
        $ev[0].Exception.Message | Should -BeLike "*'$link' is a symbolic link to '$(Join-Path $work 'gone/target.bin')', which does not exist*"
        $server.Requests.Count | Should -Be 0
        (Get-Item -LiteralPath $link -Force).Target | Should -Not -BeNullOrEmpty
    }

    It 'an -OutFile in a folder that does not exist is PathNotFound naming the folder, before any request' {
        $out = Join-Path $work 'no-such-folder/a.bin'
        Get-VerifiedArtifact -Uri "$base/a.bin" -OutFile $out -Sha256 $sha -AllowInsecureTransport -NoCache -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -BeExactly 'PathNotFound,SecureInstall.Commands.GetVerifiedArtifactCommand'
        $ev[0].Exception.Message | Should -BeLike "*'$out' is in the folder '$(Join-Path $work 'no-such-folder')', which does not exist*"
        $server.Requests.Count | Should -Be 0
    }

    It 'secureinstall get -o a dangling link exits 2 with PathNotFound naming it, before any request' {
        if ($isWin) { Set-ItResult -Skipped -Because 'symbolic links need Developer Mode or elevation on Windows'; return }
        $link = Join-Path $work 'dangling-cli.bin'
        $null = New-Item -ItemType SymbolicLink -Path $link -Target (Join-Path $work 'gone/other.bin')
        $r = Invoke-Cli get "$base/a.bin" --sha256 $sha -o $link --allow-insecure-transport --no-cache
        $r.ExitCode | Should -Be 2
        $r.Text | Should -Match ('secureinstall: PathNotFound: .*' + [regex]::Escape("'$link' is a symbolic link"))
        $server.Requests.Count | Should -Be 0
    }
}

Describe 'A minisign key string that is not a key (PublicKeyInvalid)' {
    It 'Test-ArtifactSignature -MinisignPublicKey a bad key string stops with PublicKeyInvalid naming it' {
        { Test-ArtifactSignature -Path $file -MinisignPublicKey 'RWnotakey' } | Should -Throw -ErrorId 'PublicKeyInvalid,SecureInstall.Commands.TestArtifactSignatureCommand'
        try { Test-ArtifactSignature -Path $file -MinisignPublicKey 'RWnotakey' } catch { $err = $_ }
        $err.CategoryInfo.Category | Should -Be 'InvalidData'
        $err.Exception.Message | Should -BeLike "*-MinisignPublicKey 'RWnotakey'*neither a minisign public key*nor the path of an existing minisign.pub file*"
    }

    It 'a truncated real key is PublicKeyInvalid too' {
        $truncated = 'RWSGOq2NVecA2UPNdBUZykf1CCb147pkmdtYxgb3Ti+JO/wCYvh'
        { Test-ArtifactSignature -Path $file -MinisignPublicKey $truncated } | Should -Throw -ErrorId 'PublicKeyInvalid,SecureInstall.Commands.TestArtifactSignatureCommand'
    }

    It 'Get-VerifiedArtifact -MinisignPublicKey a bad key string stops with PublicKeyInvalid before any request' {
        $server.Requests.Clear()
        { Get-VerifiedArtifact -Uri "$base/a.bin" -OutFile (Join-Path $work 'm.bin') -MinisignPublicKey 'RWnotakey' -SignatureUri "$base/a.bin.minisig" -AllowInsecureTransport -NoCache } |
            Should -Throw -ErrorId 'PublicKeyInvalid,SecureInstall.Commands.GetVerifiedArtifactCommand'
        $server.Requests.Count | Should -Be 0
    }

    It 'a key path that does not exist is still PathNotFound' {
        { Test-ArtifactSignature -Path $file -MinisignPublicKey (Join-Path $TestDrive 'absent.pub') } | Should -Throw -ErrorId 'PathNotFound,SecureInstall.Commands.TestArtifactSignatureCommand'
    }

    It 'secureinstall verify-signature --minisign-key a bad key string exits 2 with PublicKeyInvalid naming it' {
        $r = Invoke-Cli verify-signature --minisign-key 'RWnotakey' $file
        $r.ExitCode | Should -Be 2
        $r.Text | Should -Match ([regex]::Escape("secureinstall: PublicKeyInvalid: --minisign-key 'RWnotakey'"))
    }
}
