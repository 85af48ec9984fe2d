#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }

# Issue 17 #1 and #10, played by a second local user (uid/gid 65534) where the tests run as root on Linux.

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot '../TestHelpers.psm1') -Force
    $canPlayAttacker = (Test-IsLinux) -and ((& id -u) -eq '0') -and (Test-Path '/usr/bin/setpriv')
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../../SecureInstall.psd1') -Force
    Import-Module (Join-Path $PSScriptRoot '../TestHelpers.psm1') -Force
    $module = Resolve-Path (Join-Path $PSScriptRoot '../../../SecureInstall.psd1')
    $savedCache = $env:SECUREINSTALL_CACHE
    $savedHome = $env:SECUREINSTALL_HOME
    function Get-Mode([string]$Path) { (& stat -c '%a' -- $Path) }
    function Get-Inode([string]$Path) { (& stat -c '%d:%i' -- $Path) }
    function Invoke-AsAttacker([string]$Script) {
        & /usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups /bin/sh -c $Script
        if ($LASTEXITCODE -ne 0) { throw "as uid 65534: '$Script' failed ($LASTEXITCODE)" }
    }
}

AfterAll {
    $env:SECUREINSTALL_CACHE = $savedCache
    $env:SECUREINSTALL_HOME = $savedHome
}

Describe 'A cache or install root another user controls' -Skip:(-not $canPlayAttacker) {
    BeforeEach {
        $work = New-TestFolder
        $artifact = Join-Path $work 'artifact.bin'
        [System.IO.File]::WriteAllBytes($artifact, [byte[]](1..250 * 40 | ForEach-Object { [byte]($_ % 251) }))
        $sha = Get-Sha256 $artifact
        $uri = [System.Uri]::new($artifact).AbsoluteUri
        $out = Join-Path $work 'out.bin'
    }

    It 'refuses a cache owned by another user with CacheNotTrusted (SecurityError) and fetches nothing' {
        $cache = Join-Path $work 'cache'
        $null = New-Item -ItemType Directory -Path $cache
        & chown 65534:65534 $cache
        $env:SECUREINSTALL_CACHE = $cache

        $r = Get-VerifiedArtifact -Uri $uri -OutFile $out -Sha256 $sha -ErrorVariable ev -ErrorAction SilentlyContinue

        $r | Should -BeNullOrEmpty
        $ev[0].FullyQualifiedErrorId | Should -BeExactly 'CacheNotTrusted,SecureInstall.Commands.GetVerifiedArtifactCommand'
        $ev[0].CategoryInfo.Category | Should -Be 'SecurityError'
        $ev[0].Exception.Message | Should -Match 'owned by another user \(uid 65534\)'
        Test-Path -LiteralPath $out | Should -BeFalse
    }

    It 'makes the CLI exit 1 with "secureinstall: CacheNotTrusted:" for a cache owned by another user' {
        $cli = Join-Path $PSScriptRoot '../../../src/SecureInstall.Cli/bin/Release/net10.0/secureinstall.dll'
        if (-not (Test-Path $cli)) { Set-ItResult -Skipped -Because 'the CLI is not built (Release)'; return }
        $cache = Join-Path $work 'cache'
        $null = New-Item -ItemType Directory -Path $cache
        & chown 65534:65534 $cache
        $env:SECUREINSTALL_CACHE = $cache

        $text = & dotnet $cli get $uri --sha256 $sha -o $out 2>&1 | Out-String

        $LASTEXITCODE | Should -Be 1
        $text | Should -Match ([regex]::Escape("secureinstall: CacheNotTrusted: The artifact cache '$cache' is not trusted: it is owned by another user (uid 65534)."))
        Test-Path -LiteralPath $out | Should -BeFalse
    }

    It 'serves a fresh file, not the symbolic link another user planted as the cache entry, evicts it and says so' {
        $cache = Join-Path $work 'cache'
        $env:SECUREINSTALL_CACHE = $cache
        $theirs = Join-Path $work 'theirs'
        $null = New-Item -ItemType Directory -Path $theirs
        Copy-Item -LiteralPath $artifact -Destination (Join-Path $theirs 'a.bin')
        & chown -R 65534:65534 $theirs
        $entry = Join-Path $cache "sha256/$($sha.Substring(0, 2))/$sha"
        $null = New-Item -ItemType Directory -Path (Split-Path $entry) -Force
        $null = New-Item -ItemType SymbolicLink -Path $entry -Target (Join-Path $theirs 'a.bin')

        $all = Get-VerifiedArtifact -Uri $uri -OutFile $out -Sha256 $sha -Verbose 4>&1

        $r = $all | Where-Object { $_ -is [SecureInstall.Core.Downloads.DownloadResult] }
        $r.FromCache | Should -BeFalse
        ($all | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n" |
            Should -Match ([regex]::Escape("The cache entry $entry is a symbolic link; it is not used (evicted)."))
        & stat -c '%F %u' -- $out | Should -BeExactly 'regular file 0'
        & stat -c '%F %u' -- $entry | Should -BeExactly 'regular file 0'
        Get-Inode $out | Should -Not -Be (Get-Inode (Join-Path $theirs 'a.bin'))
        Invoke-AsAttacker "printf rewritten > '$(Join-Path $theirs 'a.bin')'"
        Get-Sha256 $out | Should -BeExactly $sha
    }

    It 'refuses an install root owned by another user with InstallRootNotTrusted and installs nothing' {
        $env:SECUREINSTALL_HOME = Join-Path $work 'home'
        $root = Join-Path $work 'home/tools'
        $null = New-Item -ItemType Directory -Path $root
        & chown 65534:65534 $root
        Copy-SampleTools $work

        $r = Install-PinnedTool -Manifest (Join-Path $work 'secureinstall.yml') -Platform linux-x64 -ErrorVariable ev -ErrorAction SilentlyContinue

        $r | Should -BeNullOrEmpty
        $ev[0].FullyQualifiedErrorId | Should -BeExactly 'InstallRootNotTrusted,SecureInstall.Commands.InstallPinnedToolCommand'
        $ev[0].CategoryInfo.Category | Should -Be 'SecurityError'
        @(Get-ChildItem -LiteralPath $root -Force).Count | Should -Be 0
        Test-Path -LiteralPath (Join-Path $work 'secureinstall.lock.json') | Should -BeFalse
    }
}

Describe 'Under umask 000' -Skip:(-not (Test-IsLinux)) {
    It 'creates no group- or world-writable (or setuid) file or folder when extracting, downloading or installing' {
        $work = New-TestFolder
        $src = Join-Path $work 'src'
        $null = New-Item -ItemType Directory -Path (Join-Path $src 'tool/bin'), (Join-Path $src 'tool/share')
        Set-Content -LiteralPath (Join-Path $src 'tool/share/data.txt') -Value 'data' -NoNewline
        Set-Content -LiteralPath (Join-Path $src 'tool/bin/tool') -Value '#!/bin/sh' -NoNewline
        & chmod 0777 (Join-Path $src 'tool') (Join-Path $src 'tool/share')
        & chmod 0666 (Join-Path $src 'tool/share/data.txt')
        & chmod 4777 (Join-Path $src 'tool/bin/tool')
        $tar = Join-Path $work 'tool.tar'
        & tar -cf $tar -C $src tool
        $dest = Join-Path $work 'x/y/dest'
        $download = Join-Path $work 'dl/out.tar'
        $env:SECUREINSTALL_HOME = Join-Path $work 'home'
        $env:SECUREINSTALL_CACHE = Join-Path $work 'cache'
        Copy-SampleTools $work
        $pinned = Join-Path $work 'hello.ps1'
        Set-Content -LiteralPath $pinned -Value "'hello'" -NoNewline
        $shell = (Get-Process -Id $PID).Path
        $script = "`$ErrorActionPreference = 'Stop'; Import-Module '$module'; " +
            "`$null = Expand-VerifiedArchive -LiteralPath '$tar' -DestinationPath '$dest'; " +
            "`$null = New-Item -ItemType Directory -Path '$(Split-Path $download)'; " +
            "`$null = Get-VerifiedArtifact -Uri '$([System.Uri]::new($tar).AbsoluteUri)' -OutFile '$download' -Sha256 $(Get-Sha256 $tar); " +
            "`$null = Install-PinnedTool -Manifest '$(Join-Path $work 'secureinstall.yml')' -Platform linux-x64; " +
            "`$null = Save-PinnedTool -Manifest '$(Join-Path $work 'secureinstall.yml')' -Path '$(Join-Path $work 'bundle/b')' -Platform linux-x64; " +
            "`$null = Invoke-VerifiedScript -Uri '$([System.Uri]::new($pinned).AbsoluteUri)' -TrustOnFirstUse -PinStore '$(Join-Path $work 'pins/p/script-pins.json')'"
        & /bin/sh -c 'umask 000; exec "$0" -NoProfile -NonInteractive -Command "$1"' $shell $script
        $LASTEXITCODE | Should -Be 0
        (& /bin/sh -c 'umask') | Should -Not -Be '0000' # the test's own process kept its umask

        # Save-PinnedTool's bundle and the script pin store are made too (bundle/ and pins/ did not exist before).
        $made = @(Get-Item -LiteralPath $dest, (Join-Path $work 'x'), $download, (Join-Path $work 'home/tools'), (Join-Path $work 'cache'),
                (Join-Path $work 'bundle'), (Join-Path $work 'pins')) +
            @(Get-ChildItem -LiteralPath $dest, (Join-Path $work 'home/tools'), (Join-Path $work 'cache'), (Join-Path $work 'bundle'), (Join-Path $work 'pins') -Recurse -Force |
                Where-Object { -not $_.LinkType })
        $made.Count | Should -BeGreaterThan 10
        # stat %a: a leading digit is setuid/setgid/sticky; 2, 3, 6 and 7 in the group or other digit are write.
        $loose = $made | Where-Object { $m = (Get-Mode $_.FullName).PadLeft(4, '0'); $m[0] -ne '0' -or '2367'.Contains($m[2]) -or '2367'.Contains($m[3]) }
        $loose | ForEach-Object { "$($_.FullName) $(Get-Mode $_.FullName)" } | Should -BeNullOrEmpty
        Get-Mode (Join-Path $dest 'tool/share/data.txt') | Should -BeExactly '644'
        Get-Mode (Join-Path $dest 'tool/bin/tool') | Should -BeExactly '755'
        Get-Mode (Join-Path $dest 'tool/share') | Should -BeExactly '755'
        Get-Mode $download | Should -BeExactly '644'
        Get-Mode (Join-Path $work 'cache') | Should -BeExactly '700'
    }
}
