#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }

# Every example is a test (issue 18 §3): each PowerShell statement of README.md's ```powershell blocks, each
# module/help/<Cmdlet>.psd1 example (what Get-Help -Examples shows) and each `secureinstall` CLI line of the README
# runs here against fixtures: URLs go to a loopback HTTPS server, paths to files in a fresh workspace under $TestDrive
# (E:\ is a PSDrive there), the README's placeholders to fixture values through the table below. An example that
# cannot run here is listed in $NotRunnable with the reason; one that is neither run nor listed fails the test.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'Examples.Helpers.ps1')
    $examples = @(Get-DocumentedExample -Root (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path)
    # Examples that cannot run here, by id, with the reason. Keep it short and honest.
    $NotRunnable = @{
        "README.md: Test-SigstoreBundle .\app.zip -Attestation .\app.zip.jsonl -Repository OWNER/PRIVATE-REPO -TrustedRoot .\github-trusted-root.json" =
            "an attestation from a private repository on GitHub's own Sigstore instance: the real ones kept (tests/fixtures/sigstore) come without their artifacts, so xunit verifies them by digest (NoCertificateTransparencyTests)"
        "Test-SigstoreBundle help: Test-SigstoreBundle .\app.zip -Attestation .\app.zip.jsonl -Repository OWNER/PRIVATE-REPO -TrustedRoot .\github-trusted-root.json" =
            "an attestation from a private repository on GitHub's own Sigstore instance: the real ones kept (tests/fixtures/sigstore) come without their artifacts, so xunit verifies them by digest (NoCertificateTransparencyTests)"
        "README.md: Test-SigstoreBundle .\checksums.txt -Bundle .\checksums.txt.sigstore.json `` -CertificateIdentity 'https://github.com/secureinstall/SecureInstall/.github/workflows/release.yml@refs/tags/v0.1.0' `` -CertificateOidcIssuer https://token.actions.githubusercontent.com" =
            "the Sigstore bundle of SecureInstall's own release: none is published yet, and a Fulcio certificate for that workflow cannot be made offline (the same keyless check runs in the Sigstore section's examples)"
        "Test-ArtifactSignature help: Test-ArtifactSignature .\setup.exe -SignerThumbprint '0123456789ABCDEF0123456789ABCDEF01234567' -TrustedRoot .\publisher-root.cer" =
            'Authenticode: needs a PE signed by the pinned certificate under that root; Test-ArtifactSignature.Tests.ps1 runs the same command on PE files osslsigncode signs with certificates the test makes'
        "Save-PinnedTool help: Save-PinnedTool -Manifest .\tools.yml -Destination oci://registry.corp.example/tools/secureinstall:v1 -Platform all -RegistryCredential (Get-Credential)" =
            'a push to a registry: Save-PinnedTool.Tests.ps1 and RegistryPushPullTests run it against the real docker-registry (interactive Get-Credential aside)'
        "Install-PinnedModule help: Install-PinnedModule -Manifest .\tools.yml -Registry oci://registry.corp.example/tools/secureinstall -RegistryOnly" =
            'a pull from a registry: Save-PinnedTool.Tests.ps1 (the modules'' fleet story) and RegistryModulePushTests run it against the real docker-registry, and against an OCI image layout folder'
        "Get-VerifiedArtifact help: Get-VerifiedArtifact -Uri https://example.org/setup.exe -OutFile . -Sha256 '5f5d2e3c...' -SignerThumbprint '0123456789ABCDEF0123456789ABCDEF01234567' -TrustedRoot .\publisher-root.cer" =
            'Authenticode: needs a PE signed by the pinned certificate under that root; Get-VerifiedArtifact.Tests.ps1 runs the same command on PE files osslsigncode signs with certificates the test makes'
    }
    # The Sigstore examples run against the sigstore-conformance cases of the shared corpus; without it they cannot.
    $sigstoreCorpus = Join-Path $PSScriptRoot '../../../shared/corpus/sigstore-conformance/test/assets/bundle-verify'
    if (-not (Test-Path -LiteralPath $sigstoreCorpus)) {
        foreach ($e in $examples | Where-Object { $_.Text -match 'Test-SigstoreBundle|-SigstoreBundle|-Attestation|verify-bundle' -and -not $NotRunnable.ContainsKey($_.Id) }) {
            $NotRunnable[$e.Id] = 'a Sigstore example: its bundles come from the sigstore-conformance corpus (../shared/corpus), absent on this machine'
        }
    }
    # The fleet examples push to and pull from the CNCF distribution registry (registry.corp.example is a docker-registry on loopback).
    . (Join-Path $PSScriptRoot 'RegistryHelpers.ps1')
    if (Get-TestRegistrySkipReason) {
        foreach ($e in $examples | Where-Object { $_.Text -match 'registry\.corp\.example' -and -not $NotRunnable.ContainsKey($_.Id) }) {
            $NotRunnable[$e.Id] = "a fleet example: it $(Get-TestRegistrySkipReason)"
        }
    }
    # The Add-PinnedTool examples add cli/cli from the aqua-registry corpus; without it they cannot.
    if (-not (Test-Path -LiteralPath (Join-Path $PSScriptRoot '../../../shared/corpus/aqua-registry/pkgs/cli/cli/registry.yaml'))) {
        foreach ($e in $examples | Where-Object { $_.Text -match 'Add-PinnedTool' -and -not $NotRunnable.ContainsKey($_.Id) }) {
            $NotRunnable[$e.Id] = 'adds cli/cli from the aqua-registry corpus (../shared/corpus), absent on this machine'
        }
    }
    $runnable = @($examples | Where-Object { -not $NotRunnable.ContainsKey($_.Id) } | ForEach-Object { @{ Id = $_.Id; Kind = $_.Kind; Line = $_.Line } })
    $listed = @($examples | Where-Object { $NotRunnable.ContainsKey($_.Id) } | ForEach-Object { @{ Id = $_.Id; Reason = $NotRunnable[$_.Id] } })
    $stale = @($NotRunnable.Keys | Where-Object { $_ -notin $examples.Id })
}

Describe 'Documented examples' -ForEach @(@{ NotRunnableIds = [string[]]@($NotRunnable.Keys) }) {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'Examples.Helpers.ps1')
        Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
        $root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
        $vectors = Join-Path $PSScriptRoot 'fixtures/signatures'
        $pwsh = (Get-Process -Id $PID).Path
        $cli = Get-CliPath
        $releaseTool = Get-ChildItem -Path (Join-Path $root 'tools/SecureInstall.Release/bin') -Recurse -Filter SecureInstall.Release.dll -ErrorAction SilentlyContinue |
            Sort-Object LastWriteTimeUtc -Descending | Select-Object -First 1
        if (-not $releaseTool) { throw 'Build first: tools/SecureInstall.Release stamps the bootstrap the README one-liner runs.' }
        $utf8 = New-Object System.Text.UTF8Encoding($false)
        function New-TarGz([string]$Top, [hashtable]$Executables) {
            # A release tarball with one top folder, made by tar(1) so modes are real.
            $src = Join-Path $TestDrive ('tar-' + [guid]::NewGuid().ToString('N'))
            foreach ($name in $Executables.Keys) {
                Write-Fixture (Join-Path $src "$Top/$name") $Executables[$name]
                if (-not (Test-IsWindows)) { & chmod 0755 (Join-Path $src "$Top/$name") }
            }
            Write-Fixture (Join-Path $src "$Top/LICENSE") 'example licence'
            $out = "$src.tar.gz"
            & tar -czf $out -C $src $Top
            if ($LASTEXITCODE) { throw "tar failed for $Top" }
            , [System.IO.File]::ReadAllBytes($out)
        }

        # --- the loopback HTTPS server every URL of the examples is sent to ---
        $pem = Join-Path $TestDrive 'loopback-ca.pem'
        $server = Start-LoopbackServer -Certificate (New-LoopbackCertificate -PemPath $pem) -Routes @{}
        $base = $server.Base
        $routes = $server.Routes

        # --- registry.corp.example: the real docker-registry on loopback (TLS from its own test CA, htpasswd), with the
        # child's `docker login` already done (~/.docker/config.json auths) and REGISTRY_PASSWORD set for the CLI line ---
        . (Join-Path $PSScriptRoot 'RegistryHelpers.ps1')
        $registry = if (-not (Get-TestRegistrySkipReason)) { Start-TestRegistry }

        # --- fixture bytes ---
        $toolBytes = [System.IO.File]::ReadAllBytes((Join-Path $vectors 'release/tool-1.0.zip'))   # "release bytes of tool 1.0", in the signed list
        $toolSha = Get-Sha256Hex $toolBytes
        $tarBytes = [System.IO.File]::ReadAllBytes((Join-Path $root 'samples/tools/dist/hello-1.0.0-unix.tar.gz'))
        $tarSha = Get-Sha256Hex $tarBytes
        # An installer that refuses a -Version that is not a version, so an example passing its arguments wrongly fails.
        $scriptBytes = $utf8.GetBytes("param([string]`$Version = 'latest')`nif (`$Version -notmatch '^(latest|\d+(\.\d+)*)$') { throw `"not a version: `$Version`" }`n`"example installer: would install version `$Version`"`n")
        $scriptSha = Get-Sha256Hex $scriptBytes
        $signerFingerprint = '01461741D1D1D2745FB4D2B602652EAC77DD49B9'
        $minisignKey = 'RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3'
        $platform = if (Test-IsWindows) { 'windows' } elseif (Test-IsMacOS) { 'darwin' } else { 'linux' }
        $platform += if ([System.Runtime.InteropServices.RuntimeInformation]::OSArchitecture -eq 'Arm64') { '-arm64' } else { '-x64' }

        # Pinned tools: go (two versions, a newer one only in the publisher's list) and node, served by the loopback server.
        $tools = @{}
        foreach ($t in @(@{ Name = 'go'; Version = '1.22.10'; File = 'go1.22.10.tar.gz'; Dir = 'dl' }, @{ Name = 'go'; Version = '1.23.5'; File = 'go1.23.5.tar.gz'; Dir = 'dl' },
                @{ Name = 'go'; Version = '1.23.6'; File = 'go1.23.6.tar.gz'; Dir = 'dl' }, @{ Name = 'node'; Version = '22.22.0'; File = 'node-v22.22.0.tar.gz'; Dir = 'node/v22.22.0' })) {
            $bytes = New-TarGz "$($t.Name)-$($t.Version)" @{ "bin/$($t.Name)" = "#!/bin/sh`necho $($t.Name) $($t.Version)`n" }
            $routes["/$($t.Dir)/$($t.File)"] = @{ Body = $bytes }
            $tools["$($t.Name) $($t.Version)"] = @{ Url = "$base/$($t.Dir)/$($t.File)"; Sha = (Get-Sha256Hex $bytes); File = $t.File }
        }
        $routes['/dl/1.23.6/SHA256SUMS'] = @{ Body = $utf8.GetBytes("$($tools['go 1.23.6'].Sha)  go1.23.6.tar.gz`n$($tools['go 1.23.5'].Sha)  go1.23.5.tar.gz`n") }
        $routes['/node/v22.22.0/SHASUMS256.txt'] = @{ Body = $utf8.GetBytes("$($tools['node 22.22.0'].Sha)  node-v22.22.0.tar.gz`n") }
        function Get-ArtifactYaml([string]$Key, [string]$Anchor) {
            $a = $tools[$Key]
            $bin = 'bin/' + $Key.Split(' ')[0]
            "          linux-x64: &$Anchor`n            url: $($a.Url)`n            sha256: $($a.Sha)`n            archive: tar.gz`n            strip_components: 1`n            bin: $bin`n" +
            (('linux-arm64', 'darwin-x64', 'darwin-arm64', 'windows-x64', 'windows-arm64' | ForEach-Object { "          ${_}: *$Anchor`n" }) -join '')
        }
        $manifest = "tools:`n  go:`n    default_version: `"1.23.5`"`n    checksums_url: $base/dl/{version}/SHA256SUMS`n    versions:`n" +
            "      `"1.22.10`":`n        artifacts:`n" + (Get-ArtifactYaml 'go 1.22.10' 'go12210') +
            "      `"1.23.5`":`n        artifacts:`n" + (Get-ArtifactYaml 'go 1.23.5' 'go1235') +
            "  node:`n    default_version: `"22.22.0`"`n    checksums_url: $base/node/v{version}/SHASUMS256.txt`n    versions:`n" +
            "      `"22.22.0`":`n        artifacts:`n" + (Get-ArtifactYaml 'node 22.22.0' 'node22')

        # The README one-liner's release: a bootstrap stamped for a stand-in module package, both on the loopback server.
        $package = New-ZipBytes @{
            'SecureInstall.psd1' = "@{ RootModule = 'SecureInstall.psm1'; ModuleVersion = '9.9.9'; GUID = '5e1c7a11-0b6d-4c1e-9a57-3f2d8e6b9c40'; FunctionsToExport = @('Get-BootstrapProbe') }"
            'SecureInstall.psm1' = "function Get-BootstrapProbe { 'probe: module loaded' }"
        }
        $routes['/SecureInstall-9.9.9.zip'] = @{ Body = $package }
        $stamped = Join-Path $TestDrive 'Install-SecureInstall.ps1'
        & dotnet $releaseTool.FullName stamp --bootstrap (Join-Path $root 'module/Install-SecureInstall.ps1') --output $stamped `
            --version 9.9.9 --package-uri "$base/SecureInstall-9.9.9.zip" --sha256 (Get-Sha256Hex $package) --size $package.Length
        if ($LASTEXITCODE -ne 0) { throw 'stamping the bootstrap failed' }
        $bootstrapBytes = [System.IO.File]::ReadAllBytes($stamped)
        $routes['/secureinstall/SecureInstall/releases/download/v0.1.0/Install-SecureInstall.ps1'] = @{ Body = $bootstrapBytes }

        # Every other URL the examples name, by its path (the host is rewritten to the loopback server).
        $routes['/tool-1.2.zip'] = @{ Body = $toolBytes }
        $routes['/install.ps1'] = @{ Body = $scriptBytes }
        $routes['/uv/install.ps1'] = @{ Body = $scriptBytes }
        $routes['/o/r/releases/download/v1/tool.tar.gz'] = @{ Body = $tarBytes }
        $routes['/o/r/releases/download/v1/SHA256SUMS'] = @{ Body = $utf8.GetBytes("$tarSha  tool.tar.gz`n") }
        # HashiCorp's list and signature stand in as the signed fixture list (fixtures/signatures/release).
        $routes['/terraform/1.9.0/tool-1.0.zip'] = @{ Body = $toolBytes }
        $routes['/terraform/1.9.0/terraform_1.9.0_SHA256SUMS'] = @{ Body = [System.IO.File]::ReadAllBytes((Join-Path $vectors 'release/SHA256SUMS')) }
        $routes['/terraform/1.9.0/terraform_1.9.0_SHA256SUMS.sig'] = @{ Body = [System.IO.File]::ReadAllBytes((Join-Path $vectors 'release/SHA256SUMS.asc')) }

        # --- the workspace every example starts in (a fresh copy each time) ---
        $scratch = Join-Path $TestDrive 'examples'
        $work = Join-Path $scratch 'work'
        foreach ($name in 'tool.zip', 'pwsh.zip', 'tool-1.0.zip') { Write-Fixture (Join-Path $work $name) $toolBytes }
        Write-Fixture (Join-Path $work 'tool-1.0-other.zip') 'other'
        Copy-Item -LiteralPath (Join-Path $vectors 'release/SHA256SUMS') -Destination (Join-Path $work 'SHA256SUMS')
        Copy-Item -LiteralPath (Join-Path $vectors 'release/SHA256SUMS.asc') -Destination (Join-Path $work 'SHA256SUMS.sig')
        foreach ($name in 'release-key.asc', 'hashicorp.asc') { Copy-Item -LiteralPath (Join-Path $vectors 'signer.pub.asc') -Destination (Join-Path $work $name) }
        Copy-Item -LiteralPath (Join-Path $vectors 'SHA256SUMS.clearsigned.txt') -Destination (Join-Path $work 'hashes.txt')
        Copy-Item -LiteralPath (Join-Path $vectors 'minisign/test') -Destination (Join-Path $work 'zig.tar.xz')
        Copy-Item -LiteralPath (Join-Path $vectors 'minisign/test.minisig') -Destination (Join-Path $work 'zig.tar.xz.minisig')
        Write-Fixture (Join-Path $work 'checksums.txt') "$toolSha  tool.zip`n$toolSha  tool-1.0.zip`n"
        Write-Fixture (Join-Path $work 'installer.exe') 'installer bytes'
        $installerSha = Get-Sha256Hex ([System.IO.File]::ReadAllBytes((Join-Path $work 'installer.exe')))
        Write-Fixture (Join-Path $work 'dist/tool-linux.tar.gz') $tarBytes
        Write-Fixture (Join-Path $work 'dist/notes/README.txt') 'release notes'
        foreach ($name in 'tool-1.2.3.tar.gz', 'tool-1.2.3-linux-x64.tar.gz') { Write-Fixture (Join-Path $work $name) $tarBytes }
        Write-Fixture (Join-Path $work 'downloads/tool-windows.zip') (New-ZipBytes @{ 'bin/tool.cmd' = '@echo tool'; 'README.txt' = 'readme' })
        Write-Fixture (Join-Path $work 'artifacts.csv') ("Uri,OutFile,Sha256`n$base/tool-1.2.zip,a.zip,$toolSha`n" +
            "$base/o/r/releases/download/v1/tool.tar.gz,b.tar.gz,$tarSha`n")
        # A pinned PowerShell module for Install-PinnedModule's examples, in a NuGet v3 feed (service index + flat container).
        $modulePackage = New-ZipBytes @{
            'Pester.nuspec' = '<?xml version="1.0" encoding="utf-8"?><package><metadata><id>Pester</id><version>5.9.0</version></metadata></package>'
            'Pester.psd1'   = "@{ RootModule = 'Pester.psm1'; ModuleVersion = '5.9.0'; GUID = 'a699dea5-2c73-4616-a270-1f7abb777e71' }"
            'Pester.psm1'   = 'function Invoke-Pester { }'
        }
        $routes['/v3/index.json'] = @{ Body = $utf8.GetBytes("{ `"version`": `"3.0.0`", `"resources`": [ { `"@id`": `"$base/v3/flat/`", `"@type`": `"PackageBaseAddress/3.0.0`" } ] }") }
        $routes['/v3/flat/pester/5.9.0/pester.5.9.0.nupkg'] = @{ Body = $modulePackage }
        $routes['/v3/flat/pester/index.json'] = @{ Body = $utf8.GetBytes('{ "versions": [ "5.9.0" ] }') }  # Update-PinnedModuleManifest's version list
        $moduleSha512 = Get-Sha512Hex $modulePackage
        $manifest += "modules:`n  Pester:`n    version: `"5.9.0`"`n    sha512: `"$moduleSha512`"`n    source: $base/v3/index.json`n"
        Write-Fixture (Join-Path $work 'tools.yml') $manifest
        Copy-Item -LiteralPath (Join-Path $root 'samples') -Destination (Join-Path $work 'samples') -Recurse
    Copy-Item -LiteralPath (Join-Path $root 'samples/release') -Destination (Join-Path $work 'release') -Recurse
        # Add-PinnedTool: the real cli/cli definition (../shared/corpus/aqua-registry, copied into the workspace as the test runs)
        # and its v2.63.0 release on the loopback server, under the names the definition gives.
        $aquaCli = Join-Path $PSScriptRoot '../../../shared/corpus/aqua-registry/pkgs/cli/cli/registry.yaml'
        if (Test-Path -LiteralPath $aquaCli) {
            Write-Fixture (Join-Path $work 'aqua-registry/pkgs/cli/cli/registry.yaml') ([System.IO.File]::ReadAllBytes($aquaCli))
            $ghSums = ''
            foreach ($name in 'linux_amd64.tar.gz', 'linux_arm64.tar.gz', 'macOS_amd64.zip', 'macOS_arm64.zip', 'windows_amd64.zip', 'windows_arm64.zip') {
                $ghBytes = $utf8.GetBytes("gh 2.63.0 $name")
                $routes["/cli/cli/releases/download/v2.63.0/gh_2.63.0_$name"] = @{ Body = $ghBytes }
                $ghSums += "$(Get-Sha256Hex $ghBytes)  gh_2.63.0_$name`n"
            }
            $routes['/cli/cli/releases/download/v2.63.0/gh_2.63.0_checksums.txt'] = @{ Body = $utf8.GetBytes($ghSums) }
        }
        # Sigstore: the conformance cases stand in for the bundles the examples name (a.txt is what they sign).
        $sigstoreCases = Join-Path $PSScriptRoot '../../../shared/corpus/sigstore-conformance/test/assets/bundle-verify'
        $beaconId = 'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main'
        $beaconIssuer = 'https://token.actions.githubusercontent.com'
        $beaconRepo = 'sigstore-conformance/extremely-dangerous-public-oidc-beacon'
        $signedSha = ''
        if (Test-Path -LiteralPath $sigstoreCases) {
            $signedSha = Get-Sha256Hex ([System.IO.File]::ReadAllBytes((Join-Path $sigstoreCases 'a.txt')))
            foreach ($name in 'tool.tar.gz', 'cosign-linux-amd64') { Copy-Item -LiteralPath (Join-Path $sigstoreCases 'a.txt') -Destination (Join-Path $work $name) }
            foreach ($name in 'tool.tar.gz.sigstore.json', 'tool.sigstore.json', 'cosign-linux-amd64.sigstore.json') {
                Copy-Item -LiteralPath (Join-Path $sigstoreCases 'happy-path-v0.3/bundle.sigstore.json') -Destination (Join-Path $work $name)
            }
            Copy-Item -LiteralPath (Join-Path $sigstoreCases 'happy-path-intoto-in-dsse-v3/bundle.sigstore.json') -Destination (Join-Path $work 'attestation.sigstore.json')
            Copy-Item -LiteralPath (Join-Path $sigstoreCases 'managed-key-happy-path/bundle.sigstore.json') -Destination (Join-Path $work 'keyed.sigstore.json')
            Copy-Item -LiteralPath (Join-Path $sigstoreCases 'managed-key-happy-path/key.pub') -Destination (Join-Path $work 'cosign.pub')
            # what `gh attestation download` saves: one bundle per line, the first one failing the policy
            $jsonl = 'dsse-invalid-sig_fail', 'happy-path-intoto-in-dsse-v3' | ForEach-Object {
                Get-Content -Raw -LiteralPath (Join-Path $sigstoreCases "$_/bundle.sigstore.json") | ConvertFrom-Json | ConvertTo-Json -Depth 50 -Compress }
            Write-Fixture (Join-Path $work 'sha256-HEX.jsonl') (($jsonl -join "`n") + "`n")
        }
        # npm provenance: the real sigstore@2.1.0 tarball and its provenance bundle (tests/fixtures/sigstore, source named there).
        $npm = Join-Path $root 'tests/fixtures/sigstore/npm-sigstore-2.1.0'
        foreach ($name in 'sigstore-2.1.0.tgz', 'sigstore-2.1.0.sigstore.json') { Copy-Item -LiteralPath (Join-Path $npm $name) -Destination (Join-Path $work $name) }
        $npmSha512 = -join ([System.Security.Cryptography.SHA512]::Create().ComputeHash([System.IO.File]::ReadAllBytes((Join-Path $npm 'sigstore-2.1.0.tgz'))) | ForEach-Object { $_.ToString('x2') })
        $npmId = 'https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main'
        Remove-Item -LiteralPath (Join-Path $work 'samples/tools/secureinstall.lock.json') -ErrorAction SilentlyContinue

        # --- the placeholder table: first matching row per pattern wins; When limits a row to examples matching it ---
        $digest = "'?(sha256:)?[0-9a-f]{4,8}(…|\.\.\.)'?"
        $Rules = @(
            # npm provenance examples keep their real package, repository and identity (sigstore@2.1.0)
            @{ When = 'sigstore-2\.1\.0'; Pattern = "(?<=-CertificateIdentity )('[^']*'|\S+)|(?<=--certificate-identity )\S+"; Value = "'@NPM-ID@'" }
            @{ When = 'sigstore-2\.1\.0'; Pattern = '(?<=-Repository )\S+'; Value = 'sigstore/sigstore-js' }
            @{ When = 'sigstore-2\.1\.0'; Pattern = '[\w.-]+\.sigstore\.json'; Value = 'sigstore-2.1.0.sigstore.json' }
            @{ Pattern = 'sha512:HEX\b'; Value = "sha512:$npmSha512" }
            # Sigstore: identities, issuers and repositories → the conformance beacon's; bundles → the matching case
            @{ Pattern = "(?<=-CertificateIdentity )('[^']*'|\S+)|(?<=--certificate-identity )\S+"; Value = "'@BEACON-ID@'" }
            @{ Pattern = '(?<=-CertificateOidcIssuer |--certificate-oidc-issuer )\S+'; Value = $beaconIssuer }
            @{ Pattern = '(?<=-Repository )\S+'; Value = $beaconRepo }
            @{ When = '-Attestation'; Pattern = '[\w.-]+\.sigstore\.json'; Value = 'attestation.sigstore.json' }
            @{ When = '-PublicKey|--key '; Pattern = '[\w.-]+\.sigstore\.json'; Value = 'keyed.sigstore.json' }
            @{ Pattern = 'sha256:HEX\b'; Value = "sha256:$signedSha" }
            @{ Pattern = 'registry\.corp\.example'; Value = $(if ($registry) { $registry.Host } else { 'registry.corp.example' }) }
            @{ Pattern = 'https://(?!127\.0\.0\.1)[A-Za-z0-9.-]+(?=/)'; Value = $base }                       # every URL → loopback HTTPS
            @{ Pattern = "'<the Install-SecureInstall\.ps1 digest[^']*>'"; Value = "'$(Get-Sha256Hex $bootstrapBytes)'" }
            @{ Pattern = 'terraform_1\.9\.0_windows_amd64\.zip'; Value = 'tool-1.0.zip' }                     # the name the signed fixture list gives
            @{ Pattern = '(?<=-TokenHost )artifacts\.example\.com'; Value = '127.0.0.1' }
            @{ Pattern = "'C874 ?011F[^']*'|C874011F0AB405110D02105534365D9472D7468F"; Value = $signerFingerprint }
            @{ Pattern = "RWSGOq2NVecA2UPNdBUZykf1CCb147pkmdtYxgb3Ti\+JO/wCYvhbAb/U"; Value = $minisignKey }
            @{ When = 'Invoke-VerifiedScript|run-script'; Pattern = $digest; Value = $scriptSha }
            @{ When = 'Expand-VerifiedArchive|extract'; Pattern = $digest; Value = $tarSha }
            @{ Pattern = $digest; Value = $toolSha }
            @{ Pattern = 'dotnet run --project src/SecureInstall\.Cli -c Release --'; Value = 'secureinstall' }  # the built CLI
            @{ Pattern = '~/\.local/share/secureinstall'; Value = '"$SECUREINSTALL_HOME"' }
        )
        $Variables = @{
            installer = (Join-Path $work 'installer.exe'); pinned = $installerSha; token = 'example-token'; t = 'example-token'
            assetUri = "$base/o/r/releases/download/v1/tool.tar.gz"; sumsUri = "$base/o/r/releases/download/v1/SHA256SUMS"
        }
        # The README's command-line synopsis, line by line, as concrete commands using every option the line shows that
        # can work here (in the workspace; secureinstall is the built CLI).
        $CliSynopsis = @{
            'README.md: secureinstall verify --sha256 HEX FILE…'                     = "secureinstall verify --sha256 $toolSha tool.zip pwsh.zip"
            'README.md: secureinstall verify --checksums SHA256SUMS [FILE…]'          = "secureinstall verify --checksums SHA256SUMS`nsecureinstall verify --checksums SHA256SUMS tool-1.0.zip"
            'README.md: secureinstall checksums FILE… > SHA256SUMS'                   = "secureinstall checksums tool.zip pwsh.zip > SHA256SUMS`nsecureinstall checksums -o SUMS tool.zip"
            'README.md: secureinstall get URI… --sha256 HEX -o FILE'                  = "secureinstall get $base/tool-1.2.zip $base/mirror/tool-1.2.zip --sha256 $toolSha -o got.zip"
            'README.md: secureinstall get URI --checksums-uri SUMS_URI -o FILE'       = "secureinstall get $base/o/r/releases/download/v1/tool.tar.gz --checksums-uri $base/o/r/releases/download/v1/SHA256SUMS -o tool.tar.gz"
            'README.md: secureinstall extract ARCHIVE DEST [--sha256 HEX] [--force] [--strip-components N] [--include PATTERN]' = "secureinstall extract tool-1.2.3.tar.gz out --sha256 $tarSha --force --strip-components 1 --include 'bin/*'"
            'README.md: secureinstall install --manifest tools.yml [TOOL…] [--version V] [--locked] [--source BUNDLE] [--platform P]' = "secureinstall install --manifest tools.yml go --version 1.22.10 --locked --platform $platform`nsecureinstall install --manifest $scratch/E/bundle/tools.yml --source $scratch/E/bundle --locked"
            'README.md: secureinstall verify-installed --manifest tools.yml [TOOL…] [--scope AllUsers]' = 'secureinstall verify-installed --manifest tools.yml go node --scope AllUsers'   # SECUREINSTALL_MACHINE_HOME moves the scope's root (Examples.Helpers)
            'README.md: secureinstall install-module --manifest tools.yml [MODULE…] [--module-path DIR] [--scope AllUsers] [--feed-token-env VAR] [--force] [--source BUNDLE] [--registry oci://HOST/REPO|FOLDER [--registry-only]]' = "secureinstall install-module --manifest tools.yml Pester --module-path cli-modules --force`nsecureinstall save-module --manifest tools.yml Pester --path cli-bundle`nsecureinstall install-module --manifest cli-bundle/tools.yml Pester --module-path cli-modules-b --source cli-bundle"
            'README.md: secureinstall save-module --manifest tools.yml [MODULE…] --path BUNDLE [--feed-token-env VAR]' = "secureinstall save-module --manifest tools.yml Pester --path cli-bundle-s"
            # PSModulePath names only that folder: this pwsh's own Pester would otherwise (rightly) be reported as shadowing the pin.
            'README.md: secureinstall test-module --manifest tools.yml [MODULE…] [--module-path DIR]' = "secureinstall install-module --manifest tools.yml Pester --module-path cli-modules-t`nPSModulePath=`$PWD/cli-modules-t secureinstall test-module --manifest tools.yml Pester --module-path cli-modules-t"
            'README.md: secureinstall uninstall-module --manifest tools.yml MODULE… [--version V] [--module-path DIR] [--force] [--what-if]' = "secureinstall install-module --manifest tools.yml Pester --module-path cli-modules-u`nsecureinstall uninstall-module --manifest tools.yml Pester --version 5.9.0 --module-path cli-modules-u --what-if`nsecureinstall uninstall-module --manifest tools.yml Pester --version 5.9.0 --module-path cli-modules-u --force"
            'README.md: secureinstall update-module --manifest tools.yml MODULE [--version V] [--source FEED] [--feed-token-env VAR] [--what-if]' = "secureinstall update-module --manifest tools.yml Pester --version 5.9.0 --source $base/v3/index.json --what-if"
            'README.md: secureinstall run-script URI --sha256 HEX [-- ARGS…]'         = "secureinstall run-script $base/install.ps1 --sha256 $scriptSha -- -Version 1.2.3"
            'README.md: secureinstall run-script URI --trust-on-first-use [--accept] [--pin-store FILE] [--inspect]' = "secureinstall run-script $base/uv/install.ps1 --trust-on-first-use --pin-store script-pins.json --inspect`nsecureinstall run-script $base/uv/install.ps1 --trust-on-first-use --accept --pin-store script-pins.json"
            'README.md: secureinstall verify-signature (--minisign-key KEY | --pgp-key FILE [--fingerprint FPR]) [-x SIG] FILE…' = "secureinstall verify-signature --minisign-key $minisignKey zig.tar.xz`nsecureinstall verify-signature --pgp-key release-key.asc --fingerprint $signerFingerprint -x SHA256SUMS.sig SHA256SUMS"
        }
        # What the tools examples expect to be there already: the manifest's tools installed (and recorded in the lock
        # beside it), the older go too, and an offline bundle on E:.
        $Setup = @(
            'Install-PinnedTool -Manifest ./tools.yml -ErrorAction Stop'
            'Install-PinnedTool -Manifest ./tools.yml -Name go -Version 1.22.10 -ErrorAction Stop'
            'Save-PinnedTool -Manifest ./tools.yml -Path E:\bundle -Platform all -ErrorAction Stop'
        )

        # --- run the plan in one child pwsh that trusts the loopback certificate ---
        $all = @(Get-DocumentedExample -Root $root)
        $planned = foreach ($e in $all) {
            if ($e.Id -in $NotRunnableIds -or $e.Kind -eq 'ParseError') { continue }
            $run = if ($CliSynopsis.ContainsKey($e.Id)) { $CliSynopsis[$e.Id] } else {
                $text = $e.Text
                $applied = @{}
                foreach ($rule in $Rules) {
                    if ($applied.ContainsKey($rule.Pattern)) { continue }
                    if ($rule.ContainsKey('When') -and $text -notmatch $rule.When) { continue }
                    if ($text -match $rule.Pattern) { $text = $text -replace $rule.Pattern, $rule.Value.Replace('$', '$$'); $applied[$rule.Pattern] = $true }
                }
                $text.Replace('@BEACON-ID@', $beaconId).Replace('@NPM-ID@', $npmId)
            }
            [pscustomobject]@{ Id = $e.Id; Kind = $e.Kind; Run = $run; Isolated = $e.Text.StartsWith('& { $u = ') }
        }
        $planPath = Join-Path $TestDrive 'plan.json'
        $resultPath = Join-Path $TestDrive 'results.json'
        $childHome = Join-Path $scratch 'user'
        $null = New-Item -ItemType Directory -Path $childHome, (Join-Path $scratch 'template')
        [ordered]@{
            Module = (Join-Path $root 'SecureInstall.psd1'); Cli = $cli; Pwsh = $pwsh
            Cache = (Join-Path $scratch 'cache'); Work = $work; Home = (Join-Path $scratch 'home'); Drive = (Join-Path $scratch 'E')
            Template = @{ Work = (Join-Path $scratch 'template/work'); Home = (Join-Path $scratch 'template/home'); Drive = (Join-Path $scratch 'template/E') }
            Setup = $Setup; Variables = $Variables; Examples = @($planned)
        } | ConvertTo-Json -Depth 5 | Set-Content -LiteralPath $planPath -Encoding utf8
        $code = ". '$(Join-Path $PSScriptRoot 'Examples.Helpers.ps1')'; Invoke-ExamplePlan -PlanPath '$planPath' -ResultPath '$resultPath'"
        $environment = [hashtable]::new([StringComparer]::Ordinal)   # HTTPS_PROXY and https_proxy are two variables
        $environment.SSL_CERT_FILE = $pem
        $environment.DOCKER_CONFIG = $null
        if ($registry) {
            $trusted = Join-Path $TestDrive 'loopback-and-registry-ca.pem'
            [System.IO.File]::WriteAllText($trusted, [System.IO.File]::ReadAllText($pem) + "`n" + [System.IO.File]::ReadAllText($registry.CaPem))
            $environment.SSL_CERT_FILE = $trusted
            $environment.REGISTRY_PASSWORD = $registry.Password
            $auth = [Convert]::ToBase64String([System.Text.Encoding]::UTF8.GetBytes("$($registry.User):$($registry.Password)"))
            Write-Fixture (Join-Path $childHome '.docker/config.json') ('{"auths": {"' + $registry.Host + '": {"auth": "' + $auth + '"}}}')
        }
        $environment.HOME = $childHome
        $environment.XDG_DATA_HOME = Join-Path $childHome 'data'
        $environment.XDG_CONFIG_HOME = Join-Path $childHome 'config'
        $environment.DOTNET_CLI_HOME = $childHome
        $environment.DOTNET_NOLOGO = '1'
        $environment.DOTNET_CLI_TELEMETRY_OPTOUT = '1'
        foreach ($name in 'GITHUB_TOKEN', 'GH_TOKEN', 'HTTPS_PROXY', 'https_proxy', 'SECUREINSTALL_MIRRORS') { $environment[$name] = $null }
        $child = Invoke-ChildProcess -FilePath $pwsh -ArgumentList @('-NoProfile', '-NonInteractive', '-Command', $code) -Environment $environment `
            -WorkingDirectory $scratch -TimeoutSeconds 600
        $childOut = $child.Out
        $childLog = $child.Out + $child.Err
        # SECUREINSTALL_EXAMPLES_KEEP=<folder> keeps the plan (each example as it ran) and the results to read.
        if ($env:SECUREINSTALL_EXAMPLES_KEEP) { Copy-Item -LiteralPath $resultPath, $planPath -Destination $env:SECUREINSTALL_EXAMPLES_KEEP }
        $results = @{}
        if (Test-Path -LiteralPath $resultPath) { foreach ($r in (Get-Content -LiteralPath $resultPath -Raw | ConvertFrom-Json)) { $results[$r.Id] = $r } }
    }

    AfterAll {
        Stop-LoopbackServer $server
        if ($registry) { Stop-TestRegistry $registry }
    }

    It 'finds the examples (README statements, help examples and CLI lines)' {
        $all = @(Get-DocumentedExample -Root $root)
        @($all | Where-Object Kind -eq 'PowerShell' | Where-Object Source -eq 'README.md').Count | Should -BeGreaterThan 20
        @($all | Where-Object Source -like '* help').Count | Should -BeGreaterThan 25
        @($all | Where-Object Kind -eq 'Cli').Count | Should -BeGreaterThan 10
        $all.Id | Should -Contain 'README.md: dotnet run --project src/SecureInstall.Cli -c Release -- install --manifest samples/tools/secureinstall.yml && ~/.local/share/secureinstall/tools/bin/hello'
    }

    It 'takes the help examples from where Get-Help -Examples shows them: every cmdlet, the same code' {
        Import-Module (Join-Path $root 'SecureInstall.psd1') -Force
        $help = @{}
        foreach ($e in Get-DocumentedExample -Root $root | Where-Object Source -like '* help') { $help[$e.Source -replace ' help$'] += @($e.Text) }
        foreach ($cmdlet in (Get-Command -Module SecureInstall -CommandType Cmdlet).Name) {
            $shown = @((Get-Help $cmdlet -Examples).examples.example | ForEach-Object { "$($_.code)".Trim() })
            $shown | Should -Not -BeNullOrEmpty -Because "$cmdlet should have examples in module/help/$cmdlet.psd1"
            $shown | Should -Be $help[$cmdlet] -Because "Get-Help $cmdlet -Examples is generated from module/help/$cmdlet.psd1 (build.ps1 -Task Help)"
        }
    }

    It 'lists no example as not runnable, and maps no synopsis line, that the documentation no longer shows' -TestCases @{ Stale = $stale } {
        $Stale | Should -BeNullOrEmpty -Because 'a listed example that is gone is a stale entry in $NotRunnable'
        @($CliSynopsis.Keys | Where-Object { $_ -notin $all.Id }) | Should -BeNullOrEmpty -Because 'a synopsis line that is gone is a stale entry in $CliSynopsis'
    }

    It 'runs <Id>' -ForEach $runnable {
        $Kind | Should -Not -Be 'ParseError' -Because "README.md line ${Line}: the block does not parse"
        $r = $results[$Id]
        $r | Should -Not -BeNullOrEmpty -Because "the child that runs the examples produced no result for it:`n$childLog"
        ($r.Errors -join "`n") | Should -BeNullOrEmpty -Because "it ran as:`n$(($planned | Where-Object Id -eq $Id).Run)`nand printed:`n$($r.Output)"
    }

    It 'runs the main job in SECUREINSTALL_HOME on a copy of samples/, and its shim prints the greeting' {
        $r = $results['README.md: dotnet run --project src/SecureInstall.Cli -c Release -- install --manifest samples/tools/secureinstall.yml && ~/.local/share/secureinstall/tools/bin/hello']
        $r.Output | Should -Match ([regex]::Escape("installed to $scratch/home/tools/hello/1.0.0"))
        $r.Output | Should -Match 'hello 1\.0\.0: installed by SecureInstall'
        $r.Output | Should -Match ([regex]::Escape("$work/samples/tools/dist/hello-1.0.0-unix.tar.gz")) -Because "the copy's lock is written, not the repository's"
    }

    It 'cannot run here: <Id>' -ForEach $listed {
        Set-ItResult -Skipped -Because $Reason
    }
}

Describe 'What a user copies' {
    It 'README.md and the help hold no control characters (a TAB and a BACKSPACE once stood where .\t and E:\b were meant)' {
        $root = Resolve-Path (Join-Path $PSScriptRoot '../..')
        $files = @(Join-Path $root 'README.md') + @(Get-ChildItem -LiteralPath (Join-Path $root 'module/help') -Filter *.psd1 | ForEach-Object FullName)
        $found = foreach ($file in $files) {
            $n = 0
            foreach ($line in [System.IO.File]::ReadAllLines($file)) {
                $n++
                if ($line -match '[\x00-\x08\x09\x0B-\x1F\x7F]') { "$(Split-Path -Leaf $file):$n" }
            }
        }
        $found | Should -BeNullOrEmpty
    }
}
