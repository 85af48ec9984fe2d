using SecureInstall.Core.IO;

namespace SecureInstall.Core.Tests.IO;

public sealed class UnixFileSystemTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("si-fs-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>Issue 21 §3: owners are read on macOS too, so the all-users root, the cache and the hard-link checks hold there as on Linux.</summary>
    [SkippableFact]
    public void OnLinuxAndMacOS_OwnersModesAndLinkCountsAreRead_AsThisProcessMadeThem()
    {
        Skip.If(OperatingSystem.IsWindows(), "owners and modes are Unix's (Windows has ACLs: WindowsAclTests)");
        Skip.IfNot(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "owners are read on Linux and macOS only");
        Assert.True(UnixFileSystem.CanReadOwners);
        string file = Path.Combine(_root, "mine");
        File.WriteAllText(file, "x");
        UnixFileSystem.SetMode(file, 0x1A0 /* 0640 */);
        File.CreateSymbolicLink(Path.Combine(_root, "link"), file);

        FileStatus mine = UnixFileSystem.Status(file, followLinks: false)!.Value;
        Assert.Equal(UnixEntryKind.RegularFile, mine.Kind);
        Assert.Equal(UnixFileSystem.EffectiveUserId, mine.Owner);
        Assert.Equal("0640", mine.Permissions);
        Assert.Equal(1u, mine.LinkCount);
        Assert.Equal(1L, mine.Size);
        Assert.Equal(UnixEntryKind.SymbolicLink, UnixFileSystem.Status(Path.Combine(_root, "link"), followLinks: false)!.Value.Kind);
        FileStatus root = UnixFileSystem.Status("/", followLinks: true)!.Value;
        Assert.Equal(0u, root.Owner);
        Assert.Equal(UnixEntryKind.Directory, root.Kind);
    }

    [Fact]
    public void TryExchange_SwapsAFolderAndAFile_OnLinuxAndMacOS()
    {
        if (OperatingSystem.IsWindows()) return;
        string folder = Directory.CreateDirectory(Path.Combine(_root, "folder")).FullName;
        File.WriteAllText(Path.Combine(folder, "inside.txt"), "inside");
        string file = Path.Combine(_root, "file");
        File.WriteAllText(file, "file");

        Assert.True(UnixFileSystem.TryExchange(folder, file));

        Assert.Equal("file", File.ReadAllText(folder));
        Assert.Equal("inside", File.ReadAllText(Path.Combine(file, "inside.txt")));
    }

    [Fact]
    public void TryExchange_WithAMissingPath_ReportsFalse_AndChangesNothing()
    {
        string folder = Directory.CreateDirectory(Path.Combine(_root, "folder")).FullName;
        string missing = Path.Combine(_root, "missing");

        Assert.False(UnixFileSystem.TryExchange(folder, missing));

        Assert.True(Directory.Exists(folder));
        Assert.False(Directory.Exists(missing) || File.Exists(missing));
    }
}
