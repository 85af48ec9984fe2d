#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }

# The shared fixtures in TestHelpers.psm1 that other tests lean on: the loopback server (which replaced a routing
# server and a recording proxy that were written twice) and the child-process runner.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    # The status line and the head a raw request gets back, byte for byte as the server wrote them.
    function Send-Raw([int]$Port, [string]$Head) {
        $client = [System.Net.Sockets.TcpClient]::new('127.0.0.1', $Port)
        try {
            $stream = $client.GetStream()
            $bytes = [System.Text.Encoding]::ASCII.GetBytes($Head)
            $stream.Write($bytes, 0, $bytes.Length)
            $reader = [System.IO.StreamReader]::new($stream, [System.Text.Encoding]::ASCII)
            $reader.ReadToEnd()
        }
        finally { $client.Dispose() }
    }
}

Describe 'Start-LoopbackServer' {
    It 'serves a route, answers 404 for any other path, and records each request' {
        $server = Start-LoopbackServer -Routes @{ '/a.bin' = @{ Body = [byte[]](1, 2, 3) } }
        try {
            $ok = Send-Raw $server.Port "GET /a.bin HTTP/1.1`r`nHost: x`r`n`r`n"
            $missing = Send-Raw $server.Port "GET /nope HTTP/1.1`r`nHost: x`r`n`r`n"
        }
        finally { Stop-LoopbackServer $server }
        $ok | Should -Match '^HTTP/1\.1 200 X\r\nContent-Length: 3\r\n'
        $missing | Should -Match '^HTTP/1\.1 404 X\r\n'
        @($server.Requests) | Should -Be @('/a.bin', '/nope')
        @($server.Heads)[0] | Should -BeLike 'GET /a.bin HTTP/1.1*Host: x*'
    }

    It 'answers every unrouted path with -Body (200 OK), and a route still wins' {
        $server = Start-LoopbackServer -Body ([System.Text.Encoding]::ASCII.GetBytes('any')) -Routes @{ '/r' = @{ Status = 302; Headers = @{ Location = '/x' } } }
        try {
            $any = Send-Raw $server.Port "GET /whatever HTTP/1.1`r`n`r`n"
            $routed = Send-Raw $server.Port "GET /r HTTP/1.1`r`n`r`n"
        }
        finally { Stop-LoopbackServer $server }
        $any | Should -Match '^HTTP/1\.1 200 OK\r\nContent-Length: 3\r\n[\s\S]*\r\n\r\nany$'
        $routed | Should -Match '^HTTP/1\.1 302 X\r\n[\s\S]*Location: /x\r\n'
    }

    It 'as a proxy demands its Proxy-Authorization (407), serves an absolute-URI GET with it, and opens no tunnel' {
        $server = Start-LoopbackServer -Body ([System.Text.Encoding]::ASCII.GetBytes('via proxy')) -ProxyAuthorization 'Basic dTpw'
        try {
            $without = Send-Raw $server.Port "GET http://127.0.0.1:9/a HTTP/1.1`r`n`r`n"
            $with = Send-Raw $server.Port "GET http://127.0.0.1:9/a HTTP/1.1`r`nProxy-Authorization: Basic dTpw`r`n`r`n"
            $tunnel = Send-Raw $server.Port "CONNECT 127.0.0.1:9 HTTP/1.1`r`nProxy-Authorization: Basic dTpw`r`n`r`n"
        }
        finally { Stop-LoopbackServer $server }
        $without | Should -Match '^HTTP/1\.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="loopback"\r\n'
        $with | Should -Match '^HTTP/1\.1 200 OK\r\n[\s\S]*via proxy$'
        $tunnel | Should -Match '^HTTP/1\.1 502 Bad Gateway\r\n'
    }
}

Describe 'Invoke-ChildProcess' {
    It 'passes arguments as given, sets and removes environment variables, and keeps stdout and stderr apart' {
        $env:SECUREINSTALL_HELPER_PROBE = 'inherited'
        try {
            $script = Join-Path $TestDrive 'probe.ps1'
            Write-Fixture $script '[Console]::Out.Write($args[0] + "|" + $env:SECUREINSTALL_HELPER_SET + "|" + [string]$env:SECUREINSTALL_HELPER_PROBE); [Console]::Error.Write("err"); exit 7'
            $r = Invoke-ChildProcess -FilePath (Get-Process -Id $PID).Path -ArgumentList @('-NoProfile', '-NonInteractive', '-File', $script, 'a b') `
                -Environment @{ SECUREINSTALL_HELPER_SET = 'set'; SECUREINSTALL_HELPER_PROBE = $null }
        }
        finally { $env:SECUREINSTALL_HELPER_PROBE = $null }
        $r.ExitCode | Should -Be 7
        $r.Out | Should -BeExactly 'a b|set|'
        $r.Err | Should -BeExactly 'err'
        $r.Text | Should -BeExactly "a b|set|`nerr"
        $r.TimedOut | Should -BeFalse
    }

    It 'quotes by the Windows command-line rules: quotes around spaces, \" for a quote, backslashes doubled only before a quote' {
        ConvertTo-ArgumentString @('a', 'b c', 'x"y', 'd\', 'e\"', 'f g\', '') | Should -BeExactly 'a "b c" "x\"y" d\ "e\\\"" "f g\\" ""'
    }

    It 'hands a child every argument back exactly: spaces, quotes, trailing backslashes, empty, % and ^' {
        # The child prints each argument as base64, so nothing in the way it prints can blur the comparison.
        $script = Join-Path $TestDrive 'args.ps1'
        Write-Fixture $script '[Console]::Out.Write((@($args | ForEach-Object { [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes([string]$_)) }) -join ","))'
        $given = @('a b', 'say "hi"', 'C:\dir with space\', 'trail\', '\\server\"x', "tab`tx", '%PATH%', '', '^&|<>()', 'x', '"', '\"\\')
        $r = Invoke-ChildProcess -FilePath (Get-Process -Id $PID).Path -ArgumentList (@('-NoProfile', '-NonInteractive', '-File', $script) + $given)
        $r.ExitCode | Should -Be 0 -Because $r.Err
        $back = @($r.Out.Split(',') | ForEach-Object { [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($_)) })
        $back.Count | Should -Be $given.Count
        for ($i = 0; $i -lt $given.Count; $i++) { $back[$i] | Should -BeExactly $given[$i] }
    }

    It 'kills a child that outlives -TimeoutSeconds and says so' {
        $r = Invoke-ChildProcess -FilePath (Get-Process -Id $PID).Path -ArgumentList @('-NoProfile', '-NonInteractive', '-Command', 'Start-Sleep 60') -TimeoutSeconds 2
        $r.TimedOut | Should -BeTrue
    }
}
