using SecureInstall.Core.Install;

namespace SecureInstall.Core.Tests.Install;

public class InstalledTreeTests
{
    [Fact]
    public void Digest_IsStable_AndIndependentOfCreationOrder()
    {
        using var a = new TempDir();
        using var b = new TempDir();
        a.File("bin/tool", "x"); a.File("README", "r");
        b.File("README", "r"); b.File("bin/tool", "x");
        Assert.Equal(InstalledTree.Compute(a.Path).Digest, InstalledTree.Compute(b.Path).Digest);
    }

    [Fact]
    public void Compare_ReportsChangedAddedAndRemovedFiles()
    {
        using var dir = new TempDir();
        dir.File("bin/tool", "x"); dir.File("lib/a", "a"); dir.File("lib/b", "b");
        InstalledTree before = InstalledTree.Compute(dir.Path);
        File.WriteAllText(Path.Combine(dir.Path, "bin/tool"), "evil");
        File.Delete(Path.Combine(dir.Path, "lib/a"));
        dir.File("lib/backdoor", "!");
        InstalledTree after = InstalledTree.Compute(dir.Path);
        Assert.NotEqual(before.Digest, after.Digest);
        TreeDiff diff = InstalledTree.Compare(before, after);
        Assert.Equal(new[] { "bin/tool" }, diff.Changed);
        Assert.Equal(new[] { "lib/backdoor" }, diff.Added);
        Assert.Equal(new[] { "lib/a" }, diff.Removed);
    }

    [Fact]
    public void Listing_RoundTrips_ToTheSameDigest()
    {
        using var dir = new TempDir();
        dir.File("a b/c d", "x");
        InstalledTree tree = InstalledTree.Compute(dir.Path);
        Assert.Equal(tree.Digest, InstalledTree.Parse(tree.Listing).Digest);
    }

    [SkippableFact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void ExecutableBit_IsPartOfTheDigest()
    {
        Skip.If(OperatingSystem.IsWindows(), "no executable bit on Windows");
        using var dir = new TempDir();
        string f = dir.File("tool", "x");
        string before = InstalledTree.Compute(dir.Path).Digest;
        File.SetUnixFileMode(f, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Assert.NotEqual(before, InstalledTree.Compute(dir.Path).Digest);
    }

    [SkippableFact]
    public void KnownDigest_IsUsedForTheVeryFileHashed_AndAReplacedOrChangedFileIsReadAgain()
    {
        Skip.If(OperatingSystem.IsWindows(), "file identity (device, inode) is what ties a known digest to a file; on Windows every file is read");
        using var dir = new TempDir();
        string tool = dir.File("bin/tool", "x");
        string real = InstalledTree.Compute(dir.Path).Digest;
        // A known digest that is not the content's shows whether the file was read: it is taken as given for the same file.
        string claimed = new string('a', 64);
        var known = new Dictionary<string, KnownFile> { ["bin/tool"] = KnownFile.Of(tool, claimed)!.Value };
        InstalledTree taken = InstalledTree.Compute(dir.Path, known, default);
        Assert.Contains($" {claimed} - bin/tool", taken.Listing, StringComparison.Ordinal);
        Assert.NotEqual(real, taken.Digest);

        // Replaced by another file under the same name (a new inode): read again.
        string other = dir.File("other", "x");
        File.Move(other, tool, overwrite: true);
        Assert.Equal(real, InstalledTree.Compute(dir.Path, known, default).Digest);

        // The same inode rewritten to another size: read again.
        known = new Dictionary<string, KnownFile> { ["bin/tool"] = KnownFile.Of(tool, claimed)!.Value };
        File.AppendAllText(tool, "y");
        Assert.DoesNotContain(claimed, InstalledTree.Compute(dir.Path, known, default).Listing, StringComparison.Ordinal);
    }
}
