using SecureInstall.Core.Install;
using SecureInstall.Core.Manifests;

namespace SecureInstall.Core.Tests.Install;

/// <summary>What Save-PinnedTool and `secureinstall push` carry: tools by platform, modules whatever the platform.</summary>
public sealed class BundleSelectionTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private PinnedManifest Manifest()
    {
        string sha = new('1', 64);
        string path = _dir.File("secureinstall.yml", $"""
            tools:
              hello:
                versions:
                  "1.0.0":
                    artifacts:
                      linux-x64:
                        url: https://example.test/hello-linux
                        sha256: "{sha}"
                      windows-x64:
                        url: https://example.test/hello.exe
                        sha256: "{new string('2', 64)}"
            modules:
              Lantern:
                version: "2.0.0"
                sha512: "{new string('a', 128)}"
                source: https://example.test/api/v2
              Wick:
                version: "1.0.0"
                sha512: "{new string('b', 128)}"
                source: https://example.test/api/v2
            """);
        return new ManifestReader().ReadFile(path);
    }

    [Fact]
    public void NoNames_CarryEveryTool_ForThePlatformsAsked_AndEveryModule_WhateverThePlatform()
    {
        BundleSelection selection = BundleSelection.Of(Manifest(), Array.Empty<string>(), null, new[] { "linux-x64" });
        Assert.Equal("linux-x64", Assert.Single(selection.Artifacts).Artifact.Platform);
        Assert.Equal(new[] { "Lantern", "Wick" }, selection.Modules.Select(m => m.Name));
        Assert.Equal("hello 1.0.0 (linux-x64); the modules Lantern 2.0.0, Wick 1.0.0 (and the pinned modules they depend on)", selection.Describe());
    }

    [Fact]
    public void Names_ChooseAmongToolsAndModules_NamingOnlyToolsLeavesTheModulesOut()
    {
        PinnedManifest manifest = Manifest();
        BundleSelection tools = BundleSelection.Of(manifest, new[] { "hello" }, null, Array.Empty<string>());
        Assert.Equal(2, tools.Artifacts.Count);
        Assert.Empty(tools.Modules);

        BundleSelection module = BundleSelection.Of(manifest, new[] { "wick" }, null, new[] { "linux-x64" });
        Assert.Empty(module.Artifacts);
        Assert.Equal("Wick", Assert.Single(module.Modules).Name);

        BundleSelection both = BundleSelection.Of(manifest, new[] { "hello", "Lantern" }, null, new[] { "windows-x64" });
        Assert.Equal("windows-x64", Assert.Single(both.Artifacts).Artifact.Platform);
        Assert.Equal("Lantern", Assert.Single(both.Modules).Name);
    }

    [Fact]
    public void AName_PinnedAsNeither_IsToolNotInManifest()
    {
        var ex = Assert.ThrowsAny<SecureInstallException>(() => BundleSelection.Of(Manifest(), new[] { "nope" }, null, Array.Empty<string>()));
        Assert.Equal(ErrorIds.ToolNotInManifest, ex.ErrorId);
        Assert.EndsWith("pins no tool or module named 'nope' (it pins the tools hello; the modules Lantern, Wick).", ex.Message, StringComparison.Ordinal);
    }
}
