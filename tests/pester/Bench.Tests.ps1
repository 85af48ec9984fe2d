#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }

# `pwsh ./build.ps1 -Task Bench` once ran none of the checksum, import or archive benchmarks: it called
# `dotnet run … --` and the program took the lone `--` for a benchmark name that matched nothing.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $root = Resolve-Path (Join-Path $PSScriptRoot '../..')
    # The apphost, not `dotnet x.dll`: the dotnet muxer would swallow the lone `--` these tests pass on purpose.
    $bench = Join-Path $root 'bench/SecureInstall.Bench/bin/Release/net10.0/SecureInstall.Bench'
    if (Test-IsWindows) { $bench += '.exe' }
    function Invoke-Bench {
        $out = & $bench @args 2>&1
        [pscustomobject]@{ ExitCode = $LASTEXITCODE; Text = ($out | Out-String) }
    }
}

Describe 'SecureInstall.Bench arguments' {
    It 'fails loudly, naming the known benchmarks, on an unknown name' {
        $r = Invoke-Bench nosuch
        $r.ExitCode | Should -Be 2
        $r.Text | Should -Match "Unknown benchmark or option 'nosuch'\. Benchmarks: checksums, import, archives"
    }

    It 'treats a lone -- as a separator, not a name: with no name every benchmark runs' {
        # Quoted: a bare -- would end Invoke-Bench's own parameters and never reach the program.
        # Tiny sizes: this checks which benchmarks run, not their figures. Module load needs the built module; it
        # prints its own line either way.
        $r = Invoke-Bench '--' --size-mib 1 --files 8 --repeat 1 --archive-mib 1 --authenticode-mib 1
        $r.ExitCode | Should -Be 0
        $r.Text | Should -Match 'Authenticode: one signed PE of 1 MiB'
        $r.Text | Should -Match 'Test-Checksum core, SHA-256 of 1 MiB'
        $r.Text | Should -Match 'Module load: Import-Module'
        $r.Text | Should -Match 'SafeArchiveExtractor, tar\.gz'
    }
}

Describe 'build.ps1 -Task Bench' {
    It 'passes no benchmark names to the bench programs, so every benchmark runs' {
        $ast = [System.Management.Automation.Language.Parser]::ParseFile((Join-Path $root 'build.ps1'), [ref]$null, [ref]$null)
        $bench = $ast.Find({ param($n) $n -is [System.Management.Automation.Language.FunctionDefinitionAst] -and $n.Name -eq 'Invoke-Bench' }, $true)
        $bench | Should -Not -BeNullOrEmpty
        $runs = @($bench.FindAll({ param($n) $n -is [System.Management.Automation.Language.ArrayLiteralAst] -and $n.Extent.Text -match "'run'" }, $true))
        $runs.Count | Should -Be 3
        foreach ($run in $runs) {
            $last = $run.Elements[$run.Elements.Count - 1].Extent.Text
            $last | Should -Not -Be "'--'" -Because "$($run.Extent.Text) would hand the program a lone '--'"
        }
    }

    It 'hands the bench program nothing but what follows: the first name it sees is the one given after --' {
        # The exact argument list build.ps1 runs, evaluated, with one unknown name after it: the program must name that one.
        # (It once carried '--nologo', which dotnet run passes on, so the Bench task refused '--nologo' and ran nothing.)
        $ast = [System.Management.Automation.Language.Parser]::ParseFile((Join-Path $root 'build.ps1'), [ref]$null, [ref]$null)
        $bench = $ast.Find({ param($n) $n -is [System.Management.Automation.Language.FunctionDefinitionAst] -and $n.Name -eq 'Invoke-Bench' }, $true)
        $run = $bench.Find({ param($n) $n -is [System.Management.Automation.Language.ArrayLiteralAst] -and $n.Extent.Text -match 'SecureInstall\.Bench\.csproj' }, $true)
        $arguments = & ([scriptblock]::Create($run.Extent.Text))
        $text = & dotnet @arguments '--' 'nosuch' 2>&1 | Out-String
        $LASTEXITCODE | Should -Be 2
        $text | Should -Match "Unknown benchmark or option 'nosuch'\."
    }
}
