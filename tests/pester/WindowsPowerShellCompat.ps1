# Finds syntax and commands in a script that Windows PowerShell 5.1 does not have, by walking the script's AST
# with the PowerShell parser. Dot-source it and call Get-WindowsPowerShellIncompatibility -Path <script>.

function Get-WindowsPowerShellIncompatibility {
    [CmdletBinding()]
    param([Parameter(Mandatory)][string]$Path)

    $tokens = $null
    $errors = $null
    $ast = [System.Management.Automation.Language.Parser]::ParseFile($Path, [ref]$tokens, [ref]$errors)
    foreach ($e in $errors) { "line $($e.Extent.StartLineNumber): parse error: $($e.Message)" }

    # Syntax added in PowerShell 6 and 7.
    $newSyntax = @{
        'TernaryExpressionAst'         = 'ternary operator ?: (7.0)'
        'PipelineChainAst'             = 'pipeline chain && / || (7.0)'
    }
    # Automatic variables that 5.1 does not define (under Set-StrictMode they are errors there, not $false).
    $newVariables = @('IsWindows', 'IsLinux', 'IsMacOS', 'IsCoreCLR', 'PSStyle', 'PSNativeCommandArgumentPassing', 'PSNativeCommandUseErrorActionPreference')
    # .NET members that .NET Framework 4.x (Windows PowerShell's runtime) lacks: Type::Member.
    $newStaticMembers = @(
        'Convert::ToHexString', 'Convert::ToHexStringLower', 'Convert::FromHexString', 'IO.Path::Join', 'IO.Path::GetRelativePath',
        'IO.File::ReadAllBytesAsync', 'IO.File::ReadAllTextAsync', 'IO.File::WriteAllBytesAsync', 'IO.File::WriteAllTextAsync',
        'Security.Cryptography.SHA256::HashData', 'Security.Cryptography.SHA384::HashData', 'Security.Cryptography.SHA512::HashData',
        'Security.Cryptography.MD5::HashData', 'Security.Cryptography.SHA1::HashData', 'Security.Cryptography.RandomNumberGenerator::GetBytes',
        'Security.Cryptography.RandomNumberGenerator::GetInt32', 'Random::Shared', 'ArgumentNullException::ThrowIfNull', 'OperatingSystem::IsWindows',
        'OperatingSystem::IsLinux', 'OperatingSystem::IsMacOS', 'Environment::ProcessPath', 'Environment::ProcessId')
    $newTypes = @('Security.Cryptography.X509Certificates.X509CertificateLoader', 'Net.Http.SocketsHttpHandler', 'OperatingSystem', 'Text.Json.JsonSerializer', 'IO.UnixFileMode')
    $found = $ast.FindAll({ param($n) $true }, $true)
    foreach ($node in $found) {
        $typeName = $node.GetType().Name
        if ($node -is [System.Management.Automation.Language.VariableExpressionAst] -and $newVariables -contains $node.VariablePath.UserPath) {
            "line $($node.Extent.StartLineNumber): `$$($node.VariablePath.UserPath) is not defined in Windows PowerShell 5.1"
        }
        if ($node -is [System.Management.Automation.Language.PipelineAst] -and $node.Background) {
            "line $($node.Extent.StartLineNumber): background operator & (6.0): $($node.Extent.Text)"
        }
        if ($node -is [System.Management.Automation.Language.MemberExpressionAst] -and $node.Static -and $node.Expression -is [System.Management.Automation.Language.TypeExpressionAst] -and $node.Member -is [System.Management.Automation.Language.StringConstantExpressionAst]) {
            $type = $node.Expression.TypeName.FullName -replace '^System\.', ''
            if ($newStaticMembers -contains "${type}::$($node.Member.Value)") { "line $($node.Extent.StartLineNumber): [$type]::$($node.Member.Value) does not exist on .NET Framework (Windows PowerShell 5.1)" }
        }
        if ($node -is [System.Management.Automation.Language.TypeExpressionAst] -or $node -is [System.Management.Automation.Language.TypeConstraintAst]) {
            $type = $node.TypeName.FullName -replace '^System\.', ''
            if ($newTypes -contains $type) { "line $($node.Extent.StartLineNumber): type [$type] does not exist on .NET Framework (Windows PowerShell 5.1)" }
        }
        if ($newSyntax.ContainsKey($typeName)) {
            "line $($node.Extent.StartLineNumber): $($newSyntax[$typeName]): $($node.Extent.Text)"
        }
        if ($node -is [System.Management.Automation.Language.BinaryExpressionAst] -and $node.Operator -eq 'QuestionQuestion') {
            "line $($node.Extent.StartLineNumber): null-coalescing ?? (7.0): $($node.Extent.Text)"
        }
        if ($node -is [System.Management.Automation.Language.AssignmentStatementAst] -and $node.Operator -eq 'QuestionQuestionEquals') {
            "line $($node.Extent.StartLineNumber): ??= (7.0): $($node.Extent.Text)"
        }
        if (($node -is [System.Management.Automation.Language.MemberExpressionAst] -or $node -is [System.Management.Automation.Language.IndexExpressionAst]) -and $node.NullConditional) {
            "line $($node.Extent.StartLineNumber): null-conditional ?. or ?[] (7.0): $($node.Extent.Text)"
        }
        if ($node -is [System.Management.Automation.Language.ScriptBlockAst] -and $node.CleanBlock) {
            "line $($node.Extent.StartLineNumber): clean block (7.3)"
        }
        if ($node -is [System.Management.Automation.Language.CommandAst]) {
            $name = $node.GetCommandName()
            $params = @($node.CommandElements | Where-Object { $_ -is [System.Management.Automation.Language.CommandParameterAst] } | ForEach-Object { $_.ParameterName })
            $unavailable = @{
                'ForEach-Object'        = @('Parallel', 'ThrottleLimit', 'AsJob')
                'Get-Content'           = @('AsByteStream')
                'Set-Content'           = @('AsByteStream')
                'Add-Content'           = @('AsByteStream')
                'Invoke-WebRequest'     = @('SkipCertificateCheck', 'SslProtocol', 'Authentication', 'Token', 'MaximumRetryCount', 'RetryIntervalSec', 'Resume', 'SkipHttpErrorCheck', 'StatusCodeVariable', 'NoProxy', 'CustomMethod', 'Form', 'SkipHeaderValidation', 'PreserveAuthorizationOnRedirect', 'HttpVersion', 'AllowInsecureRedirect', 'ConnectionTimeoutSeconds', 'OperationTimeoutSeconds')
                'Invoke-RestMethod'     = @('SkipCertificateCheck', 'SslProtocol', 'Authentication', 'Token', 'MaximumRetryCount', 'RetryIntervalSec', 'Resume', 'SkipHttpErrorCheck', 'StatusCodeVariable', 'NoProxy', 'CustomMethod', 'Form', 'ResponseHeadersVariable', 'FollowRelLink', 'AllowInsecureRedirect')
                'ConvertFrom-Json'      = @('AsHashtable', 'Depth', 'NoEnumerate', 'DateKind')
                'ConvertTo-Json'        = @('AsArray', 'EscapeHandling', 'EnumsAsStrings')
                'Test-Path'             = @('OlderThan', 'NewerThan')
                'Out-File'              = @()
                'Join-Path'             = @('AdditionalChildPath', 'Extension')
                'Get-FileHash'          = @()
                'Select-String'         = @('Raw', 'NoEmphasis', 'Culture')
                'Start-Process'         = @('Environment')
                'Remove-Item'           = @()
                'Split-Path'            = @('LeafBase', 'Extension')
                'Sort-Object'           = @('Top', 'Bottom', 'Stable')
                'Select-Object'         = @('SkipIndex')
                'Get-Date'              = @('AsUTC', 'UnixTimeSeconds')
                'Get-ChildItem'         = @('FollowSymlink')
                'ConvertTo-Csv'         = @('UseQuotes', 'QuoteFields')
                'Export-Csv'            = @('UseQuotes', 'QuoteFields')
                'Test-Connection'       = @('TargetName', 'TcpPort', 'Traceroute', 'MtuSize')
                'New-Guid'              = @('Empty', 'InputObject')
                'Import-Module'         = @('UseWindowsPowerShell', 'SkipEditionCheck')
            }
            $newCommands = @('Get-Error', 'Test-Json', 'ConvertFrom-Markdown', 'Show-Markdown', 'Get-Uptime', 'Remove-Alias', 'Remove-Service', 'Start-ThreadJob', 'Join-String', 'ConvertTo-CliXml', 'ConvertFrom-CliXml', 'Get-SecureRandom')
            if ($name -and $newCommands -contains $name) { "line $($node.Extent.StartLineNumber): command $name does not exist in Windows PowerShell 5.1" }
            if ($name -and $unavailable.ContainsKey($name)) {
                # 5.1 parameters that are prefixes of newer ones: written in full they are not abbreviations.
                $exact51 = @{ 'Split-Path' = @('Leaf'); 'Get-Date' = @('Date'); 'Sort-Object' = @(); 'Test-Connection' = @() }
                foreach ($p in $params) {
                    if ($exact51.ContainsKey($name) -and $exact51[$name] -contains $p) { continue }
                    foreach ($bad in $unavailable[$name]) {
                        if ($bad -like "$p*" -and $p.Length -ge 2) { "line $($node.Extent.StartLineNumber): $name -$p does not exist in Windows PowerShell 5.1" }
                    }
                }
            }
            if ($name -in @('Get-Content', 'Set-Content', 'Add-Content', 'Out-File')) {
                $enc = $node.CommandElements | Where-Object { $_ -is [System.Management.Automation.Language.CommandParameterAst] -and $_.ParameterName -like 'Enc*' }
                foreach ($e in $enc) {
                    $i = $node.CommandElements.IndexOf($e)
                    if ($i -lt $node.CommandElements.Count - 1) {
                        $value = $node.CommandElements[$i + 1].Extent.Text.Trim("'", '"')
                        if ($value -in @('utf8NoBOM', 'utf8BOM', 'Ansi')) { "line $($node.Extent.StartLineNumber): $name -Encoding $value does not exist in Windows PowerShell 5.1" }
                    }
                }
            }
        }
    }
}
