#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }

# `secureinstall install-module` and `secureinstall test-module` (issue 22): Install-PinnedModule and Test-PinnedModule for
# bash, run against the loopback HTTPS v3 feed the cmdlet's tests use (TestHelpers.psm1 Start-ModuleFeed). The CLI
# trusts the loopback certificate through SSL_CERT_FILE, set for the child processes only.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $feed = Start-ModuleFeed
    $helperPin = Publish-ModulePackage -Feed $feed -Id 'Helper' -Version '1.0.0' -Bytes (New-ModulePackage 'Helper' '1.0.0')
    $greeterPin = Publish-ModulePackage -Feed $feed -Id 'Greeter' -Version '1.2.0' -Bytes (New-ModulePackage 'Greeter' '1.2.0' -Dependencies @{ Helper = '[1.0.0]' })
    $liarPin = Publish-ModulePackage -Feed $feed -Id 'Liar' -Version '2.0.0' -Bytes (New-ModulePackage 'Liar' '2.0.0' -ModuleVersion '2.0.1')

    # A manifest in a fresh folder (the lock goes beside it), with SECUREINSTALL_HOME and the cache under it.
    function New-ModuleWorkspace([string]$Modules) {
        $dir = New-TestFolder
        Write-Fixture (Join-Path $dir 'tools.yml') "modules:`n$Modules"
        Set-TestEnvironment SSL_CERT_FILE $feed.Pem
        Set-TestEnvironment SECUREINSTALL_HOME (Join-Path $dir 'home')
        Set-TestEnvironment SECUREINSTALL_CACHE (Join-Path $dir 'cache')
        [pscustomobject]@{ Manifest = (Join-Path $dir 'tools.yml'); ModulePath = (Join-Path $dir 'Modules'); Lock = (Join-Path $dir 'secureinstall.lock.json') }
    }
}

AfterAll {
    Stop-LoopbackServer $feed.Server
}

Describe 'secureinstall install-module' {
    AfterEach { Restore-TestEnvironment }

    It 'installs a module and its pinned dependency as Name/Version, prints each, and records both in the lock' {
        $w = New-ModuleWorkspace ($greeterPin + $helperPin)
        $run = Invoke-Cli install-module --manifest $w.Manifest --module-path $w.ModulePath Greeter
        $run.ExitCode | Should -Be 0 -Because $run.Text
        $run.Text | Should -Match 'Helper 1\.0\.0: installed to .*; sha512 [0-9a-f]{128} verified \(a dependency\)'
        $run.Text | Should -Match 'Greeter 1\.2\.0: installed to '
        @(Get-ChildItem -LiteralPath (Join-Path $w.ModulePath 'Greeter/1.2.0') -Force).Name | Sort-Object | Should -Be @('Greeter.psd1', 'Greeter.psm1')
        $lock = Get-Content -Raw -LiteralPath $w.Lock | ConvertFrom-Json
        $lock.modules.Greeter.'1.2.0'.dependencies | Should -Be @('Helper 1.0.0')
        $lock.modules.Helper.'1.0.0'.sha512 | Should -BeExactly (Get-Sha512Hex $feed.Packages['Helper 1.0.0'])

        $again = Invoke-Cli install-module --manifest $w.Manifest --module-path $w.ModulePath
        $again.ExitCode | Should -Be 0 -Because $again.Text
        $again.Text | Should -Match 'Greeter 1\.2\.0: already installed, verified \(sha256:[0-9a-f]{64}\)'
    }

    It 'refuses <What> with <Id> (exit <Exit>) and installs nothing' -TestCases @(
        @{ What = 'a .nupkg whose SHA-512 differs from the pin'; Id = 'ChecksumMismatch'; Exit = 1; Pins = { $helperPin -replace 'sha512: "[0-9a-f]{4}', 'sha512: "0000' } }
        @{ What = 'a dependency the manifest does not pin'; Id = 'ModuleDependencyNotPinned'; Exit = 2; Pins = { $greeterPin } }
        @{ What = 'a package whose .psd1 names another version'; Id = 'ModuleIdentityMismatch'; Exit = 1; Pins = { $liarPin } }
    ) {
        $w = New-ModuleWorkspace (& $Pins)
        $run = Invoke-Cli install-module --manifest $w.Manifest --module-path $w.ModulePath
        $run.ExitCode | Should -Be $Exit -Because $run.Text
        $run.Text | Should -Match "(?m)^secureinstall: ${Id}: "
        # Under build.ps1's Set-StrictMode 3, .FullName of an empty array throws: list the names one by one.
        Get-ChildItem -LiteralPath $w.ModulePath -Recurse -Force -ErrorAction SilentlyContinue | ForEach-Object { $_.FullName } | Should -BeNullOrEmpty
        Test-Path -LiteralPath $w.Lock | Should -BeFalse
    }

    It 'sends the token from the variable --feed-token-env names to the feed, and never reads a secret from the command line' {
        $w = New-ModuleWorkspace $helperPin
        Set-TestEnvironment SI_TEST_FEED_TOKEN 'feed-secret-cli'
        $run = Invoke-Cli install-module --manifest $w.Manifest --module-path $w.ModulePath --feed-token-env SI_TEST_FEED_TOKEN
        $run.ExitCode | Should -Be 0 -Because $run.Text
        @($feed.Server.Heads | Where-Object { $_ -like 'GET /v3/flat/helper/1.0.0/helper.1.0.0.nupkg *' })[-1] | Should -Match 'Authorization: Bearer feed-secret-cli'
        $run.Text | Should -Not -Match 'feed-secret-cli'
        (Invoke-Cli install-module --help).Text | Should -Not -Match '--feed-token\s'
    }

    It 'an unset --feed-token-env variable is bad input (TokenInvalid, exit 2), not an anonymous request' {
        $w = New-ModuleWorkspace $helperPin
        $run = Invoke-Cli install-module --manifest $w.Manifest --module-path $w.ModulePath --feed-token-env SI_TEST_NO_SUCH_VARIABLE
        $run.ExitCode | Should -Be 2
        $run.Text | Should -Match '(?m)^secureinstall: TokenInvalid: .*SI_TEST_NO_SUCH_VARIABLE'
    }
}

Describe 'secureinstall test-module' {
    AfterEach { Restore-TestEnvironment }

    It 'verifies an installed module (exit 0), names a changed file (InstalledTreeTampered, exit 1), and a module the lock does not record (NotInstalled, exit 1)' {
        $w = New-ModuleWorkspace $helperPin
        (Invoke-Cli install-module --manifest $w.Manifest --module-path $w.ModulePath).ExitCode | Should -Be 0
        Set-TestEnvironment PSModulePath $w.ModulePath
        $ok = Invoke-Cli test-module --manifest $w.Manifest --module-path $w.ModulePath
        $ok.ExitCode | Should -Be 0 -Because $ok.Text
        $ok.Text | Should -Match 'Helper 1\.0\.0: OK sha256:[0-9a-f]{64}'

        Add-Content -LiteralPath (Join-Path $w.ModulePath 'Helper/1.0.0/Helper.psm1') -Value 'Invoke-Evil'
        $bad = Invoke-Cli test-module --manifest $w.Manifest --module-path $w.ModulePath
        $bad.ExitCode | Should -Be 1
        $bad.Text | Should -Match '(?m)^secureinstall: InstalledTreeTampered: .*Helper\.psm1'
        $bad.Text | Should -Match "secureinstall install-module --force"

        $none = Invoke-Cli test-module --manifest $w.Manifest --module-path $w.ModulePath Nope
        $none.ExitCode | Should -Be 1
        $none.Text | Should -Match "(?m)^secureinstall: NotInstalled: .*records no module 'Nope'"
    }

    It 'names a copy earlier on PSModulePath that shadows the pinned module (ModuleShadowed, exit 1)' {
        $w = New-ModuleWorkspace $helperPin
        (Invoke-Cli install-module --manifest $w.Manifest --module-path $w.ModulePath).ExitCode | Should -Be 0
        $earlier = New-TestFolder
        Write-Fixture (Join-Path $earlier 'Helper/9.9.9/Helper.psd1') "@{ ModuleVersion = '9.9.9' }"
        Set-TestEnvironment PSModulePath ($earlier + [IO.Path]::PathSeparator + $w.ModulePath)
        $run = Invoke-Cli test-module --manifest $w.Manifest --module-path $w.ModulePath
        $run.ExitCode | Should -Be 1
        $run.Text | Should -Match '(?m)^secureinstall: ModuleShadowed: .*9\.9\.9'
    }
}

Describe 'secureinstall update-module' {
    BeforeAll {
        $null = Publish-ModulePackage -Feed $feed -Id 'Lib' -Version '1.0.0' -Bytes (New-ModulePackage 'Lib' '1.0.0')
        $null = Publish-ModulePackage -Feed $feed -Id 'Lib' -Version '1.5.0' -Bytes (New-ModulePackage 'Lib' '1.5.0')
        $null = Publish-ModulePackage -Feed $feed -Id 'Lib' -Version '2.0.0' -Bytes (New-ModulePackage 'Lib' '2.0.0')
        $null = Publish-ModulePackage -Feed $feed -Id 'Tool' -Version '2.1.0' -Bytes (New-ModulePackage 'Tool' '2.1.0' -Dependencies @{ Lib = '[1.0.0,2.0.0)' })
    }
    AfterEach { Restore-TestEnvironment }

    It 'pins the highest module and its dependency at the highest version in range from a <Kind> feed; --what-if writes nothing' -TestCases @(
        @{ Kind = 'v3'; Source = { $feed.Index } }
        @{ Kind = 'v2'; Source = { "$($feed.Base)/api/v2" } }
    ) {
        $w = New-ModuleWorkspace "  Lib:   # keep me`n    version: `"1.0.0`"`n    sha512: `"$(Get-Sha512Hex $feed.Packages['Lib 1.0.0'])`"`n    source: $(& $Source)`n"
        $before = Get-Content -Raw -LiteralPath $w.Manifest
        $dry = Invoke-Cli update-module --manifest $w.Manifest Tool --source (& $Source) --what-if
        $dry.ExitCode | Should -Be 0 -Because $dry.Text
        $dry.Text | Should -Match 'what if: Tool 2\.1\.0: pinned'
        $dry.Text | Should -Match 'what if: Lib 1\.5\.0: 1\.0\.0 -> 1\.5\.0'
        Get-Content -Raw -LiteralPath $w.Manifest | Should -BeExactly $before

        $run = Invoke-Cli update-module --manifest $w.Manifest Tool --source (& $Source)
        $run.ExitCode | Should -Be 0 -Because $run.Text
        $after = Get-Content -Raw -LiteralPath $w.Manifest
        $after | Should -Match '  Lib:   # keep me'
        $after | Should -Match ([regex]::Escape("sha512: `"$(Get-Sha512Hex $feed.Packages['Lib 1.5.0'])`""))
        $after | Should -Match ([regex]::Escape("  Tool:`n    version: `"2.1.0`"`n    sha512: `"$(Get-Sha512Hex $feed.Packages['Tool 2.1.0'])`""))
        (Invoke-Cli install-module --manifest $w.Manifest --module-path $w.ModulePath Tool).ExitCode | Should -Be 0
    }

    It 'refuses a republished package under a pinned version (PinnedDigestChanged, exit 1) and leaves the manifest as it was' {
        $w = New-ModuleWorkspace "  Lib:`n    version: `"1.0.0`"`n    sha512: `"$('ab' * 64)`"`n    source: $($feed.Index)`n"
        $before = Get-Content -Raw -LiteralPath $w.Manifest
        $run = Invoke-Cli update-module --manifest $w.Manifest Lib --version 1.0.0
        $run.ExitCode | Should -Be 1
        $run.Text | Should -Match '(?m)^secureinstall: PinnedDigestChanged: '
        Get-Content -Raw -LiteralPath $w.Manifest | Should -BeExactly $before
    }
}
