#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }

BeforeAll {
    $manifestPath = Join-Path $PSScriptRoot '../../SecureInstall.psd1'
    $manifest = Import-PowerShellDataFile -Path $manifestPath
    Import-Module $manifestPath -Force
}

Describe 'SecureInstall module manifest' {
    It 'targets Windows PowerShell 5.1 and PowerShell 7 (Desktop and Core)' {
        $manifest.PowerShellVersion | Should -Be '5.1'
        $manifest.CompatiblePSEditions | Should -Be @('Desktop', 'Core')
    }

    It 'exports exactly the cmdlets it lists, with no wildcards' {
        $manifest.CmdletsToExport | Should -Not -Contain '*'
        $exported = (Get-Module SecureInstall).ExportedCmdlets.Keys | Sort-Object
        $exported | Should -Be ($manifest.CmdletsToExport | Sort-Object)
    }

    It 'uses only approved verbs' {
        $approved = (Get-Verb).Verb
        foreach ($name in $manifest.CmdletsToExport) { $approved | Should -Contain ($name -split '-')[0] }
    }

    It 'loads a format file for its output types' {
        foreach ($f in $manifest.FormatsToProcess) { Test-Path (Join-Path (Split-Path $manifestPath) $f) | Should -BeTrue }
    }

    It 'has help with at least one example for every cmdlet' {
        foreach ($name in $manifest.CmdletsToExport) {
            $help = Get-Help $name -Full
            @($help.examples.example).Count | Should -BeGreaterThan 0 -Because "$name needs examples"
            $help.description | Should -Not -BeNullOrEmpty -Because "$name needs a description"
        }
    }
}
