#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }

# Add-PinnedTool against the real cli/cli definition of ../shared/corpus/aqua-registry (read in place) and a loopback
# HTTPS server playing its GitHub release (assets and checksum file built here under the names the definition gives).
BeforeDiscovery {
    $corpus = Join-Path $PSScriptRoot '../../../shared/corpus/aqua-registry'
    $haveCorpus = Test-Path -LiteralPath (Join-Path $corpus 'pkgs/cli/cli/registry.yaml')
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../SecureInstall.psd1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $FQ = ',SecureInstall.Commands.AddPinnedToolCommand'
    $corpus = Join-Path $PSScriptRoot '../../../shared/corpus/aqua-registry'
    $pem = Join-Path $TestDrive 'loopback.pem'
    $server = Start-LoopbackServer -Certificate (New-LoopbackCertificate -PemPath $pem)
    $base = $server.Base
    $release = '/cli/cli/releases/download/v2.63.0'

    # gh's linux tarball as the definition expects it (gh_<ver>_linux_amd64/bin/gh); the other platforms' bytes only need digests.
    $src = Join-Path $TestDrive 'src'
    Write-Fixture (Join-Path $src 'gh_2.63.0_linux_amd64/bin/gh') "#!/bin/sh`necho gh 2.63.0 from the loopback release`n"
    if (-not (Test-IsWindows)) { & chmod 0755 (Join-Path $src 'gh_2.63.0_linux_amd64/bin/gh') }
    & tar -czf (Join-Path $TestDrive 'linux.tar.gz') -C $src 'gh_2.63.0_linux_amd64'
    $assets = [ordered]@{
        'gh_2.63.0_linux_amd64.tar.gz' = [System.IO.File]::ReadAllBytes((Join-Path $TestDrive 'linux.tar.gz'))
        'gh_2.63.0_linux_arm64.tar.gz' = [System.Text.Encoding]::UTF8.GetBytes('linux arm64')
        'gh_2.63.0_macOS_amd64.zip'    = [System.Text.Encoding]::UTF8.GetBytes('mac amd64')
        'gh_2.63.0_macOS_arm64.zip'    = [System.Text.Encoding]::UTF8.GetBytes('mac arm64')
        'gh_2.63.0_windows_amd64.zip'  = (New-ZipBytes @{ 'bin/gh.exe' = 'windows amd64' })
        'gh_2.63.0_windows_arm64.zip'  = (New-ZipBytes @{ 'bin/gh.exe' = 'windows arm64' })
    }
    $sums = ''
    foreach ($name in $assets.Keys) {
        $server.Routes["$release/$name"] = @{ Body = [byte[]]$assets[$name] }
        $sums += "$(Get-Sha256Hex $assets[$name])  $name`n"
    }
    $server.Routes["$release/gh_2.63.0_checksums.txt"] = @{ Body = [System.Text.Encoding]::UTF8.GetBytes($sums) }

    # A child pwsh that trusts the loopback certificate runs what needs the network.
    function Invoke-Child([string]$Code, [string]$Workspace) {
        $r = Invoke-ChildProcess -FilePath (Get-Process -Id $PID).Path -WorkingDirectory $Workspace -ArgumentList @('-NoProfile', '-NonInteractive', '-Command',
            "Import-Module '$(Join-Path $PSScriptRoot '../../SecureInstall.psd1')'; try { $Code } catch { 'ERRORID=' + `$_.FullyQualifiedErrorId; exit 3 }") `
            -Environment @{ SSL_CERT_FILE = $pem; SECUREINSTALL_HOME = (Join-Path $Workspace 'home'); SECUREINSTALL_CACHE = (Join-Path $Workspace 'cache'); GH_HOST = $null }
        [pscustomobject]@{ ExitCode = $r.ExitCode; Output = $r.Out + $r.Err }
    }

    function New-HostileRegistry([string]$Body) {
        $root = Join-Path $TestDrive ('reg-' + [guid]::NewGuid().ToString('N'))
        Write-Fixture (Join-Path $root 'pkgs/owner/tool/registry.yaml') ("packages:`n  - type: github_release`n    repo_owner: owner`n    repo_name: tool`n" + $Body)
        $root
    }
}

AfterAll { Stop-LoopbackServer $server }

Describe 'Add-PinnedTool' {
    It 'pins every platform of cli/cli from the release''s checksum file with its attestation policy, keeps the manifest as it was, and Install-PinnedTool enforces the policy' -Skip:(-not $haveCorpus) {
        $ws = New-TestFolder
        $manifest = Join-Path $ws 'tools.yml'
        $before = "# team tools`ntools:`n  hello:   # kept`n    version: `"1.0`"`n    url: https://example.org/hello`n    sha256: $('1' * 64)`n    archive: binary`n"
        [System.IO.File]::WriteAllText($manifest, $before)
        $r = Invoke-Child "Add-PinnedTool -Manifest ./tools.yml -Name cli/cli -Version v2.63.0 -Registry '$corpus' -GitHubBase $base/ | ForEach-Object { 'TOOL=' + `$_.Tool; 'PINS=' + `$_.Pins.Count }; Install-PinnedTool -Manifest ./tools.yml -Name gh -Platform linux-x64 | ForEach-Object { 'INSTALLED=' + `$_.Path }" $ws
        $r.Output | Should -Match 'TOOL=gh'
        $r.Output | Should -Match 'PINS=6'
        $text = [System.IO.File]::ReadAllText($manifest)
        $text.StartsWith($before) | Should -BeTrue -Because 'the rest of the manifest is not disturbed'
        $text | Should -Match 'commit 4d86e12d6fd055583d34fa3b9eefc28e7166ae59'
        $text | Should -Match 'scheme: "github-attestation"'
        $text | Should -Match 'workflow: "cli/cli/\.github/workflows/deployment\.yml"'
        $text | Should -Not -Match 'not carried: .*github_artifact_attestations'
        foreach ($name in $assets.Keys) { $text | Should -Match (Get-Sha256Hex $assets[$name]) }
        # The loopback GitHub has no attestation for these test-built assets: the install fails closed and places nothing
        # (CatalogSignaturePolicyTests installs through a real attestation).
        $r.ExitCode | Should -Not -Be 0 -Because $r.Output
        $r.Output | Should -Match "Install-PinnedTool: .*api/v3/repos/cli/cli/attestations/sha256:$(Get-Sha256Hex $assets['gh_2.63.0_linux_amd64.tar.gz'])"
        $r.Output | Should -Not -Match 'INSTALLED='
        Test-Path -LiteralPath (Join-Path $ws 'home/gh/v2.63.0') | Should -BeFalse
    }

    It 'Update-PinnedToolManifest re-reads such an entry from the same definition, and refuses a re-uploaded digest (PinnedDigestChanged)' -Skip:(-not $haveCorpus) {
        $ws = New-TestFolder
        $add = "Add-PinnedTool -Manifest ./tools.yml -Name cli/cli -Version v2.63.0 -Registry '$corpus' -GitHubBase $base/ | Out-Null"
        $update = "Update-PinnedToolManifest -Manifest ./tools.yml -Name gh -Version v2.63.0 -Registry '$corpus' -GitHubBase $base/ -ErrorAction Stop | ForEach-Object { 'CHANGE=' + `$_.Change }"
        $r = Invoke-Child "$add; $update" $ws
        $r.Output | Should -Match 'CHANGE=unchanged' -Because $r.Output
        $saved = $server.Routes["$release/gh_2.63.0_checksums.txt"]
        try {
            $server.Routes["$release/gh_2.63.0_checksums.txt"] = @{ Body = [System.Text.Encoding]::UTF8.GetBytes(($sums -replace (Get-Sha256Hex $assets['gh_2.63.0_linux_amd64.tar.gz']), ('e' * 64))) }
            $before = [System.IO.File]::ReadAllText((Join-Path $ws 'tools.yml'))
            $r = Invoke-Child $update $ws
            $r.Output | Should -Match 'ERRORID=PinnedDigestChanged,SecureInstall.Commands.UpdatePinnedToolManifestCommand' -Because $r.Output
            [System.IO.File]::ReadAllText((Join-Path $ws 'tools.yml')) | Should -BeExactly $before
        }
        finally { $server.Routes["$release/gh_2.63.0_checksums.txt"] = $saved }
    }

    It '-WhatIf shows each platform''s URL and digest source, fetches nothing and writes nothing' -Skip:(-not $haveCorpus) {
        $manifest = Join-Path $TestDrive 'whatif.yml'
        $requests = $server.Requests.Count
        $out = @(Add-PinnedTool -Manifest $manifest -Name cli/cli -Version v2.63.0 -Registry $corpus -GitHubBase "$base/" -WhatIf)
        $out.Count | Should -Be 6
        $out | Should -Contain "What if: gh v2.63.0 linux-x64: $base$release/gh_2.63.0_linux_amd64.tar.gz; digest: sha256 from $base$release/gh_2.63.0_checksums.txt; signature policy: scheme github-attestation, repository cli/cli, workflow cli/cli/.github/workflows/deployment.yml, bundle $base/api/v3/repos/cli/cli/attestations/sha256:{sha256}"
        Test-Path -LiteralPath $manifest | Should -BeFalse
        $server.Requests.Count | Should -Be $requests
    }

    It 'refuses a definition whose asset template renders ../ (CatalogDefinitionInvalid, InvalidData) and writes nothing' {
        $manifest = Join-Path $TestDrive 'hostile.yml'
        $registry = New-HostileRegistry "    asset: `"../../{{.Version}}/tool`"`n"
        Add-PinnedTool -Manifest $manifest -Name owner/tool -Version v1.0.0 -Registry $registry -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -BeExactly "CatalogDefinitionInvalid$FQ"
        $ev[0].CategoryInfo.Category | Should -Be 'InvalidData'
        $ev[0].Exception.Message | Should -Match 'not a file name of the release'
        Test-Path -LiteralPath $manifest | Should -BeFalse
    }

    It 'refuses an http: download (CatalogDefinitionInvalid)' {
        $registry = Join-Path $TestDrive 'http-reg'
        Write-Fixture (Join-Path $registry 'pkgs/owner/tool/registry.yaml') "packages:`n  - type: http`n    name: owner/tool`n    url: http://example.org/tool-{{.Version}}.tar.gz`n"
        Add-PinnedTool -Manifest (Join-Path $TestDrive 'http.yml') -Name owner/tool -Version v1.0.0 -Registry $registry -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -BeExactly "CatalogDefinitionInvalid$FQ"
        $ev[0].Exception.Message | Should -Match 'only https downloads are pinned'
    }

    It 'refuses what nothing from the publisher pins (CatalogEntryUnpinned, SecurityError), and -TrustOnFirstUse without -Reason' {
        $registry = New-HostileRegistry "    asset: `"tool_{{.OS}}_{{.Arch}}`"`n    supported_envs: [linux/amd64]`n"
        Add-PinnedTool -Manifest (Join-Path $TestDrive 'unpinned.yml') -Name owner/tool -Version v1.0.0 -Registry $registry -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -BeExactly "CatalogEntryUnpinned$FQ"
        $ev[0].CategoryInfo.Category | Should -Be 'SecurityError'
        $ev[0].Exception.Message | Should -Match '-TrustOnFirstUse -Reason'
        { Add-PinnedTool -Manifest (Join-Path $TestDrive 'unpinned.yml') -Name owner/tool -Version v1.0.0 -Registry $registry -TrustOnFirstUse -ErrorAction Stop } |
            Should -Throw -ErrorId "ReasonRequired$FQ"
    }

    It 'records a -TrustOnFirstUse waiver in the entry and, once installed, in the lock; Test-PinnedTool -Verbose shows it' {
        $ws = New-TestFolder
        $registry = New-HostileRegistry "    asset: `"tool_{{.OS}}_{{.Arch}}`"`n    supported_envs: [linux/amd64]`n"
        $server.Routes['/owner/tool/releases/download/v1.0.0/tool_linux_amd64'] = @{ Body = [System.Text.Encoding]::UTF8.GetBytes("#!/bin/sh`necho tool`n") }
        $r = Invoke-Child ("Add-PinnedTool -Manifest ./tools.yml -Name owner/tool -Version v1.0.0 -Registry '$registry' -GitHubBase $base/ -TrustOnFirstUse -Reason 'vendor ships no checksums; reviewed' | Out-Null; " +
            "Install-PinnedTool -Manifest ./tools.yml -Name tool -Platform linux-x64 3>&1 | Out-String; Test-PinnedTool -Manifest ./tools.yml -Verbose 4>&1 | Out-String") $ws
        $r.ExitCode | Should -Be 0 -Because $r.Output
        [System.IO.File]::ReadAllText((Join-Path $ws 'tools.yml')) | Should -Match 'trusted_on_first_use: "vendor ships no checksums; reviewed"'
        [System.IO.File]::ReadAllText((Join-Path $ws 'secureinstall.lock.json')) | Should -Match 'CatalogEntryUnpinned waived \(line \d+\): the linux-x64 digest was trusted on first use .*vendor ships no checksums; reviewed'
        $r.Output | Should -Match 'tool v1\.0\.0 was installed under a waiver: CatalogEntryUnpinned waived'
    }

    It 'refuses template syntax it does not render, by name (CatalogDefinitionUnsupported, NotImplemented)' {
        $registry = New-HostileRegistry "    asset: `"tool_{{env `\`"HOME`\`"}}`"`n"
        Add-PinnedTool -Manifest (Join-Path $TestDrive 'unsupported.yml') -Name owner/tool -Version v1.0.0 -Registry $registry -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -BeExactly "CatalogDefinitionUnsupported$FQ"
        $ev[0].CategoryInfo.Category | Should -Be 'NotImplemented'
        $ev[0].Exception.Message | Should -Match "the function 'env'"
    }

    It 'has a table view: Tool, Version, Platforms, Signature, Definition' {
        $view = (Get-FormatData -TypeName SecureInstall.Core.Catalogs.CatalogAddition).FormatViewDefinition[0].Control.Headers.Label
        $view | Should -Be @('Tool', 'Version', 'Platforms', 'Signature', 'Definition')
    }
}
