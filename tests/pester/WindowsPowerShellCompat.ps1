# Finds syntax and commands in a script that Windows PowerShell 5.1 does not have, by walking the script's AST
# with the PowerShell parser. Dot-source it and call Get-WindowsPowerShellIncompatibility -Path <script>.

function Get-WindowsPowerShellIncompatibility {
    [CmdletBinding()]
    param([Parameter(Mandatory)][string]$Path)

    $tokens = $null
    $errors = $null
    $ast = [System.Management.Automation.Language.Parser]::ParseFile($Path, [ref]$tokens, [ref]$errors)
    foreach ($e in $errors) { "line $($e.Extent.StartLineNumber): parse error: $($e.Message)" }

    # 5.1 reads a script without a BOM in the ANSI code page: UTF-8 text turns into other characters there (the last
    # byte of a UTF-8 arrow is a curly quote that ends a string), so a file with any non-ASCII byte needs the BOM.
    $bytes = [System.IO.File]::ReadAllBytes($Path)
    $hasBom = $bytes.Length -ge 3 -and $bytes[0] -eq 0xEF -and $bytes[1] -eq 0xBB -and $bytes[2] -eq 0xBF
    if (-not $hasBom) {
        $line = 1
        foreach ($b in $bytes) {
            if ($b -eq 10) { $line++ }
            elseif ($b -gt 127) { "line ${line}: non-ASCII text in a file without a UTF-8 BOM (Windows PowerShell 5.1 would read it as ANSI)"; break }
        }
    }

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
    $newStaticMembers += @(
        'IO.Path::TrimEndingDirectorySeparator', 'IO.Path::EndsInDirectorySeparator', 'IO.File::CreateSymbolicLink', 'IO.Directory::CreateSymbolicLink',
        'IO.File::ResolveLinkTarget', 'IO.File::GetUnixFileMode', 'IO.File::SetUnixFileMode', 'Security.Cryptography.RandomNumberGenerator::Fill',
        'Security.Cryptography.X509Certificates.X509Certificate2::CreateFromPem', 'Security.Cryptography.X509Certificates.X509Certificate2::CreateFromPemFile',
        'Text.Encoding::Latin1', 'Math::Clamp')
    $newTypes = @('Security.Cryptography.X509Certificates.X509CertificateLoader', 'Net.Http.SocketsHttpHandler', 'OperatingSystem', 'Text.Json.JsonSerializer', 'IO.UnixFileMode',
        'Formats.Tar.TarFile', 'Formats.Tar.TarWriter', 'Formats.Tar.TarReader', 'HashCode', 'Index', 'Range', 'Text.Rune', 'Threading.Lock')
    # Instance members .NET Framework lacks, by name (the parser cannot know the object's type): name -> why. A member
    # named here is flagged on any object, so a test helper wraps the call (TestHelpers.psm1) instead of using it.
    $newInstanceMembers = @{
        'ArgumentList'                   = 'ProcessStartInfo.ArgumentList is .NET Core 2.1+ (TestHelpers.psm1 ConvertTo-ArgumentString builds .Arguments)'
        'ExportSubjectPublicKeyInfoPem'  = 'AsymmetricAlgorithm.Export*Pem is .NET 7+'
        'ExportPkcs8PrivateKeyPem'       = 'AsymmetricAlgorithm.Export*Pem is .NET 7+'
        'ExportSubjectPublicKeyInfo'     = 'AsymmetricAlgorithm.ExportSubjectPublicKeyInfo is .NET Core 3.0+'
        'ImportSubjectPublicKeyInfo'     = 'AsymmetricAlgorithm.ImportSubjectPublicKeyInfo is .NET Core 3.0+'
        'ExportPkcs8PrivateKey'          = 'AsymmetricAlgorithm.ExportPkcs8PrivateKey is .NET Core 3.0+'
        'ImportPkcs8PrivateKey'          = 'AsymmetricAlgorithm.ImportPkcs8PrivateKey is .NET Core 3.0+'
        'ImportFromPem'                  = 'AsymmetricAlgorithm.ImportFromPem is .NET 5+'
        'WaitForExitAsync'               = 'Process.WaitForExitAsync is .NET 5+'
        'ReadExactly'                    = 'Stream.ReadExactly is .NET 7+'
        'LinkTarget'                     = 'FileSystemInfo.LinkTarget is .NET 6+ (PowerShell''s .Target works in both)'
        'UnixFileMode'                   = 'FileSystemInfo.UnixFileMode is .NET 7+'
    }
    # Assemblies Windows PowerShell 5.1 does not load until asked: a type under the prefix needs Add-Type -AssemblyName.
    $needsAssembly = [ordered]@{ 'IO.Compression.ZipFile' = 'System.IO.Compression.FileSystem'; 'IO.Compression.' = 'System.IO.Compression'; 'Net.Http.' = 'System.Net.Http' }
    $loaded = @($ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.CommandAst] -and $n.GetCommandName() -eq 'Add-Type' }, $true) |
        ForEach-Object { $_.CommandElements | Select-Object -Skip 1 } | ForEach-Object { $_.Extent.Text -split '[,\s]+' } | ForEach-Object { $_.Trim("'", '"') })
    # $IsWindows and its kin may be read only inside the guarded helpers Test-IsWindows/-IsLinux/-IsMacOS (TestHelpers.psm1).
    $inGuardedHelper = {
        param($n)
        for ($p = $n.Parent; $p; $p = $p.Parent) {
            if ($p -is [System.Management.Automation.Language.FunctionDefinitionAst] -and $p.Name -like 'Test-Is*') { return $true }
        }
        $false
    }
    $found = $ast.FindAll({ param($n) $true }, $true)
    foreach ($node in $found) {
        $typeName = $node.GetType().Name
        if ($node -is [System.Management.Automation.Language.VariableExpressionAst] -and $newVariables -contains $node.VariablePath.UserPath -and -not (& $inGuardedHelper $node)) {
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
            foreach ($prefix in $needsAssembly.Keys) {
                if ($type.StartsWith($prefix)) {
                    if ($loaded -notcontains $needsAssembly[$prefix]) { "line $($node.Extent.StartLineNumber): [$type] needs Add-Type -AssemblyName $($needsAssembly[$prefix]) in Windows PowerShell 5.1" }
                    break
                }
            }
        }
        if ($node -is [System.Management.Automation.Language.MemberExpressionAst] -and -not $node.Static -and $node.Member -is [System.Management.Automation.Language.StringConstantExpressionAst]) {
            $member = $node.Member.Value
            if ($newInstanceMembers.ContainsKey($member)) { "line $($node.Extent.StartLineNumber): .$member does not exist on .NET Framework (Windows PowerShell 5.1): $($newInstanceMembers[$member])" }
            if ($node -is [System.Management.Automation.Language.InvokeMemberExpressionAst]) {
                $argc = 0
                if ($node.Arguments) { $argc = $node.Arguments.Count }
                if ($member -eq 'Kill' -and $argc -gt 0) { "line $($node.Extent.StartLineNumber): Process.Kill(entireProcessTree) is .NET Core 3.0+ (TestHelpers.psm1 Stop-ProcessTree): $($node.Extent.Text)" }
                if ($member -in @('Contains', 'Replace') -and $argc -ge 2 -and @($node.Arguments)[-1].Extent.Text -match 'StringComparison') {
                    "line $($node.Extent.StartLineNumber): string.$member(..., StringComparison) is .NET Core 2.0+: $($node.Extent.Text)"
                }
                if ($member -eq 'Split' -and $argc -eq 1 -and $node.Arguments[0] -is [System.Management.Automation.Language.StringConstantExpressionAst] -and $node.Arguments[0].Value.Length -gt 1) {
                    "line $($node.Extent.StartLineNumber): string.Split(string) is .NET Core 2.0+; 5.1 splits on each character of '$($node.Arguments[0].Value)' instead (use -split): $($node.Extent.Text)"
                }
            }
        }
        if ($node -is [System.Management.Automation.Language.BinaryExpressionAst] -and $node.Operator -in @('Ireplace', 'Creplace') -and
            $node.Right -is [System.Management.Automation.Language.ArrayLiteralAst] -and @($node.Right.Elements)[-1] -is [System.Management.Automation.Language.ScriptBlockExpressionAst]) {
            "line $($node.Extent.StartLineNumber): -replace with a script block (6.1): $($node.Extent.Text)"
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
            if ($name -eq 'Join-Path') {
                # 6.0 made -AdditionalChildPath positional: a third path argument is a parameter binding error on 5.1.
                $positional = @($node.CommandElements | Select-Object -Skip 1 | Where-Object { $_ -isnot [System.Management.Automation.Language.CommandParameterAst] })
                $named = @($node.CommandElements | Where-Object { $_ -is [System.Management.Automation.Language.CommandParameterAst] -and -not $_.Argument -and 'Resolve' -notlike "$($_.ParameterName)*" })
                if ($positional.Count - $named.Count -gt 2) { "line $($node.Extent.StartLineNumber): Join-Path with more than two paths (6.0): $($node.Extent.Text)" }
            }
            if ($name -and $unavailable.ContainsKey($name)) {
                # 5.1 parameters that are prefixes of newer ones: written in full they are not abbreviations.
                $exact51 = @{ 'Split-Path' = @('Leaf'); 'Get-Date' = @('Date'); 'Sort-Object' = @(); 'Test-Connection' = @(); 'Select-Object' = @('Skip') }
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
