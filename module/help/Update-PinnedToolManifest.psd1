@{
    Synopsis    = 'Pins a new tool version from the publisher''s checksum list, keeping the manifest''s formatting and comments.'
    Description = @'
Update-PinnedToolManifest fetches the publisher's checksum list (the tool's checksums_url with {version} replaced, or
-ChecksumUri), then copies the block of the tool's default version, replaces its version and, for each artifact, the
digest with the one the list gives for the new file name. The manifest is edited as text, so comments and layout stay
as they were, and the result is read back before it is written (atomically). A version already pinned whose digest
the list now contradicts is refused with PinnedDigestChanged (a re-upload under the same version is a red flag);
-Force with a -Reason re-pins it and writes the reason into the manifest beside it.
An entry Add-PinnedTool wrote (catalog: aqua owner/name, and no checksums_url) is updated from the same source: the new
version is resolved by the definition's own rules, pinned from the publisher's checksum file and added as a version of
the entry; a version already pinned whose digest the publisher's file now contradicts is refused with PinnedDigestChanged.
'@
    Parameters  = @{
        Manifest    = 'The manifest to update.'
        Name        = 'The tool.'
        Version     = 'The new version to pin.'
        ChecksumUri = 'The publisher''s checksum list (https URL or a local file); the tool''s checksums_url by default.'
        SetDefault  = 'Also make the new version the tool''s default_version.'
        Force       = 'Re-pin a version whose digest changed; needs -Reason.'
        Reason      = 'Why a changed digest is accepted; written into the manifest.'
        Registry    = 'For an entry Add-PinnedTool wrote (catalog: aqua owner/name): the aqua registry checkout or raw-file URL to read the package from; by default the public registry.'
        GitHubBase  = 'For an entry from a catalog: the release download base (GitHub Enterprise Server); by default https://$env:GH_HOST/ or https://github.com/.'
    }
    Examples    = @(
        @{
            Code    = 'Update-PinnedToolManifest -Manifest .\tools.yml -Name go -Version 1.23.6 -SetDefault'
            Remarks = 'Pins Go 1.23.6 from its published checksums and makes it the default; review the diff before committing.'
        }
        @{
            Code    = "Update-PinnedToolManifest .\tools.yml node 22.22.0 -Force -Reason 'rebuilt upstream, see nodejs/node#12345'"
            Remarks = 'Re-pins a version whose files were re-uploaded, recording why.'
        }
    )
    Inputs      = 'None.'
    Outputs     = 'SecureInstall.Core.Manifests.ManifestUpdate (Tool, Version, FromVersion, Change, Artifacts, ChecksumsSource).'
    Notes       = 'ErrorIds: PinnedDigestChanged, ChecksumNotFound (SecurityError); NoChecksumsUrl, ReasonRequired (InvalidArgument); ManifestInvalid (InvalidData); DownloadFailed.'
}
