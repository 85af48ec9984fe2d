using System.Security.Cryptography;
using System.Text;
using SecureInstall.Core.Catalogs;
using SecureInstall.Core.Signatures;
using SecureInstall.Core.Tests.Downloads;
using SecureInstall.Core.Tests.Signatures.Sigstore;

namespace SecureInstall.Core.Tests.Catalogs;

/// <summary>
/// Issue 24: an aqua definition's <c>checksum.cosign</c> (the publisher signs the checksum file) with a Sigstore bundle:
/// the bundle is verified over the checksum file's bytes under the definition's identity and issuer before any digest in
/// it is pinned; a missing, broken or other-identity bundle refuses the add and nothing is written. No real Sigstore
/// bundle signs a checksum list we could serve: the sigstore-conformance bundles sign a.txt ("DO NOT MODIFY ME! …"),
/// which lists no digest. So the bundles are made by <see cref="HashedRekordDigestTests.TestInstance"/> (a test Fulcio
/// CA and Rekor key, in the real formats), and the add verifies against that instance's trusted root. The loopback
/// HTTPS server plays the GitHub release (--github-base).
/// </summary>
public sealed class CatalogSignedChecksumTests : LoopbackCatalogTest, IDisposable
{
    private const string Identity = "https://github.com/example/tool/.github/workflows/release.yml@refs/tags/v1.0.0";
    private const string Issuer = "https://token.actions.githubusercontent.com";
    private static readonly byte[] Tool = Encoding.UTF8.GetBytes("#!/bin/sh\necho tool\n");
    private static readonly string ToolSha256 = Convert.ToHexStringLower(SHA256.HashData(Tool));
    private static readonly byte[] Checksums = Encoding.UTF8.GetBytes(ToolSha256 + "  tool-linux-amd64\n" + new string('0', 64) + "  tool-darwin-arm64\n");

    private readonly HashedRekordDigestTests.TestInstance _sigstore = new();

    private string Registry(string identityOpt = "--certificate-identity", string identity = "https://github.com/example/tool/.github/workflows/release.yml@refs/tags/{{.Version}}")
    {
        string file = Path.Combine(_dir.Path, "registry", "pkgs", "example", "tool", "registry.yaml");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(file, "packages:\n  - type: github_release\n    repo_owner: example\n    repo_name: tool\n    asset: tool-{{.OS}}-{{.Arch}}\n    format: raw\n"
            + "    supported_envs: [linux/amd64]\n    checksum:\n      type: github_release\n      asset: checksums.txt\n      algorithm: sha256\n"
            + "      cosign:\n        bundle:\n          type: github_release\n          asset: checksums.txt.sigstore.json\n"
            + $"        opts:\n          - {identityOpt}\n          - {identity}\n          - --certificate-oidc-issuer\n          - {Issuer}\n");
        return Path.Combine(_dir.Path, "registry");
    }

    /// <summary>The release: the tool, checksums.txt and (unless null) the given bundle beside it.</summary>
    private void ServeRelease(byte[]? bundle, byte[]? checksums = null)
    {
        const string release = "example/tool/releases/download/v1.0.0/";
        _server.Map(release + "tool-linux-amd64", c => Serve.File(c, Tool));
        _server.Map(release + "checksums.txt", c => Serve.File(c, checksums ?? Checksums));
        if (bundle != null) _server.Map(release + "checksums.txt.sigstore.json", c => Serve.File(c, bundle, contentType: "application/json"));
    }

    private byte[] BundleOver(byte[] content) => _sigstore.Bundle(content, ECCurve.NamedCurves.nistP256, HashAlgorithmName.SHA256);

    private CatalogAddRequest Request(string registry, bool whatIf = false)
    {
        string root = Path.Combine(_dir.Path, "trusted_root.json");
        File.WriteAllText(root, _sigstore.RootJson);
        return new CatalogAddRequest
        {
            ManifestPath = ManifestPath, Package = "example/tool", Version = "v1.0.0", Registry = registry, GitHubBase = _server.HttpsBase, WhatIf = whatIf,
            SigstoreTrustedRoot = root,
        };
    }

    private Task<CatalogAddition> Add(CatalogAddRequest request) => new CatalogToolAdder(_downloader).AddAsync(request, CancellationToken.None);

    [Fact]
    public async Task SignedChecksumFile_IsVerified_ThenItsDigestIsPinned_AndTheCommentSaysWhoSignedIt()
    {
        ServeRelease(BundleOver(Checksums));
        CatalogAddition added = await Add(Request(Registry()));

        CatalogPin pin = Assert.Single(added.Pins);
        Assert.Equal(ToolSha256, pin.Sha256);
        Assert.Contains($"the checksum file Sigstore-verified (identity {Identity}, issuer {Issuer}", pin.DigestSource);
        Assert.Contains($"# sha256 from {_server.HttpsBase}example/tool/releases/download/v1.0.0/checksums.txt, the checksum file Sigstore-verified (identity {Identity}", added.Entry);
        Assert.DoesNotContain(added.NotCarried, n => n.Contains("checksum.cosign", StringComparison.Ordinal));
    }

    [Fact]
    public async Task IdentityRegexp_RenderedForTheVersion_WithGoQuoting_Verifies()
    {
        // As atago's definition writes it: RE2's \Q…\E quotes the version, which .NET regular expressions lack.
        ServeRelease(BundleOver(Checksums));
        CatalogAddition added = await Add(Request(Registry("--certificate-identity-regexp", "'^https://github\\.com/example/tool/.+@refs/tags/\\Q{{.Version}}\\E$'")));
        Assert.Contains("identity matching ^https://github\\.com/example/tool/.+@refs/tags/v1\\.0\\.0$, issuer " + Issuer, Assert.Single(added.Pins).DigestSource);
    }

    [Fact]
    public async Task IdentityRegexp_ThatTheSignerDoesNotMatch_IsRefused()
    {
        ServeRelease(BundleOver(Checksums));
        await Assert.ThrowsAsync<SignerNotTrustedException>(() => Add(Request(Registry("--certificate-identity-regexp", "'^https://github\\.com/example/tool/.+@refs/tags/\\Qv1.0\\E$'"))));
        Assert.False(File.Exists(ManifestPath));
    }

    [Fact]
    public async Task WhatIf_SaysTheChecksumFileWillBeSigstoreVerified_AndFetchesNothing()
    {
        // Nothing is served: a -WhatIf that fetched the list or the bundle would fail.
        CatalogAddition added = await Add(Request(Registry(), whatIf: true));
        Assert.Contains($"the checksum file to be Sigstore-verified (identity {Identity}, issuer {Issuer}", Assert.Single(added.Pins).DigestSource);
        Assert.Null(added.Text);
    }

    [Fact]
    public async Task BundleOverOtherBytes_IsRefused_BeforeAnyDigestIsTrusted()
    {
        // A checksum file changed after signing: the one an attacker swapped in lists its own digest.
        byte[] swapped = Encoding.UTF8.GetBytes(new string('a', 64) + "  tool-linux-amd64\n");
        ServeRelease(BundleOver(Checksums), swapped);
        var ex = await Assert.ThrowsAsync<SignatureInvalidException>(() => Add(Request(Registry())));
        Assert.Equal(ErrorIds.SignatureInvalid, ex.ErrorId);
        Assert.False(File.Exists(ManifestPath));
    }

    [Fact]
    public async Task BundleSignedByAnotherIdentity_IsRefused_SignerNotTrusted()
    {
        ServeRelease(BundleOver(Checksums));
        var ex = await Assert.ThrowsAsync<SignerNotTrustedException>(() => Add(Request(Registry(identity: "https://github.com/someone/else/.github/workflows/release.yml@refs/tags/{{.Version}}"))));
        Assert.Equal(ErrorIds.SignerNotTrusted, ex.ErrorId);
        Assert.Contains("someone/else", ex.Message);
        Assert.False(File.Exists(ManifestPath));
    }

    [Fact]
    public async Task MissingBundle_IsRefused_NamingTheBundle()
    {
        ServeRelease(bundle: null);
        var ex = await Assert.ThrowsAnyAsync<SecureInstallException>(() => Add(Request(Registry())));
        Assert.Contains("checksums.txt.sigstore.json", ex.Message);
        Assert.False(File.Exists(ManifestPath));
    }

    [Fact]
    public async Task MalformedBundle_IsRefused_SignatureFormatInvalid()
    {
        ServeRelease(Encoding.UTF8.GetBytes("{\"mediaType\":\"application/vnd.dev.sigstore.bundle+json;version=0.1\"}"));
        var ex = await Assert.ThrowsAsync<SignatureFormatException>(() => Add(Request(Registry())));
        Assert.Equal(ErrorIds.SignatureFormatInvalid, ex.ErrorId);
        Assert.False(File.Exists(ManifestPath));
    }

    [Fact]
    public async Task KeyAtAUrl_StaysNotCarried_ByName_AndTheListIsPinnedAsServed()
    {
        ServeRelease(bundle: null);
        CatalogAddition added = await Add(Request(Registry("--key", "https://example.test/cosign.pub")));
        Assert.Equal(ToolSha256, Assert.Single(added.Pins).Sha256);
        Assert.DoesNotContain("Sigstore-verified", added.Pins[0].DigestSource);
        Assert.Contains(added.NotCarried, n => n.Contains("checksum.cosign: the signer is a key at https://example.test/cosign.pub", StringComparison.Ordinal));
    }

    public new void Dispose()
    {
        _sigstore.Dispose();
        base.Dispose();
    }
}
