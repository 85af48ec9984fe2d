#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }

# Issue 19: the cmdlets and the `secureinstall` verbs fill the same core requests, so the same bad input must give the
# same ErrorId in both. Every CLI verb is paired with its cmdlet below; every cmdlet is either paired or listed as having
# no verb; a verb or cmdlet added without a pairing, or a pairing without a parity case, fails here.
BeforeDiscovery {
    # verb → cmdlet
    $Pairs = [ordered]@{
        'verify'           = 'Test-Checksum'
        'checksums'        = 'New-ChecksumFile'
        'extract'          = 'Expand-VerifiedArchive'
        'get'              = 'Get-VerifiedArtifact'
        'verify-signature' = 'Test-ArtifactSignature'
        'verify-bundle'    = 'Test-SigstoreBundle'
        'install'          = 'Install-PinnedTool'
        'verify-installed' = 'Test-PinnedTool'
        'run-script'       = 'Invoke-VerifiedScript'
        'push'             = 'Save-PinnedTool'
        'add'              = 'Add-PinnedTool'
        'install-module'   = 'Install-PinnedModule'
        'test-module'      = 'Test-PinnedModule'
        'update-module'    = 'Update-PinnedModuleManifest'
        'uninstall-module' = 'Uninstall-PinnedModule'
        'save-module'      = 'Save-PinnedModule'
    }
    # Cmdlets with no verb, and why.
    $NoVerb = @{
        'Get-PinnedTool'            = 'a listing for scripts; verify-installed prints the same states'
        'Get-PinnedModule'          = 'a listing for scripts, as Get-PinnedTool; test-module prints the same states'
        'Uninstall-PinnedTool'      = 'not offered to bash yet'
        'Update-PinnedToolManifest' = 'edits a manifest for review; a PowerShell task'
    }

    # Each case: the verb, the ErrorId both must give, the CLI arguments and the cmdlet call (fixtures come from BeforeAll,
    # so both are script blocks run there). The inputs are the same; only the spelling of the options differs.
    $Cases = @(
        @{ Verb = 'verify'; Id = 'InvalidHash'; Name = 'a digest that is not hex'
           CliArgs = { 'verify', '--sha256', 'xyz', $a }; CmdletCall = { Test-Checksum -LiteralPath $a -Sha256 'xyz' } }
        @{ Verb = 'verify'; Id = 'ChecksumNotFound'; Name = 'a file the list does not name'
           CliArgs = { 'verify', '--checksums', $list, $b }; CmdletCall = { Test-Checksum -LiteralPath $b -ChecksumFile $list } }
        @{ Verb = 'checksums'; Id = 'PathIsDirectory'; Name = 'a folder to hash'
           CliArgs = { 'checksums', '-o', (Join-Path $TestDrive 'sums-cli.txt'), $dir }; CmdletCall = { New-ChecksumFile -LiteralPath $dir -OutFile (Join-Path $TestDrive 'sums-ps.txt') } }
        @{ Verb = 'extract'; Id = 'InvalidHash'; Name = 'a digest that is not hex'
           CliArgs = { 'extract', '--sha256', 'xyz', $a, (Join-Path $TestDrive 'x-cli') }; CmdletCall = { Expand-VerifiedArchive -LiteralPath $a -DestinationPath (Join-Path $TestDrive 'x-ps') -Sha256 'xyz' } }
        @{ Verb = 'get'; Id = 'ChecksumMismatch'; Name = 'another digest'
           CliArgs = { 'get', $aUri, '--sha256', $zero, '-o', (Join-Path $TestDrive 'g1-cli'), '--no-cache' }; CmdletCall = { Get-VerifiedArtifact -Uri $aUri -OutFile (Join-Path $TestDrive 'g1-ps') -Sha256 $zero -NoCache } }
        @{ Verb = 'get'; Id = 'SignatureParametersInvalid'; Name = 'two trusted keys'
           CliArgs = { 'get', $aUri, '--sha256', $shaA, '-o', (Join-Path $TestDrive 'g2-cli'), '--minisign-key', $minisignKey, '--pgp-key', $pgpKey }
           CmdletCall = { Get-VerifiedArtifact -Uri $aUri -OutFile (Join-Path $TestDrive 'g2-ps') -Sha256 $shaA -MinisignPublicKey $minisignKey -PgpPublicKey $pgpKey } }
        @{ Verb = 'get'; Id = 'SignatureParametersInvalid'; Name = 'a signature URI without a key'
           CliArgs = { 'get', $aUri, '--sha256', $shaA, '-o', (Join-Path $TestDrive 'g3-cli'), '--signature-uri', $sigUri }
           CmdletCall = { Get-VerifiedArtifact -Uri $aUri -OutFile (Join-Path $TestDrive 'g3-ps') -Sha256 $shaA -SignatureUri $sigUri } }
        @{ Verb = 'get'; Id = 'SignatureParametersInvalid'; Name = 'a fingerprint without an OpenPGP key (the CLI ignored it before issue 19)'
           CliArgs = { 'get', $aUri, '--sha256', $shaA, '-o', (Join-Path $TestDrive 'g4-cli'), '--minisign-key', $minisignKey, '--fingerprint', $fingerprint }
           CmdletCall = { Get-VerifiedArtifact -Uri $aUri -OutFile (Join-Path $TestDrive 'g4-ps') -Sha256 $shaA -MinisignPublicKey $minisignKey -Fingerprint $fingerprint } }
        @{ Verb = 'get'; Id = 'InsecureTransport'; Name = 'an http:// URI'
           CliArgs = { 'get', 'http://127.0.0.1:9/a.bin', '--sha256', $shaA, '-o', (Join-Path $TestDrive 'g5-cli') }
           CmdletCall = { Get-VerifiedArtifact -Uri 'http://127.0.0.1:9/a.bin' -OutFile (Join-Path $TestDrive 'g5-ps') -Sha256 $shaA } }
        @{ Verb = 'get'; Id = 'SignatureInvalid'; Name = 'an unsigned PE downloaded with an Authenticode signer pinned'
           CliArgs = { 'get', $peUri, '-o', (Join-Path $TestDrive 'g6-cli.dll'), '--signer-thumbprint', $thumbprint, '--no-cache' }
           CmdletCall = { Get-VerifiedArtifact -Uri $peUri -OutFile (Join-Path $TestDrive 'g6-ps.dll') -SignerThumbprint $thumbprint -NoCache } }
        @{ Verb = 'get'; Id = 'SignatureParametersInvalid'; Name = 'an Authenticode root without a signer pin'
           CliArgs = { 'get', $aUri, '--sha256', $shaA, '-o', (Join-Path $TestDrive 'g7-cli'), '--trusted-root', $pemKey }
           CmdletCall = { Get-VerifiedArtifact -Uri $aUri -OutFile (Join-Path $TestDrive 'g7-ps') -Sha256 $shaA -TrustedRoot $pemKey } }
        @{ Verb = 'get'; Id = 'InvalidFingerprint'; Name = 'an Authenticode thumbprint that is not 40 hex digits'
           CliArgs = { 'get', $aUri, '--sha256', $shaA, '-o', (Join-Path $TestDrive 'g8-cli'), '--signer-thumbprint', 'ABCD' }
           CmdletCall = { Get-VerifiedArtifact -Uri $aUri -OutFile (Join-Path $TestDrive 'g8-ps') -Sha256 $shaA -SignerThumbprint 'ABCD' } }
        @{ Verb = 'verify-signature'; Id = 'SignatureInvalid'; Name = 'a changed file'
           CliArgs = { 'verify-signature', '--minisign-key', $minisignKey, '-x', $minisig, $changed }
           CmdletCall = { Test-ArtifactSignature -LiteralPath $changed -MinisignPublicKey $minisignKey -MinisignSignature $minisig } }
        @{ Verb = 'verify-signature'; Id = 'PublicKeyInvalid'; Name = 'a minisign key that does not decode'
           CliArgs = { 'verify-signature', '--minisign-key', 'RWQnot-a-key', $changed }
           CmdletCall = { Test-ArtifactSignature -LiteralPath $changed -MinisignPublicKey 'RWQnot-a-key' } }
        @{ Verb = 'verify-bundle'; Id = 'PathNotFound'; Name = 'a bundle that does not exist'
           CliArgs = { 'verify-bundle', '--bundle', (Join-Path $TestDrive 'none.sigstore.json'), '--key', $pemKey, $a }
           CmdletCall = { Test-SigstoreBundle -LiteralPath $a -Bundle (Join-Path $TestDrive 'none.sigstore.json') -PublicKey $pemKey } }
        @{ Verb = 'install'; Id = 'ManifestInvalid'; Name = 'a manifest that is not YAML'
           CliArgs = { 'install', '--manifest', $badManifest }; CmdletCall = { Install-PinnedTool -Manifest $badManifest } }
        @{ Verb = 'verify-installed'; Id = 'LockInvalid'; Name = 'a lock that is not JSON'
           CliArgs = { 'verify-installed', '--manifest', $badLockManifest }; CmdletCall = { Test-PinnedTool -Manifest $badLockManifest } }
        @{ Verb = 'verify-installed'; Id = 'NotInstalled'; Name = 'a tool the lock does not record'
           CliArgs = { 'verify-installed', '--manifest', $emptyLockManifest, 'nope' }; CmdletCall = { Test-PinnedTool -Manifest $emptyLockManifest -Name nope } }
        @{ Verb = 'push'; Id = 'RegistryReferenceInvalid'; Name = 'a registry reference without a repository'
           CliArgs = { 'push', '--manifest', $emptyLockManifest, '--to', 'oci://127.0.0.1:9' }; CmdletCall = { Save-PinnedTool -Manifest $emptyLockManifest -Destination 'oci://127.0.0.1:9' } }
        @{ Verb = 'install'; Id = 'RegistryReferenceInvalid'; Name = 'a registry repository the distribution spec does not allow'
           CliArgs = { 'install', '--manifest', $emptyLockManifest, '--registry', 'oci://127.0.0.1:9/Upper/Case' }; CmdletCall = { Install-PinnedTool -Manifest $emptyLockManifest -Registry 'oci://127.0.0.1:9/Upper/Case' } }
        @{ Verb = 'install-module'; Id = 'RegistryReferenceInvalid'; Name = 'a registry repository the distribution spec does not allow'
           CliArgs = { 'install-module', '--manifest', $emptyLockManifest, '--registry', 'oci://127.0.0.1:9/Upper/Case', '--module-path', (Join-Path $TestDrive 'm0-cli') }
           CmdletCall = { Install-PinnedModule -Manifest $emptyLockManifest -Registry 'oci://127.0.0.1:9/Upper/Case' -ModulePath (Join-Path $TestDrive 'm0-ps') } }
        @{ Verb = 'install-module'; Id = 'ChecksumMismatch'; Name = 'a .nupkg whose SHA-512 differs from the pin'
           CliArgs = { 'install-module', '--manifest', $wrongShaModules, '--module-path', (Join-Path $TestDrive 'm1-cli') }
           CmdletCall = { Install-PinnedModule -Manifest $wrongShaModules -ModulePath (Join-Path $TestDrive 'm1-ps') } }
        @{ Verb = 'install-module'; Id = 'ModuleDependencyNotPinned'; Name = 'a dependency the manifest does not pin'
           CliArgs = { 'install-module', '--manifest', $unpinnedModules, '--module-path', (Join-Path $TestDrive 'm2-cli') }
           CmdletCall = { Install-PinnedModule -Manifest $unpinnedModules -ModulePath (Join-Path $TestDrive 'm2-ps') } }
        @{ Verb = 'install-module'; Id = 'ModuleIdentityMismatch'; Name = 'a package whose .psd1 names another version'
           CliArgs = { 'install-module', '--manifest', $liarModules, '--module-path', (Join-Path $TestDrive 'm3-cli') }
           CmdletCall = { Install-PinnedModule -Manifest $liarModules -ModulePath (Join-Path $TestDrive 'm3-ps') } }
        @{ Verb = 'test-module'; Id = 'NotInstalled'; Name = 'a module the lock does not record'
           CliArgs = { 'test-module', '--manifest', $emptyLockManifest, '--module-path', (Join-Path $TestDrive 'm4'), 'Nope' }
           CmdletCall = { Test-PinnedModule -Manifest $emptyLockManifest -ModulePath (Join-Path $TestDrive 'm4') -Name Nope } }
        @{ Verb = 'update-module'; Id = 'PinnedDigestChanged'; Name = 'a pinned version whose package on the feed changed'
           CliArgs = { 'update-module', '--manifest', $wrongShaModules, 'Helper', '--version', '1.0.0' }
           CmdletCall = { Update-PinnedModuleManifest -Manifest $wrongShaModules -Name Helper -Version 1.0.0 } }
        @{ Verb = 'update-module'; Id = 'InvalidUri'; Name = 'a feed that is not an absolute URL'
           CliArgs = { 'update-module', '--manifest', $wrongShaModules, 'Helper', '--source', 'feed/index.json' }
           CmdletCall = { Update-PinnedModuleManifest -Manifest $wrongShaModules -Name Helper -Source 'feed/index.json' } }
        @{ Verb = 'uninstall-module'; Id = 'NotInstalled'; Name = 'a module the lock does not record'
           CliArgs = { 'uninstall-module', '--manifest', $emptyLockManifest, 'Nope', '--module-path', (Join-Path $TestDrive 'm5') }
           CmdletCall = { Uninstall-PinnedModule -Manifest $emptyLockManifest -Name Nope -ModulePath (Join-Path $TestDrive 'm5') } }
        @{ Verb = 'save-module'; Id = 'ChecksumMismatch'; Name = 'a package that is not the pinned one'
           CliArgs = { 'save-module', '--manifest', $wrongShaModules, '--path', (Join-Path $TestDrive 'b1-cli') }
           CmdletCall = { Save-PinnedModule -Manifest $wrongShaModules -Path (Join-Path $TestDrive 'b1-ps') } }
        @{ Verb = 'run-script'; Id = 'InvalidHash'; Name = 'a digest that is not hex'
           CliArgs = { 'run-script', $scriptUri, '--sha256', 'xyz' }; CmdletCall = { Invoke-VerifiedScript -Uri $scriptUri -Sha256 'xyz' } }
        @{ Verb = 'add'; Id = 'CatalogPackageNotFound'; Name = 'a package the registry does not define'
           CliArgs = { 'add', 'nobody/nothing@v1.0.0', '--manifest', (Join-Path $TestDrive 'add-cli.yml'), '--aqua-registry', $TestDrive }
           CmdletCall = { Add-PinnedTool -Manifest (Join-Path $TestDrive 'add-ps.yml') -Name nobody/nothing -Version v1.0.0 -Registry $TestDrive } }
    )
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../SecureInstall.psd1') -Force
    $root = Resolve-Path (Join-Path $PSScriptRoot '../..')
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force

    # The CLI prints a failure as "secureinstall: ErrorId: message" on stderr (ExitCodes.Report): the first such id.
    function Get-CliErrorId([object[]]$Arguments) {
        $text = (Invoke-Cli @Arguments).Text
        if ($text -match '(?m)^secureinstall: ([A-Za-z]+): ') { $Matches[1] } else { "no id in: $text" }
    }
    # The cmdlet's ErrorId: the first part of FullyQualifiedErrorId, whether the error was terminating or not.
    function Get-CmdletErrorId([scriptblock]$Call) {
        $ErrorActionPreference = 'Stop'
        try {
            $null = & $Call
        }
        catch {
            return $_.FullyQualifiedErrorId.Split(',')[0]
        }
        'no error'
    }

    $savedCache = $env:SECUREINSTALL_CACHE
    $env:SECUREINSTALL_CACHE = Join-Path $TestDrive 'cache'
    $utf8 = New-Object System.Text.UTF8Encoding($false)
    $vectors = Join-Path $PSScriptRoot 'fixtures/signatures'
    $dir = Join-Path $TestDrive 'in'
    $null = New-Item -ItemType Directory -Path $dir
    $a = Join-Path $dir 'a.bin'
    $b = Join-Path $dir 'b.bin'
    [System.IO.File]::WriteAllText($a, 'alpha', $utf8)
    [System.IO.File]::WriteAllText($b, 'beta', $utf8)
    $shaA = (Get-FileHash -LiteralPath $a).Hash.ToLowerInvariant()
    $zero = '0' * 64
    $aUri = [System.Uri]::new($a).AbsoluteUri
    $list = Join-Path $dir 'SHA256SUMS'
    [System.IO.File]::WriteAllText($list, "$shaA  a.bin`n", $utf8)

    $minisignKey = 'RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3'
    $minisig = Join-Path $vectors 'minisign/test.minisig'
    $pgpKey = Join-Path $vectors 'signer.pub.asc'
    $fingerprint = '01461741D1D1D2745FB4D2B602652EAC77DD49B9'
    $pemKey = Join-Path $TestDrive 'cosign.pub'
    [System.IO.File]::WriteAllText($pemKey, (New-EcdsaPublicKeyPem), $utf8)
    $sigUri = [System.Uri]::new((Join-Path $vectors 'minisign/test.minisig')).AbsoluteUri
    $changed = Join-Path $TestDrive 'changed'
    [System.IO.File]::WriteAllText($changed, 'Test', $utf8)
    $badManifest = Join-Path $TestDrive 'bad/secureinstall.yml'
    $null = New-Item -ItemType Directory -Path (Split-Path $badManifest)
    [System.IO.File]::WriteAllText($badManifest, 'tools: [', $utf8)
    $badLockManifest = Join-Path $TestDrive 'badlock/secureinstall.yml'
    $null = New-Item -ItemType Directory -Path (Split-Path $badLockManifest)
    [System.IO.File]::WriteAllText($badLockManifest, "tools: {}`n", $utf8)
    [System.IO.File]::WriteAllText((Join-Path (Split-Path $badLockManifest) 'secureinstall.lock.json'), '{ not json', $utf8)
    $emptyLockManifest = Join-Path $TestDrive 'emptylock/secureinstall.yml'
    $null = New-Item -ItemType Directory -Path (Split-Path $emptyLockManifest)
    [System.IO.File]::WriteAllText($emptyLockManifest, "tools: {}`n", $utf8)
    # Module pins on a v3 feed on disk (file: index and flat container), so the cmdlet in this session and the CLI read the same feed.
    $flat = Join-Path $TestDrive 'feed/flat'
    $feedIndex = Join-Path $TestDrive 'feed/index.json'
    Write-Fixture $feedIndex "{ `"resources`": [ { `"@id`": `"$(ConvertTo-FileUri $flat)/`", `"@type`": `"PackageBaseAddress/3.0.0`" } ] }"
    function Add-FeedModule([string]$Id, [string]$Version, [byte[]]$Bytes, [string]$Sha512 = (Get-Sha512Hex $Bytes)) {
        Write-Fixture (Join-Path $flat "$($Id.ToLowerInvariant())/$Version/$($Id.ToLowerInvariant()).$Version.nupkg") $Bytes
        "  ${Id}:`n    version: `"$Version`"`n    sha512: `"$Sha512`"`n    source: $(ConvertTo-FileUri $feedIndex)`n"
    }
    $wrongShaModules = Join-Path $TestDrive 'mod-sha/tools.yml'
    Write-Fixture $wrongShaModules ("modules:`n" + (Add-FeedModule 'Helper' '1.0.0' (New-ModulePackage 'Helper' '1.0.0') -Sha512 ('0' * 128)))
    $unpinnedModules = Join-Path $TestDrive 'mod-dep/tools.yml'
    Write-Fixture $unpinnedModules ("modules:`n" + (Add-FeedModule 'Greeter' '1.2.0' (New-ModulePackage 'Greeter' '1.2.0' -Dependencies @{ Helper = '[1.0.0]' })))
    $liarModules = Join-Path $TestDrive 'mod-psd1/tools.yml'
    Write-Fixture $liarModules ("modules:`n" + (Add-FeedModule 'Liar' '2.0.0' (New-ModulePackage 'Liar' '2.0.0' -ModuleVersion '2.0.1')))
    $savedHome = $env:SECUREINSTALL_HOME
    $env:SECUREINSTALL_HOME = Join-Path $TestDrive 'home'
    $script = Join-Path $TestDrive 'install.ps1'
    [System.IO.File]::WriteAllText($script, "'hi'`n", $utf8)
    $scriptUri = [System.Uri]::new($script).AbsoluteUri
    # A real, unsigned PE file: the built core assembly.
    $peUri = [System.Uri]::new((Join-Path $root 'bin/deps/SecureInstall.Core.dll')).AbsoluteUri
    $thumbprint = '0123456789ABCDEF0123456789ABCDEF01234567'
}

AfterAll {
    $env:SECUREINSTALL_CACHE = $savedCache
    $env:SECUREINSTALL_HOME = $savedHome
}

Describe 'Front-end parity' {
    It 'pairs every CLI verb with a cmdlet, and lists every other cmdlet as having no verb' -ForEach @(@{ Pairs = $Pairs; NoVerb = $NoVerb }) {
        $help = (Invoke-Cli --help).Text
        $verbs = @([regex]::Matches(($help -split '(?m)^Commands:')[1], '(?m)^\s{2}([a-z][a-z-]+)\s') | ForEach-Object { $_.Groups[1].Value })
        $verbs | Should -Not -BeNullOrEmpty
        @($verbs | Where-Object { -not $Pairs.Contains($_) }) | Should -BeNullOrEmpty -Because 'a new verb needs its cmdlet pairing and a parity case'
        @($Pairs.Keys | Where-Object { $_ -notin $verbs }) | Should -BeNullOrEmpty -Because 'a pairing names a verb that no longer exists'
        $cmdlets = @(Get-Command -Module SecureInstall -CommandType Cmdlet | ForEach-Object Name)
        @($Pairs.Values | Where-Object { $_ -notin $cmdlets }) | Should -BeNullOrEmpty
        @($cmdlets | Where-Object { $_ -notin $Pairs.Values -and -not $NoVerb.ContainsKey($_) }) | Should -BeNullOrEmpty -Because 'a new cmdlet needs a verb pairing or a reason it has none'
    }

    It 'has a parity case for every verb' -ForEach @(@{ Pairs = $Pairs; Cases = $Cases }) {
        @($Pairs.Keys | Where-Object { $_ -notin $Cases.Verb }) | Should -BeNullOrEmpty
    }

    It '<Verb> and its cmdlet give <Id> for <Name>' -ForEach $Cases {
        $fromCli = Get-CliErrorId (& $CliArgs)
        $fromCmdlet = Get-CmdletErrorId $CmdletCall
        $fromCli | Should -BeExactly $Id
        $fromCmdlet | Should -BeExactly $Id
    }
}
