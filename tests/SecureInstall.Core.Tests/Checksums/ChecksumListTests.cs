using SecureInstall.Core.Checksums;

namespace SecureInstall.Core.Tests.Checksums;

public class ChecksumListTests
{
    private static readonly string A64 = new('a', 64);
    private static readonly string B64 = new('b', 64);
    private readonly ChecksumListParser _parser = new();

    [Fact]
    public void Find_PrefersRelativePath_OverBareName()
    {
        using var dir = new TempDir();
        ChecksumList list = _parser.Parse($"{A64}  linux/tool\n{B64}  windows/tool\n", "t");
        string file = Path.Combine(dir.Path, "windows", "tool");
        Assert.Equal(B64, list.Find(file, dir.Path).Digest);
    }

    [Fact]
    public void Find_FallsBackToBareName_WhenListHasNoFolders()
    {
        using var dir = new TempDir();
        ChecksumList list = _parser.Parse($"{A64}  tool.dll\n", "t");
        Assert.Equal(A64, list.Find(Path.Combine(dir.Path, "dll", "tool.dll"), dir.Path).Digest);
    }

    [Fact]
    public void Find_BareNameInSeveralFoldersWithDifferentDigests_IsNotGuessed()
    {
        using var dir = new TempDir();
        ChecksumList list = _parser.Parse($"{A64}  a/tool\n{B64}  b/tool\n", "t");
        Assert.Throws<ChecksumNotFoundException>(() => list.Find(Path.Combine(dir.Path, "c", "tool"), dir.Path));
    }

    [Fact]
    public void Find_HashOnlySidecar_MatchesTheFileBeingChecked()
    {
        ChecksumList list = _parser.Parse(A64, "x.sha256");
        Assert.Equal(A64, list.Find("/anywhere/x", "/elsewhere").Digest);
    }

    [Fact]
    public void Find_UnlistedFile_ThrowsChecksumNotFound()
    {
        ChecksumList list = _parser.Parse($"{A64}  a\n", "SHA256SUMS");
        var ex = Assert.Throws<ChecksumNotFoundException>(() => list.Find("/x/b", "/x"));
        Assert.Equal("ChecksumNotFound", ex.ErrorId);
        Assert.Equal(FailureKind.Security, ex.Kind);
    }

    [Fact]
    public void Find_PicksStrongestAlgorithm_UnlessOneIsAsked()
    {
        ChecksumList list = _parser.Parse($"{new string('1', 32)}  f\n{A64}  f\n{new string('2', 128)}  f\n", "t");
        Assert.Equal(ChecksumAlgorithm.SHA512, list.Find("/d/f", "/d").Algorithm);
        Assert.Equal(ChecksumAlgorithm.SHA256, list.Find("/d/f", "/d", ChecksumAlgorithm.SHA256).Algorithm);
        Assert.Throws<ChecksumNotFoundException>(() => list.Find("/d/f", "/d", ChecksumAlgorithm.SHA384));
    }

    [Theory]
    [InlineData("../outside")]
    [InlineData("/etc/passwd")]
    [InlineData("C:/Windows/win.ini")]
    [InlineData("a/../../b")]
    [InlineData("a\\..\\..\\b")]
    [InlineData("\\\\server\\share\\f")]
    [InlineData("./")]                 // the folder itself: read before
    public void ResolveListedPath_RefusesNamesOutsideTheFolder(string name)
    {
        ChecksumList list = _parser.Parse($"{A64}  {name}\n", "t");
        Assert.Throws<ChecksumListFormatException>(() => list.ResolveListedPath(list.Entries[0], "/base"));
        using var dir = new TempDir();
        using var folder = SecureInstall.Core.IO.OpenedFolder.Open(dir.Path);
        Assert.Throws<ChecksumListFormatException>(() => list.ListedTarget(list.Entries[0], folder));
    }

    // Issue 23: a listed file is opened relative to the list's folder, held open. It must be the file the full path
    // names, with the same failures (named by the full path) for a missing file, a name below a file and a folder.
    [Fact]
    public void ListedTarget_IsTheFileOfResolveListedPath_AndFailsAsItDoes()
    {
        using var dir = new TempDir();
        dir.File("sub/a", "A");   // listed as sub\a, as lists written on Windows name it
        dir.File("b", "B");
        dir.File("plain", "P");
        Directory.CreateDirectory(Path.Combine(dir.Path, "folder"));
        string sha(string text) => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text))).ToLowerInvariant();
        ChecksumList list = _parser.Parse(
            $"{sha("A")}  sub\\a\n{sha("B")}  ./b\n{sha("X")}  .//plain\n{A64}  absent\n{A64}  plain/below\n{A64}  folder\n", "t");
        using var folder = SecureInstall.Core.IO.OpenedFolder.Open(Path.Combine(dir.Path, "sub", ".."));
        List<ChecksumTarget> targets = list.Entries.Select(e => list.ListedTarget(e, folder)).ToList();
        Assert.Equal(list.Entries.Select(e => list.ResolveListedPath(e, dir.Path)), targets.Select(t => t.Path));

        List<ChecksumOutcome> outcomes = new ChecksumVerifier().VerifyMany(targets).ToList();
        Assert.True(outcomes[0].Result!.IsValid);
        Assert.True(outcomes[1].Result!.IsValid);
        Assert.False(outcomes[2].Result!.IsValid);
        Assert.Equal(sha("P"), outcomes[2].Result!.ActualHash);
        Assert.Contains(targets[3].Path, Assert.IsType<FileNotFoundException>(outcomes[3].Error).Message);
        Assert.Contains(targets[4].Path, Assert.IsType<DirectoryNotFoundException>(outcomes[4].Error).Message);
        Assert.IsType<SecureInstall.Core.IO.PathIsDirectoryException>(outcomes[5].Error);
    }

    // The folder is held from the start: a folder put in its place while files are checked is not read (Linux, where
    // the files are opened through it; elsewhere they are opened by full path, as before).
    [Fact]
    public void ListedTarget_ReadsFromTheFolderHeldOpen_NotOneSwappedIntoItsPlace()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var dir = new TempDir();
        string held = Path.Combine(dir.Path, "release");
        dir.File("release/tool", "genuine");
        ChecksumList list = _parser.Parse($"{Convert.ToHexString(System.Security.Cryptography.SHA256.HashData("genuine"u8.ToArray())).ToLowerInvariant()}  tool\n", "t");
        using var folder = SecureInstall.Core.IO.OpenedFolder.Open(held);
        ChecksumTarget target = list.ListedTarget(list.Entries[0], folder);
        Directory.Move(held, Path.Combine(dir.Path, "moved"));
        dir.File("release/tool", "swapped");
        Assert.True(new ChecksumVerifier().Verify(target).IsValid);
        Assert.Equal(Path.Combine(held, "tool"), target.Path);
    }

    [Fact]
    public void ResolveListedPath_AColonInAName_IsAStreamOnWindows_AndAnOrdinaryCharacterElsewhere()
    {
        // "notes.txt:hidden" opens an NTFS stream of another file on Windows; on Unix timestamped names carry colons.
        ChecksumList list = _parser.Parse($"{A64}  notes.txt:hidden\n{A64}  logs/backup-2024-01-01T10:00.tar\n", "t");
        foreach (ChecksumEntry entry in list.Entries)
        {
            if (SecureInstall.Core.IO.UnixFileSystem.IsWindows)
                Assert.Throws<ChecksumListFormatException>(() => list.ResolveListedPath(entry, "/base"));
            else
                Assert.Equal(Path.Combine("/base", entry.FileName!.Replace('/', Path.DirectorySeparatorChar)), list.ResolveListedPath(entry, "/base"));
        }
    }

    [Theory]
    [InlineData("./a/b", "a/b")]
    [InlineData("a\\b", "a/b")]
    [InlineData("a//b", "a/b")]
    public void NormalizeName_FoldsSeparatorsAndDotSlash(string name, string expected)
    {
        Assert.Equal(expected, ChecksumList.NormalizeName(name));
    }
}
