#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }

# The Native AOT `secureinstall` (issue 23) as a CI runner without .NET gets it: one executable that needs nothing else.
# build.ps1 -Task Test (and -Task Native) builds it into out/native/linux-x64; Cli.Tests.ps1 and FrontEndParity.Tests.ps1
# then run a second time against it (SECUREINSTALL_CLI). These tests check what only the native binary can get wrong.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $native = Join-Path $PSScriptRoot '../../out/native/linux-x64/secureinstall'
    $skip = -not ((Test-IsLinux) -and (Test-Path -LiteralPath $native))
    if ($skip) { Write-Host "NativeCli.Tests.ps1: skipped: $native was not built (./build.ps1 -Task Native needs linux-x64 with clang and lld)." }
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $native = (Resolve-Path (Join-Path $PSScriptRoot '../../out/native/linux-x64/secureinstall') -ErrorAction SilentlyContinue).Path
    # Runs the native binary with an empty environment: no dotnet on PATH, no DOTNET_ROOT, no HOME.
    function Invoke-Bare {
        $out = & env -i 'PATH=/nonexistent' $native @args 2>&1
        [pscustomobject]@{ ExitCode = $LASTEXITCODE; Text = ($out | Out-String) }
    }
}

Describe 'The native secureinstall' -Skip:$skip {
    It 'runs with no .NET installed or on PATH and reports the same version as the managed CLI' {
        $bare = Invoke-Bare --version
        $bare.ExitCode | Should -Be 0
        $managed = & dotnet (Get-CliPath) --version 2>&1 | Out-String
        # The version; the +commit after it is whichever commit each was last built from.
        $bare.Text.Trim() | Should -Match '^[0-9]+\.[0-9]+\.[0-9]+\+[0-9a-f]{40}$'
        ($bare.Text.Trim() -split '\+')[0] | Should -BeExactly ($managed.Trim() -split '\+')[0]
    }

    It 'is one executable: it loads no .NET host or runtime library' {
        $libraries = & ldd $native 2>&1 | Out-String
        $libraries | Should -Not -Match 'hostfxr|coreclr|libclrjit|System\.Native'
        Get-ChildItem -LiteralPath (Split-Path $native) | ForEach-Object Name | Should -Be @('secureinstall')
    }

    It 'verifies a file and refuses a tampered one, with no .NET present (exit 0, then 1 with both digests)' {
        $dir = New-TestFolder
        $file = Join-Path $dir 'tool.bin'
        Write-Fixture $file 'the tool'
        $sha = Get-Sha256 $file
        $ok = Invoke-Bare verify --sha256 $sha $file
        $ok.ExitCode | Should -Be 0
        $ok.Text | Should -Match 'tool\.bin: OK'
        Write-Fixture $file 'the tool, changed'
        $bad = Invoke-Bare verify --sha256 $sha $file
        $bad.ExitCode | Should -Be 1
        $bad.Text | Should -Match "FAILED SHA256 expected $sha"
    }

    It 'reads a manifest (YAML through the representation model, no reflection) and names a bad one ManifestInvalid' {
        $dir = New-TestFolder
        $manifest = Join-Path $dir 'secureinstall.yml'
        Write-Fixture $manifest "tools: [`n"
        $r = Invoke-Bare install --manifest $manifest
        $r.ExitCode | Should -Be 2
        $r.Text | Should -Match 'ManifestInvalid'
    }
}
