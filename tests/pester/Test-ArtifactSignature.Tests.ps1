#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../SecureInstall.psd1') -Force
    # Public test vectors (see fixtures/signatures/README.md): minisign's official vector, GnuPG-made throwaway keys.
    $vectors = Join-Path $PSScriptRoot 'fixtures/signatures'
    $FQ = ',SecureInstall.Commands.TestArtifactSignatureCommand'
    $minisignKey = 'RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3'
    $signerFingerprint = '01461741D1D1D2745FB4D2B602652EAC77DD49B9'
    $utf8 = New-Object System.Text.UTF8Encoding($false)
    function Copy-Vector([string]$Name, [string]$To) {
        $dir = Split-Path -Parent $To
        if (-not (Test-Path -LiteralPath $dir)) { $null = New-Item -ItemType Directory -Path $dir }
        Copy-Item -LiteralPath (Join-Path $vectors $Name) -Destination $To
        $To
    }
}

Describe 'Test-ArtifactSignature -MinisignPublicKey' {
    BeforeAll {
        $dir = Join-Path $TestDrive 'minisign'
        $file = Copy-Vector 'minisign/test' (Join-Path $dir 'test')
        $null = Copy-Vector 'minisign/test.minisig' (Join-Path $dir 'test.minisig')
        $pub = Copy-Vector 'minisign/minisign.pub' (Join-Path $dir 'minisign.pub')
    }

    It 'verifies the official prehashed vector with the key string, finding FILE.minisig beside the file' {
        $r = Test-ArtifactSignature -Path $file -MinisignPublicKey $minisignKey
        $r | Should -BeOfType ([SecureInstall.Core.Signatures.SignatureResult])
        $r.IsValid | Should -BeTrue
        $r.Scheme | Should -Be 'Minisign'
        $r.KeyId | Should -BeExactly 'E7620F1842B4E81F'
        $r.TrustedComment | Should -BeExactly "timestamp:1556193335`tfile:test"
        $r.SignedAt.ToUnixTimeSeconds() | Should -Be 1556193335
        $r.SignaturePath | Should -BeExactly (Join-Path $dir 'test.minisig')
    }

    It 'reads the key from a minisign.pub file and takes an explicit -MinisignSignature' {
        $r = Test-ArtifactSignature -LiteralPath $file -MinisignPublicKey $pub -MinisignSignature (Join-Path $dir 'test.minisig')
        $r.IsValid | Should -BeTrue
    }

    It 'names the trusted key in verbose output' {
        $lines = Test-ArtifactSignature -Path $file -MinisignPublicKey $minisignKey -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        ($lines.Message -join "`n") | Should -Match 'minisign key E7620F1842B4E81F'
        ($lines.Message -join "`n") | Should -Match 'trusted comment: timestamp:1556193335'
    }

    It 'writes SignatureInvalid (SecurityError) for a changed file, and outputs the invalid result' {
        $changed = Join-Path $TestDrive 'changed/test'
        $null = New-Item -ItemType Directory -Force -Path (Split-Path $changed)
        [System.IO.File]::WriteAllText($changed, 'Test', $utf8)
        $r = Test-ArtifactSignature -Path $changed -MinisignPublicKey $minisignKey -MinisignSignature (Join-Path $dir 'test.minisig') -ErrorVariable ev -ErrorAction SilentlyContinue
        @($ev).Count | Should -Be 1
        $ev[0].FullyQualifiedErrorId | Should -BeExactly "SignatureInvalid$FQ"
        $ev[0].CategoryInfo.Category | Should -Be 'SecurityError'
        $ev[0].TargetObject | Should -BeExactly $changed
        $r.IsValid | Should -BeFalse
        $r.TrustedComment | Should -BeNullOrEmpty
    }

    It 'writes SignerNotTrusted for a signature by another key' {
        $other = [Convert]::ToBase64String([byte[]](@(69, 100) + (1..8) + (1..32)))
        $null = Test-ArtifactSignature -Path $file -MinisignPublicKey $other -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -BeExactly "SignerNotTrusted$FQ"
        $ev[0].CategoryInfo.Category | Should -Be 'SecurityError'
        $ev[0].Exception.Actual | Should -Match 'E7620F1842B4E81F'
    }

    It 'raises SignatureInvalid with -ErrorAction Stop' {
        $changed = Join-Path $TestDrive 'changed/test'
        { Test-ArtifactSignature -Path $changed -MinisignPublicKey $minisignKey -MinisignSignature (Join-Path $dir 'test.minisig') -ErrorAction Stop } |
            Should -Throw -ErrorId "SignatureInvalid$FQ"
    }

    It 'writes SignatureNotFound when no signature is named or beside the file' {
        $lone = Join-Path $TestDrive 'lone.bin'
        [System.IO.File]::WriteAllText($lone, 'x', $utf8)
        $null = Test-ArtifactSignature -Path $lone -MinisignPublicKey $minisignKey -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -BeExactly "SignatureNotFound$FQ"
        $ev[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'writes SignatureFormatInvalid (InvalidData) for a file that is not a minisign signature' {
        $bad = Join-Path $TestDrive 'bad.minisig'
        [System.IO.File]::WriteAllText($bad, "not a signature`n", $utf8)
        $null = Test-ArtifactSignature -Path $file -MinisignPublicKey $minisignKey -MinisignSignature $bad -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -BeExactly "SignatureFormatInvalid$FQ"
        $ev[0].CategoryInfo.Category | Should -Be 'InvalidData'
    }

    It 'stops with PathNotFound when the key file does not exist' {
        { Test-ArtifactSignature -Path $file -MinisignPublicKey (Join-Path $TestDrive 'absent.pub') } | Should -Throw -ErrorId "PathNotFound$FQ"
    }

    It 'reports a missing file as PathNotFound and goes on with the others' {
        $r = Test-ArtifactSignature -Path (Join-Path $dir 'absent'), $file -MinisignPublicKey $minisignKey -ErrorVariable ev -ErrorAction SilentlyContinue
        @($r).Count | Should -Be 1
        $ev[0].FullyQualifiedErrorId | Should -BeExactly "PathNotFound$FQ"
    }

    It 'shows Status, Scheme, KeyId, Signer and Path in its table view' {
        $text = Test-ArtifactSignature -Path $file -MinisignPublicKey $minisignKey | Format-Table | Out-String
        $text | Should -Match 'Status\s+Scheme\s+KeyId\s+Signer\s+Path'
        $text | Should -Match 'Valid\s+Minisign\s+E7620F1842B4E81F'
    }
}

Describe 'Test-ArtifactSignature -PgpPublicKey' {
    BeforeAll {
        $dir = Join-Path $TestDrive 'pgp'
        $list = Copy-Vector 'SHA256SUMS' (Join-Path $dir 'SHA256SUMS')
        $sig = Copy-Vector 'SHA256SUMS.asc' (Join-Path $dir 'SHA256SUMS.asc')
        $key = Copy-Vector 'signer.pub.asc' (Join-Path $dir 'signer.pub.asc')
        $rsaKey = Copy-Vector 'rsa.pub.asc' (Join-Path $dir 'rsa.pub.asc')
        $clear = Copy-Vector 'SHA256SUMS.clearsigned.txt' (Join-Path $TestDrive 'clear/hashes.txt')
    }

    It 'verifies a GnuPG detached signature made by a signing subkey, naming subkey, fingerprint and user ID' {
        $r = Test-ArtifactSignature -Path $list -PgpPublicKey $key -PgpSignature $sig
        $r.IsValid | Should -BeTrue
        $r.Scheme | Should -Be 'OpenPgp'
        $r.KeyId | Should -BeExactly '63F1A99DBAC50892'
        $r.Fingerprint | Should -BeExactly $signerFingerprint
        $r.Signer | Should -BeExactly 'SecureInstall Test Signer <signer@secureinstall.invalid>'
    }

    It 'finds FILE.asc beside the file when -PgpSignature is omitted' {
        (Test-ArtifactSignature -Path $list -PgpPublicKey $key).SignaturePath | Should -BeExactly $sig
    }

    It 'accepts a -Fingerprint pin written with spaces' {
        $spaced = ($signerFingerprint -split '(.{4})' | Where-Object { $_ }) -join ' '
        (Test-ArtifactSignature -Path $list -PgpPublicKey $key -Fingerprint $spaced).IsValid | Should -BeTrue
    }

    It 'writes SignerNotTrusted when the pin names another key' {
        $null = Test-ArtifactSignature -Path $list -PgpPublicKey $key -Fingerprint ('A' * 40) -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -BeExactly "SignerNotTrusted$FQ"
    }

    It 'writes SignerNotTrusted for a signature by a key not in the key file' {
        $r = Test-ArtifactSignature -Path $list -PgpPublicKey $rsaKey -PgpSignature $sig -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -BeExactly "SignerNotTrusted$FQ"
        $ev[0].CategoryInfo.Category | Should -Be 'SecurityError'
        $ev[0].Exception.Actual | Should -Match '3F47347DC1FA12CC99B0923B63F1A99DBAC50892'
        $r.IsValid | Should -BeFalse
    }

    It 'writes SignatureInvalid when the list was changed' {
        $changed = Join-Path $TestDrive 'pgp-changed/SHA256SUMS'
        $null = New-Item -ItemType Directory -Force -Path (Split-Path $changed)
        [System.IO.File]::WriteAllText($changed, ([System.IO.File]::ReadAllText($list) -replace 'aaaa1111', 'aaaa1112'), $utf8)
        $null = Test-ArtifactSignature -Path $changed -PgpPublicKey $key -PgpSignature $sig -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -BeExactly "SignatureInvalid$FQ"
    }

    It 'verifies a clear-signed list with no detached signature' {
        $r = Test-ArtifactSignature -Path $clear -PgpPublicKey $key
        $r.IsValid | Should -BeTrue
        $r.SignaturePath | Should -BeExactly 'clear-signed'
    }

    It 'binds Get-ChildItem output by PSPath' {
        $r = Get-ChildItem -LiteralPath $dir -Filter 'SHA256SUMS' | Test-ArtifactSignature -PgpPublicKey $key
        $r.IsValid | Should -BeTrue
    }

    It 'stops with InvalidFingerprint for a short key id pin' {
        { Test-ArtifactSignature -Path $list -PgpPublicKey $key -Fingerprint '77DD49B9' } | Should -Throw -ErrorId "InvalidFingerprint$FQ"
    }

    It 'stops with PublicKeyInvalid for a key file holding a private key' {
        $private = Join-Path $TestDrive 'private.asc'
        [System.IO.File]::WriteAllText($private, "-----BEGIN PGP PRIVATE KEY BLOCK-----`n`nxcLYBF`n-----END PGP PRIVATE KEY BLOCK-----`n", $utf8)
        { Test-ArtifactSignature -Path $list -PgpPublicKey $private } | Should -Throw -ErrorId "PublicKeyInvalid$FQ"
    }
}

Describe 'Test-ArtifactSignature -SignerThumbprint (Authenticode)' {
    It 'fails with SignatureNotSupported off Windows, never a silent pass' -Skip:($IsWindows -or $PSVersionTable.PSEdition -eq 'Desktop') {
        $exe = Join-Path $TestDrive 'setup.exe'
        [System.IO.File]::WriteAllText($exe, 'MZ', $utf8)
        $r = Test-ArtifactSignature -Path $exe -SignerThumbprint ('0' * 40) -ErrorVariable ev -ErrorAction SilentlyContinue
        $r | Should -BeNullOrEmpty
        $ev[0].FullyQualifiedErrorId | Should -BeExactly "SignatureNotSupported$FQ"
        $ev[0].CategoryInfo.Category | Should -Be 'NotImplemented'
    }

    It 'stops with InvalidFingerprint for a malformed thumbprint' {
        $exe = Join-Path $TestDrive 'setup.exe'
        { Test-ArtifactSignature -Path $exe -SignerThumbprint 'ABCD' } | Should -Throw -ErrorId "InvalidFingerprint$FQ"
    }
}

BeforeDiscovery {
    # -Skip is evaluated at discovery, before any BeforeAll runs.
    $noSigstoreCorpus = -not (Test-Path -LiteralPath (Join-Path $PSScriptRoot '../../../shared/corpus/sigstore-conformance/test/assets/bundle-verify'))
    $noGitHubRoot = -not (Test-Path -LiteralPath (Join-Path $PSScriptRoot '../../../shared/corpus/sigstore-trusted-roots/github.json'))
}

Describe 'Test-ArtifactSignature -SigstoreBundle / -Attestation' {
    BeforeAll {
        # The sigstore-conformance cases, read in place from the shared corpus (skipped when this machine has none).
        $cases = Join-Path $PSScriptRoot '../../../shared/corpus/sigstore-conformance/test/assets/bundle-verify'
        $haveCorpus = Test-Path -LiteralPath $cases
        $id = 'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main'
        $iss = 'https://token.actions.githubusercontent.com'
        $repo = 'sigstore-conformance/extremely-dangerous-public-oidc-beacon'
        if ($haveCorpus) {
            $dir = Join-Path $TestDrive 'sigstore'
            $null = New-Item -ItemType Directory -Path $dir
            $file = Join-Path $dir 'a.txt'
            Copy-Item -LiteralPath (Join-Path $cases 'a.txt') -Destination $file
            function Bundle([string]$Case) { Join-Path $cases "$Case/bundle.sigstore.json" }
        }
    }

    It 'verifies a keyless bundle against the shipped public-good root' -Skip:$noSigstoreCorpus {
        $r = Test-ArtifactSignature -Path $file -SigstoreBundle (Bundle 'happy-path-v0.3') -CertificateIdentity $id -CertificateOidcIssuer $iss
        $r | Should -BeOfType ([SecureInstall.Core.Signatures.SignatureResult])
        $r.IsValid | Should -BeTrue
        $r.Scheme | Should -Be 'Sigstore'
        $r.Signer | Should -BeExactly $id
        $r.OidcIssuer | Should -BeExactly $iss
        $r.LogIndex | Should -BeGreaterThan 0
        $r.SignedAt | Should -Not -BeNullOrEmpty
    }

    It 'takes the file from the pipeline and an identity regex' -Skip:$noSigstoreCorpus {
        $r = Get-Item -LiteralPath $file | Test-ArtifactSignature -SigstoreBundle (Bundle 'happy-path-v0.2') -CertificateIdentityRegex 'https://github\.com/sigstore-conformance/.*' -CertificateOidcIssuer $iss
        @($r).Count | Should -Be 1
        $r.IsValid | Should -BeTrue
    }

    It 'verifies a keyed bundle with -PublicKey and a Rekor v2 bundle with its own -TrustedRoot' -Skip:$noSigstoreCorpus {
        (Test-ArtifactSignature $file -SigstoreBundle (Bundle 'managed-key-happy-path') -PublicKey (Join-Path $cases 'managed-key-happy-path/key.pub')).IsValid | Should -BeTrue
        (Test-ArtifactSignature $file -SigstoreBundle (Bundle 'rekor2-happy-path') -TrustedRoot (Join-Path $cases 'rekor2-happy-path/trusted_root.json') -CertificateIdentity $id -CertificateOidcIssuer $iss).IsValid | Should -BeTrue
    }

    It 'writes SignatureInvalid for a tampered bundle and outputs the invalid result' -Skip:$noSigstoreCorpus {
        $r = Test-ArtifactSignature $file -SigstoreBundle (Bundle 'signature-mismatch_fail') -CertificateIdentity $id -CertificateOidcIssuer $iss -ErrorVariable ev -ErrorAction SilentlyContinue
        $r.IsValid | Should -BeFalse
        $ev[0].FullyQualifiedErrorId | Should -BeExactly "SignatureInvalid$FQ"
        $ev[0].CategoryInfo.Category | Should -Be 'SecurityError'
    }

    It 'writes SignerNotTrusted for another identity or issuer' -Skip:$noSigstoreCorpus {
        $null = Test-ArtifactSignature $file -SigstoreBundle (Bundle 'happy-path-v0.3') -CertificateIdentity "$id-other" -CertificateOidcIssuer $iss -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -BeExactly "SignerNotTrusted$FQ"
        $null = Test-ArtifactSignature $file -SigstoreBundle (Bundle 'happy-path-v0.3') -CertificateIdentity $id -CertificateOidcIssuer 'https://accounts.google.com' -ErrorVariable ev2 -ErrorAction SilentlyContinue
        $ev2[0].FullyQualifiedErrorId | Should -BeExactly "SignerNotTrusted$FQ"
    }

    It 'stops with SignatureFormatInvalid for a malformed bundle and TrustedRootInvalid for a bad root' -Skip:$noSigstoreCorpus {
        { Test-ArtifactSignature $file -SigstoreBundle (Bundle 'bundle-malformed-json_fail') -CertificateIdentity $id -CertificateOidcIssuer $iss -ErrorAction Stop } |
            Should -Throw -ErrorId "SignatureFormatInvalid$FQ"
        { Test-ArtifactSignature $file -SigstoreBundle (Bundle 'rekor2-happy-path') -TrustedRoot (Join-Path $cases 'trust-root-tlog-missing-validity-start_fail/trusted_root.json') -CertificateIdentity $id -CertificateOidcIssuer $iss -ErrorAction Stop } |
            Should -Throw -ErrorId "TrustedRootInvalid$FQ"
    }

    It 'verifies a GitHub attestation by repository, owner and workflow, GitHub-hosted runners only' -Skip:$noSigstoreCorpus {
        $r = Test-ArtifactSignature $file -Attestation (Bundle 'happy-path-intoto-in-dsse-v3') -Repository $repo -DenySelfHostedRunners
        $r.IsValid | Should -BeTrue
        $r.PredicateType | Should -BeExactly 'https://slsa.dev/provenance/v1'
        (Test-ArtifactSignature $file -Attestation (Bundle 'happy-path-intoto-in-dsse-v3') -Owner 'sigstore-conformance' -SignerWorkflow "$repo/.github/workflows/extremely-dangerous-oidc-beacon.yml").IsValid | Should -BeTrue
    }

    It 'refuses an attestation from another repository or with another predicate' -Skip:$noSigstoreCorpus {
        $null = Test-ArtifactSignature $file -Attestation (Bundle 'happy-path-intoto-in-dsse-v3') -Repository 'sigstore/cosign' -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -BeExactly "SignerNotTrusted$FQ"
        $null = Test-ArtifactSignature $file -Attestation (Bundle 'happy-path-intoto-in-dsse-v3') -Repository $repo -PredicateType 'https://spdx.dev/Document' -ErrorVariable ev2 -ErrorAction SilentlyContinue
        $ev2[0].FullyQualifiedErrorId | Should -BeExactly "SignatureInvalid$FQ"
    }

    It 'takes the JSON Lines file gh attestation download saves: the bundle that satisfies the policy counts' -Skip:$noSigstoreCorpus {
        $jsonl = Join-Path $dir 'a.txt.jsonl'
        $lines = 'dsse-invalid-sig_fail', 'happy-path-intoto-in-dsse-v3' | ForEach-Object { Get-Content -Raw -LiteralPath (Bundle $_) | ConvertFrom-Json | ConvertTo-Json -Depth 50 -Compress }
        [System.IO.File]::WriteAllText($jsonl, ($lines -join "`n") + "`n")
        $r = Test-ArtifactSignature $file -Attestation $jsonl -Repository $repo -Verbose 4>&1 | Where-Object { $_ -is [SecureInstall.Core.Signatures.SignatureResult] -or $_ -is [System.Management.Automation.VerboseRecord] }
        ($r | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n" | Should -Match '2 bundles in .*JSON Lines'
        $result = $r | Where-Object { $_ -is [SecureInstall.Core.Signatures.SignatureResult] }
        $result.IsValid | Should -BeTrue
        $result.SignaturePath | Should -BeExactly "${jsonl}:2"

        $null = Test-ArtifactSignature $file -Attestation $jsonl -Repository 'sigstore/cosign' -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -BeExactly "SignatureInvalid$FQ"
        $ev[0].Exception.Message | Should -Match 'none of the 2 bundles verified'
    }

    It 'requires -Repository, -Owner or -SignerWorkflow with -Attestation' -Skip:$noSigstoreCorpus {
        { Test-ArtifactSignature $file -Attestation (Bundle 'happy-path-intoto-in-dsse-v3') -ErrorAction Stop } |
            Should -Throw -ErrorId "SignatureParametersInvalid$FQ"
    }

    It 'shows Sigstore results in the signature table view' -Skip:$noSigstoreCorpus {
        $text = Test-ArtifactSignature $file -SigstoreBundle (Bundle 'happy-path-v0.3') -CertificateIdentity $id -CertificateOidcIssuer $iss | Format-Table | Out-String -Width 200
        $text | Should -Match 'Valid\s+Sigstore'
    }
}

Describe 'Test-ArtifactSignature -Attestation with a real npm package and GitHub''s own Sigstore instance (issue 18)' {
    BeforeAll {
        # tests/fixtures/sigstore (see its README): sigstore@2.1.0 from the npm registry and its npm provenance, whose
        # subject names the tarball by sha512 only; a release attestation from GitHub's instance (no CT log, no Rekor).
        $fixtures = Join-Path $PSScriptRoot '../fixtures/sigstore'
        $npm = Join-Path $TestDrive 'npm'
        $null = New-Item -ItemType Directory -Path $npm
        Copy-Item -Path (Join-Path $fixtures 'npm-sigstore-2.1.0/*') -Destination $npm
        $tgz = Join-Path $npm 'sigstore-2.1.0.tgz'
        $bundle = Join-Path $npm 'sigstore-2.1.0.sigstore.json'
        $githubRoot = Join-Path $PSScriptRoot '../../../shared/corpus/sigstore-trusted-roots/github.json'
        $releaseBundle = Join-Path $fixtures 'cli-cli/github_release_bundle.json'
    }

    It 'verifies the npm tarball against its sha512-only provenance with -Repository' {
        $r = Test-ArtifactSignature -Path $tgz -Attestation $bundle -Repository sigstore/sigstore-js
        $r.IsValid | Should -BeTrue
        $r.PredicateType | Should -BeExactly 'https://slsa.dev/provenance/v1'
        $r.Signer | Should -BeExactly 'https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main'
        $r.LogIndex | Should -Be 33351527
    }

    It 'refuses the provenance for another repository with SignerNotTrusted' {
        $r = Test-ArtifactSignature -Path $tgz -Attestation $bundle -Repository sigstore/cosign -ErrorVariable ev -ErrorAction SilentlyContinue
        $r.IsValid | Should -BeFalse
        $ev[0].FullyQualifiedErrorId | Should -BeExactly "SignerNotTrusted$FQ"
        $ev[0].CategoryInfo.Category | Should -Be 'SecurityError'
    }

    It 'refuses a tampered tarball with SignatureInvalid naming its digests' {
        $bad = Join-Path $TestDrive 'tampered/sigstore-2.1.0.tgz'
        $null = New-Item -ItemType Directory -Path (Split-Path -Parent $bad)
        $bytes = [System.IO.File]::ReadAllBytes($tgz)
        $bytes[1000] = $bytes[1000] -bxor 1
        [System.IO.File]::WriteAllBytes($bad, $bytes)
        $r = Test-ArtifactSignature -LiteralPath $bad -Attestation $bundle -Repository sigstore/sigstore-js -ErrorVariable ev -ErrorAction SilentlyContinue
        $r.IsValid | Should -BeFalse
        $ev[0].FullyQualifiedErrorId | Should -BeExactly "SignatureInvalid$FQ"
        $ev[0].CategoryInfo.Category | Should -Be 'SecurityError'
        # SHA-256 always, and SHA-512 because the provenance's subject lists it (SHA-384 is not asked for).
        $ev[0].Exception.Message | Should -Match 'subjects do not include this artifact \(sha256:[0-9a-f]{64}, sha512:[0-9a-f]{128}\)'
    }

    It 'reads the npm registry attestations document too' {
        $doc = Join-Path $TestDrive 'attestations.json'
        [System.IO.File]::WriteAllText($doc, '{"attestations":[{"predicateType":"https://slsa.dev/provenance/v1","bundle":' + [System.IO.File]::ReadAllText($bundle) + '}]}')
        $r = Test-ArtifactSignature -Path $tgz -Attestation $doc -Repository sigstore/sigstore-js
        $r.IsValid | Should -BeTrue
        $r.SignaturePath | Should -BeExactly "${doc}:1"
    }

    It 'runs the npm examples of its help' {
        $help = Import-PowerShellDataFile -LiteralPath (Join-Path $PSScriptRoot '../../module/help/Test-ArtifactSignature.psd1')
        $examples = @($help.Examples | Where-Object { $_.Code -match 'sigstore-2\.1\.0\.tgz' })
        $examples.Count | Should -Be 2
        Push-Location -LiteralPath $npm
        try {
            foreach ($example in $examples) {
                $r = & ([scriptblock]::Create($example.Code))
                @($r).Count | Should -Be 1 -Because $example.Code
                $r.IsValid | Should -BeTrue -Because $example.Code
            }
        }
        finally { Pop-Location }
    }

    It 'with GitHub''s trusted root (no CT log), does not ask for an SCT: only the identity decides' -Skip:$noGitHubRoot {
        # The release certificate names no OIDC issuer, so an identity policy refuses the signer; every earlier check
        # (RFC 3161 timestamp against the root's authorities, chain, no SCT needed) has passed by then. The attested
        # artifact.zip is not kept (the core tests check its subject by digest), so any file stands in for it here: the
        # identity is decided before the subject.
        $r = Test-ArtifactSignature -Path $releaseBundle -SigstoreBundle $releaseBundle -TrustedRoot $githubRoot -CertificateIdentity 'https://dotcom.releases.github.com' -CertificateOidcIssuer https://token.actions.githubusercontent.com -ErrorVariable ev -ErrorAction SilentlyContinue -Verbose 4>&1 |
            Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        ($r.Message -join "`n") | Should -Match 'lists no certificate transparency log'
        $ev[0].FullyQualifiedErrorId | Should -BeExactly "SignerNotTrusted$FQ"
        $ev[0].Exception.Message | Should -Match "OIDC issuer is '\(none\)'"
        $ev[0].Exception.Message | Should -Not -Match 'signed certificate timestamp'
    }
}
