<#
.SYNOPSIS
    Installs the SecureInstall module for the current user, after checking this script and the module package
    against digests that did not arrive with them.
.DESCRIPTION
    Trust comes from outside the download: this script first hashes its own bytes and compares them with
    -ExpectedSha256 (the digest printed in the README and the release notes), or, on Windows, accepts a valid
    Authenticode signature by the certificate -SignerThumbprint names. Until that check passes, nothing is
    written and no setting is changed. Then it enables TLS 1.2 (Windows PowerShell 5.1), downloads the module
    package into memory (HTTPS only, https->http redirects refused, the size pinned), checks its SHA-256 against
    the digest stamped into this script by the release build, checks every zip entry name, extracts into a
    staging folder beside <user modules>/SecureInstall/<version>, renames it into place, imports the module and
    prints what it verified.

    Runs on Windows PowerShell 5.1 and PowerShell 7 with nothing installed. ASCII only, LF line endings: the
    bytes hashed by the README one-liner are the bytes this script hashes when it runs from memory.
.PARAMETER ExpectedSha256
    The SHA-256 of this script as published in the README or release notes (hex, optionally "sha256:").
.PARAMETER SignerThumbprint
    Windows only, for a saved copy: accept this script when its Authenticode signature is valid and made by
    the certificate with this thumbprint.
.PARAMETER PackageUri
    Where to fetch the module package instead of the release (mirrors, offline copies): any HTTPS URI is safe,
    the package must still hash to the stamped digest.
.PARAMETER Force
    Replace an installed copy of the same version.
.EXAMPLE
    .\Install-SecureInstall.ps1 -ExpectedSha256 5f5d2e3c...
#>
[CmdletBinding()]
param(
    [string]$ExpectedSha256 = '',
    [string]$SignerThumbprint = '',
    [string[]]$PackageUri = @(),
    [switch]$Force
)

# How this script was started: a saved file (its path) or a script block created from the downloaded bytes.
$BootstrapInvocation = $MyInvocation

# Everything runs in a child scope: nothing leaks into the caller's session.
& {
    Set-StrictMode -Version 2.0
    $ErrorActionPreference = 'Stop'

    # --- stamped by the release build (tools/SecureInstall.Release); an unstamped copy refuses to run ---
    $ReleaseVersion = '0.0.0'
    $ReleasePackageSha256 = ''
    $ReleasePackageSize = 0
    $ReleasePackageUri = ''
    # --- end of stamped values ---

    function Stop-Bootstrap {
        param([string]$ErrorId, [System.Management.Automation.ErrorCategory]$Category, [string]$Message, $Target)
        $exception = New-Object System.InvalidOperationException ("${ErrorId}: $Message")
        throw (New-Object System.Management.Automation.ErrorRecord ($exception, $ErrorId, $Category, $Target))
    }

    function Get-Sha256Hex {
        param([byte[]]$Bytes)
        $sha = [System.Security.Cryptography.SHA256]::Create()
        try { $digest = $sha.ComputeHash($Bytes) } finally { $sha.Dispose() }
        -join ($digest | ForEach-Object { $_.ToString('x2') })
    }

    function ConvertTo-PinnedDigest {
        param([string]$Text)
        $hex = $Text.Trim().ToLowerInvariant()
        if ($hex.StartsWith('sha256:')) { $hex = $hex.Substring(7) }
        if ($hex -notmatch '^[0-9a-f]{64}$') {
            Stop-Bootstrap 'InvalidHash' InvalidArgument "-ExpectedSha256 '$Text' is not a SHA-256 digest (64 hex digits)." $Text
        }
        $hex
    }

    # Step 1: this script's own bytes, against a pin from outside the download. No write, no setting before this.
    function Confirm-Bootstrap {
        param([System.Management.Automation.InvocationInfo]$Invocation)
        $path = ''
        if ($Invocation.MyCommand -is [System.Management.Automation.ExternalScriptInfo]) { $path = $Invocation.MyCommand.Path }
        $bytes = $null
        $source = ''
        if ($path) {
            $bytes = [System.IO.File]::ReadAllBytes($path)
            $source = $path
        }
        elseif ($Invocation.MyCommand -is [System.Management.Automation.ScriptInfo] -or $Invocation.MyCommand -is [System.Management.Automation.FunctionInfo]) {
            # (An advanced script block - this one has [CmdletBinding()] - runs as a FunctionInfo.)
            # Run from memory ([scriptblock]::Create over the downloaded bytes): this script is ASCII without a BOM,
            # so its text re-encodes to exactly the bytes that were hashed before it was created.
            $bytes = (New-Object System.Text.UTF8Encoding($false)).GetBytes($Invocation.MyCommand.ScriptBlock.ToString())
            $source = 'the script block in memory'
        }
        if ($null -eq $bytes) {
            Stop-Bootstrap 'BootstrapNotVerified' SecurityError 'This script cannot see its own bytes (was it piped into Invoke-Expression?). Use the one-liner from the README, which checks the script before running it.' $null
        }
        $actual = Get-Sha256Hex $bytes

        if ($ExpectedSha256) {
            $expected = ConvertTo-PinnedDigest $ExpectedSha256
            if ($actual -ne $expected) {
                Stop-Bootstrap 'BootstrapChecksumMismatch' SecurityError "Install-SecureInstall.ps1 ($source) hashes to sha256:$actual, not the pinned sha256:$expected. It was changed after release (or the pin is for another version): nothing was installed." $source
            }
            return "bootstrap sha256:$actual (matches -ExpectedSha256)"
        }
        if ($SignerThumbprint -and $path -and (Get-Command Get-AuthenticodeSignature -ErrorAction SilentlyContinue)) {
            $signature = Get-AuthenticodeSignature -LiteralPath $path
            $thumbprint = ''
            if ($signature.SignerCertificate) { $thumbprint = $signature.SignerCertificate.Thumbprint }
            if ([string]$signature.Status -ne 'Valid' -or $thumbprint -ne $SignerThumbprint.Trim().ToUpperInvariant()) {
                Stop-Bootstrap 'BootstrapSignatureInvalid' SecurityError "Authenticode status of $path is $($signature.Status), signer thumbprint '$thumbprint'; expected a valid signature by $SignerThumbprint. Nothing was installed." $path
            }
            return "bootstrap Authenticode signature valid, signer $($signature.SignerCertificate.Subject) ($thumbprint); sha256:$actual"
        }
        Stop-Bootstrap 'BootstrapNotVerified' SecurityError "Nothing vouches for this script (sha256:$actual). Pass -ExpectedSha256 with the digest printed in the README or the release notes (or, on Windows, -SignerThumbprint for a signed copy)." $source
    }

    function Receive-Package {
        param([string[]]$Uris, [long]$Size, [string]$Sha256)
        $failures = @()
        foreach ($uri in $Uris) {
            try {
                $received = Receive-Bytes -Uri $uri -Size $Size
                $actual = Get-Sha256Hex $received.Bytes
                if ($actual -ne $Sha256) {
                    Stop-Bootstrap 'ChecksumMismatch' SecurityError "The package from $($received.FinalUri) hashes to sha256:$actual, not the sha256:$Sha256 stamped into this script at release. It was not extracted." $uri
                }
                return $received
            }
            catch {
                $failures += $_
                if (@($Uris).Count -gt 1) { Write-Host "  $uri failed: $($_.Exception.Message)" }
            }
        }
        # A mirror serving other bytes says more than "the last mirror was down".
        $security = @($failures | Where-Object { $_.CategoryInfo.Category -eq 'SecurityError' })
        if ($security.Count -gt 0) { throw $security[0] }
        throw $failures[$failures.Count - 1]
    }

    # The package is small and pinned by size: it is read into memory, so nothing touches the disk before it verified.
    function Receive-Bytes {
        param([string]$Uri, [long]$Size)
        $current = New-Object System.Uri ($Uri)
        $redirects = 0
        while ($true) {
            if ($current.Scheme -ne 'https') {
                $id = 'InsecureTransport'
                if ($redirects -gt 0) { $id = 'InsecureRedirect' }
                Stop-Bootstrap $id SecurityError "$current is not HTTPS; refused (after $redirects redirect(s) from $Uri). Nothing was downloaded from it." $current
            }
            $request = [System.Net.HttpWebRequest]::Create($current)
            $request.AllowAutoRedirect = $false
            $request.AutomaticDecompression = [System.Net.DecompressionMethods]::None
            $request.Timeout = 60000
            $request.ReadWriteTimeout = 60000
            $request.UserAgent = 'SecureInstall-bootstrap'
            try { $response = $request.GetResponse() }
            catch {
                $web = $_.Exception
                while ($web -and -not ($web -is [System.Net.WebException])) { $web = $web.InnerException }
                if ($null -eq $web -or $null -eq $web.Response) { Stop-Bootstrap 'DownloadFailed' ResourceUnavailable "$current could not be fetched: $($_.Exception.Message)" $current }
                $response = $web.Response
            }
            try {
                $status = [int]$response.StatusCode
                if ($status -ge 300 -and $status -lt 400) {
                    $location = $response.Headers['Location']
                    $redirects++
                    if (-not $location -or $redirects -gt 10) { Stop-Bootstrap 'TooManyRedirects' ResourceUnavailable "$current redirected without a usable Location, or more than 10 times." $current }
                    $current = New-Object System.Uri ($current, $location)
                    continue
                }
                if ($status -ne 200) { Stop-Bootstrap 'DownloadFailed' ResourceUnavailable "$current answered HTTP $status." $current }
                if ($response.ContentLength -ge 0 -and $response.ContentLength -ne $Size) {
                    Stop-Bootstrap 'SizeMismatch' SecurityError "$current announces $($response.ContentLength) bytes; the release pins $Size. Not downloaded." $current
                }
                $body = New-Object System.IO.MemoryStream
                $stream = $response.GetResponseStream()
                $buffer = New-Object byte[] 65536
                while (($read = $stream.Read($buffer, 0, $buffer.Length)) -gt 0) {
                    $body.Write($buffer, 0, $read)
                    if ($body.Length -gt $Size) { Stop-Bootstrap 'SizeMismatch' SecurityError "$current sent more than the $Size bytes the release pins. Not used." $current }
                }
                if ($body.Length -ne $Size) { Stop-Bootstrap 'SizeMismatch' SecurityError "$current sent $($body.Length) bytes; the release pins $Size. Not used." $current }
                return New-Object psobject -Property @{ Bytes = $body.ToArray(); FinalUri = $current; Redirects = $redirects }
            }
            finally { $response.Close() }
        }
    }

    # The same rules as SafeArchiveExtractor, for the few a module zip can break: each entry must land inside the
    # staging folder, under the same name on every platform.
    function Test-EntryName {
        param([string]$Name)
        if ($Name.Length -eq 0 -or $Name.Length -gt 400) { return 'an empty or overlong name' }
        if ($Name.Contains('\')) { return 'a backslash (a separator on Windows only)' }
        if ($Name.StartsWith('/') -or $Name -match '^[A-Za-z]:') { return 'an absolute path' }
        if ($Name -match '[\x00-\x1f:*?"<>|]') { return 'a character Windows cannot store (or a stream name)' }
        foreach ($segment in $Name.TrimEnd('/').Split('/')) {
            if ($segment -eq '' -or $segment -eq '.' -or $segment -eq '..') { return 'an empty, "." or ".." segment' }
            if ($segment.EndsWith('.') -or $segment.EndsWith(' ')) { return 'a segment ending in a dot or space' }
            if ($segment -match '^(CON|PRN|AUX|NUL|COM[1-9]|LPT[1-9])(\..*)?$') { return 'a reserved Windows device name' }
        }
        return $null
    }

    function Confirm-PackageEntries {
        param([System.IO.Compression.ZipArchive]$Zip)
        $seen = @{}
        $total = [long]0
        if ($Zip.Entries.Count -gt 10000) { Stop-Bootstrap 'ArchiveLimitExceeded' LimitsExceeded "The package has $($Zip.Entries.Count) entries." $null }
        foreach ($entry in $Zip.Entries) {
            $problem = Test-EntryName $entry.FullName
            if ($problem) { Stop-Bootstrap 'UnsafeArchiveEntry' SecurityError "Package entry '$($entry.FullName)' has $problem; nothing was extracted." $entry.FullName }
            $key = $entry.FullName.TrimEnd('/').ToUpperInvariant()
            if ($seen.ContainsKey($key)) { Stop-Bootstrap 'UnsafeArchiveEntry' SecurityError "Package entry '$($entry.FullName)' appears twice (ignoring case); nothing was extracted." $entry.FullName }
            $seen[$key] = $true
            $total += $entry.Length
        }
        if ($total -gt 512MB) { Stop-Bootstrap 'ArchiveLimitExceeded' LimitsExceeded "The package expands to $total bytes." $null }
        if (-not $seen.ContainsKey('SECUREINSTALL.PSD1')) { Stop-Bootstrap 'UnsafeArchiveEntry' InvalidData 'The package has no SecureInstall.psd1 at its root.' $null }
    }

    function Expand-Package {
        param([System.IO.Compression.ZipArchive]$Zip, [string]$Destination)
        $root = [System.IO.Path]::GetFullPath($Destination).TrimEnd([System.IO.Path]::DirectorySeparatorChar) + [System.IO.Path]::DirectorySeparatorChar
        $buffer = New-Object byte[] 65536
        foreach ($entry in $Zip.Entries) {
            $target = [System.IO.Path]::GetFullPath((Join-Path $Destination $entry.FullName.Replace('/', [System.IO.Path]::DirectorySeparatorChar)))
            if (-not $target.StartsWith($root, [System.StringComparison]::Ordinal)) { Stop-Bootstrap 'UnsafeArchiveEntry' SecurityError "'$($entry.FullName)' resolves outside the install folder." $entry.FullName }
            if ($entry.FullName.EndsWith('/')) { $null = [System.IO.Directory]::CreateDirectory($target); continue }
            $null = [System.IO.Directory]::CreateDirectory([System.IO.Path]::GetDirectoryName($target))
            $in = $entry.Open()
            $out = New-Object System.IO.FileStream ($target, [System.IO.FileMode]::CreateNew, [System.IO.FileAccess]::Write)
            try {
                $written = [long]0
                while (($read = $in.Read($buffer, 0, $buffer.Length)) -gt 0) {
                    $written += $read
                    if ($written -gt $entry.Length) { Stop-Bootstrap 'ArchiveCorrupt' InvalidData "'$($entry.FullName)' holds more than the $($entry.Length) bytes its header declares." $entry.FullName }
                    $out.Write($buffer, 0, $read)
                }
                if ($written -ne $entry.Length) { Stop-Bootstrap 'ArchiveCorrupt' InvalidData "'$($entry.FullName)' holds $written bytes, not $($entry.Length)." $entry.FullName }
            }
            finally { $out.Dispose(); $in.Dispose() }
        }
    }

    function Get-UserModuleRoot {
        if ([System.IO.Path]::DirectorySeparatorChar -eq '\') {
            $folder = 'WindowsPowerShell'
            if ($PSVersionTable.PSEdition -eq 'Core') { $folder = 'PowerShell' }
            return (Join-Path (Join-Path ([Environment]::GetFolderPath('MyDocuments')) $folder) 'Modules')
        }
        $data = $env:XDG_DATA_HOME
        if (-not $data) { $data = Join-Path $HOME '.local/share' }
        return (Join-Path (Join-Path $data 'powershell') 'Modules')
    }

    # --- the install ---
    $verifiedBy = Confirm-Bootstrap $BootstrapInvocation
    if (-not $ReleasePackageSha256 -or $ReleasePackageSize -le 0) {
        Stop-Bootstrap 'BootstrapNotStamped' InvalidData 'This copy of Install-SecureInstall.ps1 was not stamped by a release build (no package digest): use the one attached to a release.' $null
    }

    # Windows PowerShell 5.1 offers SSL3/TLS 1.0 by default; add TLS 1.2 to the process-wide set (adding keeps other code working).
    if ($PSVersionTable.PSEdition -ne 'Core') {
        [System.Net.ServicePointManager]::SecurityProtocol = [System.Net.ServicePointManager]::SecurityProtocol -bor [System.Net.SecurityProtocolType]::Tls12
    }

    $uris = @($PackageUri)
    if ($uris.Count -eq 0) { $uris = @($ReleasePackageUri) }
    $package = Receive-Package -Uris $uris -Size $ReleasePackageSize -Sha256 $ReleasePackageSha256

    Add-Type -AssemblyName System.IO.Compression
    $zip = New-Object System.IO.Compression.ZipArchive ((New-Object System.IO.MemoryStream (, $package.Bytes)), [System.IO.Compression.ZipArchiveMode]::Read)
    try {
        Confirm-PackageEntries $zip

        $moduleFolder = Join-Path (Get-UserModuleRoot) 'SecureInstall'
        $target = Join-Path $moduleFolder $ReleaseVersion
        if ((Test-Path -LiteralPath $target) -and -not $Force) {
            Stop-Bootstrap 'DestinationExists' ResourceExists "SecureInstall $ReleaseVersion is already installed in $target. Import it with 'Import-Module SecureInstall', or run again with -Force to replace it." $target
        }
        # Built beside its final place and renamed in: an interrupted install leaves no half-written version folder.
        $suffix = [System.Guid]::NewGuid().ToString('N').Substring(0, 12)
        $staging = Join-Path $moduleFolder ".$ReleaseVersion.$suffix.partial"
        $null = [System.IO.Directory]::CreateDirectory($staging)
        try {
            Expand-Package $zip $staging
            if (Test-Path -LiteralPath $target) {
                $old = Join-Path $moduleFolder ".$ReleaseVersion.$suffix.old"
                [System.IO.Directory]::Move($target, $old)
                [System.IO.Directory]::Move($staging, $target)
                Remove-Item -LiteralPath $old -Recurse -Force
            }
            else {
                [System.IO.Directory]::Move($staging, $target)
            }
        }
        finally {
            if (Test-Path -LiteralPath $staging) { Remove-Item -LiteralPath $staging -Recurse -Force }
        }
    }
    finally { $zip.Dispose() }

    Import-Module (Join-Path $target 'SecureInstall.psd1') -Global -Force
    Write-Host "Verified $verifiedBy."
    Write-Host "Verified package sha256:$ReleasePackageSha256, $ReleasePackageSize bytes (stamped at release), from $($package.FinalUri)."
    Write-Host "Installed SecureInstall $ReleaseVersion in $target and imported it. Try: Get-Command -Module SecureInstall"
}
