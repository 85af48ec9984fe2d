#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }

# Issue 21 §3: machine-wide installs (-Scope AllUsers, --scope all-users) into SECUREINSTALL_MACHINE_HOME (standing in for
# /opt/secureinstall). Installing needs root; the root and everything below it must be changeable by root only. The tests
# run as root; "not elevated" is a child process run as uid 65534 (nobody) through setpriv.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $asRoot = (Test-IsLinux) -and ((& id -u) -eq '0') -and (Test-Path /usr/bin/setpriv)
    $onWindows = [System.IO.Path]::DirectorySeparatorChar -eq '\'
    $elevatedWindows = $onWindows -and ([Security.Principal.WindowsPrincipal][Security.Principal.WindowsIdentity]::GetCurrent()).IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../SecureInstall.psd1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $module = (Resolve-Path (Join-Path $PSScriptRoot '../../SecureInstall.psd1')).Path
    Set-TestEnvironment SECUREINSTALL_CACHE (Join-Path $TestDrive 'cache')

    # A workspace with the sample manifest (its per-user root in SECUREINSTALL_HOME) and the machine root beside it:
    # the workspace, the manifest, the machine root.
    function New-MachineWorkspace {
        $w = New-Workspace
        $env:SECUREINSTALL_MACHINE_HOME = Join-Path $w 'machine'
        $w, (Join-Path $w 'secureinstall.yml'), $env:SECUREINSTALL_MACHINE_HOME
    }

    # Runs a command as uid/gid 65534 with no groups: pwsh (a script) or the CLI (arguments).
    function Invoke-AsNobody([string[]]$Command, [hashtable]$Environment) {
        $scratch = Join-Path ([System.IO.Path]::GetTempPath()) ('si-nobody-' + [guid]::NewGuid().ToString('N'))
        $null = New-Item -ItemType Directory -Path $scratch
        & chmod 1777 $scratch
        $env = @{ HOME = $scratch; SECUREINSTALL_CACHE = (Join-Path $scratch 'cache'); SECUREINSTALL_HOME = (Join-Path $scratch 'home') } + $Environment
        try {
            Invoke-ChildProcess -FilePath /usr/bin/setpriv -Environment $env -TimeoutSeconds 120 -WorkingDirectory $scratch -ArgumentList (@('--reuid=65534', '--regid=65534', '--clear-groups') + $Command)
        } finally { Remove-Item -Recurse -Force -LiteralPath $scratch -ErrorAction SilentlyContinue }
    }
}

AfterAll { $env:SECUREINSTALL_HOME = $null; $env:SECUREINSTALL_MACHINE_HOME = $null; Restore-TestEnvironment }

Describe 'Install-PinnedTool -Scope AllUsers' -Skip:(-not $asRoot) {
    BeforeEach { $ws, $m, $machine = New-MachineWorkspace }

    It 'installs into the machine root, root-owned with no group or world write, and says how to put the shims on the machine PATH' {
        $r = Install-PinnedTool -Manifest $m -Platform linux-x64 -Scope AllUsers -WarningVariable wv -WarningAction SilentlyContinue
        $r.Path | Should -BeExactly (Join-Path $machine 'tools/hello/1.0.0')
        "$wv" | Should -Match ([regex]::Escape((Join-Path $machine 'tools/bin')))
        "$wv" | Should -Match 'machine PATH'
        foreach ($p in $machine, (Join-Path $machine 'tools'), (Join-Path $machine 'tools/bin/hello'), $r.Path) {
            (& stat -c '%u %a' $p) | Should -Match '^0 [0-7]?[0-7][0-5][0-5]$'
        }
        (Get-PinnedTool -Manifest $m -Scope AllUsers).Status | Should -Be 'Installed'
        (Test-PinnedTool -Manifest $m -Scope AllUsers).Status | Should -Be 'Verified'
        Test-Path (Join-Path $ws 'home/tools/hello') | Should -BeFalse   # the per-user root is untouched
    }

    It '-AddToPath -WhatIf shows the machine PATH change (/etc/profile.d/secureinstall.sh), not the user''s, and writes nothing' {
        $script = '/etc/profile.d/secureinstall.sh'
        $existed = Test-Path -LiteralPath $script
        $bin = Join-Path $machine 'tools/bin'
        # What-if lines go to the host, so run a child shell and read what it printed.
        $shell = (Get-Process -Id $PID).Path
        $out = & $shell -NoProfile -NonInteractive -Command "Import-Module '$module'; Install-PinnedTool -Manifest '$m' -Platform linux-x64 -Scope AllUsers -AddToPath -WhatIf" | Out-String
        $out | Should -Match ([regex]::Escape("What if: Performing the operation `"Add $bin to $script`" on target `"$script`""))
        $out | Should -Not -Match 'user''s PATH'
        Test-Path -LiteralPath $machine | Should -BeFalse
        Test-Path -LiteralPath $script | Should -Be $existed
    }

    It 'is refused, and Test-PinnedTool fails, when a non-administrator can write the shim folder' {
        $null = Install-PinnedTool -Manifest $m -Platform linux-x64 -Scope AllUsers -WarningAction SilentlyContinue
        $bin = Join-Path $machine 'tools/bin'
        & chmod g+w $bin
        Test-PinnedTool -Manifest $m -Scope AllUsers -ErrorVariable ev -ErrorAction SilentlyContinue | Out-Null
        $ev[0].FullyQualifiedErrorId | Should -BeExactly 'InstallRootNotTrusted,SecureInstall.Commands.TestPinnedToolCommand'
        $ev[0].Exception.Message | Should -Match ([regex]::Escape("'$bin'") + '.*writable by its group \(mode 0775')
        Test-PinnedTool -Manifest $m -Scope AllUsers -Quiet | Should -BeFalse
        Install-PinnedTool -Manifest $m -Platform linux-x64 -Scope AllUsers -Force -ErrorVariable iv -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $iv[0].FullyQualifiedErrorId | Should -BeExactly 'InstallRootNotTrusted,SecureInstall.Commands.InstallPinnedToolCommand'
        $iv[0].CategoryInfo.Category | Should -Be 'SecurityError'
    }

    It 'is refused when the root is owned by another user' {
        $null = New-Item -ItemType Directory -Path $machine
        & chown 65534:65534 $machine
        Install-PinnedTool -Manifest $m -Platform linux-x64 -Scope AllUsers -ErrorVariable iv -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $iv[0].FullyQualifiedErrorId | Should -BeExactly 'InstallRootNotTrusted,SecureInstall.Commands.InstallPinnedToolCommand'
        $iv[0].Exception.Message | Should -Match 'owned by uid 65534, not root'
        Test-Path (Join-Path $machine 'tools') | Should -BeFalse
    }

    It 'as a user who is not root, is ElevationRequired (PermissionDenied) for install, and creates nothing' {
        $script = "Import-Module '$module'; Install-PinnedTool -Manifest '$m' -Platform linux-x64 -Scope AllUsers -ErrorVariable e -ErrorAction SilentlyContinue; " +
            "'{0}|{1}' -f `$e[0].FullyQualifiedErrorId, `$e[0].CategoryInfo.Category"
        $out = Invoke-AsNobody @((Get-Process -Id $PID).Path, '-NoProfile', '-NonInteractive', '-Command', $script) @{ SECUREINSTALL_MACHINE_HOME = $machine }
        $out.Out.Trim() | Should -BeExactly 'ElevationRequired,SecureInstall.Commands.InstallPinnedToolCommand|PermissionDenied' -Because $out.Text
        Test-Path $machine | Should -BeFalse
        Test-Path (Join-Path $ws 'secureinstall.lock.json') | Should -BeFalse
    }

    It 'as a user who is not root, is ElevationRequired for uninstall, and removes nothing' {
        $r = Install-PinnedTool -Manifest $m -Platform linux-x64 -Scope AllUsers -WarningAction SilentlyContinue
        $script = "Import-Module '$module'; Uninstall-PinnedTool -Manifest '$m' -Name hello -Scope AllUsers -Confirm:`$false -ErrorVariable u -ErrorAction SilentlyContinue; " +
            "`$u[0].FullyQualifiedErrorId"
        $out = Invoke-AsNobody @((Get-Process -Id $PID).Path, '-NoProfile', '-NonInteractive', '-Command', $script) @{ SECUREINSTALL_MACHINE_HOME = $machine }
        $out.Out.Trim() | Should -BeExactly 'ElevationRequired,SecureInstall.Commands.UninstallPinnedToolCommand' -Because $out.Text
        Test-Path $r.Path | Should -BeTrue
        (Test-PinnedTool -Manifest $m -Scope AllUsers).Status | Should -Be 'Verified'
        Uninstall-PinnedTool -Manifest $m -Name hello -Scope AllUsers -Confirm:$false
        Test-Path $r.Path | Should -BeFalse
    }
}

Describe 'secureinstall install --scope all-users' -Skip:(-not $asRoot) {
    BeforeEach { $ws, $m, $machine = New-MachineWorkspace }

    It 'installs into the machine root and verify-installed --scope all-users checks it' {
        $r = Invoke-Cli install --manifest $m --platform linux-x64 --scope all-users
        $r.ExitCode | Should -Be 0 -Because $r.Text
        $r.Text | Should -Match 'machine PATH'
        Test-Path (Join-Path $machine 'tools/hello/1.0.0') | Should -BeTrue
        (Invoke-Cli verify-installed --manifest $m --scope all-users).ExitCode | Should -Be 0
        & chmod o+w (Join-Path $machine 'tools/hello')
        $v = Invoke-Cli verify-installed --manifest $m --scope all-users
        $v.ExitCode | Should -Be 1
        $v.Text | Should -Match 'InstallRootNotTrusted'
    }

    It 'as a user who is not root, exits with ElevationRequired, as the cmdlet does' {
        $out = Invoke-AsNobody @('/usr/bin/dotnet', (Get-CliPath), 'install', '--manifest', $m, '--platform', 'linux-x64', '--scope', 'all-users') @{ SECUREINSTALL_MACHINE_HOME = $machine; DOTNET_CLI_HOME = $null }
        $out.ExitCode | Should -Not -Be 0
        $out.Text | Should -Match 'ElevationRequired'
        Test-Path $machine | Should -BeFalse
    }

    It 'refuses a scope it does not know as a usage error' {
        (Invoke-Cli install --manifest $m --scope everyone).ExitCode | Should -Be 2
    }
}

# Windows only (skipped elsewhere: ACLs, and an elevated session to set one that removes the user's own write access).
Describe 'Install-PinnedTool -Scope AllUsers on Windows' -Tag 'Windows' -Skip:(-not $elevatedWindows) {
    BeforeEach { $ws, $m, $machine = New-MachineWorkspace }

    It 'makes the new root admin-only: Administrators and SYSTEM full control, Users read and execute, inheritance removed' {
        $null = Install-PinnedTool -Manifest $m -Scope AllUsers -WarningAction SilentlyContinue
        $acl = Get-Acl -LiteralPath $machine
        $acl.AreAccessRulesProtected | Should -BeTrue
        $acl.Owner | Should -Match 'Administrators'
        $rules = $acl.Access | ForEach-Object { '{0}={1}' -f $_.IdentityReference.Translate([Security.Principal.SecurityIdentifier]).Value, $_.FileSystemRights }
        $rules | Should -Contain 'S-1-5-32-544=FullControl'
        $rules | Should -Contain 'S-1-5-18=FullControl'
        $rules | Should -Contain 'S-1-5-32-545=ReadAndExecute, Synchronize'
        (Test-PinnedTool -Manifest $m -Scope AllUsers).Status | Should -Be 'Verified'
    }

    It '-AddToPath -WhatIf shows the machine PATH change, not the user''s, and changes neither' {
        $machinePath = [Environment]::GetEnvironmentVariable('Path', 'Machine')
        $userPath = [Environment]::GetEnvironmentVariable('Path', 'User')
        # What-if lines go to the host, so run a child shell and read what it printed.
        $shell = (Get-Process -Id $PID).Path
        $out = & $shell -NoProfile -NonInteractive -Command "Import-Module '$module'; Install-PinnedTool -Manifest '$m' -Scope AllUsers -AddToPath -WhatIf" | Out-String
        $out | Should -Match ([regex]::Escape('the machine PATH (HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Session Manager\Environment, Path)'))
        $out | Should -Not -Match 'HKEY_CURRENT_USER'
        [Environment]::GetEnvironmentVariable('Path', 'Machine') | Should -BeExactly $machinePath
        [Environment]::GetEnvironmentVariable('Path', 'User') | Should -BeExactly $userPath
    }

    It 'is refused when Users may write below the root' {
        $null = Install-PinnedTool -Manifest $m -Scope AllUsers -WarningAction SilentlyContinue
        $bin = Join-Path $machine 'tools\bin'
        $acl = Get-Acl -LiteralPath $bin
        $acl.AddAccessRule([Security.AccessControl.FileSystemAccessRule]::new('BUILTIN\Users', 'Modify', 'Allow'))
        Set-Acl -LiteralPath $bin -AclObject $acl
        Install-PinnedTool -Manifest $m -Scope AllUsers -Force -ErrorVariable iv -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $iv[0].FullyQualifiedErrorId | Should -BeExactly 'InstallRootNotTrusted,SecureInstall.Commands.InstallPinnedToolCommand'
        $iv[0].Exception.Message | Should -Match 'BU is allowed'
    }
}
