#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }

# Scripts we ship must also run on Windows PowerShell 5.1. This machine has no 5.1, so the parser checks
# what can be checked: syntax and commands/parameters 5.1 lacks.
BeforeAll {
    . (Join-Path $PSScriptRoot 'WindowsPowerShellCompat.ps1')
    $root = Resolve-Path (Join-Path $PSScriptRoot '../..')
    function Test-Snippet([string]$Code, [switch]$Bom) {
        $file = Join-Path $TestDrive ([guid]::NewGuid().ToString('N') + '.ps1')
        [System.IO.File]::WriteAllText($file, $Code, (New-Object System.Text.UTF8Encoding($Bom.IsPresent)))
        @(Get-WindowsPowerShellIncompatibility -Path $file)
    }
}

BeforeDiscovery {
    # Every script of the Pester suite: CI runs it under Windows PowerShell 5.1 too (issue 21, .github/workflows/ci.yml).
    $suiteRoot = Join-Path $PSScriptRoot '..'
    $suite = @(Get-ChildItem -LiteralPath $PSScriptRoot -Recurse -File -Include *.ps1, *.psm1 |
        Where-Object { $_.FullName -notmatch '[\\/]fixtures[\\/]' } |
        ForEach-Object { @{ File = $_.FullName.Substring((Resolve-Path $suiteRoot).Path.Length + 1) } })
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
        @{ Name = 'ProcessStartInfo.ArgumentList'; Code = '$s = [System.Diagnostics.ProcessStartInfo]::new("x"); $s.ArgumentList.Add("a")' }
        @{ Name = 'Process.Kill($true)'; Code = '$p.Kill($true)' }
        @{ Name = '[IO.Path]::GetRelativePath'; Code = '[System.IO.Path]::GetRelativePath("a", "b")' }
        @{ Name = 'ConvertFrom-Json -AsHashtable'; Code = '"{}" | ConvertFrom-Json -AsHashtable' }
        @{ Name = '$IsLinux outside a Test-Is* helper'; Code = 'It "x" -Skip:(-not $IsLinux) { }' }
        @{ Name = '$IsMacOS in a function of another name'; Code = 'function Get-Os { if ($IsMacOS) { "darwin" } }' }
        @{ Name = 'Join-Path with three paths'; Code = 'Join-Path $a "b" "c"' }
        @{ Name = 'System.Formats.Tar'; Code = '[System.Formats.Tar.TarFile]::CreateFromDirectory("a", "b.tar", $false)' }
        @{ Name = 'ExportSubjectPublicKeyInfoPem'; Code = '[System.Security.Cryptography.ECDsa]::Create().ExportSubjectPublicKeyInfoPem()' }
        @{ Name = 'FileSystemInfo.LinkTarget'; Code = '(Get-Item x).LinkTarget' }
        @{ Name = 'ZipFile without System.IO.Compression.FileSystem'; Code = 'Add-Type -AssemblyName System.IO.Compression; [System.IO.Compression.ZipFile]::OpenRead("a.zip")' }
        @{ Name = 'ZipArchive without Add-Type'; Code = '[System.IO.Compression.ZipArchive]::new($s)' }
        @{ Name = 'string.Split with a string separator'; Code = '$t.Split("--")' }
        @{ Name = 'string.Contains with a StringComparison'; Code = '$t.Contains("a", [StringComparison]::OrdinalIgnoreCase)' }
        @{ Name = '-replace with a script block'; Code = '"a" -replace "a", { $_.Value + "b" }' }
        @{ Name = 'non-ASCII text without a BOM'; Code = "'caf$([char]0xE9)'" }
    ) {
        param($Name, $Code)
        @(Test-Snippet $Code).Count | Should -BeGreaterThan 0
    }

    It 'passes 5.1-compatible code' {
        Test-Snippet 'if ($a) { $b = 1 } else { $b = 2 }; Get-Content x -Encoding Byte; [Net.ServicePointManager]::SecurityProtocol = [Net.SecurityProtocolType]::Tls12' | Should -BeNullOrEmpty
        Test-Snippet '[Convert]::ToBase64String($b); [System.Security.Cryptography.SHA256]::Create(); Split-Path x -Leaf; $IsOk = 1; Get-Date | Out-Null' | Should -BeNullOrEmpty
        Test-Snippet 'function Test-IsLinux { (Test-Path variable:global:IsLinux) -and $IsLinux }; Join-Path -Path a -ChildPath b; Join-Path a b -Resolve' | Should -BeNullOrEmpty
        Test-Snippet 'Add-Type -AssemblyName System.IO.Compression, System.IO.Compression.FileSystem; [System.IO.Compression.ZipFile]::OpenRead("a.zip")' | Should -BeNullOrEmpty
        Test-Snippet '$p.Kill(); $t.Split(","); $t.Contains("a"); 1..3 | Select-Object -Skip 1; (Get-Item x).Target; $s.Arguments = "a b"' | Should -BeNullOrEmpty
        Test-Snippet "'caf$([char]0xE9)'" -Bom | Should -BeNullOrEmpty
    }

    It 'finds a violation planted in a copy of a real test file, naming its line' {
        $copy = Join-Path $TestDrive 'Planted.Tests.ps1'
        $lines = [System.Collections.Generic.List[string]]([System.IO.File]::ReadAllLines((Join-Path $PSScriptRoot 'TestHelpers.Tests.ps1')))
        Get-WindowsPowerShellIncompatibility -Path (Join-Path $PSScriptRoot 'TestHelpers.Tests.ps1') | Should -BeNullOrEmpty
        $lines.Insert(5, '$start.ArgumentList.Add($a); if (-not $IsWindows) { $p.Kill($true) }')
        [System.IO.File]::WriteAllLines($copy, $lines)
        $found = @(Get-WindowsPowerShellIncompatibility -Path $copy)
        $found | Should -HaveCount 3
        $found | ForEach-Object { $_ | Should -BeLike 'line 6: *' }
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

Describe 'The Pester suite runs on Windows PowerShell 5.1' {
    It 'tests/<File> uses nothing newer than 5.1 and .NET Framework 4.8' -TestCases $suite {
        param($File)
        Get-WindowsPowerShellIncompatibility -Path (Join-Path (Join-Path $PSScriptRoot '..') $File) | Should -BeNullOrEmpty
    }
}
