using SecureInstall.Core.Install;
using SecureInstall.Core.IO;

namespace SecureInstall.Core.Tests.IO;

public sealed class DirectorySwapTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("si-swap-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Staged(string content)
    {
        string staged = Directory.CreateDirectory(Path.Combine(_root, ".staging-" + Guid.NewGuid().ToString("N"))).FullName;
        File.WriteAllText(Path.Combine(staged, "a.txt"), content);
        return staged;
    }

    private string[] Names() => Directory.GetFileSystemEntries(_root).Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal).ToArray()!;

    private static bool NoExchange(string a, string b) => false;

    [Fact]
    public void NewDestination_IsTheStagedTree_AndNothingElseIsLeft()
    {
        string staged = Staged("new");
        string destination = Path.Combine(_root, "dest");

        DirectorySwap.MoveIntoPlace(staged, destination, replace: false);

        Assert.Equal("new", File.ReadAllText(Path.Combine(destination, "a.txt")));
        Assert.Equal(new[] { "dest" }, Names());
    }

    [Fact]
    public void WithoutReplace_AnExistingDestination_IsRefused_AndKept()
    {
        string staged = Staged("new");
        string destination = Directory.CreateDirectory(Path.Combine(_root, "dest")).FullName;
        File.WriteAllText(Path.Combine(destination, "a.txt"), "old");

        Assert.ThrowsAny<IOException>(() => DirectorySwap.MoveIntoPlace(staged, destination, replace: false));

        Assert.Equal("old", File.ReadAllText(Path.Combine(destination, "a.txt")));
        Assert.True(Directory.Exists(staged));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ExistingFolder_IsReplaced_AndTheOldTreeDeleted(bool exchange)
    {
        if (exchange && OperatingSystem.IsWindows()) return; // no exchange there
        string staged = Staged("new");
        string destination = Directory.CreateDirectory(Path.Combine(_root, "dest")).FullName;
        File.WriteAllText(Path.Combine(destination, "old.txt"), "old");

        if (exchange) DirectorySwap.MoveIntoPlace(staged, destination, replace: true);
        else DirectorySwap.MoveIntoPlace(staged, destination, replace: true, NoExchange);

        Assert.Equal(new[] { "a.txt" }, Directory.GetFiles(destination).Select(Path.GetFileName));
        Assert.Equal(new[] { "dest" }, Names());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ExistingFile_IsReplacedByTheTree(bool exchange)
    {
        if (exchange && OperatingSystem.IsWindows()) return;
        string staged = Staged("new");
        string destination = Path.Combine(_root, "dest");
        File.WriteAllText(destination, "a file");

        if (exchange) DirectorySwap.MoveIntoPlace(staged, destination, replace: true);
        else DirectorySwap.MoveIntoPlace(staged, destination, replace: true, NoExchange);

        Assert.Equal("new", File.ReadAllText(Path.Combine(destination, "a.txt")));
        Assert.Equal(new[] { "dest" }, Names());
    }

    [Fact]
    public void RenameAside_WhenTheStagedTreeCannotMoveIn_PutsTheOldTreeBack()
    {
        string destination = Directory.CreateDirectory(Path.Combine(_root, "dest")).FullName;
        File.WriteAllText(Path.Combine(destination, "old.txt"), "old");
        string missing = Path.Combine(_root, ".staging-gone");

        Assert.ThrowsAny<IOException>(() => DirectorySwap.MoveIntoPlace(missing, destination, replace: true, NoExchange));

        Assert.Equal("old", File.ReadAllText(Path.Combine(destination, "old.txt")));
        Assert.Equal(new[] { "dest" }, Names());
    }

    [Fact]
    public void RenameAside_WhenTheStagedTreeCannotMoveIn_PutsAnOldFileBack()
    {
        string destination = Path.Combine(_root, "dest");
        File.WriteAllText(destination, "a file");

        Assert.ThrowsAny<IOException>(() => DirectorySwap.MoveIntoPlace(Path.Combine(_root, ".staging-gone"), destination, replace: true, NoExchange));

        Assert.Equal("a file", File.ReadAllText(destination));
        Assert.Equal(new[] { "dest" }, Names());
    }

    [Theory]
    [InlineData("1.0")]
    [InlineData("dest")]
    [InlineData("tool.tar.gz")]
    public void AsideName_IsHidden_AndALeftoverTheInstallerRemoves_AndNeverAVersionName(string name)
    {
        string aside = Path.GetFileName(DirectorySwap.AsidePathFor(Path.Combine(_root, name)));

        Assert.StartsWith("." + name, aside, StringComparison.Ordinal);
        Assert.Equal(_root, Path.GetDirectoryName(DirectorySwap.AsidePathFor(Path.Combine(_root, name) + Path.DirectorySeparatorChar)));
        Assert.True(DirectorySwap.IsAsideName(aside));
        Assert.True(InstallRootLayout.IsLeftover(aside));
        Assert.NotNull(InstallRootLayout.ReservedReason(aside, isVersion: true));
        Assert.NotEqual(aside, Path.GetFileName(DirectorySwap.AsidePathFor(Path.Combine(_root, name))));
    }

    [Fact]
    public void IsAsideName_DoesNotTakeOrdinaryNames()
    {
        Assert.False(DirectorySwap.IsAsideName("1.0"));
        Assert.False(DirectorySwap.IsAsideName("tool.old-style"));
        Assert.False(DirectorySwap.IsAsideName(".staging-abc"));
    }
}
