# The Pester fixture helpers every test file shares (issue 19: they were re-declared in each file, and had begun to
# differ). Import in BeforeAll, from tests/pester:       Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
#                     from tests/pester/<folder>:         Import-Module (Join-Path $PSScriptRoot '../TestHelpers.psm1') -Force
# A function here runs in this module's scope: it sees the global $TestDrive but no variable of the test file, so what
# it needs comes in as a parameter.

$script:RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
$script:Utf8 = New-Object System.Text.UTF8Encoding($false)
# Windows PowerShell 5.1 does not load the zip types by itself (pwsh 7 does).
Add-Type -AssemblyName System.IO.Compression

#region Platform

# The suite runs under pwsh 7 and Windows PowerShell 5.1 (issue 21), which defines none of $IsWindows, $IsLinux and
# $IsMacOS: there `-not $IsWindows` is true on Windows. Ask these instead; WindowsPowerShellCompat.ps1 refuses the
# variables anywhere but here. 5.1 runs only on Windows (PSEdition Desktop).
function Test-IsWindows { $PSVersionTable.PSEdition -eq 'Desktop' -or ((Test-Path variable:global:IsWindows) -and $IsWindows) }
function Test-IsLinux { (Test-Path variable:global:IsLinux) -and $IsLinux }
function Test-IsMacOS { (Test-Path variable:global:IsMacOS) -and $IsMacOS }

#endregion

#region Paths and digests

# The built `secureinstall` CLI (Release, as build.ps1 builds it; Debug when only that exists).
function Get-CliPath {
    $cli = Join-Path $script:RepoRoot 'src/SecureInstall.Cli/bin/Release/net10.0/secureinstall.dll'
    if (-not (Test-Path $cli)) { $cli = Join-Path $script:RepoRoot 'src/SecureInstall.Cli/bin/Debug/net10.0/secureinstall.dll' }
    $cli
}

# The command line that starts the CLI under test: `dotnet secureinstall.dll`, or the executable SECUREINSTALL_CLI names
# (issue 23: build.ps1 -Task Test runs Cli.Tests.ps1, Cli.Modules.Tests.ps1 and FrontEndParity.Tests.ps1 again with it set to
# the native binary).
function Get-CliCommand {
    if ($env:SECUREINSTALL_CLI) {
        if (-not (Test-Path -LiteralPath $env:SECUREINSTALL_CLI -PathType Leaf)) { throw "SECUREINSTALL_CLI names $env:SECUREINSTALL_CLI, which is not a file." }
        return , @($env:SECUREINSTALL_CLI)
    }
    , @('dotnet', (Get-CliPath))
}

# Runs the CLI with the arguments as given; its exit code and everything it printed (stdout and stderr).
# No param block: a lone `--` must reach the CLI, not end this function's parameters.
function Invoke-Cli {
    $command = Get-CliCommand
    $prefix = @($command | Select-Object -Skip 1)
    $out = & $command[0] @prefix @args 2>&1
    [pscustomobject]@{ ExitCode = $LASTEXITCODE; Text = ($out | Out-String) }
}

# The built release tool (tools/SecureInstall.Release): its .dll, run with `dotnet`; $null before a build.
function Get-ReleaseToolPath {
    $dll = Get-ChildItem -Path (Join-Path $script:RepoRoot 'tools/SecureInstall.Release/bin') -Recurse -Filter SecureInstall.Release.dll -ErrorAction SilentlyContinue |
        Sort-Object LastWriteTimeUtc -Descending | Select-Object -First 1
    if ($dll) { $dll.FullName }
}

# Lower-case hex SHA-256 of a file, the form the cmdlets print and the manifests pin.
function Get-Sha256([string]$Path) { (Get-FileHash -LiteralPath $Path -Algorithm SHA256).Hash.ToLowerInvariant() }

# Lower-case hex SHA-256 of bytes in memory.
function Get-Sha256Hex([byte[]]$Bytes) {
    -join ([System.Security.Cryptography.SHA256]::Create().ComputeHash($Bytes) | ForEach-Object { $_.ToString('x2') })
}

# Lower-case hex SHA-512 of bytes in memory (the digest a module pin's sha512 holds; NuGet's .nupkg hash).
function Get-Sha512Hex([byte[]]$Bytes) {
    $sha = [System.Security.Cryptography.SHA512]::Create()
    try { -join ($sha.ComputeHash($Bytes) | ForEach-Object { $_.ToString('x2') }) } finally { $sha.Dispose() }
}

function ConvertTo-FileUri([string]$Path) { [System.Uri]::new($Path).AbsoluteUri }

#endregion

#region Fixture files

# A fresh, empty folder under TestDrive (one per call, so tests in one file do not see each other's files).
function New-TestFolder {
    $dir = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
    $null = New-Item -ItemType Directory -Path $dir
    $dir
}

# Writes bytes as they are, or text as UTF-8 without BOM (STYLE.md: known test vectors carry no BOM), creating the folder.
function Write-Fixture([string]$Path, $Content) {
    $dir = Split-Path -Parent $Path
    if (-not (Test-Path -LiteralPath $dir)) { $null = New-Item -ItemType Directory -Path $dir -Force }
    if ($Content -is [byte[]]) { [System.IO.File]::WriteAllBytes($Path, $Content) } else { [System.IO.File]::WriteAllText($Path, [string]$Content, $script:Utf8) }
}

# A zip in memory: entry name → text, entries in name order.
function New-ZipBytes([hashtable]$Entries) {
    $buffer = [System.IO.MemoryStream]::new()
    $zip = [System.IO.Compression.ZipArchive]::new($buffer, [System.IO.Compression.ZipArchiveMode]::Create, $true)
    foreach ($name in ($Entries.Keys | Sort-Object)) {
        $writer = [System.IO.StreamWriter]::new($zip.CreateEntry($name).Open())
        $writer.Write($Entries[$name]); $writer.Dispose()
    }
    $zip.Dispose()
    , $buffer.ToArray()
}

# Copies samples/tools' manifest (secureinstall.yml) and the artifacts it pins (dist/) into a folder.
function Copy-SampleTools([string]$Destination) {
    $sample = Join-Path $script:RepoRoot 'samples/tools'
    Copy-Item -Recurse -Path (Join-Path $sample 'dist') -Destination $Destination
    Copy-Item -Path (Join-Path $sample 'secureinstall.yml') -Destination $Destination
}

# The install sandbox: a fresh folder under TestDrive holding a copy of samples/tools (Copy-SampleTools), with
# SECUREINSTALL_HOME pointed at its own home/ so nothing is installed outside it.
function New-Workspace {
    $ws = New-TestFolder
    Copy-SampleTools $ws
    $env:SECUREINSTALL_HOME = Join-Path $ws 'home'
    $ws
}

# Sets an environment variable for this test file, keeping the value it had for Restore-TestEnvironment (in AfterAll).
# Set-TestEnvironment SECUREINSTALL_CACHE (Join-Path $TestDrive 'cache') keeps the tests out of the user's cache.
$script:SavedEnvironment = @{}
function Set-TestEnvironment([string]$Name, [string]$Value) {
    if (-not $script:SavedEnvironment.ContainsKey($Name)) { $script:SavedEnvironment[$Name] = [Environment]::GetEnvironmentVariable($Name) }
    [Environment]::SetEnvironmentVariable($Name, $Value)
}

function Restore-TestEnvironment {
    foreach ($name in @($script:SavedEnvironment.Keys)) { [Environment]::SetEnvironmentVariable($name, $script:SavedEnvironment[$name]) }
    $script:SavedEnvironment.Clear()
}

#endregion

#region Child processes

# Quotes each argument so the child's C runtime (Windows: CommandLineToArgvW / the MSVC rules; .NET on Unix parses
# ProcessStartInfo.Arguments by the same rules) gives it back exactly: an argument with no space, tab, newline or quote is
# as it is; any other is wrapped in quotes, a quote inside is \", and backslashes are doubled only where they precede a
# quote (inside or the closing one). An empty argument is "".
function ConvertTo-ArgumentString {
    param([string[]]$ArgumentList = @())
    $quoted = foreach ($a in $ArgumentList) {
        if ($a.Length -gt 0 -and $a -notmatch '[\s"]') { $a; continue }
        $b = New-Object System.Text.StringBuilder
        $null = $b.Append('"')
        $slashes = 0
        foreach ($c in $a.ToCharArray()) {
            if ($c -eq '\') { $slashes++; continue }
            if ($c -eq '"') { $null = $b.Append([char]'\', 2 * $slashes + 1) } elseif ($slashes) { $null = $b.Append([char]'\', $slashes) }
            $slashes = 0
            $null = $b.Append($c)
        }
        $null = $b.Append([char]'\', 2 * $slashes).Append('"')
        $b.ToString()
    }
    $quoted -join ' '
}

# Kills a process and the processes it started: Process.Kill(true) where the runtime has it (.NET Core 3.0+), else
# taskkill /T on Windows (Windows PowerShell 5.1 runs on .NET Framework), else the process alone.
function Stop-ProcessTree {
    param([Parameter(Mandatory)][System.Diagnostics.Process]$Process)
    $killTree = [System.Diagnostics.Process].GetMethod('Kill', [type[]]@([bool]))
    if ($killTree) { $null = $killTree.Invoke($Process, @($true)) }
    elseif (Test-IsWindows) { $null = & taskkill.exe /PID $Process.Id /T /F 2>&1 }
    else { $Process.Kill() }
}

# Runs a program (pwsh, dotnet) with arguments and extra environment variables (a $null value removes one), in a folder
# when given, until it exits or -TimeoutSeconds pass (then it is killed, with its children). Returns ExitCode, Out and
# Err as printed, Text (Out, a newline, Err) and TimedOut.
function Invoke-ChildProcess {
    param(
        [Parameter(Mandatory)][string]$FilePath,
        [string[]]$ArgumentList = @(),
        [hashtable]$Environment = @{},
        [string]$WorkingDirectory,
        [int]$TimeoutSeconds = 0
    )
    # ProcessStartInfo.ArgumentList is .NET Core only; one quoted string reaches the child the same way on both.
    $start = [System.Diagnostics.ProcessStartInfo]::new($FilePath, (ConvertTo-ArgumentString $ArgumentList))
    $start.RedirectStandardOutput = $true; $start.RedirectStandardError = $true; $start.UseShellExecute = $false
    if ($WorkingDirectory) { $start.WorkingDirectory = $WorkingDirectory }
    foreach ($k in $Environment.Keys) {
        if ($null -eq $Environment[$k]) { $null = $start.Environment.Remove($k) } else { $start.Environment[$k] = $Environment[$k] }
    }
    $process = [System.Diagnostics.Process]::Start($start)
    $stdout = $process.StandardOutput.ReadToEndAsync()
    $stderr = $process.StandardError.ReadToEndAsync()
    $exited = $true
    if ($TimeoutSeconds -gt 0) { $exited = $process.WaitForExit($TimeoutSeconds * 1000) }
    if (-not $exited) { Stop-ProcessTree $process }
    $process.WaitForExit()
    [pscustomobject]@{
        ExitCode = $process.ExitCode
        Out      = $stdout.Result
        Err      = $stderr.Result
        Text     = $stdout.Result + "`n" + $stderr.Result
        TimedOut = -not $exited
    }
}

#endregion

#region Loopback HTTP server

# A self-signed leaf for 127.0.0.1 that is its own trust anchor; PemPath is what a child's SSL_CERT_FILE points at.
function New-LoopbackCertificate {
    param([Parameter(Mandatory)][string]$PemPath)
    $rsa = [System.Security.Cryptography.RSA]::Create(2048)
    $request = [System.Security.Cryptography.X509Certificates.CertificateRequest]::new('CN=127.0.0.1', $rsa,
        [System.Security.Cryptography.HashAlgorithmName]::SHA256, [System.Security.Cryptography.RSASignaturePadding]::Pkcs1)
    $san = [System.Security.Cryptography.X509Certificates.SubjectAlternativeNameBuilder]::new()
    $san.AddIpAddress([System.Net.IPAddress]::Loopback)
    $request.CertificateExtensions.Add($san.Build())
    $request.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509BasicConstraintsExtension]::new($true, $false, 0, $true))
    $created = $request.CreateSelfSigned([DateTimeOffset]::UtcNow.AddDays(-1), [DateTimeOffset]::UtcNow.AddDays(2))
    # SslStream (OpenSSL on Linux, SChannel on Windows) wants a key it can hand on: round-trip through PKCS#12. The
    # X509Certificate2 constructor, not X509CertificateLoader (.NET 9+), so it also runs on Windows PowerShell 5.1.
    $password = [guid]::NewGuid().ToString('N')
    $certificate = [System.Security.Cryptography.X509Certificates.X509Certificate2]::new($created.Export('Pfx', $password), $password)
    $pem = "-----BEGIN CERTIFICATE-----`n" + [Convert]::ToBase64String($created.RawData, 'InsertLineBreaks') + "`n-----END CERTIFICATE-----`n"
    [System.IO.File]::WriteAllText($PemPath, ($pem -replace "`r", ''))
    $certificate
}

# A fresh P-256 public key as PEM (SubjectPublicKeyInfo), the form cosign writes. Built from the key's point, since
# ExportSubjectPublicKeyInfoPem is .NET 7+ and Windows PowerShell 5.1 runs on .NET Framework.
function New-EcdsaPublicKeyPem {
    $key = [System.Security.Cryptography.ECDsa]::Create([System.Security.Cryptography.ECCurve+NamedCurves]::nistP256)
    try { $point = $key.ExportParameters($false).Q } finally { $key.Dispose() }
    # SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING { 0x04 X Y } }
    $prefix = [byte[]](0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04)
    $der = [byte[]]($prefix + $point.X + $point.Y)
    $lines = [Convert]::ToBase64String($der) -split '(.{64})' | Where-Object { $_ }
    "-----BEGIN PUBLIC KEY-----`n" + ($lines -join "`n") + "`n-----END PUBLIC KEY-----"
}

# A tiny HTTP/1.1 server on 127.0.0.1 (a free port), for tests that run the cmdlets or a child process against it.
# HttpListener cannot serve TLS off Windows, hence a TcpListener and an SslStream. Start it in BeforeAll or the test,
# stop it with Stop-LoopbackServer in the matching cleanup.
#   -Routes              path → @{ Status = 200; Body = [byte[]]; Headers = @{ Location = … }; ContentLength = lie };
#                        live: the returned .Routes can be added to while it runs.
#   -Body                the answer (200 OK) to every request no route names; without it such a request gets 404.
#   -Certificate         serve TLS with it (New-LoopbackCertificate); the child trusts it through SSL_CERT_FILE.
#   -ProxyAuthorization  act as a proxy that demands this Proxy-Authorization value: 407 without it; with it, a GET
#                        (absolute URI) is answered as above. A CONNECT always gets 502: it opens no tunnel.
# The returned object records each request's path in .Requests and its whole head in .Heads.
function Start-LoopbackServer {
    param([hashtable]$Routes = @{}, $Certificate, [byte[]]$Body, [string]$ProxyAuthorization)
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start()
    $requests = [System.Collections.Concurrent.ConcurrentQueue[string]]::new()
    $heads = [System.Collections.Concurrent.ConcurrentQueue[string]]::new()
    $shared = [hashtable]::Synchronized($Routes)
    $fallback = $null
    if ($PSBoundParameters.ContainsKey('Body')) { $fallback = @{ Status = 200; Reason = 'OK'; Body = $Body } }
    $ps = [powershell]::Create()
    $null = $ps.AddScript({
        param($listener, $routes, $certificate, $requests, $heads, $fallback, $expected)
        function Send([System.IO.Stream]$Stream, [string]$Text) {
            $bytes = [System.Text.Encoding]::ASCII.GetBytes($Text)
            $Stream.Write($bytes, 0, $bytes.Length)
        }
        while ($true) {
            try { $client = $listener.AcceptTcpClient() } catch { break }
            try {
                $client.ReceiveTimeout = 10000
                $client.SendTimeout = 10000
                $stream = $client.GetStream()
                if ($certificate) {
                    $ssl = [System.Net.Security.SslStream]::new($stream, $false)
                    $ssl.AuthenticateAsServer($certificate, $false, [System.Security.Authentication.SslProtocols]::Tls12, $false)
                    $stream = $ssl
                }
                $head = [System.Text.StringBuilder]::new()
                $one = [byte[]]::new(1)
                while (-not $head.ToString().EndsWith("`r`n`r`n")) {
                    if ($stream.Read($one, 0, 1) -le 0) { break }
                    $null = $head.Append([char]$one[0])
                }
                $text = $head.ToString()
                if ($text.Length -eq 0) { continue }
                $path = ($text -split ' ')[1]
                $requests.Enqueue($path)
                $heads.Enqueue($text)
                $auth = ($text -split "`r`n" | Where-Object { $_ -like 'Proxy-Authorization:*' } | ForEach-Object { $_.Substring(20).Trim() } | Select-Object -First 1)
                if ($expected -and $auth -ne $expected) {
                    Send $stream "HTTP/1.1 407 Proxy Authentication Required`r`nProxy-Authenticate: Basic realm=`"loopback`"`r`nContent-Length: 0`r`nConnection: close`r`n`r`n"
                }
                elseif ($text.StartsWith('CONNECT ')) {
                    Send $stream "HTTP/1.1 502 Bad Gateway`r`nContent-Length: 0`r`nConnection: close`r`n`r`n"
                }
                else {
                    $route = $routes[$path]
                    if (-not $route) { $route = $fallback }
                    if (-not $route) { $route = @{ Status = 404; Body = [System.Text.Encoding]::ASCII.GetBytes('not found') } }
                    $body = [byte[]]@()
                    if ($route.Body) { $body = [byte[]]$route.Body }
                    $status = 200
                    if ($route.Status) { $status = $route.Status }
                    $reason = 'X'
                    if ($route.Reason) { $reason = $route.Reason }
                    $length = $body.Length
                    if ($route.ContainsKey('ContentLength')) { $length = $route.ContentLength }
                    $reply = "HTTP/1.1 $status $reason`r`nContent-Length: $length`r`nContent-Type: application/octet-stream`r`nConnection: close`r`n"
                    if ($route.Headers) { foreach ($k in $route.Headers.Keys) { $reply += "${k}: $($route.Headers[$k])`r`n" } }
                    Send $stream ($reply + "`r`n")
                    $stream.Write($body, 0, $body.Length)
                }
                $stream.Flush()
            }
            catch { }
            finally { $client.Close() }
        }
    }).AddArgument($listener).AddArgument($shared).AddArgument($Certificate).AddArgument($requests).AddArgument($heads).AddArgument($fallback).AddArgument($ProxyAuthorization)
    $handle = $ps.BeginInvoke()
    $scheme = 'http'
    if ($Certificate) { $scheme = 'https' }
    $port = $listener.LocalEndpoint.Port
    [pscustomobject]@{
        Port       = $port
        Base       = "${scheme}://127.0.0.1:$port"
        Routes     = $shared
        Requests   = $requests
        Heads      = $heads
        Listener   = $listener
        PowerShell = $ps
        Handle     = $handle
    }
}

function Stop-LoopbackServer {
    param($Server)
    if (-not $Server) { return }
    $Server.Listener.Stop()
    $null = $Server.Handle.AsyncWaitHandle.WaitOne(5000)
    $Server.PowerShell.Dispose()
}

#endregion

#region Authenticode

# Why Authenticode tests that sign cannot run here (null when they can): they sign PE files with the real signer,
# osslsigncode, and make their certificates with openssl.
function Get-AuthenticodeLabSkipReason {
    foreach ($tool in 'osslsigncode', 'openssl') {
        if (-not (Get-Command $tool -CommandType Application -ErrorAction SilentlyContinue)) {
            return "$tool is not installed: the Authenticode tests sign PE files with osslsigncode and certificates made with openssl (.ci/run installs both)"
        }
    }
    $null
}

# A root CA and code-signing certificates made with openssl under -Path: Root (the PEM a -TrustedRoot takes), Publisher
# and Other (issued by Root, codeSigning EKU), each with CertFile, KeyFile, Thumbprint and Subject; and Pe, an unsigned
# PE32 file (a copy of the built core assembly) to sign with Invoke-AuthenticodeSign.
function New-AuthenticodeLab {
    param([Parameter(Mandatory)][string]$Path)
    $null = New-Item -ItemType Directory -Path $Path -Force
    $root = Join-Path $Path 'root'
    & openssl req -x509 -newkey rsa:2048 -nodes -keyout "$root.key" -out "$root.pem" -subj '/CN=Pester Test Root' -days 30 `
        -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign' 2>$null
    $ext = Join-Path $Path 'leaf.cnf'
    [System.IO.File]::WriteAllText($ext, "basicConstraints=CA:FALSE`nkeyUsage=critical,digitalSignature`nextendedKeyUsage=codeSigning`n")
    $identities = @{}
    foreach ($name in 'Publisher', 'Other') {
        $stem = Join-Path $Path $name
        & openssl req -newkey rsa:2048 -nodes -keyout "$stem.key" -out "$stem.csr" -subj "/CN=Pester $name/O=SecureInstall Tests" 2>$null
        & openssl x509 -req -in "$stem.csr" -CA "$root.pem" -CAkey "$root.key" -CAcreateserial -out "$stem.pem" -days 7 -extfile $ext 2>$null
        $cert = [System.Security.Cryptography.X509Certificates.X509Certificate2]::new("$stem.pem")
        $identities[$name] = [pscustomobject]@{ CertFile = "$stem.pem"; KeyFile = "$stem.key"; Thumbprint = $cert.Thumbprint; Subject = $cert.Subject }
    }
    $pe = Join-Path $Path 'tool.dll'
    Copy-Item -LiteralPath (Join-Path $script:RepoRoot 'bin/deps/SecureInstall.Core.dll') -Destination $pe
    [pscustomobject]@{ Root = "$root.pem"; Publisher = $identities.Publisher; Other = $identities.Other; Pe = $pe }
}

# Signs -In with osslsigncode as -Signer (an identity of New-AuthenticodeLab) into -Out; returns -Out.
function Invoke-AuthenticodeSign {
    param([Parameter(Mandatory)][string]$In, [Parameter(Mandatory)][string]$Out, [Parameter(Mandatory)]$Signer)
    $r = Invoke-ChildProcess -FilePath 'osslsigncode' -ArgumentList @('sign', '-certs', $Signer.CertFile, '-key', $Signer.KeyFile, '-h', 'sha256', '-in', $In, '-out', $Out)
    if ($r.ExitCode -ne 0) { throw "osslsigncode failed: $($r.Text)" }
    $Out
}

# Why the cabinet and MSI fixtures cannot be made here, or $null: the Authenticode lab's tools, gcab (Debian gcab) and
# msibuild (Debian msitools).
function Get-AuthenticodeContainerSkipReason {
    $reason = Get-AuthenticodeLabSkipReason
    if ($reason) { return $reason }
    foreach ($tool in 'gcab', 'msibuild') {
        if (-not (Get-Command $tool -CommandType Application -ErrorAction SilentlyContinue)) {
            return "$tool is not installed: the cabinet and MSI Authenticode tests make their files with gcab and msibuild (.ci/run installs gcab and msitools)"
        }
    }
    $null
}

# A cabinet (gcab, stored uncompressed) or MSI database (msibuild) holding a 20000-byte payload, written to -Out and,
# with -Signer (an identity of New-AuthenticodeLab), signed by osslsigncode; returns -Out.
function New-AuthenticodeContainer {
    param([Parameter(Mandatory)][ValidateSet('cab', 'msi')][string]$Kind, [Parameter(Mandatory)][string]$Out, $Signer)
    $payload = "$Out.payload"
    [System.IO.File]::WriteAllBytes($payload, [byte[]](1..20000 | ForEach-Object { $_ % 251 }))
    $unsigned = if ($Signer) { "$Out.unsigned" } else { $Out }
    $r = if ($Kind -eq 'cab') { Invoke-ChildProcess -FilePath 'gcab' -ArgumentList @('-c', '-n', $unsigned, $payload) }
         else { Invoke-ChildProcess -FilePath 'msibuild' -ArgumentList @($unsigned, '-a', 'payload', $payload) }
    if ($r.ExitCode -ne 0) { throw "making the $Kind failed: $($r.Text)" }
    if ($Signer) { $null = Invoke-AuthenticodeSign -In $unsigned -Out $Out -Signer $Signer }
    $Out
}

#endregion

#region NuGet module feeds (issue 22)

# A .nupkg as nuget pack and Publish-PSResource write one: the .nuspec, the module, and the OPC packaging parts.
function New-ModulePackage {
    param([string]$Id, [string]$Version, [string]$ModuleVersion = $Version, [string]$NuspecId = $Id,
        [hashtable]$Dependencies = @{}, [hashtable]$Extra = @{})
    $deps = ($Dependencies.Keys | Sort-Object | ForEach-Object { "      <dependency id=`"$_`" version=`"$($Dependencies[$_])`" />" }) -join "`n"
    $required = ($Dependencies.Keys | Sort-Object | ForEach-Object { "@{ ModuleName = '$_'; ModuleVersion = '$(($Dependencies[$_]).Trim('[]'))' }" }) -join ', '
    $entries = @{
        "$Id.nuspec"                = "<?xml version=`"1.0`" encoding=`"utf-8`"?>`n<package xmlns=`"http://schemas.microsoft.com/packaging/2011/08/nuspec.xsd`">`n  <metadata>`n    <id>$NuspecId</id>`n    <version>$Version</version>`n    <authors>test</authors>`n    <description>test module</description>`n    <dependencies>`n$deps`n    </dependencies>`n  </metadata>`n</package>`n"
        "$Id.psd1"                  = "@{`n    # a module manifest as New-ModuleManifest writes one`n    RootModule = '$Id.psm1'`n    ModuleVersion = '$ModuleVersion'`n    GUID = '$([guid]::NewGuid())'`n    Author = 'test'`n    FunctionsToExport = @('Get-$Id')`n    RequiredModules = @($required)`n    PrivateData = @{ PSData = @{ Tags = @('test') } }`n}`n"
        "$Id.psm1"                  = "function Get-$Id { '$Id $Version' }`n"
        '[Content_Types].xml'       = '<?xml version="1.0" encoding="utf-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="psd1" ContentType="application/octet" /></Types>'
        '_rels/.rels'               = '<?xml version="1.0" encoding="utf-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships" />'
        'package/services/metadata/core-properties/0123456789abcdef.psmdcp' = '<coreProperties />'
    }
    foreach ($k in $Extra.Keys) { $entries[$k] = $Extra[$k] }
    New-ZipBytes $entries
}

# A loopback HTTPS NuGet feed: v3, the service index at <Base>/v3/index.json naming the flat container <Base>/v3/flat/;
# v2, <Base>/api/v2 (FindPackagesById() and package/<id>/<version>).
# Children trust it through SSL_CERT_FILE = .Pem. Publish-ModulePackage puts packages in it; .Packages keeps their bytes.
function Start-ModuleFeed {
    $pem = Join-Path $TestDrive "feed-ca-$([guid]::NewGuid().ToString('N')).pem"
    $certificate = New-LoopbackCertificate -PemPath $pem
    $server = Start-LoopbackServer -Certificate $certificate
    $base = $server.Base
    $server.Routes['/v3/index.json'] = @{ Body = $script:Utf8.GetBytes("{ `"version`": `"3.0.0`", `"resources`": [ { `"@id`": `"$base/v3/search`", `"@type`": `"SearchQueryService`" }, { `"@id`": `"$base/v3/flat/`", `"@type`": `"PackageBaseAddress/3.0.0`" } ] }") }
    [pscustomobject]@{ Server = $server; Base = $base; Pem = $pem; Certificate = $certificate; Index = "$base/v3/index.json"; Packages = @{} }
}

# Puts a package in the feed's v3 flat container and returns its pin (the manifest's lines for it, under modules:).
function Publish-ModulePackage {
    param([Parameter(Mandatory)]$Feed, [string]$Id, [string]$Version, [byte[]]$Bytes, [string]$Source = $Feed.Index)
    $lower = $Id.ToLowerInvariant()
    $Feed.Server.Routes["/v3/flat/$lower/$Version/$lower.$Version.nupkg"] = @{ Body = $Bytes }
    $Feed.Packages["$Id $Version"] = $Bytes
    # The version lists: v3 <flat>/<id>/index.json, and the v2 OData answer to FindPackagesById() (Atom, as the Gallery
    # serves it), with the v2 package URL beside them.
    $versions = @($Feed.Packages.Keys | Where-Object { $_ -like "$Id *" } | ForEach-Object { $_.Substring($Id.Length + 1) } | Sort-Object -Unique)
    $Feed.Server.Routes["/v3/flat/$lower/index.json"] = @{ Body = $script:Utf8.GetBytes((@{ versions = $versions } | ConvertTo-Json -Compress)) }
    $entries = ($versions | ForEach-Object { "<entry><id>$($Feed.Base)/api/v2/Packages(Id='$Id',Version='$_')</id><m:properties><d:Id>$Id</d:Id><d:Version>$_</d:Version></m:properties></entry>" }) -join ''
    $Feed.Server.Routes["/api/v2/FindPackagesById()?id='$Id'"] = @{ Body = $script:Utf8.GetBytes("<?xml version=`"1.0`" encoding=`"utf-8`"?><feed xmlns=`"http://www.w3.org/2005/Atom`" xmlns:d=`"http://schemas.microsoft.com/ado/2007/08/dataservices`" xmlns:m=`"http://schemas.microsoft.com/ado/2007/08/dataservices/metadata`"><title type=`"text`">FindPackagesById</title>$entries</feed>") }
    $Feed.Server.Routes["/api/v2/package/$Id/$Version"] = @{ Body = $Bytes }
    "  ${Id}:`n    version: `"$Version`"`n    sha512: `"$(Get-Sha512Hex $Bytes)`"`n    source: $Source`n"
}

#endregion

Export-ModuleMember -Function New-EcdsaPublicKeyPem, Get-AuthenticodeContainerSkipReason, New-AuthenticodeContainer, Test-IsWindows, Test-IsLinux, Test-IsMacOS, ConvertTo-ArgumentString, Stop-ProcessTree, Get-CliPath, Get-CliCommand, Invoke-Cli, Get-ReleaseToolPath, Get-Sha256, Get-Sha256Hex, ConvertTo-FileUri, New-TestFolder, Write-Fixture,
    New-ZipBytes, Copy-SampleTools, New-Workspace, Set-TestEnvironment, Restore-TestEnvironment, Invoke-ChildProcess, New-LoopbackCertificate,
    Start-LoopbackServer, Stop-LoopbackServer, Get-AuthenticodeLabSkipReason, New-AuthenticodeLab, Invoke-AuthenticodeSign,
    Get-Sha512Hex, New-ModulePackage, Start-ModuleFeed, Publish-ModulePackage
