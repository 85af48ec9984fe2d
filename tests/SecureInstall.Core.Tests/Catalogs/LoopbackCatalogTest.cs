using SecureInstall.Core.Downloads;
using SecureInstall.Core.Tests.Downloads;

namespace SecureInstall.Core.Tests.Catalogs;

/// <summary>What the catalog tests share: a loopback HTTPS server playing GitHub, a downloader trusting it, a temp folder and its manifest.</summary>
public abstract class LoopbackCatalogTest : IAsyncLifetime, IDisposable
{
    private protected readonly TempDir _dir = new();
    private protected LoopbackServer _server = null!;
    private protected VerifiedDownloader _downloader = null!;

    public async Task InitializeAsync()
    {
        _server = await LoopbackServer.StartAsync();
        _downloader = new VerifiedDownloader(new VerifiedDownloaderOptions { NoCache = true, ServerCertificateValidation = _server.Trust, MaximumRetries = 0 });
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose()
    {
        _downloader.Dispose();
        _dir.Dispose();
        GC.SuppressFinalize(this);
    }

    private protected string ManifestPath => Path.Combine(_dir.Path, "tools.yml");
}
