using SecureInstall.Core.Scripts;

namespace SecureInstall.Core.Tests.Scripts;

public sealed class ScriptPinStoreTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "si-pins-" + Guid.NewGuid().ToString("N"));

    public ScriptPinStoreTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Pin_WritesSortedLfJson_AndACopyNamedByDigestBesideIt()
    {
        var store = new ScriptPinStore(Path.Combine(_dir, "pins.json"));
        store.Pin(new Uri("https://b.example/i.ps1"), new string('b', 64), new byte[] { 1 }, DateTimeOffset.UnixEpoch);
        store.Pin(new Uri("https://a.example/i.ps1"), new string('a', 64), new byte[] { 2 }, DateTimeOffset.UnixEpoch);
        string text = File.ReadAllText(store.FilePath);
        Assert.DoesNotContain("\r", text);
        Assert.True(text.IndexOf("a.example", StringComparison.Ordinal) < text.IndexOf("b.example", StringComparison.Ordinal));
        Assert.Equal(new byte[] { 2 }, File.ReadAllBytes(Path.Combine(_dir, "pins", new string('a', 64) + ".ps1")));
        Assert.Equal("1970-01-01T00:00:00Z", store.Find(new Uri("https://a.example/i.ps1"))!.PinnedAt);
    }

    [Fact]
    public void Pin_ReplacesTheEntryForTheSameUri()
    {
        var store = new ScriptPinStore(Path.Combine(_dir, "pins.json"));
        var uri = new Uri("https://a.example/i.ps1");
        store.Pin(uri, new string('a', 64), new byte[] { 1 }, DateTimeOffset.UnixEpoch);
        store.Pin(uri, new string('c', 64), new byte[] { 3 }, DateTimeOffset.UnixEpoch);
        Assert.Single(store.Load());
        Assert.Equal(new string('c', 64), store.Find(uri)!.Sha256);
    }

    [Fact]
    public void Load_RejectsACopyOutsideTheStoreFolder_AndABadDigest()
    {
        var store = new ScriptPinStore(Path.Combine(_dir, "pins.json"));
        File.WriteAllText(store.FilePath, "{\"scripts\":[{\"uri\":\"u\",\"sha256\":\"" + new string('a', 64) + "\",\"copy\":\"../../etc/passwd\"}]}");
        Assert.Throws<PinStoreInvalidException>(() => store.Load());
        File.WriteAllText(store.FilePath, "{\"scripts\":[{\"uri\":\"u\",\"sha256\":\"xyz\",\"copy\":\"pins/x\"}]}");
        Assert.Equal(ErrorIds.PinStoreInvalid, Assert.Throws<PinStoreInvalidException>(() => store.Load()).ErrorId);
    }

    [Fact]
    public void MissingFile_IsAnEmptyStore()
    {
        Assert.Empty(new ScriptPinStore(Path.Combine(_dir, "none.json")).Load());
    }
}
