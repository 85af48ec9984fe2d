#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }

# Issue 23: the pins of a release (README.md's one-liners, action.yml's install.sh digest) are committed after the assets
# are built, and the tag is on that commit. The release build therefore compiles in, and dates its archives by, the last
# commit outside those files (tools/SecureInstall.Release `source`): with HEAD's SHA and time, committing the pins would
# change every asset and the release workflow's pin checks could never pass. Checked here on a scratch git repository.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $noGit = -not (Get-Command git -CommandType Application -ErrorAction SilentlyContinue)
    if ($noGit) { Write-Host 'ReleaseSource.Tests.ps1: git is not on PATH; skipped.' }
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $tool = Get-ReleaseToolPath
    if (-not $tool) { throw 'Build first: tools/SecureInstall.Release answers `source`.' }
    $repo = New-TestFolder
    function Invoke-Git {
        $out = & git -C $repo -c user.name=test -c user.email=test@example.invalid -c commit.gpgsign=false @args 2>&1
        if ($LASTEXITCODE -ne 0) { throw "git $args failed: $out" }
        $out
    }
    # One commit at a given time, changing one file.
    function Add-Commit([string]$File, [string]$Text, [long]$Epoch) {
        Write-Fixture (Join-Path $repo $File) $Text
        $env:GIT_COMMITTER_DATE = "@$Epoch +0000"
        try { $null = Invoke-Git add -A; $null = Invoke-Git commit -q --date "@$Epoch +0000" -m $File }
        finally { Remove-Item Env:GIT_COMMITTER_DATE }
        (Invoke-Git rev-parse HEAD).Trim()
    }
    function Get-Source {
        $out = & dotnet $tool source --root $repo 2>&1
        $LASTEXITCODE | Should -Be 0 -Because ($out | Out-String)
        ($out | Select-Object -Last 1).Trim()
    }
}

Describe 'tools/SecureInstall.Release source' {
    It 'names the last commit outside README.md and action.yml, and its time, whatever pin commits follow it' -Skip:$noGit {
        $null = Invoke-Git init -q
        $null = Add-Commit 'src.txt' 'code' 1700000000
        $code = Add-Commit 'install.sh' 'script' 1700000100
        Get-Source | Should -BeExactly "$code 1700000100"
        # Recording the pins, then recording them again: the build is still the one of the code commit.
        $null = Add-Commit 'README.md' "pin='aaaa'" 1700000200
        $null = Add-Commit 'action.yml' 'default: aaaa' 1700000300
        Get-Source | Should -BeExactly "$code 1700000100"
        # A change anywhere else is a new build.
        $next = Add-Commit 'src.txt' 'code 2' 1700000400
        Get-Source | Should -BeExactly "$next 1700000400"
    }
}
