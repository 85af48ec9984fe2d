@{
    RootModule             = 'bin/SecureInstall.Commands.dll'
    ModuleVersion          = '0.1.0'
    GUID                   = '5e1c7a11-0b6d-4c1e-9a57-3f2d8e6b9c40'
    Author                 = 'SecureInstall'
    CompanyName            = 'SecureInstall'
    Copyright              = '(c) SecureInstall contributors. All rights reserved.'
    Description            = 'Verified downloads, safe extraction and pinned tool installs: a safe replacement for irm | iex, Invoke-WebRequest and Expand-Archive.'
    PowerShellVersion      = '5.1'
    CompatiblePSEditions   = @('Desktop', 'Core')
    DotNetFrameworkVersion = '4.7.2'
    FormatsToProcess       = @('module/SecureInstall.format.ps1xml')
    CmdletsToExport        = @(
        'Add-PinnedTool'
        'Expand-VerifiedArchive'
        'Get-PinnedModule'
        'Get-PinnedTool'
        'Get-VerifiedArtifact'
        'Install-PinnedModule'
        'Install-PinnedTool'
        'Invoke-VerifiedScript'
        'New-ChecksumFile'
        'Save-PinnedModule'
        'Save-PinnedTool'
        'Test-ArtifactSignature'
        'Test-Checksum'
        'Test-PinnedModule'
        'Test-PinnedTool'
        'Test-SigstoreBundle'
        'Uninstall-PinnedModule'
        'Uninstall-PinnedTool'
        'Update-PinnedModuleManifest'
        'Update-PinnedToolManifest'
    )
    FunctionsToExport      = @()
    AliasesToExport        = @()
    VariablesToExport      = @()
    PrivateData            = @{
        PSData = @{
            Tags         = @('Security', 'Checksum', 'Download', 'SupplyChain', 'Installer', 'PSEdition_Desktop', 'PSEdition_Core', 'Windows', 'Linux', 'MacOS')
            ProjectUri   = 'https://github.com/secureinstall/SecureInstall'
            LicenseUri   = 'https://github.com/secureinstall/SecureInstall/blob/main/LICENSE'
        }
    }
}
