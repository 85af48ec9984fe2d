#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }

# Moved from Test-ArtifactSignature.Tests.ps1 when Sigstore bundles and attestations got their own cmdlet (issue 19):
# every assertion kept, the same ErrorIds, now raised by TestSigstoreBundleCommand.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../SecureInstall.psd1') -Force
    $FQ = ',SecureInstall.Commands.TestSigstoreBundleCommand'
}

BeforeDiscovery {
    # -Skip is evaluated at discovery, before any BeforeAll runs.
    $noSigstoreCorpus = -not (Test-Path -LiteralPath (Join-Path $PSScriptRoot '../../../shared/corpus/sigstore-conformance/test/assets/bundle-verify'))
    $noGitHubRoot = -not (Test-Path -LiteralPath (Join-Path $PSScriptRoot '../../../shared/corpus/sigstore-trusted-roots/github.json'))
}

Describe 'Test-SigstoreBundle parameter sets' {
    It 'has one parameter set per kind of signer (key, identity, attestation), each with -Path and -LiteralPath' {
        (Get-Command Test-SigstoreBundle).ParameterSets.Name | Sort-Object | Should -Be @('Attestation', 'Identity', 'Key', 'LiteralAttestation', 'LiteralIdentity', 'LiteralKey')
    }
}

Describe 'Test-SigstoreBundle -Bundle / -Attestation' {
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
        $r = Test-SigstoreBundle -Path $file -Bundle (Bundle 'happy-path-v0.3') -CertificateIdentity $id -CertificateOidcIssuer $iss
        $r | Should -BeOfType ([SecureInstall.Core.Signatures.SignatureResult])
        $r.IsValid | Should -BeTrue
        $r.Scheme | Should -Be 'Sigstore'
        $r.Signer | Should -BeExactly $id
        $r.OidcIssuer | Should -BeExactly $iss
        $r.LogIndex | Should -BeGreaterThan 0
        $r.SignedAt | Should -Not -BeNullOrEmpty
    }

    It 'takes the file from the pipeline and an identity regex' -Skip:$noSigstoreCorpus {
        $r = Get-Item -LiteralPath $file | Test-SigstoreBundle -Bundle (Bundle 'happy-path-v0.2') -CertificateIdentityRegex 'https://github\.com/sigstore-conformance/.*' -CertificateOidcIssuer $iss
        @($r).Count | Should -Be 1
        $r.IsValid | Should -BeTrue
    }

    It 'verifies a keyed bundle with -PublicKey and a Rekor v2 bundle with its own -TrustedRoot' -Skip:$noSigstoreCorpus {
        (Test-SigstoreBundle $file -Bundle (Bundle 'managed-key-happy-path') -PublicKey (Join-Path $cases 'managed-key-happy-path/key.pub')).IsValid | Should -BeTrue
        (Test-SigstoreBundle $file -Bundle (Bundle 'rekor2-happy-path') -TrustedRoot (Join-Path $cases 'rekor2-happy-path/trusted_root.json') -CertificateIdentity $id -CertificateOidcIssuer $iss).IsValid | Should -BeTrue
    }

    It 'writes SignatureInvalid for a tampered bundle and outputs the invalid result' -Skip:$noSigstoreCorpus {
        $r = Test-SigstoreBundle $file -Bundle (Bundle 'signature-mismatch_fail') -CertificateIdentity $id -CertificateOidcIssuer $iss -ErrorVariable ev -ErrorAction SilentlyContinue
        $r.IsValid | Should -BeFalse
        $ev[0].FullyQualifiedErrorId | Should -BeExactly "SignatureInvalid$FQ"
        $ev[0].CategoryInfo.Category | Should -Be 'SecurityError'
    }

    It 'writes SignerNotTrusted for another identity or issuer' -Skip:$noSigstoreCorpus {
        $null = Test-SigstoreBundle $file -Bundle (Bundle 'happy-path-v0.3') -CertificateIdentity "$id-other" -CertificateOidcIssuer $iss -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -BeExactly "SignerNotTrusted$FQ"
        $null = Test-SigstoreBundle $file -Bundle (Bundle 'happy-path-v0.3') -CertificateIdentity $id -CertificateOidcIssuer 'https://accounts.google.com' -ErrorVariable ev2 -ErrorAction SilentlyContinue
        $ev2[0].FullyQualifiedErrorId | Should -BeExactly "SignerNotTrusted$FQ"
    }

    It 'stops with SignatureFormatInvalid for a malformed bundle and TrustedRootInvalid for a bad root' -Skip:$noSigstoreCorpus {
        { Test-SigstoreBundle $file -Bundle (Bundle 'bundle-malformed-json_fail') -CertificateIdentity $id -CertificateOidcIssuer $iss -ErrorAction Stop } |
            Should -Throw -ErrorId "SignatureFormatInvalid$FQ"
        { Test-SigstoreBundle $file -Bundle (Bundle 'rekor2-happy-path') -TrustedRoot (Join-Path $cases 'trust-root-tlog-missing-validity-start_fail/trusted_root.json') -CertificateIdentity $id -CertificateOidcIssuer $iss -ErrorAction Stop } |
            Should -Throw -ErrorId "TrustedRootInvalid$FQ"
    }

    It 'verifies a GitHub attestation by repository, owner and workflow, GitHub-hosted runners only' -Skip:$noSigstoreCorpus {
        $r = Test-SigstoreBundle $file -Attestation (Bundle 'happy-path-intoto-in-dsse-v3') -Repository $repo -DenySelfHostedRunners
        $r.IsValid | Should -BeTrue
        $r.PredicateType | Should -BeExactly 'https://slsa.dev/provenance/v1'
        (Test-SigstoreBundle $file -Attestation (Bundle 'happy-path-intoto-in-dsse-v3') -Owner 'sigstore-conformance' -SignerWorkflow "$repo/.github/workflows/extremely-dangerous-oidc-beacon.yml").IsValid | Should -BeTrue
    }

    It 'refuses an attestation from another repository or with another predicate' -Skip:$noSigstoreCorpus {
        $null = Test-SigstoreBundle $file -Attestation (Bundle 'happy-path-intoto-in-dsse-v3') -Repository 'sigstore/cosign' -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -BeExactly "SignerNotTrusted$FQ"
        $null = Test-SigstoreBundle $file -Attestation (Bundle 'happy-path-intoto-in-dsse-v3') -Repository $repo -PredicateType 'https://spdx.dev/Document' -ErrorVariable ev2 -ErrorAction SilentlyContinue
        $ev2[0].FullyQualifiedErrorId | Should -BeExactly "SignatureInvalid$FQ"
    }

    It 'takes the JSON Lines file gh attestation download saves: the bundle that satisfies the policy counts' -Skip:$noSigstoreCorpus {
        $jsonl = Join-Path $dir 'a.txt.jsonl'
        $lines = 'dsse-invalid-sig_fail', 'happy-path-intoto-in-dsse-v3' | ForEach-Object { Get-Content -Raw -LiteralPath (Bundle $_) | ConvertFrom-Json | ConvertTo-Json -Depth 50 -Compress }
        [System.IO.File]::WriteAllText($jsonl, ($lines -join "`n") + "`n")
        $r = Test-SigstoreBundle $file -Attestation $jsonl -Repository $repo -Verbose 4>&1 | Where-Object { $_ -is [SecureInstall.Core.Signatures.SignatureResult] -or $_ -is [System.Management.Automation.VerboseRecord] }
        ($r | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n" | Should -Match '2 bundles in .*JSON Lines'
        $result = $r | Where-Object { $_ -is [SecureInstall.Core.Signatures.SignatureResult] }
        $result.IsValid | Should -BeTrue
        $result.SignaturePath | Should -BeExactly "${jsonl}:2"

        $null = Test-SigstoreBundle $file -Attestation $jsonl -Repository 'sigstore/cosign' -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -BeExactly "SignatureInvalid$FQ"
        $ev[0].Exception.Message | Should -Match 'none of the 2 bundles verified'
    }

    It 'requires -Repository, -Owner or -SignerWorkflow with -Attestation' -Skip:$noSigstoreCorpus {
        { Test-SigstoreBundle $file -Attestation (Bundle 'happy-path-intoto-in-dsse-v3') -ErrorAction Stop } |
            Should -Throw -ErrorId "SignatureParametersInvalid$FQ"
    }

    It 'takes -SigstoreBundle, the name Test-ArtifactSignature used, as an alias of -Bundle' -Skip:$noSigstoreCorpus {
        (Test-SigstoreBundle $file -SigstoreBundle (Bundle 'happy-path-v0.3') -CertificateIdentity $id -CertificateOidcIssuer $iss).IsValid | Should -BeTrue
    }

    It 'stops with SignatureParametersInvalid for both -CertificateIdentity and -CertificateIdentityRegex, for neither, and for a bad regex' -Skip:$noSigstoreCorpus {
        { Test-SigstoreBundle $file -Bundle (Bundle 'happy-path-v0.3') -CertificateIdentity $id -CertificateIdentityRegex '.*' -CertificateOidcIssuer $iss -ErrorAction Stop } |
            Should -Throw -ErrorId "SignatureParametersInvalid$FQ"
        { Test-SigstoreBundle $file -Bundle (Bundle 'happy-path-v0.3') -CertificateOidcIssuer $iss -ErrorAction Stop } |
            Should -Throw -ErrorId "SignatureParametersInvalid$FQ"
        { Test-SigstoreBundle $file -Bundle (Bundle 'happy-path-v0.3') -CertificateIdentityRegex '(' -CertificateOidcIssuer $iss -ErrorAction Stop } |
            Should -Throw -ErrorId "SignatureParametersInvalid$FQ"
    }

    It 'stops with SignatureParametersInvalid for a -Repository that is not OWNER/REPO, before any file is checked' -Skip:$noSigstoreCorpus {
        # It used to surface only while checking a file, as an unmapped ArgumentException (issue 19: the one policy rule checks it first).
        { Test-SigstoreBundle $file -Attestation (Bundle 'happy-path-intoto-in-dsse-v3') -Repository 'sigstore-conformance' -ErrorAction Stop } |
            Should -Throw -ErrorId "SignatureParametersInvalid$FQ"
    }

    It 'shows Sigstore results in the signature table view' -Skip:$noSigstoreCorpus {
        $text = Test-SigstoreBundle $file -Bundle (Bundle 'happy-path-v0.3') -CertificateIdentity $id -CertificateOidcIssuer $iss | Format-Table | Out-String -Width 200
        $text | Should -Match 'Valid\s+Sigstore'
    }
}

Describe 'Test-SigstoreBundle -Attestation with a real npm package and GitHub''s own Sigstore instance (issue 18)' {
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
        $r = Test-SigstoreBundle -Path $tgz -Attestation $bundle -Repository sigstore/sigstore-js
        $r.IsValid | Should -BeTrue
        $r.PredicateType | Should -BeExactly 'https://slsa.dev/provenance/v1'
        $r.Signer | Should -BeExactly 'https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main'
        $r.LogIndex | Should -Be 33351527
    }

    It 'refuses the provenance for another repository with SignerNotTrusted' {
        $r = Test-SigstoreBundle -Path $tgz -Attestation $bundle -Repository sigstore/cosign -ErrorVariable ev -ErrorAction SilentlyContinue
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
        $r = Test-SigstoreBundle -LiteralPath $bad -Attestation $bundle -Repository sigstore/sigstore-js -ErrorVariable ev -ErrorAction SilentlyContinue
        $r.IsValid | Should -BeFalse
        $ev[0].FullyQualifiedErrorId | Should -BeExactly "SignatureInvalid$FQ"
        $ev[0].CategoryInfo.Category | Should -Be 'SecurityError'
        # SHA-256 always, and SHA-512 because the provenance's subject lists it (SHA-384 is not asked for).
        $ev[0].Exception.Message | Should -Match 'subjects do not include this artifact \(sha256:[0-9a-f]{64}, sha512:[0-9a-f]{128}\)'
    }

    It 'reads the npm registry attestations document too' {
        $doc = Join-Path $TestDrive 'attestations.json'
        [System.IO.File]::WriteAllText($doc, '{"attestations":[{"predicateType":"https://slsa.dev/provenance/v1","bundle":' + [System.IO.File]::ReadAllText($bundle) + '}]}')
        $r = Test-SigstoreBundle -Path $tgz -Attestation $doc -Repository sigstore/sigstore-js
        $r.IsValid | Should -BeTrue
        $r.SignaturePath | Should -BeExactly "${doc}:1"
    }

    It 'runs the npm examples of its help' {
        $help = Import-PowerShellDataFile -LiteralPath (Join-Path $PSScriptRoot '../../module/help/Test-SigstoreBundle.psd1')
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
        $r = Test-SigstoreBundle -Path $releaseBundle -Bundle $releaseBundle -TrustedRoot $githubRoot -CertificateIdentity 'https://dotcom.releases.github.com' -CertificateOidcIssuer https://token.actions.githubusercontent.com -ErrorVariable ev -ErrorAction SilentlyContinue -Verbose 4>&1 |
            Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        ($r.Message -join "`n") | Should -Match 'lists no certificate transparency log'
        $ev[0].FullyQualifiedErrorId | Should -BeExactly "SignerNotTrusted$FQ"
        $ev[0].Exception.Message | Should -Match "OIDC issuer is '\(none\)'"
        $ev[0].Exception.Message | Should -Not -Match 'signed certificate timestamp'
    }
}

Describe 'Test-SigstoreBundle with a real bundle whose chain carries the public-good intermediate and root (issue 25)' {
    BeforeAll {
        # tests/fixtures/sigstore/sigstore-js-demo-chain-with-root: sigstore-js's 2023 v0.1 bundle (README there names the source).
        $fixture = Join-Path $PSScriptRoot '../fixtures/sigstore/sigstore-js-demo-chain-with-root'
        $artifact = Join-Path $TestDrive 'artifact'
        Copy-Item -LiteralPath (Join-Path $fixture 'artifact') -Destination $artifact
        $bundle = Join-Path $fixture 'bundle.sigstore.json'
    }

    It 'verifies it against the shipped public-good root' {
        $r = Test-SigstoreBundle -Path $artifact -Bundle $bundle -CertificateIdentity 'brian@dehamer.com' -CertificateOidcIssuer 'https://github.com/login/oauth'
        $r.IsValid | Should -BeTrue
        $r.LogIndex | Should -Be 12842224
    }

    It 'writes SignatureInvalid for a tampered artifact' {
        Set-Content -LiteralPath $artifact -Value 'content to be signed!' -NoNewline
        $r = Test-SigstoreBundle -Path $artifact -Bundle $bundle -CertificateIdentity 'brian@dehamer.com' -CertificateOidcIssuer 'https://github.com/login/oauth' -ErrorVariable ev -ErrorAction SilentlyContinue
        $r.IsValid | Should -BeFalse
        $ev[0].FullyQualifiedErrorId | Should -BeExactly "SignatureInvalid$FQ"
        $ev[0].Exception.Message | Should -Match 'the logged digest is not the artifact'
    }
}
