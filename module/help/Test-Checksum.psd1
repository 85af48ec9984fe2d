@{
    Synopsis    = 'Checks files against an expected digest or a published checksum list.'
    Description = @'
Test-Checksum hashes each file in one streaming pass with the platform's SHA-2 implementation and compares it with
the expected digest: one given with -Hash, or the file's entry in a checksum list (-ChecksumFile, or the list's text
with -Checksums). Lists are read in every dialect publishers use: GNU coreutils (text and * binary mode, escaped
names), BSD tags (SHA256 (name) = hex), GoReleaser checksums.txt, Node SHASUMS256.txt, hash-only and hash+name
sidecars, Get-FileHash output, OpenPGP clear-signed lists; UTF-8 with or without BOM, UTF-16 with BOM, LF or CRLF,
any hex case. Each file is looked up by its path relative to the list, then by its name.

A mismatch writes a ChecksumMismatch error (SecurityError) and a result whose IsValid is $false. A file the list does
not name is a ChecksumNotFound error: a release whose list omits a file may have been tampered with. A list that names
a file twice with different digests is refused (ChecksumConflict). MD5 and SHA-1 are refused unless
-AllowWeakAlgorithm. With -ChecksumFile and no path, every file the list names is checked, as sha256sum -c does.
'@
    Parameters  = @{
        Path               = 'Files to check. Wildcards are expanded; a path without wildcards that does not exist is a PathNotFound error.'
        LiteralPath        = 'Files to check, taken exactly as written (brackets and asterisks are part of the name). Get-ChildItem output binds here through PSPath.'
        Hash               = 'The expected digest in hex, in any case, optionally prefixed with the algorithm (sha256:...). The algorithm is taken from its length.'
        ChecksumFile       = 'A checksum list such as SHA256SUMS, checksums.txt or a .sha256 sidecar. Names in it are relative to its folder.'
        Checksums          = 'The text of a checksum list. Names in it are relative to the current location.'
        Algorithm          = 'Use this algorithm: with -Hash it must agree with the digest length; with a list it picks entries of this algorithm.'
        AllowWeakAlgorithm = 'Check MD5 and SHA-1 digests. A matching MD5 or SHA-1 digest proves nothing against an attacker; use it only for integrity against accidents.'
        Quiet              = 'Return a single $true when every file verified and $false otherwise, instead of result objects. Verification failures write no error; input errors still do.'
    }
    Examples    = @(
        @{
            Code    = "Test-Checksum -Path .\pwsh.zip -Hash 'sha256:5f5d2e3c...'"
            Remarks = 'Checks a download against the digest copied from the release notes.'
        }
        @{
            Code    = 'Get-ChildItem .\release | Test-Checksum -ChecksumFile .\release\SHA256SUMS'
            Remarks = 'Checks every file of a release folder against the list published with it; a file the list does not name is an error.'
        }
        @{
            Code    = 'Test-Checksum -ChecksumFile .\SHA256SUMS'
            Remarks = 'Checks every file the list names, relative to the list, and reports listed files that are missing.'
        }
        @{
            Code    = "if (-not (Test-Checksum -Path `$installer -Hash `$pinned -Quiet)) { throw 'installer changed' }"
            Remarks = 'Uses -Quiet in a script that must stop when the file is not the pinned one.'
        }
    )
    Inputs      = 'System.String[]: paths to -Path; objects with a PSPath, FullName or LiteralPath property (Get-ChildItem output) to -LiteralPath.'
    Outputs     = 'SecureInstall.Core.Checksums.ChecksumResult (Path, Algorithm, ExpectedHash, ActualHash, IsValid, Source); with -Quiet a single System.Boolean.'
    Notes       = 'ErrorIds: ChecksumMismatch, ChecksumNotFound, WeakAlgorithmRefused (SecurityError); ChecksumListInvalid, ChecksumConflict (InvalidData); InvalidHash, PathIsDirectory (InvalidArgument; a folder named as an argument, not one a wildcard or the pipeline brings); PathNotFound, NotFileSystemPath.'
}
