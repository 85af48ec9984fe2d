<#
.SYNOPSIS
    Builds, tests, benchmarks and packages SecureInstall.
.DESCRIPTION
    Build: compiles the solution and lays out the module so that Import-Module ./SecureInstall.psd1 works from
    the repository root (the compiled assemblies go to ./bin).
    Test:  Build, then the xunit tests (dotnet test), then the Pester tests in tests/pester under Pester 5.5+,
           with CI output and an NUnit result file in ./output. Any failure gives a non-zero exit code.
    Bench: Build, then the benchmarks in bench/, which print ratios against reference tools.
    Release: the release assets in ./out/release (module zip and Gallery .nupkg, CLI tool .nupkg, the stamped
           bootstrap, SBOM, checksums.txt), built reproducibly by tools/SecureInstall.Release.
    Native: the Native AOT `secureinstall` for -Runtime (default: this machine's RID) in ./out/native/<rid>. Needs clang
           (and lld on Linux) besides the SDK. Test builds it on linux-x64 and runs the CLI tests again against it.
.EXAMPLE
    ./build.ps1 -Task Test
.EXAMPLE
    ./build.ps1 -Task Bench
#>
[CmdletBinding()]
param(
    # Help is internal: Build runs it in a child process so the freshly built assembly is not locked by this one.
    [ValidateSet('Build', 'Test', 'Bench', 'Release', 'Native', 'Help')]
    [string]$Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string]$Configuration = 'Release',

    # Help: the module layout to document (the release tool lays one out elsewhere); Release: where the assets go.
    [string]$ModuleRoot = '',
    [string]$OutputPath = '',

    # Native: the runtime identifier to compile for (linux-x64, linux-arm64, osx-arm64, win-x64); default this machine's.
    [string]$Runtime = '',

    # Release: a folder of native binaries (secureinstall-<rid>) built on the release workflow's runners; without it the
    # release compiles the linux-x64 one itself where clang and lld are.
    [string]$NativePath = ''
)

# Written for Windows PowerShell 5.1 as well as pwsh 7: no ternaries, no ?? or ?., no && chains.
Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'
$root = $PSScriptRoot
$output = Join-Path $root 'output'

function Invoke-Dotnet {
    param([string[]]$Arguments)
    Write-Host "dotnet $($Arguments -join ' ')" -ForegroundColor DarkGray
    & dotnet @Arguments
    if ($LASTEXITCODE -ne 0) { throw "dotnet $($Arguments[0]) failed with exit code $LASTEXITCODE." }
}

function Invoke-Build {
    if (-not (Get-Command dotnet -ErrorAction SilentlyContinue)) {
        throw 'The .NET SDK (dotnet) is required: https://dot.net/download'
    }
    Invoke-Dotnet @('build', (Join-Path $root 'SecureInstall.sln'), '-c', $Configuration, '--nologo', '-v', 'quiet')
    # The module layout: ./bin holds the cmdlet assembly and the loader, ./bin/deps what they need; the host brings the
    # engine. Emptied first, so no file from an earlier layout is left where the host would find it.
    $bin = Join-Path $root 'bin'
    if (Test-Path -LiteralPath $bin) { Remove-Item -LiteralPath $bin -Recurse -Force }
    Invoke-Dotnet @('publish', (Join-Path $root 'src/SecureInstall.Commands/SecureInstall.Commands.csproj'), '-c', $Configuration, '--nologo', '-v', 'quiet', '--no-build', '-o', $bin)
    $shell = (Get-Process -Id $PID).Path
    & $shell -NoProfile -NonInteractive -File $PSCommandPath -Task Help
    if ($LASTEXITCODE -ne 0) { throw 'Generating the cmdlet help failed.' }
}

function Write-MamlPara {
    param([System.Xml.XmlWriter]$Writer, [string]$Text)
    $Writer.WriteStartElement('maml', 'description', $maml)
    foreach ($para in ($Text -split "(`r?`n){2,}")) {
        if ($para.Trim()) { $Writer.WriteElementString('maml', 'para', $maml, ($para -replace "`r?`n", ' ').Trim()) }
    }
    $Writer.WriteEndElement()
}

function Get-TypeName {
    param([type]$Type)
    if ($Type -eq [System.Management.Automation.SwitchParameter]) { return 'SwitchParameter' }
    $underlying = [Nullable]::GetUnderlyingType($Type)
    if ($underlying) { return $underlying.Name }
    return $Type.Name
}

function Write-MamlParameter {
    param([System.Xml.XmlWriter]$Writer, $Parameter, $SetInfo, [string]$Description)
    $pipeline = @()
    if ($SetInfo.ValueFromPipeline) { $pipeline += 'ByValue' }
    if ($SetInfo.ValueFromPipelineByPropertyName) { $pipeline += 'ByPropertyName' }
    $pipelineText = 'False'
    if ($pipeline.Count -gt 0) { $pipelineText = 'True (' + ($pipeline -join ', ') + ')' }
    $position = 'named'
    if ($SetInfo.Position -ge 0) { $position = [string]$SetInfo.Position }
    $globbing = [bool]($Parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] })
    $Writer.WriteStartElement('command', 'parameter', $command)
    $Writer.WriteAttributeString('required', ([string]$SetInfo.IsMandatory).ToLowerInvariant())
    $Writer.WriteAttributeString('position', $position)
    $Writer.WriteAttributeString('pipelineInput', $pipelineText)
    $Writer.WriteAttributeString('globbing', ([string]$globbing).ToLowerInvariant())
    $Writer.WriteAttributeString('aliases', (@($Parameter.Aliases) -join ', '))
    $Writer.WriteElementString('maml', 'name', $maml, $Parameter.Name)
    Write-MamlPara -Writer $Writer -Text $Description
    if ($Parameter.ParameterType -ne [System.Management.Automation.SwitchParameter]) {
        $Writer.WriteStartElement('command', 'parameterValue', $command)
        $Writer.WriteAttributeString('required', 'true')
        $Writer.WriteString((Get-TypeName $Parameter.ParameterType))
        $Writer.WriteEndElement()
    }
    $Writer.WriteStartElement('dev', 'type', $dev)
    $Writer.WriteElementString('maml', 'name', $maml, $Parameter.ParameterType.FullName)
    $Writer.WriteEndElement()
    $Writer.WriteEndElement()
}

# Cmdlet help is MAML next to the assembly, generated from module/help/<Verb-Noun>.psd1 (the words) and the
# compiled cmdlets (syntax, positions, pipeline binding), so the two cannot drift apart.
function Invoke-Help {
    $script:maml = 'http://schemas.microsoft.com/maml/2004/10'
    $script:command = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
    $script:dev = 'http://schemas.microsoft.com/maml/dev/2004/10'
    $moduleBase = $root
    if ($ModuleRoot) { $moduleBase = $ModuleRoot }
    $module = Import-Module (Join-Path $moduleBase 'SecureInstall.psd1') -PassThru -Force
    $common = [System.Management.Automation.Internal.CommonParameters].GetProperties().Name + [System.Management.Automation.Internal.ShouldProcessParameters].GetProperties().Name
    $outDir = Join-Path $moduleBase 'en-US'  # beside the manifest: the module base is where Get-Help looks
    $null = New-Item -ItemType Directory -Force -Path $outDir
    $settings = New-Object System.Xml.XmlWriterSettings
    $settings.Indent = $true
    $settings.NewLineChars = "`n"   # the same bytes on Windows and Linux: the help goes into the reproducible release
    $settings.Encoding = New-Object System.Text.UTF8Encoding($false)
    $writer = [System.Xml.XmlWriter]::Create((Join-Path $outDir 'SecureInstall.Commands.dll-Help.xml'), $settings)
    try {
        $writer.WriteStartElement('helpItems', 'http://msh')
        $writer.WriteAttributeString('schema', 'maml')
        foreach ($name in ($module.ExportedCmdlets.Keys | Sort-Object)) {
            $helpFile = Join-Path $root "module/help/$name.psd1"
            if (-not (Test-Path -LiteralPath $helpFile)) { throw "$name has no help: write $helpFile." }
            $help = Import-PowerShellDataFile -LiteralPath $helpFile
            $cmd = Get-Command $name
            $params = @($cmd.Parameters.Values | Where-Object { $common -notcontains $_.Name })
            foreach ($p in $params) {
                if (-not $help.Parameters.ContainsKey($p.Name)) { throw "$helpFile does not describe the parameter -$($p.Name)." }
            }
            $writer.WriteStartElement('command', 'command', $command)
            $writer.WriteAttributeString('xmlns', 'maml', $null, $maml)
            $writer.WriteAttributeString('xmlns', 'dev', $null, $dev)
            $writer.WriteStartElement('command', 'details', $command)
            $writer.WriteElementString('command', 'name', $command, $name)
            $writer.WriteElementString('command', 'verb', $command, $cmd.Verb)
            $writer.WriteElementString('command', 'noun', $command, $cmd.Noun)
            Write-MamlPara -Writer $writer -Text $help.Synopsis
            $writer.WriteEndElement()
            Write-MamlPara -Writer $writer -Text $help.Description

            $writer.WriteStartElement('command', 'syntax', $command)
            foreach ($set in $cmd.ParameterSets) {
                $writer.WriteStartElement('command', 'syntaxItem', $command)
                $writer.WriteElementString('maml', 'name', $maml, $name)
                foreach ($sp in ($set.Parameters | Where-Object { $common -notcontains $_.Name })) {
                    Write-MamlParameter -Writer $writer -Parameter $cmd.Parameters[$sp.Name] -SetInfo $sp -Description $help.Parameters[$sp.Name]
                }
                $writer.WriteEndElement()
            }
            $writer.WriteEndElement()

            $writer.WriteStartElement('command', 'parameters', $command)
            foreach ($p in ($params | Sort-Object Name)) {
                $first = $cmd.ParameterSets | ForEach-Object { $_.Parameters } | Where-Object { $_.Name -eq $p.Name } | Select-Object -First 1
                Write-MamlParameter -Writer $writer -Parameter $p -SetInfo $first -Description $help.Parameters[$p.Name]
            }
            $writer.WriteEndElement()

            foreach ($pair in @(@('inputTypes', 'inputType', $help.Inputs), @('returnValues', 'returnValue', $help.Outputs))) {
                $writer.WriteStartElement('command', $pair[0], $command)
                $writer.WriteStartElement('command', $pair[1], $command)
                $writer.WriteStartElement('dev', 'type', $dev)
                $writer.WriteElementString('maml', 'name', $maml, ($pair[2] -split ':')[0])
                $writer.WriteEndElement()
                Write-MamlPara -Writer $writer -Text $pair[2]
                $writer.WriteEndElement()
                $writer.WriteEndElement()
            }

            $writer.WriteStartElement('maml', 'alertSet', $maml)
            $writer.WriteStartElement('maml', 'alert', $maml)
            $writer.WriteElementString('maml', 'para', $maml, $help.Notes)
            $writer.WriteEndElement()
            $writer.WriteEndElement()

            $writer.WriteStartElement('command', 'examples', $command)
            $i = 0
            foreach ($example in $help.Examples) {
                $i++
                $writer.WriteStartElement('command', 'example', $command)
                $writer.WriteElementString('maml', 'title', $maml, "-------------------------- Example $i --------------------------")
                $writer.WriteElementString('dev', 'code', $dev, $example.Code)
                $writer.WriteStartElement('dev', 'remarks', $dev)
                $writer.WriteElementString('maml', 'para', $maml, $example.Remarks)
                $writer.WriteEndElement()
                $writer.WriteEndElement()
            }
            $writer.WriteEndElement()
            $writer.WriteEndElement()
        }
        $writer.WriteEndElement()
    }
    finally {
        $writer.Dispose()
    }
}

function Get-TrxCounts {
    param([string]$Folder)
    $passed = 0; $failed = 0
    foreach ($trx in Get-ChildItem -Path $Folder -Filter *.trx -Recurse -ErrorAction SilentlyContinue) {
        [xml]$doc = Get-Content -LiteralPath $trx.FullName -Raw
        $counters = $doc.TestRun.ResultSummary.Counters
        $passed += [int]$counters.passed
        $failed += [int]$counters.failed
    }
    return @($passed, $failed)
}

function New-TestConfiguration {
    param([string[]]$Path, [string]$ResultFile)
    $config = New-PesterConfiguration
    $config.Run.Path = $Path
    $config.Run.PassThru = $true
    $config.Run.Exit = $false
    $config.Output.CIFormat = 'Auto'
    $config.Output.Verbosity = 'Normal'
    $config.TestResult.Enabled = $true
    $config.TestResult.OutputFormat = 'NUnitXml'
    $config.TestResult.OutputPath = Join-Path $output $ResultFile
    $config
}

function Invoke-Test {
    Invoke-Build
    # Built before the tests: NativeCli.Tests.ps1 checks the binary itself, and the CLI tests run again against it below.
    $nativeBuilt = $false
    if ((Get-NativeRuntime) -eq 'linux-x64' -and (Test-NativeToolchain)) {
        Invoke-Native
        $nativeBuilt = $true
    }
    $pester = Get-Module -ListAvailable -Name Pester | Where-Object { $_.Version -ge [version]'5.5.0' } | Sort-Object Version -Descending | Select-Object -First 1
    if (-not $pester) {
        throw "Pester 5.5 or newer is required for the shell tests. Install it with: Install-Module Pester -MinimumVersion 5.5 -Scope CurrentUser -Force -SkipPublisherCheck"
    }

    if (Test-Path $output) { Remove-Item -Recurse -Force $output }
    $null = New-Item -ItemType Directory -Path $output
    $xunitResults = Join-Path $output 'xunit'
    $xunitFailed = $false
    & dotnet test (Join-Path $root 'SecureInstall.sln') -c $Configuration --no-build --nologo --logger 'trx' --logger 'console;verbosity=minimal' --results-directory $xunitResults
    if ($LASTEXITCODE -ne 0) { $xunitFailed = $true }
    $xunit = Get-TrxCounts -Folder $xunitResults

    Import-Module $pester.Path -Force
    $result = Invoke-Pester -Configuration (New-TestConfiguration -Path @(Join-Path $root 'tests/pester') -ResultFile 'pester.xml')

    $passed = $xunit[0] + $result.PassedCount
    $failed = $xunit[1] + $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
    if ($xunitFailed -and $xunit[1] -eq 0) { $failed++ }

    # The same CLI tests a second time, against the Native AOT binary (issue 23), where it can be compiled here.
    $nativeLine = 'native CLI: not built (Native AOT is compiled and tested on linux-x64 with clang and lld)'
    if ($nativeBuilt) {
        $again = New-TestConfiguration -Path @((Join-Path $root 'tests/pester/Cli.Tests.ps1'), (Join-Path $root 'tests/pester/Cli.Modules.Tests.ps1'), (Join-Path $root 'tests/pester/FrontEndParity.Tests.ps1')) -ResultFile 'pester-native.xml'
        $env:SECUREINSTALL_CLI = Get-NativeCliPath
        try { $native = Invoke-Pester -Configuration $again }
        finally { Remove-Item Env:SECUREINSTALL_CLI }
        $passed += $native.PassedCount
        $failed += $native.FailedCount + $native.FailedBlocksCount + $native.FailedContainersCount
        $nativeLine = 'native CLI (Cli, Cli.Modules, FrontEndParity): {0} passed, {1} failed' -f $native.PassedCount, $native.FailedCount
    }
    elseif ((Get-NativeRuntime) -eq 'linux-x64') {
        Write-Warning 'clang or ld.lld not found (apt-get install clang lld): the CLI tests did not run against the native binary.'
    }

    Write-Host ''
    Write-Host ("xunit: {0} passed, {1} failed; Pester: {2} passed, {3} failed; {4}" -f $xunit[0], $xunit[1], $result.PassedCount, $result.FailedCount, $nativeLine)
    Write-Host ("Tests: {0} passed, {1} failed" -f $passed, $failed)
    if ($failed -gt 0) { exit 1 }
}

# The native `secureinstall` (issue 23). Restore first and publish with --no-restore: a restore run by `publish -r RID`
# would restore the netstandard2.0 core for that RID too and rewrite its lock file (refused under CI's locked mode).
function Get-NativeRuntime {
    if ($Runtime) { return $Runtime }
    $info = [System.Runtime.InteropServices.RuntimeInformation]
    $os = 'linux'
    if ($info::IsOSPlatform([System.Runtime.InteropServices.OSPlatform]::Windows)) { $os = 'win' }
    elseif ($info::IsOSPlatform([System.Runtime.InteropServices.OSPlatform]::OSX)) { $os = 'osx' }
    '{0}-{1}' -f $os, $info::OSArchitecture.ToString().ToLowerInvariant()
}

function Get-NativeCliPath {
    $path = Join-Path $root ('out/native/{0}/secureinstall' -f (Get-NativeRuntime))
    if ((Get-NativeRuntime).StartsWith('win')) { $path += '.exe' }
    $path
}

# Native AOT compiles with the platform's C toolchain: clang and lld on Linux (Debian: apt-get install clang lld).
function Test-NativeToolchain {
    if (-not (Get-NativeRuntime).StartsWith('linux')) { return $true }
    [bool](Get-Command clang -CommandType Application -ErrorAction SilentlyContinue) -and [bool](Get-Command ld.lld -CommandType Application -ErrorAction SilentlyContinue)
}

function Invoke-Native {
    $cli = Join-Path $root 'src/SecureInstall.Cli/SecureInstall.Cli.csproj'
    $rid = Get-NativeRuntime
    $publish = Join-Path $root "out/native/$rid"
    if (Test-Path -LiteralPath $publish) { Remove-Item -LiteralPath $publish -Recurse -Force }
    $restore = @('restore', $cli, '--nologo', '-v', 'quiet')
    if ($rid -ne 'linux-x64') {
        # The lock pins the Native AOT packages for linux-x64, the platform built and tested here (the package mirror this
        # project is developed against does not serve every platform's compiler package). Elsewhere the SDK picks the
        # compiler package of its own runtime version; the restore may not be held to the lock there.
        Write-Warning "packages.lock.json pins the Native AOT compiler for linux-x64 only: restoring for $rid unlocked."
        $restore += '-p:RestoreLockedMode=false'
    }
    $cross = @()
    $hostArch = [System.Runtime.InteropServices.RuntimeInformation]::OSArchitecture.ToString().ToLowerInvariant()
    if ($rid.StartsWith('linux-') -and -not $rid.EndsWith("-$hostArch")) {
        # Another architecture on Linux (linux-arm64 on x64): restored for that RID with its lock in obj/ (the committed
        # locks are neither read nor rewritten), compiled for it by ILC, and linked by lld with clang targeting it (the
        # system's ld links only its own); clang finds Debian's cross C library (apt-get install libc6-dev-arm64-cross
        # libgcc-12-dev-arm64-cross). The release builds each platform on a runner of its own; this is for checking here.
        $restore += @('-r', $rid, '-p:NuGetLockFilePath=obj/packages.cross.lock.json')
        $cross = @('-p:LinkerFlavor=lld')
    }
    Invoke-Dotnet $restore
    $watch = [System.Diagnostics.Stopwatch]::StartNew()
    # PathMap as the release build sets it: the clone's folder is not compiled into the binary (two clones, same bytes).
    $pathMap = '-p:PathMap={0}=/_/' -f ($root.TrimEnd([System.IO.Path]::DirectorySeparatorChar) + [System.IO.Path]::DirectorySeparatorChar)
    # The commit compiled in is the one the release build embeds (its `source` command: the last change outside the files
    # that pin the assets), not HEAD: the release workflow's runners build these binaries from the commit that pins them.
    $source = (& dotnet run --project (Join-Path $root 'tools/SecureInstall.Release/SecureInstall.Release.csproj') -c Release -- source --root $root | Select-Object -Last 1)
    if ($LASTEXITCODE -ne 0) { throw 'tools/SecureInstall.Release source failed.' }
    $revision = @('-p:EnableSourceControlManagerQueries=false', '-p:EnableSourceLink=false')
    $commit = ($source -split ' ')[0]
    if ($commit) { $revision += "-p:SourceRevisionId=$commit" }
    Invoke-Dotnet (@('publish', $cli, '-c', 'Release', '-r', $rid, '--no-restore', '--nologo', '-v', 'quiet', $pathMap, '-o', $publish) + $revision + $cross)
    # Only the executable is the product; the separated debug symbols and the core's .pdb stay out of the folder users get.
    Get-ChildItem -LiteralPath $publish -File | Where-Object { $_.Name -notmatch '^secureinstall(\.exe)?$' } | Remove-Item -Force
    $binary = Get-NativeCliPath
    Write-Host ("Native secureinstall for {0}: {1} ({2:N0} bytes), compiled in {3:N0} s" -f $rid, $binary, (Get-Item -LiteralPath $binary).Length, $watch.Elapsed.TotalSeconds)
}

function Invoke-Bench {
    Invoke-Build
    # The native CLI's rows (bench/SecureInstall.Bench/NativeCliBench.cs) time the binary built from this tree.
    if (Test-NativeToolchain) { Invoke-Native }
    else { Write-Warning 'clang or ld.lld not found (apt-get install clang lld): the native secureinstall rows are skipped.' }
    # Only options dotnet run itself takes: anything else (even --nologo) is handed to the program as a benchmark name.
    Invoke-Dotnet @('run', '--project', (Join-Path $root 'bench/SecureInstall.Bench/SecureInstall.Bench.csproj'), '-c', 'Release', '--no-build')
    # Downloads against curl -o on loopback; it times each client with GNU time, so it runs where that exists.
    if ((Test-Path '/usr/bin/time') -and (Get-Command curl -CommandType Application -ErrorAction SilentlyContinue)) {
        Invoke-Dotnet @('run', '--project', (Join-Path $root 'bench/DownloadBench/DownloadBench.csproj'), '-c', 'Release', '--no-build')
    }
    else {
        Write-Warning 'bench/DownloadBench needs curl and GNU time (/usr/bin/time); skipped.'
    }
    # Issue 20: push, pull+verify against curl -o, and parallel installs, against the real docker-registry (it says when it is missing).
    if ((Test-Path '/usr/bin/time') -and (Get-Command curl -CommandType Application -ErrorAction SilentlyContinue)) {
        Invoke-Dotnet @('run', '--project', (Join-Path $root 'bench/RegistryBench/RegistryBench.csproj'), '-c', 'Release', '--no-build')
    }
}

# The same command CI and a reader run to rebuild a release and compare its checksums.txt with the published one.
function Invoke-Release {
    $arguments = @('run', '--project', (Join-Path $root 'tools/SecureInstall.Release/SecureInstall.Release.csproj'), '-c', 'Release', '--', 'build')
    if ($OutputPath) { $arguments += @('--output', $OutputPath) }
    if ($NativePath) { $arguments += @('--native', $NativePath) }
    Invoke-Dotnet $arguments
}

switch ($Task) {
    'Build' { Invoke-Build }
    'Test' { Invoke-Test }
    'Bench' { Invoke-Bench }
    'Release' { Invoke-Release }
    'Native' { Invoke-Native }
    'Help' { Invoke-Help }
}
