using SecureInstall.Core.Scripts;

namespace SecureInstall.Core.Tests.Scripts;

public class UnifiedDiffTests
{
    [Fact]
    public void Identical_PrintsOnlyTheHeaders()
    {
        Assert.Equal("--- a\n+++ b\n", UnifiedDiff.Create("x\ny\n", "x\ny\n", "a", "b"));
    }

    [Fact]
    public void OneChangedLine_PrintsRemovalThenAdditionWithThreeLinesOfContext()
    {
        string old = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
        string @new = "1\n2\n3\n4\nFIVE\n6\n7\n8\n9\n";
        Assert.Equal("--- a\n+++ b\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+FIVE\n 6\n 7\n 8\n", UnifiedDiff.Create(old, @new, "a", "b"));
    }

    [Fact]
    public void DistantChanges_MakeTwoHunks()
    {
        string old = string.Join("\n", Enumerable.Range(1, 20)) + "\n";
        string @new = string.Join("\n", Enumerable.Range(1, 20).Select(i => i == 2 ? "two" : i == 19 ? "nineteen" : i.ToString())) + "\n";
        string diff = UnifiedDiff.Create(old, @new, "a", "b");
        Assert.Contains("@@ -1,5 +1,5 @@\n 1\n-2\n+two\n 3\n", diff);
        Assert.Contains("@@ -16,5 +16,5 @@\n 16\n 17\n 18\n-19\n+nineteen\n 20\n", diff);
    }

    [Fact]
    public void CrLfAndLf_CompareEqual_AndAnEmptyOldSideAddsEverything()
    {
        Assert.Equal("--- a\n+++ b\n", UnifiedDiff.Create("x\r\ny\r\n", "x\ny\n", "a", "b"));
        Assert.Equal("--- a\n+++ b\n@@ -0,0 +1,2 @@\n+x\n+y\n", UnifiedDiff.Create("", "x\ny\n", "a", "b"));
    }
}
