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

    It 'types no field of a cmdlet assembly class as a SecureInstall.Core value type (they are boxed)' {
        # PowerShell lays out the cmdlet types while it lists the module's commands, before ModuleInitializer has said where
        # SecureInstall.Core comes from (its own load context on pwsh 7.4+): a Core enum or struct in a field makes the
        # import itself fail, with a message that names neither. The rule used to live in a comment copied into each
        # cmdlet; this names the field (issue 19). It reflects in a child process that loads the assembly without
        # importing the module, so it reports even when the import would fail.
        $bin = Join-Path (Split-Path $manifestPath) 'bin'
        $probe = {
            param($Bin)
            # The dependencies first, so the field types resolve (a resolve handler in script would run on other threads).
            foreach ($dll in Get-ChildItem -LiteralPath (Join-Path $Bin 'deps') -Filter *.dll) {
                try { $null = [System.Reflection.Assembly]::LoadFrom($dll.FullName) } catch { Write-Verbose "not loaded: $($dll.Name)" }
            }
            $assembly = [System.Reflection.Assembly]::LoadFrom((Join-Path $Bin 'SecureInstall.Commands.dll'))
            $flags = [System.Reflection.BindingFlags]'Instance, Static, Public, NonPublic, DeclaredOnly'
            foreach ($type in $assembly.GetTypes()) {
                foreach ($field in $type.GetFields($flags)) {
                    $fieldType = $field.FieldType
                    while ($fieldType.HasElementType) { $fieldType = $fieldType.GetElementType() }
                    $underlying = [Nullable]::GetUnderlyingType($fieldType)
                    if ($underlying) { $fieldType = $underlying }
                    if ($fieldType.IsValueType -and $fieldType.Assembly.GetName().Name -eq 'SecureInstall.Core') { "$($type.FullName).$($field.Name): $($fieldType.FullName)" }
                }
            }
            'probe done'
        }
        $shell = (Get-Process -Id $PID).Path
        $out = @(& $shell -NoProfile -NonInteractive -Command $probe -args $bin 2>&1)
        $out[-1] | Should -Be 'probe done' -Because "the probe must reach the end: $($out -join '; ')"
        @($out | Select-Object -SkipLast 1) | Should -BeNullOrEmpty -Because 'a SecureInstall.Core value type in a field of the cmdlet assembly must be boxed (object)'
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

Describe 'SecureInstall dependencies (PowerShell 7)' -Skip:($PSVersionTable.PSEdition -ne 'Core') {
    BeforeAll {
        # A child pwsh per case: what another module loaded first must be in the process before SecureInstall is.
        $shell = (Get-Process -Id $PID).Path
        $repo = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
        function Invoke-Child([string]$Script) {
            $output = & $shell -NoProfile -NonInteractive -Command $Script 2>&1
            [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = ($output | Out-String) }
        }
        # Another module's YamlDotNet, older than ours, compiled with the Roslyn that ships in pwsh.
        $otherYaml = Join-Path $TestDrive 'other/YamlDotNet.dll'
        New-Item -ItemType Directory -Path (Split-Path $otherYaml) | Out-Null
        Add-Type -TypeDefinition 'public static class SecureInstallRoslynWarmUp { }'
        $tree = [Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree]::ParseText('[assembly: System.Reflection.AssemblyVersion("1.0.0.0")] namespace YamlDotNet { public static class OtherModulesCopy { } }')
        $references = [Microsoft.CodeAnalysis.MetadataReference[]]@([Microsoft.CodeAnalysis.MetadataReference]::CreateFromFile([object].Assembly.Location))
        $options = [Microsoft.CodeAnalysis.CSharp.CSharpCompilationOptions]::new([Microsoft.CodeAnalysis.OutputKind]::DynamicallyLinkedLibrary)
        $compilation = [Microsoft.CodeAnalysis.CSharp.CSharpCompilation]::Create('YamlDotNet', [Microsoft.CodeAnalysis.SyntaxTree[]]@($tree), $references, $options)
        $file = [System.IO.File]::Create($otherYaml)
        try { $compilation.Emit($file).Success | Should -BeTrue } finally { $file.Dispose() }
    }

    It 'reads manifests with its own YamlDotNet when another module loaded an older one first' {
        $r = Invoke-Child @"
`$ErrorActionPreference = 'Stop'
Add-Type -Path '$otherYaml'
Import-Module '$repo/SecureInstall.psd1'
(Get-PinnedTool -Manifest '$repo/samples/tools/secureinstall.yml' | Select-Object -First 1).Name
[AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq 'YamlDotNet' } |
    ForEach-Object { 'YamlDotNet {0} in {1}' -f `$_.GetName().Version, [Runtime.Loader.AssemblyLoadContext]::GetLoadContext(`$_).Name } | Sort-Object
"@
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.Output | Should -Match 'hello'
        $r.Output | Should -Match 'YamlDotNet 1\.0\.0\.0 in Default'
        $r.Output | Should -Match 'YamlDotNet 16\.\d+\.\d+\.\d+ in SecureInstall'
    }

    It 'keeps its own output types reachable by name: [SecureInstall.Core...] literals resolve' {
        $r = Invoke-Child @"
`$ErrorActionPreference = 'Stop'
Import-Module '$repo/SecureInstall.psd1'
`$result = Test-Checksum -Path '$repo/README.md' -Hash ('0' * 64) -ErrorAction SilentlyContinue
'is ChecksumResult: ' + (`$result -is [SecureInstall.Core.Checksums.ChecksumResult])
'enum: ' + [SecureInstall.Core.Checksums.ChecksumAlgorithm]::SHA512
"@
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.Output | Should -Match 'is ChecksumResult: True'
        $r.Output | Should -Match 'enum: SHA512'
    }
}
