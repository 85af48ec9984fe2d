#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }

# The GitHub Action (action.yml, issue 23). GitHub Actions cannot run here, so: action.yml is validated against the
# action metadata schema (@action-validator/cli, pinned in .ci/action-validator, installed by .ci/run), its references
# are checked against what action/steps.sh writes, and the steps themselves run as the runner would run them, under
# dash, with RUNNER_TEMP and the GITHUB_ENV/GITHUB_PATH/GITHUB_OUTPUT files in a temporary folder: install.sh and the
# real native binary come from an HTTPS loopback release, the tools from the sample manifest.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $validator = Join-Path $root '.ci/action-validator/node_modules/.bin/action-validator'
    $noValidator = -not (Test-Path -LiteralPath $validator)
    if ($noValidator) { Write-Host 'Action.Tests.ps1: @action-validator/cli is not installed (npm ci --prefix .ci/action-validator; .ci/run does where npm exists): the schema check is skipped.' }
    $native = Join-Path $root 'out/native/linux-x64/secureinstall'
    $noRun = -not ((Test-IsLinux) -and (Test-Path -LiteralPath $native) -and (Get-Command dash -ErrorAction SilentlyContinue) -and (Get-Command curl -ErrorAction SilentlyContinue))
    if ($noRun) { Write-Host "Action.Tests.ps1: the steps are not run: they need linux-x64, dash, curl and the native binary ($native; ./build.ps1 -Task Native)." }
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $action = Get-Content -LiteralPath (Join-Path $root 'action.yml') -Raw
    $steps = Join-Path $root 'action/steps.sh'
    $stepsText = Get-Content -LiteralPath $steps -Raw
}

Describe 'action.yml' {
    It 'is valid action metadata (action-validator)' -Skip:$noValidator {
        $out = & (Join-Path $root '.ci/action-validator/node_modules/.bin/action-validator') (Join-Path $root 'action.yml') 2>&1 | Out-String
        $LASTEXITCODE | Should -Be 0 -Because $out
    }

    It 'is a composite action whose every step runs action/steps.sh, or a third-party action pinned by commit' {
        $action | Should -Match '(?m)^  using: composite$'
        $uses = @([regex]::Matches($action, '(?m)^\s*(?:- )?uses: (\S+)') | ForEach-Object { $_.Groups[1].Value })
        $uses | Should -Not -BeNullOrEmpty
        foreach ($u in $uses) { $u | Should -Match '^[\w.-]+/[\w.-]+@[0-9a-f]{40}$' -Because "$u must be pinned by commit SHA" }
        @([regex]::Matches($action, '(?m)^\s*run: (.+)$') | ForEach-Object { $_.Groups[1].Value }) |
            ForEach-Object { $_ | Should -Match '^sh "\$GITHUB_ACTION_PATH/action/steps\.sh" (setup|install-cli|install)$' }
    }

    It 'uses only inputs it declares, and only step outputs steps.sh writes' {
        $declared = @([regex]::Matches(($action -split '(?m)^outputs:')[0], '(?m)^  ([a-z-]+):$') | ForEach-Object { $_.Groups[1].Value })
        $declared | Should -Contain 'manifest'
        $declared | Should -Contain 'registry'
        $declared | Should -Contain 'platform'
        foreach ($m in [regex]::Matches($action, '\$\{\{ inputs\.([a-z-]+) \}\}')) { $declared | Should -Contain $m.Groups[1].Value }
        foreach ($m in [regex]::Matches($action, 'steps\.setup\.outputs\.([a-z-]+)')) {
            $stepsText | Should -Match ("printf '{0}=" -f [regex]::Escape($m.Groups[1].Value))
        }
    }

    It 'fetches install.sh from this version''s release, as the README''s sh one-liner does (the release workflow checks both against the tag)' {
        $version = (Import-PowerShellDataFile (Join-Path $root 'SecureInstall.psd1')).ModuleVersion
        $action | Should -Match ("(?m)^    default: https://\S+/releases/download/v{0}/install\.sh$" -f [regex]::Escape($version))
        Get-Content -LiteralPath (Join-Path $root 'README.md') -Raw | Should -Match ("\(u='https://\S+/releases/download/v{0}/install\.sh'" -f [regex]::Escape($version))
        $workflow = Get-Content -LiteralPath (Join-Path $root '.github/workflows/release.yml') -Raw
        $workflow | Should -Match ([regex]::Escape('/releases/download/v$version/install.sh$" action.yml'))
    }

    It 'steps.sh is POSIX sh: clean under shellcheck -s sh' -Skip:(-not (Get-Command shellcheck -ErrorAction SilentlyContinue)) {
        $out = & shellcheck -s sh $steps 2>&1 | Out-String
        $LASTEXITCODE | Should -Be 0 -Because $out
    }
}

Describe 'The action''s steps, run as the runner runs them' -Skip:$noRun {
    BeforeAll {
        $releaseTool = Get-ChildItem -Path (Join-Path $root 'tools/SecureInstall.Release/bin') -Recurse -Filter SecureInstall.Release.dll |
            Sort-Object LastWriteTimeUtc -Descending | Select-Object -First 1
        $binary = [System.IO.File]::ReadAllBytes((Join-Path $root 'out/native/linux-x64/secureinstall'))
        $pem = Join-Path $TestDrive 'loopback-ca.pem'
        $certificate = New-LoopbackCertificate -PemPath $pem
        $server = Start-LoopbackServer -Certificate $certificate -Routes @{}
        $server.Routes['/r/secureinstall-linux-x64'] = @{ Body = $binary }
        $stamped = Join-Path $TestDrive 'install.sh'
        & dotnet $releaseTool.FullName stamp-sh --script (Join-Path $root 'install.sh') --output $stamped --version 9.9.9 `
            --base-uri "$($server.Base)/r/" --sha256-linux-x64 (Get-Sha256Hex $binary)
        if ($LASTEXITCODE -ne 0) { throw 'stamping install.sh failed' }
        $server.Routes['/r/install.sh'] = @{ Body = [System.IO.File]::ReadAllBytes($stamped) }
        $installSha = Get-Sha256 $stamped

        # The sample manifest and its bundled artifacts, copied so that the lock the install writes lands in TestDrive.
        $tools = Join-Path $TestDrive 'repo/tools'
        $null = New-Item -ItemType Directory -Path (Split-Path $tools)
        Copy-Item -Recurse -LiteralPath (Join-Path $root 'samples/tools') -Destination $tools
        Remove-Item -LiteralPath (Join-Path $tools 'secureinstall.lock.json') -ErrorAction SilentlyContinue
        $manifest = Join-Path $tools 'secureinstall.yml'

        $runner = Join-Path $TestDrive 'runner'
        $null = New-Item -ItemType Directory -Path $runner
        $files = @{ GITHUB_ENV = (Join-Path $runner 'env'); GITHUB_PATH = (Join-Path $runner 'path'); GITHUB_OUTPUT = (Join-Path $runner 'output') }
        function Invoke-Step([string]$Phase, [hashtable]$Extra = @{}) {
            $environment = @{ RUNNER_TEMP = (Join-Path $runner 'temp'); RUNNER_OS = 'Linux'; RUNNER_ARCH = 'X64'; HOME = (Join-Path $runner 'home')
                PATH = '/usr/bin:/bin'; CURL_CA_BUNDLE = $pem; SSL_CERT_FILE = $pem; INPUT_MANIFEST = $manifest; INPUT_REGISTRY = ''; INPUT_PLATFORM = '' }
            foreach ($k in $files.Keys) { $environment[$k] = $files[$k] }
            foreach ($k in $Extra.Keys) { $environment[$k] = $Extra[$k] }
            Invoke-ChildProcess -FilePath 'dash' -ArgumentList @($steps, $Phase) -Environment $environment -TimeoutSeconds 120
        }
        function Read-Outputs {
            $map = @{}
            foreach ($line in Get-Content -LiteralPath $files.GITHUB_OUTPUT) { $k, $v = $line -split '=', 2; $map[$k] = $v }
            $map
        }
        function Reset-Runner {
            foreach ($f in $files.Values) { Set-Content -LiteralPath $f -Value $null -NoNewline }
            foreach ($d in 'temp', 'home') { $null = New-Item -ItemType Directory -Force -Path (Join-Path $runner $d) }
        }
        Reset-Runner
    }

    AfterAll {
        if ($server) { Stop-LoopbackServer $server }
    }

    It 'setup, install-cli, install: the native CLI installs the pinned tool, its shim folder goes onto GITHUB_PATH' {
        $r = Invoke-Step setup
        $r.ExitCode | Should -Be 0 -Because $r.Text
        $out = Read-Outputs
        $out['locked'] | Should -Be 'false' -Because 'there is no lock yet'
        $out['cache-key'] | Should -Be '' -Because 'without a lock there is nothing to key the cache by'
        Get-Content -LiteralPath $files.GITHUB_ENV | Should -Contain "SECUREINSTALL_HOME=$runner/temp/secureinstall"

        $r = Invoke-Step install-cli @{ INSTALL_SH_URI = "$($server.Base)/r/install.sh"; INSTALL_SH_SHA256 = $installSha }
        $r.ExitCode | Should -Be 0 -Because $r.Text
        Get-Sha256 "$runner/temp/secureinstall-cli/bin/secureinstall" | Should -Be (Get-Sha256Hex $binary)

        $r = Invoke-Step install @{ LOCKED = $out['locked'] }
        $r.ExitCode | Should -Be 0 -Because $r.Text
        $path = @(Get-Content -LiteralPath $files.GITHUB_PATH)
        $path | Should -Be @("$runner/temp/secureinstall-cli/bin", "$runner/temp/secureinstall/tools/bin")
        & "$runner/temp/secureinstall/tools/bin/hello" | Out-String | Should -Match 'hello'
        Test-Path -LiteralPath (Join-Path $tools 'secureinstall.lock.json') | Should -BeTrue
    }

    It 'with the lock written, setup keys the cache by the lock''s SHA-256 and the install runs --locked' {
        Reset-Runner
        $r = Invoke-Step setup
        $r.ExitCode | Should -Be 0 -Because $r.Text
        $out = Read-Outputs
        $out['locked'] | Should -Be 'true'
        $out['cache-key'] | Should -Be ('secureinstall-Linux-X64-' + (Get-Sha256 (Join-Path $tools 'secureinstall.lock.json')))
        $out['cache-path'] | Should -Be "$runner/temp/secureinstall/cache"
        $out['bin'] | Should -Be "$runner/temp/secureinstall/tools/bin"
        $r = Invoke-Step install @{ LOCKED = 'true' }
        $r.ExitCode | Should -Be 0 -Because $r.Text
    }

    It 'fills the cache-path actions/cache saves, even when the workflow points SECUREINSTALL_CACHE elsewhere' {
        Reset-Runner
        $cachePath = "$runner/temp/secureinstall/cache"
        # A fresh runner: neither the tools nor the cache are there yet.
        Remove-Item -LiteralPath "$runner/temp/secureinstall" -Recurse -Force -ErrorAction SilentlyContinue
        $elsewhere = Join-Path $TestDrive 'workflow-cache'
        $r = Invoke-Step setup
        $r.ExitCode | Should -Be 0 -Because $r.Text
        (Read-Outputs)['cache-path'] | Should -Be $cachePath
        $r = Invoke-Step install @{ LOCKED = 'true'; SECUREINSTALL_CACHE = $elsewhere }
        $r.ExitCode | Should -Be 0 -Because $r.Text
        @(Get-ChildItem -LiteralPath $cachePath -Recurse -File).Count | Should -BeGreaterThan 0 -Because 'the pinned artifacts are cached where the cache step looks'
        Test-Path -LiteralPath $elsewhere | Should -BeFalse
    }

    It 'refuses an install.sh that does not hash to the pin, and runs nothing (exit 1)' {
        Reset-Runner
        Remove-Item -Recurse -Force -LiteralPath "$runner/temp/secureinstall-cli" -ErrorAction SilentlyContinue
        $r = Invoke-Step install-cli @{ INSTALL_SH_URI = "$($server.Base)/r/install.sh"; INSTALL_SH_SHA256 = ('0' * 64) }
        $r.ExitCode | Should -Be 1
        $r.Text | Should -Match "ChecksumMismatch: .* hashes to $installSha, not the pinned 0{64}: not run"
        Test-Path -LiteralPath "$runner/temp/secureinstall-cli" | Should -BeFalse
        @(Get-Content -LiteralPath $files.GITHUB_PATH).Count | Should -Be 0
    }

    It 'refuses the placeholder pin of an unreleased action.yml before any download' {
        $placeholder = [regex]::Match($action, "(?ms)install-script-sha256:.*?default: (.+?)$").Groups[1].Value.Trim()
        $before = $server.Requests.Count
        $r = Invoke-Step install-cli @{ INSTALL_SH_URI = "$($server.Base)/r/install.sh"; INSTALL_SH_SHA256 = $placeholder }
        $r.ExitCode | Should -Be 1
        $r.Text | Should -Match 'was not released'
        $server.Requests.Count | Should -Be $before
    }

    It 'refuses a manifest that is not there, and a platform that is not os-arch (exit 1, ::error)' {
        $r = Invoke-Step setup @{ INPUT_MANIFEST = (Join-Path $TestDrive 'nope.yml') }
        $r.ExitCode | Should -Be 1
        $r.Out | Should -Match '::error title=SecureInstall::the manifest .*nope\.yml is not a file'
        $r = Invoke-Step setup @{ INPUT_PLATFORM = 'linux x64; rm -rf /' }
        $r.ExitCode | Should -Be 1
        $r.Out | Should -Match 'is not os-arch'
    }

    It 'keeps an input''s line breaks out of the ::error command: no workflow command of its own (escaped as %0A, %0D, %25)' {
        $r = Invoke-Step setup @{ INPUT_MANIFEST = "tools 50%`n::add-mask::secret`r`n::stop-commands::x" }
        $r.ExitCode | Should -Be 1
        $lines = @($r.Out -split "`n" | Where-Object { $_ -like '::*' })
        $lines.Count | Should -Be 1
        $lines[0] | Should -BeExactly '::error title=SecureInstall::the manifest tools 50%25%0A::add-mask::secret%0D%0A::stop-commands::x is not a file.'
    }
}
