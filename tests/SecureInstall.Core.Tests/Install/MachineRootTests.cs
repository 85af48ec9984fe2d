using System.Runtime.InteropServices;
using SecureInstall.Core.Install;
using SecureInstall.Core.IO;
using SecureInstall.Core.Manifests;
using SecureInstall.Core.Tests.HostileLocalState;

namespace SecureInstall.Core.Tests.Install;

/// <summary>
/// Issue 21 §3: -Scope AllUsers. Installing needs elevation; the root and everything below it must be changeable by
/// administrators only, or nothing is installed; Test-PinnedTool's check reports the same. Runs as root here (the tests
/// that need it say so when skipped); elevation itself is faked through <see cref="IMachineRootSecurity"/>.
/// </summary>
public sealed class MachineRootTests : IDisposable
{
    private readonly InstalledToolSandbox _box = new();

    public void Dispose() => _box.Dispose();

    private string Home => Path.Combine(_box.Path, "machine");
    private string ToolRoot => Path.Combine(Home, "tools");

    /// <summary>This OS's rules, with elevation as the test says.</summary>
    private sealed class Elevation(bool elevated) : IMachineRootSecurity
    {
        public bool IsElevated => elevated;
        public string? Problem(string path) => MachineRoot.Platform.Problem(path);
        public void Secure(string home) => MachineRoot.Platform.Secure(home);
    }

    private ToolInstaller Installer(bool elevated = true, bool force = false) =>
        new(new ToolInstallerOptions { Root = ToolRoot, Scope = InstallScope.AllUsers, Platform = "linux-x64", Force = force, MachineSecurity = new Elevation(elevated) }, _box.Downloader);

    private PinnedManifest _manifest = null!;

    private async Task<InstallResult> Install(bool elevated = true, bool force = false)
    {
        if (_manifest == null)
        {
            (string url, string sha) = _box.TarGz(("bin/tool", "#!/bin/sh\necho v1\n"), ("lib/data", "data"));
            _manifest = _box.Manifest("tools:\n" + InstalledToolSandbox.Tool("tool", "1.0", url, sha, "bin/tool"));
        }
        ToolInstaller installer = Installer(elevated, force);
        return await installer.InstallAsync(installer.Plan(_manifest, InstallLock.Load(_box.LockPath), "tool", null), _box.LockPath);
    }

    [Fact]
    public async Task NotElevated_IsElevationRequired_AndNothingIsCreated()
    {
        var ex = await Assert.ThrowsAsync<InstallException>(() => Install(elevated: false));
        Assert.Equal(ErrorIds.ElevationRequired, ex.ErrorId);
        Assert.Equal(FailureKind.PermissionDenied, ex.Kind);
        Assert.Contains("-Scope CurrentUser", ex.Message);
        Assert.False(Directory.Exists(Home));
        Assert.False(File.Exists(_box.LockPath));
    }

    [SkippableFact]
    public async Task NotElevated_UninstallIsElevationRequired_AndNothingIsRemoved()
    {
        Skip.IfNot(Attacker.Available, Attacker.SkipReason);
        await Install();
        LockEntry entry = InstallLock.Load(_box.LockPath).Entries.Single();
        var options = new ToolInstallerOptions { Root = ToolRoot, Scope = InstallScope.AllUsers, MachineSecurity = new Elevation(false) };
        Assert.Equal(ErrorIds.ElevationRequired, Assert.Throws<InstallException>(() => ToolUninstaller.Uninstall(options, entry, _box.LockPath)).ErrorId);
        Assert.True(Directory.Exists(Path.Combine(ToolRoot, "tool", "1.0")));
    }

    [SkippableFact]
    public async Task AsRoot_InstallsIntoARootOwnedByRoot_WithNoGroupOrWorldWrite_AndTheCheckPasses()
    {
        Skip.IfNot(Attacker.Available, Attacker.SkipReason);
        InstallResult r = await Install();
        Assert.Equal(Path.Combine(ToolRoot, "tool", "1.0"), r.Path);
        foreach (string path in new[] { Home, ToolRoot, Path.Combine(ToolRoot, "bin"), Path.Combine(ToolRoot, "bin", "tool"), r.Path, Path.Combine(r.Path, "bin", "tool"), InstallRootState.PathIn(ToolRoot) })
        {
            FileStatus s = Attacker.Stat(path);
            Assert.Equal(0u, s.Owner);
            Assert.False(s.IsWritableByOthers, path + " " + s.Permissions);
        }
        Assert.Empty(MachineRoot.Problems(Home));
        Assert.Null(MachineRoot.Check(ToolRoot));
    }

    public static TheoryData<string, string> Levels => new()
    {
        { "home", "other user" }, { "home", "group" }, { "tools", "other user" }, { "tools", "world" }, { "version", "other user" },
        { "version", "group" }, { "bin", "world" }, { "bin", "other user" }, { "shim", "other user" }, { "shim", "world" }, { "file", "group" },
    };

    [SkippableTheory]
    [MemberData(nameof(Levels))]
    public async Task ARootANonAdministratorCanChange_AtAnyLevel_IsRefused_NamingThePath_AndTheCheckSaysSo(string level, string how)
    {
        Skip.IfNot(Attacker.Available, Attacker.SkipReason);
        InstallResult first = await Install();
        string path = level switch
        {
            "home" => Home,
            "tools" => ToolRoot,
            "version" => first.Path,
            "bin" => Path.Combine(ToolRoot, "bin"),
            "shim" => Path.Combine(ToolRoot, "bin", "tool"),
            _ => Path.Combine(first.Path, "lib", "data"),
        };
        FileStatus before = Attacker.Stat(path);
        if (how == "other user") Attacker.Owns(path);
        else UnixFileSystem.SetMode(path, (uint)(before.Mode | (how == "group" ? 0x10 : 0x2)));
        string lockBefore = File.ReadAllText(_box.LockPath);

        var ex = await Assert.ThrowsAsync<InstallException>(() => Install(force: true));

        Assert.Equal(ErrorIds.InstallRootNotTrusted, ex.ErrorId);
        Assert.Equal(FailureKind.Security, ex.Kind);
        Assert.Contains($"'{path}'", ex.Message);
        Assert.Contains(how == "other user" ? "owned by uid 65534" : how == "group" ? "writable by its group" : "writable by other users", ex.Message);
        Assert.Equal(lockBefore, File.ReadAllText(_box.LockPath));
        Assert.Contains($"'{path}'", MachineRoot.Check(ToolRoot)!.Message);
        var uninstall = new ToolInstallerOptions { Root = ToolRoot, Scope = InstallScope.AllUsers, MachineSecurity = new Elevation(true) };
        Assert.Equal(ErrorIds.InstallRootNotTrusted,
            Assert.Throws<InstallException>(() => ToolUninstaller.Uninstall(uninstall, InstallLock.Load(_box.LockPath).Entries.Single(), _box.LockPath)).ErrorId);
        Assert.True(Directory.Exists(first.Path));
    }

    [SkippableFact]
    [Trait("Category", "Windows")]
    public void TheSecurityOfThisOs_OnWindows_SetsTheAdminOnlyAcl_AndReadsItBackAsTrusted()
    {
        // Tagged Windows: SetNamedSecurityInfo and GetNamedSecurityInfo exist only there (the rules are WindowsAclTests').
        Skip.IfNot(RuntimeInformation.IsOSPlatform(OSPlatform.Windows), "needs Windows ACLs and an elevated session (the ACL rules themselves are tested everywhere by WindowsAclTests)");
        Skip.IfNot(MachineRoot.Platform.IsElevated, "needs an elevated session to set an ACL that removes the user's own access");
        Directory.CreateDirectory(Home);
        MachineRoot.Platform.Secure(Home);
        Assert.Null(MachineRoot.Platform.Problem(Home));
    }
}

/// <summary>The Windows ACL decisions, on SDDL text: they run on every OS (only reading and setting an ACL needs Windows).</summary>
public sealed class WindowsAclTests
{
    [Fact]
    public void TheAclWeSet_IsTrusted() => Assert.Null(WindowsAcl.Problem(WindowsAcl.MachineRootSddl));

    /// <summary>Review: an owner implicitly has WRITE_DAC; an inherited OWNER RIGHTS entry granting read/execute only takes it away below the root.</summary>
    [Fact]
    public void TheAclWeSet_GivesOwnerRights_ReadAndExecuteOnly_InheritedByEverythingBelow()
    {
        string dacl = WindowsAcl.MachineRootSddl.Substring(WindowsAcl.MachineRootSddl.IndexOf("D:", StringComparison.Ordinal));
        string[] owner = dacl.Split('(', ')').Where(e => e.EndsWith(";OW", StringComparison.Ordinal)).ToArray();
        string entry = Assert.Single(owner);
        string[] fields = entry.Split(';');
        Assert.Equal("A", fields[0]);
        Assert.Equal("OICI", fields[1]); // inherited by files (OI) and folders (CI), and applying to the root itself (no IO)
        uint rights = Convert.ToUInt32(fields[2], 16);
        Assert.Equal(0x1200a9u, rights); // FILE_GENERIC_READ | FILE_GENERIC_EXECUTE
        Assert.Equal(0u, rights & (0x40000u /* WRITE_DAC */ | 0x80000u /* WRITE_OWNER */ | 0x10000u /* DELETE */ | 0x2u | 0x4u | 0x10u | 0x40u | 0x100u));
        Assert.StartsWith("D:P", dacl); // protected: no inherited entry can add rights back
    }

    [Theory]
    [InlineData("O:BAG:SYD:PAI(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)(A;OICI;0x1200a9;;;BU)(A;OICI;FA;;;OW)", "OW is allowed FA")]
    [InlineData("O:BAG:SYD:PAI(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;OW)(A;OICI;WD;;;S-1-3-4)", "S-1-3-4 is allowed WD")]
    public void OwnerRightsGrantingWrite_IsAProblem(string sddl, string expected) =>
        Assert.Contains(expected, WindowsAcl.Problem(sddl) ?? "");

    [Theory]
    // ProgramData itself: Users may create files and folders (DCLC); that is why the root removes inheritance.
    [InlineData("O:SYG:SYD:PAI(A;OICIIO;FA;;;CO)(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;BU)(A;CI;DCLC;;;BU)", "BU is allowed DCLC")]
    [InlineData("O:S-1-5-21-1-2-3-1001G:SYD:PAI(A;OICI;FA;;;BA)", "owned by S-1-5-21-1-2-3-1001")]
    [InlineData("O:BAG:SYD:PAI(A;OICI;FA;;;BA)(A;OICI;0x1301bf;;;AU)", "AU is allowed 0x1301bf")]
    [InlineData("O:BAG:SYD:AI(A;OICI;FA;;;BA)(A;OICIID;FA;;;WD)", "WD is allowed FA")]
    [InlineData("O:BAG:SYD:PAI(A;;WD;;;BU)", "BU is allowed WD")]
    [InlineData("O:BAG:SYD:NO_ACCESS_CONTROL", "no DACL")]
    [InlineData("O:BAG:SY", "no DACL")]
    [InlineData("O:BAG:SYD:PAI(A;OICI;QQ;;;BU)", "cannot be read")]
    // Review finding: conditional (callback) allow entries were skipped, and their condition's ')' ended the entry early.
    [InlineData("O:BAG:SYD:PAI(A;OICI;FA;;;BA)(XA;OICI;FA;;;WD;(Member_of {SID(BA)}))", "WD is allowed FA")]
    [InlineData("O:BAG:SYD:PAI(XA;OICI;0x1301bf;;;BU;((@User.dept == \"x\") || (Member_of {SID(AU)})))(A;OICI;FA;;;BA)", "BU is allowed 0x1301bf")]
    [InlineData("O:BAG:SYD:PAI(ZA;OICI;FA;;;AU;(Member_of {SID(BA)}))", "AU is allowed FA")]
    public void AnAclThatLetsANonAdministratorWrite_IsAProblem_SayingWho(string sddl, string expected)
    {
        string? problem = WindowsAcl.Problem(sddl);
        Assert.NotNull(problem);
        Assert.Contains(expected, problem);
    }

    [Theory]
    [InlineData("O:BAG:SYD:PAI(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)(A;OICI;FRFX;;;BU)(D;OICI;FA;;;WD)")]
    [InlineData("O:S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464G:SYD:PAI(A;OICI;FA;;;S-1-5-32-544)(A;OICI;GR;;;S-1-1-0)")]
    public void ReadOnlyGrantsAndDenies_AreNotAProblem(string sddl) => Assert.Null(WindowsAcl.Problem(sddl));

    private const string TrustedInstaller = "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464";
    private const string AdminOnlyDacl = "D:AI(A;OICIID;FA;;;BA)(A;OICIID;FA;;;SY)(A;OICIID;0x1200a9;;;BU)";

    [Theory]
    [InlineData("BA")]
    [InlineData("S-1-5-32-544")]
    [InlineData("SY")]
    [InlineData("S-1-5-18")]
    [InlineData(TrustedInstaller)]
    public void AnEntryOwnedByAdministratorsSystemOrTrustedInstaller_IsTrusted(string owner) =>
        Assert.Null(WindowsAcl.Problem($"O:{owner}G:SY{AdminOnlyDacl}"));

    [Theory]
    // An attacker who pre-creates tools\bin owns it: an owner may always rewrite the DACL (implicit WRITE_DAC), however admin-only its entries look.
    [InlineData("S-1-5-21-1-2-3-1001")]
    [InlineData("BU")]
    [InlineData("AU")]
    [InlineData("WD")]
    // CREATOR OWNER is a placeholder in inheritable entries, never a real owner.
    [InlineData("CO")]
    public void AnEntryOwnedByAnyoneElse_IsAProblem_NamingTheOwner_AtEveryLevel(string owner)
    {
        string? problem = WindowsAcl.Problem($"O:{owner}G:SY{AdminOnlyDacl}");
        Assert.NotNull(problem);
        Assert.Contains($"owned by {owner}", problem);
    }

    [Fact]
    public void TheElevatedTokensDefaultOwner_IsTrusted_OnlyWhenGiven()
    {
        const string byAdminAccount = "O:S-1-5-21-1-2-3-500G:SY" + AdminOnlyDacl;
        Assert.Null(WindowsAcl.Problem(byAdminAccount, trustedOwner: "S-1-5-21-1-2-3-500"));
        Assert.Contains("owned by S-1-5-21-1-2-3-500", WindowsAcl.Problem(byAdminAccount));
        Assert.Contains("owned by S-1-5-21-1-2-3-500", WindowsAcl.Problem(byAdminAccount, trustedOwner: "S-1-5-21-1-2-3-1001"));
        // The owner being trusted does not excuse the DACL.
        Assert.Contains("BU is allowed FA", WindowsAcl.Problem("O:S-1-5-21-1-2-3-500D:(A;;FA;;;BU)", trustedOwner: "S-1-5-21-1-2-3-500"));
    }
}

/// <summary>
/// <see cref="WindowsMachineRootSecurity"/> over a real tree on any OS, the Windows calls answered by <see cref="FakeWindows"/>:
/// every entry's owner is judged, not only the root's.
/// </summary>
public sealed class WindowsMachineRootSecurityTests : IDisposable
{
    private readonly string _home = Path.Combine(Path.GetTempPath(), "si-winacl-" + Guid.NewGuid().ToString("N"));
    private const string AdminOnly = "G:SYD:AI(A;OICIID;FA;;;BA)(A;OICIID;FA;;;SY)(A;OICIID;0x1200a9;;;BU)";

    public WindowsMachineRootSecurityTests()
    {
        Directory.CreateDirectory(Path.Combine(_home, "tools", "bin"));
        Directory.CreateDirectory(Path.Combine(_home, "tools", "tool", "1.0"));
        File.WriteAllText(Path.Combine(_home, "tools", "bin", "tool.cmd"), "@echo off");
    }

    public void Dispose() => Directory.Delete(_home, recursive: true);

    /// <summary>Every path owned by Administrators unless <see cref="Owners"/> says otherwise.</summary>
    private sealed class FakeWindows(bool elevated, string defaultOwner) : IWindowsSecurityApi
    {
        public Dictionary<string, string> Owners { get; } = new();
        public bool IsElevated => elevated;
        public string DefaultOwner => defaultOwner;
        public string ReadSddl(string path) => "O:" + (Owners.TryGetValue(path, out string? o) ? o : "BA") + AdminOnly;
        public void WriteSddl(string path, string sddl) => throw new NotSupportedException();
    }

    [Fact]
    public void AnAttackerOwnedFolderBelowTheRoot_IsInstallRootNotTrusted_NamingPathAndOwner()
    {
        string bin = Path.Combine(_home, "tools", "bin");
        var windows = new FakeWindows(elevated: true, defaultOwner: "BA");
        windows.Owners[bin] = "S-1-5-21-1-2-3-1001";

        InstallException ex = MachineRoot.Check(Path.Combine(_home, "tools"), new WindowsMachineRootSecurity(windows))!;

        Assert.Equal(ErrorIds.InstallRootNotTrusted, ex.ErrorId);
        Assert.Contains($"'{bin}': owned by S-1-5-21-1-2-3-1001", ex.Message);
        Assert.DoesNotContain("tool.cmd", ex.Message);
    }

    [Fact]
    public void WhatTheElevatedAdministratorCreated_UnderTheObjectCreatorPolicy_IsTrusted_ButNotWhenNotElevated()
    {
        string version = Path.Combine(_home, "tools", "tool", "1.0");
        var elevated = new FakeWindows(elevated: true, defaultOwner: "S-1-5-21-1-2-3-500");
        elevated.Owners[version] = "S-1-5-21-1-2-3-500";
        Assert.Empty(MachineRoot.Problems(_home, new WindowsMachineRootSecurity(elevated)));

        var notElevated = new FakeWindows(elevated: false, defaultOwner: "S-1-5-21-1-2-3-500");
        notElevated.Owners[version] = "S-1-5-21-1-2-3-500";
        Assert.Contains($"'{version}': owned by S-1-5-21-1-2-3-500", Assert.Single(MachineRoot.Problems(_home, new WindowsMachineRootSecurity(notElevated))));
    }

    [Fact]
    public void AFileOwnedByAUser_DeepBelowTheRoot_IsNamed()
    {
        string shim = Path.Combine(_home, "tools", "bin", "tool.cmd");
        var windows = new FakeWindows(elevated: true, defaultOwner: "BA");
        windows.Owners[shim] = "BU";
        Assert.Contains($"'{shim}': owned by BU", Assert.Single(MachineRoot.Problems(_home, new WindowsMachineRootSecurity(windows))));
    }
}
