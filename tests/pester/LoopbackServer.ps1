# A tiny HTTP/1.1 server on 127.0.0.1 for tests that run a script in a child process: plain or TLS (a self-signed
# certificate the child trusts through SSL_CERT_FILE), with routes that can lie about Content-Length or redirect
# anywhere. HttpListener cannot serve TLS off Windows, hence a TcpListener and an SslStream.
# Dot-source it; Start-LoopbackServer in BeforeAll, Stop-LoopbackServer in AfterAll.

function New-LoopbackCertificate {
    # A self-signed leaf for 127.0.0.1 that is its own trust anchor; PemPath is what SSL_CERT_FILE points at.
    param([Parameter(Mandatory)][string]$PemPath)
    $rsa = [System.Security.Cryptography.RSA]::Create(2048)
    $request = [System.Security.Cryptography.X509Certificates.CertificateRequest]::new('CN=127.0.0.1', $rsa,
        [System.Security.Cryptography.HashAlgorithmName]::SHA256, [System.Security.Cryptography.RSASignaturePadding]::Pkcs1)
    $san = [System.Security.Cryptography.X509Certificates.SubjectAlternativeNameBuilder]::new()
    $san.AddIpAddress([System.Net.IPAddress]::Loopback)
    $request.CertificateExtensions.Add($san.Build())
    $request.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509BasicConstraintsExtension]::new($true, $false, 0, $true))
    $created = $request.CreateSelfSigned([DateTimeOffset]::UtcNow.AddDays(-1), [DateTimeOffset]::UtcNow.AddDays(2))
    # SslStream on Linux wants the key in a form it can hand to OpenSSL: round-trip through PKCS#12.
    $certificate = [System.Security.Cryptography.X509Certificates.X509CertificateLoader]::LoadPkcs12($created.Export('Pfx'), $null)
    $pem = "-----BEGIN CERTIFICATE-----`n" + [Convert]::ToBase64String($created.RawData, 'InsertLineBreaks') + "`n-----END CERTIFICATE-----`n"
    [System.IO.File]::WriteAllText($PemPath, ($pem -replace "`r", ''))
    $certificate
}

function Start-LoopbackServer {
    # Routes: path → @{ Status = 200; Body = [byte[]]; Headers = @{ Location = … }; ContentLength = lie }.
    param([Parameter(Mandatory)][hashtable]$Routes, $Certificate)
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start()
    $requests = [System.Collections.Concurrent.ConcurrentQueue[string]]::new()
    $shared = [hashtable]::Synchronized($Routes)
    $ps = [powershell]::Create()
    $null = $ps.AddScript({
        param($listener, $routes, $certificate, $requests)
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
                $path = ($head.ToString() -split ' ')[1]
                $requests.Enqueue($path)
                $route = $routes[$path]
                if (-not $route) { $route = @{ Status = 404; Body = [System.Text.Encoding]::ASCII.GetBytes('not found') } }
                $body = [byte[]]@()
                if ($route.Body) { $body = [byte[]]$route.Body }
                $status = 200
                if ($route.Status) { $status = $route.Status }
                $length = $body.Length
                if ($route.ContainsKey('ContentLength')) { $length = $route.ContentLength }
                $text = "HTTP/1.1 $status X`r`nContent-Length: $length`r`nContent-Type: application/octet-stream`r`nConnection: close`r`n"
                if ($route.Headers) { foreach ($k in $route.Headers.Keys) { $text += "${k}: $($route.Headers[$k])`r`n" } }
                $bytes = [System.Text.Encoding]::ASCII.GetBytes($text + "`r`n")
                $stream.Write($bytes, 0, $bytes.Length)
                $stream.Write($body, 0, $body.Length)
                $stream.Flush()
            }
            catch { }
            finally { $client.Close() }
        }
    }).AddArgument($listener).AddArgument($shared).AddArgument($Certificate).AddArgument($requests)
    $handle = $ps.BeginInvoke()
    $scheme = 'http'
    if ($Certificate) { $scheme = 'https' }
    [pscustomobject]@{
        Base       = "${scheme}://127.0.0.1:$($listener.LocalEndpoint.Port)"
        Routes     = $shared
        Requests   = $requests
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
