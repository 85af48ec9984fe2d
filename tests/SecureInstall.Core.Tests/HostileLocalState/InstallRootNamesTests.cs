using System.Text.Json.Nodes;
using NJsonSchema;
using SecureInstall.Core.Install;
using SecureInstall.Core.Manifests;
using YamlDotNet.RepresentationModel;

namespace SecureInstall.Core.Tests.HostileLocalState;

/// <summary>
/// Issue 17 #11: names the installer uses in the install root are reserved in manifests, and a command (shim) two tools
/// want is refused (ShimConflict) unless the manifest says which tool owns it.
/// </summary>
public sealed class InstallRootNamesTests : IDisposable
{
    private readonly InstalledToolSandbox _box = new();

    public void Dispose() => _box.Dispose();

    private const string Sha = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    [Theory]
    [InlineData(".staging-1")]
    [InlineData(".download-1")]
    [InlineData("1.0.old-2")]
    [InlineData("1.0.OLD-2")]
    [InlineData("1.0.removing-2")]
    [InlineData(".x.partial")]
    public void EveryNameAnInstallDeletesAsALeftover_IsReservedForToolsAndVersions(string name)
    {
        // One list decides both: a pattern added to the leftovers cannot be forgotten among the reserved names.
        Assert.True(InstallRootLayout.IsLeftover(name));
        Assert.NotNull(InstallRootLayout.ReservedReason(name, isVersion: true));
        Assert.NotNull(InstallRootLayout.ReservedReason(name, isVersion: false));
    }

    [Theory]
    [InlineData(".staging-1")]
    [InlineData(".download-1")]
    [InlineData("1.0.old-2")]
    [InlineData("1.0.removing-2")]
    [InlineData(".x.partial")]
    [InlineData("1.0.tree")]
    [InlineData("..")]
    [InlineData("a/b")]
    public void VersionNamedLikeSomethingTheInstallerDeletesOrWrites_IsRefused(string version)
    {
        var ex = Assert.Throws<ManifestFormatException>(() => _box.Manifest("tools:\n" + InstalledToolSandbox.Tool("tool", version, "https://e.test/t.tar.gz", Sha, "bin/tool")));
        Assert.Equal(ErrorIds.ManifestInvalid, ex.ErrorId);
        Assert.Equal(4, ex.Line);
    }

    [Theory]
    [InlineData("bin")]
    [InlineData("BIN")]
    [InlineData(".locks")]
    [InlineData("x.old-1")]
    public void ToolNamedLikeTheShimFolderOrALeftover_IsRefused(string tool)
    {
        var ex = Assert.Throws<ManifestFormatException>(() => _box.Manifest("tools:\n" + InstalledToolSandbox.Tool(tool, "1.0", "https://e.test/t.tar.gz", Sha, "bin/tool")));
        Assert.Equal(ErrorIds.ManifestInvalid, ex.ErrorId);
    }

    [Fact]
    public void VersionKeyMappingToAReservedExactVersion_IsRefused()
    {
        Assert.Throws<ManifestFormatException>(() => _box.Manifest(
            $"tools:\n  tool:\n    versions:\n      \"1\":\n        version: .staging-x\n        url: https://e.test/t.tar.gz\n        sha256: {Sha}\n"));
    }

    [Fact]
    public async Task LeftoverLookalikeFolders_AreStillCleanedUp_AndNoPinnedVersionCanBeOne()
    {
        // The installer's clean-up stays as it was; what changed is that no version can be named so (previous test).
        _box.File(Path.Combine("root", "tool", ".staging-1", "x"), "half");
        await _box.InstallSample();
        Assert.False(Directory.Exists(Path.Combine(_box.Root, "tool", ".staging-1")));
    }

    [Fact]
    public void TwoToolsWantingTheSameCommand_AreRefused_WithShimConflict()
    {
        PinnedManifest m = _box.Manifest("tools:\n" + InstalledToolSandbox.Tool("a", "1.0", "https://e.test/a.tar.gz", Sha, "bin/run")
                                                    + InstalledToolSandbox.Tool("b", "1.0", "https://e.test/b.tar.gz", Sha, "x/run.sh"));
        foreach (string tool in new[] { "a", "b" })
        {
            var ex = Assert.Throws<InstallException>(() => _box.Installer().Plan(m, new InstallLock(), tool, null));
            Assert.Equal(ErrorIds.ShimConflict, ex.ErrorId);
            Assert.Contains("owns_shims", ex.Message);
        }
    }

    [Fact]
    public void OwnsShims_GivesTheCommandToItsOwner_Only()
    {
        PinnedManifest m = _box.Manifest("tools:\n" + InstalledToolSandbox.Tool("a", "1.0", "https://e.test/a.tar.gz", Sha, "bin/run")
                                                    + InstalledToolSandbox.Tool("b", "1.0", "https://e.test/b.tar.gz", Sha, "[x/run.sh, x/other]", "    owns_shims: [run]\n"));
        Assert.Empty(_box.Installer().Plan(m, new InstallLock(), "a", null).ShimCommands);
        Assert.Equal(new[] { "other", "run" }, _box.Installer().Plan(m, new InstallLock(), "b", null).ShimCommands.Keys);
    }

    [Fact]
    public void TwoToolsClaimingOneCommand_IsAManifestError()
    {
        var ex = Assert.Throws<ManifestFormatException>(() => _box.Manifest("tools:\n"
            + InstalledToolSandbox.Tool("a", "1.0", "https://e.test/a.tar.gz", Sha, "bin/run", "    owns_shims: run\n")
            + InstalledToolSandbox.Tool("b", "1.0", "https://e.test/b.tar.gz", Sha, "bin/run", "    owns_shims: [run]\n")));
        Assert.Contains("'run'", ex.Message);
    }

    [Fact]
    public async Task ShimOfAnotherToolOnDisk_IsNotTakenOver_AndNothingIsInstalled()
    {
        (string urlA, string shaA) = _box.TarGz(("bin/run", "a"));
        (string urlB, string shaB) = _box.TarGz(("bin/run", "b"));
        await _box.Install(_box.Manifest("tools:\n" + InstalledToolSandbox.Tool("a", "1.0", urlA, shaA, "bin/run")), "a");
        string shim = Path.Combine(_box.Bin, OperatingSystem.IsWindows() ? "run.cmd" : "run");
        string before = File.ReadAllText(shim);

        // Another manifest (another repository) installing into the same root: its tool must not silently take "run".
        var ex = await Assert.ThrowsAsync<InstallException>(() => _box.Install(_box.Manifest("tools:\n" + InstalledToolSandbox.Tool("b", "1.0", urlB, shaB, "bin/run")), "b"));

        Assert.Equal(ErrorIds.ShimConflict, ex.ErrorId);
        Assert.Contains("the shim of a 1.0", ex.Message);
        Assert.Equal(before, File.ReadAllText(shim));
        Assert.False(Directory.Exists(Path.Combine(_box.Root, "b", "1.0")));
    }

    [Fact]
    public async Task UsersOwnFileInBin_IsNotOverwritten()
    {
        (string url, string sha) = _box.TarGz(("bin/run", "a"));
        string mine = _box.File(Path.Combine("root", "bin", OperatingSystem.IsWindows() ? "run.cmd" : "run"), "my own script\n");
        var ex = await Assert.ThrowsAsync<InstallException>(() => _box.Install(_box.Manifest("tools:\n" + InstalledToolSandbox.Tool("a", "1.0", url, sha, "bin/run")), "a"));
        Assert.Equal(ErrorIds.ShimConflict, ex.ErrorId);
        Assert.Equal("my own script\n", File.ReadAllText(mine));
    }

    [Fact]
    public async Task OwnsShims_LetsTheOwnerReplaceAnotherToolsShimOnDisk()
    {
        (string urlA, string shaA) = _box.TarGz(("bin/run", "a"));
        (string urlB, string shaB) = _box.TarGz(("bin/run", "b"));
        await _box.Install(_box.Manifest("tools:\n" + InstalledToolSandbox.Tool("a", "1.0", urlA, shaA, "bin/run")), "a");
        await _box.Install(_box.Manifest("tools:\n" + InstalledToolSandbox.Tool("b", "1.0", urlB, shaB, "bin/run", "    owns_shims: [run]\n")), "b");
        var owner = InstallRootLayout.ShimOwner(_box.Root, Path.Combine(_box.Bin, OperatingSystem.IsWindows() ? "run.cmd" : "run"));
        Assert.Equal("b", owner?.Tool);
    }

    [Theory]
    [InlineData("tools:\n  bin:\n    versions:\n      \"1\":\n        url: https://e.test/t.zip\n")]
    [InlineData("tools:\n  t:\n    versions:\n      .staging-1:\n        url: https://e.test/t.zip\n")]
    [InlineData("tools:\n  t:\n    versions:\n      1.0.tree:\n        url: https://e.test/t.zip\n")]
    public async Task ReservedNames_AreInvalidForEditorsToo(string yaml)
    {
        JsonSchema schema = await JsonSchema.FromJsonAsync(File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "module", "secureinstall.manifest.schema.json")));
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        Assert.NotEmpty(schema.Validate(ToJson(stream.Documents[0].RootNode)!.ToJsonString()));
        Assert.Throws<ManifestFormatException>(() => _box.Manifest(yaml));
    }

    [Fact]
    public async Task OwnsShims_IsValidForEditors()
    {
        JsonSchema schema = await JsonSchema.FromJsonAsync(File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "module", "secureinstall.manifest.schema.json")));
        var stream = new YamlStream();
        stream.Load(new StringReader($"tools:\n  t:\n    owns_shims: [run]\n    versions:\n      \"1.0\":\n        url: https://e.test/t.zip\n        sha256: {Sha}\n"));
        Assert.Empty(schema.Validate(ToJson(stream.Documents[0].RootNode)!.ToJsonString()));
    }

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(kv => KeyValuePair.Create(((YamlScalarNode)kv.Key).Value!, ToJson(kv.Value)))),
        YamlSequenceNode seq => new JsonArray(seq.Children.Select(ToJson).ToArray()),
        YamlScalarNode s => JsonValue.Create(s.Value),
        _ => null,
    };
}
