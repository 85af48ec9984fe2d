#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }

# Install-PinnedModule against real NuGet feeds served on loopback HTTPS: a v3 feed (static service index + flat
# container) and a v2-style endpoint (/api/v2/package/<id>/<version>), holding .nupkg files built here (a zip with a
# .nuspec, the module's .psd1/.psm1 and NuGet's packaging parts). The installs run in a child pwsh that trusts the
# loopback certificate through SSL_CERT_FILE; the installed modules are imported in another child with
# Import-Module -RequiredVersion. SecureInstall's own Gallery package is installed the same way in Release.Tests.ps1,
# which builds the release once.
BeforeDiscovery { Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force }

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot '../../SecureInstall.psd1') -Force
    $root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $pwsh = (Get-Process -Id $PID).Path
    $utf8 = [System.Text.UTF8Encoding]::new($false)

    # The loopback v3 feed (service index + flat container) and the package builder are shared with the CLI's module verbs (TestHelpers.psm1).
    $feed = Start-ModuleFeed
    $pem = $feed.Pem
    $certificate = $feed.Certificate
    $server = $feed.Server
    $base = $feed.Base
    $packages = $feed.Packages
    function Publish-Package([string]$Id, [string]$Version, [byte[]]$Bytes, [string]$Source = "$base/v3/index.json") { Publish-ModulePackage -Feed $feed -Id $Id -Version $Version -Bytes $Bytes -Source $Source }

    # Runs Install-PinnedModule in a child pwsh (trusting the loopback certificate); returns its results and errors.
    function Invoke-ModuleInstall([string]$Modules, [string]$Arguments = '', [hashtable]$Environment = @{}, [string]$Folder) {
        $dir = if ($Folder) { $Folder } else { New-TestFolder }
        $manifest = Join-Path $dir 'tools.yml'
        Write-Fixture $manifest "modules:`n$Modules"
        $modulePath = Join-Path $dir 'Modules'
        $code = "Import-Module '$root/SecureInstall.psd1'`n" +
            "`$r = @(Install-PinnedModule -Manifest '$manifest' -ModulePath '$modulePath' $Arguments -ErrorVariable ev -ErrorAction SilentlyContinue)`n" +
            "[pscustomobject]@{ Results = @(`$r | Select-Object Name, Version, @{ n = 'Status'; e = { `"`$(`$_.Status)`" } }, Path, Dependencies, IsDependency, Signature, Catalogs); Errors = @(`$ev | ForEach-Object { [pscustomobject]@{ Id = `$_.FullyQualifiedErrorId; Category = `"`$(`$_.CategoryInfo.Category)`"; Message = `$_.Exception.Message } }) } | ConvertTo-Json -Depth 5"
        $env = @{ SSL_CERT_FILE = $pem; SECUREINSTALL_HOME = (Join-Path $dir 'home'); SECUREINSTALL_CACHE = (Join-Path $dir 'cache') }
        foreach ($k in $Environment.Keys) { $env[$k] = $Environment[$k] }
        $child = Invoke-ChildProcess -FilePath $pwsh -ArgumentList @('-NoProfile', '-NonInteractive', '-Command', $code) -Environment $env -TimeoutSeconds 180
        $child.ExitCode | Should -Be 0 -Because $child.Text
        $out = $child.Out | ConvertFrom-Json
        [pscustomobject]@{ Results = @($out.Results); Errors = @($out.Errors); ModulePath = $modulePath; Lock = (Join-Path $dir 'secureinstall.lock.json'); Folder = $dir; Text = $child.Text }
    }

    $helperPin = Publish-Package 'Helper' '1.0.0' (New-ModulePackage 'Helper' '1.0.0')
    $greeterPin = Publish-Package 'Greeter' '1.2.0' (New-ModulePackage 'Greeter' '1.2.0' -Dependencies @{ Helper = '[1.0.0]' })
}

AfterAll {
    Stop-LoopbackServer $server
}

Describe 'Install-PinnedModule from a NuGet v3 feed' {
    It 'installs the module and its pinned dependency as Name/Version, without the packaging parts, and they import with -RequiredVersion' {
        $run = Invoke-ModuleInstall ($greeterPin + $helperPin) '-Name Greeter'
        $run.Errors | Should -BeNullOrEmpty -Because $run.Text
        $run.Results.Name | Should -Be @('Helper', 'Greeter')
        $run.Results.IsDependency | Should -Be @($true, $false)
        $run.Results[1].Dependencies | Should -Be @('Helper 1.0.0')
        $installed = Join-Path $run.ModulePath 'Greeter/1.2.0'
        @(Get-ChildItem -LiteralPath $installed -Force).Name | Sort-Object | Should -Be @('Greeter.psd1', 'Greeter.psm1')
        Test-Path -LiteralPath (Join-Path $run.ModulePath 'Helper/1.0.0/Helper.psd1') | Should -BeTrue

        # The dependency pin is what makes the import work: Greeter's RequiredModules loads Helper from the same path.
        $import = "`$env:PSModulePath = '$($run.ModulePath)' + [IO.Path]::PathSeparator + `$env:PSModulePath; Import-Module Greeter -RequiredVersion 1.2.0 -ErrorAction Stop; Get-Greeter; Get-Helper; (Get-Module Helper).Version.ToString()"
        $child = Invoke-ChildProcess -FilePath $pwsh -ArgumentList @('-NoProfile', '-NonInteractive', '-Command', $import)
        $child.ExitCode | Should -Be 0 -Because $child.Text
        $child.Out.Trim() -split '\r?\n' | Should -Be @('Greeter 1.2.0', 'Helper 1.0.0', '1.0.0')
    }

    It 'records version, sha512, source, tree digest and dependencies in the lock''s modules section, and no machine path' {
        $run = Invoke-ModuleInstall ($greeterPin + $helperPin)
        $text = Get-Content -Raw -LiteralPath $run.Lock
        $lock = $text | ConvertFrom-Json
        $lock.modules.Greeter.'1.2.0'.sha512 | Should -BeExactly (Get-Sha512Hex $packages['Greeter 1.2.0'])
        $lock.modules.Greeter.'1.2.0'.source | Should -BeExactly "$base/v3/index.json"
        $lock.modules.Greeter.'1.2.0'.treeDigest | Should -Match '^sha256:[0-9a-f]{64}$'
        $lock.modules.Greeter.'1.2.0'.dependencies | Should -Be @('Helper 1.0.0')
        $lock.modules.Helper.'1.0.0'.sha512 | Should -BeExactly (Get-Sha512Hex $packages['Helper 1.0.0'])
        $text | Should -Not -Match ([regex]::Escape($run.Folder))
    }

    It 'accepts the base64 SHA-512 NuGet writes' {
        $sha = [System.Security.Cryptography.SHA512]::Create()
        $b64 = [Convert]::ToBase64String($sha.ComputeHash($packages['Helper 1.0.0'])); $sha.Dispose()
        $run = Invoke-ModuleInstall "  Helper:`n    version: `"1.0.0`"`n    sha512: `"$b64`"`n    source: $base/v3/index.json`n"
        $run.Errors | Should -BeNullOrEmpty -Because $run.Text
        $run.Results.Status | Should -Be 'Installed'
    }
}

Describe 'Install-PinnedModule refuses bad input and leaves nothing installed' {
    It 'a .nupkg whose SHA-512 differs from the pin: ChecksumMismatch' {
        $pin = $helperPin -replace 'sha512: "[0-9a-f]{4}', 'sha512: "0000'
        $run = Invoke-ModuleInstall $pin
        $run.Errors.Id | Should -Be 'ChecksumMismatch,SecureInstall.Commands.InstallPinnedModuleCommand'
        $run.Errors[0].Category | Should -Be 'SecurityError'
        Test-Path -LiteralPath (Join-Path $run.ModulePath 'Helper/1.0.0') | Should -BeFalse
        Test-Path -LiteralPath $run.Lock | Should -BeFalse
    }

    It 'a package whose .psd1 names another version: ModuleIdentityMismatch' {
        $pin = Publish-Package 'Liar' '2.0.0' (New-ModulePackage 'Liar' '2.0.0' -ModuleVersion '2.0.1')
        $run = Invoke-ModuleInstall $pin
        $run.Errors.Id | Should -Be 'ModuleIdentityMismatch,SecureInstall.Commands.InstallPinnedModuleCommand'
        $run.Errors[0].Message | Should -Match "ModuleVersion '2\.0\.1'"
        @(Get-ChildItem -LiteralPath $run.ModulePath -Recurse -Force -ErrorAction SilentlyContinue | ForEach-Object { $_.FullName }) | Should -BeNullOrEmpty -Because 'a refused module leaves no file, staging or empty folder'
    }

    It 'a package whose .nuspec names another module: ModuleIdentityMismatch' {
        $pin = Publish-Package 'Imposter' '1.0.0' (New-ModulePackage 'Imposter' '1.0.0' -NuspecId 'Helper')
        $run = Invoke-ModuleInstall $pin
        $run.Errors.Id | Should -Be 'ModuleIdentityMismatch,SecureInstall.Commands.InstallPinnedModuleCommand'
    }

    It 'a zip-slip entry inside the .nupkg: UnsafeArchiveEntry, nothing written outside' {
        $pin = Publish-Package 'Slip' '1.0.0' (New-ModulePackage 'Slip' '1.0.0' -Extra @{ '../../escaped.ps1' = 'owned' })
        $run = Invoke-ModuleInstall $pin
        $run.Errors.Id | Should -Be 'UnsafeArchiveEntry,SecureInstall.Commands.InstallPinnedModuleCommand'
        @(Get-ChildItem -LiteralPath $run.Folder -Recurse -Filter 'escaped.ps1').Count | Should -Be 0
        @(Get-ChildItem -LiteralPath $run.ModulePath -Recurse -Force -ErrorAction SilentlyContinue | ForEach-Object { $_.FullName }) | Should -BeNullOrEmpty
    }

    It 'a dependency the manifest does not pin: ModuleDependencyNotPinned naming it, and neither module is installed' {
        $before = $server.Requests.Count
        $run = Invoke-ModuleInstall $greeterPin
        $run.Errors.Id | Should -Be 'ModuleDependencyNotPinned,SecureInstall.Commands.InstallPinnedModuleCommand'
        $run.Errors[0].Message | Should -Match 'depends on Helper \[1\.0\.0\], which .* does not pin'
        Test-Path -LiteralPath (Join-Path $run.ModulePath 'Greeter/1.2.0') | Should -BeFalse
        @($server.Requests)[$before..($server.Requests.Count - 1)] | Should -Not -Contain '/v3/flat/helper/1.0.0/helper.1.0.0.nupkg' -Because 'an unpinned dependency is never fetched'
    }

    It 'a dependency pinned outside the range the .nuspec declares: ModuleDependencyNotPinned' {
        $pin = Publish-Package 'Picky' '1.0.0' (New-ModulePackage 'Picky' '1.0.0' -Dependencies @{ Helper = '[2.0.0,3.0.0)' })
        $run = Invoke-ModuleInstall ($pin + $helperPin)
        $run.Errors.Id | Should -Be 'ModuleDependencyNotPinned,SecureInstall.Commands.InstallPinnedModuleCommand'
        $run.Errors[0].Message | Should -Match 'pins Helper 1\.0\.0, outside that range'
    }

    It 'modules that depend on each other in a cycle: ModuleDependencyCycle naming it' {
        $a = Publish-Package 'CycleA' '1.0.0' (New-ModulePackage 'CycleA' '1.0.0' -Dependencies @{ CycleB = '1.0.0' })
        $b = Publish-Package 'CycleB' '1.0.0' (New-ModulePackage 'CycleB' '1.0.0' -Dependencies @{ CycleA = '1.0.0' })
        $run = Invoke-ModuleInstall ($a + $b) '-Name CycleA'
        $run.Errors.Id | Should -Be 'ModuleDependencyCycle,SecureInstall.Commands.InstallPinnedModuleCommand'
        $run.Errors[0].Message | Should -Match 'CycleA -> CycleB -> CycleA'
        Test-Path -LiteralPath (Join-Path $run.ModulePath 'CycleA/1.0.0') | Should -BeFalse
        Test-Path -LiteralPath (Join-Path $run.ModulePath 'CycleB/1.0.0') | Should -BeFalse
    }
}

Describe 'Install-PinnedModule from a v2 endpoint' {
    It 'installs from the v2 package URL (/api/v2/package/id/version); the feed token goes to the feed, never to the host it redirects to' {
        # The storage host: a second loopback server (another origin), trusted through the same SSL_CERT_FILE.
        $storage = Start-LoopbackServer -Certificate $certificate
        try {
            $storage.Routes['/blobs/helper.1.0.0.nupkg'] = @{ Body = $packages['Helper 1.0.0'] }
            $server.Routes['/api/v2/package/Helper/1.0.0'] = @{ Status = 302; Reason = 'Found'; Headers = @{ Location = "$($storage.Base)/blobs/helper.1.0.0.nupkg" } }
            $pin = "  Helper:`n    version: `"1.0.0`"`n    sha512: `"$(Get-Sha512Hex $packages['Helper 1.0.0'])`"`n    source: $base/api/v2`n"
            $run = Invoke-ModuleInstall $pin "-FeedToken (ConvertTo-SecureString 'feed-secret' -AsPlainText -Force)"
            $run.Errors | Should -BeNullOrEmpty -Because $run.Text
            $run.Results.Status | Should -Be 'Installed'
            $feedHead = @($server.Heads | Where-Object { $_ -like 'GET /api/v2/package/Helper/1.0.0 *' })[-1]
            $feedHead | Should -Match 'Authorization: Bearer feed-secret'
            @($storage.Heads).Count | Should -BeGreaterThan 0
            $storage.Heads | Should -Not -Match 'Authorization'
            $storage.Heads | Should -Not -Match 'feed-secret'
        }
        finally { Stop-LoopbackServer $storage }
    }
}

Describe 'Install-PinnedModule in this session' {
    It '-WhatIf names what would be fetched and checked, and changes nothing' {
        $dir = New-TestFolder
        Write-Fixture (Join-Path $dir 'tools.yml') "modules:`n$helperPin"
        $code = "Import-Module '$root/SecureInstall.psd1'; Install-PinnedModule -Manifest '$(Join-Path $dir 'tools.yml')' -ModulePath '$(Join-Path $dir 'Modules')' -WhatIf"
        $child = Invoke-ChildProcess -FilePath $pwsh -ArgumentList @('-NoProfile', '-NonInteractive', '-Command', $code)
        $child.Out | Should -Match 'What if: Install Helper 1\.0\.0: download Helper 1\.0\.0 from https://127\.0\.0\.1:\d+/v3/index\.json \(NuGet v3 flat container\), verify sha512 [0-9a-f]{128}'
        Test-Path -LiteralPath (Join-Path $dir 'Modules') | Should -BeFalse
        Test-Path -LiteralPath (Join-Path $dir 'secureinstall.lock.json') | Should -BeFalse
    }

    It '-WhatIf with -RegistryOnly says the registries serve it by sha512 and the feed is never asked' {
        $dir = New-TestFolder
        Write-Fixture (Join-Path $dir 'tools.yml') "modules:`n$helperPin"
        $code = "Import-Module '$root/SecureInstall.psd1'; Install-PinnedModule -Manifest '$(Join-Path $dir 'tools.yml')' -ModulePath '$(Join-Path $dir 'Modules')' -Registry oci://registry.example/tools -RegistryOnly -WhatIf"
        $child = Invoke-ChildProcess -FilePath $pwsh -ArgumentList @('-NoProfile', '-NonInteractive', '-Command', $code)
        $child.Out | Should -Match 'What if: Install Helper 1\.0\.0: fetch Helper 1\.0\.0 from the registries by sha512 only \(never from https://127\.0\.0\.1:\d+/v3/index\.json\), verify sha512 [0-9a-f]{128}'
        Test-Path -LiteralPath (Join-Path $dir 'Modules') | Should -BeFalse
    }

    It 'a module the manifest does not pin: ModuleNotInManifest (ObjectNotFound)' {
        $dir = New-TestFolder
        Write-Fixture (Join-Path $dir 'tools.yml') "modules:`n$helperPin"
        Install-PinnedModule -Manifest (Join-Path $dir 'tools.yml') -Name Nope -ModulePath (Join-Path $dir 'Modules') -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -BeExactly 'ModuleNotInManifest,SecureInstall.Commands.InstallPinnedModuleCommand'
        $ev[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'a module pinned over plain http is refused before anything is fetched: ManifestInsecureUrl' {
        $dir = New-TestFolder
        Write-Fixture (Join-Path $dir 'tools.yml') ("modules:`n" + ($helperPin -replace 'https://', 'http://'))
        Install-PinnedModule -Manifest (Join-Path $dir 'tools.yml') -ModulePath (Join-Path $dir 'Modules') -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -BeExactly 'ManifestInsecureUrl,SecureInstall.Commands.InstallPinnedModuleCommand'
    }

    It 'a second install keeps the tree that verifies against the lock, reinstalls one that was changed, and -Force reinstalls' {
        # A v3 feed on disk (file: index and flat container): the verified downloader reads it like a mirror.
        $dir = New-TestFolder
        $flat = Join-Path $dir 'feed/flat'
        Write-Fixture (Join-Path $dir 'feed/index.json') "{ `"resources`": [ { `"@id`": `"$(ConvertTo-FileUri $flat)/`", `"@type`": `"PackageBaseAddress/3.0.0`" } ] }"
        Write-Fixture (Join-Path $flat 'helper/1.0.0/helper.1.0.0.nupkg') $packages['Helper 1.0.0']
        $manifest = Join-Path $dir 'tools.yml'
        Write-Fixture $manifest ("modules:`n" + ($helperPin -replace [regex]::Escape("$base/v3/index.json"), (ConvertTo-FileUri (Join-Path $dir 'feed/index.json'))))
        $modules = Join-Path $dir 'Modules'
        Set-TestEnvironment SECUREINSTALL_HOME (Join-Path $dir 'home')
        Set-TestEnvironment SECUREINSTALL_CACHE (Join-Path $dir 'cache')
        try {
            $first = Install-PinnedModule -Manifest $manifest -ModulePath $modules -ErrorAction Stop -Verbose 4>&1
            ($first | Where-Object { $_ -is [SecureInstall.Core.Modules.ModuleInstallResult] }).Status | Should -Be 'Installed'
            # -Verbose narrates each trust decision: the digest's source, the cache, the sha512, the archive rules, the package's identity and dependencies.
            $told = ($first | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n"
            $told | Should -Match 'Expected SHA512 [0-9a-f]{128} from sha512 of module Helper in .*tools\.yml:\d+'
            $told | Should -Match 'Read 0 tool\(s\) and 1 module\(s\) from '
            $told | Should -Match 'Cache miss for sha512:'
            $told | Should -Match 'sha512 [0-9a-f]{128} matches the manifest'
            $told | Should -Match 'every one checked against the archive rules'
            $told | Should -Match 'Helper 1\.0\.0: its \.nuspec and Helper\.psd1 name the pinned module and version; it depends on no module'
            $again = Install-PinnedModule -Manifest $manifest -ModulePath $modules -ErrorAction Stop -Verbose 4>&1
            ($again | Where-Object { $_ -is [SecureInstall.Core.Modules.ModuleInstallResult] }).Status | Should -Be 'AlreadyInstalled'
            ($again | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n" | Should -Match 'its tree verified against the lock'

            Add-Content -LiteralPath (Join-Path $modules 'Helper/1.0.0/Helper.psm1') -Value 'Invoke-Evil'
            (Install-PinnedModule -Manifest $manifest -ModulePath $modules -ErrorAction Stop).Status | Should -Be 'Installed'
            Get-Content -Raw -LiteralPath (Join-Path $modules 'Helper/1.0.0/Helper.psm1') | Should -Not -Match 'Invoke-Evil'
            (Install-PinnedModule -Manifest $manifest -ModulePath $modules -Force -ErrorAction Stop).Status | Should -Be 'Installed'
            (Test-PinnedModule -Manifest $manifest -ModulePath $modules -ErrorAction Stop).Status | Should -Be 'Verified'
        }
        finally { Restore-TestEnvironment }
    }

    It 'the result has a table view with Name, Version, Status, Dependencies and Path' {
        $view = (Get-FormatData -TypeName SecureInstall.Core.Modules.ModuleInstallResult).FormatViewDefinition[0].Control.Headers.Label
        $view | Should -Be @('Name', 'Version', 'Status', 'Dependencies', 'Path')
    }
}

# The core reads a package's .psd1 without PowerShell (the CLI has none, and a feed's file is never run): its reader must
# give what PowerShell's own restricted-language reader gives, and refuse what that refuses.
Describe 'the module manifest reader (PowerShellDataFile)' {
    BeforeAll {
        function ConvertTo-Canonical($Value) {
            if ($Value -is [System.Collections.IDictionary]) {
                $o = [ordered]@{}
                foreach ($k in ($Value.Keys | Sort-Object)) { $o[$k] = ConvertTo-Canonical $Value[$k] }
                return $o
            }
            if ($Value -is [array]) { return , @($Value | ForEach-Object { ConvertTo-Canonical $_ }) }
            $Value
        }
        $reader = [SecureInstall.Core.Modules.PowerShellDataFile]
    }

    It 'reads every real module manifest at hand (this pwsh''s modules, Pester, SecureInstall, its help files) as Import-PowerShellDataFile does' {
        $files = @(Get-ChildItem -Path (Join-Path $PSHOME 'Modules') -Recurse -Filter *.psd1) + @(Get-ChildItem -Path (Join-Path $root 'module/help') -Filter *.psd1) +
            @(Get-Item -LiteralPath (Join-Path $root 'SecureInstall.psd1')) + @(Get-ChildItem -Path (Split-Path (Get-Module -ListAvailable Pester)[0].Path) -Filter *.psd1)
        $files.Count | Should -BeGreaterThan 15
        foreach ($f in $files) {
            $ours = ConvertTo-Canonical ($reader::ReadFile($f.FullName)) | ConvertTo-Json -Depth 10 -Compress
            $theirs = ConvertTo-Canonical (Import-PowerShellDataFile -LiteralPath $f.FullName) | ConvertTo-Json -Depth 10 -Compress
            $ours | Should -BeExactly $theirs -Because $f.FullName
        }
    }

    It 'reads a UTF-16 manifest as Windows PowerShell 5.1''s New-ModuleManifest writes it' {
        $path = Join-Path (New-TestFolder) 'Wide.psd1'
        [System.IO.File]::WriteAllText($path, "@{`r`n  ModuleVersion = '3.1.4'`r`n  FunctionsToExport = 'a', 'b'`r`n}`r`n", [System.Text.Encoding]::Unicode)
        $data = $reader::ReadFile($path)
        $data['ModuleVersion'] | Should -BeExactly '3.1.4'
        $data['FunctionsToExport'] | Should -Be @('a', 'b')
    }

    It 'refuses <What>, as PowerShell''s restricted reader does' -TestCases @(
        @{ What = 'a variable'; Text = '@{ ModuleVersion = $env:VERSION }' }
        @{ What = 'an expanding string'; Text = '@{ ModuleVersion = "$(whoami)" }' }
        @{ What = 'a command'; Text = '@{ ModuleVersion = (Get-Date).ToString() }' }
        @{ What = 'a cast'; Text = '@{ ModuleVersion = [version]''1.0'' }' }
    ) {
        $path = Join-Path (New-TestFolder) 'Bad.psd1'
        Write-Fixture $path $Text
        { Import-PowerShellDataFile -LiteralPath $path } | Should -Throw
        { $reader::ReadFile($path) } | Should -Throw -ExpectedMessage '*must be constant data*'
    }

    # Stricter than Import-PowerShellDataFile, which returns a script block unrun and ignores what follows the hashtable:
    # neither is module metadata, and both are where a hostile package would hide code.
    It 'refuses <What>, which PowerShell''s reader lets through' -TestCases @(
        @{ What = 'a script block'; Text = '@{ ModuleVersion = { 1 } }' }
        @{ What = 'a statement after the hashtable'; Text = '@{ ModuleVersion = ''1.0'' }; Remove-Item x' }
    ) {
        $path = Join-Path (New-TestFolder) 'Bad.psd1'
        Write-Fixture $path $Text
        { $reader::ReadFile($path) } | Should -Throw -ExpectedMessage '*must be constant data*'
    }
}

# Issue 22: a .nupkg's entry names are OPC part names, percent-escaped; they are decoded, and a decoded name that is
# unsafe is refused by the archive rules.
Describe 'Install-PinnedModule and percent-escaped .nupkg entry names' {
    It 'installs My%20Script.ps1 as "My Script.ps1"' {
        $pin = Publish-Package 'Escaped' '1.0.0' (New-ModulePackage 'Escaped' '1.0.0' -Extra @{ 'My%20Script.ps1' = 'Write-Output 1' })
        $run = Invoke-ModuleInstall $pin
        $run.Errors | Should -BeNullOrEmpty -Because $run.Text
        Test-Path -LiteralPath (Join-Path $run.ModulePath 'Escaped/1.0.0/My Script.ps1') | Should -BeTrue
    }

    It 'refuses <Entry> with UnsafeArchiveEntry and installs nothing' -ForEach @(
        @{ Entry = '%2e%2e/%2e%2e/escaped.ps1' }
        @{ Entry = 'a%2Fb.ps1' }
        @{ Entry = 'bad%zz.ps1' }
    ) {
        $id = 'Hostile' + [Math]::Abs($Entry.GetHashCode())
        $pin = Publish-Package $id '1.0.0' (New-ModulePackage $id '1.0.0' -Extra @{ $Entry = 'owned' })
        $run = Invoke-ModuleInstall $pin
        $run.Errors.Id | Should -Be 'UnsafeArchiveEntry,SecureInstall.Commands.InstallPinnedModuleCommand'
        @(Get-ChildItem -LiteralPath $run.Folder -Recurse -Filter 'escaped.ps1').Count | Should -Be 0
        @(Get-ChildItem -LiteralPath $run.ModulePath -Recurse -Force -ErrorAction SilentlyContinue | ForEach-Object { $_.FullName }) | Should -BeNullOrEmpty
    }
}

# Issue 22: a module's signature: pins the Authenticode signer of every script and PE file in it, checked in staging
# before anything is placed (managed code, every OS; on Windows WinVerifyTrust does not trust the test's root).
Describe 'Install-PinnedModule with signature: (the module''s files signed by osslsigncode)' {
    BeforeAll {
        $skip = Get-AuthenticodeLabSkipReason
        if (-not $skip) { $lab = New-AuthenticodeLab -Path (Join-Path $TestDrive 'module-lab') }
        $onWindows = Test-IsWindows
        # A module whose .psd1 and .psm1 are signed by -Signer (the .psm1 left unsigned with -UnsignedPsm1).
        function New-SignedModulePackage([string]$Id, [string]$Version, $Signer, [switch]$UnsignedPsm1, [hashtable]$Extra = @{}) {
            $dir = New-TestFolder
            $psd1 = Join-Path $dir "$Id.psd1"; $psm1 = Join-Path $dir "$Id.psm1"
            [System.IO.File]::WriteAllText($psd1, "@{`r`n    RootModule = '$Id.psm1'`r`n    ModuleVersion = '$Version'`r`n    GUID = '$([guid]::NewGuid())'`r`n    FunctionsToExport = @('Get-$Id')`r`n}`r`n", $utf8)
            [System.IO.File]::WriteAllText($psm1, "function Get-$Id { '$Id $Version' }`r`n", $utf8)
            $entries = @{ "$Id.psd1" = [System.IO.File]::ReadAllText((Invoke-AuthenticodeSign -In $psd1 -Out (Join-Path $dir "s-$Id.psd1") -Signer $Signer)) }
            $entries["$Id.psm1"] = if ($UnsignedPsm1) { [System.IO.File]::ReadAllText($psm1) } else { [System.IO.File]::ReadAllText((Invoke-AuthenticodeSign -In $psm1 -Out (Join-Path $dir "s-$Id.psm1") -Signer $Signer)) }
            foreach ($k in $Extra.Keys) { $entries[$k] = $Extra[$k] }
            New-ModulePackage $Id $Version -Extra $entries
        }
        function Add-SignaturePin([string]$Pin, [string]$Thumbprint) { $Pin + "    signature: { thumbprint: $Thumbprint, root: '$($lab.Root)' }`n" }
    }

    It 'installs a module whose every file the pinned signer signed, records the verdict in the lock, names a catalog, and Test-PinnedModule re-checks it' {
        if ($skip) { Set-ItResult -Skipped -Because $skip; return }
        if ($onWindows) { Set-ItResult -Skipped -Because 'WinVerifyTrust does not trust the root the test made'; return }
        $pin = Add-SignaturePin (Publish-Package 'Signed' '1.0.0' (New-SignedModulePackage 'Signed' '1.0.0' $lab.Publisher -Extra @{ 'Signed.cat' = 'a catalog' })) $lab.Publisher.Thumbprint
        $run = Invoke-ModuleInstall $pin
        $run.Errors | Should -BeNullOrEmpty -Because $run.Text
        $run.Results[0].Signature | Should -Match "^Authenticode signatures by thumbprint $($lab.Publisher.Thumbprint) \(.* on 2 files; catalog Signed\.cat not relied on$"
        @($run.Results[0].Catalogs) | Should -Be @('Signed.cat')
        $lock = Get-Content -Raw -LiteralPath $run.Lock | ConvertFrom-Json
        $lock.modules.Signed.'1.0.0'.signature | Should -BeExactly $run.Results[0].Signature

        $manifest = Join-Path $run.Folder 'tools.yml'
        $test = "Import-Module '$root/SecureInstall.psd1'; `$s = Test-PinnedModule -Manifest '$manifest' -ModulePath '$($run.ModulePath)' -ErrorVariable ev -ErrorAction SilentlyContinue; '{0}|{1}|{2}' -f `$s.Status, `$s.SignatureVerified, (@(`$ev | ForEach-Object FullyQualifiedErrorId) -join ',')"
        $ok = Invoke-ChildProcess -FilePath $pwsh -ArgumentList @('-NoProfile', '-NonInteractive', '-Command', $test)
        $ok.Out.Trim() | Should -BeExactly 'Verified|True|'
        # The manifest now pins another signer: the re-check fails naming the rule, though the tree is unchanged.
        [System.IO.File]::WriteAllText($manifest, ([System.IO.File]::ReadAllText($manifest) -replace $lab.Publisher.Thumbprint, $lab.Other.Thumbprint), $utf8)
        $bad = Invoke-ChildProcess -FilePath $pwsh -ArgumentList @('-NoProfile', '-NonInteractive', '-Command', $test)
        $bad.Out.Trim() | Should -BeExactly 'Verified|False|SignerNotTrusted,SecureInstall.Commands.TestPinnedModuleCommand'
    }

    It 'refuses a module with an unsigned file, naming it, and installs nothing' {
        if ($skip) { Set-ItResult -Skipped -Because $skip; return }
        $pin = Add-SignaturePin (Publish-Package 'HalfSigned' '1.0.0' (New-SignedModulePackage 'HalfSigned' '1.0.0' $lab.Publisher -UnsignedPsm1)) $lab.Publisher.Thumbprint
        $run = Invoke-ModuleInstall $pin
        $run.Errors.Id | Should -Be 'SignatureInvalid,SecureInstall.Commands.InstallPinnedModuleCommand'
        $run.Errors[0].Message | Should -Match 'HalfSigned/1\.0\.0/HalfSigned\.psm1'
        @(Get-ChildItem -LiteralPath $run.ModulePath -Recurse -Force -ErrorAction SilentlyContinue | ForEach-Object { $_.FullName }) | Should -BeNullOrEmpty
        Test-Path -LiteralPath $run.Lock | Should -BeFalse
    }

    It 'refuses a module signed by another certificate with SignerNotTrusted naming the file' {
        if ($skip) { Set-ItResult -Skipped -Because $skip; return }
        if ($onWindows) { Set-ItResult -Skipped -Because 'WinVerifyTrust does not trust the root the test made'; return }
        $pin = Add-SignaturePin (Publish-Package 'OtherSigned' '1.0.0' (New-SignedModulePackage 'OtherSigned' '1.0.0' $lab.Other)) $lab.Publisher.Thumbprint
        $run = Invoke-ModuleInstall $pin
        $run.Errors.Id | Should -Be 'SignerNotTrusted,SecureInstall.Commands.InstallPinnedModuleCommand'
        $run.Errors[0].Message | Should -Match 'OtherSigned/1\.0\.0/OtherSigned\.ps[dm]1'
        Test-Path -LiteralPath (Join-Path $run.ModulePath 'OtherSigned/1.0.0') | Should -BeFalse
    }
}

# Issue 22, reviewed as an attacker: every kind of hostile package and feed the issue names, each against a real loopback
# feed and a real .nupkg, refused with its ErrorId and leaving no module folder, staging folder or lock behind.
Describe 'Install-PinnedModule refuses a hostile package' {
    BeforeAll {
        Add-Type -AssemblyName System.IO.Compression
        function Assert-NothingInstalled($Run) {
            @(Get-ChildItem -LiteralPath $Run.ModulePath -Recurse -Force -ErrorAction SilentlyContinue | ForEach-Object { $_.FullName }) | Should -BeNullOrEmpty -Because 'a refused module leaves no file, staging or empty folder'
            Test-Path -LiteralPath $Run.Lock | Should -BeFalse
        }
        # A .nupkg with one more entry, of the given Unix mode (0x8000 a file, 0xA000 a symbolic link, 0x2000 a character device), as zip tools on Unix write it.
        function New-PackageWithEntryMode([string]$Id, [string]$Entry, [string]$Text, [int]$Mode, [byte[]]$Bytes = (New-ModulePackage $Id '1.0.0')) {
            $buffer = [System.IO.MemoryStream]::new(); $buffer.Write($Bytes, 0, $Bytes.Length)
            $zip = [System.IO.Compression.ZipArchive]::new($buffer, [System.IO.Compression.ZipArchiveMode]::Update, $true)
            $e = $zip.CreateEntry($Entry)
            $e.ExternalAttributes = ($Mode -bor 0x1FF) -shl 16
            $w = [System.IO.StreamWriter]::new($e.Open()); $w.Write($Text); $w.Dispose()
            $zip.Dispose()
            , $buffer.ToArray()
        }
    }

    It 'a .nuspec naming another version than the pin: ModuleIdentityMismatch (SecurityError)' {
        $bytes = New-ModulePackage 'Drift' '1.0.0' -Extra @{ 'Drift.nuspec' = "<?xml version=`"1.0`"?><package><metadata><id>Drift</id><version>1.0.1</version><authors>a</authors><description>d</description></metadata></package>" }
        $run = Invoke-ModuleInstall (Publish-Package 'Drift' '1.0.0' $bytes)
        $run.Errors.Id | Should -Be 'ModuleIdentityMismatch,SecureInstall.Commands.InstallPinnedModuleCommand'
        $run.Errors[0].Category | Should -Be 'SecurityError'
        $run.Errors[0].Message | Should -Match 'is Drift 1\.0\.1 by its \.nuspec'
        Assert-NothingInstalled $run
    }

    It 'a package whose only module manifest names another module: ModulePackageInvalid' {
        $bytes = New-ModulePackage 'Other' '1.0.0' -NuspecId 'Named'
        $buffer = [System.IO.MemoryStream]::new(); $buffer.Write($bytes, 0, $bytes.Length)
        $zip = [System.IO.Compression.ZipArchive]::new($buffer, [System.IO.Compression.ZipArchiveMode]::Update, $true)
        $zip.GetEntry('Other.nuspec').Delete()
        $e = $zip.CreateEntry('Named.nuspec'); $w = [System.IO.StreamWriter]::new($e.Open())
        $w.Write("<?xml version=`"1.0`"?><package><metadata><id>Named</id><version>1.0.0</version><authors>a</authors><description>d</description></metadata></package>"); $w.Dispose()
        $zip.Dispose()
        $run = Invoke-ModuleInstall (Publish-Package 'Named' '1.0.0' $buffer.ToArray())
        $run.Errors.Id | Should -Be 'ModulePackageInvalid,SecureInstall.Commands.InstallPinnedModuleCommand'
        $run.Errors[0].Message | Should -Match 'no module manifest Named\.psd1'
        Assert-NothingInstalled $run
    }

    It 'a .psd1 whose RequiredModules names a module its .nuspec does not declare: ModuleDependencyNotPinned naming it' {
        $bytes = New-ModulePackage 'Sneaky' '1.0.0' -Extra @{ 'Sneaky.psd1' = "@{`n    RootModule = 'Sneaky.psm1'`n    ModuleVersion = '1.0.0'`n    GUID = '$([guid]::NewGuid())'`n    RequiredModules = @('Helper', @{ ModuleName = 'Unpinned'; ModuleVersion = '1.0' })`n}`n" }
        $run = Invoke-ModuleInstall ((Publish-Package 'Sneaky' '1.0.0' $bytes) + $helperPin) '-Name Sneaky'
        $run.Errors.Id | Should -Be 'ModuleDependencyNotPinned,SecureInstall.Commands.InstallPinnedModuleCommand'
        $run.Errors[0].Category | Should -Be 'InvalidData'
        $run.Errors[0].Message | Should -Match "RequiredModules names Helper, Unpinned"
        Assert-NothingInstalled $run
    }

    It 'but a RequiredModules module the package declares external (PSData.ExternalModuleDependencies, on no feed) installs' {
        $bytes = New-ModulePackage 'Admin' '1.0.0' -Extra @{ 'Admin.psd1' = "@{`n    RootModule = 'Admin.psm1'`n    ModuleVersion = '1.0.0'`n    GUID = '$([guid]::NewGuid())'`n    RequiredModules = @('ActiveDirectory')`n    PrivateData = @{ PSData = @{ ExternalModuleDependencies = @('ActiveDirectory') } }`n}`n" }
        $run = Invoke-ModuleInstall (Publish-Package 'Admin' '1.0.0' $bytes)
        $run.Errors | Should -BeNullOrEmpty -Because $run.Text
        $run.Results.Status | Should -Be 'Installed'
    }

    It 'refuses the entry <Entry> with UnsafeArchiveEntry and installs nothing' -ForEach @(
        @{ Entry = '..%2F..%2Fescaped.ps1' }
        @{ Entry = '/tmp/escaped.ps1' }
        @{ Entry = 'C:/escaped.ps1' }
        @{ Entry = '%2Ftmp%2Fescaped.ps1' }
        @{ Entry = 'sub\..\..\escaped.ps1' }
    ) {
        $id = 'Abs' + [Math]::Abs($Entry.GetHashCode())
        $run = Invoke-ModuleInstall (Publish-Package $id '1.0.0' (New-ModulePackage $id '1.0.0' -Extra @{ $Entry = 'owned' }))
        $run.Errors.Id | Should -Be 'UnsafeArchiveEntry,SecureInstall.Commands.InstallPinnedModuleCommand'
        @(Get-ChildItem -LiteralPath $run.Folder -Recurse -Filter 'escaped.ps1').Count | Should -Be 0
        Assert-NothingInstalled $run
    }

    It 'two entries whose names differ only in case: refused (DuplicateArchiveEntry or UnsafeArchiveEntry), nothing installed' {
        $bytes = New-PackageWithEntryMode 'Twins' 'lib/run.ps1' 'two' 0x8000 -Bytes (New-ModulePackage 'Twins' '1.0.0' -Extra @{ 'Lib/Run.ps1' = 'one' })
        $run = Invoke-ModuleInstall (Publish-Package 'Twins' '1.0.0' $bytes)
        $run.Errors.Count | Should -Be 1 -Because $run.Text
        $run.Errors[0].Id | Should -Match '^(DuplicateArchiveEntry|UnsafeArchiveEntry|ArchiveEntryCollision),'
        Assert-NothingInstalled $run
    }

    It 'a symbolic link entry inside the .nupkg is refused, nothing installed' -Skip:(Test-IsWindows) {
        $run = Invoke-ModuleInstall (Publish-Package 'Linky' '1.0.0' (New-PackageWithEntryMode 'Linky' 'passwd' '/etc/passwd' 0xA000))
        $run.Errors.Count | Should -Be 1 -Because $run.Text
        $run.Errors[0].Category | Should -BeIn @('SecurityError', 'InvalidData')
        Assert-NothingInstalled $run
    }

    It 'a device entry inside the .nupkg is refused, nothing installed' -Skip:(Test-IsWindows) {
        $run = Invoke-ModuleInstall (Publish-Package 'Devy' '1.0.0' (New-PackageWithEntryMode 'Devy' 'tty' '' 0x2000))
        $run.Errors.Count | Should -Be 1 -Because $run.Text
        Assert-NothingInstalled $run
    }

    It 'a feed answering far more bytes than any module package is cut off (SizeLimitExceeded) before the disk fills, nothing installed' {
        # The feed claims 3 GiB and would stream them: the pin has no size, so the module cap is what stops it.
        $server.Routes['/v3/flat/huge/1.0.0/huge.1.0.0.nupkg'] = @{ Body = [byte[]]::new(16); ContentLength = 3GB }
        $pin = "  Huge:`n    version: `"1.0.0`"`n    sha512: `"$('ab' * 64)`"`n    source: $base/v3/index.json`n"
        $run = Invoke-ModuleInstall $pin
        $run.Errors.Count | Should -Be 1 -Because $run.Text
        $run.Errors[0].Id | Should -Be 'SizeLimitExceeded,SecureInstall.Commands.InstallPinnedModuleCommand'
        $run.Errors[0].Message | Should -Match '268.?435.?456'
        $run.Errors[0].Message | Should -Not -Match 'Raise -MaximumSize' -Because 'Install-PinnedModule has no -MaximumSize: the cap is the package limit'
        Assert-NothingInstalled $run
    }
}

# Issue 22: the feed credential goes to the feed's own origin only: not after a redirect, not to a flat container the
# service index places on another host, not when the service index itself is redirected.
Describe 'Install-PinnedModule keeps the feed token on the feed''s origin (v3)' {
    BeforeAll {
        $token = "-FeedToken (ConvertTo-SecureString 'feed-secret' -AsPlainText -Force)"
        function Assert-NoToken($Server) {
            @($Server.Heads).Count | Should -BeGreaterThan 0
            @($Server.Heads) -join "`n" | Should -Not -Match 'Authorization|feed-secret'
        }
    }

    It 'a flat container that redirects the .nupkg to another host: the token is not sent there' {
        $storage = Start-LoopbackServer -Certificate $certificate
        try {
            $storage.Routes['/blobs/helper.nupkg'] = @{ Body = $packages['Helper 1.0.0'] }
            $server.Routes['/v3r/index.json'] = @{ Body = $utf8.GetBytes("{ `"version`": `"3.0.0`", `"resources`": [ { `"@id`": `"$base/v3r/flat/`", `"@type`": `"PackageBaseAddress/3.0.0`" } ] }") }
            $server.Routes['/v3r/flat/helper/1.0.0/helper.1.0.0.nupkg'] = @{ Status = 302; Reason = 'Found'; Headers = @{ Location = "$($storage.Base)/blobs/helper.nupkg" } }
            $run = Invoke-ModuleInstall ($helperPin -replace '/v3/index\.json', '/v3r/index.json') $token
            $run.Errors | Should -BeNullOrEmpty -Because $run.Text
            @($server.Heads | Where-Object { $_ -like 'GET /v3r/*' }) | ForEach-Object { $_ | Should -Match 'Authorization: Bearer feed-secret' }
            Assert-NoToken $storage
        }
        finally { Stop-LoopbackServer $storage }
    }

    It 'a service index naming a flat container on another host: the token is not sent there' {
        $storage = Start-LoopbackServer -Certificate $certificate
        try {
            $storage.Routes['/flat/helper/1.0.0/helper.1.0.0.nupkg'] = @{ Body = $packages['Helper 1.0.0'] }
            $server.Routes['/v3x/index.json'] = @{ Body = $utf8.GetBytes("{ `"version`": `"3.0.0`", `"resources`": [ { `"@id`": `"$($storage.Base)/flat/`", `"@type`": `"PackageBaseAddress/3.0.0`" } ] }") }
            $run = Invoke-ModuleInstall ($helperPin -replace '/v3/index\.json', '/v3x/index.json') $token
            $run.Errors | Should -BeNullOrEmpty -Because $run.Text
            @($server.Heads | Where-Object { $_ -like 'GET /v3x/index.json *' })[-1] | Should -Match 'Authorization: Bearer feed-secret'
            Assert-NoToken $storage
        }
        finally { Stop-LoopbackServer $storage }
    }

    It 'a service index that redirects to another host: the token is not sent there' {
        $storage = Start-LoopbackServer -Certificate $certificate
        try {
            $storage.Routes['/index.json'] = @{ Body = $utf8.GetBytes("{ `"version`": `"3.0.0`", `"resources`": [ { `"@id`": `"$($storage.Base)/flat/`", `"@type`": `"PackageBaseAddress/3.0.0`" } ] }") }
            $storage.Routes['/flat/helper/1.0.0/helper.1.0.0.nupkg'] = @{ Body = $packages['Helper 1.0.0'] }
            $server.Routes['/v3m/index.json'] = @{ Status = 301; Reason = 'Moved'; Headers = @{ Location = "$($storage.Base)/index.json" } }
            $run = Invoke-ModuleInstall ($helperPin -replace '/v3/index\.json', '/v3m/index.json') $token
            $run.Errors | Should -BeNullOrEmpty -Because $run.Text
            Assert-NoToken $storage
        }
        finally { Stop-LoopbackServer $storage }
    }
}

# Issue 22: "the .nupkg is downloaded through the verified downloader (cache ...)": with the cache warm, an install into
# another module path needs no feed at all, and makes no request to it.
Describe 'Install-PinnedModule with the feed down and the cache warm' {
    It 'installs <Kind> from the cache without a request to the feed' -ForEach @(
        @{ Kind = 'a v3 pin (feed answering 503)'; V2 = $false }
        @{ Kind = 'a v2 pin (feed answering 503)'; V2 = $true }
    ) {
        $down = Start-ModuleFeed
        try {
            $pin = Publish-ModulePackage -Feed $down -Id 'Helper' -Version '1.0.0' -Bytes $packages['Helper 1.0.0']
            if ($V2) { $pin = $pin -replace '/v3/index\.json', '/api/v2' }
            $cache = Join-Path (New-TestFolder) 'cache'
            $first = Invoke-ModuleInstall $pin -Environment @{ SSL_CERT_FILE = $down.Pem; SECUREINSTALL_CACHE = $cache }
            $first.Errors | Should -BeNullOrEmpty -Because $first.Text
            foreach ($k in @($down.Server.Routes.Keys)) { $down.Server.Routes[$k] = @{ Status = 503; Reason = 'Service Unavailable' } }
            $before = @($down.Server.Requests).Count
            $second = Invoke-ModuleInstall $pin -Environment @{ SSL_CERT_FILE = $down.Pem; SECUREINSTALL_CACHE = $cache }
            $second.Errors | Should -BeNullOrEmpty -Because $second.Text
            $second.Results.Status | Should -Be 'Installed'
            Test-Path -LiteralPath (Join-Path $second.ModulePath 'Helper/1.0.0/Helper.psd1') | Should -BeTrue
            @($down.Server.Requests).Count | Should -Be $before -Because "the cache holds the pinned package: $(@($down.Server.Requests | Select-Object -Skip $before) -join ', ')"
        }
        finally { Stop-LoopbackServer $down.Server }
    }
}

# Issue 22: where a module goes. Without -ModulePath, the CurrentUser module path of the running edition; the
# <Name>/<Version> folder PowerShellGet writes; an existing folder that is a link elsewhere is never written through.
Describe 'Install-PinnedModule target paths' {
    It 'installs into ~/.local/share/powershell/Modules (CurrentUser, pwsh on Linux) without -ModulePath' -Skip:(-not (Test-IsLinux)) {
        $dir = New-TestFolder
        $home2 = Join-Path $dir 'userhome'
        $null = New-Item -ItemType Directory -Path $home2
        Write-Fixture (Join-Path $dir 'tools.yml') "modules:`n$helperPin"
        $code = "Import-Module '$root/SecureInstall.psd1'; `$r = Install-PinnedModule -Manifest '$(Join-Path $dir 'tools.yml')' -ErrorAction Stop; `$r.Path"
        $child = Invoke-ChildProcess -FilePath $pwsh -ArgumentList @('-NoProfile', '-NonInteractive', '-Command', $code) -Environment @{ HOME = $home2; XDG_DATA_HOME = ''; SSL_CERT_FILE = $pem; SECUREINSTALL_HOME = (Join-Path $dir 'si'); SECUREINSTALL_CACHE = (Join-Path $dir 'cache') }
        $child.ExitCode | Should -Be 0 -Because $child.Text
        $child.Out.Trim() | Should -BeExactly (Join-Path $home2 '.local/share/powershell/Modules/Helper/1.0.0')
        Test-Path -LiteralPath (Join-Path $home2 '.local/share/powershell/Modules/Helper/1.0.0/Helper.psd1') | Should -BeTrue
    }

    It '-Scope AllUsers targets /usr/local/share/powershell/Modules/Name/Version (pwsh on Linux)' -Skip:(-not (Test-IsLinux)) {
        $dir = New-TestFolder
        Write-Fixture (Join-Path $dir 'tools.yml') "modules:`n$helperPin"
        $code = "Import-Module '$root/SecureInstall.psd1'; Install-PinnedModule -Manifest '$(Join-Path $dir 'tools.yml')' -Scope AllUsers -WhatIf"
        $child = Invoke-ChildProcess -FilePath $pwsh -ArgumentList @('-NoProfile', '-NonInteractive', '-Command', $code) -Environment @{ SECUREINSTALL_HOME = (Join-Path $dir 'si') }
        $child.ExitCode | Should -Be 0 -Because $child.Text
        ($child.Out -replace '\s+', ' ') | Should -Match 'install into /usr/local/share/powershell/Modules/Helper/1\.0\.0'
    }

    It 'an existing Name folder another user owns: InstallRootNotTrusted (SecurityError), nothing written into it' -Skip:((Test-IsWindows) -or (& id -u) -ne '0') {
        # chown needs root: CI runs the suite as root in its container; elsewhere this case is skipped.
        $dir = New-TestFolder
        $foreign = Join-Path $dir 'Modules/Helper'
        $null = New-Item -ItemType Directory -Path $foreign -Force
        & chown 4321 $foreign
        $run = Invoke-ModuleInstall $helperPin -Folder $dir
        $run.Errors.Count | Should -Be 1 -Because $run.Text
        $run.Errors[0].Id | Should -Be 'InstallRootNotTrusted,SecureInstall.Commands.InstallPinnedModuleCommand'
        $run.Errors[0].Category | Should -Be 'SecurityError'
        $run.Errors[0].Message | Should -Match 'owned by another user \(uid 4321\)'
        @(Get-ChildItem -LiteralPath $foreign -Force | ForEach-Object { $_.FullName }) | Should -BeNullOrEmpty
        Test-Path -LiteralPath $run.Lock | Should -BeFalse
    }

    It 'an existing <What> that is a symbolic link elsewhere: refused, nothing written through it' -Skip:(Test-IsWindows) -ForEach @(
        @{ What = 'Name/Version folder'; Link = 'Modules/Helper/1.0.0' }
        @{ What = 'Name folder'; Link = 'Modules/Helper' }
    ) {
        $dir = New-TestFolder
        $elsewhere = Join-Path $dir 'elsewhere'
        $null = New-Item -ItemType Directory -Path $elsewhere
        $link = Join-Path $dir $Link
        $null = New-Item -ItemType Directory -Path (Split-Path $link) -Force
        $null = New-Item -ItemType SymbolicLink -Path $link -Target $elsewhere
        $run = Invoke-ModuleInstall $helperPin -Folder $dir
        $run.Errors.Count | Should -Be 1 -Because $run.Text
        $run.Errors[0].Category | Should -Be 'SecurityError'
        @(Get-ChildItem -LiteralPath $elsewhere -Recurse -Force | ForEach-Object { $_.FullName }) | Should -BeNullOrEmpty
        Test-Path -LiteralPath $run.Lock | Should -BeFalse
    }
}
