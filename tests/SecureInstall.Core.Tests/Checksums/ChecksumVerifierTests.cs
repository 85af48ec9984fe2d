using System.Security.Cryptography;
using System.Text;
using SecureInstall.Core.Checksums;

namespace SecureInstall.Core.Tests.Checksums;

public class ChecksumVerifierTests
{
    private static string Sha256Of(string text) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text))).ToLowerInvariant();

    [Fact]
    public void Verify_MatchingFile_IsValid()
    {
        using var dir = new TempDir();
        string f = dir.File("a", "hello");
        ChecksumResult r = new ChecksumVerifier().Verify(new ChecksumTarget(f, ChecksumEntry.FromDigest(Sha256Of("hello"), null, "-Hash")));
        Assert.True(r.IsValid);
        Assert.Equal(Sha256Of("hello"), r.ActualHash);
    }

    [Fact]
    public void Verify_TamperedFile_IsInvalid_AndMismatchNamesBothDigests()
    {
        using var dir = new TempDir();
        string f = dir.File("a", "hellO");
        ChecksumResult r = new ChecksumVerifier().Verify(new ChecksumTarget(f, ChecksumEntry.FromDigest(Sha256Of("hello"), null, "-Hash")));
        Assert.False(r.IsValid);
        ChecksumMismatchException ex = r.ToMismatch();
        Assert.Contains(Sha256Of("hello"), ex.Message);
        Assert.Contains(Sha256Of("hellO"), ex.Message);
        Assert.Equal(FailureKind.Security, ex.Kind);
    }

    [Fact]
    public void Verify_Md5_IsRefusedUnlessAllowed()
    {
        using var dir = new TempDir();
        string f = dir.File("a", "x");
        string md5 = Convert.ToHexString(MD5.HashData(Encoding.UTF8.GetBytes("x")));
        var target = new ChecksumTarget(f, ChecksumEntry.FromDigest(md5, null, "-Hash"));
        Assert.Throws<WeakAlgorithmException>(() => new ChecksumVerifier().Verify(target));
        Assert.True(new ChecksumVerifier(new ChecksumVerifierOptions { AllowWeakAlgorithm = true }).Verify(target).IsValid);
    }

    [Fact]
    public void VerifyMany_KeepsInputOrder_AndReportsMissingFilesWithoutStopping()
    {
        using var dir = new TempDir();
        var targets = new List<ChecksumTarget>();
        for (int i = 0; i < 600; i++)
        {
            string content = "file " + i;
            string path = i == 300 ? Path.Combine(dir.Path, "missing") : dir.File("f" + i, content);
            targets.Add(new ChecksumTarget(path, ChecksumEntry.FromDigest(Sha256Of(content), null, "t")));
        }
        List<ChecksumOutcome> outcomes = new ChecksumVerifier().VerifyMany(targets).ToList();
        Assert.Equal(targets.Select(t => t.Path), outcomes.Select(o => o.Target.Path));
        Assert.IsType<FileNotFoundException>(outcomes[300].Error);
        Assert.Equal(599, outcomes.Count(o => o.Result is { IsValid: true }));
    }

    [Fact]
    public void VerifyMany_Cancelled_Stops()
    {
        using var dir = new TempDir();
        string f = dir.File("a", "x");
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var targets = Enumerable.Repeat(new ChecksumTarget(f, ChecksumEntry.FromDigest(Sha256Of("x"), null, "t")), 10);
        Assert.ThrowsAny<OperationCanceledException>(() => new ChecksumVerifier().VerifyMany(targets, cts.Token).ToList());
    }

    [Fact]
    public void FileHasher_MatchesPlatformHash_AcrossBufferBoundaries()
    {
        using var dir = new TempDir();
        byte[] data = new byte[FileHasher.BufferSize * 2 + 12345];
        new Random(42).NextBytes(data);
        string f = Path.Combine(dir.Path, "big");
        File.WriteAllBytes(f, data);
        long lastReport = 0;
        string hex = FileHasher.HashFile(f, ChecksumAlgorithm.SHA512, new Progress(v => lastReport = v));
        Assert.Equal(Convert.ToHexString(SHA512.HashData(data)).ToLowerInvariant(), hex);
        Assert.Equal(data.Length, lastReport);
    }

    private sealed class Progress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}
