#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }

# Scripts we ship must also run on Windows PowerShell 5.1. This machine has no 5.1, so the parser checks
# what can be checked: syntax and commands/parameters 5.1 lacks.
BeforeAll {
    . (Join-Path $PSScriptRoot 'WindowsPowerShellCompat.ps1')
    $root = Resolve-Path (Join-Path $PSScriptRoot '../..')
    function Test-Snippet([string]$Code) {
        $file = Join-Path $TestDrive ([guid]::NewGuid().ToString('N') + '.ps1')
        [System.IO.File]::WriteAllText($file, $Code)
        @(Get-WindowsPowerShellIncompatibility -Path $file)
    }
}

Describe 'Windows PowerShell 5.1 compatibility checker' {
    It 'flags <Name>' -TestCases @(
        @{ Name = 'a ternary'; Code = '$a = $true ? 1 : 2' }
        @{ Name = 'null-coalescing'; Code = '$a = $b ?? 3' }
        @{ Name = 'null-conditional member access'; Code = '$a = ${b}?.Length' }
        @{ Name = 'a pipeline chain'; Code = 'Get-Date && Get-Date' }
        @{ Name = 'ForEach-Object -Parallel'; Code = '1..2 | ForEach-Object -Parallel { $_ }' }
        @{ Name = 'Invoke-WebRequest -SkipCertificateCheck'; Code = 'Invoke-WebRequest -Uri https://x -SkipCertificateCheck' }
        @{ Name = 'Get-Content -AsByteStream'; Code = 'Get-Content x -AsByteStream' }
        @{ Name = 'Set-Content -Encoding utf8NoBOM'; Code = 'Set-Content x -Value 1 -Encoding utf8NoBOM' }
        @{ Name = 'Test-Json'; Code = 'Test-Json -Json "{}"' }
        @{ Name = '$IsWindows'; Code = 'if ($IsWindows) { 1 }' }
        @{ Name = 'the background operator'; Code = 'Get-Date &' }
        @{ Name = '[Convert]::ToHexString'; Code = '[Convert]::ToHexString($b)' }
        @{ Name = '[System.Security.Cryptography.SHA256]::HashData'; Code = '[System.Security.Cryptography.SHA256]::HashData($b)' }
        @{ Name = '[IO.Path]::Join'; Code = '[IO.Path]::Join("a", "b")' }
        @{ Name = 'X509CertificateLoader'; Code = '[System.Security.Cryptography.X509Certificates.X509CertificateLoader]::LoadCertificate($b)' }
        @{ Name = 'Split-Path -LeafBase'; Code = 'Split-Path x.txt -LeafBase' }
        @{ Name = 'Sort-Object -Top'; Code = '1..3 | Sort-Object -Top 1' }
    ) {
        param($Name, $Code)
        @(Test-Snippet $Code).Count | Should -BeGreaterThan 0
    }

    It 'passes 5.1-compatible code' {
        Test-Snippet 'if ($a) { $b = 1 } else { $b = 2 }; Get-Content x -Encoding Byte; [Net.ServicePointManager]::SecurityProtocol = [Net.SecurityProtocolType]::Tls12' | Should -BeNullOrEmpty
        Test-Snippet '[Convert]::ToBase64String($b); [System.Security.Cryptography.SHA256]::Create(); Split-Path x -Leaf; $IsOk = 1; Get-Date | Out-Null' | Should -BeNullOrEmpty
    }
}

Describe 'Shipped scripts run on Windows PowerShell 5.1' {
    It '<File> uses nothing newer than 5.1' -TestCases @(
        @{ File = 'build.ps1' }
        @{ File = 'module/Install-SecureInstall.ps1' }
        @{ File = 'tools/Test-ReproducibleRelease.ps1' }
        @{ File = '.ci/Install-Pester.ps1' }
    ) {
        param($File)
        Get-WindowsPowerShellIncompatibility -Path (Join-Path $root $File) | Should -BeNullOrEmpty
    }
}
