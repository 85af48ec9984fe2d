// Unix modes are set only in tests that skip on Windows.
#pragma warning disable CA1416

using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using SecureInstall.Core.Install;

namespace SecureInstall.Core.Tests.HostileLocalState;

/// <summary>
/// Issue 17 #6 and the InstalledTree part of #1: the tree listing records every entry's kind and mode (setuid, setgid,
/// group/world write, x), folders included, never opens a FIFO, and hashes what a link leads to.
/// </summary>
public sealed class InstalledTreeKindsAndModesTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [DllImport("libc", SetLastError = true)]
    private static extern int mkfifo(byte[] path, uint mode);

    internal static void MakeFifo(string path) => Assert.Equal(0, mkfifo(Encoding.UTF8.GetBytes(path + "\0"), 0x1A4));

    private static void Mode(string path, int octal) => File.SetUnixFileMode(path, (UnixFileMode)octal);

    private string Tree()
    {
        _dir.File("t/bin/tool", "#!/bin/sh\n");
        _dir.File("t/lib/data", "data");
        string t = Path.Combine(_dir.Path, "t");
        if (!OperatingSystem.IsWindows())
        {
            Mode(t, 0x1ED); Mode(Path.Combine(t, "bin"), 0x1ED); Mode(Path.Combine(t, "lib"), 0x1ED);
            Mode(Path.Combine(t, "bin/tool"), 0x1ED); Mode(Path.Combine(t, "lib/data"), 0x1A4);
        }
        return t;
    }

    [SkippableFact]
    public void SetuidFile_ChangesTheDigest_AndTheDiffNamesIt()
    {
        Skip.If(OperatingSystem.IsWindows(), "no setuid on Windows");
        string t = Tree();
        InstalledTree before = InstalledTree.Compute(t);
        Mode(Path.Combine(t, "bin/tool"), 0x9ED); // 04755
        InstalledTree after = InstalledTree.Compute(t);
        Assert.NotEqual(before.Digest, after.Digest);
        Assert.Equal(new[] { "bin/tool (mode 0755 -> 4755 setuid)" }, InstalledTree.Compare(before, after).Changed);
    }

    [SkippableFact]
    public void GroupWritableFile_AndWorldWritableFolder_ChangeTheDigest_AndAreNamed()
    {
        Skip.If(OperatingSystem.IsWindows(), "no Unix modes on Windows");
        string t = Tree();
        InstalledTree before = InstalledTree.Compute(t);
        Mode(Path.Combine(t, "lib"), 0x1FF);          // 0777
        Mode(Path.Combine(t, "lib/data"), 0x1B4);     // 0664
        TreeDiff diff = InstalledTree.Compare(before, InstalledTree.Compute(t));
        Assert.Equal(new[] { "lib (mode 0755 -> 0777 world-writable)", "lib/data (mode 0644 -> 0664 group-writable)" }, diff.Changed);
    }

    [SkippableFact]
    public void VersionFolderMode_IsRecorded_AsTheRootEntry()
    {
        Skip.If(OperatingSystem.IsWindows(), "no Unix modes on Windows");
        string t = Tree();
        InstalledTree before = InstalledTree.Compute(t);
        Mode(t, 0x3FF); // 01777
        Assert.Equal(new[] { ". (mode 0755 -> 1777 world-writable)" }, InstalledTree.Compare(before, InstalledTree.Compute(t)).Changed);
    }

    [SkippableFact]
    public async Task Fifo_IsRecordedByKind_AndNeverOpened()
    {
        Skip.IfNot(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "FIFOs are a Unix thing");
        string t = Tree();
        InstalledTree before = InstalledTree.Compute(t);
        File.Delete(Path.Combine(t, "lib/data"));
        MakeFifo(Path.Combine(t, "lib/data"));   // a FIFO where a file was: opening it would wait for a writer forever
        MakeFifo(Path.Combine(t, "lib/pipe"));
        Task<InstalledTree> walk = Task.Run(() => InstalledTree.Compute(t));
        Assert.True(await Task.WhenAny(walk, Task.Delay(TimeSpan.FromSeconds(20))) == walk, "listing a tree with a FIFO in it hung");
        InstalledTree after = await walk;
        Assert.Equal(TreeEntryKind.Other, after.Files.Single(f => f.Path == "lib/pipe").Kind);
        TreeDiff diff = InstalledTree.Compare(before, after);
        Assert.Equal(new[] { "lib/data (was a file, now a FIFO, device or socket, a fifo: not read)" }, diff.Changed);
        Assert.Equal(new[] { "lib/pipe (FIFO, device or socket, a fifo: not read)" }, diff.Added);
    }

    [SkippableFact]
    public void LinkInsideTheTree_IsRecordedWithTheDigestOfTheFileBehindIt()
    {
        Skip.If(OperatingSystem.IsWindows(), "symbolic links need privileges on Windows");
        string t = Tree();
        File.CreateSymbolicLink(Path.Combine(t, "bin/data"), "../lib/data");
        TreeFile link = InstalledTree.Compute(t).Files.Single(f => f.Path == "bin/data");
        Assert.Equal(TreeEntryKind.Link, link.Kind);
        Assert.Equal("../lib/data", link.LinkTarget);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes("data"))).ToLowerInvariant(), link.Sha256);
        Assert.Empty(InstalledTree.Compute(t).EscapingLinks);
    }

    [SkippableFact]
    public void LinkLeavingTheTree_IsNamedAsEscaping_AndWhatItPointsAtIsNeverRead()
    {
        Skip.If(OperatingSystem.IsWindows(), "symbolic links need privileges on Windows");
        string t = Tree();
        string outside = _dir.File("outside/secret", "changes whenever someone likes");
        File.CreateSymbolicLink(Path.Combine(t, "bin/direct"), outside);
        File.CreateSymbolicLink(Path.Combine(t, "bin/relative"), "../../outside/secret");
        // A link inside the tree to a folder that is itself a link out: each component is resolved, so this leaves the tree too.
        File.CreateSymbolicLink(Path.Combine(t, "lib/out"), Path.GetDirectoryName(outside)!);
        File.CreateSymbolicLink(Path.Combine(t, "bin/through"), "../lib/out/secret");
        InstalledTree tree = InstalledTree.Compute(t);
        Assert.Equal(new[] { "bin/direct", "bin/relative", "bin/through", "lib/out" }, tree.EscapingLinks.Select(f => f.Path).Order(StringComparer.Ordinal));
        Assert.All(tree.EscapingLinks, f => Assert.Equal(TreeFile.LinkOutside, f.Sha256));
    }

    /// <summary>One refusal for the tool and the module installers (they wrote two messages and two exception types for it).</summary>
    [SkippableFact]
    public void RefuseEscapingLinks_IsUnsafeArchiveEntry_NamingTheLinkAndWhereItLeads_AndPassesAnInsideLink()
    {
        Skip.If(OperatingSystem.IsWindows(), "symbolic links need privileges on Windows");
        string t = Tree();
        File.CreateSymbolicLink(Path.Combine(t, "bin/data"), "../lib/data");
        InstalledTree.Compute(t).RefuseEscapingLinks("jq", "1.7");

        File.CreateSymbolicLink(Path.Combine(t, "bin/out"), "../../elsewhere");
        var ex = Assert.Throws<EscapingLinkException>(() => InstalledTree.Compute(t).RefuseEscapingLinks("jq", "1.7"));
        Assert.Equal(ErrorIds.UnsafeArchiveEntry, ex.ErrorId);
        Assert.Equal(FailureKind.Security, ex.Kind);
        Assert.Equal("jq", ex.Target);
        Assert.StartsWith("jq 1.7: the link 'bin/out' -> '../../elsewhere' does not lead to a file or folder inside what was unpacked", ex.Message);
        Assert.EndsWith("nothing was installed.", ex.Message);
    }

    [Fact]
    public void Listing_RoundTrips_WithKindsModesLinksAndOddNames()
    {
        var files = new[]
        {
            new TreeFile(".", TreeEntryKind.Directory, 0x1ED, "-"),
            new TreeFile("a b", TreeEntryKind.File, 0x9ED, new string('a', 64)),
            new TreeFile("line\nbreak %", TreeEntryKind.File, 0x1A4, new string('b', 64)),
            new TreeFile("l", TreeEntryKind.Link, 0x1FF, TreeFile.LinkOutside, "../x y"),
            new TreeFile("p", TreeEntryKind.Other, 0x1A4, "fifo"),
        };
        InstalledTree tree = InstalledTree.FromFiles(files);
        InstalledTree parsed = InstalledTree.Parse(tree.Listing);
        Assert.Equal(tree.Digest, parsed.Digest);
        Assert.Equal(2, parsed.Format);
        Assert.Equal("line\nbreak %", parsed.Files.Single(f => f.Kind == TreeEntryKind.File && f.Mode == 0x1A4).Path);
        Assert.Equal("../x y", parsed.Files.Single(f => f.Kind == TreeEntryKind.Link).LinkTarget);
    }

    [Fact]
    public void FormatOneListing_IsReadAsFormatOne()
    {
        InstalledTree old = InstalledTree.Parse(new string('a', 64) + " x bin/tool\n");
        Assert.Equal(1, old.Format);
        Assert.True(old.Files.Single().Executable);
    }
}
