@{
    Synopsis    = 'Writes the checksum list a publisher uploads beside a release.'
    Description = @'
New-ChecksumFile hashes files (on all cores) and writes a checksum list that sha256sum -c, Test-Checksum and every
common verifier read: GNU format (hex, two spaces, name) or BSD tags. The output is deterministic: entries sorted by
name (ordinal), LF line endings, UTF-8 without BOM, so the same files always give the same bytes. Files below the
list's folder are listed by their relative path with forward slashes, others by their name. The list is written
atomically: a reader sees the old list or the complete new one. An existing list is replaced only with -Force.
'@
    Parameters  = @{
        Path               = 'Files to list. Wildcards are expanded; the output list itself is never listed.'
        LiteralPath        = 'Files to list, taken exactly as written.'
        OutFile            = 'The list to write, for example SHA256SUMS or checksums.txt.'
        Algorithm          = 'The digest algorithm: SHA256 (default), SHA384 or SHA512. MD5 and SHA1 need -AllowWeakAlgorithm.'
        Format             = 'Gnu (default): "hex  name", as sha256sum and GoReleaser write. Bsd: "SHA256 (name) = hex".'
        Force              = 'Replace an existing list.'
        AllowWeakAlgorithm = 'Allow an MD5 or SHA-1 list, for legacy consumers only.'
    }
    Examples    = @(
        @{
            Code    = 'New-ChecksumFile -Path .\dist\* -OutFile .\dist\SHA256SUMS'
            Remarks = 'Lists every file of a release folder; upload SHA256SUMS beside them.'
        }
        @{
            Code    = 'Get-ChildItem .\dist -Recurse -File | New-ChecksumFile -OutFile .\dist\SHA512SUMS -Algorithm SHA512 -Format Bsd -Force'
            Remarks = 'Replaces a SHA-512 list in BSD tag format, with subfolders listed by relative path.'
        }
    )
    Inputs      = 'System.String[]: paths; objects with a PSPath or FullName property.'
    Outputs     = 'System.IO.FileInfo: the written list.'
    Notes       = 'ErrorIds: OutFileExists (ResourceExists), NoInputFiles, DuplicateListName, PathIsDirectory (InvalidArgument), WeakAlgorithmRefused (SecurityError).'
}
