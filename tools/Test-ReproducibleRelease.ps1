<#
.SYNOPSIS
    Proves the release build is reproducible: builds one commit twice, in two fresh clones at different paths, and
    compares every asset byte for byte; or rebuilds a commit and compares with a published checksums.txt.
.EXAMPLE
    pwsh ./tools/Test-ReproducibleRelease.ps1
    Two clean builds of HEAD; exit 0 when every asset is identical.
.EXAMPLE
    pwsh ./tools/Test-ReproducibleRelease.ps1 -Commit v0.1.0 -Published ./downloads/checksums.txt
    Rebuild the tagged release and compare with the checksums.txt published with it (check its signature first).
#>
[CmdletBinding()]
param(
    [string]$Commit = 'HEAD',
    # A published checksums.txt: compare one rebuild with it instead of two rebuilds with each other.
    [string]$Published = '',
    [string]$WorkPath = '',
    # The native binaries built on other runners (secureinstall-<rid>), handed to both builds as the release got them;
    # the linux-x64 one is compiled in each clone.
    [string]$NativePath = ''
)

# Written for Windows PowerShell 5.1 as well as pwsh 7.
Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'
$root = Split-Path -Parent $PSScriptRoot
if (-not $WorkPath) { $WorkPath = Join-Path ([System.IO.Path]::GetTempPath()) ('secureinstall-repro-' + [guid]::NewGuid().ToString('N').Substring(0, 8)) }
$null = New-Item -ItemType Directory -Force -Path $WorkPath
$sha = (& git -C $root rev-parse --verify "$Commit^{commit}").Trim()
if ($LASTEXITCODE -ne 0) { throw "No commit '$Commit' in $root." }

function Invoke-CleanBuild {
    param([string]$Clone, [string]$Output)
    & git clone --quiet --no-hardlinks $root $Clone
    if ($LASTEXITCODE -ne 0) { throw "git clone into $Clone failed." }
    & git -C $Clone -c advice.detachedHead=false checkout --quiet $sha
    if ($LASTEXITCODE -ne 0) { throw "git checkout $sha failed." }
    $native = @()
    if ($NativePath) { $native = @('--native', (Resolve-Path -LiteralPath $NativePath).Path) }
    & dotnet run --project (Join-Path $Clone 'tools/SecureInstall.Release/SecureInstall.Release.csproj') -c Release -- build --root $Clone --output $Output @native
    if ($LASTEXITCODE -ne 0) { throw "The release build in $Clone failed." }
}

function Get-Listing {
    param([string]$Path)
    $map = @{}
    foreach ($line in [System.IO.File]::ReadAllLines($Path)) {
        if ($line -match '^([0-9a-f]{64})  (.+)$') { $map[$Matches[2]] = $Matches[1] }
    }
    $map
}

$first = Join-Path $WorkPath 'out-a'
Invoke-CleanBuild -Clone (Join-Path $WorkPath 'clone-a') -Output $first
$expected = Join-Path $first 'checksums.txt'
if ($Published) {
    $reference = (Resolve-Path -LiteralPath $Published).Path
}
else {
    # A second clone at a deeper, differently named path: absolute paths must not leak into the bytes.
    $second = Join-Path $WorkPath 'out-b'
    Invoke-CleanBuild -Clone (Join-Path $WorkPath 'elsewhere/clone-b') -Output $second
    $reference = Join-Path $second 'checksums.txt'
}

$a = Get-Listing $expected
$b = Get-Listing $reference
$names = @($a.Keys) + @($b.Keys) | Sort-Object -Unique
$different = @($names | Where-Object { $a[$_] -ne $b[$_] })
foreach ($name in $names) {
    $state = 'identical'
    if ($different -contains $name) { $state = 'DIFFERENT' }
    Write-Host ('{0,-10} {1}  {2}' -f $state, $a[$name], $name)
}
if ($different.Count -gt 0 -or $names.Count -eq 0) {
    Write-Host "Not reproducible: $($different.Count) asset(s) differ (builds kept in $WorkPath)."
    exit 1
}
Write-Host "Reproducible: commit $sha gives the same $($names.Count) assets (checksums.txt sha256 $((Get-FileHash -LiteralPath $expected -Algorithm SHA256).Hash.ToLowerInvariant()))."
Remove-Item -LiteralPath $WorkPath -Recurse -Force
