@{
    Synopsis    = 'Checks that files were signed by a key or identity you trust: minisign, OpenPGP, Authenticode or Sigstore, verified in process.'
    Description = @'
A checksum proves a file is the one that was pinned; a signature proves the publisher made it. Test-ArtifactSignature
verifies signatures in process, with no gpg, minisign or signtool executable, on Windows PowerShell 5.1 and
PowerShell 7. A signature counts only when it was made by the key you name: a valid signature by any other key is a
SignerNotTrusted error, never a pass. Choose the scheme with its parameters:

minisign (-MinisignPublicKey, -MinisignSignature): legacy (Ed) and prehashed (ED, BLAKE2b-512) signatures. The key id
must match; the trusted comment is verified with its global signature and returned in TrustedComment.

OpenPGP (-PgpPublicKey, -PgpSignature, -Fingerprint): detached signatures, binary or armored, and clear-signed files
(a SHA256SUMS made with gpg --clearsign needs no -PgpSignature). The signing key may be the primary key or a subkey
bound to it with a valid binding and back-signature. Revoked keys and subkeys, expired keys, expired signatures and
MD5/SHA-1 signatures are refused. -Fingerprint pins the primary key (full fingerprint; short key ids can be forged).
In a clear-signed file, text outside the signed part is refused rather than ignored.

Authenticode (-SignerThumbprint, -SignerSubject): Windows only, through WinVerifyTrust with revocation checks, then
the signer certificate must match a pin. On other systems the check fails with SignatureNotSupported: a signature
that cannot be checked is never reported as valid.

Sigstore (-SigstoreBundle with -PublicKey, or with -CertificateIdentity/-CertificateIdentityRegex and
-CertificateOidcIssuer): cosign and sigstore bundles (media types v0.1, v0.2, v0.3; message signatures and DSSE
envelopes), verified offline against a trusted root: the public-good root shipped with the module unless -TrustedRoot
names another (GitHub's own root, a private instance, or a newer copy). Every check runs: the Fulcio certificate chain
to a trusted CA valid at the signing time, its embedded SCT against the CT log keys, each transparency-log entry (its
body matches the bundle, the RFC 6962 inclusion proof, the signed checkpoint, the signed entry timestamp; Rekor v2
too), RFC 3161 timestamps, the signing time inside the certificate's validity, the identity and issuer, then the
signature over the file (or the DSSE envelope and its in-toto subject, below).

An in-toto subject names its artifact by a set of digests. The file is read once and hashed with SHA-256 and with
whichever of SHA-384 and SHA-512 the subjects list, and a subject matches when every one of those it lists equals the
file's: npm provenance, which names the tarball by
sha512 alone, verifies; a subject whose sha256 matches but whose sha512 does not is a mismatch (SignatureInvalid), not
"the stronger one wins". A subject named only by md5 or sha1 never matches: the error says it was refused as too weak.

A trusted root that lists no certificate transparency log (GitHub's own Sigstore instance, used for attestations from
private and internal repositories: no CT log, no Rekor, RFC 3161 timestamps instead) needs no SCT in the certificate;
the signing time then comes from the bundle's RFC 3161 timestamps, each verified against a timestamp authority of the
root inside that authority's validity window, and the certificate must be valid at that time. A root that lists CT
logs (the public-good one) still refuses a certificate without a valid SCT.

GitHub artifact attestations (-Attestation with -Repository, -Owner and/or -SignerWorkflow): the bundle is verified
as above, then the certificate's source repository, owner and signer workflow extensions are matched, the statement's
predicate type must be -PredicateType (SLSA provenance v1 by default), and -DenySelfHostedRunners refuses attestations
made on runners GitHub does not operate. No GitHub token and no network are needed.

Without -MinisignSignature or -PgpSignature the signature is looked for beside each file (FILE.minisig;
FILE.sig, FILE.asc, FILE.gpg). A failed check writes an error and also outputs the result with IsValid $false.
'@
    Parameters  = @{
        Path              = 'Files to check. Wildcards are expanded; a path without wildcards that does not exist is a PathNotFound error.'
        LiteralPath       = 'Files to check, taken exactly as written. Get-ChildItem output binds here through PSPath.'
        MinisignPublicKey = 'The trusted minisign public key: the base64 string minisign prints (RWQ...), or the path of a minisign.pub file.'
        MinisignSignature = 'The .minisig signature file. By default FILE.minisig beside each file.'
        PgpPublicKey      = 'A file with the trusted OpenPGP public key(s), armored (gpg --export --armor) or binary. Several keys (or armored blocks) are all trusted unless -Fingerprint picks one. A file holding a private key is refused.'
        PgpSignature      = 'The detached signature (.sig, .asc or .gpg). By default one beside each file, or, when there is none, the file''s own clear-signature.'
        Fingerprint       = 'Trust only the key whose primary-key fingerprint this is: 40 hex digits (64 for v6 keys), spaces allowed, as gpg --fingerprint prints it.'
        AllowExpiredKey   = 'Accept a signature made while its key was valid from a key that has expired since (old releases). A signature made after the key expired is always refused.'
        SignerThumbprint  = 'Authenticode: the SHA-1 thumbprint(s) of the signer certificates to trust, as (Get-AuthenticodeSignature FILE).SignerCertificate.Thumbprint shows them.'
        SignerSubject     = 'Authenticode: the exact subject(s) of the signer certificates to trust, e.g. ''CN=Contoso Ltd, O=Contoso Ltd, L=Redmond, S=Washington, C=US''.'
        SigstoreBundle    = 'The Sigstore bundle (.sigstore.json; cosign sign-blob --bundle, sigstore sign) each file is checked against.'
        PublicKey         = 'Keyed Sigstore bundles: the signer''s PEM public key file (cosign.pub). The bundle must be signed with this key, not a certificate.'
        CertificateIdentity      = 'Keyless Sigstore bundles: the exact identity the Fulcio certificate must name (a workflow URI such as https://github.com/OWNER/REPO/.github/workflows/release.yml@refs/tags/v1.0, or an e-mail address).'
        CertificateIdentityRegex = 'Keyless Sigstore bundles: a .NET regular expression the whole identity must match (it is anchored at both ends).'
        CertificateOidcIssuer    = 'The OIDC issuer that must have vouched for the identity, e.g. https://token.actions.githubusercontent.com or https://accounts.google.com. With -Attestation it defaults to GitHub Actions.'
        TrustedRoot       = 'A Sigstore trusted_root.json to verify against instead of the public-good root shipped with the module (module/sigstore-trusted-root.json): GitHub''s own root for private-repository attestations, a private Sigstore instance, or a newer public-good root.'
        Attestation       = 'A GitHub artifact attestation bundle (the output of actions/attest-build-provenance, or the provenance bundle of an npm package published with --provenance), the JSON Lines file gh attestation download saves (one bundle per line), or the npm registry''s attestations document ({"attestations":[{"bundle":...}]}). With several bundles the first that satisfies the policy counts, and the error names every one when none does.'
        Repository        = 'Attestations: the source repository (OWNER/REPO) whose workflow must have made the attestation.'
        Owner             = 'Attestations: the owner (user or organization) of the source repository.'
        SignerWorkflow    = 'Attestations: the workflow that must have signed, OWNER/REPO/.github/workflows/FILE.yml (any ref), or its full URL with @ref.'
        PredicateType     = 'Attestations: the in-toto predicate type required. Default https://slsa.dev/provenance/v1.'
        DenySelfHostedRunners = 'Attestations: refuse attestations made on self-hosted runners, whose machines the repository owner, not GitHub, controls.'
    }
    Examples    = @(
        @{
            Code    = "Test-ArtifactSignature -Path .\zig.tar.xz -MinisignPublicKey 'RWSGOq2NVecA2UPNdBUZykf1CCb147pkmdtYxgb3Ti+JO/wCYvhbAb/U'"
            Remarks = 'Checks zig.tar.xz against zig.tar.xz.minisig beside it with the publisher''s minisign key, and shows the verified trusted comment.'
        }
        @{
            Code    = 'Test-ArtifactSignature .\SHA256SUMS -PgpPublicKey .\hashicorp.asc -PgpSignature .\SHA256SUMS.sig -Fingerprint ''C874 011F 0AB4 0511 0D02 1055 3436 5D94 72D7 468F'''
            Remarks = 'Checks a HashiCorp-style checksum list against its detached signature, trusting only the pinned primary key; then Test-Checksum can trust the list.'
        }
        @{
            Code    = 'Test-ArtifactSignature .\hashes.txt -PgpPublicKey .\release-key.asc'
            Remarks = 'Checks a clear-signed checksum list (no detached signature needed).'
        }
        @{
            Code    = "Test-ArtifactSignature .\setup.exe -SignerThumbprint '0123456789ABCDEF0123456789ABCDEF01234567'"
            Remarks = 'On Windows, checks the Authenticode signature and that the signer is the pinned certificate.'
        }
        @{
            Code    = 'Test-ArtifactSignature .\cosign-linux-amd64 -SigstoreBundle .\cosign-linux-amd64.sigstore.json -CertificateIdentity keyless@projectsigstore.iam.gserviceaccount.com -CertificateOidcIssuer https://accounts.google.com'
            Remarks = 'Checks a keyless Sigstore signature offline against the shipped public-good root, requiring the named signer and issuer.'
        }
        @{
            Code    = 'Test-ArtifactSignature .\tool.tar.gz -Attestation .\tool.tar.gz.sigstore.json -Repository cli/cli -DenySelfHostedRunners'
            Remarks = 'Checks a GitHub artifact attestation: SLSA provenance for this file, made by a workflow of cli/cli on a GitHub-hosted runner.'
        }
        @{
            Code    = 'Test-ArtifactSignature .\sigstore-2.1.0.tgz -Attestation .\sigstore-2.1.0.sigstore.json -Repository sigstore/sigstore-js'
            Remarks = 'Checks an npm package (npm pack sigstore@2.1.0) against its npm provenance, whose subject names the tarball by sha512 only: the tarball is hashed with SHA-256 and SHA-512 in one pass. Another -Repository is SignerNotTrusted; a changed tarball is SignatureInvalid.'
        }
        @{
            Code    = 'Get-Item .\sigstore-2.1.0.tgz | Test-ArtifactSignature -Attestation .\sigstore-2.1.0.sigstore.json -Owner sigstore -SignerWorkflow sigstore/sigstore-js/.github/workflows/release.yml -DenySelfHostedRunners'
            Remarks = 'The same package, requiring the owner and the exact release workflow, on a GitHub-hosted runner.'
        }
        @{
            Code    = 'Test-ArtifactSignature .\app.zip -Attestation .\app.zip.jsonl -Repository OWNER/PRIVATE-REPO -TrustedRoot .\github-trusted-root.json'
            Remarks = 'Checks an attestation from a private repository, signed by GitHub''s own Sigstore instance: its trusted_root.json (gh attestation trusted-root) lists no CT log, so no SCT is required and the RFC 3161 timestamps give the signing time.'
        }
    )
    Inputs      = 'System.String[]: paths to -Path; objects with a PSPath, FullName or LiteralPath property (Get-ChildItem output) to -LiteralPath.'
    Outputs     = 'SecureInstall.Core.Signatures.SignatureResult (Scheme, IsValid, Path, SignaturePath, Signer, KeyId, Fingerprint, TrustedComment, SignedAt, Algorithm; for Sigstore also OidcIssuer, LogIndex, PredicateType).'
    Notes       = 'ErrorIds: SignatureInvalid, SignerNotTrusted (SecurityError); SignatureFormatInvalid, PublicKeyInvalid (also a -MinisignPublicKey starting with RW that is not a key), TrustedRootInvalid (InvalidData); SignatureParametersInvalid (InvalidArgument); SignatureNotSupported (NotImplemented); SignatureNotFound, PathNotFound (ObjectNotFound); InvalidFingerprint, PathIsDirectory (InvalidArgument); NotFileSystemPath.'
}
