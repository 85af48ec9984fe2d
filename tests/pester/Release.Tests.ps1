#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }

# The release build (tools/SecureInstall.Release) once, into TestDrive: what each asset holds, that checksums.txt
# verifies, and that the stamped bootstrap installs the real module package. That two builds give the same bytes is
# proven by tools/Test-ReproducibleRelease.ps1 (two clean clones; too slow for every test run).
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot '../../SecureInstall.psd1') -Force
    # ZipFile lives in System.IO.Compression.FileSystem on .NET Framework (Windows PowerShell 5.1).
    Add-Type -AssemblyName System.IO.Compression, System.IO.Compression.FileSystem
    $root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $tool = Get-ChildItem -Path (Join-Path $root 'tools/SecureInstall.Release/bin') -Recurse -Filter SecureInstall.Release.dll |
        Sort-Object LastWriteTimeUtc -Descending | Select-Object -First 1
    $out = Join-Path $TestDrive 'release'
    # The native binary build.ps1 -Task Test compiled (CI compiles it once); without it the release tool compiles its own.
    $nativeArguments = @()
    $built = Join-Path $root 'out/native/linux-x64/secureinstall'
    if (Test-Path -LiteralPath $built) {
        $nativeFolder = Join-Path $TestDrive 'native'
        $null = New-Item -ItemType Directory -Path $nativeFolder
        Copy-Item -LiteralPath $built -Destination (Join-Path $nativeFolder 'secureinstall-linux-x64')
        $nativeArguments = @('--native', $nativeFolder)
    }
    $log = & dotnet $tool.FullName build --root $root --output $out @nativeArguments 2>&1
    if ($LASTEXITCODE -ne 0) { throw "The release build failed:`n$($log -join "`n")" }
    $version = (Import-PowerShellDataFile (Join-Path $root 'SecureInstall.psd1')).ModuleVersion
    function Get-ZipEntries([string]$Path) {
        $zip = [System.IO.Compression.ZipFile]::OpenRead($Path)
        try { @($zip.Entries | ForEach-Object { [pscustomobject]@{ Name = $_.FullName; Time = $_.LastWriteTime; Length = $_.Length } }) }
        finally { $zip.Dispose() }
    }
    function Read-ZipText([string]$Path, [string]$Name) {
        $zip = [System.IO.Compression.ZipFile]::OpenRead($Path)
        try { $reader = [System.IO.StreamReader]::new($zip.GetEntry($Name).Open()); try { $reader.ReadToEnd() } finally { $reader.Dispose() } }
        finally { $zip.Dispose() }
    }
    $zipPath = Join-Path $out "SecureInstall-$version.zip"
    # The native assets this build has (none where it could neither compile nor find a linux-x64 binary).
    $nativeAssets = @(Get-ChildItem -LiteralPath $out -File | Where-Object { $_.Name -in 'install.sh', 'secureinstall-linux-x64' } | ForEach-Object Name)
}

Describe 'the release build' {
    It 'writes the assets, checksums.txt lists every one and verifies with Test-Checksum' {
        $names = @(Get-ChildItem -LiteralPath $out -File | ForEach-Object Name | Sort-Object)
        $names | Should -Be (@("Install-SecureInstall.ps1", "SecureInstall-$version.cdx.json", "SecureInstall-$version.zip", "SecureInstall.$version.nupkg", "SecureInstall.Cli.$version.nupkg", 'checksums.txt', 'release-notes.md') + $nativeAssets | Sort-Object)
        $listed = @(Get-Content -LiteralPath (Join-Path $out 'checksums.txt') | ForEach-Object { ($_ -split '  ', 2)[1] })
        $expected = @('Install-SecureInstall.ps1', "SecureInstall-$version.cdx.json", "SecureInstall-$version.zip", "SecureInstall.$version.nupkg", "SecureInstall.Cli.$version.nupkg") + $nativeAssets
        $ordinal = [string[]]$expected; [Array]::Sort($ordinal, [StringComparer]::Ordinal)   # checksums.txt's order
        $listed | Should -Be $ordinal
        Push-Location $out
        try { $results = @(Test-Checksum -ChecksumFile checksums.txt) }
        finally { Pop-Location }
        @($results | Where-Object { -not $_.IsValid }).Count | Should -Be 0
        $results.Count | Should -Be $expected.Count
    }

    It 'the module zip holds the module layout in ordinal order with one timestamp, and no bootstrap' {
        $entries = Get-ZipEntries $zipPath
        $names = @($entries.Name)
        $sorted = [string[]]$names.Clone(); [Array]::Sort($sorted, [StringComparer]::Ordinal)
        $names | Should -Be $sorted
        @($entries.Time | Sort-Object -Unique).Count | Should -Be 1
        foreach ($required in 'SecureInstall.psd1', 'bin/SecureInstall.Commands.dll', 'bin/SecureInstall.Loader.dll', 'bin/deps/SecureInstall.Core.dll', 'bin/deps/YamlDotNet.dll', 'en-US/SecureInstall.Commands.dll-Help.xml', 'module/SecureInstall.format.ps1xml') {
            $names | Should -Contain $required
        }
        $names | Should -Not -Contain 'module/Install-SecureInstall.ps1'
    }

    It 'the Gallery .nupkg has the module at its root and a nuspec that names every cmdlet' {
        $nupkg = Join-Path $out "SecureInstall.$version.nupkg"
        $names = @((Get-ZipEntries $nupkg).Name)
        foreach ($file in (Get-ZipEntries $zipPath).Name) { $names | Should -Contain $file }
        $names | Should -Contain '[Content_Types].xml'
        $names | Should -Contain '_rels/.rels'
        [xml]$nuspec = Read-ZipText $nupkg 'SecureInstall.nuspec'
        $nuspec.package.metadata.id | Should -BeExactly 'SecureInstall'
        $nuspec.package.metadata.version | Should -BeExactly $version
        $tags = $nuspec.package.metadata.tags -split ' '
        foreach ($tag in 'PSModule', 'PSIncludes_Cmdlet', 'PSCmdlet_Invoke-VerifiedScript', 'PSCommand_Get-VerifiedArtifact', 'PSEdition_Desktop', 'PSEdition_Core') { $tags | Should -Contain $tag }
    }

    It 'the CLI is a .NET tool package' {
        $names = @((Get-ZipEntries (Join-Path $out "SecureInstall.Cli.$version.nupkg")).Name)
        $names | Should -Contain 'tools/net10.0/any/DotnetToolSettings.xml'
        $names | Should -Contain 'tools/net10.0/any/secureinstall.dll'
    }

    It 'the bootstrap carries the zip digest and size, is ASCII with LF, and the release notes pin the bootstrap' {
        $boot = Join-Path $out 'Install-SecureInstall.ps1'
        $bytes = [System.IO.File]::ReadAllBytes($boot)
        @($bytes | Where-Object { $_ -gt 0x7e -or $_ -eq 0x0d }).Count | Should -Be 0
        $text = [System.Text.Encoding]::ASCII.GetString($bytes)
        $text | Should -Match ([regex]::Escape("`$ReleasePackageSha256 = '$(Get-Sha256 $zipPath)'"))
        $text | Should -Match ([regex]::Escape("`$ReleasePackageSize = $((Get-Item -LiteralPath $zipPath).Length)"))
        $text | Should -Match ([regex]::Escape("`$ReleaseVersion = '$version'"))
        $notes = Get-Content -LiteralPath (Join-Path $out 'release-notes.md') -Raw
        $notes | Should -Match ([regex]::Escape("`$pin = '$(Get-Sha256 $boot)'"))
    }

    It 'the SBOM is CycloneDX listing every locked package with its SHA-512; reference-only packages are excluded' {
        $bom = Get-Content -LiteralPath (Join-Path $out "SecureInstall-$version.cdx.json") -Raw | ConvertFrom-Json
        $bom.bomFormat | Should -BeExactly 'CycloneDX'
        $bom.serialNumber | Should -Match '^urn:uuid:[0-9a-f-]{36}$'
        foreach ($project in 'SecureInstall.Core', 'SecureInstall.Commands', 'SecureInstall.Cli') {
            $lock = Get-Content -LiteralPath (Join-Path $root "src/$project/packages.lock.json") -Raw | ConvertFrom-Json
            foreach ($framework in $lock.dependencies.PSObject.Properties) {
                foreach ($dep in $framework.Value.PSObject.Properties | Where-Object { $_.Value.type -ne 'Project' }) {
                    $component = @($bom.components | Where-Object { $_.purl -eq "pkg:nuget/$($dep.Name)@$($dep.Value.resolved)" })
                    $component.Count | Should -Be 1 -Because "$($dep.Name) $($dep.Value.resolved) is locked by $project"
                    $expected = ([System.BitConverter]::ToString([Convert]::FromBase64String($dep.Value.contentHash)) -replace '-', '').ToLowerInvariant()
                    $component[0].hashes[0].content | Should -BeExactly $expected
                }
            }
        }
        @($bom.components | Where-Object { $_.name -eq 'PowerShellStandard.Library' })[0].scope | Should -BeExactly 'excluded'
    }

    It 'the stamped bootstrap installs the real package from an HTTPS mirror, and the module imports with every cmdlet' {
        $childHome = Join-Path $TestDrive 'home'
        $null = New-Item -ItemType Directory -Path (Join-Path $childHome 'data'), (Join-Path $childHome 'tmp')
        $pem = Join-Path $TestDrive 'ca.pem'
        $server = Start-LoopbackServer -Certificate (New-LoopbackCertificate -PemPath $pem) -Routes @{ '/mirror.zip' = @{ Body = [System.IO.File]::ReadAllBytes($zipPath) } }
        try {
            $boot = Join-Path $out 'Install-SecureInstall.ps1'
            $code = "& '$boot' -ExpectedSha256 $(Get-Sha256 $boot) -PackageUri '$($server.Base)/mirror.zip'; (Get-Command -Module SecureInstall).Name -join ','"
            $environment = @{ HOME = $childHome; XDG_DATA_HOME = (Join-Path $childHome 'data'); TMPDIR = (Join-Path $childHome 'tmp'); SSL_CERT_FILE = $pem; PSModulePath = $null }
            $child = Invoke-ChildProcess -FilePath (Get-Process -Id $PID).Path -ArgumentList @('-NoProfile', '-NonInteractive', '-Command', $code) -Environment $environment
            $text = $child.Out + $child.Err
        }
        finally { Stop-LoopbackServer $server }
        $child.ExitCode | Should -Be 0 -Because $text
        $text | Should -Match "Installed SecureInstall $version in"
        $text | Should -Match 'Invoke-VerifiedScript'
        $text | Should -Match 'Test-Checksum'
        Test-Path -LiteralPath (Join-Path $childHome "data/powershell/Modules/SecureInstall/$version/bin/SecureInstall.Commands.dll") | Should -BeTrue
    }

    # Issue 22: the Gallery package is a real module .nupkg for Install-PinnedModule, served by a NuGet v3 feed.
    It 'the Gallery package installs with Install-PinnedModule from a NuGet v3 feed, without the packaging parts, and imports with -RequiredVersion' {
        $nupkg = [System.IO.File]::ReadAllBytes((Join-Path $out "SecureInstall.$version.nupkg"))
        $sha512 = Get-Sha512Hex $nupkg
        $dir = Join-Path $TestDrive 'module-install'
        $modules = Join-Path $dir 'Modules'
        $manifest = Join-Path $dir 'tools.yml'
        $pem = Join-Path $TestDrive 'feed-ca.pem'
        $server = Start-LoopbackServer -Certificate (New-LoopbackCertificate -PemPath $pem)
        try {
            $server.Routes['/v3/index.json'] = @{ Body = [System.Text.Encoding]::UTF8.GetBytes("{ `"version`": `"3.0.0`", `"resources`": [ { `"@id`": `"$($server.Base)/v3/flat/`", `"@type`": `"PackageBaseAddress/3.0.0`" } ] }") }
            $server.Routes["/v3/flat/secureinstall/$version/secureinstall.$version.nupkg"] = @{ Body = $nupkg }
            Write-Fixture $manifest "modules:`n  SecureInstall:`n    version: `"$version`"`n    sha512: $sha512`n    source: $($server.Base)/v3/index.json`n"
            $code = "Import-Module '$(Join-Path $root 'SecureInstall.psd1')'; (Install-PinnedModule -Manifest '$manifest' -ModulePath '$modules' -ErrorAction Stop).Status"
            $environment = @{ SSL_CERT_FILE = $pem; SECUREINSTALL_HOME = (Join-Path $dir 'home'); SECUREINSTALL_CACHE = (Join-Path $dir 'cache') }
            $child = Invoke-ChildProcess -FilePath (Get-Process -Id $PID).Path -ArgumentList @('-NoProfile', '-NonInteractive', '-Command', $code) -Environment $environment
        }
        finally { Stop-LoopbackServer $server }
        $child.ExitCode | Should -Be 0 -Because $child.Text
        $child.Out.Trim() | Should -BeExactly 'Installed'
        $installed = Join-Path $modules "SecureInstall/$version"
        foreach ($part in '[Content_Types].xml', '_rels', 'package', 'SecureInstall.nuspec') { Test-Path -LiteralPath (Join-Path $installed $part) | Should -BeFalse -Because "$part is NuGet packaging" }

        $import = "`$env:PSModulePath = '$modules' + [IO.Path]::PathSeparator + `$env:PSModulePath; Import-Module SecureInstall -RequiredVersion $version -ErrorAction Stop; (Get-Module SecureInstall).ModuleBase; (Get-Command -Module SecureInstall).Name -join ','"
        $child = Invoke-ChildProcess -FilePath (Get-Process -Id $PID).Path -ArgumentList @('-NoProfile', '-NonInteractive', '-Command', $import)
        $child.ExitCode | Should -Be 0 -Because $child.Text
        $lines = $child.Out.Trim() -split '\r?\n'
        $lines[0] | Should -BeExactly $installed
        $lines[1] | Should -Match 'Install-PinnedModule'
        $lines[1] | Should -Match 'Test-Checksum'
    }
}

Describe 'the native assets (issue 23)' {
    It 'ships secureinstall-linux-x64 and install.sh stamped with its digest, the one checksums.txt lists' -Skip:(-not (Test-IsLinux)) {
        $nativeAssets | Should -Be @('install.sh', 'secureinstall-linux-x64') -Because 'linux-x64 with clang and lld builds the native binary (.ci/run installs them)'
        $listed = @{}
        foreach ($line in Get-Content -LiteralPath (Join-Path $out 'checksums.txt')) { $parts = $line -split '  ', 2; $listed[$parts[1]] = $parts[0] }
        $listed['secureinstall-linux-x64'] | Should -Be (Get-Sha256 (Join-Path $out 'secureinstall-linux-x64'))
        $sh = Get-Content -LiteralPath (Join-Path $out 'install.sh') -Raw
        $sh | Should -Match "(?m)^sha256_linux_x64='$($listed['secureinstall-linux-x64'])'$"
        $sh | Should -Match "(?m)^release_version='$([regex]::Escape($version))'$"
        $sh | Should -Match "(?m)^release_base_uri='https://github\.com/secureinstall/SecureInstall/releases/download/v$([regex]::Escape($version))/'$"
        $sh | Should -Match "(?m)^sha256_osx_arm64=''$" -Because 'only the release workflow''s macOS runner builds that one'
    }

    It 'the release notes carry the sh one-liner pinning install.sh''s digest' -Skip:(-not (Test-IsLinux)) {
        $notes = Get-Content -LiteralPath (Join-Path $out 'release-notes.md') -Raw
        $notes | Should -Match ([regex]::Escape("pin='$(Get-Sha256 (Join-Path $out 'install.sh'))'"))
    }

    It 'the SBOM lists the Native AOT compiler packages compiled into the binary' {
        $sbom = Get-Content -LiteralPath (Join-Path $out "SecureInstall-$version.cdx.json") -Raw | ConvertFrom-Json
        @($sbom.components.name) | Should -Contain 'runtime.linux-x64.Microsoft.DotNet.ILCompiler'
    }

    It 'the SBOM lists the native binary itself, with the SHA-256 checksums.txt lists and the packages compiled into it' -Skip:(-not (Test-IsLinux)) {
        $sbom = Get-Content -LiteralPath (Join-Path $out "SecureInstall-$version.cdx.json") -Raw | ConvertFrom-Json
        $component = @($sbom.components | Where-Object { $_.name -eq 'secureinstall-linux-x64' })
        $component.Count | Should -Be 1
        $component[0].type | Should -BeExactly 'application'
        $component[0].hashes[0].alg | Should -BeExactly 'SHA-256'
        $component[0].hashes[0].content | Should -BeExactly (Get-Sha256 (Join-Path $out 'secureinstall-linux-x64'))
        $dependsOn = @(@($sbom.dependencies | Where-Object { $_.ref -eq $component[0].'bom-ref' })[0].dependsOn)
        @($dependsOn | Where-Object { $_ -like 'pkg:nuget/System.CommandLine@*' }).Count | Should -Be 1
        @($dependsOn | Where-Object { $_ -like 'pkg:nuget/runtime.linux-x64.Microsoft.DotNet.ILCompiler@*' }).Count | Should -Be 1
        @($dependsOn | Where-Object { $_ -like 'pkg:nuget/YamlDotNet@*' }).Count | Should -Be 1 -Because 'the core is compiled into it'
        @($dependsOn | Where-Object { $_ -like 'pkg:nuget/PowerShellStandard.Library@*' }).Count | Should -Be 0 -Because 'the cmdlets are not'
    }
}
