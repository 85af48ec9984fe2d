@{
    Synopsis    = 'Downloads a script, verifies it against a pinned digest (or its trust-on-first-use pin), and runs exactly the verified bytes.'
    Description = @'
Invoke-VerifiedScript replaces `irm https://... | iex`. The script is fetched through the same engine as
Get-VerifiedArtifact (HTTPS only, https->http redirects refused, size limited), hashed, and compared with -Sha256
before anything runs; then the verified bytes, decoded once (BOM, else UTF-8), become a script block that runs in a
new scope with -ArgumentList. Unverified text is never run, and nothing is fetched a second time.

For installers that publishers change in place (uv, bun, rustup), -TrustOnFirstUse records the digest and a copy of
the script in a pin store on the first run; a later run of a changed script is refused (ScriptChanged) with a unified
diff between the pinned copy and the new script, and runs only with -Accept, which re-pins. The pin store is a JSON
file (sorted, LF) with a folder of copies beside it: commit both and review every change. Its default location is
$env:SECUREINSTALL_SCRIPT_PINS, else $env:SECUREINSTALL_HOME/script-pins.json, else a per-user data folder.

-Inspect prints the verified script with its digest (and its Authenticode status on Windows) without running it or
writing any pin. The script is shown with control, bidi and invisible characters as escapes (\x1b, \u202e; a lone CR,
which PowerShell reads as a line break, as \x0d and a line break), and so is the ScriptChanged diff, so an escape
sequence or a bidi override cannot hide a line from the reader; the Text property keeps the script exactly as it runs.

The pin store is input too (it may arrive in a pull request): an entry's copy must be named by its digest
(script-pins/<sha256>.ps1), else PinStoreInvalid; the copy is shown as the old side of the diff only when it is a
regular file there, not a symbolic or hard link, within the size limit, and hashes to the pin; otherwise the diff says
why it is not shown.
'@
    Parameters  = @{
        Uri                    = 'The script''s URI (https://, or file:// for local copies).'
        Sha256                 = 'The script''s expected SHA-256 in hex (any case, optionally sha256:), from the publisher''s release notes or an earlier -Inspect.'
        TrustOnFirstUse        = 'Instead of -Sha256: compare with the pin recorded on an earlier run; the first run records one (with a warning).'
        Accept                 = 'With -TrustOnFirstUse: run a script that changed since it was pinned, and pin the new version. Review the diff first.'
        PinStore               = 'The pin store file to use with -TrustOnFirstUse (a path you can commit, e.g. .\script-pins.json).'
        ArgumentList           = 'Arguments passed to the script by position, as Invoke-Command -ArgumentList passes them: a value such as ''-Version'' is a string, not a parameter name.'
        Inspect                = 'Print the verified script (control and bidi characters as escapes), its digest and Authenticode status (Windows) without running it.'
        AllowInsecureTransport = 'Fetch an http:// URI. Redirects from https to http stay refused.'
        MaximumSize            = 'The largest script accepted, in bytes (default 16 MiB).'
    }
    Examples    = @(
        @{
            Code    = "Invoke-VerifiedScript -Uri https://example.org/install.ps1 -Sha256 '5f5d2e3c...' -ArgumentList '1.2.3'"
            Remarks = 'Runs the installer only if its SHA-256 is the published one, passing 1.2.3 as its first positional argument.'
        }
        @{
            Code    = 'Invoke-VerifiedScript https://astral.sh/uv/install.ps1 -TrustOnFirstUse -PinStore .\script-pins.json'
            Remarks = 'First run: pins the script (commit script-pins.json and script-pins/). Later runs refuse a changed script and show the diff.'
        }
        @{
            Code    = 'Invoke-VerifiedScript https://example.org/install.ps1 -Sha256 5f5d... -Inspect'
            Remarks = 'Shows the verified script and its digest without running it.'
        }
    )
    Inputs      = 'None.'
    Outputs     = 'Whatever the script writes; with -Inspect, SecureInstall.Core.Scripts.VerifiedScript (Uri, FinalUri, Sha256, Size, Trust, DigestSource, PinStore, Authenticode, Text, ReviewText: the text with control and bidi characters as escapes).'
    Notes       = 'ErrorIds: ChecksumMismatch, ScriptChanged, InsecureRedirect, InsecureTransport (SecurityError); PinStoreInvalid (InvalidData); DownloadFailed (ResourceUnavailable); SizeLimitExceeded (LimitsExceeded); InvalidHash (InvalidArgument).'
}
