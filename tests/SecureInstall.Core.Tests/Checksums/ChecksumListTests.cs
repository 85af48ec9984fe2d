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
