using SecureInstall.Core.Archives;

namespace SecureInstall.Core.Tests.Archives;

public sealed class EntryPathPolicyTests
{
    [Theory]
    [InlineData("a/b/c.txt", new[] { "a", "b", "c.txt" })]
    [InlineData("./a//b/./c", new[] { "a", "b", "c" })]
    [InlineData("a\\b\\c", new[] { "a", "b", "c" })]
    [InlineData("dir/", new[] { "dir" })]
    [InlineData("./", new string[0])]
    [InlineData("v1.2.3/file", new[] { "v1.2.3", "file" })]
    [InlineData("..foo/bar..baz", new[] { "..foo", "bar..baz" })]
    [InlineData("CONFIG/console.txt", new[] { "CONFIG", "console.txt" })]
    [InlineData("földër/áöñ.txt", new[] { "földër", "áöñ.txt" })]
    public void SafeNames_SplitIntoSegments(string name, string[] expected)
    {
        Assert.Equal(expected, EntryPathPolicy.Split("a.tar", name));
    }

    [Theory]
    [InlineData("..", UnsafeEntryRule.ParentTraversal)]
    [InlineData("a/..", UnsafeEntryRule.ParentTraversal)]
    [InlineData("a\\..\\..\\b", UnsafeEntryRule.ParentTraversal)]
    [InlineData("/", UnsafeEntryRule.AbsolutePath)]
    [InlineData("d:x", UnsafeEntryRule.DrivePath)]
    [InlineData("\\\\?\\UNC\\server\\share", UnsafeEntryRule.UncOrDevicePath)]
    [InlineData("a\0b", UnsafeEntryRule.ControlCharacter)]
    [InlineData("a\u0085b", UnsafeEntryRule.ControlCharacter)]
    [InlineData("aux.tar.gz", UnsafeEntryRule.ReservedName)]
    [InlineData("CON .txt", UnsafeEntryRule.ReservedName)]
    [InlineData("COM\u00B9", UnsafeEntryRule.ReservedName)]
    [InlineData("ab:y", UnsafeEntryRule.AlternateDataStream)]
    [InlineData("a|b", UnsafeEntryRule.InvalidCharacter)]
    [InlineData("name ", UnsafeEntryRule.TrailingDotOrSpace)]
    [InlineData("", UnsafeEntryRule.EmptyName)]
    [InlineData("PROGRA~1/tool.exe", UnsafeEntryRule.ShortNameAlias)]
    [InlineData("bin/LONGNA~1.EXE", UnsafeEntryRule.ShortNameAlias)]
    [InlineData("git~12", UnsafeEntryRule.ShortNameAlias)]
    public void UnsafeNames_AreRefusedWithTheirRule(string name, UnsafeEntryRule rule)
    {
        var ex = Assert.Throws<UnsafeArchiveEntryException>(() => EntryPathPolicy.Split("a.tar", name));
        Assert.Equal(rule, ex.Rule);
        Assert.Equal(name, ex.EntryName);
    }

    [Fact]
    public void RefusalMessage_ShowsControlCharactersEscaped()
    {
        var ex = Assert.Throws<UnsafeArchiveEntryException>(() => EntryPathPolicy.Split("a.tar", "x\u001b[2Jy"));
        Assert.Contains("x\\x1b[2Jy", ex.Message);
        Assert.False(ex.Message.Contains((char)0x1b), "raw ESC in the message");
    }

    [Theory]
    [InlineData("notes.txt~")]
    [InlineData("a~b")]
    [InlineData("~1")]
    [InlineData("longername~1")]
    [InlineData("tool~1.tar.gz")]
    [InlineData("tool~1.json")]
    [InlineData("v1.2~3")]
    public void NamesWithATilde_ThatNoShortNameHas_AreKept(string name) => Assert.NotEmpty(EntryPathPolicy.Split("a.tar", name));

    [Fact]
    public void SegmentOf255Bytes_IsAccepted_256IsNot()
    {
        Assert.Single(EntryPathPolicy.Split("a.tar", new string('a', 255)));
        Assert.Throws<UnsafeArchiveEntryException>(() => EntryPathPolicy.Split("a.tar", new string('é', 128)));
    }
}
