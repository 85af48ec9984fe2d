#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }

# Issue 17 #2: proxy credentials are used when written in -Proxy/--proxy, a 407 is reported once (not retried), and the
# proxy password (from HTTPS_PROXY or -Proxy) appears in no error, verbose line or CLI output.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../TestHelpers.psm1') -Force
    $root = Resolve-Path (Join-Path $PSScriptRoot '../../..')
    $module = Join-Path $root 'SecureInstall.psd1'
    Import-Module $module -Force
    $cli = Get-CliPath
    $shell = (Get-Process -Id $PID).Path
    $body = [System.Text.Encoding]::ASCII.GetBytes('proxied artifact')
    $sha = Get-Sha256Hex $body
    function Basic([string]$User, [string]$Password) { 'Basic ' + [Convert]::ToBase64String([System.Text.Encoding]::UTF8.GetBytes("${User}:$Password")) }
    # The child sees only the proxy the test sets: no NO_PROXY that would bypass it, no other proxy variable.
    $noProxy = [hashtable]::new([StringComparer]::Ordinal)
    foreach ($name in 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy', 'HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy') { $noProxy[$name] = $null }
}

Describe 'Proxy credentials' {
    It 'CredentialsWrittenInProxy_AreUsed_ByGetVerifiedArtifact' {
        $proxy = Start-LoopbackServer -Body $body -ProxyAuthorization (Basic 'user' 'secretpw')
        try {
            $out = Join-Path $TestDrive 'via-proxy.bin'
            $r = Get-VerifiedArtifact -Uri 'http://127.0.0.1:9/a.bin' -OutFile $out -Sha256 $sha -AllowInsecureTransport -NoCache -Proxy "http://user:secretpw@127.0.0.1:$($proxy.Port)" -Verbose 4>&1
        }
        finally { Stop-LoopbackServer $proxy }
        @($r | Where-Object { $_ -is [SecureInstall.Core.Downloads.DownloadResult] })[0].Verified | Should -BeTrue
        @($proxy.Heads | Where-Object { $_ -match [regex]::Escape("Proxy-Authorization: $(Basic 'user' 'secretpw')") }).Count | Should -BeGreaterThan 0
        ($r | Out-String) | Should -Not -Match 'secretpw'
    }

    It 'CredentialsWrittenInProxyAndProxyCredential_AreRefused_AsProxyInvalid' {
        $credential = [pscredential]::new('other', (ConvertTo-SecureString 'x' -AsPlainText -Force))
        { Get-VerifiedArtifact -Uri 'http://127.0.0.1:9/a.bin' -OutFile (Join-Path $TestDrive 'x.bin') -Sha256 $sha -AllowInsecureTransport -Proxy 'http://user:secretpw@127.0.0.1:9' -ProxyCredential $credential -ErrorAction Stop } |
            Should -Throw -ErrorId 'ProxyInvalid,SecureInstall.Commands.GetVerifiedArtifactCommand'
    }

    It 'CredentialsWrittenInTheCliProxy_AreUsed' {
        $proxy = Start-LoopbackServer -Body $body -ProxyAuthorization (Basic 'user' 'secretpw')
        try {
            $r = Invoke-ChildProcess -FilePath 'dotnet' -ArgumentList @($cli, 'get', 'http://127.0.0.1:9/a.bin', '--sha256', $sha, '--allow-insecure-transport', '--no-cache',
                '--proxy', "http://user:secretpw@127.0.0.1:$($proxy.Port)", '-o', (Join-Path $TestDrive 'cli-proxy.bin')) -Environment $noProxy
        }
        finally { Stop-LoopbackServer $proxy }
        $r.ExitCode | Should -Be 0 -Because $r.Text
        $r.Text | Should -Not -Match 'secretpw'
    }

    Context 'HTTPS_PROXY with a password the proxy refuses' {
        BeforeEach {
            $proxy = Start-LoopbackServer -Body $body -ProxyAuthorization (Basic 'user' 'rightpw')
            $envProxy = $noProxy.Clone()
            $envProxy.HTTPS_PROXY = "http://user:secretpw@127.0.0.1:$($proxy.Port)"
            $envProxy.https_proxy = $envProxy.HTTPS_PROXY
            $envProxy.SECUREINSTALL_CACHE = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        }
        AfterEach { Stop-LoopbackServer $proxy }

        It 'Get-VerifiedArtifact_ReportsProxyAuthenticationRequiredOnce_AndNoStreamShowsThePassword' {
            $out = Join-Path $TestDrive 'env-proxy.bin'
            $code = @"
Import-Module '$module'
`$all = Get-VerifiedArtifact -Uri 'https://127.0.0.1:9/a.bin' -OutFile '$out' -Sha256 $sha -Verbose -ErrorVariable ev *>&1 | Out-String
`$all
foreach (`$e in `$ev) { 'FQID=' + `$e.FullyQualifiedErrorId; 'CATEGORY=' + `$e.CategoryInfo.Category; `$e.Exception.ToString(); `$e | Format-List * -Force | Out-String; `$e.TargetObject }
"@
            $r = Invoke-ChildProcess -FilePath $shell -ArgumentList @('-NoProfile', '-NonInteractive', '-Command', $code) -Environment $envProxy
            $r.Text | Should -Match 'FQID=ProxyAuthenticationRequired,SecureInstall\.Commands\.GetVerifiedArtifactCommand'
            $r.Text | Should -Match 'CATEGORY=AuthenticationError'
            $r.Text | Should -Not -Match 'secretpw'
            # One attempt: the request without credentials and the handler's answer to the challenge; no retries.
            $proxy.Heads.Count | Should -BeIn 1, 2
            Test-Path -LiteralPath $out | Should -BeFalse
        }

        It 'TheCli_ReportsProxyAuthenticationRequiredOnce_AndItsOutputShowsNoPassword' {
            $r = Invoke-ChildProcess -FilePath 'dotnet' -ArgumentList @($cli, 'get', 'https://127.0.0.1:9/a.bin', '--sha256', $sha, '-o', (Join-Path $TestDrive 'cli-env.bin')) -Environment $envProxy
            $r.ExitCode | Should -Be 2
            $r.Text | Should -Match 'secureinstall: ProxyAuthenticationRequired: '
            $r.Text | Should -Not -Match 'secretpw'
            $proxy.Heads.Count | Should -BeIn 1, 2
        }
    }

    It 'AProxyFailureThatIsRetried_ShowsNoPasswordInTheRetryLinesOrTheError' {
        # The proxy accepts the credentials but cannot reach the target (502 to CONNECT): retried, and .NET's message names the proxy URI.
        $proxy = Start-LoopbackServer -Body $body -ProxyAuthorization (Basic 'user' 'secretpw')
        try {
            $envProxy = $noProxy.Clone()
            $envProxy.HTTPS_PROXY = "http://user:secretpw@127.0.0.1:$($proxy.Port)"
            $envProxy.https_proxy = $envProxy.HTTPS_PROXY
            $code = @"
Import-Module '$module'
Get-VerifiedArtifact -Uri 'https://127.0.0.1:9/a.bin' -OutFile '$(Join-Path $TestDrive 'retry.bin')' -Sha256 $sha -NoCache -Verbose -ErrorVariable ev *>&1 | Out-String
foreach (`$e in `$ev) { 'FQID=' + `$e.FullyQualifiedErrorId; `$e.Exception.ToString() }
"@
            $r = Invoke-ChildProcess -FilePath $shell -ArgumentList @('-NoProfile', '-NonInteractive', '-Command', $code) -Environment $envProxy
        }
        finally { Stop-LoopbackServer $proxy }
        $r.Text | Should -Match 'Attempt 1 failed'
        $r.Text | Should -Match 'FQID=DownloadFailed,SecureInstall\.Commands\.GetVerifiedArtifactCommand'
        $r.Text | Should -Not -Match 'secretpw'
    }
}
