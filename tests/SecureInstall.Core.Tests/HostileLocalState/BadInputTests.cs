using System.Security.Cryptography;
using SecureInstall.Core.Archives;
using SecureInstall.Core.Checksums;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.IO;
using SecureInstall.Core.Signatures;
using SecureInstall.Core.Tests.Downloads;

namespace SecureInstall.Core.Tests.HostileLocalState;

/// <summary>
/// Issue 17 #12: input that cannot work fails with a SecureInstall ErrorId naming it: a folder where a file is read,
/// a relative URI, a destination that is a symbolic link to nothing (before any byte is fetched), a mistyped minisign key.
/// </summary>
public sealed class BadInputTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private readonly byte[] _data = RandomNumberGenerator.GetBytes(10_000);
    private LoopbackServer _server = null!;

    private string Sha256 => Convert.ToHexStringLower(SHA256.HashData(_data));

    public async Task InitializeAsync()
    {
        _server = await LoopbackServer.StartAsync();
        _server.Map("artifact.bin", c => Serve.File(c, _data));
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _dir.Dispose();
    }

    private VerifiedDownloader Downloader() => new(new VerifiedDownloaderOptions
    {
        NoCache = true,
        ServerCertificateValidation = _server.Trust,
        Mirrors = MirrorConfiguration.Empty,
        MaximumRetries = 0,
    });

    private DownloadRequest Pinned(string destination) => new(_server.Https("artifact.bin"), destination)
    {
        Expected = ChecksumEntry.FromDigest(Sha256, ChecksumAlgorithm.SHA256, "-Sha256"),
    };

    [Fact]
    public void HashingAFolder_IsPathIsDirectory_NamingIt()
    {
        string folder = Directory.CreateDirectory(Path.Combine(_dir.Path, "folder")).FullName;
        var ex = Assert.Throws<PathIsDirectoryException>(() => FileHasher.HashFile(folder, ChecksumAlgorithm.SHA256));
        Assert.Equal(ErrorIds.PathIsDirectory, ex.ErrorId);
        Assert.Equal(FailureKind.InvalidArgument, ex.Kind);
        Assert.Contains($"'{folder}' is a folder, not a file", ex.Message);
        Assert.Throws<PathIsDirectoryException>(() => FileHasher.OpenRead(folder).Dispose());
    }

    [Fact]
    public void ExtractingAFolder_IsPathIsDirectory_AndCreatesNoDestination()
    {
        string folder = Directory.CreateDirectory(Path.Combine(_dir.Path, "folder")).FullName;
        string destination = Path.Combine(_dir.Path, "out");
        var ex = Assert.Throws<PathIsDirectoryException>(() => new SafeArchiveExtractor(new ArchiveExtractionOptions()).Extract(folder, destination));
        Assert.Equal(folder, ex.Target);
        Assert.False(Directory.Exists(destination));
    }

    [Fact]
    public void RelativeUri_IsInvalidUri_NamingIt()
    {
        var ex = Assert.Throws<InvalidUriException>(() => new DownloadRequest(new Uri("tool.zip", UriKind.Relative), Path.Combine(_dir.Path, "tool.zip")));
        Assert.Equal(ErrorIds.InvalidUri, ex.ErrorId);
        Assert.Equal(FailureKind.InvalidArgument, ex.Kind);
        Assert.Contains("'tool.zip' is not absolute", ex.Message);
    }

    [Fact]
    public async Task RelativeChecksumListUri_IsInvalidUri_BeforeAnyRequest()
    {
        var request = new DownloadRequest(_server.Https("artifact.bin"), Path.Combine(_dir.Path, "a.bin")) { ChecksumUri = new Uri("SHA256SUMS", UriKind.Relative) };
        using VerifiedDownloader downloader = Downloader();
        var ex = await Assert.ThrowsAsync<InvalidUriException>(() => downloader.DownloadAsync(request));
        Assert.Contains("'SHA256SUMS' is not absolute", ex.Message);
        Assert.Empty(_server.Requests);
    }

    [SkippableFact]
    public async Task DanglingSymlinkDestination_IsPathNotFound_NamingIt_BeforeAnyRequest()
    {
        Skip.If(OperatingSystem.IsWindows(), "symbolic links need Developer Mode or elevation on Windows");
        string link = Path.Combine(_dir.Path, "dangling.bin");
        string target = Path.Combine(_dir.Path, "gone", "target.bin");
        File.CreateSymbolicLink(link, target);
        using VerifiedDownloader downloader = Downloader();
        var ex = await Assert.ThrowsAsync<DestinationNotFoundException>(() => downloader.DownloadAsync(Pinned(link)));
        Assert.Equal(ErrorIds.PathNotFound, ex.ErrorId);
        Assert.Equal(FailureKind.NotFound, ex.Kind);
        Assert.Equal(link, ex.Target);
        Assert.Contains($"'{link}' is a symbolic link to '{target}', which does not exist", ex.Message);
        Assert.Empty(_server.Requests);
        Assert.NotNull(new FileInfo(link).LinkTarget); // the link is left as it was
    }

    [Fact]
    public async Task DestinationInAMissingFolder_IsPathNotFound_NamingTheFolder_BeforeAnyRequest()
    {
        string destination = Path.Combine(_dir.Path, "missing", "a.bin");
        using VerifiedDownloader downloader = Downloader();
        var ex = await Assert.ThrowsAsync<DestinationNotFoundException>(() => downloader.DownloadAsync(Pinned(destination)));
        Assert.Contains($"is in the folder '{Path.Combine(_dir.Path, "missing")}', which does not exist", ex.Message);
        Assert.Empty(_server.Requests);
    }

    [SkippableFact]
    public async Task SymlinkToAnExistingFile_IsStillADestination()
    {
        Skip.If(OperatingSystem.IsWindows(), "symbolic links need Developer Mode or elevation on Windows");
        string target = _dir.File("target.bin", "old");
        string link = Path.Combine(_dir.Path, "link.bin");
        File.CreateSymbolicLink(link, target);
        using VerifiedDownloader downloader = Downloader();
        await downloader.DownloadAsync(Pinned(link));
        Assert.Equal(_data, File.ReadAllBytes(link));
    }

    [Theory]
    [InlineData("RWnotakey")]
    [InlineData("RWSGOq2NVecA2UPNdBUZykf1CCb147pkmdtYxgb3Ti+JO/wCYvh")]
    [InlineData("untrusted comment: minisign public key\nnot base64 at all")]
    public void MistypedMinisignKey_IsPublicKeyInvalid_NamingIt(string value)
    {
        var ex = Assert.Throws<PublicKeyFormatException>(() => MinisignPublicKey.FromArgument(value, null, "-MinisignPublicKey"));
        Assert.Equal(ErrorIds.PublicKeyInvalid, ex.ErrorId);
        Assert.StartsWith("-MinisignPublicKey '", ex.Message);
        Assert.Contains(value.Split('\n')[0], ex.Message);
        Assert.Contains("neither a minisign public key", ex.Message);
    }

    [Fact]
    public void MinisignKeyPathThatDoesNotExist_IsStillFileNotFound_NamingIt()
    {
        var ex = Assert.Throws<FileNotFoundException>(() => MinisignPublicKey.FromArgument("keys/absent.pub", null, "--minisign-key"));
        Assert.Contains("--minisign-key 'keys/absent.pub' names no existing file", ex.Message);
    }

    [Fact]
    public void ValidMinisignKey_IsRead()
    {
        MinisignPublicKey key = MinisignPublicKey.FromArgument("RWSGOq2NVecA2UPNdBUZykf1CCb147pkmdtYxgb3Ti+JO/wCYvhbAb/U", null, "-MinisignPublicKey");
        Assert.NotNull(key);
    }
}
