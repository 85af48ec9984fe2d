@{
    Synopsis    = 'Extracts a zip or tar archive safely: nothing can land outside the destination, and nothing is left behind on failure.'
    Description = @'
Expand-VerifiedArchive extracts .zip, .tar, .tar.gz/.tgz, .tar.xz, .tar.bz2 and .tar.zst archives; the format is read
from the content, not the file name. With -Sha256 the archive is hashed first (through the handle that is then
extracted) and refused on mismatch. Every entry is checked before it is written: ".." segments, absolute, drive, UNC and
device paths, backslash traversal, links whose target leaves the destination (followed through all the archive's links),
files written through a link, devices and FIFOs, NUL and control characters, Windows reserved names and alternate data
streams, names that collide after case folding or Unicode normalisation, and duplicates are refused, with an error naming
the entry and the rule. Limits on total bytes, entry count, expansion ratio and folder depth are counted on the bytes
actually written. The archive is extracted into a new folder beside the destination and moved into place only when every
entry was accepted; an existing destination is replaced only with -Force. Archives inside the archive are never opened.
Folders are created rwxr-xr-x and files rw-r--r-- (rwxr-xr-x when executable in the archive), whatever the umask and the
archive's own modes: nothing extracted is group- or world-writable, setuid or setgid.
The executable bit is kept on Unix, setuid/setgid never; timestamps are as stored; hard links are written as copies.
'@
    Parameters  = @{
        Path                = 'The archive. Wildcards are expanded.'
        LiteralPath         = 'The archive, taken exactly as written.'
        DestinationPath     = 'The folder to create. It must not exist unless -Force is given.'
        Sha256              = 'The published SHA-256 of the archive (hex, optionally prefixed "sha256:"). Checked before extraction.'
        Force               = 'Replace an existing destination, once the whole archive has been extracted beside it.'
        StripComponents     = 'Leading folders to drop from every entry (tar --strip-components), for release archives with one top folder.'
        Include             = 'Write only entries whose path (after stripping) or one of its folders matches a pattern: * and ? within a name, ** across folders. All entries are still checked.'
        PassThru            = 'Output the destination folder instead of one object per entry written.'
        MaxTotalBytes       = 'Most bytes written in total (default 4 GiB).'
        MaxEntryCount       = 'Most entries (default 100000).'
        MaxCompressionRatio = 'Most bytes written per compressed byte read (default 200), per entry for zip, over the stream for tar.'
        MaxDepth            = 'Most folder levels of one entry (default 64).'
    }
    Examples    = @(
        @{
            Code    = 'Expand-VerifiedArchive -Path .\tool-1.2.3-linux-x64.tar.gz -DestinationPath .\tools\tool -Sha256 3f2a... -StripComponents 1'
            Remarks = 'Verifies the published digest, then extracts the release without its top folder.'
        }
        @{
            Code    = 'Get-ChildItem .\downloads\*.zip | Expand-VerifiedArchive -DestinationPath .\out -Include "bin/*" -Force -PassThru'
            Remarks = 'Replaces .\out with the bin folder of the archive and outputs the folder.'
        }
    )
    Inputs      = 'System.String[]: paths; objects with a PSPath or FullName property.'
    Outputs     = 'SecureInstall.Core.Archives.ExtractedEntry: each file, folder and link written. System.IO.DirectoryInfo with -PassThru.'
    Notes       = 'ErrorIds: UnsafeArchiveEntry (SecurityError), ArchiveLimitExceeded (LimitsExceeded), ArchiveCorrupt (InvalidData), UnsupportedArchiveFormat (NotImplemented), DestinationExists (ResourceExists), ChecksumMismatch (SecurityError), InvalidHash, PathIsDirectory (InvalidArgument); PathNotFound (ObjectNotFound).'
}
