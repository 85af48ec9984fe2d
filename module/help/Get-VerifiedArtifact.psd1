@{
    Synopsis    = 'Downloads a file, checks it against a pinned digest in the same pass, and places it atomically.'
    Description = @'
Get-VerifiedArtifact streams the artifact to a temporary file beside -OutFile while it hashes and counts the bytes;
only when the digest (and -ExpectedSize) match is the file renamed into place. On any failure the temporary file is
deleted: the destination holds a verified file or is as it was. The expected digest comes from exactly one source:
-Sha256, -Hash (with -Algorithm), -ChecksumUri (a list published beside the artifact, searched for its file name) or
-ChecksumFile. With none of them the command refuses to run (VerificationRequired) unless -SkipVerification is given.

Transport: HTTPS only (http:// needs -AllowInsecureTransport); a redirect from https to http is always refused;
redirects are capped; the token (-Token, or GITHUB_TOKEN/GH_TOKEN for github.com) is sent only to the hosts it is tied
to and never after a redirect to another host, and never appears in output. -Token is tied to the host of -Uri when
-Uri is given on the command line, and to every -TokenHost; when the URIs come from the pipeline (Import-Csv) it needs
-TokenHost, or the command stops with TokenHostRequired, so a row naming another host cannot receive the token (that
row gets none, and a verbose line says so). TLS 1.2 or later. file:// URIs work.
Connection errors, timeouts, 408, 429 and 5xx are retried with backoff (honouring Retry-After); interrupted transfers
resume with Range/If-Range when the server supports it. A 407 from the proxy is not retried (ProxyAuthenticationRequired).
An HTML page where a file was expected is an error.

Secrets in output: user:password and query values that look like credentials (X-Amz-Signature, X-Amz-Credential,
sig, token, access_token, code, ...), also inside a URL nested in a query value, are shown as *** in every error,
warning and verbose line, and in FinalUri and Redirects on the result: a pre-signed redirect URL works for anyone
who reads it while it is valid. Uri on the result is the URI as you gave it.

Verified files are kept in a per-user cache by SHA-256 ($env:SECUREINSTALL_CACHE overrides the location; -NoCache
skips it); a pinned digest already cached is re-hashed and served with no network. The cache must be yours
(CacheNotTrusted otherwise); an entry that is a link, or a file another user owns or can write, is evicted and
downloaded again (-Verbose says so). A download made with -Token is created 0600. Several -Uri values are mirrors
tried in order; mirrors from configuration (mirrors.json in the per-user config folder, or $env:SECUREINSTALL_MIRRORS)
are tried first, for pinned downloads only.

Signatures: with -SignatureUri and a trusted key (-MinisignPublicKey, or -PgpPublicKey with an optional -Fingerprint) the
checksum list, or the artifact itself, must carry a valid signature by that key; any failure (SignatureInvalid,
SignerNotTrusted, SignatureFormatInvalid) stops the download and places nothing. With -SignerThumbprint or
-SignerSubject (and optionally -TrustedRoot) the artifact, a PE file, cabinet or MSI package, must carry an Authenticode signature by that
signer, checked as Test-ArtifactSignature checks it, on the downloaded bytes before they are placed and again on a
cache hit; the result's Signature says who signed and which checks ran. Objects with Uri, OutFile and Sha256 properties can be piped in; they are downloaded -ThrottleLimit
at a time with one progress bar.
'@
    Parameters  = @{
        SigstoreBundle           = 'A Sigstore bundle (a file, or an https URI) that must vouch for the artifact''s SHA-256, verified offline against the shipped public-good trusted root before the file is placed. With -Sha256 the pinned digest is checked against the bundle first.'
        CertificateIdentity      = 'With -SigstoreBundle: the signing certificate''s identity (SAN), exactly, e.g. https://github.com/owner/repo/.github/workflows/release.yml@refs/tags/v1.2.3.'
        CertificateIdentityRegex = 'With -SigstoreBundle: a regular expression the certificate identity must match as a whole.'
        CertificateOidcIssuer    = 'With -SigstoreBundle: the OIDC issuer of the identity, e.g. https://token.actions.githubusercontent.com.'
        SignerThumbprint         = 'Authenticode: the SHA-1 thumbprint(s) of the signer certificates to trust for the artifact (a PE file, cabinet or MSI package), as (Get-AuthenticodeSignature FILE).SignerCertificate.Thumbprint shows them. Checked before the file is placed, also on a cache hit.'
        SignerSubject            = 'Authenticode: the exact subject(s) of the signer certificates to trust, e.g. ''CN=Contoso Ltd, O=Contoso Ltd, C=US''.'
        TrustedRoot              = 'Authenticode: the root certificate file(s), PEM or DER, the signer''s chain must end at. Without it, the platform''s root store decides. Needs -SignerThumbprint or -SignerSubject.'
        SigstorePublicKey        = 'With -SigstoreBundle: a PEM public key, for bundles signed with a key rather than a Fulcio certificate.'
        Uri                    = 'The artifact''s URI (https://, or file:// for offline mirrors). Several URIs are mirrors, tried in order; because the digest is pinned, any of them is safe.'
        OutFile                = 'Where the verified file is placed. An existing file is replaced only after the new one verified. An existing folder receives the file under the URI''s file name.'
        Sha256                 = 'The expected SHA-256 in hex, any case, optionally prefixed with sha256:.'
        Hash                   = 'The expected digest in another algorithm (SHA384, SHA512); the algorithm comes from -Algorithm or the digest length.'
        Algorithm              = 'The algorithm of -Hash; it must agree with the digest length.'
        ChecksumUri            = 'A checksum list published beside the artifact (SHA256SUMS, checksums.txt, ...). The artifact is looked up by its file name; a list that does not name it is a ChecksumNotFound error.'
        ChecksumFile           = 'A local checksum list; the artifact is looked up by its file name.'
        SignatureUri           = 'A detached signature (minisign .minisig, OpenPGP .sig/.asc) published beside the checksum list or the artifact. With -ChecksumUri or -ChecksumFile it signs the list, which is verified before any digest in it is trusted (the HashiCorp SHA256SUMS + SHA256SUMS.sig flow); without a list it signs the artifact, which is verified before it is placed. Needs -MinisignPublicKey or -PgpPublicKey.'
        MinisignPublicKey      = 'The trusted minisign public key (the RWQ... string, or a minisign.pub path) that must have made the signature.'
        PgpPublicKey           = 'A file with the trusted OpenPGP public key(s), armored or binary, that must have made the signature. With -ChecksumUri and no -SignatureUri, the list must be OpenPGP clear-signed.'
        Fingerprint            = 'Trust only the OpenPGP key with this primary-key fingerprint (40 hex digits, spaces allowed).'
        SkipVerification       = 'Keep the file whatever it hashes to. A warning names the SHA-256 seen so it can be pinned with -Sha256. Takes no signature or Sigstore parameter (SignatureParametersInvalid): they would check nothing.'
        ExpectedSize           = 'The exact size in bytes. Checked against Content-Length before the body is read, and against the bytes received.'
        MaximumSize            = 'The largest artifact accepted, in bytes (default 8 GiB). Enforced while streaming: a larger download stops at the limit.'
        Token                  = 'A bearer token (SecureString or string), sent only to the hosts it is tied to: the host of -Uri when -Uri is given on the command line, and each -TokenHost. With URIs from the pipeline, -TokenHost is required (TokenHostRequired); a row for another host gets no token and a verbose line says so. Without -Token, GITHUB_TOKEN or GH_TOKEN is used for github.com and api.github.com.'
        TokenHost              = 'The hosts that may receive -Token: a host name (port 443), host:port, or a URI whose host and port are taken, e.g. api.example.com or 127.0.0.1:8080. Needed when the URIs come from the pipeline; rows for other hosts are downloaded without the token. A malformed entry, or -TokenHost without -Token, is TokenHostInvalid.'
        AllowInsecureTransport = 'Fetch http:// URIs. Redirects from https to http stay refused.'
        AllowWeakAlgorithm     = 'Accept an MD5 or SHA-1 digest. A matching weak digest proves nothing against an attacker.'
        Proxy                  = 'A proxy to use instead of the system (or HTTPS_PROXY) proxy. Credentials written in it (http://user:password@host:port) are used, and are never shown: messages print the proxy without them. A proxy that answers 407 is reported as ProxyAuthenticationRequired and not retried.'
        ProxyCredential        = 'Credentials for -Proxy, instead of writing them in its URI; giving both is ProxyInvalid.'
        NoCache                = 'Neither read from nor add to the artifact cache.'
        FlushToDisk            = 'Write each verified file to disk before renaming it into place, so that even a power cut leaves the old file or the whole new one, never an empty one. Off by default (as with Invoke-WebRequest and curl): the rename is atomic for every reader either way, and the flush costs about the time it takes to write the file to disk.'
        ThrottleLimit          = 'How many artifacts are downloaded at once when several are piped in (default 4).'
    }
    Examples    = @(
        @{
            Code    = "Get-VerifiedArtifact -Uri https://releases.hashicorp.com/terraform/1.9.0/terraform_1.9.0_windows_amd64.zip -OutFile . -ChecksumUri https://releases.hashicorp.com/terraform/1.9.0/terraform_1.9.0_SHA256SUMS -SignatureUri https://releases.hashicorp.com/terraform/1.9.0/terraform_1.9.0_SHA256SUMS.sig -PgpPublicKey .\hashicorp.asc -Fingerprint 'C874011F0AB405110D02105534365D9472D7468F'"
            Remarks = 'The HashiCorp flow: the list''s signature is verified with the pinned HashiCorp key before the digest of the zip is taken from it.'
        }
        @{
            Code    = "Get-VerifiedArtifact -Uri https://example.org/tool-1.2.zip -OutFile .\tool.zip -Sha256 '5f5d2e3c...'"
            Remarks = 'Downloads the file and places it only if its SHA-256 is the pinned one.'
        }
        @{
            Code    = 'Get-VerifiedArtifact https://github.com/o/r/releases/download/v1/tool.tar.gz .\tool.tar.gz -ChecksumUri https://github.com/o/r/releases/download/v1/SHA256SUMS'
            Remarks = 'Checks the artifact against the checksum list published with the release.'
        }
        @{
            Code    = "Get-VerifiedArtifact -Uri https://example.org/setup.exe -OutFile . -Sha256 '5f5d2e3c...' -SignerThumbprint '0123456789ABCDEF0123456789ABCDEF01234567' -TrustedRoot .\publisher-root.cer"
            Remarks = 'Downloads setup.exe, checks its SHA-256 and its Authenticode signature (the pinned signer, chained to the publisher''s root) before placing it; on any system.'
        }
        @{
            Code    = 'Import-Csv .\artifacts.csv | Get-VerifiedArtifact -ThrottleLimit 8'
            Remarks = 'Downloads every row (Uri, OutFile, Sha256 columns) eight at a time with one progress bar.'
        }
        @{
            Code    = 'Import-Csv .\artifacts.csv | Get-VerifiedArtifact -Token $token -TokenHost artifacts.example.com'
            Remarks = 'Sends the token only with the rows whose URI is on artifacts.example.com; the other rows are fetched without it.'
        }
    )
    Inputs      = 'Objects with Uri, OutFile and Sha256 (or Hash, ChecksumUri, ExpectedSize) properties.'
    Outputs     = 'SecureInstall.Core.Downloads.DownloadResult (Path, Uri, FinalUri, Sha256, Size, DigestSource, Verified, FromCache, Elapsed, Redirects, Attempts). FinalUri and Redirects are redacted (credentials and signature values shown as ***).'
    Notes       = 'ErrorIds: ChecksumMismatch, ChecksumNotFound, SizeMismatch, InsecureRedirect, InsecureTransport, VerificationRequired, WeakAlgorithmRefused, SignatureInvalid, SignerNotTrusted (SecurityError); SignatureFormatInvalid, PublicKeyInvalid, PeImageMalformed, CabinetMalformed, MsiMalformed (InvalidData); SignatureNotSupported (NotImplemented: an Authenticode pin on a file that is not a PE file, cabinet or MSI package, off Windows); SignatureParametersInvalid, InvalidFingerprint (InvalidArgument); DownloadFailed, DownloadStalled, TooManyRedirects (ResourceUnavailable); ProxyAuthenticationRequired (AuthenticationError); UnexpectedHtml (InvalidData); SizeLimitExceeded (LimitsExceeded); InvalidHash, InvalidUri (a relative -Uri, -ChecksumUri or -SignatureUri), TokenInvalid (a -Token that is neither a string nor a SecureString), ProxyInvalid, TokenHostRequired, TokenHostInvalid (InvalidArgument); PathNotFound (ObjectNotFound: an -OutFile whose folder does not exist or that is a symbolic link to nothing, found before any request); CacheNotTrusted (SecurityError: the cache, or a folder above it, is owned by another user or writable by others; fix it, set SECUREINSTALL_CACHE elsewhere or use -NoCache).'
}
