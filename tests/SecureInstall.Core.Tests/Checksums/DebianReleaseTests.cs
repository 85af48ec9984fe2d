using System.Text;
using SecureInstall.Core.Checksums;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.Signatures;

namespace SecureInstall.Core.Tests.Checksums;

/// <summary>
/// Debian's InRelease, as apt fetched it (tests/fixtures/debian/README.md): the size after the digest was once read as
/// part of the file name, so no file of a real apt repository could be checked.
/// </summary>
public class DebianReleaseTests
{
    private static readonly string Fixtures = Path.Combine(TestPaths.RepositoryRoot, "tests", "fixtures", "debian");
    private static readonly string InRelease = Path.Combine(Fixtures, "bookworm-InRelease");

    // gzip -9n of nothing: the 20 bytes of contrib/debian-installer/binary-all/Packages.gz in bookworm.
    private static readonly byte[] EmptyGzip = { 0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0x02, 0x03, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0 };

    [Fact]
    public void RealInRelease_ReadsPathAndSize_AndGivesTheStrongestDigestWithTheOtherAsCompanion()
    {
        ChecksumList list = new ChecksumListParser().ParseFile(InRelease);
        Assert.True(list.IsClearSigned);
        ChecksumEntry entry = list.Find("/x/dists/bookworm/contrib/Contents-all.gz", "/x/dists/bookworm");
        Assert.Equal("contrib/Contents-all.gz", entry.FileName);
        Assert.Equal(ChecksumAlgorithm.SHA256, entry.Algorithm);
        Assert.Equal("c22d03bdd4c7619e1e39e73b4a7b9dfdf1cc1141ed9b10913fbcac58b3a943d0", entry.Digest);
        Assert.Equal(98581, entry.Size);
        ChecksumEntry md5 = Assert.Single(entry.Companions);
        Assert.Equal(ChecksumAlgorithm.MD5, md5.Algorithm);
        Assert.Equal("d0a0325a97c42fd5f66a8c3e29bcea64", md5.Digest);
        Assert.DoesNotContain(list.Entries, e => e.FileName != null && e.FileName.Contains(' '));
    }

    [Fact]
    public void RealInRelease_VerifiesAFileItLists_BothDigestsAndTheSize()
    {
        using var dir = new TempDir();
        string file = Path.Combine(dir.Path, "contrib", "debian-installer", "binary-all", "Packages.gz");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllBytes(file, EmptyGzip);
        ChecksumList list = new ChecksumListParser().ParseFile(InRelease);

        ChecksumResult result = new ChecksumVerifier().Verify(new ChecksumTarget(file, list.Find(file, dir.Path)));

        Assert.True(result.IsValid);
        Assert.Equal("f61f27bd17de546264aa58f40f3aafaac7021e0ef69c17f6b1b4cd7664a037ec", result.ActualHash);
        Assert.Equal(20, result.ExpectedSize);
        Assert.Equal(20, result.ActualSize);
        Assert.True(Assert.Single(result.Companions).IsValid);
    }

    [Fact]
    public void RealInRelease_IsSignedByDebiansArchiveKey_AndItsSignedTextListsTheSameEntries()
    {
        string keyring = Path.Combine(Fixtures, "debian-archive-bookworm-automatic.gpg");
        OpenPgpKeyRing keys;
        using (FileStream k = File.OpenRead(keyring)) keys = OpenPgpKeyRing.Load(k, keyring);
        using FileStream stream = File.OpenRead(InRelease);

        ClearSignedText signed = new OpenPgpVerifier(keys).VerifyClearSigned(stream, InRelease);

        Assert.Equal("B8B80B5B623EAB6AD8775C45B7C5D7D6350947F8", signed.Signature.Fingerprint);
        ChecksumEntry entry = new ChecksumListParser().Parse(signed.SignedText, InRelease)
            .Find("/x/contrib/debian-installer/binary-all/Packages.gz", "/x");
        Assert.Equal(20, entry.Size);
        Assert.Equal(ChecksumAlgorithm.SHA256, entry.Algorithm);
    }

    [Fact]
    public void SizeThatDisagrees_IsAMismatch_NamingBothSizes()
    {
        using var dir = new TempDir();
        string file = dir.File("Packages.gz", string.Empty);
        File.WriteAllBytes(file, EmptyGzip);
        string sha = "f61f27bd17de546264aa58f40f3aafaac7021e0ef69c17f6b1b4cd7664a037ec";
        ChecksumList list = new ChecksumListParser().Parse($"Origin: Test\nSHA256:\n {sha}       21 Packages.gz\n", "Release");

        ChecksumResult result = new ChecksumVerifier().Verify(new ChecksumTarget(file, list.Find(file, dir.Path)));

        Assert.False(result.IsValid);
        ChecksumMismatchException mismatch = result.ToMismatch();
        Assert.Contains("the file is 20 bytes, Release:3 states 21", mismatch.Message);
    }

    [Fact]
    public void TwoSectionsThatDisagree_AreAMismatch_EvenThoughTheStrongerMatches()
    {
        using var dir = new TempDir();
        string file = dir.File("Packages.gz", string.Empty);
        File.WriteAllBytes(file, EmptyGzip);
        string sha = "f61f27bd17de546264aa58f40f3aafaac7021e0ef69c17f6b1b4cd7664a037ec";
        string wrongMd5 = new('0', 32);
        ChecksumList list = new ChecksumListParser().Parse($"MD5Sum:\n {wrongMd5} 20 Packages.gz\nSHA256:\n {sha} 20 Packages.gz\n", "Release");

        ChecksumResult result = new ChecksumVerifier().Verify(new ChecksumTarget(file, list.Find(file, dir.Path)));

        Assert.False(result.IsValid);
        Assert.True(Hex.DigestEquals(sha, result.ActualHash));
        ChecksumMismatchException mismatch = result.ToMismatch();
        Assert.Equal(ChecksumAlgorithm.MD5, mismatch.Algorithm);
        Assert.Contains("Release:2", mismatch.Message);
        Assert.Contains("disagree", mismatch.Message);
    }

    [Fact]
    public void SizesThatDisagreeBetweenSections_AreRefusedWhenRead()
    {
        string sha = new('a', 64), md5 = new('b', 32);
        var ex = Assert.Throws<ChecksumListFormatException>(() =>
            new ChecksumListParser().Parse($"MD5Sum:\n {md5} 20 a.gz\nSHA256:\n {sha} 21 a.gz\n", "Release"));
        Assert.Equal(4, ex.LineNumber);
    }

    [Fact]
    public void ALineInASectionThatIsNotDigestSizePath_IsRefusedWithItsLine()
    {
        var ex = Assert.Throws<ChecksumListFormatException>(() =>
            new ChecksumListParser().Parse($"SHA256:\n {new string('a', 64)} notasize a.gz\n", "Release"));
        Assert.Equal(2, ex.LineNumber);
    }

    [Fact]
    public void SignedByFingerprintField_IsNotTakenForADigest()
    {
        ChecksumList list = new ChecksumListParser().Parse(
            $"Origin: Example\nSigned-By: 4D64FEC119C2029067D6E791F8D2585B8783D481\nSHA256:\n {new string('a', 64)} 3 a.gz\n", "Release");
        Assert.Equal("a.gz", Assert.Single(list.Entries).FileName);
    }

    [Fact]
    public void CheckingEveryListedFile_ChecksEachFileOnce_WithItsOtherDigestAlongside()
    {
        ChecksumList list = new ChecksumListParser().ParseFile(InRelease);
        List<ChecksumEntry> toCheck = list.EntriesToCheck().ToList();
        Assert.Equal(toCheck.Count, toCheck.Select(e => e.FileName).Distinct().Count());
        Assert.All(toCheck, e => Assert.Equal(ChecksumAlgorithm.SHA256, e.Algorithm));
        Assert.All(toCheck, e => Assert.Equal(ChecksumAlgorithm.MD5, Assert.Single(e.Companions).Algorithm));
        Assert.Equal(list.Entries.Count / 2, toCheck.Count);
    }

    [Theory]
    [InlineData("MD5Sum:\n 00000000000000000000000000000000 20 Packages.gz\nSHA256:\n f61f27bd17de546264aa58f40f3aafaac7021e0ef69c17f6b1b4cd7664a037ec 20 Packages.gz\n", "MD5")]
    [InlineData("SHA256:\n f61f27bd17de546264aa58f40f3aafaac7021e0ef69c17f6b1b4cd7664a037ec 21 Packages.gz\n", "SizeMismatch")]
    public async Task Download_AgainstAReleaseList_ChecksTheSizeAndEveryDigest_AndPlacesNothingOnAMismatch(string release, string failure)
    {
        using var dir = new TempDir();
        string source = Path.Combine(dir.Path, "Packages.gz");
        File.WriteAllBytes(source, EmptyGzip);
        string list = dir.File("Release", release);
        string destination = Path.Combine(dir.Path, "out", "Packages.gz");
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        using var downloader = new VerifiedDownloader(new VerifiedDownloaderOptions { NoCache = true });

        Exception ex = await Assert.ThrowsAnyAsync<SecureInstallException>(() =>
            downloader.DownloadAsync(new DownloadRequest(new Uri(source), destination) { ChecksumFile = list }));

        if (failure == "MD5") Assert.Equal(ChecksumAlgorithm.MD5, Assert.IsType<ChecksumMismatchException>(ex).Algorithm);
        else Assert.IsType<SizeMismatchException>(ex);
        Assert.False(File.Exists(destination));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(destination)!));
    }
}
