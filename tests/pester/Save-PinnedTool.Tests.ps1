#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../SecureInstall.psd1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $isWin = [System.IO.Path]::DirectorySeparatorChar -eq '\'
    $platform = if ($isWin) { 'windows-x64' } else { 'linux-x64' }
}

AfterAll { $env:SECUREINSTALL_HOME = $null }

Describe 'Save-PinnedTool' {
    BeforeEach {
        $ws = New-Workspace
        $m = Join-Path $ws 'secureinstall.yml'
    }

    It 'writes verified artifacts by digest, the manifest, the lock and a SHA256SUMS over the bundle' {
        $null = Install-PinnedTool -Manifest $m -Platform $platform
        $bundle = Join-Path $ws 'bundle'
        $saved = Save-PinnedTool -Manifest $m -Path $bundle -Platform all
        $saved | Should -BeOfType ([SecureInstall.Core.Install.BundledArtifact])
        @($saved).Count | Should -Be 2 -Because 'the unix and windows archives are distinct artifacts'
        foreach ($a in $saved) { Test-Path (Join-Path $bundle "artifacts/$($a.Sha256)") | Should -BeTrue }
        Test-Path (Join-Path $bundle 'secureinstall.yml') | Should -BeTrue
        Test-Path (Join-Path $bundle 'secureinstall.lock.json') | Should -BeTrue
        @(Test-Checksum -ChecksumFile (Join-Path $bundle 'SHA256SUMS') | Where-Object IsValid).Count | Should -Be 2
    }

    It 'lets another machine install from the bundle with no network and the original artifacts gone' {
        $bundle = Join-Path $ws 'bundle'
        $null = Save-PinnedTool -Manifest $m -Path $bundle -Platform $platform
        Remove-Item -Recurse -Force (Join-Path $ws 'dist')
        $env:SECUREINSTALL_HOME = Join-Path $ws 'other-machine'
        $r = Install-PinnedTool -Manifest (Join-Path $bundle 'secureinstall.yml') -Source $bundle -Platform $platform
        $r.Status | Should -Be 'Installed'
        $r.Path | Should -BeLike (Join-Path $ws 'other-machine*')
    }

    It 'refuses to install from a bundle that lacks the artifact' {
        $bundle = Join-Path $ws 'empty-bundle'
        $null = New-Item -ItemType Directory -Path $bundle
        { Install-PinnedTool -Manifest $m -Source $bundle -Platform $platform -ErrorAction Stop } | Should -Throw -ErrorId 'NotInBundle,SecureInstall.Commands.InstallPinnedToolCommand'
    }

    It 'writes nothing with -WhatIf' {
        Save-PinnedTool -Manifest $m -Path (Join-Path $ws 'bundle') -WhatIf
        Test-Path (Join-Path $ws 'bundle') | Should -BeFalse
    }
}

Describe 'Update-PinnedToolManifest' {
    BeforeEach {
        $ws = New-TestFolder
        $m = Join-Path $ws 'tools.yml'
        $old = '1' * 64
        [System.IO.File]::WriteAllText($m, @"
# build tools
tools:
  tool:
    default_version: "1.2.0"   # bump with care
    checksums_url: https://e.test/tool/{version}/SHA256SUMS
    versions:
      "1.2.0":
        url: https://e.test/tool/1.2.0/tool-1.2.0.tar.gz
        sha256: $old
"@)
        $list = Join-Path $ws 'SHA256SUMS'
    }

    It 'pins the new version from the publisher list, keeping comments, and honours -SetDefault' {
        [System.IO.File]::WriteAllText($list, "$('3' * 64)  tool-1.3.0.tar.gz`n")
        $u = Update-PinnedToolManifest -Manifest $m -Name tool -Version 1.3.0 -ChecksumUri $list -SetDefault -WarningAction SilentlyContinue
        $u.Change | Should -BeExactly 'added'
        $text = Get-Content -Raw $m
        $text | Should -Match '# bump with care'
        $text | Should -Match 'tool-1\.3\.0\.tar\.gz'
        $text | Should -Match ('3' * 64)
        $text | Should -Match 'default_version: "1\.3\.0"'
    }

    It 'refuses a changed digest for a pinned version, then re-pins with -Force and a recorded -Reason' {
        [System.IO.File]::WriteAllText($list, "$('4' * 64)  tool-1.2.0.tar.gz`n")
        $null = Update-PinnedToolManifest -Manifest $m -Name tool -Version 1.2.0 -ChecksumUri $list -ErrorVariable ev -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -BeExactly 'PinnedDigestChanged,SecureInstall.Commands.UpdatePinnedToolManifestCommand'
        $ev[0].CategoryInfo.Category | Should -Be 'SecurityError'
        (Get-Content -Raw $m) | Should -Match $old
        { Update-PinnedToolManifest -Manifest $m -Name tool -Version 1.2.0 -ChecksumUri $list -Force } | Should -Throw -ErrorId 'ReasonRequired,SecureInstall.Commands.UpdatePinnedToolManifestCommand'
        $u = Update-PinnedToolManifest -Manifest $m -Name tool -Version 1.2.0 -ChecksumUri $list -Force -Reason 'rebuilt upstream' -WarningAction SilentlyContinue
        $u.Change | Should -BeExactly 're-pinned'
        (Get-Content -Raw $m) | Should -Match 'rebuilt upstream'
    }

    It 'changes nothing with -WhatIf' {
        [System.IO.File]::WriteAllText($list, "$('3' * 64)  tool-1.3.0.tar.gz`n")
        $before = Get-FileHash $m
        $null = Update-PinnedToolManifest -Manifest $m -Name tool -Version 1.3.0 -ChecksumUri $list -WhatIf -WarningAction SilentlyContinue
        (Get-FileHash $m).Hash | Should -BeExactly $before.Hash
    }
}

Describe 'Save-PinnedTool to an OCI image layout and an OCI registry (issue 20)' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'RegistryHelpers.ps1')
        $skipRegistry = Get-TestRegistrySkipReason
        if (-not $skipRegistry) { $registry = Start-TestRegistry }
    }
    AfterAll { if ($registry) { Stop-TestRegistry $registry } }
    BeforeEach {
        $ws = New-Workspace
        $m = Join-Path $ws 'secureinstall.yml'
    }

    It 'writes the bundle folder as an OCI image layout too, which -Registry -RegistryOnly installs from with the originals gone' {
        $bundle = Join-Path $ws 'bundle'
        $saved = Save-PinnedTool -Manifest $m -Destination $bundle -Platform $platform
        Test-Path (Join-Path $bundle 'oci-layout') | Should -BeTrue
        $index = Get-Content -Raw (Join-Path $bundle 'index.json') | ConvertFrom-Json
        $index.manifests[0].artifactType | Should -BeExactly 'application/vnd.secureinstall.tools.v1+json'
        Test-Path (Join-Path $bundle "blobs/sha256/$($saved.Sha256)") | Should -BeTrue
        if (Test-Path /usr/bin/skopeo) {
            $raw = & /usr/bin/skopeo inspect --raw "oci:${bundle}:latest"
            $LASTEXITCODE | Should -Be 0
            ($raw | Out-String) | Should -Match ([regex]::Escape("artifacts/$($saved.Sha256)/"))
        }
        Remove-Item -Recurse -Force (Join-Path $ws 'dist')
        $env:SECUREINSTALL_HOME = Join-Path $ws 'fleet-machine'
        $r = Install-PinnedTool -Manifest $m -Registry $bundle -RegistryOnly -Platform $platform -Verbose 4>&1
        ($r | Where-Object { $_ -is [SecureInstall.Core.Install.InstallResult] }).Status | Should -Be 'Installed'
        ($r | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | Out-String) | Should -Match 'blobs/sha256'
    }

    It 'pushes to docker-registry with -RegistryCredential over TLS; a second push uploads nothing; a fleet machine installs with -RegistryOnly' {
        if ($skipRegistry) { Set-ItResult -Skipped -Because $skipRegistry; return }
        $ref = "oci://$($registry.Host)/tools/sample:v1"
        $push = Invoke-RegistryPwsh $registry "Save-PinnedTool -Manifest '$m' -Destination '$ref' -Platform all -RegistryCredential `$cred | ForEach-Object { '{0}|{1}|{2}|{3}' -f `$_.GetType().FullName, `$_.BlobsUploaded, `$_.BytesUploaded, `$_.Digest }"
        $push.ExitCode | Should -Be 0 -Because $push.Text
        $first = $push.Out.Trim().Split('|')
        $first[0] | Should -BeExactly 'SecureInstall.Core.Registries.RegistryPushResult'
        [int]$first[1] | Should -BeGreaterThan 2
        $again = Invoke-RegistryPwsh $registry "Save-PinnedTool -Manifest '$m' -Destination '$ref' -Platform all -RegistryCredential `$cred | ForEach-Object { '{0}|{1}|{2}' -f `$_.BlobsUploaded, `$_.BytesUploaded, `$_.Digest }"
        $again.Out.Trim() | Should -BeExactly "0|0|$($first[3])"

        $raw = & /usr/bin/skopeo inspect --raw --creds "$($registry.User):$($registry.Password)" --cert-dir $registry.CertDirectory "docker://$($registry.Host)/tools/sample:v1"
        $LASTEXITCODE | Should -Be 0
        ($raw | ConvertFrom-Json).artifactType | Should -BeExactly 'application/vnd.secureinstall.tools.v1+json'

        Remove-Item -Recurse -Force (Join-Path $ws 'dist')
        $install = Invoke-RegistryPwsh $registry "(Install-PinnedTool -Manifest '$m' -Registry 'oci://$($registry.Host)/tools/sample' -RegistryOnly -RegistryCredential `$cred -Platform $platform).Status"
        $install.ExitCode | Should -Be 0 -Because $install.Text
        $install.Out.Trim() | Should -Match '^(Installed\s*)+$'
    }

    It 'reports a refused password as RegistryAuthenticationFailed, with the password nowhere in the output' {
        if ($skipRegistry) { Set-ItResult -Skipped -Because $skipRegistry; return }
        $r = Invoke-RegistryPwsh $registry "`$bad = [pscredential]::new('$($registry.User)', (ConvertTo-SecureString 'not-the-password' -AsPlainText -Force)); Save-PinnedTool -Manifest '$m' -Destination 'oci://$($registry.Host)/tools/sample:v2' -RegistryCredential `$bad -ErrorVariable ev -ErrorAction SilentlyContinue; `$ev[0].FullyQualifiedErrorId; `$ev[0].CategoryInfo.Category"
        $r.Out | Should -Match 'RegistryAuthenticationFailed,SecureInstall.Commands.SavePinnedToolCommand'
        $r.Out | Should -Match 'AuthenticationError'
        $r.Text | Should -Not -Match 'not-the-password'
    }

    It 'secureinstall push and install --registry-only do the same from bash, with the password from an environment variable' {
        if ($skipRegistry) { Set-ItResult -Skipped -Because $skipRegistry; return }
        $ref = "oci://$($registry.Host)/tools/cli:v1"
        $push = Invoke-RegistryCli $registry @('push', '--manifest', $m, '--to', $ref, '--registry-user', $registry.User, '--password-env', 'REGISTRY_PASSWORD') @{ REGISTRY_PASSWORD = $registry.Password }
        $push.ExitCode | Should -Be 0 -Because $push.Text
        $push.Out | Should -Match 'sha256:[0-9a-f]{64}'
        $push.Text | Should -Not -Match ([regex]::Escape($registry.Password))
        Remove-Item -Recurse -Force (Join-Path $ws 'dist')
        $install = Invoke-RegistryCli $registry @('install', '--manifest', $m, '--platform', $platform, '--registry', "oci://$($registry.Host)/tools/cli", '--registry-only', '--registry-user', $registry.User, '--password-env', 'REGISTRY_PASSWORD') @{ REGISTRY_PASSWORD = $registry.Password }
        $install.ExitCode | Should -Be 0 -Because $install.Text
        $refused = Invoke-RegistryCli $registry @('install', '--manifest', $m, '--platform', $platform, '--registry', "oci://$($registry.Host)/tools/cli", '--registry-only', '--registry-user', $registry.User, '--password-env', 'REGISTRY_PASSWORD') @{ REGISTRY_PASSWORD = 'wrong' }
        $refused.ExitCode | Should -Be 2
        $refused.Err | Should -Match 'secureinstall: RegistryAuthenticationFailed:'
    }

    It 'secureinstall push takes the password from stdin (--password-stdin), as docker login does, and never prints it' {
        if ($skipRegistry) { Set-ItResult -Skipped -Because $skipRegistry; return }
        $ref = "oci://$($registry.Host)/tools/stdin:v1"
        $run = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        $pipeline = "printf '%s\n' `"`$REGISTRY_PASSWORD`" | dotnet '$(Get-CliPath)' push --manifest '$m' --to '$ref' --registry-user '$($registry.User)' --password-stdin"
        $push = Invoke-ChildProcess -FilePath 'bash' -ArgumentList @('-c', $pipeline) -TimeoutSeconds 180 -Environment @{
            SSL_CERT_FILE = $registry.CaPem; SECUREINSTALL_HOME = (Join-Path $run 'home'); SECUREINSTALL_CACHE = (Join-Path $run 'cache')
            SECUREINSTALL_MIRRORS = (Join-Path $run 'no-mirrors.json'); DOCKER_CONFIG = (Join-Path $run 'docker'); REGISTRY_PASSWORD = $registry.Password }
        $push.ExitCode | Should -Be 0 -Because $push.Text
        $push.Out | Should -Match 'sha256:[0-9a-f]{64}'
        $push.Text | Should -Not -Match ([regex]::Escape($registry.Password))
    }
}

Describe 'A registry without TLS, with -AllowInsecureTransport (issue 20)' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'RegistryHelpers.ps1')
        $skipRegistry = Get-TestRegistrySkipReason
        if (-not $skipRegistry) { $registry = Start-TestRegistry -PlainHttp }
        # mirrors.json marks a plain-HTTP registry itself; its credential comes from the Docker config, as a fleet machine's does.
        function New-PlainHttpMirrors([string]$Folder, [string]$Repository) {
            $mirrors = Join-Path $Folder 'mirrors.json'
            [IO.File]::WriteAllText($mirrors, "{`"mirrors`": [{`"registry`": `"oci://$($registry.Host)/$Repository`", `"plainHttp`": true}]}")
            $docker = Join-Path $Folder 'docker'
            $null = New-Item -ItemType Directory -Path $docker -Force
            $auth = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes("$($registry.User):$($registry.Password)"))
            [IO.File]::WriteAllText((Join-Path $docker 'config.json'), "{`"auths`": {`"$($registry.Host)`": {`"auth`": `"$auth`"}}}")
            @{ SECUREINSTALL_MIRRORS = $mirrors; DOCKER_CONFIG = $docker }
        }
    }
    AfterAll { if ($registry) { Stop-TestRegistry $registry } }
    BeforeEach {
        $ws = New-Workspace
        $m = Join-Path $ws 'secureinstall.yml'
    }

    It 'pushes and installs over plain HTTP with the switch; without it the push fails on TLS and says which switch speaks plain HTTP' {
        if ($skipRegistry) { Set-ItResult -Skipped -Because $skipRegistry; return }
        $ref = "oci://$($registry.Host)/tools/plain:v1"
        $refused = Invoke-RegistryPwsh $registry "Save-PinnedTool -Manifest '$m' -Destination '$ref' -Platform all -RegistryCredential `$cred -ErrorVariable ev -ErrorAction SilentlyContinue; `$ev[0].FullyQualifiedErrorId; `$ev[0].Exception.Message"
        $refused.Out | Should -Match 'RegistryRequestFailed,SecureInstall.Commands.SavePinnedToolCommand'
        $refused.Out | Should -Match ([regex]::Escape("https://$($registry.Host)/v2/"))
        $refused.Out | Should -Match 'plain HTTP, give -AllowInsecureTransport'

        $push = Invoke-RegistryPwsh $registry "Save-PinnedTool -Manifest '$m' -Destination '$ref' -Platform all -RegistryCredential `$cred -AllowInsecureTransport -Verbose 4>&1 | ForEach-Object { if (`$_ -is [System.Management.Automation.VerboseRecord]) { 'VERBOSE: ' + `$_.Message } else { 'PUSHED|{0}|{1}' -f `$_.BlobsUploaded, `$_.Digest } }"
        $push.ExitCode | Should -Be 0 -Because $push.Text
        $push.Out | Should -Match 'PUSHED\|[3-9]\|sha256:[0-9a-f]{64}'
        $push.Out | Should -Match 'VERBOSE: -AllowInsecureTransport: http:// URIs are fetched'
        $push.Out | Should -Match "VERBOSE: The registry $([regex]::Escape($registry.Host)) is spoken to over plain HTTP"
        $push.Text | Should -Not -Match ([regex]::Escape($registry.Password))

        Remove-Item -Recurse -Force (Join-Path $ws 'dist')
        $install = Invoke-RegistryPwsh $registry "(Install-PinnedTool -Manifest '$m' -Registry 'oci://$($registry.Host)/tools/plain' -RegistryOnly -AllowInsecureTransport -RegistryCredential `$cred -Platform $platform).Status"
        $install.ExitCode | Should -Be 0 -Because $install.Text
        $install.Out.Trim() | Should -Match '^(Installed\s*)+$'
    }

    It 'refuses a mirrors.json "plainHttp" registry without the switch (InsecureTransport, naming it), in Install-PinnedTool and Get-VerifiedArtifact, and uses it with the switch' {
        if ($skipRegistry) { Set-ItResult -Skipped -Because $skipRegistry; return }
        $push = Invoke-RegistryPwsh $registry "Save-PinnedTool -Manifest '$m' -Destination 'oci://$($registry.Host)/tools/mirrored:v1' -Platform all -RegistryCredential `$cred -AllowInsecureTransport | Out-Null"
        $push.ExitCode | Should -Be 0 -Because $push.Text
        $file = Join-Path $ws 'dist/hello-1.0.0-unix.tar.gz'
        $artifact = @{ url = [System.Uri]::new($file).AbsoluteUri; sha256 = Get-Sha256 $file }
        Remove-Item -Recurse -Force (Join-Path $ws 'dist')
        $extra = New-PlainHttpMirrors $ws 'tools/mirrored'
        $named = [regex]::Escape("The registry oci://$($registry.Host)/tools/mirrored is plain HTTP (`"plainHttp`": true in $($extra.SECUREINSTALL_MIRRORS))")

        $refused = Invoke-RegistryPwsh $registry "Install-PinnedTool -Manifest '$m' -RegistryOnly -Platform $platform -ErrorVariable ev -ErrorAction SilentlyContinue; `$ev[0].FullyQualifiedErrorId; `$ev[0].CategoryInfo.Category; `$ev[0].Exception.Message" $extra
        $refused.Out | Should -Match 'InsecureTransport,SecureInstall.Commands.InstallPinnedToolCommand'
        $refused.Out | Should -Match 'SecurityError'
        $refused.Out | Should -Match $named
        Test-Path (Join-Path $ws 'home') | Should -BeFalse -Because 'the child installs under its own SECUREINSTALL_HOME, and nothing was placed'

        $dest = Join-Path $ws 'fetched.tgz'
        $gva = "Get-VerifiedArtifact -Uri '$($artifact.url)' -Destination '$dest' -Sha256 $($artifact.sha256) -NoCache"
        $refusedGet = Invoke-RegistryPwsh $registry "$gva -ErrorVariable ev -ErrorAction SilentlyContinue; `$ev[0].FullyQualifiedErrorId; `$ev[0].Exception.Message" $extra
        $refusedGet.Out | Should -Match 'InsecureTransport,SecureInstall.Commands.GetVerifiedArtifactCommand'
        $refusedGet.Out | Should -Match $named
        Test-Path $dest | Should -BeFalse

        $fetched = Invoke-RegistryPwsh $registry "($gva -AllowInsecureTransport -Verbose 4>&1 | Where-Object { `$_ -is [System.Management.Automation.VerboseRecord] }).Message" $extra
        $fetched.ExitCode | Should -Be 0 -Because $fetched.Text
        $fetched.Out | Should -Match ([regex]::Escape("Trying the registry oci://$($registry.Host)/tools/mirrored (plain HTTP) first: http://$($registry.Host)/v2/tools/mirrored/blobs/sha256:$($artifact.sha256)"))
        Get-Sha256 $dest | Should -BeExactly $artifact.sha256
    }

    It 'secureinstall push and install --registry-only take --allow-insecure-transport; a mirrors.json "plainHttp" registry without it is InsecureTransport (exit 1)' {
        if ($skipRegistry) { Set-ItResult -Skipped -Because $skipRegistry; return }
        $ref = "oci://$($registry.Host)/tools/plaincli:v1"
        $push = Invoke-RegistryCli $registry @('push', '--manifest', $m, '--to', $ref, '--allow-insecure-transport', '--registry-user', $registry.User, '--password-env', 'REGISTRY_PASSWORD') @{ REGISTRY_PASSWORD = $registry.Password }
        $push.ExitCode | Should -Be 0 -Because $push.Text
        $push.Err | Should -Match 'secureinstall: warning: --allow-insecure-transport: http:// URIs are fetched'
        $push.Out | Should -Match 'sha256:[0-9a-f]{64}'
        Remove-Item -Recurse -Force (Join-Path $ws 'dist')
        $install = Invoke-RegistryCli $registry @('install', '--manifest', $m, '--platform', $platform, '--registry', "oci://$($registry.Host)/tools/plaincli", '--registry-only', '--allow-insecure-transport', '--registry-user', $registry.User, '--password-env', 'REGISTRY_PASSWORD') @{ REGISTRY_PASSWORD = $registry.Password }
        $install.ExitCode | Should -Be 0 -Because $install.Text
        $extra = New-PlainHttpMirrors $ws 'tools/plaincli'
        $refused = Invoke-RegistryCli $registry @('install', '--manifest', $m, '--platform', $platform, '--registry-only') $extra
        $refused.ExitCode | Should -Be 1 -Because $refused.Text
        $refused.Err | Should -Match "secureinstall: InsecureTransport: .*The registry oci://$([regex]::Escape($registry.Host))/tools/plaincli is plain HTTP"
    }
}

Describe 'Registry credentials from a Docker credential helper: credsStore and credHelpers (issue 20)' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'RegistryHelpers.ps1')
        # The real helper docker-credential-pass (Debian golang-docker-credential-helpers) over pass and gpg, in a GNUPGHOME
        # and password store of this test's own; .ci/run installs them.
        $skipHelper = Get-TestRegistrySkipReason
        foreach ($tool in '/usr/bin/docker-credential-pass', '/usr/bin/pass', '/usr/bin/gpg') {
            if (-not $skipHelper -and -not (Test-Path -LiteralPath $tool)) { $skipHelper = "needs $tool (Debian golang-docker-credential-helpers, pass, gpg; .ci/run installs them)" }
        }
        if (-not $skipHelper) {
            $registry = Start-TestRegistry
            $gnupg = Join-Path $TestDrive 'gnupg'
            $null = New-Item -ItemType Directory -Path $gnupg
            & chmod 700 $gnupg
            $helperEnvironment = @{ GNUPGHOME = $gnupg; PASSWORD_STORE_DIR = (Join-Path $TestDrive 'password-store') }
            $gpg = Invoke-ChildProcess -FilePath '/usr/bin/gpg' -ArgumentList @('--batch', '--pinentry-mode', 'loopback', '--passphrase', '', '--quick-gen-key', 'SecureInstall test <test@secureinstall.invalid>', 'rsa2048', 'encrypt', 'never') -Environment $helperEnvironment
            if ($gpg.ExitCode -ne 0) { throw "gpg --quick-gen-key failed: $($gpg.Text)" }
            $keys = Invoke-ChildProcess -FilePath '/usr/bin/gpg' -ArgumentList @('--list-keys', '--with-colons') -Environment $helperEnvironment
            $fingerprint = @($keys.Out -split "`n" | Where-Object { $_ -like 'fpr:*' })[0].Split(':')[9]
            $init = Invoke-ChildProcess -FilePath '/usr/bin/pass' -ArgumentList @('init', $fingerprint) -Environment $helperEnvironment
            if ($init.ExitCode -ne 0) { throw "pass init failed: $($init.Text)" }
            $entry = '{"ServerURL":"' + $registry.Host + '","Username":"' + $registry.User + '","Secret":"' + $registry.Password + '"}'
            $store = Invoke-ChildProcess -FilePath '/bin/sh' -ArgumentList @('-c', 'printf %s "$1" | /usr/bin/docker-credential-pass store', 'sh', $entry) -Environment $helperEnvironment
            if ($store.ExitCode -ne 0) { throw "docker-credential-pass store failed: $($store.Text)" }
            # A second store, initialised with the same key and holding nothing.
            $emptyStore = @{ GNUPGHOME = $gnupg; PASSWORD_STORE_DIR = (Join-Path $TestDrive 'password-store-empty') }
            $null = Invoke-ChildProcess -FilePath '/usr/bin/pass' -ArgumentList @('init', $fingerprint) -Environment $emptyStore
        }
        function New-DockerConfig([string]$Json) {
            $docker = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
            $null = New-Item -ItemType Directory -Path $docker
            [IO.File]::WriteAllText((Join-Path $docker 'config.json'), $Json)
            $environment = $helperEnvironment.Clone()
            $environment['DOCKER_CONFIG'] = $docker
            $environment
        }
    }
    AfterAll {
        if ($registry) { Stop-TestRegistry $registry }
        if ($helperEnvironment) { $null = Invoke-ChildProcess -FilePath 'gpgconf' -ArgumentList @('--kill', 'gpg-agent') -Environment $helperEnvironment }
    }
    BeforeEach {
        $ws = New-Workspace
        $m = Join-Path $ws 'secureinstall.yml'
    }

    It 'pushes and installs with the password docker-credential-pass holds (credsStore), never printing it' {
        if ($skipHelper) { Set-ItResult -Skipped -Because $skipHelper; return }
        $extra = New-DockerConfig '{"credsStore": "pass"}'
        $ref = "oci://$($registry.Host)/tools/helper:v1"
        $push = Invoke-RegistryPwsh $registry "Save-PinnedTool -Manifest '$m' -Destination '$ref' -Platform all -Verbose 4>&1 | ForEach-Object { if (`$_ -is [System.Management.Automation.VerboseRecord]) { 'VERBOSE: ' + `$_.Message } else { 'PUSHED|{0}' -f `$_.Digest } }" $extra
        $push.ExitCode | Should -Be 0 -Because $push.Text
        $push.Out | Should -Match 'PUSHED\|sha256:[0-9a-f]{64}'
        $push.Out | Should -Match "VERBOSE: Asking the Docker credential helper docker-credential-pass \(from .*config\.json\) for $([regex]::Escape($registry.Host))"
        $push.Out | Should -Match 'asks for Basic authentication; using fleet \(from docker-credential-pass'
        $push.Text | Should -Not -Match ([regex]::Escape($registry.Password))

        Remove-Item -Recurse -Force (Join-Path $ws 'dist')
        $install = Invoke-RegistryCli $registry @('install', '--manifest', $m, '--platform', $platform, '--registry', "oci://$($registry.Host)/tools/helper", '--registry-only') $extra
        $install.ExitCode | Should -Be 0 -Because $install.Text
        $install.Text | Should -Not -Match ([regex]::Escape($registry.Password))
    }

    It 'takes credHelpers[host] before credsStore and auths (a missing helper is RegistryCredentialHelperFailed), and a helper holding nothing means anonymous' {
        if ($skipHelper) { Set-ItResult -Skipped -Because $skipHelper; return }
        $auth = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes("$($registry.User):$($registry.Password)"))
        $missing = New-DockerConfig ('{"credHelpers": {"' + $registry.Host + '": "secureinstall-missing"}, "credsStore": "pass", "auths": {"' + $registry.Host + '": {"auth": "' + $auth + '"}}}')
        $r = Invoke-RegistryPwsh $registry "Save-PinnedTool -Manifest '$m' -Destination 'oci://$($registry.Host)/tools/helper2:v1' -ErrorVariable ev -ErrorAction SilentlyContinue; `$ev[0].FullyQualifiedErrorId; `$ev[0].CategoryInfo.Category; `$ev[0].Exception.Message" $missing
        $r.Out | Should -Match 'RegistryCredentialHelperFailed,SecureInstall.Commands.SavePinnedToolCommand'
        $r.Out | Should -Match 'AuthenticationError'
        $r.Out | Should -Match 'docker-credential-secureinstall-missing cannot be run'

        # credHelpers for this host wins over a credsStore that would fail: pass holds the password.
        $helperWins = New-DockerConfig ('{"credHelpers": {"' + $registry.Host + '": "pass"}, "credsStore": "secureinstall-missing"}')
        $ok = Invoke-RegistryPwsh $registry "(Save-PinnedTool -Manifest '$m' -Destination 'oci://$($registry.Host)/tools/helper2:v1').Digest" $helperWins
        $ok.ExitCode | Should -Be 0 -Because $ok.Text
        $ok.Out | Should -Match 'sha256:[0-9a-f]{64}'

        # A store holding nothing for the host: anonymous, as docker does, and auths (which holds the password) is not read.
        $nothing = New-DockerConfig ('{"credsStore": "pass", "auths": {"' + $registry.Host + '": {"auth": "' + $auth + '"}}}')
        $nothing['PASSWORD_STORE_DIR'] = $emptyStore.PASSWORD_STORE_DIR
        $anonymous = Invoke-RegistryCli $registry @('push', '--manifest', $m, '--to', "oci://$($registry.Host)/tools/helper3:v1") $nothing
        $anonymous.ExitCode | Should -Be 2 -Because $anonymous.Text
        $anonymous.Err | Should -Match 'secureinstall: RegistryAuthenticationFailed: .*none was given'
        $anonymous.Err | Should -Match 'docker-credential-pass holds no credentials'
    }
}

Describe 'Save-PinnedTool carries the manifest''s modules; a fleet machine installs them with the feed gone (issues 20, 22)' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'RegistryHelpers.ps1')
        $skipRegistry = Get-TestRegistrySkipReason
        if (-not $skipRegistry) { $registry = Start-TestRegistry }
        # A loopback NuGet v3 feed holding Greeter 1.2.0, which depends on Helper 1.0.0; the manifest pins both beside the sample tools.
        $feed = Start-ModuleFeed
        $helperPin = Publish-ModulePackage -Feed $feed -Id 'Helper' -Version '1.0.0' -Bytes (New-ModulePackage 'Helper' '1.0.0')
        $greeterPin = Publish-ModulePackage -Feed $feed -Id 'Greeter' -Version '1.2.0' -Bytes (New-ModulePackage 'Greeter' '1.2.0' -Dependencies @{ Helper = '[1.0.0]' })
        $greeterHex = Get-Sha512Hex $feed.Packages['Greeter 1.2.0']
        $helperHex = Get-Sha512Hex $feed.Packages['Helper 1.0.0']
        $ws = New-Workspace
        $m = Join-Path $ws 'secureinstall.yml'
        [IO.File]::AppendAllText($m, "modules:`n$greeterPin$helperPin")
        # The children trust the feed's certificate and the registry's test CA (SSL_CERT_FILE is one file).
        $trust = Join-Path $TestDrive 'trust.pem'
        [IO.File]::WriteAllText($trust, [IO.File]::ReadAllText($feed.Pem) + $(if ($registry) { [IO.File]::ReadAllText($registry.CaPem) } else { '' }))
        $trusting = @{ SSL_CERT_FILE = $trust }
        # "Another machine": its own folder with a copy of the manifest (so its own lock), its own module path, home and cache.
        function New-FleetMachine {
            $machine = New-TestFolder
            Copy-Item -LiteralPath $m -Destination $machine
            [pscustomobject]@{ Manifest = (Join-Path $machine 'secureinstall.yml'); ModulePath = (Join-Path $machine 'Modules'); Folder = $machine }
        }
    }
    AfterAll {
        if ($registry) { Stop-TestRegistry $registry }
        Stop-LoopbackServer $feed.Server
    }

    It 'writes each module''s .nupkg into the folder and its image layout as a sha512 blob, whatever -Platform says; -Registry FOLDER -RegistryOnly installs it' {
        $bundle = Join-Path $ws 'bundle'
        $save = Invoke-ChildProcess -FilePath (Get-Process -Id $PID).Path -Environment @{ SSL_CERT_FILE = $feed.Pem; SECUREINSTALL_CACHE = (Join-Path $ws 'cache-save') } -TimeoutSeconds 180 -ArgumentList @(
            '-NoProfile', '-NonInteractive', '-Command', "Import-Module '$((Resolve-Path (Join-Path $PSScriptRoot '../../SecureInstall.psd1')).Path)'; Save-PinnedTool -Manifest '$m' -Destination '$bundle' -Platform $platform | ForEach-Object { `$_.GetType().Name + '|' + `$(if (`$_.Name) { `$_.Name } else { `$_.Tool }) }")
        $save.ExitCode | Should -Be 0 -Because $save.Text
        ($save.Out.Trim() -split '\r?\n') | Should -Be @('BundledArtifact|hello', 'BundledModule|Greeter', 'BundledModule|Helper')
        Test-Path -LiteralPath (Join-Path $bundle "modules/sha512-$greeterHex/greeter.1.2.0.nupkg") | Should -BeTrue
        Test-Path -LiteralPath (Join-Path $bundle "blobs/sha512/$greeterHex") | Should -BeTrue
        Test-Path -LiteralPath (Join-Path $bundle "blobs/sha512/$helperHex") | Should -BeTrue

        $fleet = New-FleetMachine
        $cache = $env:SECUREINSTALL_CACHE
        $env:SECUREINSTALL_CACHE = Join-Path $fleet.Folder 'cache'
        try { $install = Install-PinnedModule -Manifest $fleet.Manifest -ModulePath $fleet.ModulePath -Registry $bundle -RegistryOnly -Verbose 4>&1 }
        finally { $env:SECUREINSTALL_CACHE = $cache }
        @($install | Where-Object { $_ -is [SecureInstall.Core.Modules.ModuleInstallResult] } | ForEach-Object { "$($_.Name) $($_.Status)" }) | Should -Be @('Helper Installed', 'Greeter Installed')
        ($install | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | Out-String) | Should -Match ([regex]::Escape("blobs/sha512/$greeterHex"))
    }

    It 'pushes tools and modules in one image manifest (a .nupkg layer skopeo shows, a sha512 blob); a second push uploads 0 bytes; secureinstall push does the same' {
        if ($skipRegistry) { Set-ItResult -Skipped -Because $skipRegistry; return }
        $script = "Save-PinnedTool -Manifest '$m' -Destination 'oci://$($registry.Host)/tools/fleet:v1' -Platform $platform -RegistryCredential `$cred | ForEach-Object { '{0}|{1}|{2}|{3}' -f `$_.BlobsUploaded, `$_.BytesUploaded, `$_.Digest, ((`$_.Modules | ForEach-Object { `$_.Name + ' ' + `$_.Version }) -join ',') }"
        $push = Invoke-RegistryPwsh $registry $script $trusting
        $push.ExitCode | Should -Be 0 -Because $push.Text
        $first = $push.Out.Trim().Split('|')
        [long]$first[1] | Should -BeGreaterThan ($feed.Packages['Greeter 1.2.0'].Length + $feed.Packages['Helper 1.0.0'].Length)
        $first[3] | Should -BeExactly 'Greeter 1.2.0,Helper 1.0.0'
        $again = Invoke-RegistryPwsh $registry $script $trusting
        $again.Out.Trim() | Should -BeExactly "0|0|$($first[2])|Greeter 1.2.0,Helper 1.0.0"

        $raw = & /usr/bin/skopeo inspect --raw --creds "$($registry.User):$($registry.Password)" --cert-dir $registry.CertDirectory "docker://$($registry.Host)/tools/fleet:v1"
        $LASTEXITCODE | Should -Be 0
        $layers = ($raw | ConvertFrom-Json).layers
        $greeter = @($layers | Where-Object { $_.digest -eq "sha512:$greeterHex" })
        $greeter.Count | Should -Be 1
        $greeter[0].annotations.'org.opencontainers.image.title' | Should -BeExactly "modules/sha512-$greeterHex/greeter.1.2.0.nupkg"
        $greeter[0].mediaType | Should -BeExactly 'application/vnd.oci.image.layer.v1.tar'
        @($layers | Where-Object { $_.annotations.'org.opencontainers.image.title' -like 'artifacts/*' }).Count | Should -Be 1 -Because "-Platform $platform narrows the tools, not the modules"

        $cli = Invoke-RegistryCli $registry @('push', '--manifest', $m, '--to', "oci://$($registry.Host)/tools/fleet-cli:v1", '--platform', $platform, '--registry-user', $registry.User, '--password-env', 'REGISTRY_PASSWORD') @{ REGISTRY_PASSWORD = $registry.Password; SSL_CERT_FILE = $trust }
        $cli.ExitCode | Should -Be 0 -Because $cli.Text
        $cli.Out | Should -Match ([regex]::Escape("Greeter 1.2.0: pushed as sha512:$greeterHex"))
    }

    It 'installs the modules on a fleet machine from the registry alone, with Install-PinnedModule -RegistryOnly and install-module --registry-only, while the feed is down' {
        if ($skipRegistry) { Set-ItResult -Skipped -Because $skipRegistry; return }
        Stop-LoopbackServer $feed.Server
        $fleet = New-FleetMachine
        $install = Invoke-RegistryPwsh $registry "Install-PinnedModule -Manifest '$($fleet.Manifest)' -ModulePath '$($fleet.ModulePath)' -Registry 'oci://$($registry.Host)/tools/fleet' -RegistryOnly -RegistryCredential `$cred | ForEach-Object { `$_.Name + ' ' + `$_.Status }"
        $install.ExitCode | Should -Be 0 -Because $install.Text
        ($install.Out.Trim() -split '\r?\n') | Should -Be @('Helper Installed', 'Greeter Installed')
        $import = "`$env:PSModulePath = '$($fleet.ModulePath)' + [IO.Path]::PathSeparator + `$env:PSModulePath; Import-Module Greeter -RequiredVersion 1.2.0 -ErrorAction Stop; Get-Greeter; Get-Helper"
        $child = Invoke-ChildProcess -FilePath (Get-Process -Id $PID).Path -ArgumentList @('-NoProfile', '-NonInteractive', '-Command', $import)
        ($child.Out.Trim() -split '\r?\n') | Should -Be @('Greeter 1.2.0', 'Helper 1.0.0') -Because $child.Text
        (Get-Content -Raw -LiteralPath (Join-Path $fleet.Folder 'secureinstall.lock.json') | ConvertFrom-Json).modules.Greeter.'1.2.0'.sha512 | Should -BeExactly $greeterHex

        $cliMachine = New-FleetMachine
        $cli = Invoke-RegistryCli $registry @('install-module', '--manifest', $cliMachine.Manifest, '--module-path', $cliMachine.ModulePath, '--registry', "oci://$($registry.Host)/tools/fleet-cli", '--registry-only', '--registry-user', $registry.User, '--password-env', 'REGISTRY_PASSWORD') @{ REGISTRY_PASSWORD = $registry.Password }
        $cli.ExitCode | Should -Be 0 -Because $cli.Text
        $cli.Out | Should -Match 'Greeter 1\.2\.0: installed to .*; sha512 [0-9a-f]{128} verified'
        Test-Path -LiteralPath (Join-Path $cliMachine.ModulePath 'Helper/1.0.0/Helper.psd1') | Should -BeTrue
    }

    It 'refuses a registry serving other bytes under a module''s digest: ChecksumMismatch, nothing installed, no lock' {
        if ($skipRegistry) { Set-ItResult -Skipped -Because $skipRegistry; return }
        # The registry keeps every blob under its sha256; other bytes of the same length put there behind its back.
        $bytes = $feed.Packages['Greeter 1.2.0']
        $sha256 = Get-Sha256Hex $bytes
        $data = Join-Path $registry.Directory "data/docker/registry/v2/blobs/sha256/$($sha256.Substring(0, 2))/$sha256/data"
        Test-Path -LiteralPath $data | Should -BeTrue
        $other = [byte[]]::new($bytes.Length); [System.Security.Cryptography.RandomNumberGenerator]::Create().GetBytes($other)
        [IO.File]::WriteAllBytes($data, $other)
        try {
            $fleet = New-FleetMachine
            $r = Invoke-RegistryPwsh $registry "Install-PinnedModule -Manifest '$($fleet.Manifest)' -ModulePath '$($fleet.ModulePath)' -Registry 'oci://$($registry.Host)/tools/fleet' -RegistryOnly -RegistryCredential `$cred -ErrorVariable ev -ErrorAction SilentlyContinue; `$ev[0].FullyQualifiedErrorId; `$ev[0].CategoryInfo.Category"
            ($r.Out.Trim() -split '\r?\n') | Should -Be @('ChecksumMismatch,SecureInstall.Commands.InstallPinnedModuleCommand', 'SecurityError') -Because $r.Text
            Test-Path -LiteralPath (Join-Path $fleet.ModulePath 'Greeter') | Should -BeFalse
            Test-Path -LiteralPath (Join-Path $fleet.ModulePath 'Helper') | Should -BeFalse
            Test-Path -LiteralPath (Join-Path $fleet.Folder 'secureinstall.lock.json') | Should -BeFalse
        }
        finally {
            [IO.File]::WriteAllBytes($data, $bytes)
        }
    }
}
