using SecureInstall.Core.Checksums;

namespace SecureInstall.Core.Tests.Checksums;

public class ChecksumListWriterTests
{
    [Fact]
    public void Write_IsSortedLfAndRoundTripsThroughTheParser()
    {
        using var dir = new TempDir();
        var items = new[] { "b.zip", "a.zip", "sub/c.zip" }.Select(n => new ChecksumListItem(dir.File(n, n), n)).ToList();
        string text = new ChecksumListWriter().Write(items, ChecksumAlgorithm.SHA256, ChecksumListFormat.Gnu);
        Assert.DoesNotContain("\r", text);
        Assert.EndsWith("\n", text);
        ChecksumList list = new ChecksumListParser().Parse(text, "t");
        Assert.Equal(new[] { "a.zip", "b.zip", "sub/c.zip" }, list.Entries.Select(e => e.FileName));
        foreach (ChecksumListItem item in items)
            Assert.True(new ChecksumVerifier().Verify(new ChecksumTarget(item.Path, list.Find(item.Path, dir.Path))).IsValid);
    }

    [Fact]
    public void Write_EscapesAwkwardNames_TheWayCoreutilsDoes()
    {
        using var dir = new TempDir();
        string f = dir.File("x", "x");
        string name = "odd\\name\nwith newline";
        foreach (ChecksumListFormat format in new[] { ChecksumListFormat.Gnu, ChecksumListFormat.Bsd })
        {
            string text = new ChecksumListWriter().Write(new[] { new ChecksumListItem(f, name) }, ChecksumAlgorithm.SHA256, format);
            Assert.StartsWith("\\", text);
            Assert.Equal(name, new ChecksumListParser().Parse(text, "t").Entries.Single().FileName);
        }
    }

    [Fact]
    public void Write_TwoFilesUnderOneName_IsRefused()
    {
        using var dir = new TempDir();
        var items = new[] { new ChecksumListItem(dir.File("a/x", "1"), "x"), new ChecksumListItem(dir.File("b/x", "2"), "x") };
        Assert.Throws<ArgumentException>(() => new ChecksumListWriter().Write(items, ChecksumAlgorithm.SHA256, ChecksumListFormat.Gnu));
    }

    [Fact]
    public void Save_WritesUtf8WithoutBom_AndLeavesNoTemporaryFile()
    {
        using var dir = new TempDir();
        string outFile = Path.Combine(dir.Path, "SHA256SUMS");
        ChecksumListWriter.Save("abc\n", outFile);
        ChecksumListWriter.Save("def\n", outFile);
        Assert.Equal("def\n"u8.ToArray(), File.ReadAllBytes(outFile));
        Assert.Single(Directory.GetFiles(dir.Path));
    }
}
