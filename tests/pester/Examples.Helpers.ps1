# Helpers for Examples.Tests.ps1: find every example the documentation shows, and run a plan of them in one child
# pwsh (started by the test with SSL_CERT_FILE naming the loopback server's certificate, which .NET reads at start).

# Test-IsWindows: the child runs this file without the test's imports.
Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1')

function Get-DocumentedExample {
    # Every PowerShell statement of README.md's ```powershell blocks (comments are not examples), every CLI line of its
    # plain/bash blocks and inline spans (`secureinstall …`, `dotnet run --project src/SecureInstall.Cli … -- …`), and
    # every Examples.Code of module/help/<Cmdlet>.psd1 (what Get-Help -Examples shows). Id: source + normalized text.
    param([Parameter(Mandatory)][string]$Root)
    $found = [System.Collections.Generic.List[object]]::new()
    $seen = @{}
    $add = {
        param([string]$Source, [int]$Line, [string]$Kind, [string]$Text)
        $id = "${Source}: " + ($Text -replace '\s+', ' ').Trim()
        if ($seen.ContainsKey($id)) { $seen[$id]++; $id += " (#$($seen[$id]))" } else { $seen[$id] = 1 }
        $found.Add([pscustomobject]@{ Id = $id; Source = $Source; Line = $Line; Kind = $Kind; Text = $Text.Trim() })
    }
    $cliLine = '^(secureinstall\s|dotnet run --project src/SecureInstall\.Cli\b.* -- )'
    $lines = [System.IO.File]::ReadAllLines((Join-Path $Root 'README.md'))
    for ($i = 0; $i -lt $lines.Count; $i++) {
        if ($lines[$i] -match '^```\s*([\w-]*)\s*$') {
            $lang = $Matches[1]
            $start = $i + 1
            $body = [System.Collections.Generic.List[string]]::new()
            for ($i++; $i -lt $lines.Count -and $lines[$i] -notmatch '^```\s*$'; $i++) { $body.Add($lines[$i]) }
            if ($lang -in 'powershell', 'pwsh', 'ps1') {
                $tokens = $null; $errors = $null
                $ast = [System.Management.Automation.Language.Parser]::ParseInput(($body -join "`n"), [ref]$tokens, [ref]$errors)
                foreach ($e in $errors) { & $add 'README.md' ($start + $e.Extent.StartLineNumber) 'ParseError' "$($e.Message): $($e.Extent.Text)" }
                if (-not $errors) {
                    foreach ($statement in $ast.EndBlock.Statements) { & $add 'README.md' ($start + $statement.Extent.StartLineNumber) 'PowerShell' $statement.Extent.Text }
                }
            }
            elseif ($lang -in '', 'bash', 'sh', 'shell', 'console') {
                for ($j = 0; $j -lt $body.Count; $j++) {
                    $text = ($body[$j] -replace '^\s*\$\s+', '' -replace '\s+#\s.*$', '').Trim()
                    if ($text -match $cliLine) { & $add 'README.md' ($start + $j + 1) 'Cli' $text }
                }
            }
        }
        else {
            foreach ($m in [regex]::Matches($lines[$i], '`([^`]+)`')) {
                if ($m.Groups[1].Value -match '^dotnet run --project src/SecureInstall\.Cli\b.* -- ') { & $add 'README.md' ($i + 1) 'Cli' $m.Groups[1].Value }
            }
        }
    }
    foreach ($file in Get-ChildItem -LiteralPath (Join-Path $Root 'module/help') -Filter '*.psd1' | Sort-Object Name) {
        $help = Import-PowerShellDataFile -LiteralPath $file.FullName
        foreach ($example in @($help['Examples'])) { if ($example) { & $add "$($file.BaseName) help" 0 'PowerShell' $example['Code'] } }
    }
    $found
}

function Invoke-ExamplePlan {
    # Runs in the child pwsh. Each example starts from a fresh copy of the template (workspace, install root, E: drive),
    # in the workspace, with the table's variables set; it passes when it neither throws nor writes an error.
    param([Parameter(Mandatory)][string]$PlanPath, [Parameter(Mandatory)][string]$ResultPath)
    $plan = Get-Content -LiteralPath $PlanPath -Raw | ConvertFrom-Json
    $ProgressPreference = 'SilentlyContinue'
    Import-Module $plan.Module -Force
    $env:SECUREINSTALL_CACHE = $plan.Cache
    $env:SECUREINSTALL_HOME = $plan.Home
    $env:SECUREINSTALL_MACHINE_HOME = $plan.Home   # -Scope AllUsers examples look in the same root (issue 21: a variable of its own)
    $env:SECUREINSTALL_SCRIPT_PINS = Join-Path $plan.Work 'script-pins.json'
    $env:SECUREINSTALL_TEST_CLI = $plan.Cli
    $savedPath = $env:PATH
    $results = [System.Collections.Generic.List[object]]::new()

    function Reset-Scratch {
        foreach ($name in 'Work', 'Home', 'Drive') {
            $to = $plan.$name
            if (Test-Path -LiteralPath $to) { Remove-Item -LiteralPath $to -Recurse -Force }
            if (Test-IsWindows) { Copy-Item -LiteralPath $plan.Template.$name -Destination $to -Recurse }
            else { & cp -a $plan.Template.$name $to; if ($LASTEXITCODE) { throw "cp -a $($plan.Template.$name) failed" } }
        }
    }

    # The template: the workspace the test laid out, then what the tools examples expect to find already done. It is
    # made at the very paths the examples use (the lock records the install root), then copied aside.
    foreach ($name in 'Drive', 'Home') { $null = New-Item -ItemType Directory -Force -Path $plan.$name }
    Push-Location $plan.Work
    $null = New-PSDrive -Name E -PSProvider FileSystem -Root $plan.Drive -Scope Global
    try {
        foreach ($step in $plan.Setup) { $null = & ([scriptblock]::Create($step)) }
    }
    finally {
        Pop-Location
        Remove-PSDrive -Name E -Force
    }
    foreach ($name in 'Work', 'Home', 'Drive') {
        if (Test-IsWindows) { Copy-Item -LiteralPath $plan.$name -Destination $plan.Template.$name -Recurse }
        else { & cp -a $plan.$name $plan.Template.$name; if ($LASTEXITCODE) { throw "cp -a $($plan.$name) failed" } }
    }

    foreach ($example in $plan.Examples) {
        Reset-Scratch
        $env:PATH = $savedPath
        $null = New-PSDrive -Name E -PSProvider FileSystem -Root $plan.Drive -Scope Global
        Push-Location $plan.Work
        foreach ($v in $plan.Variables.PSObject.Properties) { Set-Variable -Name $v.Name -Value $v.Value -Scope Global }
        $errors = [System.Collections.Generic.List[string]]::new()
        $output = ''
        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        try {
            if ($example.Kind -eq 'Cli') {
                $script = 'secureinstall() { dotnet "$SECUREINSTALL_TEST_CLI" "$@"; }' + "`nset -e`n" + $example.Run
                $output = (& bash -c $script 2>&1 | Out-String)
                if ($LASTEXITCODE -ne 0) { $errors.Add("exit code $LASTEXITCODE") }
            }
            elseif ($example.Isolated) {
                $output = (& $plan.Pwsh -NoProfile -NonInteractive -Command $example.Run 2>&1 | Out-String)
                if ($LASTEXITCODE -ne 0) { $errors.Add("pwsh exit code $LASTEXITCODE") }
            }
            else {
                $all = & ([scriptblock]::Create($example.Run)) 2>&1 6>&1 3>&1
                foreach ($record in $all) {
                    if ($record -is [System.Management.Automation.ErrorRecord]) { $errors.Add("$($record.FullyQualifiedErrorId): $record") }
                }
                $output = ($all | Out-String -Width 200)
            }
        }
        catch {
            $errors.Add("$($_.FullyQualifiedErrorId): $($_.Exception.Message)")
        }
        finally {
            Pop-Location
            Remove-PSDrive -Name E -Force -ErrorAction SilentlyContinue
        }
        if ($output.Length -gt 3000) { $output = $output.Substring(0, 3000) + '…' }
        $results.Add([pscustomobject]@{ Id = $example.Id; Errors = @($errors); Output = $output; Ms = $watch.ElapsedMilliseconds })
    }
    $env:PATH = $savedPath
    $results | ConvertTo-Json -Depth 4 | Set-Content -LiteralPath $ResultPath -Encoding utf8
}
