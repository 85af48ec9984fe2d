using System.Formats.Tar;
using System.IO.Compression;
using SecureInstall.Core.Archives;

namespace SecureInstall.Core.Tests.Archives;

/// <summary>
/// Every archive of the shared real-world corpus (../shared/corpus/archives, INDEX.md there), read in place: hostile ones
/// refused with the expected ErrorId and nothing written outside, benign ones extracted byte-exact.
/// </summary>
public sealed class SafeArchiveExtractorCorpusTests
{
    private const string Ok = "OK";
    private const string Unsafe = "UnsafeArchiveEntry";
    private const string Corrupt = "ArchiveCorrupt";
    private const string Limit = "ArchiveLimitExceeded";
    private const string Unsupported = "UnsupportedArchiveFormat";

    private const string Tar = "dotnet-runtime-assets/System.Formats.Tar.TestData/";
    private const string ZipData = "dotnet-runtime-assets/System.IO.Compression.TestData/";

    /// <summary>Expected outcome per file; a file missing here fails <see cref="EveryCorpusFile_HasAnExpectation"/>.</summary>
    private static readonly Dictionary<string, string> Expected = new(StringComparer.Ordinal)
    {
        [Tar + "strange/prefixDotSlashAndCurrentFolderEntry.tar"] = Ok,
        [Tar + "tar/misc/docker-hello-world.tar"] = Ok,
        [Tar + "tar/misc/podman-hello-world.tar"] = Ok, // its symlink goes ../ but stays inside
        [Tar + "tar/node-tar/bad-cksum.tar"] = Corrupt,
        [Tar + "tar/node-tar/body-byte-counts.tar"] = Ok,
        [Tar + "tar/node-tar/dir.tar"] = Ok,
        [Tar + "tar/node-tar/emptypax.tar"] = Ok,
        [Tar + "tar/node-tar/file.tar"] = Ok,
        [Tar + "tar/node-tar/global-header.tar"] = Ok,
        [Tar + "tar/node-tar/links-invalid.tar"] = Unsafe, // hard link with no valid target
        [Tar + "tar/node-tar/links-strip.tar"] = Ok,
        [Tar + "tar/node-tar/links.tar"] = Ok,
        [Tar + "tar/node-tar/long-paths.tar"] = Ok,
        [Tar + "tar/node-tar/long-pax.tar"] = Ok,
        [Tar + "tar/node-tar/next-file-has-long.tar"] = Ok,
        [Tar + "tar/node-tar/null-byte.tar"] = Ok,
        [Tar + "tar/node-tar/path-missing.tar"] = Unsafe, // empty name
        [Tar + "tar/node-tar/trailing-slash-corner-case.tar"] = Ok,
        [Tar + "tar/node-tar/utf8.tar"] = Ok,
        // a 1 MiB entry from 1.3 KB of gzip: 800-fold, over the default ratio (accepted when raised, see below)
        [Tar + "targz/golang_tar/pax-bad-hdr-large.tar.gz"] = Limit,
        [ZipData + "PasswordProtectedZipArchives/PasswordProtected_7ZIP_SamePassword.zip"] = Unsupported,
        [ZipData + "PasswordProtectedZipArchives/PasswordProtected_DifferentPasswords.zip"] = Unsupported,
        [ZipData + "PasswordProtectedZipArchives/PasswordProtected_MixedEncryptions.zip"] = Unsupported,
        [ZipData + "ZipTestData/StrangeZipFiles/dataDescriptor.zip"] = Ok,
        [ZipData + "ZipTestData/StrangeZipFiles/extradata/emptyWith64KBComment.zip"] = Ok,
        [ZipData + "ZipTestData/StrangeZipFiles/extradata/extraDataLHandCDentryAndArchiveComments.zip"] = Ok,
        [ZipData + "ZipTestData/StrangeZipFiles/extradata/extraDataThenZip64.zip"] = Ok,
        [ZipData + "ZipTestData/StrangeZipFiles/extradata/zip64ThenExtraData.zip"] = Ok,
        [ZipData + "ZipTestData/StrangeZipFiles/fileLengthGreaterIntLessUInt.zip"] = Limit, // 3.6 GB declared from 3.5 MB
        [ZipData + "ZipTestData/StrangeZipFiles/filenameTimeAndSizesDifferentInLH.zip"] = Ok, // the central directory is trusted, consistently
        [ZipData + "ZipTestData/StrangeZipFiles/largetrailingwhitespacedeflation.zip"] = Ok, // high ratio but tiny entries
        [ZipData + "ZipTestData/StrangeZipFiles/normalVerySmall.zip"] = Ok,
        [ZipData + "ZipTestData/badzipfiles/CDoffsetInBoundsWrong.zip"] = Corrupt,
        [ZipData + "ZipTestData/badzipfiles/CDoffsetOutOfBounds.zip"] = Corrupt,
        [ZipData + "ZipTestData/badzipfiles/EOCDmissing.zip"] = Corrupt,
        [ZipData + "ZipTestData/badzipfiles/HuffmanTreeException.zip"] = Corrupt,
        [ZipData + "ZipTestData/badzipfiles/LZMA.zip"] = Unsupported,
        [ZipData + "ZipTestData/badzipfiles/NORMAL.zip"] = Corrupt,
        [ZipData + "ZipTestData/badzipfiles/compressedSizeOutOfBounds.zip"] = Corrupt,
        [ZipData + "ZipTestData/badzipfiles/invalidDeflate.zip"] = Corrupt,
        [ZipData + "ZipTestData/badzipfiles/invaliddate.zip"] = Ok,
        [ZipData + "ZipTestData/badzipfiles/localFileHeaderSignatureWrong.zip"] = Unsupported, // does not start like a zip
        [ZipData + "ZipTestData/badzipfiles/localFileOffsetOutOfBounds.zip"] = Corrupt,
        [ZipData + "ZipTestData/badzipfiles/nameDuplicates.zip"] = Unsafe,
        [ZipData + "ZipTestData/badzipfiles/nameEmpty.zip"] = Unsafe,
        [ZipData + "ZipTestData/badzipfiles/nameRooted.zip"] = Unsafe,
        [ZipData + "ZipTestData/badzipfiles/nameSlashedAndNonzero.zip"] = Corrupt, // a folder entry with data
        [ZipData + "ZipTestData/badzipfiles/numberOfEntriesDifferent.zip"] = Corrupt,
        [ZipData + "ZipTestData/badzipfiles/tttt.zip"] = Ok,
        [ZipData + "ZipTestData/compat/InvalidWindowsFileNameChars.zip"] = Unsafe,
        [ZipData + "ZipTestData/compat/Linux_RWXRW_R__.zip"] = Ok,
        [ZipData + "ZipTestData/compat/Linux_RW_RW_R__.zip"] = Ok,
        [ZipData + "ZipTestData/compat/NullCharFileName_FromUnix.zip"] = Unsafe,
        [ZipData + "ZipTestData/compat/NullCharFileName_FromWindows.zip"] = Unsafe,
        [ZipData + "ZipTestData/compat/OSX_RWXRW_R__.zip"] = Ok,
        [ZipData + "ZipTestData/compat/WindowsInvalid_FromUnix.zip"] = Unsafe,
        [ZipData + "ZipTestData/compat/WindowsInvalid_FromWindows.zip"] = Unsafe,
        [ZipData + "ZipTestData/compat/backslashes_FromUnix.zip"] = Ok, // '\' is a separator: aa/bb/cc/dd
        [ZipData + "ZipTestData/compat/backslashes_FromWindows.zip"] = Ok,
        [ZipData + "ZipTestData/compat/net45_unicode.zip"] = Ok,
        [ZipData + "ZipTestData/compat/net46_unicode.zip"] = Ok,
        ["snyk-zip-slip-vulnerability/zip-slip-win.tar"] = Unsafe,
        ["snyk-zip-slip-vulnerability/zip-slip-win.zip"] = Unsafe,
        ["snyk-zip-slip-vulnerability/zip-slip.tar"] = Unsafe,
        ["snyk-zip-slip-vulnerability/zip-slip.zip"] = Unsafe,
        ["zip-bombs/BechtelCanDoIt-POI-ZipBomb-Checker/test-zipbomb.xlsx"] = Limit, // 336:1
        ["zip-bombs/BechtelCanDoIt-POI-ZipBomb-Checker/testzipbomb.zip"] = Ok,     // the xlsx inside is written, never opened
        ["zip-bombs/harimypala-Zip_Bomb/Challenge9.zip"] = Ok,                     // one layer of 9 small zips
        ["zip-bombs/harimypala-Zip_Bomb/zbsm.zip"] = Corrupt,                      // overlapping entries, 546 GB declared
    };

    // The System.Formats.Tar sets come in several header dialects with the same content and the same expectation.
    private static readonly string[] TarDialects = { "gnu", "oldgnu", "pax", "pax_gea", "ustar", "v7" };
    private static readonly Dictionary<string, string> TarSets = new(StringComparer.Ordinal)
    {
        ["file_hardlink.tar"] = Ok,
        ["file_longsymlink.tar"] = Ok,
        ["file_symlink.tar"] = Ok,
        ["folder_file_utf8.tar"] = Ok,
        ["foldersymlink_folder_subfolder_file.tar"] = Ok,
        ["longpath_over255.tar"] = Ok, // long paths, but every segment under 255 bytes
        ["specialfiles.tar"] = Unsafe, // block/char devices and a FIFO
    };

    private static string? ExpectationFor(string relative)
    {
        if (Expected.TryGetValue(relative, out string? e)) return e;
        foreach (string dialect in TarDialects)
        {
            string prefix = Tar + "tar/" + dialect + "/";
            if (relative.StartsWith(prefix, StringComparison.Ordinal) && TarSets.TryGetValue(relative.Substring(prefix.Length), out e)) return e;
        }
        return null;
    }

    public static TheoryData<string> CorpusFiles()
    {
        var data = new TheoryData<string>();
        if (!Corpus.Present)
        {
            data.Add("(corpus absent)");
            return data;
        }
        foreach (string file in Directory.EnumerateFiles(Corpus.Root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            if (file.EndsWith(".md", StringComparison.Ordinal)) continue;
            data.Add(Path.GetRelativePath(Corpus.Root, file).Replace('\\', '/'));
        }
        return data;
    }

    [CorpusTheory]
    [MemberData(nameof(CorpusFiles))]
    public void CorpusArchive_HasTheExpectedOutcome_AndWritesNothingOutside(string relative)
    {
        string? expected = ExpectationFor(relative);
        Assert.True(expected != null, $"no expectation for corpus file {relative}; add one");
        using var box = new ArchiveSandbox();
        string archive = Corpus.PathOf(relative);
        if (expected == Ok)
        {
            ArchiveExtractionResult result = box.Extract(archive);
            AssertSameContentAsReferenceReader(archive, result);
            Assert.Empty(ArchiveSandbox.Snapshot(box.Outside));
            Assert.Equal(new[] { "dest" }, ArchiveSandbox.Snapshot(box.Work).Where(p => !p.Contains('/')));
        }
        else
        {
            var ex = Assert.ThrowsAny<SecureInstallException>(() => box.Extract(archive));
            Assert.Equal(expected, ex.ErrorId);
            box.AssertNothingWritten();
        }
    }

    [CorpusFact]
    public void EveryCorpusFile_HasAnExpectation()
    {
        var missing = ((IEnumerable<object[]>)CorpusFiles()).Select(row => (string)row[0]).Where(f => ExpectationFor(f) == null).ToList();
        Assert.Empty(missing);
    }

    [CorpusFact]
    public void RatioLimitedGolangArchive_ExtractsWhenTheLimitIsRaised()
    {
        using var box = new ArchiveSandbox();
        ArchiveExtractionResult result = box.Extract(Corpus.PathOf(Tar + "targz/golang_tar/pax-bad-hdr-large.tar.gz"), new ArchiveExtractionOptions { MaxCompressionRatio = 10_000 });
        AssertSameContentAsReferenceReader(Corpus.PathOf(Tar + "targz/golang_tar/pax-bad-hdr-large.tar.gz"), result);
    }

    [CorpusFact]
    public void ZipSlipSamples_NeverReachTmp()
    {
        foreach (string name in new[] { "zip-slip.zip", "zip-slip.tar", "zip-slip-win.zip", "zip-slip-win.tar" })
        {
            using var box = new ArchiveSandbox();
            var ex = Assert.Throws<UnsafeArchiveEntryException>(() => box.Extract(Corpus.PathOf("snyk-zip-slip-vulnerability/" + name)));
            Assert.Equal(UnsafeEntryRule.ParentTraversal, ex.Rule);
            Assert.Contains("evil.txt", ex.Message);
            box.AssertNothingWritten();
        }
    }

    [CorpusFact]
    public void LinuxExecutableZipEntry_KeepsItsExecutableBit()
    {
        if (OperatingSystem.IsWindows()) return;
        using var box = new ArchiveSandbox();
        box.Extract(Corpus.PathOf(ZipData + "ZipTestData/compat/Linux_RWXRW_R__.zip"));
        Assert.True(File.GetUnixFileMode(Path.Combine(box.Destination, "script.sh")).HasFlag(UnixFileMode.UserExecute));
    }

    [CorpusFact]
    public void SymlinkCorpus_CreatesLinksThatStayInside()
    {
        if (OperatingSystem.IsWindows()) return;
        using var box = new ArchiveSandbox();
        box.Extract(Corpus.PathOf(Tar + "tar/pax/foldersymlink_folder_subfolder_file.tar"));
        Assert.Equal("parent/child", new DirectoryInfo(Path.Combine(box.Destination, "childlink")).LinkTarget);
        Assert.True(File.Exists(Path.Combine(box.Destination, "childlink", "file.txt")));
    }

    /// <summary>Every regular file the framework's own reader sees is on disk with the same bytes.</summary>
    private static void AssertSameContentAsReferenceReader(string archive, ArchiveExtractionResult result)
    {
        var expected = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        if (result.Format == ArchiveFormat.Zip)
        {
            using ZipArchive zip = ZipFile.OpenRead(archive);
            foreach (ZipArchiveEntry e in zip.Entries)
            {
                string name = Normalize(e.FullName);
                if (e.FullName.EndsWith('/') || e.FullName.EndsWith('\\') || name.Length == 0) continue;
                using var ms = new MemoryStream();
                using (Stream s = e.Open()) s.CopyTo(ms);
                expected[name] = ms.ToArray();
            }
        }
        else
        {
            using FileStream file = File.OpenRead(archive);
            using Stream input = result.Format == ArchiveFormat.TarGzip ? new GZipStream(file, CompressionMode.Decompress) : file;
            using var reader = new TarReader(input);
            var regular = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            while (reader.GetNextEntry(copyData: true) is TarEntry e)
            {
                string name = Normalize(e.Name);
                if (e.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile)
                {
                    using var ms = new MemoryStream();
                    e.DataStream?.CopyTo(ms);
                    regular[name] = ms.ToArray();
                    expected[name] = regular[name];
                }
                else if (e.EntryType == TarEntryType.HardLink && regular.TryGetValue(Normalize(e.LinkName), out byte[]? target))
                {
                    expected[name] = target;
                }
            }
        }
        foreach (var (name, bytes) in expected)
        {
            string path = Path.Combine(result.DestinationPath, name.Replace('/', Path.DirectorySeparatorChar));
            Assert.True(File.Exists(path), $"{name} was not extracted");
            Assert.Equal(bytes, File.ReadAllBytes(path));
        }
    }

    private static string Normalize(string name) =>
        string.Join("/", name.Replace('\\', '/').Split('/').Where(s => s.Length > 0 && s != "."));
}
