<#
.SYNOPSIS
    Installs the Pester version the tests run under, for the current user of this PowerShell (Windows PowerShell 5.1
    or pwsh 7), unless it is already there. CI runs it before ./build.ps1 -Task Test; run it by hand the same way:
        powershell -NoProfile -ExecutionPolicy Bypass -File ./.ci/Install-Pester.ps1
        pwsh -NoProfile -File ./.ci/Install-Pester.ps1
#>
[CmdletBinding()]
param(
    # The version this repository's Pester tests are written and run against (the one ../shared/tools bundles).
    [version]$Version = '5.9.0'
)

# Written for Windows PowerShell 5.1 as well as pwsh 7.
Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'

$have = Get-Module -ListAvailable -Name Pester | Where-Object { $_.Version -eq $Version } | Select-Object -First 1
if ($have) {
    Write-Host "Pester $Version is already installed: $($have.Path)"
    return
}

if ($PSVersionTable.PSEdition -ne 'Core') {
    # Windows PowerShell 5.1 may default to TLS 1.0, which the PowerShell Gallery refuses, and its PowerShellGet needs
    # the NuGet provider before the first Install-Module.
    [Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12
    if (-not (Get-PackageProvider -ListAvailable -Name NuGet -ErrorAction SilentlyContinue | Where-Object { $_.Version -ge [version]'2.8.5.201' })) {
        $null = Install-PackageProvider -Name NuGet -MinimumVersion 2.8.5.201 -Scope CurrentUser -Force
    }
}

# -SkipPublisherCheck: Windows ships Pester 3.4 signed with another certificate than the Gallery's Pester 5.
Install-Module -Name Pester -RequiredVersion $Version -Scope CurrentUser -Force -SkipPublisherCheck -AllowClobber
$installed = Get-Module -ListAvailable -Name Pester | Where-Object { $_.Version -eq $Version } | Select-Object -First 1
if (-not $installed) { throw "Pester $Version did not install." }
Write-Host "Installed Pester $Version for $($PSVersionTable.PSEdition) $($PSVersionTable.PSVersion): $($installed.Path)"
