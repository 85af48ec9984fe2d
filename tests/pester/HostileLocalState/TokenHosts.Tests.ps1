#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }

# Issue 17 #9: -Token goes only to the hosts the user tied it to (-Uri on the command line, -TokenHost), never to
# whatever host a piped row names.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot '../../../SecureInstall.psd1') -Force
    $FQ = ',SecureInstall.Commands.GetVerifiedArtifactCommand'
    $body = [System.Text.Encoding]::ASCII.GetBytes('token test artifact')
    $sha = Get-Sha256Hex $body
    $token = 'tok-3f9c1e-secret'
    function Get-Authorization($Server) { @($Server.Heads | ForEach-Object { $_ -split "`r`n" } | Where-Object { $_ -like 'Authorization:*' }) }
}

Describe 'Get-VerifiedArtifact -Token with piped rows' {
    BeforeEach {
        # Two origins: the same address on two ports is two hosts as far as the token is concerned.
        $tied = Start-LoopbackServer -Body $body
        $other = Start-LoopbackServer -Body $body
        $dir = New-TestFolder
        $csv = Join-Path $dir 'artifacts.csv'
        @(
            [pscustomobject]@{ Uri = "$($tied.Base)/a.bin"; OutFile = (Join-Path $dir 'a.bin'); Sha256 = $sha }
            [pscustomobject]@{ Uri = "$($other.Base)/b.bin"; OutFile = (Join-Path $dir 'b.bin'); Sha256 = $sha }
        ) | Export-Csv -LiteralPath $csv -NoTypeInformation
    }
    AfterEach {
        Stop-LoopbackServer $tied
        Stop-LoopbackServer $other
    }

    It 'PipedRows_SendTheTokenOnlyToTheTokenHost_AndTheOtherRowsVerboseSaysSo' {
        $out = Import-Csv -LiteralPath $csv | Get-VerifiedArtifact -Token $token -TokenHost "127.0.0.1:$($tied.Port)" -AllowInsecureTransport -NoCache -Verbose 4>&1
        @($out | Where-Object { $_ -is [SecureInstall.Core.Downloads.DownloadResult] }).Count | Should -Be 2
        Get-Authorization $tied | Should -Be @("Authorization: Bearer $token")
        Get-Authorization $other | Should -BeNullOrEmpty
        $verbose = @($out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message)
        $verbose | Should -Contain "-Token is not sent for $($other.Base)/b.bin: 127.0.0.1:$($other.Port) is not a host it is tied to (127.0.0.1:$($tied.Port)). Add it with -TokenHost if it should be."
        ($out | Out-String) | Should -Not -Match $token
    }

    It 'PipedRowsWithATokenAndNoTokenHost_StopWithTokenHostRequired_BeforeAnyRequest' {
        { Import-Csv -LiteralPath $csv | Get-VerifiedArtifact -Token $token -AllowInsecureTransport -NoCache -ErrorAction Stop } |
            Should -Throw -ErrorId "TokenHostRequired$FQ"
        $tied.Heads.Count + $other.Heads.Count | Should -Be 0
        Test-Path -LiteralPath (Join-Path $dir 'a.bin') | Should -BeFalse
    }

    It 'AUriOnTheCommandLine_TiesTheTokenToItsHost' {
        $r = Get-VerifiedArtifact -Uri "$($tied.Base)/a.bin" -OutFile (Join-Path $dir 'a.bin') -Sha256 $sha -Token $token -AllowInsecureTransport -NoCache
        $r.Verified | Should -BeTrue
        Get-Authorization $tied | Should -Be @("Authorization: Bearer $token")
    }

    It 'AMalformedTokenHost_IsTokenHostInvalid' {
        { Import-Csv -LiteralPath $csv | Get-VerifiedArtifact -Token $token -TokenHost 'example.com/path' -AllowInsecureTransport -NoCache -ErrorAction Stop } |
            Should -Throw -ErrorId "TokenHostInvalid$FQ"
        { Import-Csv -LiteralPath $csv | Get-VerifiedArtifact -TokenHost "127.0.0.1:$($tied.Port)" -AllowInsecureTransport -NoCache -ErrorAction Stop } |
            Should -Throw -ErrorId "TokenHostInvalid$FQ"
        $tied.Heads.Count + $other.Heads.Count | Should -Be 0
    }
}
