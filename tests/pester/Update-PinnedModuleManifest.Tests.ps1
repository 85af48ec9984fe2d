#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }

# Update-PinnedModuleManifest against the loopback NuGet feed the module tests share (TestHelpers.psm1 Start-ModuleFeed):
# v3 (service index -> flat container <id>/index.json and .nupkg) and v2 (OData FindPackagesById() and /package/<id>/<v>).
# It runs in a child pwsh that trusts the loopback certificate through SSL_CERT_FILE.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $pwsh = (Get-Process -Id $PID).Path
    $feed = Start-ModuleFeed
    $base = $feed.Base
    $v3 = $feed.Index
    $v2 = "$base/api/v2"

    # Runs Update-PinnedModuleManifest on a manifest with $Text in a child; returns its pins, errors, and the manifest after.
    function Invoke-ModuleUpdate([string]$Text, [string]$Arguments) {
        $dir = New-TestFolder
        $manifest = Join-Path $dir 'tools.yml'
        Write-Fixture $manifest $Text
        $code = "Import-Module '$root/SecureInstall.psd1'`n" +
            "`$r = @(Update-PinnedModuleManifest -Manifest '$manifest' $Arguments -ErrorVariable ev -ErrorAction SilentlyContinue 6>&1 | Where-Object { `$_ -isnot [System.Management.Automation.InformationRecord] })`n" +
            "[pscustomobject]@{ Pins = @(`$r | Select-Object Name, Version, FromVersion, Change, Sha512, Source, IsDependency); Errors = @(`$ev | ForEach-Object { [pscustomobject]@{ Id = `$_.FullyQualifiedErrorId; Category = `"`$(`$_.CategoryInfo.Category)`"; Message = `$_.Exception.Message } }) } | ConvertTo-Json -Depth 5"
        $child = Invoke-ChildProcess -FilePath $pwsh -ArgumentList @('-NoProfile', '-NonInteractive', '-Command', $code) -TimeoutSeconds 180 `
            -Environment @{ SSL_CERT_FILE = $feed.Pem; SECUREINSTALL_HOME = (Join-Path $dir 'home'); SECUREINSTALL_CACHE = (Join-Path $dir 'cache') }
        $child.ExitCode | Should -Be 0 -Because $child.Text
        $out = ($child.Out -split "(?m)^(?=\{)", 2)[-1] | ConvertFrom-Json
        [pscustomobject]@{ Pins = @($out.Pins); Errors = @($out.Errors); Text = (Get-Content -Raw -LiteralPath $manifest); Manifest = $manifest; Out = $child.Text; Folder = $dir }
    }

    $null = Publish-ModulePackage -Feed $feed -Id 'Base' -Version '1.0.0' -Bytes (New-ModulePackage 'Base' '1.0.0')
    $null = Publish-ModulePackage -Feed $feed -Id 'Base' -Version '1.4.0' -Bytes (New-ModulePackage 'Base' '1.4.0')
    $null = Publish-ModulePackage -Feed $feed -Id 'Base' -Version '2.0.0' -Bytes (New-ModulePackage 'Base' '2.0.0')
    $null = Publish-ModulePackage -Feed $feed -Id 'App' -Version '1.0.0' -Bytes (New-ModulePackage 'App' '1.0.0' -Dependencies @{ Base = '[1.0.0]' })
    $null = Publish-ModulePackage -Feed $feed -Id 'App' -Version '3.1.0' -Bytes (New-ModulePackage 'App' '3.1.0' -Dependencies @{ Base = '[1.0.0,2.0.0)' })
    $oldApp = "# pinned modules; keep this comment`nmodules:`n  App:   # the application`n    version: `"1.0.0`"`n    sha512: `"$(Get-Sha512Hex $feed.Packages['App 1.0.0'])`"`n    source: $v3`n" +
        "  Base:`n    version: `"1.0.0`"`n    sha512: `"$(Get-Sha512Hex $feed.Packages['Base 1.0.0'])`"`n    source: $v3`n"
}

AfterAll {
    Stop-LoopbackServer $feed.Server
}

Describe 'Update-PinnedModuleManifest' {
    It 'v3: pins the feed''s highest App, and its dependency at the highest version inside the .nuspec range; comments and layout stay' {
        $run = Invoke-ModuleUpdate $oldApp '-Name App'
        $run.Errors | Should -BeNullOrEmpty -Because $run.Out
        $run.Pins.Name | Should -Be @('App', 'Base')
        $run.Pins.Version | Should -Be @('3.1.0', '1.4.0') -Because 'Base [1.0.0,2.0.0) resolves to 1.4.0, the highest release in the range, not 2.0.0 outside it'
        $run.Pins.Change | Should -Be @('updated', 'updated')
        $run.Pins.FromVersion | Should -Be @('1.0.0', '1.0.0')
        $run.Pins[1].IsDependency | Should -BeTrue
        $run.Text | Should -BeExactly ($oldApp.Replace('"1.0.0"', '"X"').Replace((Get-Sha512Hex $feed.Packages['App 1.0.0']), (Get-Sha512Hex $feed.Packages['App 3.1.0'])).Replace((Get-Sha512Hex $feed.Packages['Base 1.0.0']), (Get-Sha512Hex $feed.Packages['Base 1.4.0'])) -replace '(?s)(App:.*?)"X"', '$1"3.1.0"' -replace '"X"', '"1.4.0"')

        # What it wrote installs: the pins hold the feed's bytes and satisfy the dependency check.
        $install = Invoke-ChildProcess -FilePath $pwsh -ArgumentList @('-NoProfile', '-NonInteractive', '-Command', "Import-Module '$root/SecureInstall.psd1'; Install-PinnedModule -Manifest '$($run.Manifest)' -ModulePath '$($run.Folder)/Modules' -ErrorAction Stop | ForEach-Object { `"`$(`$_.Name) `$(`$_.Version)`" }") `
            -Environment @{ SSL_CERT_FILE = $feed.Pem; SECUREINSTALL_HOME = (Join-Path $run.Folder 'home'); SECUREINSTALL_CACHE = (Join-Path $run.Folder 'cache') }
        $install.ExitCode | Should -Be 0 -Because $install.Text
        $install.Out.Trim() -split '\r?\n' | Should -Be @('Base 1.4.0', 'App 3.1.0')
    }

    It 'v2: adds a module not yet pinned, found through OData FindPackagesById() and fetched from /package/ID/VERSION, with its dependency' {
        $before = $feed.Server.Requests.Count
        $run = Invoke-ModuleUpdate "modules: {}`n" "-Name App -Source $v2"
        $run.Errors | Should -BeNullOrEmpty -Because $run.Out
        $run.Pins.Change | Should -Be @('added', 'added')
        ($run.Pins | ForEach-Object { "$($_.Name) $($_.Version)" }) | Should -Be @('App 3.1.0', 'Base 1.4.0')
        $run.Pins[0].Sha512 | Should -BeExactly (Get-Sha512Hex $feed.Packages['App 3.1.0'])
        $run.Text | Should -Match ([regex]::Escape("modules:`n  App:`n    version: `"3.1.0`"`n    sha512: `"$(Get-Sha512Hex $feed.Packages['App 3.1.0'])`"`n    source: $v2"))
        $asked = @($feed.Server.Requests)[$before..($feed.Server.Requests.Count - 1)]
        $asked | Should -Contain "/api/v2/FindPackagesById()?id='App'"
        $asked | Should -Contain '/api/v2/package/App/3.1.0'
        $asked | Should -Contain '/api/v2/package/Base/1.4.0'
    }

    It 'v2: follows the OData feed''s next-page link (the Gallery pages at 100 entries) and pins the highest version on any page' {
        $null = Publish-ModulePackage -Feed $feed -Id 'Paged' -Version '1.0.0' -Bytes (New-ModulePackage 'Paged' '1.0.0')
        $null = Publish-ModulePackage -Feed $feed -Id 'Paged' -Version '1.2.0' -Bytes (New-ModulePackage 'Paged' '1.2.0')
        $ns = 'xmlns="http://www.w3.org/2005/Atom" xmlns:d="http://schemas.microsoft.com/ado/2007/08/dataservices" xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata"'
        $utf8 = [System.Text.UTF8Encoding]::new($false)
        $feed.Server.Routes["/api/v2/FindPackagesById()?id='Paged'"] = @{ Body = $utf8.GetBytes("<feed $ns><entry><m:properties><d:Version>1.0.0</d:Version></m:properties></entry><link rel=`"next`" href=`"$base/api/v2/FindPackagesById()?id='Paged'&amp;`$skip=1`" /></feed>") }
        $feed.Server.Routes["/api/v2/FindPackagesById()?id='Paged'&`$skip=1"] = @{ Body = $utf8.GetBytes("<feed $ns><entry><m:properties><d:Version>1.2.0</d:Version></m:properties></entry></feed>") }
        $run = Invoke-ModuleUpdate "modules: {}`n" "-Name Paged -Source $v2"
        $run.Errors | Should -BeNullOrEmpty -Because $run.Out
        $run.Pins.Version | Should -Be '1.2.0'
        $run.Pins.Sha512 | Should -BeExactly (Get-Sha512Hex $feed.Packages['Paged 1.2.0'])
    }

    It 'refuses a package republished under a pinned version with another digest (PinnedDigestChanged), and leaves the manifest unchanged' {
        $original = New-ModulePackage 'Moved' '1.0.0'
        $pin = Publish-ModulePackage -Feed $feed -Id 'Moved' -Version '1.0.0' -Bytes $original
        $null = Publish-ModulePackage -Feed $feed -Id 'Moved' -Version '1.0.0' -Bytes (New-ModulePackage 'Moved' '1.0.0' -Extra @{ 'evil.ps1' = 'Invoke-Evil' })
        $text = "modules:`n$pin"
        $run = Invoke-ModuleUpdate $text '-Name Moved -Version 1.0.0'
        $run.Errors.Id | Should -Be 'PinnedDigestChanged,SecureInstall.Commands.UpdatePinnedModuleManifestCommand'
        $run.Errors[0].Category | Should -Be 'SecurityError'
        $run.Errors[0].Message | Should -Match "sha512 $(Get-Sha512Hex $original)"
        $run.Text | Should -BeExactly $text
    }

    It 'refuses a package whose .nuspec names another module (ModuleIdentityMismatch) and pins nothing' {
        $null = Publish-ModulePackage -Feed $feed -Id 'Posing' -Version '1.0.0' -Bytes (New-ModulePackage 'Posing' '1.0.0' -NuspecId 'Base')
        $run = Invoke-ModuleUpdate "modules: {}`n" "-Name Posing -Source $v3"
        $run.Errors.Id | Should -Be 'ModuleIdentityMismatch,SecureInstall.Commands.UpdatePinnedModuleManifestCommand'
        $run.Errors[0].Message | Should -Match 'is Base 1\.0\.0 by its \.nuspec; nothing was pinned'
        $run.Text | Should -BeExactly "modules: {}`n"
    }

    It '-WhatIf shows each change and writes nothing' {
        $run = Invoke-ModuleUpdate $oldApp '-Name App -WhatIf'
        $run.Out | Should -Match 'What if: .*App 1\.0\.0 -> 3\.1\.0 sha512 [0-9a-f]{128}; Base 1\.0\.0 -> 1\.4\.0 sha512 [0-9a-f]{128}'
        $run.Text | Should -BeExactly $oldApp
    }

    It 'sends -FeedToken to the feed, and not to the host the feed redirects the package to' {
        $storage = Start-LoopbackServer -Certificate $feed.Certificate
        try {
            $null = Publish-ModulePackage -Feed $feed -Id 'Far' -Version '1.0.0' -Bytes (New-ModulePackage 'Far' '1.0.0')
            $storage.Routes['/blobs/far.1.0.0.nupkg'] = @{ Body = $feed.Packages['Far 1.0.0'] }
            $feed.Server.Routes['/api/v2/package/Far/1.0.0'] = @{ Status = 302; Reason = 'Found'; Headers = @{ Location = "$($storage.Base)/blobs/far.1.0.0.nupkg" } }
            $run = Invoke-ModuleUpdate "modules: {}`n" "-Name Far -Source $v2 -FeedToken (ConvertTo-SecureString 'feed-secret-upd' -AsPlainText -Force)"
            $run.Errors | Should -BeNullOrEmpty -Because $run.Out
            $run.Pins.Sha512 | Should -BeExactly (Get-Sha512Hex $feed.Packages['Far 1.0.0'])
            @($feed.Server.Heads | Where-Object { $_ -like "GET /api/v2/FindPackagesById()?id='Far' *" })[-1] | Should -Match 'Authorization: Bearer feed-secret-upd'
            @($feed.Server.Heads | Where-Object { $_ -like 'GET /api/v2/package/Far/1.0.0 *' })[-1] | Should -Match 'Authorization: Bearer feed-secret-upd'
            @($storage.Heads).Count | Should -BeGreaterThan 0
            $storage.Heads | Should -Not -Match 'Authorization|feed-secret'
        }
        finally { Stop-LoopbackServer $storage }
    }
}

# Issue 22, reviewed: the manifest is left as it was on any failure, and a package the installer would refuse is never pinned.
Describe 'Update-PinnedModuleManifest leaves the manifest untouched when it fails' {
    It '<What>: <Id>, manifest unchanged' -ForEach @(
        @{ What = 'a .psd1 declaring another ModuleVersion (v3)'; Id = 'ModuleIdentityMismatch'; Module = 'Fibber'; Kind = 'v3'; Deps = @{}; Extra = @{ 'Fibber.psd1' = "@{ ModuleVersion = '9.9.9' }" } }
        @{ What = 'a .psd1 requiring a module the .nuspec does not declare (v2)'; Id = 'ModuleDependencyNotPinned'; Module = 'Hider'; Kind = 'v2'; Deps = @{}; Extra = @{ 'Hider.psd1' = "@{ ModuleVersion = '1.0.0'; RequiredModules = @('Unlisted') }" } }
        @{ What = 'a dependency with no release in its range (v3)'; Id = 'ModuleNotInManifest'; Module = 'Needy'; Kind = 'v3'; Deps = @{ Base = '[7.0.0,8.0.0)' }; Extra = @{} }
    ) {
        $null = Publish-ModulePackage -Feed $feed -Id $Module -Version '1.0.0' -Bytes (New-ModulePackage $Module '1.0.0' -Dependencies $Deps -Extra $Extra)
        $source = if ($Kind -eq 'v2') { $v2 } else { $v3 }
        $run = Invoke-ModuleUpdate $oldApp "-Name $Module -Source $source"
        $run.Errors.Id | Should -Be "$Id,SecureInstall.Commands.UpdatePinnedModuleManifestCommand" -Because $run.Out
        $run.Pins | Should -BeNullOrEmpty
        $run.Text | Should -BeExactly $oldApp
    }

    It 'a .nupkg larger than any module package is cut off (SizeLimitExceeded), manifest unchanged' {
        $feed.Server.Routes['/v3/flat/vast/index.json'] = @{ Body = [System.Text.Encoding]::UTF8.GetBytes('{ "versions": [ "1.0.0" ] }') }
        $feed.Server.Routes['/v3/flat/vast/1.0.0/vast.1.0.0.nupkg'] = @{ Body = [byte[]]::new(16); ContentLength = 3GB }
        $run = Invoke-ModuleUpdate $oldApp "-Name Vast -Source $v3"
        $run.Errors.Id | Should -Be 'SizeLimitExceeded,SecureInstall.Commands.UpdatePinnedModuleManifestCommand' -Because $run.Out
        $run.Text | Should -BeExactly $oldApp
    }

    It 'a feed that redirects its service index to another host: the token does not follow' {
        $storage = Start-LoopbackServer -Certificate $feed.Certificate
        try {
            $storage.Routes['/index.json'] = @{ Body = [System.Text.Encoding]::UTF8.GetBytes("{ `"version`": `"3.0.0`", `"resources`": [ { `"@id`": `"$base/v3/flat/`", `"@type`": `"PackageBaseAddress/3.0.0`" } ] }") }
            $feed.Server.Routes['/v3moved/index.json'] = @{ Status = 301; Reason = 'Moved'; Headers = @{ Location = "$($storage.Base)/index.json" } }
            $run = Invoke-ModuleUpdate "modules: {}`n" "-Name Base -Version 1.0.0 -Source $base/v3moved/index.json -FeedToken (ConvertTo-SecureString 'feed-secret-idx' -AsPlainText -Force)"
            $run.Errors | Should -BeNullOrEmpty -Because $run.Out
            @($storage.Heads).Count | Should -BeGreaterThan 0
            $storage.Heads | Should -Not -Match 'Authorization|feed-secret'
        }
        finally { Stop-LoopbackServer $storage }
    }
}
