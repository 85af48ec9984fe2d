using SecureInstall.Core.Install;
using SecureInstall.Core.IO;

namespace SecureInstall.Core.Tests.Install;

/// <summary>
/// -AddToPath (issue 21 §3): -Scope AllUsers edits the machine PATH, not the user's. Windows through a registry that
/// records what was written (the value, its type, the broadcast); Linux and macOS through an /etc in a temporary folder.
/// </summary>
public sealed class PathVariableTests : IDisposable
{
    private const string Bin = @"C:\ProgramData\SecureInstall\tools\bin";
    private const string SystemPath = @"%SystemRoot%\system32;%SystemRoot%;%SystemRoot%\System32\Wbem;C:\Program Files\Git\cmd";
    private readonly string _etc = Path.Combine(Path.GetTempPath(), "si-etc-" + Guid.NewGuid().ToString("N"));

    public PathVariableTests()
    {
        Directory.CreateDirectory(Path.Combine(_etc, "profile.d"));
        Directory.CreateDirectory(Path.Combine(_etc, "paths.d"));
    }

    public void Dispose() => Directory.Delete(_etc, recursive: true);

    private sealed class FakeRegistry : IWindowsEnvironment
    {
        public StoredPath? Machine { get; set; } = new(SystemPath, expandable: true);
        public StoredPath? User { get; set; } = new(@"%USERPROFILE%\AppData\Local\Microsoft\WindowsApps;", expandable: true);
        public int Broadcasts { get; private set; }
        public int Writes { get; private set; }

        public StoredPath? ReadPath(bool machine) => machine ? Machine : User;

        public void WritePath(bool machine, string value, bool expandable)
        {
            Writes++;
            if (machine) Machine = new StoredPath(value, expandable);
            else User = new StoredPath(value, expandable);
        }

        public void Broadcast() => Broadcasts++;
    }

    private sealed class Elevation(bool elevated) : IMachineRootSecurity
    {
        public bool IsElevated => elevated;
        public string? Problem(string path) => null;
        public void Secure(string home) { }
    }

    private static PathVariableSystem Windows(FakeRegistry registry, bool elevated = true) => new() { Os = "windows", Windows = registry, Security = new Elevation(elevated) };

    [Fact]
    public void AllUsers_OnWindows_AppendsToTheMachinePath_KeepingItsEntriesAndRegExpandSz_ThenBroadcasts_AndLeavesTheUsersPathAlone()
    {
        var registry = new FakeRegistry();
        string userBefore = registry.User!.Value;

        PathChange change = PathVariable.Plan(Bin, InstallScope.AllUsers, Windows(registry))!;
        Assert.Equal($"the machine PATH ({PathVariable.MachineKey}, Path)", change.Target);
        Assert.Equal(SystemPath, change.Before);
        Assert.Equal(SystemPath + ";" + Bin, change.After);
        Assert.Equal($"Add {Bin} to the machine PATH ({PathVariable.MachineKey}, Path)", change.Action);
        Assert.Equal(0, registry.Writes);

        PathVariable.Apply(change, Windows(registry));

        Assert.Equal(SystemPath + ";" + Bin, registry.Machine!.Value);
        Assert.True(registry.Machine.Expandable, "the machine Path must stay REG_EXPAND_SZ, or %SystemRoot%\\system32 stops resolving");
        Assert.Equal(1, registry.Broadcasts);
        Assert.Equal(userBefore, registry.User!.Value);
    }

    [Theory]
    [InlineData(Bin)]
    [InlineData(@"c:\programdata\secureinstall\tools\bin\")]
    public void AllUsers_OnWindows_AFolderAlreadyOnTheMachinePath_ChangesNothing(string present)
    {
        var registry = new FakeRegistry { Machine = new StoredPath(present + ";" + SystemPath, expandable: true) };
        PathChange change = PathVariable.Plan(Bin, InstallScope.AllUsers, Windows(registry))!;
        Assert.False(change.Changes);
        PathVariable.Apply(change, Windows(registry));
        Assert.Equal(0, registry.Writes);
        Assert.Equal(0, registry.Broadcasts);
    }

    [Fact]
    public void AllUsers_OnWindows_NotElevated_IsElevationRequired_AndNothingIsWritten()
    {
        var registry = new FakeRegistry();
        PathChange change = PathVariable.Plan(Bin, InstallScope.AllUsers, Windows(registry, elevated: false))!;
        var ex = Assert.Throws<InstallException>(() => PathVariable.Apply(change, Windows(registry, elevated: false)));
        Assert.Equal(ErrorIds.ElevationRequired, ex.ErrorId);
        Assert.Equal(0, registry.Writes);
        Assert.Equal(SystemPath, registry.Machine!.Value);
    }

    [Fact]
    public void CurrentUser_OnWindows_AppendsToTheUsersPath_KeepingItsType_WithoutElevation()
    {
        var registry = new FakeRegistry { User = new StoredPath(@"C:\Users\ada\bin", expandable: false) };
        PathVariable.Apply(PathVariable.Plan(@"C:\Users\ada\.secureinstall\bin", InstallScope.CurrentUser, Windows(registry, elevated: false))!, Windows(registry, elevated: false));
        Assert.Equal(@"C:\Users\ada\bin;C:\Users\ada\.secureinstall\bin", registry.User!.Value);
        Assert.False(registry.User.Expandable);
        Assert.Equal(SystemPath, registry.Machine!.Value);
        Assert.Equal(1, registry.Broadcasts);
    }

    [Fact]
    public void OnWindows_AMissingPathValue_IsCreatedAsRegExpandSz_HoldingTheFolder()
    {
        var registry = new FakeRegistry { User = null };
        PathVariable.Apply(PathVariable.Plan(@"C:\Users\ada\.secureinstall\bin", InstallScope.CurrentUser, Windows(registry))!, Windows(registry));
        Assert.Equal(@"C:\Users\ada\.secureinstall\bin", registry.User!.Value);
        Assert.True(registry.User.Expandable);
    }

    [Fact]
    public void AllUsers_OnLinux_WritesAProfileScript_ThatPutsTheFolderOnPathOnce_0644()
    {
        const string bin = "/opt/secure install/it's/tools/bin";
        var linux = new PathVariableSystem { Os = "linux", Etc = _etc, Security = new Elevation(true) };
        PathChange change = PathVariable.Plan(bin, InstallScope.AllUsers, linux)!;
        string script = Path.Combine(_etc, "profile.d", "secureinstall.sh");
        Assert.Equal(script, change.Target);
        Assert.Null(change.Before);
        Assert.False(File.Exists(script), "planning (-WhatIf) writes nothing");

        PathVariable.Apply(change, linux);

        Assert.Equal(change.After, File.ReadAllText(script));
        Assert.Equal(new[] { "secureinstall.sh" }, Directory.GetFiles(Path.GetDirectoryName(script)!).Select(Path.GetFileName));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(0x1A4, UnixFileSystem.Status(script, followLinks: false)!.Value.Mode & 0x1FF);
            if (UnixFileSystem.CanReadOwners) Assert.Equal(UnixFileSystem.EffectiveUserId, UnixFileSystem.Status(script, followLinks: false)!.Value.Owner);
        }
        Assert.False(PathVariable.Plan(bin, InstallScope.AllUsers, linux)!.Changes);
    }

    [SkippableFact]
    public void AllUsers_OnLinux_TheProfileScript_SourcedTwiceByARealShell_AddsTheFolderOnce()
    {
        string? dash = new[] { "/usr/bin/dash", "/bin/dash", "/bin/sh" }.FirstOrDefault(File.Exists);
        Skip.If(dash == null, "no POSIX shell (dash or /bin/sh) to source the profile script with");
        const string bin = "/opt/secure install/it's/tools/bin";
        var linux = new PathVariableSystem { Os = "linux", Etc = _etc, Security = new Elevation(true) };
        PathVariable.Apply(PathVariable.Plan(bin, InstallScope.AllUsers, linux)!, linux);
        string script = Path.Combine(_etc, "profile.d", "secureinstall.sh");

        var start = new System.Diagnostics.ProcessStartInfo(dash!) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string a in new[] { "-c", ". \"$1\"; . \"$1\"; printf %s \"$PATH\"", "sh", script }) start.ArgumentList.Add(a);
        start.Environment["PATH"] = "/usr/bin:/bin";
        using var shell = System.Diagnostics.Process.Start(start)!;
        string path = shell.StandardOutput.ReadToEnd();
        shell.WaitForExit();
        Assert.Equal("/usr/bin:/bin:" + bin, path);
    }

    [Fact]
    public void AllUsers_OnMacOs_WritesPathsD_ForPathHelper()
    {
        var mac = new PathVariableSystem { Os = "darwin", Etc = _etc, Security = new Elevation(true) };
        PathVariable.Apply(PathVariable.Plan("/opt/secureinstall/tools/bin", InstallScope.AllUsers, mac)!, mac);
        Assert.Equal("/opt/secureinstall/tools/bin\n", File.ReadAllText(Path.Combine(_etc, "paths.d", "secureinstall")));
    }

    [Fact]
    public void AllUsers_OnLinux_NotRoot_IsElevationRequired_AndNoScriptIsWritten()
    {
        var linux = new PathVariableSystem { Os = "linux", Etc = _etc, Security = new Elevation(false) };
        PathChange change = PathVariable.Plan("/opt/secureinstall/tools/bin", InstallScope.AllUsers, linux)!;
        Assert.Equal(ErrorIds.ElevationRequired, Assert.Throws<InstallException>(() => PathVariable.Apply(change, linux)).ErrorId);
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(_etc, "profile.d")));
    }

    [Fact]
    public void OnUnix_TheCurrentUserOrAnEtcWithoutProfileD_HasNowhereToWrite_AndTheAdviceSaysWhatToAdd()
    {
        var linux = new PathVariableSystem { Os = "linux", Etc = _etc, Security = new Elevation(true) };
        Assert.Null(PathVariable.Plan("/home/ada/.secureinstall/bin", InstallScope.CurrentUser, linux));
        Directory.Delete(Path.Combine(_etc, "profile.d"));
        Assert.Null(PathVariable.Plan("/opt/secureinstall/tools/bin", InstallScope.AllUsers, linux));
        Assert.Contains("/opt/secureinstall/tools/bin", PathVariable.Advice("/opt/secureinstall/tools/bin", InstallScope.AllUsers));
    }
}

/// <summary>The real Windows calls, read-only (skipped elsewhere: the rules above and WindowsAclTests run everywhere).</summary>
public sealed class NativeWindowsTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "si-native-" + Guid.NewGuid().ToString("N"));

    public NativeWindowsTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [SkippableFact]
    [Trait("Category", "Windows")]
    [System.Runtime.Versioning.SupportedOSPlatform("windows")] // and skipped elsewhere
    public void ThePathValues_ReadAsTheRegistryHoldsThem_UnexpandedAndWithTheirType()
    {
        Skip.IfNot(OperatingSystem.IsWindows(), "reads the Windows registry");
        var native = new NativeWindowsEnvironment();
        foreach ((bool machine, Microsoft.Win32.RegistryKey hive, string subKey) in new[]
        {
            (true, Microsoft.Win32.Registry.LocalMachine, @"SYSTEM\CurrentControlSet\Control\Session Manager\Environment"),
            (false, Microsoft.Win32.Registry.CurrentUser, "Environment"),
        })
        {
            using Microsoft.Win32.RegistryKey? key = hive.OpenSubKey(subKey);
            object? raw = key?.GetValue("Path", null, Microsoft.Win32.RegistryValueOptions.DoNotExpandEnvironmentNames);
            StoredPath? read = native.ReadPath(machine);
            if (raw == null) { Assert.Null(read); continue; }
            Assert.Equal((string)raw, read!.Value);
            Assert.Equal(key!.GetValueKind("Path") == Microsoft.Win32.RegistryValueKind.ExpandString, read.Expandable);
        }
    }

    [SkippableFact]
    [Trait("Category", "Windows")]
    public void WhatThisProcessCreates_IsOwnedByItsDefaultOwner_AsSddlWritesIt()
    {
        Skip.IfNot(OperatingSystem.IsWindows(), "reads Windows security descriptors and this process's token");
        string file = Path.Combine(_dir, "new.txt");
        File.WriteAllText(file, "x");
        var native = new NativeWindowsSecurity();
        Assert.StartsWith("O:" + native.DefaultOwner + "D:", native.ReadSddl(file));
    }
}
