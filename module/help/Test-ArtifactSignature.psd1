@{
    Synopsis    = 'Checks that files were signed by a key you trust: minisign, OpenPGP or Authenticode, verified in process. Sigstore bundles and GitHub attestations: Test-SigstoreBundle.'
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

Authenticode (-SignerThumbprint, -SignerSubject, -TrustedRoot): PE files (.exe, .dll, .sys; PE32 and PE32+), cabinets
and MSI packages, told apart by their first bytes (not their names), are verified in managed code on every system: the
format's Authenticode digest (the PE image hash; the cabinet up to its signature; every MSI stream and storage CLSID,
with the MsiDigitalSignatureEx metadata pre-hash when present), the signer's signature, the chain to the
-TrustedRoot certificates (by default the platform's root store) with the code-signing EKU, the validity of every
certificate at the RFC 3161 or countersignature timestamp when there is one (else now), and every nested signature;
the pinned signer may be any of them. A PE file whose layout hides bytes from the hash (data after the certificate
table or inside it, overlapping or out-of-file sections) is a PeImageMalformed error; a cabinet whose signature does
not end the file is CabinetMalformed; an MSI whose compound-file structure loops, points outside the file, has an
oversized directory or a bad sector shift is MsiMalformed (the exception's Defect names which). On Windows
WinVerifyTrust runs as well (revocation, machine policy) and must name the same signer, else the file fails.
PowerShell script signatures are checked by WinVerifyTrust only: on other systems they fail with SignatureNotSupported, as a
signature that cannot be checked is never reported as valid. The result's Checks property says which checks ran.

Sigstore bundles (keyed or keyless) and GitHub artifact attestations are checked by Test-SigstoreBundle, with the same
result type and ErrorIds. (Before it existed, Test-ArtifactSignature took them with -SigstoreBundle and -Attestation;
those forms were removed in one step, before the first release: the same parameters now go to Test-SigstoreBundle,
-SigstoreBundle being an alias of its -Bundle.)

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
        TrustedRoot       = 'Authenticode: the root certificate file(s), PEM or DER, that the signer''s chain (and a timestamp authority''s) must end at. Certificates inside the signature serve only as intermediates. Without it, the platform''s root store decides (on Linux and macOS it rarely holds code-signing roots).'
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
            Code    = "Test-ArtifactSignature .\setup.exe -SignerThumbprint '0123456789ABCDEF0123456789ABCDEF01234567' -TrustedRoot .\publisher-root.cer"
            Remarks = 'On any system, checks the Authenticode signature of a PE file, that its chain ends at the publisher''s root, and that the signer is the pinned certificate.'
        }
    )
    Inputs      = 'System.String[]: paths to -Path; objects with a PSPath, FullName or LiteralPath property (Get-ChildItem output) to -LiteralPath.'
    Outputs     = 'SecureInstall.Core.Signatures.SignatureResult (Scheme, IsValid, Path, SignaturePath, Signer, KeyId, Fingerprint, TrustedComment, SignedAt, Algorithm, Checks).'
    Notes       = 'ErrorIds: SignatureInvalid, SignerNotTrusted (SecurityError); SignatureFormatInvalid, PublicKeyInvalid (also a -MinisignPublicKey starting with RW that is not a key, or a -TrustedRoot that is not a certificate), PeImageMalformed (InvalidData); SignatureNotSupported (NotImplemented); SignatureNotFound, PathNotFound (ObjectNotFound); InvalidFingerprint, PathIsDirectory (InvalidArgument); NotFileSystemPath.'
}
