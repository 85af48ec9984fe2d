using SecureInstall.Core.Checksums;

namespace SecureInstall.Core.Tests.Checksums;

/// <summary>The real-world lists in ../shared/corpus/checksums (see its INDEX.md), read in place.</summary>
public class CorpusChecksumListTests
{
    private static string? Dir => TestPaths.Corpus is { } c ? Path.Combine(c, "checksums") : null;

    [SkippableTheory]
    [InlineData("node-v14.20.1_SHASUMS256.txt", 32, ChecksumAlgorithm.SHA256)]
    [InlineData("node-v14.20.1.tar.gz.sha256sum", 1, ChecksumAlgorithm.SHA256)]
    [InlineData("kong-deck-v1.29.2_goreleaser_checksums.txt", 9, ChecksumAlgorithm.SHA256)]
    [InlineData("gravitywell-0.1.2_goreleaser_checksums.unsorted.txt", 4, ChecksumAlgorithm.SHA256)]
    [InlineData("easywinbuilder_sha256sums.binary-mode-subdir.txt", 17, ChecksumAlgorithm.SHA256)]
    [InlineData("fwbuilder-w32-bin_SHA512SUMS.bsd-tag.txt", 11, ChecksumAlgorithm.SHA512)]
    [InlineData("musl-cc_SHA512SUMS.txt", 106, ChecksumAlgorithm.SHA512)]
    [InlineData("psreadlineoverride_SHA256SUMS.utf16le-bom-crlf-upper.txt", 7, ChecksumAlgorithm.SHA256)]
    [InlineData("scoop-binary_checksums.sha256.crlf.txt", 121, ChecksumAlgorithm.SHA256)]
    [InlineData("scoop-binary_checksums.md5.crlf.txt", 121, ChecksumAlgorithm.MD5)]
    [InlineData("dark-3.14.1.zip.sha256", 1, ChecksumAlgorithm.SHA256)]
    [InlineData("check-ai-cli_checksums.sha256.with-comments.txt", 11, ChecksumAlgorithm.SHA256)]
    [InlineData("monero-hashes.2016-04.clearsigned-sha256.txt", 5, ChecksumAlgorithm.SHA256)]
    [InlineData("openbsd-5.3_SHA256.bsd-tag.txt", 24, ChecksumAlgorithm.SHA256)]
    [InlineData("ubuntu-jammy-core_SHA256SUMS.all-binary-mode.txt", 10, ChecksumAlgorithm.SHA256)]
    [InlineData("pi-apps-files_sha256sums.dot-slash.txt", 24, ChecksumAlgorithm.SHA256)]
    [InlineData("zid-packages_sha256.txt.hash-only.txt", 1, ChecksumAlgorithm.SHA256)]
    [InlineData("cockpit-tools_SHA256SUMS.uppercase.txt", 1, ChecksumAlgorithm.SHA256)]
    [InlineData("simple-browser_SHA256.get-filehash-table.truncated-path.txt", 1, ChecksumAlgorithm.SHA256)]
    [InlineData("verifiable/gheja+truecrypt-builder/sha256sums.txt", 5, ChecksumAlgorithm.SHA256)]
    [InlineData("verifiable/gheja+truecrypt-builder/sha1sums.txt", 5, ChecksumAlgorithm.SHA1)]
    [InlineData("verifiable/gheja+truecrypt-builder/md5sums.txt", 5, ChecksumAlgorithm.MD5)]
    [InlineData("verifiable/RBerga06+files-homebrew-tap/Fonts/sha256.txt", 12, ChecksumAlgorithm.SHA256)]
    public void RealList_ParsesEveryEntry(string file, int entries, ChecksumAlgorithm algorithm)
    {
        Skip.If(Dir == null, "../shared/corpus is not present on this machine");
        ChecksumList list = new ChecksumListParser().ParseFile(Path.Combine(Dir!, file));
        Assert.Equal(entries, list.Entries.Count);
        Assert.All(list.Entries, e => Assert.Equal(algorithm, e.Algorithm));
        Assert.All(list.Entries, e => Assert.Matches("^[0-9a-f]+$", e.Digest));
    }

    [SkippableFact]
    public void PowerShellUtf16List_KeepsNamesWithSpacesAndDashes()
    {
        Skip.If(Dir == null, "../shared/corpus is not present on this machine");
        ChecksumList list = new ChecksumListParser().ParseFile(Path.Combine(Dir!, "psreadlineoverride_SHA256SUMS.utf16le-bom-crlf-upper.txt"));
        Assert.Contains(list.Entries, e => e.FileName!.Contains(" - "));
    }

    [SkippableFact]
    public void ClearSignedMoneroList_IsFlaggedClearSigned()
    {
        Skip.If(Dir == null, "../shared/corpus is not present on this machine");
        Assert.True(new ChecksumListParser().ParseFile(Path.Combine(Dir!, "monero-hashes.2016-04.clearsigned-sha256.txt")).IsClearSigned);
    }

    [SkippableFact]
    public void HomebrewEmptyZip_VerifiesAgainstItsList()
    {
        Skip.If(Dir == null, "../shared/corpus is not present on this machine");
        string folder = Path.Combine(Dir!, "verifiable", "RBerga06+files-homebrew-tap");
        ChecksumList list = new ChecksumListParser().ParseFile(Path.Combine(folder, "sha256.txt"));
        string zip = Path.Combine(folder, "empty.zip");
        Assert.True(new ChecksumVerifier().Verify(new ChecksumTarget(zip, list.Find(zip, folder))).IsValid);
    }

    [SkippableFact]
    public void TruncatedGetFileHashPath_DoesNotVouchForAnyFile()
    {
        Skip.If(Dir == null, "../shared/corpus is not present on this machine");
        ChecksumList list = new ChecksumListParser().ParseFile(Path.Combine(Dir!, "simple-browser_SHA256.get-filehash-table.truncated-path.txt"));
        Assert.Throws<ChecksumNotFoundException>(() => list.Find("/tmp/Simple-Browser-Setup.exe", "/tmp"));
    }
}
