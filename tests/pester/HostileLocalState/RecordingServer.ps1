# A tiny HTTP server on 127.0.0.1 that records every request head (to see which Authorization and Proxy-Authorization
# headers arrived) and answers every GET with one body. With -ProxyAuthorization it acts as a proxy that demands that
# header: 407 without it; with it, a plain GET (absolute URI) is served the body and a CONNECT is answered 502.
# Dot-source it; Start-RecordingServer in the test or BeforeAll, Stop-RecordingServer in its cleanup.

function Start-RecordingServer {
    param([byte[]]$Body = [byte[]]@(), [string]$ProxyAuthorization)
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start()
    $heads = [System.Collections.Concurrent.ConcurrentQueue[string]]::new()
    $ps = [powershell]::Create()
    $null = $ps.AddScript({
        param($listener, $body, $expected, $heads)
        while ($true) {
            try { $client = $listener.AcceptTcpClient() } catch { break }
            try {
                $client.ReceiveTimeout = 10000
                $stream = $client.GetStream()
                $head = [System.Text.StringBuilder]::new()
                $one = [byte[]]::new(1)
                while (-not $head.ToString().EndsWith("`r`n`r`n")) {
                    if ($stream.Read($one, 0, 1) -le 0) { break }
                    $null = $head.Append([char]$one[0])
                }
                $text = $head.ToString()
                if ($text.Length -eq 0) { continue }
                $heads.Enqueue($text)
                $auth = ($text -split "`r`n" | Where-Object { $_ -like 'Proxy-Authorization:*' } | ForEach-Object { $_.Substring(20).Trim() } | Select-Object -First 1)
                if ($expected -and $auth -ne $expected) {
                    $reply = "HTTP/1.1 407 Proxy Authentication Required`r`nProxy-Authenticate: Basic realm=`"loopback`"`r`nContent-Length: 0`r`nConnection: close`r`n`r`n"
                    $bytes = [System.Text.Encoding]::ASCII.GetBytes($reply)
                    $stream.Write($bytes, 0, $bytes.Length)
                }
                elseif ($text.StartsWith('CONNECT ')) {
                    $bytes = [System.Text.Encoding]::ASCII.GetBytes("HTTP/1.1 502 Bad Gateway`r`nContent-Length: 0`r`nConnection: close`r`n`r`n")
                    $stream.Write($bytes, 0, $bytes.Length)
                }
                else {
                    $bytes = [System.Text.Encoding]::ASCII.GetBytes("HTTP/1.1 200 OK`r`nContent-Length: $($body.Length)`r`nContent-Type: application/octet-stream`r`nConnection: close`r`n`r`n")
                    $stream.Write($bytes, 0, $bytes.Length)
                    $stream.Write($body, 0, $body.Length)
                }
                $stream.Flush()
            }
            catch { }
            finally { $client.Close() }
        }
    }).AddArgument($listener).AddArgument($Body).AddArgument($ProxyAuthorization).AddArgument($heads)
    $handle = $ps.BeginInvoke()
    $port = $listener.LocalEndpoint.Port
    [pscustomobject]@{
        Port       = $port
        Base       = "http://127.0.0.1:$port"
        Heads      = $heads
        Listener   = $listener
        PowerShell = $ps
        Handle     = $handle
    }
}

function Stop-RecordingServer {
    param($Server)
    if (-not $Server) { return }
    $Server.Listener.Stop()
    $null = $Server.Handle.AsyncWaitHandle.WaitOne(5000)
    $Server.PowerShell.Dispose()
}

function Invoke-ChildProcess {
    # Runs a file (pwsh or dotnet) with arguments and extra environment variables (a $null value removes one); returns
    # the exit code and everything it wrote on stdout and stderr together.
    param([Parameter(Mandatory)][string]$FilePath, [string[]]$ArgumentList = @(), [hashtable]$Environment = @{})
    $start = [System.Diagnostics.ProcessStartInfo]::new($FilePath)
    foreach ($a in $ArgumentList) { $start.ArgumentList.Add($a) }
    $start.RedirectStandardOutput = $true; $start.RedirectStandardError = $true; $start.UseShellExecute = $false
    foreach ($k in $Environment.Keys) {
        if ($null -eq $Environment[$k]) { $null = $start.Environment.Remove($k) } else { $start.Environment[$k] = $Environment[$k] }
    }
    $process = [System.Diagnostics.Process]::Start($start)
    $stderr = $process.StandardError.ReadToEndAsync()
    $stdout = $process.StandardOutput.ReadToEnd()
    $process.WaitForExit()
    [pscustomobject]@{ ExitCode = $process.ExitCode; Text = $stdout + "`n" + $stderr.Result }
}
