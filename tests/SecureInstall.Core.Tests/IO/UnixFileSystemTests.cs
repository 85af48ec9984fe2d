using SecureInstall.Core.IO;

namespace SecureInstall.Core.Tests.IO;

public sealed class UnixFileSystemTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("si-fs-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

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
