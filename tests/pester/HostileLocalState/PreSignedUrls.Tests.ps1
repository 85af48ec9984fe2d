#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }

# Issue 17 #7: a release URL that redirects to a pre-signed storage URL (X-Amz-Signature=, token=, a URL with
# credentials nested in a query value) must not print that URL's secrets: not in CLI install's default output, not in
# Install-PinnedTool -Verbose, not in Save-PinnedTool -Verbose.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../TestHelpers.psm1') -Force
    $root = Resolve-Path (Join-Path $PSScriptRoot '../../..')
    $module = Join-Path $root 'SecureInstall.psd1'
    $cli = Get-CliPath
    $shell = (Get-Process -Id $PID).Path
    $isWin = [System.IO.Path]::DirectorySeparatorChar -eq '\'
    $artifact = Join-Path $root $(if ($isWin) { 'samples/tools/dist/hello-1.0.0-windows.zip' } else { 'samples/tools/dist/hello-1.0.0-unix.tar.gz' })
    $extension = if ($isWin) { 'zip' } else { 'tar.gz' }
    $bin = if ($isWin) { 'bin/hello.cmd' } else { 'bin/hello' }
    $sha = (Get-FileHash -LiteralPath $artifact).Hash.ToLowerInvariant()
    $secrets = 'secretcred', 'secretsig', 'secrettoken', 'secretpw'

    $pem = Join-Path $TestDrive 'ca.pem'
    $server = Start-LoopbackServer -Certificate (New-LoopbackCertificate -PemPath $pem) -Routes @{}
    $signed = "/storage/hello.$extension" + '?X-Amz-Credential=secretcred&X-Amz-Signature=secretsig&token=secrettoken&redirect=https%3A%2F%2Fuser%3Asecretpw%40idp.example%2Fcb'
    $server.Routes["/releases/hello.$extension"] = @{ Status = 302; Headers = @{ Location = $server.Base + $signed } }
    $server.Routes[$signed] = @{ Body = [System.IO.File]::ReadAllBytes($artifact) }

    $ws = Join-Path $TestDrive 'ws'
    $null = New-Item -ItemType Directory -Path $ws
    $manifest = Join-Path $ws 'secureinstall.yml'
    [System.IO.File]::WriteAllText($manifest, "tools:`n  hello:`n    version: `"1.0.0`"`n    url: $($server.Base)/releases/hello.$extension`n    sha256: $sha`n    strip_components: 1`n    bin: $bin`n")

    # Each run gets its own tool root and cache, so the artifact is downloaded (a cache hit would print no URL).
    function Invoke-Fresh([string]$FilePath, [string[]]$ArgumentList) {
        $run = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        $environment = [hashtable]::new([StringComparer]::Ordinal)
        $environment.SSL_CERT_FILE = $pem
        $environment.SECUREINSTALL_HOME = Join-Path $run 'home'
        $environment.SECUREINSTALL_CACHE = Join-Path $run 'cache'
        $environment.SECUREINSTALL_MIRRORS = Join-Path $run 'no-mirrors.json'
        Invoke-ChildProcess -FilePath $FilePath -ArgumentList $ArgumentList -Environment $environment
    }
}

AfterAll { Stop-LoopbackServer $server }

Describe 'Pre-signed redirect URLs in install output' {
    It 'CliInstall_PrintsTheRedirectTargetWithoutItsSignatureByDefault' {
        $r = Invoke-Fresh 'dotnet' @($cli, 'install', '-m', $manifest)
        $r.ExitCode | Should -Be 0 -Because $r.Text
        $r.Text | Should -Match ([regex]::Escape("/storage/hello.${extension}?X-Amz-Credential=***&X-Amz-Signature=***&token=***"))
        foreach ($s in $secrets) { $r.Text | Should -Not -Match $s }
    }

    It 'InstallPinnedToolVerbose_ShowsNoSignature' {
        $r = Invoke-Fresh $shell @('-NoProfile', '-NonInteractive', '-Command', "Import-Module '$module'; Install-PinnedTool -Manifest '$manifest' -Verbose *>&1 | Out-String -Width 500")
        $r.Text | Should -Match 'Downloaded https://127\.0\.0\.1:\d+/storage/hello'
        foreach ($s in $secrets) { $r.Text | Should -Not -Match $s }
    }

    It 'SavePinnedToolVerbose_ShowsNoSignature' {
        $bundle = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        $r = Invoke-Fresh $shell @('-NoProfile', '-NonInteractive', '-Command', "Import-Module '$module'; Save-PinnedTool -Manifest '$manifest' -Path '$bundle' -Verbose *>&1 | Out-String -Width 500")
        $r.Text | Should -Match 'Bundled hello 1\.0\.0 .* from https://127\.0\.0\.1:\d+/storage/hello'
        foreach ($s in $secrets) { $r.Text | Should -Not -Match $s }
    }
}
