using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.Scripts;

namespace SecureInstall.Core.Tests.HostileLocalState;

/// <summary>
/// Issue 17 #3: the pin store (and the copies beside it) arrive in pull requests. Its "copy" field must not make the
/// ScriptChanged diff print another file: the copy is named by its digest, read without following links, size-capped,
/// and shown only when it hashes to the pin.
/// </summary>
public sealed class ScriptPinCopyTests : IDisposable
{
    private const string Secret = "SECRET-TOKEN=hunter2";
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "si-pincopy-" + Guid.NewGuid().ToString("N"));

    public ScriptPinCopyTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string StorePath => Path.Combine(_dir, "repo", "script-pins.json");

    private string CopiesFolder => Path.Combine(_dir, "repo", "script-pins");

    private string SecretFile
    {
        get
        {
            string path = Path.Combine(_dir, "outside", "config");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, Secret + "\n");
            return path;
        }
    }

    private static string Sha(byte[] bytes) => Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();

    private Uri Publish(string text)
    {
        string path = Path.Combine(_dir, "install.ps1");
        File.WriteAllText(path, text, new UTF8Encoding(false));
        return new Uri(path);
    }

    private ScriptRequest Tofu(Uri uri) => new(uri) { TrustOnFirstUse = true, PinStorePath = StorePath };

    private static ScriptFetcher Fetcher() => new(new VerifiedDownloaderOptions { NoCache = true });

    /// <summary>Pins 'v1', changes the script to 'v2', and returns the pinned copy's path.</summary>
    private async Task<(Uri Uri, string Copy)> PinThenChange()
    {
        Uri uri = Publish("'v1'\n");
        VerifiedScript first = await Fetcher().FetchAsync(Tofu(uri));
        ScriptFetcher.RecordPin(first, DateTimeOffset.UnixEpoch);
        Publish("'v2'\n");
        string copy = Path.Combine(CopiesFolder, first.Sha256 + ".ps1");
        Assert.True(File.Exists(copy));
        return (uri, copy);
    }

    private async Task<string> ChangedDiff(Uri uri) => (await Assert.ThrowsAsync<ScriptChangedException>(() => Fetcher().FetchAsync(Tofu(uri)))).Diff;

    [Theory]
    [InlineData(".git/config")]
    [InlineData("script-pins/../.git/config")]
    [InlineData("script-pins/0000000000000000000000000000000000000000000000000000000000000000.ps1")]
    [InlineData("other/{sha}.ps1")]
    [InlineData("script-pins/{sha}.ps1/x")]
    [InlineData("script-pins/{sha}.ps1\\n")]
    public void CopyFieldNotNamedByTheDigest_IsPinStoreInvalid_NamingTheFieldAndTheFile(string copy)
    {
        string sha = new('a', 64);
        Directory.CreateDirectory(Path.GetDirectoryName(StorePath)!);
        File.WriteAllText(StorePath, "{\"scripts\":[{\"uri\":\"https://x.example/i.ps1\",\"sha256\":\"" + sha + "\",\"copy\":\"" + copy.Replace("{sha}", sha) + "\"}]}");
        var ex = Assert.Throws<PinStoreInvalidException>(() => new ScriptPinStore(StorePath).Load());
        Assert.Equal(ErrorIds.PinStoreInvalid, ex.ErrorId);
        Assert.Contains("\"copy\"", ex.Message);
        Assert.Contains(StorePath, ex.Message);
        Assert.Contains($"script-pins/{sha}", ex.Message);
    }

    [Fact]
    public void CopyFieldNamedByTheDigest_Loads()
    {
        string sha = new('a', 64);
        Directory.CreateDirectory(Path.GetDirectoryName(StorePath)!);
        File.WriteAllText(StorePath, "{\"scripts\":[{\"uri\":\"u\",\"sha256\":\"" + sha + "\",\"pinnedAt\":\"2025-01-31T12:00:00Z\",\"copy\":\"script-pins/" + sha + ".ps1\"}]}");
        Assert.Equal("script-pins/" + sha + ".ps1", Assert.Single(new ScriptPinStore(StorePath).Load()).Copy);
    }

    [SkippableFact]
    public async Task CopyReplacedBySymlinkToAnotherFile_IsNotShownInTheDiff()
    {
        Skip.If(OperatingSystem.IsWindows(), "symbolic links need Developer Mode on Windows");
        (Uri uri, string copy) = await PinThenChange();
        File.Delete(copy);
        File.CreateSymbolicLink(copy, SecretFile);
        string diff = await ChangedDiff(uri);
        Assert.DoesNotContain(Secret, diff);
        Assert.Contains("symbolic link", diff);
        Assert.Contains("+'v2'", diff);
    }

    [SkippableFact]
    public async Task CopyReplacedBySymlinkToAFileWithThePinnedContent_IsStillNotFollowed()
    {
        Skip.If(OperatingSystem.IsWindows(), "symbolic links need Developer Mode on Windows");
        (Uri uri, string copy) = await PinThenChange();
        string elsewhere = Path.Combine(_dir, "elsewhere.ps1");
        File.Move(copy, elsewhere);
        File.CreateSymbolicLink(copy, elsewhere);
        string diff = await ChangedDiff(uri);
        Assert.DoesNotContain("-'v1'", diff);
        Assert.Contains("symbolic link", diff);
    }

    [SkippableFact]
    public async Task CopiesFolderReplacedBySymlink_IsNotFollowed_AndPinningThroughItIsRefused()
    {
        Skip.If(OperatingSystem.IsWindows(), "symbolic links need Developer Mode on Windows");
        (Uri uri, string copy) = await PinThenChange();
        string elsewhere = Path.Combine(_dir, "elsewhere");
        Directory.Move(CopiesFolder, elsewhere);
        Directory.CreateSymbolicLink(CopiesFolder, elsewhere);
        string diff = await ChangedDiff(uri);
        Assert.DoesNotContain("-'v1'", diff);
        Assert.Contains("is a symbolic link", diff);

        // -Accept would write the new copy through the link: refused, and nothing is written where it points.
        VerifiedScript accepted = await Fetcher().FetchAsync(new ScriptRequest(uri) { TrustOnFirstUse = true, Accept = true, PinStorePath = StorePath });
        var ex = Assert.Throws<PinStoreInvalidException>(() => ScriptFetcher.RecordPin(accepted, DateTimeOffset.UnixEpoch));
        Assert.Contains(CopiesFolder, ex.Message);
        Assert.Single(Directory.GetFiles(elsewhere));
    }

    [Fact]
    public async Task CopyOverwrittenWithOtherContent_IsNotShown_BecauseItDoesNotHashToThePin()
    {
        (Uri uri, string copy) = await PinThenChange();
        File.WriteAllText(copy, Secret + "\n");
        string diff = await ChangedDiff(uri);
        Assert.DoesNotContain(Secret, diff);
        Assert.Contains("not the pinned digest", diff);
        Assert.Contains("+'v2'", diff);
    }

    [Fact]
    public async Task IntactCopy_IsTheOldSideOfTheDiff()
    {
        (Uri uri, _) = await PinThenChange();
        string diff = await ChangedDiff(uri);
        Assert.Contains("-'v1'\n+'v2'\n", diff);
        Assert.DoesNotContain("not shown", diff);
    }

    [SkippableFact]
    public async Task CopyThatIsAHardLinkToAFileElsewhere_IsNotShown()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the link count is read with statx(2), on Linux");
        (Uri uri, string copy) = await PinThenChange();
        string elsewhere = Path.Combine(_dir, "elsewhere.ps1");
        File.Move(copy, elsewhere);
        using (Process ln = Process.Start("ln", new[] { elsewhere, copy })!)
        {
            ln.WaitForExit();
            Assert.Equal(0, ln.ExitCode);
        }
        string diff = await ChangedDiff(uri);
        Assert.DoesNotContain("-'v1'", diff);
        Assert.Contains("hard link", diff);
    }

    [SkippableFact]
    public async Task CopyThatIsAFifo_IsNotShown_AndDoesNotHang()
    {
        Skip.If(OperatingSystem.IsWindows(), "FIFOs are a Unix thing");
        (Uri uri, string copy) = await PinThenChange();
        File.Delete(copy);
        using (Process mkfifo = Process.Start("mkfifo", new[] { copy })!) mkfifo.WaitForExit();
        Task<string> diff = ChangedDiff(uri);
        Assert.Same(diff, await Task.WhenAny(diff, Task.Delay(TimeSpan.FromSeconds(20))));
        Assert.DoesNotContain("-'v1'", await diff);
    }

    [Fact]
    public void CopyLargerThanTheLimit_IsNotRead()
    {
        var store = new ScriptPinStore(StorePath);
        byte[] big = new byte[4096];
        ScriptPin pin = store.Pin(new Uri("https://x.example/i.ps1"), Sha(big), big, DateTimeOffset.UnixEpoch);
        Assert.NotNull(store.ReadCopy(pin, 4096, out _));
        Assert.Null(store.ReadCopy(pin, 1000, out string? problem));
        Assert.Contains("larger than", problem);
    }

    [Fact]
    public void StoreFileLargerThanTheLimit_IsPinStoreInvalid()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(StorePath)!);
        using (FileStream f = File.Create(StorePath))
        {
            byte[] head = Encoding.ASCII.GetBytes("{\"scripts\":[]}");
            f.Write(head);
            f.Write(Enumerable.Repeat((byte)' ', (int)ScriptPinStore.MaximumFileSize).ToArray());
        }
        var ex = Assert.Throws<PinStoreInvalidException>(() => new ScriptPinStore(StorePath).Load());
        Assert.Contains("larger than", ex.Message);
    }

    [SkippableFact]
    public void StoreThatIsASymbolicLink_IsPinStoreInvalid_AndWhatItLeadsToIsNotRead()
    {
        Skip.If(OperatingSystem.IsWindows(), "symbolic links need Developer Mode on Windows");
        Directory.CreateDirectory(Path.GetDirectoryName(StorePath)!);
        string elsewhere = Path.Combine(_dir, "elsewhere.json");
        File.WriteAllText(elsewhere, "{\"scripts\": []}");
        File.CreateSymbolicLink(StorePath, elsewhere);
        var ex = Assert.Throws<PinStoreInvalidException>(() => new ScriptPinStore(StorePath).Load());
        Assert.Contains("symbolic link", ex.Message);
    }

    [SkippableFact]
    public void StoreThatIsAFifo_IsPinStoreInvalid_WithoutWaitingForAWriter()
    {
        Skip.If(OperatingSystem.IsWindows(), "FIFOs are a Unix notion");
        Directory.CreateDirectory(Path.GetDirectoryName(StorePath)!);
        InstalledTreeKindsAndModesTests.MakeFifo(StorePath);
        Task<IReadOnlyList<ScriptPin>> load = Task.Factory.StartNew(() => new ScriptPinStore(StorePath).Load(), TaskCreationOptions.LongRunning);
        Assert.True(((IAsyncResult)load).AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(30)), "Load() of a FIFO still waiting after 30 s");
        var ex = Assert.IsType<PinStoreInvalidException>(load.Exception?.InnerException);
        Assert.Contains("FIFO", ex.Message);
    }
}
