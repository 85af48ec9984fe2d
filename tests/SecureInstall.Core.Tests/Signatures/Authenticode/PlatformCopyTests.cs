using SecureInstall.Core.Signatures;
using SecureInstall.Core.Signatures.Authenticode;

namespace SecureInstall.Core.Tests.Signatures.Authenticode;

/// <summary>
/// Issue 21 (review): a download is checked in its temporary ".partial" file, but WinVerifyTrust picks a script's (and an
/// MSI's) SIP by the file name's extension. The platform check must read a private copy named with the artifact's own
/// extension, holding the same bytes the managed check read, removed afterwards. Tested through the stand-in platform
/// check, which records what it was given while it runs.
/// </summary>
public sealed class PlatformCopyTests(AuthenticodeLab lab) : IClassFixture<AuthenticodeLab>
{
    private sealed class Recorder(AuthenticodeLab.Identity says, string? refuse = null) : IPlatformAuthenticode
    {
        public string? SeenPath { get; private set; }
        public byte[]? SeenBytes { get; private set; }
        public bool SourceWritable { get; private set; } = true;
        public string? Source { get; set; }
        public string Name => "WinVerifyTrust (stand-in)";

        public PlatformAuthenticodeVerdict Verify(string path, bool checkRevocation, SignatureResult result)
        {
            SeenPath = path;
            SeenBytes = File.ReadAllBytes(path);
            if (Source != null && OperatingSystem.IsWindows())
            {
                try
                {
                    using var writer = new FileStream(Source, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
                }
                catch (IOException)
                {
                    SourceWritable = false;
                }
            }
            if (refuse != null) throw new SignatureInvalidException(result.AsInvalid(), refuse);
            return new PlatformAuthenticodeVerdict(says.Thumbprint, says.Cert.Subject, "sha256RSA");
        }
    }

    private AuthenticodeVerifier Verifier(IPlatformAuthenticode platform)
    {
        var options = new AuthenticodeVerifierOptions { Trust = AuthenticodeTrust.FromFiles(new[] { lab.RootFile }) };
        options.SignerThumbprints.Add(lab.Publisher.Thumbprint);
        return new AuthenticodeVerifier(options, platform, now: null);
    }

    /// <summary>The signed file as a download leaves it before it is placed: ".{name}.{id}.partial" in the destination folder.</summary>
    private string AsPartial(string signed, string artifactName)
    {
        string folder = Path.Combine(lab.Dir, "dest-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        string partial = Path.Combine(folder, "." + artifactName + ".1a2b3c.partial");
        File.Copy(signed, partial);
        return partial;
    }

    private string SignedScript()
    {
        string script = Path.Combine(lab.Dir, "tool-" + Guid.NewGuid().ToString("N") + ".ps1");
        File.WriteAllText(script, "param([string]$Name = 'world')\r\nWrite-Output \"Hello, $Name\"\r\n");
        return lab.Sign(script, lab.Publisher);
    }

    [SkippableFact]
    public void DownloadedScript_ThePlatformReadsAPrivateCopyNamedPs1_WithTheSameBytes_RemovedAfterwards()
    {
        string partial = AsPartial(SignedScript(), "tool.ps1");
        var platform = new Recorder(lab.Publisher) { Source = partial };

        SignatureResult result = Verifier(platform).Verify(partial, "https://example.test/releases/tool.ps1?token=REDACTED", CancellationToken.None);

        Assert.True(result.IsValid);
        Assert.Contains("managed", result.Checks);
        Assert.Contains("WinVerifyTrust (stand-in)", result.Checks);
        Assert.Equal("artifact.ps1", Path.GetFileName(platform.SeenPath));
        Assert.True(Path.IsPathRooted(platform.SeenPath));
        Assert.NotEqual(Path.GetDirectoryName(partial), Path.GetDirectoryName(platform.SeenPath));
        Assert.Equal(File.ReadAllBytes(partial), platform.SeenBytes);
        Assert.False(File.Exists(platform.SeenPath), "the copy is removed");
        Assert.False(Directory.Exists(Path.GetDirectoryName(platform.SeenPath)), "its private folder is removed");
        Assert.True(File.Exists(partial), "the download's own file is left to the downloader");
        if (OperatingSystem.IsWindows()) Assert.False(platform.SourceWritable, "writers are denied on the source while the platform check runs");
    }

    [SkippableFact]
    public void PrivateFolder_IsOwnerOnly_OnUnix()
    {
        Skip.If(OperatingSystem.IsWindows(), "Unix modes: on Windows the folder is under the user's own %TEMP%, whose ACL admits only the user, SYSTEM and Administrators");
        string partial = AsPartial(SignedScript(), "tool.ps1");
        UnixFileMode? mode = null;
        var platform = new Recorder(lab.Publisher);
        var spy = new Spy(platform, path => mode = OperatingSystem.IsWindows() ? null : File.GetUnixFileMode(Path.GetDirectoryName(path)!));

        Verifier(spy).Verify(partial, "https://example.test/tool.ps1", CancellationToken.None);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, mode);
    }

    private sealed class Spy(IPlatformAuthenticode inner, Action<string> see) : IPlatformAuthenticode
    {
        public string Name => inner.Name;

        public PlatformAuthenticodeVerdict Verify(string path, bool checkRevocation, SignatureResult result)
        {
            see(path);
            return inner.Verify(path, checkRevocation, result);
        }
    }

    [SkippableTheory]
    [InlineData("msi", "https://example.test/dl/Setup.MSI", "artifact.msi")]
    [InlineData("cab", "https://example.test/dl/driver.cab#frag", "artifact.cab")]
    [InlineData("pe", "https://example.test/dl/tool.exe", "artifact.exe")]
    [InlineData("pe", "https://example.test/download?id=7", "artifact")]
    public void DownloadedContainer_TheCopyCarriesTheUrisExtension(string kind, string uri, string expected)
    {
        string unsigned = kind switch
        {
            "msi" => lab.UnsignedMsi(),
            "cab" => lab.UnsignedCab(),
            _ => lab.UnsignedPe32(),
        };
        string partial = AsPartial(lab.Sign(unsigned, lab.Publisher), "artifact");
        var platform = new Recorder(lab.Publisher);

        Verifier(platform).Verify(partial, uri, CancellationToken.None);

        Assert.Equal(expected, Path.GetFileName(platform.SeenPath));
        Assert.Equal(File.ReadAllBytes(partial), platform.SeenBytes);
    }

    [SkippableFact]
    public void ThePlatformRefuses_TheCopyIsRemovedAnyway_AndTheErrorIsThePlatforms()
    {
        string partial = AsPartial(SignedScript(), "tool.ps1");
        var platform = new Recorder(lab.Publisher, refuse: "WinVerifyTrust failed with 0x800B0100");

        var ex = Assert.Throws<SignatureInvalidException>(() => Verifier(platform).Verify(partial, "https://example.test/tool.ps1", CancellationToken.None));

        Assert.Contains("0x800B0100", ex.Reason);
        Assert.False(Directory.Exists(Path.GetDirectoryName(platform.SeenPath)));
    }

    [SkippableFact]
    public void ALocalFile_IsCopiedUnderItsOwnExtension()
    {
        string signed = SignedScript();
        var platform = new Recorder(lab.Publisher);

        Verifier(platform).Verify(signed);

        Assert.Equal("artifact.ps1", Path.GetFileName(platform.SeenPath));
    }

    [Theory]
    [InlineData("https://example.test/a/tool.PS1?x=.exe", ".ps1")]
    [InlineData(@"C:\dl\setup.msi", ".msi")]
    [InlineData("https://example.test/a/tool", "")]
    [InlineData("https://example.test/a/tool.p%20s1", "")]
    [InlineData("https://example.test/a/tool.ps1:evil", "")]
    [InlineData("https://example.test/a/tool.", "")]
    [InlineData("https://example.test/a/tool.abcdefghijklmnopq", "")]
    [InlineData("https://example.test/a/tool.abcdefghijklmnop", ".abcdefghijklmnop")]
    public void SafeExtension_IsLettersAndDigitsOnly_OrNone(string name, string expected) =>
        Assert.Equal(expected, PlatformCopy.SafeExtension(name));

    [Theory]
    [InlineData("/d/.tool.ps1.1a2b.partial", "https://h/tool.ps1", "https://h/tool.ps1")]
    [InlineData("/d/.setup.msi.1a2b.partial", "https://h/setup.msi", "https://h/setup.msi")]
    [InlineData("/d/.x.1a2b.partial", "https://h/download?id=1", "https://h/download?id=1")]
    [InlineData("/d/tool.ps1", "https://h/tool.exe", "/d/tool.ps1")]
    [InlineData("/d/tool.msi", "/d/tool.msi", "/d/tool.msi")]
    public void TypedName_IsTheUrisForATemporaryFile(string path, string shownAs, string expected) =>
        Assert.Equal(expected, AuthenticodeVerifier.TypedName(path, shownAs));
}
