using System.Diagnostics;
using System.Text;
using SecureInstall.Core.Manifests;

namespace SecureInstall.Core.Tests.HostileLocalState;

/// <summary>
/// Issue 17 #5: a manifest is hostile input. Nesting and alias expansion are bounded while parsing. The full-size
/// attacks (a 100,000-deep manifest that overflowed the stack, a 9^10 billion laughs that ran for minutes) run in child
/// processes in tests/pester/HostileLocalState/ManifestBounds.Tests.ps1, so that without the bounds they fail a test
/// instead of killing or hanging the test host; here the limits are tested at their edges, at sizes that finish either way.
/// </summary>
public class ManifestBoundsTests
{
    private static readonly string Sha = new('a', 64);

    /// <summary>A valid one-tool manifest with <paramref name="extra"/> under an ignored key of the tool, on line 6.</summary>
    private static string Manifest(string extra) =>
        "tools:\n" +
        "  hello:\n" +
        "    version: \"1.0.0\"\n" +
        "    url: https://example.test/hello.tar.gz\n" +
        $"    sha256: {Sha}\n" +
        $"    extra: {extra}\n";

    private static PinnedManifest Read(string yaml) => new ManifestReader().Read(new StringReader(yaml), "m.yml");

    /// <summary>Nested flow sequences: the root mapping, tools and hello are 3 levels, so 61 brackets reach the limit of 64.</summary>
    private static string Nested(int brackets) => new string('[', brackets) + new string(']', brackets);

    [Fact]
    public void NestingOneLevelPastTheLimit_IsManifestInvalid_NamingTheLimitAndLine()
    {
        var ex = Assert.Throws<ManifestFormatException>(() => Read(Manifest(Nested(62))));
        Assert.Equal(ErrorIds.ManifestInvalid, ex.ErrorId);
        Assert.Equal(6, ex.Line);
        Assert.Contains($"nesting deeper than {YamlBounds.MaximumDepth} levels (the limit)", ex.Message);
        Assert.StartsWith("m.yml, line 6: ", ex.Message);
    }

    [Fact]
    public void NestingAtTheLimit_IsRead()
    {
        PinnedManifest m = Read(Manifest(Nested(61)));
        Assert.Equal("hello", m.Tools.Single().Name);
    }

    [Fact]
    public void NestingInBlockStyle_IsCountedToo()
    {
        var yaml = new StringBuilder("tools:\n  hello:\n    version: \"1.0.0\"\n    url: https://example.test/hello.tar.gz\n    sha256: " + Sha + "\n    extra:\n");
        for (int i = 0; i < 70; i++) yaml.Append(' ', 6 + 2 * i).Append("k:\n");
        yaml.Append(' ', 6 + 140).Append("v\n");
        var ex = Assert.Throws<ManifestFormatException>(() => Read(yaml.ToString()));
        Assert.Equal(ErrorIds.ManifestInvalid, ex.ErrorId);
        Assert.Contains("64 levels (the limit)", ex.Message);
        Assert.Equal(7 + 61, ex.Line); // extra's mapping (level 4) opens on line 7, level 65 sixty-one lines below
    }

    /// <summary>The "billion laughs" shape: each anchor repeats the one before nine times; the last is used as a mapping key.</summary>
    private static string Laughs(int levels)
    {
        var yaml = new StringBuilder("\n");
        yaml.Append("      l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (int i = 1; i < levels; i++)
            yaml.Append($"      l{i}: &l{i} [").Append(string.Join(", ", Enumerable.Repeat($"*l{i - 1}", 9))).Append("]\n");
        yaml.Append($"      ? *l{levels - 1}\n      : boom\n");
        return Manifest(yaml.ToString());
    }

    [Fact]
    public void AliasBomb_IsManifestInvalid_CountingEachAliasAtItsExpandedSize()
    {
        // 7 levels expand to 9^7 (4.8 million) scalars from 750 bytes; before the bound the reader hashed all of them.
        string yaml = Laughs(7);
        Assert.True(yaml.Length < 1000);
        var ex = Assert.Throws<ManifestFormatException>(() => Read(yaml));
        Assert.Equal(ErrorIds.ManifestInvalid, ex.ErrorId);
        Assert.Contains($"more than {YamlBounds.MaximumNodes} YAML nodes (the limit)", ex.Message);
        // Level 5 holds 9^6 + … ≈ 600,000 expanded nodes: its line (line 7 + 5) is where the budget runs out.
        Assert.Equal(12, ex.Line);
    }

    [Fact]
    public void ManyPlainNodes_PastTheBudget_AreManifestInvalid()
    {
        string flat = "[" + string.Join(",", Enumerable.Repeat("1", YamlBounds.MaximumNodes)) + "]";
        var ex = Assert.Throws<ManifestFormatException>(() => Read(Manifest(flat)));
        Assert.Contains($"more than {YamlBounds.MaximumNodes} YAML nodes (the limit)", ex.Message);
        Assert.Equal(6, ex.Line);
    }

    [Fact]
    public void AliasesOfAReasonableSize_AreRead()
    {
        PinnedManifest m = Read($"""
            tools:
              hello:
                version: "1.0.0"
                url: https://example.test/hello.tar.gz
                sha256: {Sha}
                extra: &mirrors [https://mirror.test/hello.tar.gz, https://mirror2.test/hello.tar.gz]
                mirrors: *mirrors
            """);
        Assert.Equal(2, m.Tools.Single().Versions.Single().Artifacts.Single().Mirrors.Count);
    }

    [Fact]
    public void AliasInsideItsOwnAnchor_IsManifestInvalid()
    {
        var ex = Assert.Throws<ManifestFormatException>(() => Read(Manifest("&loop [a, *loop]")));
        Assert.Equal(ErrorIds.ManifestInvalid, ex.ErrorId);
        Assert.Equal(6, ex.Line);
    }

    [Fact]
    public void ManifestUpdater_ReadsThroughTheSameBounds()
    {
        var list = new SecureInstall.Core.Checksums.ChecksumListParser().Parse(new MemoryStream(Encoding.UTF8.GetBytes($"{Sha}  hello.tar.gz\n")), "SUMS", CancellationToken.None);
        var ex = Assert.Throws<ManifestFormatException>(() =>
            ManifestUpdater.AddVersion(Manifest(Nested(62)), "m.yml", null, "hello", "1.0.1", list, false, null, false));
        Assert.Contains("64 levels (the limit)", ex.Message);
    }

    [SkippableFact]
    public void ReadFile_CountsTheBytesItReads_NotTheLengthTheFileReports()
    {
        // /dev/zero reports a length of 0 and never ends; so does a file that grows while it is read.
        Skip.IfNot(File.Exists("/dev/zero"), "needs /dev/zero (not Windows)");
        // Before the bound this read forever: wait a while on a thread of its own rather than hang the run.
        Task<PinnedManifest> read = Task.Factory.StartNew(() => new ManifestReader().ReadFile("/dev/zero"), TaskCreationOptions.LongRunning);
        Assert.True(((IAsyncResult)read).AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(30)), "ReadFile(/dev/zero) still reading after 30 s");
        var ex = Assert.IsType<ManifestFormatException>(read.Exception?.InnerException);
        Assert.Equal(ErrorIds.ManifestInvalid, ex.ErrorId);
        // A device is refused for what it is before a byte is read; a regular file is held to the limit on the bytes read.
        Assert.Contains("not a regular file (it is a character device)", ex.Message);
    }

    [SkippableFact]
    public void ManifestThatIsAFifo_IsManifestInvalid_WithoutWaitingForAWriter()
    {
        Skip.If(OperatingSystem.IsWindows(), "FIFOs are a Unix notion");
        using var dir = new TempDir();
        string fifo = Path.Combine(dir.Path, "secureinstall.yml");
        InstalledTreeKindsAndModesTests.MakeFifo(fifo);
        // Opening a FIFO for reading waits for a writer: before, the manifest read hung here for good.
        Task<PinnedManifest> read = Task.Factory.StartNew(() => new ManifestReader().ReadFile(fifo), TaskCreationOptions.LongRunning);
        Assert.True(((IAsyncResult)read).AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(30)), "ReadFile(FIFO) still waiting after 30 s");
        var ex = Assert.IsType<ManifestFormatException>(read.Exception?.InnerException);
        Assert.Contains("not a regular file (it is a FIFO)", ex.Message);
    }

    [SkippableFact]
    public void ManifestThatIsASymbolicLinkToAFile_IsRead()
    {
        Skip.If(OperatingSystem.IsWindows(), "symbolic links need Developer Mode on Windows");
        using var dir = new TempDir();
        string real = dir.File("shared/secureinstall.yml",
            "tools:\n  hello:\n    versions:\n      \"1.0.0\":\n        artifacts:\n          linux-x64:\n" +
            $"            url: https://example.org/hello\n            sha256: {new string('a', 64)}\n");
        string link = Path.Combine(dir.Path, "secureinstall.yml");
        File.CreateSymbolicLink(link, real);
        Assert.Equal("hello", Assert.Single(new ManifestReader().ReadFile(link).Tools).Name);
    }

    [SkippableFact]
    public void EveryRealWorldYamlFile_IsWithinTheBounds()
    {
        string? corpus = TestPaths.Corpus;
        Skip.If(corpus == null, "../shared/corpus is not present on this machine");
        var files = Directory.EnumerateFiles(corpus!, "*.y*ml", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".yml", StringComparison.Ordinal) || f.EndsWith(".yaml", StringComparison.Ordinal))
            .Append(Path.Combine(TestPaths.RepositoryRoot, "samples", "tools", "secureinstall.yml"))
            .ToList();
        Assert.True(files.Count > 100);
        foreach (string file in files)
        {
            try
            {
                YamlBounds.Load(new StringReader(File.ReadAllText(file)), file);
            }
            catch (ManifestFormatException ex) when (!ex.Message.Contains("(the limit)"))
            {
                // Not every file in the corpus is valid YAML for YamlDotNet; only the bounds matter here.
            }
        }
    }
}
