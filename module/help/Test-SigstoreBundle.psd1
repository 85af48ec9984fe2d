@{
    Synopsis    = 'Checks files against a Sigstore bundle signed by a key or identity you trust, or a GitHub artifact attestation made by a repository you name, offline and in process.'
    Description = @'
Test-SigstoreBundle verifies cosign and sigstore bundles (media types v0.1, v0.2, v0.3; message signatures and DSSE
envelopes) in process and offline, on Windows PowerShell 5.1 and PowerShell 7, with no cosign or gh executable and no
network. Each parameter set says who must have signed:

a key (-Bundle with -PublicKey): a keyed bundle (cosign sign-blob --key), signed with this PEM public key, not a
certificate.

an identity (-Bundle with -CertificateIdentity or -CertificateIdentityRegex, and -CertificateOidcIssuer): a keyless
bundle whose Fulcio certificate names exactly this identity (or one the whole-string regex matches), vouched for by
this OIDC issuer. Giving both -CertificateIdentity and -CertificateIdentityRegex, or neither, is SignatureParametersInvalid.

a repository (-Attestation with -Repository, -Owner and/or -SignerWorkflow): a GitHub artifact attestation. The bundle
is verified as below, then the certificate's source repository, owner and signer workflow extensions are matched, the
statement's predicate type must be -PredicateType (SLSA provenance v1 by default), and -DenySelfHostedRunners refuses
attestations made on runners GitHub does not operate. No GitHub token and no network are needed. Without -Repository,
-Owner or -SignerWorkflow it is SignatureParametersInvalid: any GitHub user can attest any file.

Bundles are verified against a trusted root: the public-good root shipped with the module unless -TrustedRoot names
another (GitHub's own root, a private instance, or a newer copy). Every check runs: the Fulcio certificate chain to a
trusted CA valid at the signing time, its embedded SCT against the CT log keys, each transparency-log entry (its body
matches the bundle, the RFC 6962 inclusion proof, the signed checkpoint, the signed entry timestamp; Rekor v2 too),
RFC 3161 timestamps, the signing time inside the certificate's validity, the identity and issuer, then the signature
over the file (or the DSSE envelope and its in-toto subject, below).

An in-toto subject names its artifact by a set of digests. The file is read once and hashed with SHA-256 and with
whichever of SHA-384 and SHA-512 the subjects list, and a subject matches when every one of those it lists equals the
file's: npm provenance, which names the tarball by sha512 alone, verifies; a subject whose sha256 matches but whose
sha512 does not is a mismatch (SignatureInvalid), not "the stronger one wins". A subject named only by md5 or sha1
never matches: the error says it was refused as too weak.

A trusted root that lists no certificate transparency log (GitHub's own Sigstore instance, used for attestations from
private and internal repositories: no CT log, no Rekor, RFC 3161 timestamps instead) needs no SCT in the certificate;
the signing time then comes from the bundle's RFC 3161 timestamps, each verified against a timestamp authority of the
root inside that authority's validity window, and the certificate must be valid at that time. A root that lists CT
logs (the public-good one) still refuses a certificate without a valid SCT.

The policy is built by the same rule as secureinstall verify-bundle, Get-VerifiedArtifact -SigstoreBundle and a
manifest's signature: block (scheme: sigstore or github-attestation). Detached minisign and OpenPGP signatures and
Authenticode: Test-ArtifactSignature. A failed check writes an error and also outputs the result with IsValid $false.
'@
    Parameters  = @{
        Path                     = 'Files to check. Wildcards are expanded; a path without wildcards that does not exist is a PathNotFound error.'
        LiteralPath              = 'Files to check, taken exactly as written. Get-ChildItem output binds here through PSPath.'
        Bundle                   = 'The Sigstore bundle (.sigstore.json; cosign sign-blob --bundle, sigstore sign) each file is checked against; also a JSON Lines file of bundles, of which the first that satisfies the policy counts. Alias: -SigstoreBundle.'
        PublicKey                = 'Keyed bundles: the signer''s PEM public key file (cosign.pub). The bundle must be signed with this key, not a certificate.'
        CertificateIdentity      = 'Keyless bundles: the exact identity the Fulcio certificate must name (a workflow URI such as https://github.com/OWNER/REPO/.github/workflows/release.yml@refs/tags/v1.0, or an e-mail address).'
        CertificateIdentityRegex = 'Keyless bundles, instead of -CertificateIdentity: a .NET regular expression the whole identity must match (it is anchored at both ends).'
        CertificateOidcIssuer    = 'The OIDC issuer that must have vouched for the identity, e.g. https://token.actions.githubusercontent.com or https://accounts.google.com. With -Attestation it defaults to GitHub Actions.'
        TrustedRoot              = 'A Sigstore trusted_root.json to verify against instead of the public-good root shipped with the module (module/sigstore-trusted-root.json): GitHub''s own root for private-repository attestations, a private Sigstore instance, or a newer public-good root.'
        Attestation              = 'A GitHub artifact attestation bundle (the output of actions/attest-build-provenance, or the provenance bundle of an npm package published with --provenance), the JSON Lines file gh attestation download saves (one bundle per line), or the npm registry''s attestations document ({"attestations":[{"bundle":...}]}). With several bundles the first that satisfies the policy counts, and the error names every one when none does.'
        Repository               = 'Attestations: the source repository (OWNER/REPO) whose workflow must have made the attestation.'
        Owner                    = 'Attestations: the owner (user or organization) of the source repository.'
        SignerWorkflow           = 'Attestations: the workflow that must have signed, OWNER/REPO/.github/workflows/FILE.yml (any ref), or its full URL with @ref.'
        PredicateType            = 'Attestations: the in-toto predicate type required. Default https://slsa.dev/provenance/v1.'
        DenySelfHostedRunners    = 'Attestations: refuse attestations made on self-hosted runners, whose machines the repository owner, not GitHub, controls.'
    }
    Examples    = @(
        @{
            Code    = 'Test-SigstoreBundle .\cosign-linux-amd64 -Bundle .\cosign-linux-amd64.sigstore.json -CertificateIdentity keyless@projectsigstore.iam.gserviceaccount.com -CertificateOidcIssuer https://accounts.google.com'
            Remarks = 'Checks a keyless Sigstore signature offline against the shipped public-good root, requiring the named signer and issuer.'
        }
        @{
            Code    = 'Test-SigstoreBundle .\tool.tar.gz -Bundle .\tool.tar.gz.sigstore.json -PublicKey .\cosign.pub'
            Remarks = 'Checks a bundle made with cosign sign-blob --key: it must be signed with the key in cosign.pub.'
        }
        @{
            Code    = 'Test-SigstoreBundle .\tool.tar.gz -Attestation .\tool.tar.gz.sigstore.json -Repository cli/cli -DenySelfHostedRunners'
            Remarks = 'Checks a GitHub artifact attestation: SLSA provenance for this file, made by a workflow of cli/cli on a GitHub-hosted runner.'
        }
        @{
            Code    = 'Test-SigstoreBundle .\sigstore-2.1.0.tgz -Attestation .\sigstore-2.1.0.sigstore.json -Repository sigstore/sigstore-js'
            Remarks = 'Checks an npm package (npm pack sigstore@2.1.0) against its npm provenance, whose subject names the tarball by sha512 only: the tarball is hashed with SHA-256 and SHA-512 in one pass. Another -Repository is SignerNotTrusted; a changed tarball is SignatureInvalid.'
        }
        @{
            Code    = 'Get-Item .\sigstore-2.1.0.tgz | Test-SigstoreBundle -Attestation .\sigstore-2.1.0.sigstore.json -Owner sigstore -SignerWorkflow sigstore/sigstore-js/.github/workflows/release.yml -DenySelfHostedRunners'
            Remarks = 'The same package, requiring the owner and the exact release workflow, on a GitHub-hosted runner.'
        }
        @{
            Code    = 'Test-SigstoreBundle .\app.zip -Attestation .\app.zip.jsonl -Repository OWNER/PRIVATE-REPO -TrustedRoot .\github-trusted-root.json'
            Remarks = 'Checks an attestation from a private repository, signed by GitHub''s own Sigstore instance: its trusted_root.json (gh attestation trusted-root) lists no CT log, so no SCT is required and the RFC 3161 timestamps give the signing time.'
        }
    )
    Inputs      = 'System.String[]: paths to -Path; objects with a PSPath, FullName or LiteralPath property (Get-ChildItem output) to -LiteralPath.'
    Outputs     = 'SecureInstall.Core.Signatures.SignatureResult (Scheme Sigstore, IsValid, Path, SignaturePath, Signer, KeyId, SignedAt, Algorithm, OidcIssuer, LogIndex, PredicateType).'
    Notes       = 'ErrorIds: SignatureInvalid, SignerNotTrusted (SecurityError); SignatureFormatInvalid, PublicKeyInvalid, TrustedRootInvalid (InvalidData); SignatureParametersInvalid (InvalidArgument); PathNotFound (ObjectNotFound); PathIsDirectory (InvalidArgument); NotFileSystemPath.'
}
