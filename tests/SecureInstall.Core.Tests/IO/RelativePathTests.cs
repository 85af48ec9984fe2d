using SecureInstall.Core.Archives;
using SecureInstall.Core.IO;

namespace SecureInstall.Core.Tests.IO;

public sealed class RelativePathTests
{
    [Theory]
    [InlineData("a", RelativePathProblem.None)]
    [InlineData("./a//b/", RelativePathProblem.None)]
    [InlineData("a\\b", RelativePathProblem.None)]
    [InlineData("", RelativePathProblem.Empty)]
    [InlineData(".", RelativePathProblem.Empty)]
    [InlineData("./", RelativePathProblem.Empty)]
    [InlineData("a\0b", RelativePathProblem.NulCharacter)]
    [InlineData("//server/share", RelativePathProblem.UncOrDevicePath)]
    [InlineData("\\\\?\\C:\\x", RelativePathProblem.UncOrDevicePath)]
    [InlineData("/etc/passwd", RelativePathProblem.AbsolutePath)]
    [InlineData("\\x", RelativePathProblem.AbsolutePath)]
    [InlineData("C:x", RelativePathProblem.DrivePath)]
    [InlineData("c:/x", RelativePathProblem.DrivePath)]
    [InlineData("a/../../b", RelativePathProblem.ParentTraversal)]
    [InlineData("a\\..\\b", RelativePathProblem.ParentTraversal)]
    [InlineData("..", RelativePathProblem.ParentTraversal)]
    [InlineData("file.txt:stream", RelativePathProblem.StreamOrDrive)]
    [InlineData("1:x", RelativePathProblem.StreamOrDrive)]
    public void Check_NamesTheFirstProblem(string path, RelativePathProblem expected)
    {
        Assert.Equal(expected, RelativePath.Check(path));
        Assert.Equal(expected == RelativePathProblem.None, RelativePath.IsInside(path));
    }

    [Fact]
    public void Segments_DropEmptyAndDot_AndKeepParent()
    {
        Assert.Equal(new[] { "a", "..", "b" }, RelativePath.Segments("./a//..\\b/."));
    }

    [Fact]
    public void Combine_JoinsInside_AndRefusesOutside()
    {
        string folder = Path.Combine(Path.GetTempPath(), "tree");
        Assert.Equal(Path.Combine(folder, "bin", "tool"), RelativePath.Combine(folder, "bin/tool"));
        var ex = Assert.Throws<ArgumentException>(() => RelativePath.Combine(folder, "../x"));
        Assert.Contains("'..' climbs out", ex.Message);
    }

    [Theory]
    [InlineData("//server/share/x", UnsafeEntryRule.UncOrDevicePath)]
    [InlineData("/x", UnsafeEntryRule.AbsolutePath)]
    [InlineData("C:x", UnsafeEntryRule.DrivePath)]
    [InlineData("a/../b", UnsafeEntryRule.ParentTraversal)]
    [InlineData("x/a:b/../c", UnsafeEntryRule.AlternateDataStream)]
    public void EveryPathTheRuleRefuses_TheArchiveRulesRefuseToo(string name, UnsafeEntryRule rule)
    {
        Assert.False(RelativePath.IsInside(name));
        var ex = Assert.Throws<UnsafeArchiveEntryException>(() => EntryPathPolicy.Split("a.tar", name));
        Assert.Equal(rule, ex.Rule);
    }
}
