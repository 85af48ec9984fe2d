@{
    Synopsis    = 'Pins a tool from the aqua registry: every platform''s download and the publisher''s digest, appended to a manifest.'
    Description = @'
Add-PinnedTool reads the package's definition from the aqua registry (pkgs/<owner>/<name>/registry.yaml, from a checkout
given by -Registry, the https URL of its raw files, or the public registry's main branch), renders each platform's asset
URL by the definition's own rules (version_constraint and version_overrides, overrides by goos/goarch, replacements,
supported_envs, rosetta2, format, files), fetches the publisher's checksum file once and pins every platform's digest
from it. One tool entry is appended to the manifest (created when missing), after its last tool, leaving every other
line as it was; a comment names the definition and the registry commit, each artifact's digest source, and every
feature of the definition that is not carried (by name: SLSA provenance, a cosign signature without a bundle, …).
A minisign signature, a cosign bundle beside the artifact or GitHub artifact attestations become the entry's signature
policy. When the publisher signs the checksum file (checksum.cosign with a Sigstore bundle), that bundle is fetched and
verified over the file, offline, with the definition's certificate identity and OIDC issuer before any digest in it is
pinned, and the digest comment says so; a missing bundle, one over other bytes or by another identity refuses the add
(SignatureInvalid, SignerNotTrusted, SignatureFormatInvalid, or the download error naming the bundle) and writes nothing.
An artifact nothing from the publisher pins (no checksum file, or only MD5/SHA-1) is refused with CatalogEntryUnpinned
unless -TrustOnFirstUse -Reason: then it is downloaded now, hashed, and its digest and size are pinned with the reason
written beside them. A definition that renders a name with '..', '/' or '\', an http: URL, a checksum pattern that
matches nothing, or uses template syntax SecureInstall does not render is refused by name, before anything is written.
-WhatIf shows each platform's URL, digest source and the signature policy without fetching anything.
'@
    Parameters  = @{
        Manifest        = 'The manifest to append the tool to (created when missing).'
        Name            = 'The aqua package, owner/name (cli/cli), or the winget package identifier (Casey.Just).'
        Version         = 'The release tag as the registry writes it (v2.63.0).'
        From            = 'The catalog: aqua (default), or winget: a winget-pkgs checkout (-Registry) whose installers are pinned per architecture by the manifest''s own InstallerUrl and InstallerSha256: portable files and zips of portable files first, else a setup program (msi, wix, exe, inno, nullsoft, burn; per-user before machine scope) with an installer: block carrying its silent switches (InstallerSwitches Silent or SilentWithProgress as silent:, Custom as custom:), scope, elevation, InstallerSuccessCodes (success_codes:) and ExpectedReturnCodes (return_codes:). A plain exe without silent switches, msix and appx are refused by name. Every InstallerUrl must be on a site the manifest''s own locale URLs name (PackageUrl, PublisherUrl, PublisherSupportUrl, LicenseUrl, CopyrightUrl, ReleaseNotesUrl, PrivacyUrl, DocumentUrl): the same registrable domain, or on github.com (and other shared code hosts) the same owner; an installer on another site is CatalogDefinitionInvalid.'
        Registry        = 'An aqua registry checkout, or the https URL of its raw files; by default the public registry''s main branch (a moving branch, which the entry''s comment says).'
        GitHubBase      = 'The release download base for GitHub Enterprise Server; by default https://$env:GH_HOST/ or https://github.com/.'
        TrustOnFirstUse = 'Pin what nothing from the publisher pins by downloading and hashing it now; needs -Reason.'
        Reason          = 'Why the artifact is trusted on first use; written into the manifest.'
    }
    Examples    = @(
        @{
            Code    = 'Add-PinnedTool -Manifest .\tools.yml -Name cli/cli -Version v2.63.0 -Registry .\aqua-registry -WhatIf'
            Remarks = 'Shows, per platform, the URL gh 2.63.0 would be pinned at and where its digest comes from, without fetching or writing anything.'
        }
        @{
            Code    = 'Add-PinnedTool .\tools.yml cli/cli v2.63.0 -Registry .\aqua-registry -GitHubBase https://github.example.com/'
            Remarks = 'Pins gh 2.63.0 for every platform from the publisher''s checksum file on a GitHub Enterprise Server, and appends the entry to tools.yml.'
        }
    )
    Inputs      = 'Name and Version by property name.'
    Outputs     = 'SecureInstall.Core.Catalogs.CatalogAddition (Tool, Version, Package, Definition, DefinitionCommit, Pins, Skipped, NotCarried, Signature, Entry).'
    Notes       = 'ErrorIds: CatalogEntryUnpinned (SecurityError); CatalogDefinitionInvalid, ManifestInvalid (InvalidData); CatalogDefinitionUnsupported (NotImplemented); CatalogPackageNotFound (ObjectNotFound); ReasonRequired (InvalidArgument); DownloadFailed.'
}
