# The CNCF distribution registry (Debian docker-registry) for the Pester tests of issue 20: on 127.0.0.1 (a free port),
# filesystem storage under $TestDrive, TLS from a test CA made here (a child trusts it through SSL_CERT_FILE), htpasswd
# Basic auth with a bcrypt hash from BouncyCastle (the module's own dependency, so no apache2-utils).
# Dot-source it; Start-TestRegistry in BeforeAll, Stop-TestRegistry in AfterAll.

$script:RegistryBinary = '/usr/bin/docker-registry'

function Get-TestRegistrySkipReason {
    if (Test-Path -LiteralPath $script:RegistryBinary) { return $null }
    "needs the CNCF distribution registry at $script:RegistryBinary (Debian package docker-registry; .ci/run installs it)"
}

function ConvertTo-Pem([byte[]]$Der, [string]$Label) {
    "-----BEGIN $Label-----`n" + ([Convert]::ToBase64String($Der, 'InsertLineBreaks') -replace "`r", '') + "`n-----END $Label-----`n"
}

# -PlainHttp starts it without TLS (http://127.0.0.1:PORT), as a build host's loopback registry often is.
function Start-TestRegistry {
    param([string]$User = 'fleet', [string]$Password = 's3cret-pass', [switch]$PlainHttp)
    $dir = Join-Path $TestDrive ('registry-' + [guid]::NewGuid().ToString('N'))
    $null = New-Item -ItemType Directory -Path (Join-Path $dir 'data'), (Join-Path $dir 'certs.d')
    $X509 = 'System.Security.Cryptography.X509Certificates'
    $caKey = [System.Security.Cryptography.RSA]::Create(2048)
    $caRequest = New-Object "$X509.CertificateRequest" 'CN=SecureInstall registry test CA', $caKey, ([System.Security.Cryptography.HashAlgorithmName]::SHA256), ([System.Security.Cryptography.RSASignaturePadding]::Pkcs1)
    $caRequest.CertificateExtensions.Add((New-Object "$X509.X509BasicConstraintsExtension" $true, $false, 0, $true))
    $caRequest.CertificateExtensions.Add((New-Object "$X509.X509KeyUsageExtension" ([System.Security.Cryptography.X509Certificates.X509KeyUsageFlags]'KeyCertSign, CrlSign'), $true))
    $ca = $caRequest.CreateSelfSigned([DateTimeOffset]::UtcNow.AddMinutes(-10), [DateTimeOffset]::UtcNow.AddHours(3))
    $key = [System.Security.Cryptography.RSA]::Create(2048)
    $request = New-Object "$X509.CertificateRequest" 'CN=127.0.0.1', $key, ([System.Security.Cryptography.HashAlgorithmName]::SHA256), ([System.Security.Cryptography.RSASignaturePadding]::Pkcs1)
    $san = New-Object "$X509.SubjectAlternativeNameBuilder"
    $san.AddIpAddress([System.Net.IPAddress]::Loopback)
    $request.CertificateExtensions.Add($san.Build())
    $leaf = $request.Create($ca, [DateTimeOffset]::UtcNow.AddMinutes(-5), [DateTimeOffset]::UtcNow.AddHours(2), [byte[]](1..8))
    $caPem = ConvertTo-Pem $ca.RawData 'CERTIFICATE'
    [IO.File]::WriteAllText((Join-Path $dir 'ca.pem'), $caPem)
    [IO.File]::WriteAllText((Join-Path $dir 'certs.d/ca.crt'), $caPem)
    [IO.File]::WriteAllText((Join-Path $dir 'cert.pem'), (ConvertTo-Pem $leaf.RawData 'CERTIFICATE') + $caPem)
    $bc = Join-Path $PSScriptRoot '../../bin/deps/BouncyCastle.Cryptography.dll'
    Add-Type -LiteralPath (Resolve-Path $bc).Path
    # PKCS#8 through BouncyCastle: RSA.ExportPkcs8PrivateKey is .NET Core 3.0+ (Windows PowerShell 5.1 runs .NET Framework).
    $keyInfo = [Org.BouncyCastle.Pkcs.PrivateKeyInfoFactory]::CreatePrivateKeyInfo([Org.BouncyCastle.Security.DotNetUtilities]::GetRsaKeyPair($key).Private)
    [IO.File]::WriteAllText((Join-Path $dir 'key.pem'), (ConvertTo-Pem $keyInfo.GetEncoded() 'PRIVATE KEY'))

    $salt = [byte[]]::new(16)
    $random = [System.Security.Cryptography.RandomNumberGenerator]::Create(); $random.GetBytes($salt); $random.Dispose()
    $hash = [Org.BouncyCastle.Crypto.Generators.OpenBsdBCrypt]::Generate('2a', $Password.ToCharArray(), $salt, 6)
    [IO.File]::WriteAllText((Join-Path $dir 'htpasswd'), "${User}:$hash`n")

    $tls = if ($PlainHttp) { '' } else { "  tls:`n    certificate: $dir/cert.pem`n    key: $dir/key.pem" }
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start(); $port = $listener.LocalEndpoint.Port; $listener.Stop()
    [IO.File]::WriteAllText((Join-Path $dir 'config.yml'), @"
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/data
http:
  addr: 127.0.0.1:$port
$tls
auth:
  htpasswd:
    realm: secureinstall-test
    path: $dir/htpasswd
"@)
    $start = [System.Diagnostics.ProcessStartInfo]::new($script:RegistryBinary, (ConvertTo-ArgumentString @('serve', (Join-Path $dir 'config.yml'))))
    $start.RedirectStandardOutput = $true; $start.RedirectStandardError = $true; $start.UseShellExecute = $false
    $process = [System.Diagnostics.Process]::Start($start)
    $null = $process.StandardOutput.ReadToEndAsync(); $null = $process.StandardError.ReadToEndAsync()
    $deadline = [DateTime]::UtcNow.AddSeconds(20)
    while ($true) {
        if ($process.HasExited) { throw "docker-registry exited ($($process.ExitCode))" }
        try { $c = [System.Net.Sockets.TcpClient]::new('127.0.0.1', $port); $c.Dispose(); break } catch { }
        if ([DateTime]::UtcNow -gt $deadline) { $process.Kill(); throw 'docker-registry did not start' }
        Start-Sleep -Milliseconds 50
    }
    [pscustomobject]@{
        Process = $process; Port = $port; Host = "127.0.0.1:$port"; Directory = $dir; CaPem = (Join-Path $dir 'ca.pem')
        CertDirectory = (Join-Path $dir 'certs.d'); User = $User; Password = $Password
    }
}

function Stop-TestRegistry($Registry) {
    if ($Registry -and -not $Registry.Process.HasExited) { $Registry.Process.Kill(); $null = $Registry.Process.WaitForExit(10000) }
}

# A child pwsh that trusts the registry's CA (SSL_CERT_FILE is read when .NET starts), with its own install root and cache.
function Invoke-RegistryPwsh($Registry, [string]$Script, [hashtable]$Extra = @{}) {
    $run = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
    $childEnvironment = @{ SSL_CERT_FILE = $Registry.CaPem; SECUREINSTALL_HOME = (Join-Path $run 'home'); SECUREINSTALL_CACHE = (Join-Path $run 'cache')
        SECUREINSTALL_MIRRORS = (Join-Path $run 'no-mirrors.json'); DOCKER_CONFIG = (Join-Path $run 'docker'); PSModulePath = $null }
    foreach ($k in $Extra.Keys) { $childEnvironment[$k] = $Extra[$k] }
    $module = (Resolve-Path (Join-Path $PSScriptRoot '../../SecureInstall.psd1')).Path
    $prelude = "`$ErrorActionPreference = 'Stop'; Import-Module '$module'; `$cred = [pscredential]::new('$($Registry.User)', (ConvertTo-SecureString '$($Registry.Password)' -AsPlainText -Force)); "
    Invoke-ChildProcess -FilePath (Get-Process -Id $PID).Path -ArgumentList @('-NoProfile', '-NonInteractive', '-Command', $prelude + $Script) -Environment $childEnvironment -TimeoutSeconds 180
}

# The CLI in a child that trusts the registry's CA.
function Invoke-RegistryCli($Registry, [string[]]$ArgumentList, [hashtable]$Extra = @{}) {
    $run = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
    $childEnvironment = @{ SSL_CERT_FILE = $Registry.CaPem; SECUREINSTALL_HOME = (Join-Path $run 'home'); SECUREINSTALL_CACHE = (Join-Path $run 'cache')
        SECUREINSTALL_MIRRORS = (Join-Path $run 'no-mirrors.json'); DOCKER_CONFIG = (Join-Path $run 'docker') }
    foreach ($k in $Extra.Keys) { $childEnvironment[$k] = $Extra[$k] }
    Invoke-ChildProcess -FilePath 'dotnet' -ArgumentList (@((Get-CliPath)) + $ArgumentList) -Environment $childEnvironment -TimeoutSeconds 180
}
