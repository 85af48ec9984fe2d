using SecureInstall.Core.Manifests;

namespace SecureInstall.Core.Tests.Manifests;

/// <summary>Issue 22: a module's signature: is read as the Authenticode policy a tool's takes.</summary>
public class ModuleSignaturePinTests
{
    private static PinnedManifest Read(string signature) => new ManifestReader().Read(new StringReader(
        $"modules:\n  Signed:\n    version: \"1.0.0\"\n    sha512: {new string('a', 128)}\n    source: https://example.test/v3/index.json\n    signature: {signature}\n"), "m.yml");

    [Theory]
    [InlineData("0123456789abcdef0123456789ABCDEF01234567", "thumbprint")]
    [InlineData("\"CN=Contoso, O=Contoso\"", "subject")]
    [InlineData("{ thumbprint: 0123456789abcdef0123456789abcdef01234567, root: root.pem }", "thumbprint")]
    [InlineData("{ scheme: authenticode, subject: \"CN=Contoso\" }", "subject")]
    public void ScalarOrMapping_IsAnAuthenticodePolicy(string signature, string pinned)
    {
        PinnedModule module = Read(signature).Modules.Single();

        Assert.Equal("authenticode", module.SignaturePolicy!.Scheme);
        Assert.True(module.SignaturePolicy.Settings.ContainsKey(pinned));
        if (!module.SignaturePolicy.Settings.ContainsKey("root")) Assert.NotNull(SecureInstall.Core.Modules.ModuleSignatures.RequirementOf(module));
    }

    [Fact]
    public void AnotherScheme_IsAManifestFormatError()
    {
        var ex = Assert.Throws<ManifestFormatException>(() => Read("{ scheme: minisign, key: RWQ }"));

        Assert.Contains("Authenticode", ex.Message);
    }

    [Fact]
    public void NoSignature_PinsNothing()
    {
        PinnedModule module = new ManifestReader().Read(new StringReader(
            $"modules:\n  Plain:\n    version: \"1.0.0\"\n    sha512: {new string('a', 128)}\n    source: https://example.test/v3/index.json\n"), "m.yml").Modules.Single();

        Assert.Null(module.SignaturePolicy);
        Assert.Null(SecureInstall.Core.Modules.ModuleSignatures.RequirementOf(module));
    }
}
