#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../SecureInstall.psd1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $utf8 = New-Object System.Text.UTF8Encoding($false)
    $FQ = ',SecureInstall.Commands.InvokeVerifiedScriptCommand'
    Set-TestEnvironment SECUREINSTALL_CACHE (Join-Path $TestDrive 'cache')
}

AfterAll {
    Restore-TestEnvironment
}

Describe 'Invoke-VerifiedScript' {
    BeforeEach {
        $dir = New-TestFolder
        $marker = Join-Path $dir 'ran.txt'
        $script = Join-Path $dir 'install.ps1'
        # The script proves it ran by writing a marker; its output echoes its arguments.
        $body = "param(`$Name, `$Count)`nSet-Content -LiteralPath '$marker' -Value ran`n`"hello `$Name x`$Count`"`n"
        [System.IO.File]::WriteAllText($script, $body, $utf8)
        $uri = ConvertTo-FileUri $script
        $sha = Get-Sha256 $script
        $pins = Join-Path $dir 'pins/script-pins.json'
    }

    It 'runs exactly the verified script with -ArgumentList and returns its output' {
        $out = Invoke-VerifiedScript -Uri $uri -Sha256 $sha -ArgumentList 'world', 3
        $out | Should -BeExactly 'hello world x3'
        Test-Path -LiteralPath $marker | Should -BeTrue
    }

    It 'a mismatch is ChecksumMismatch (SecurityError) and nothing runs' {
        { Invoke-VerifiedScript -Uri $uri -Sha256 ('0' * 64) -ErrorAction Stop } | Should -Throw -ErrorId "ChecksumMismatch$FQ"
        $ev = $null
        try { Invoke-VerifiedScript -Uri $uri -Sha256 ('0' * 64) -ErrorAction Stop } catch { $ev = $_ }
        $ev.CategoryInfo.Category | Should -Be 'SecurityError'
        Test-Path -LiteralPath $marker | Should -BeFalse
    }

    It 'decodes a UTF-8 BOM script from its verified bytes' {
        $bom = Join-Path $dir 'bom.ps1'
        [System.IO.File]::WriteAllText($bom, "'caf$([char]0xE9)'", (New-Object System.Text.UTF8Encoding($true)))
        Invoke-VerifiedScript (ConvertTo-FileUri $bom) (Get-Sha256 $bom) | Should -BeExactly "caf$([char]0xE9)"
    }

    It '-Inspect returns the VerifiedScript without running it, and its view shows the script' {
        $v = Invoke-VerifiedScript -Uri $uri -Sha256 $sha -Inspect
        $v | Should -BeOfType ([SecureInstall.Core.Scripts.VerifiedScript])
        $v.Sha256 | Should -BeExactly $sha
        $v.Trust | Should -Be 'PinnedDigest'
        $v.Text | Should -BeExactly $body
        Test-Path -LiteralPath $marker | Should -BeFalse
        $text = $v | Out-String -Width 200
        $text | Should -Match "Sha256\s+: $sha"
        $text | Should -Match 'VerifiedBy\s+: -Sha256'
        $text | Should -Match 'Authenticode'
        $text | Should -Match ([regex]::Escape("Set-Content -LiteralPath '$marker'"))
    }

    It '-WhatIf neither runs the script nor writes a pin' {
        Invoke-VerifiedScript -Uri $uri -TrustOnFirstUse -PinStore $pins -WhatIf
        Test-Path -LiteralPath $marker | Should -BeFalse
        Test-Path -LiteralPath $pins | Should -BeFalse
    }

    It 'refuses http:// without -AllowInsecureTransport (InsecureTransport)' {
        { Invoke-VerifiedScript -Uri 'http://127.0.0.1:9/install.ps1' -Sha256 $sha -ErrorAction Stop } | Should -Throw -ErrorId "InsecureTransport$FQ"
    }

    Context '-TrustOnFirstUse' {
        It 'pins on first use (warning, JSON entry, copy), runs, and matches on the next run' {
            $out = Invoke-VerifiedScript -Uri $uri -TrustOnFirstUse -PinStore $pins -ArgumentList 'a', 1 -WarningVariable wv -WarningAction SilentlyContinue
            $out | Should -BeExactly 'hello a x1'
            "$($wv[0])" | Should -Match "First use .* pinned sha256:$sha"
            $store = Get-Content -LiteralPath $pins -Raw | ConvertFrom-Json
            @($store.scripts).Count | Should -Be 1
            $store.scripts[0].sha256 | Should -BeExactly $sha
            $store.scripts[0].uri | Should -BeExactly $script   # the key is the URI as UriText.Redact prints it
            $copy = Join-Path (Split-Path $pins) $store.scripts[0].copy
            Get-Sha256 $copy | Should -BeExactly $sha
            (Get-Content -LiteralPath $pins -Raw).Contains("`r") | Should -BeFalse

            Remove-Item -LiteralPath $marker
            $again = Invoke-VerifiedScript -Uri $uri -TrustOnFirstUse -PinStore $pins -ArgumentList 'b', 2 -WarningVariable wv2
            $again | Should -BeExactly 'hello b x2'
            @($wv2).Count | Should -Be 0
        }

        It 'refuses a changed script with ScriptChanged and a unified diff, then -Accept re-pins and runs it' {
            $null = Invoke-VerifiedScript -Uri $uri -TrustOnFirstUse -PinStore $pins -WarningAction SilentlyContinue
            Remove-Item -LiteralPath $marker
            [System.IO.File]::WriteAllText($script, $body.Replace('"hello', '"HELLO') + "'added line'`n", $utf8)
            $err = $null
            try { Invoke-VerifiedScript -Uri $uri -TrustOnFirstUse -PinStore $pins -ErrorAction Stop } catch { $err = $_ }
            $err.FullyQualifiedErrorId | Should -BeExactly "ScriptChanged$FQ"
            $err.CategoryInfo.Category | Should -Be 'SecurityError'
            $err.Exception.PinnedSha256 | Should -BeExactly $sha
            $diff = $err.ErrorDetails.Message
            $diff | Should -Match "(?m)^--- pinned sha256:$sha"
            $diff | Should -Match '(?m)^@@ -1,3 \+1,4 @@$'
            $diff | Should -Match '(?s)-"hello \$Name x\$Count"\n\+"HELLO'
            $diff | Should -Match '(?m)^-"hello \$Name x\$Count"$'
            $diff | Should -Match '(?m)^\+"HELLO \$Name x\$Count"$'
            $diff | Should -Match "(?m)^\+'added line'$"
            Test-Path -LiteralPath $marker | Should -BeFalse

            $out = Invoke-VerifiedScript -Uri $uri -TrustOnFirstUse -Accept -PinStore $pins -ArgumentList 'c', 4 -WarningVariable wv -WarningAction SilentlyContinue
            $out | Should -Contain 'HELLO c x4'
            "$($wv[0])" | Should -Match "Re-pinned .* \(was sha256:$sha\)"
            (Get-Content -LiteralPath $pins -Raw | ConvertFrom-Json).scripts[0].sha256 | Should -BeExactly (Get-Sha256 $script)
        }

        It '-Inspect does not write the pin store' {
            $v = Invoke-VerifiedScript -Uri $uri -TrustOnFirstUse -PinStore $pins -Inspect
            $v.Trust | Should -Be 'FirstUse'
            Test-Path -LiteralPath $pins | Should -BeFalse
        }

        It 'a malformed pin store is PinStoreInvalid (InvalidData)' {
            $null = New-Item -ItemType Directory -Path (Split-Path $pins)
            Set-Content -LiteralPath $pins -Value '{ "scripts": [ { "uri": "x" } ] }'
            $err = $null
            try { Invoke-VerifiedScript -Uri $uri -TrustOnFirstUse -PinStore $pins -ErrorAction Stop } catch { $err = $_ }
            $err.FullyQualifiedErrorId | Should -BeExactly "PinStoreInvalid$FQ"
            $err.CategoryInfo.Category | Should -Be 'InvalidData'
        }
    }
}
