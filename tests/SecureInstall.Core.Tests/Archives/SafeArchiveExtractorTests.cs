using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using SecureInstall.Core.Archives;
using SecureInstall.Core.Checksums;
using SecureInstall.Core.IO;
using static SecureInstall.Core.Tests.Archives.ArchiveSandbox;

namespace SecureInstall.Core.Tests.Archives;

public sealed class SafeArchiveExtractorTests : IDisposable
{
    private readonly ArchiveSandbox _box = new();

    public void Dispose() => _box.Dispose();

    private static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    private UnsafeArchiveEntryException AssertRefused(string archive, UnsafeEntryRule rule, ArchiveExtractionOptions? options = null)
    {
        var ex = Assert.Throws<UnsafeArchiveEntryException>(() => _box.Extract(archive, options));
        Assert.Equal(rule, ex.Rule);
        Assert.Equal("UnsafeArchiveEntry", ex.ErrorId);
        Assert.Equal(FailureKind.Security, ex.Kind);
        _box.AssertNothingWritten();
        return ex;
    }

    // ---------- names: every rule, in zip and in tar ----------

    public static TheoryData<string, UnsafeEntryRule> HostileNames => new()
    {
        { "../evil.txt", UnsafeEntryRule.ParentTraversal },
        { "a/../../evil.txt", UnsafeEntryRule.ParentTraversal },
        { "a/b/../../../Outside/evil.txt", UnsafeEntryRule.ParentTraversal },
        { "..\\..\\evil.txt", UnsafeEntryRule.ParentTraversal },
        { "a\\..\\..\\evil.txt", UnsafeEntryRule.ParentTraversal },
        { "/tmp/evil.txt", UnsafeEntryRule.AbsolutePath },
        { "\\tmp\\evil.txt", UnsafeEntryRule.AbsolutePath },
        { "C:/Windows/evil.txt", UnsafeEntryRule.DrivePath },
        { "C:\\evil.txt", UnsafeEntryRule.DrivePath },
        { "C:evil.txt", UnsafeEntryRule.DrivePath },
        { "C:..", UnsafeEntryRule.DrivePath },
        { "\\\\server\\share\\evil.txt", UnsafeEntryRule.UncOrDevicePath },
        { "//server/share/evil.txt", UnsafeEntryRule.UncOrDevicePath },
        { "\\\\?\\C:\\evil.txt", UnsafeEntryRule.UncOrDevicePath },
        { "\\\\.\\PhysicalDrive0", UnsafeEntryRule.UncOrDevicePath },
        { "a\u0001b.txt", UnsafeEntryRule.ControlCharacter },
        { "line\nbreak.txt", UnsafeEntryRule.ControlCharacter },
        { "esc\u001b[31m.txt", UnsafeEntryRule.ControlCharacter },
        { "CON", UnsafeEntryRule.ReservedName },
        { "dir/nul.txt", UnsafeEntryRule.ReservedName },
        { "COM1.log", UnsafeEntryRule.ReservedName },
        { "lpt9", UnsafeEntryRule.ReservedName },
        { "file.txt:hidden", UnsafeEntryRule.AlternateDataStream },
        { "dir/file.txt::$DATA", UnsafeEntryRule.AlternateDataStream },
        { "a<b>.txt", UnsafeEntryRule.InvalidCharacter },
        { "what?.txt", UnsafeEntryRule.InvalidCharacter },
        { "trailing.", UnsafeEntryRule.TrailingDotOrSpace },
        { "dir /file.txt", UnsafeEntryRule.TrailingDotOrSpace },
        { "...", UnsafeEntryRule.TrailingDotOrSpace },
        { new string('x', 256), UnsafeEntryRule.NameTooLong },
    };

    [Theory]
    [MemberData(nameof(HostileNames))]
    public void HostileZipName_IsRefusedWithItsRule_AndNothingIsWritten(string name, UnsafeEntryRule rule)
    {
        string zip = _box.Zip("hostile.zip", ("good.txt", Bytes("good")), (name, Bytes("evil")));
        UnsafeArchiveEntryException ex = AssertRefused(zip, rule);
        Assert.Equal(name, ex.EntryName);
    }

    [Theory]
    [MemberData(nameof(HostileNames))]
    public void HostileTarName_IsRefusedWithItsRule_AndNothingIsWritten(string name, UnsafeEntryRule rule)
    {
        string tar = _box.Tar("hostile.tar", TarFile("good.txt", "good"), TarFile(name, "evil"));
        AssertRefused(tar, rule);
    }

    [Fact]
    public void NulInPaxPath_IsRefused()
    {
        // System.Formats.Tar will not write a NUL; PAX records are length-delimited and can carry one
        byte[] record = Bytes("18 path=a\0evil.sh\n");
        string tar = _box.RawTar("nul.tar", (RawHeader(Bytes("PaxHeader"), 'x', record.Length), record), (RawHeader(Bytes("innocent.txt"), '0', 4), Bytes("evil")));
        UnsafeArchiveEntryException ex = AssertRefused(tar, UnsafeEntryRule.ControlCharacter);
        Assert.Equal("a\0evil.sh", ex.EntryName);
    }

    [Fact]
    public void PaxPathOverride_IsWhatGetsChecked_NotTheUstarName()
    {
        byte[] record = Bytes("23 path=../../evil.txt\n");
        string tar = _box.RawTar("pax.tar", (RawHeader(Bytes("PaxHeader"), 'x', record.Length), record), (RawHeader(Bytes("innocent.txt"), '0', 4), Bytes("evil")));
        AssertRefused(tar, UnsafeEntryRule.ParentTraversal);
    }

    [Fact]
    public void GnuLongName_IsWhatGetsChecked()
    {
        byte[] longName = Bytes("../evil.txt\0");
        string tar = _box.RawTar("gnu.tar", (RawHeader(Bytes("././@LongLink"), 'L', longName.Length), longName), (RawHeader(Bytes("innocent.txt"), '0', 4), Bytes("evil")));
        AssertRefused(tar, UnsafeEntryRule.ParentTraversal);
    }

    // ---------- duplicates and collisions ----------

    [Fact]
    public void DuplicateZipEntry_IsRefused()
    {
        string zip = _box.Zip("dup.zip", ("a.txt", Bytes("first")), ("a.txt", Bytes("second")));
        AssertRefused(zip, UnsafeEntryRule.DuplicateEntry);
    }

    [Fact]
    public void DuplicateTarEntry_IsRefused()
    {
        string tar = _box.Tar("dup.tar", TarFile("bin/tool", "first"), TarFile("./bin//tool", "second"));
        AssertRefused(tar, UnsafeEntryRule.DuplicateEntry);
    }

    [Fact]
    public void CaseFoldTwins_AreRefusedAsCollision()
    {
        string zip = _box.Zip("case.zip", ("README", Bytes("a")), ("readme", Bytes("b")));
        AssertRefused(zip, UnsafeEntryRule.NameCollision);
    }

    [Fact]
    public void CaseFoldTwinFolders_AreRefusedAsCollision()
    {
        string tar = _box.Tar("case.tar", TarFile("Bin/a", "a"), TarFile("bin/b", "b"));
        AssertRefused(tar, UnsafeEntryRule.NameCollision);
    }

    [Fact]
    public void NfcAndNfdTwins_AreRefusedAsCollision()
    {
        string zip = _box.Zip("nfd.zip", ("caf\u00e9.txt", Bytes("nfc")), ("cafe\u0301.txt", Bytes("nfd")));
        AssertRefused(zip, UnsafeEntryRule.NameCollision);
    }

    [Fact]
    public void FileUsedAsFolder_IsRefusedAsCollision()
    {
        string tar = _box.Tar("filedir.tar", TarFile("a", "file"), TarFile("a/b", "under a file"));
        AssertRefused(tar, UnsafeEntryRule.NameCollision);
    }

    [Fact]
    public void RepeatedFolderEntries_AreAccepted()
    {
        string tar = _box.Tar("dirs.tar", Dir("d"), TarFile("d/f", "x"), Dir("d/"));
        _box.Extract(tar);
        Assert.Equal("x", File.ReadAllText(Path.Combine(_box.Destination, "d", "f")));
    }

    // ---------- links ----------

    [Theory]
    [InlineData("/etc/passwd")]
    [InlineData("../Outside")]
    [InlineData("a/../../Outside")]
    [InlineData("..")]
    [InlineData("C:/Windows")]
    [InlineData("\\\\server\\share")]
    public void SymlinkOutOfDestination_IsRefused(string target)
    {
        string tar = _box.Tar("link.tar", Dir("a"), Symlink("l", target));
        AssertRefused(tar, UnsafeEntryRule.LinkEscapesDestination);
    }

    [Fact]
    public void SymlinkChain_ThatEscapesOnlyWhenFollowed_IsRefused()
    {
        // lexically "d1/d2/l1/../.." is "d1", but l1 points at the root, so the real path is the destination's parent
        string tar = _box.Tar("chain.tar", Dir("d1/d2"), Symlink("d1/d2/l1", "../.."), Symlink("x", "d1/d2/l1/../.."));
        AssertRefused(tar, UnsafeEntryRule.LinkEscapesDestination);
    }

    [Fact]
    public void LaterLink_ThatRedirectsAnEarlierOne_IsRefused()
    {
        // "b -> a/.." is harmless until "a -> ." arrives; links are resolved once the whole tree is known
        string tar = _box.Tar("later.tar", Symlink("b", "a/.."), Symlink("a", "."));
        AssertRefused(tar, UnsafeEntryRule.LinkEscapesDestination);
    }

    [Fact]
    public void LinkLoop_IsRefused()
    {
        string tar = _box.Tar("loop.tar", Symlink("a", "b/x"), Symlink("b", "a/y"));
        AssertRefused(tar, UnsafeEntryRule.LinkEscapesDestination);
    }

    [Fact]
    public void FileWrittenThroughALink_IsRefused_AndNothingLandsWhereTheLinkPoints()
    {
        string tar = _box.Tar("through.tar", Symlink("l", "../../Outside"), TarFile("l/evil.txt", "evil"));
        AssertRefused(tar, UnsafeEntryRule.WriteThroughLink);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_box.Outside));
    }

    [Fact]
    public void FileWrittenThroughAnInsideLink_IsRefused()
    {
        string tar = _box.Tar("through2.tar", Dir("sub"), Symlink("l", "sub"), TarFile("l/f.txt", "x"));
        AssertRefused(tar, UnsafeEntryRule.WriteThroughLink);
    }

    [Fact]
    public void LinkReplacingAFolder_IsRefused()
    {
        string tar = _box.Tar("replace.tar", TarFile("d/f.txt", "x"), Symlink("d", "."));
        AssertRefused(tar, UnsafeEntryRule.WriteThroughLink);
    }

    [Fact]
    public void FileAfterLinkOfSameName_IsRefusedAsDuplicate()
    {
        string tar = _box.Tar("linkfile.tar", Symlink("x", "y"), TarFile("x", "overwrite the target?"));
        AssertRefused(tar, UnsafeEntryRule.DuplicateEntry);
    }

    [Theory]
    [InlineData("/etc/passwd")]
    [InlineData("../Outside/secret")]
    [InlineData("missing.txt")]
    public void HardLinkToAnythingButAnEarlierFile_IsRefused(string target)
    {
        string tar = _box.Tar("hard.tar", TarFile("a.txt", "a"), HardLink("h", target));
        AssertRefused(tar, UnsafeEntryRule.HardLinkTarget);
    }

    [Fact]
    public void HardLinkToASymlink_IsRefused()
    {
        string tar = _box.Tar("hardsym.tar", Symlink("s", "a.txt"), TarFile("a.txt", "a"), HardLink("h", "s"));
        AssertRefused(tar, UnsafeEntryRule.HardLinkTarget);
    }

    [Fact]
    public void HardLinkToEarlierFile_IsWrittenAsACopy()
    {
        string tar = _box.Tar("hardok.tar", TarFile("a.txt", "content"), HardLink("h.txt", "a.txt"));
        ArchiveExtractionResult result = _box.Extract(tar);
        Assert.Equal("content", File.ReadAllText(Path.Combine(_box.Destination, "h.txt")));
        Assert.Equal(ExtractedEntryKind.HardLinkCopy, result.Entries.Single(e => e.Name == "h.txt").Kind);
    }

    [Fact]
    public void SymlinkInsideDestination_IsCreatedAfterEverythingElse()
    {
        if (OperatingSystem.IsWindows()) return; // creating links needs Developer Mode there
        string tar = _box.Tar("inside.tar", Symlink("bin/tool", "../lib/tool-1.0"), TarFile("lib/tool-1.0", "#!/bin/sh\n"));
        _box.Extract(tar);
        var link = new FileInfo(Path.Combine(_box.Destination, "bin", "tool"));
        Assert.Equal("../lib/tool-1.0", link.LinkTarget);
        Assert.Equal("#!/bin/sh\n", File.ReadAllText(link.FullName));
    }

    [Fact]
    public void ZipSymlinkOutOfDestination_IsRefused()
    {
        string zip = _box.Zip("link.zip", CompressionLevel.Optimal, new[] { ("l", Bytes("../../etc/passwd"), (int?)0xA1FF) });
        AssertRefused(zip, UnsafeEntryRule.LinkEscapesDestination);
    }

    // ---------- special files ----------

    [Theory]
    [InlineData(TarEntryType.CharacterDevice)]
    [InlineData(TarEntryType.BlockDevice)]
    [InlineData(TarEntryType.Fifo)]
    public void DeviceOrFifo_IsRefused(TarEntryType type)
    {
        string tar = _box.Tar("special.tar", TarFile("ok.txt", "ok"), type == TarEntryType.Fifo ? new PaxTarEntry(type, "special") : new PaxTarEntry(type, "special") { DeviceMajor = 1, DeviceMinor = 3 });
        AssertRefused(tar, UnsafeEntryRule.SpecialFile);
    }

    [Fact]
    public void ZipEntryWithDeviceMode_IsRefused()
    {
        string zip = _box.Zip("dev.zip", CompressionLevel.Optimal, new[] { ("dev", Array.Empty<byte>(), (int?)0x21B6) });
        AssertRefused(zip, UnsafeEntryRule.SpecialFile);
    }

    [Fact]
    public void SparseEntry_IsRefused()
    {
        string tar = _box.RawTar("sparse.tar", (RawHeader(Bytes("sparse"), 'S', 0), Array.Empty<byte>()));
        AssertRefused(tar, UnsafeEntryRule.UnsupportedEntryType);
    }

    // ---------- limits ----------

    [Fact]
    public void TotalBytesLimit_IsEnforcedOnBytesWritten()
    {
        string tar = _box.Tar("big.tar", TarFile("a", new byte[600]), TarFile("b", new byte[600]));
        var ex = Assert.Throws<ArchiveLimitExceededException>(() => _box.Extract(tar, new ArchiveExtractionOptions { MaxTotalBytes = 1000 }));
        Assert.Equal(ArchiveLimit.TotalBytes, ex.Limit);
        Assert.Equal("ArchiveLimitExceeded", ex.ErrorId);
        Assert.Equal(FailureKind.LimitExceeded, ex.Kind);
        _box.AssertNothingWritten();
    }

    [Fact]
    public void HardLinkCopies_CountTowardsTotalBytes()
    {
        var entries = new List<TarEntry> { TarFile("a", RandomNumberGenerator.GetBytes(400)) };
        for (int i = 0; i < 5; i++) entries.Add(HardLink("h" + i, "a"));
        string tar = _box.Tar("hardbomb.tar", entries.ToArray());
        var ex = Assert.Throws<ArchiveLimitExceededException>(() => _box.Extract(tar, new ArchiveExtractionOptions { MaxTotalBytes = 2000 }));
        Assert.Equal(ArchiveLimit.TotalBytes, ex.Limit);
        _box.AssertNothingWritten();
    }

    [Theory]
    [InlineData("zip")]
    [InlineData("tar")]
    public void EntryCountLimit_IsEnforced(string kind)
    {
        string archive = kind == "zip"
            ? _box.Zip("many.zip", ("1", Bytes("1")), ("2", Bytes("2")), ("3", Bytes("3")), ("4", Bytes("4")))
            : _box.Tar("many.tar", TarFile("1", "1"), TarFile("2", "2"), TarFile("3", "3"), TarFile("4", "4"));
        var ex = Assert.Throws<ArchiveLimitExceededException>(() => _box.Extract(archive, new ArchiveExtractionOptions { MaxEntryCount = 3 }));
        Assert.Equal(ArchiveLimit.EntryCount, ex.Limit);
        _box.AssertNothingWritten();
    }

    [Fact]
    public void HighRatioZipEntry_IsRefusedBeforeInflating()
    {
        string zip = _box.Zip("ratio.zip", ("zeros.bin", new byte[16 * 1024 * 1024]));
        var ex = Assert.Throws<ArchiveLimitExceededException>(() => _box.Extract(zip));
        Assert.Equal(ArchiveLimit.CompressionRatio, ex.Limit);
        _box.AssertNothingWritten();
    }

    [Fact]
    public void HighRatioTarGz_IsRefusedWhileStreaming()
    {
        string tgz = _box.TarGz("ratio.tgz", TarFile("zeros.bin", new byte[16 * 1024 * 1024]));
        var ex = Assert.Throws<ArchiveLimitExceededException>(() => _box.Extract(tgz));
        Assert.Equal(ArchiveLimit.CompressionRatio, ex.Limit);
        _box.AssertNothingWritten();
    }

    [Fact]
    public void HighRatio_IsAcceptedWhenTheCallerRaisesTheLimit()
    {
        string tgz = _box.TarGz("ratio.tgz", TarFile("zeros.bin", new byte[4 * 1024 * 1024]));
        _box.Extract(tgz, new ArchiveExtractionOptions { MaxCompressionRatio = 100_000 });
        Assert.Equal(4 * 1024 * 1024, new FileInfo(Path.Combine(_box.Destination, "zeros.bin")).Length);
    }

    [Fact]
    public void ZipEntryInflatingBeyondItsDeclaredSize_IsNeverWrittenPastIt()
    {
        string zip = _box.Zip("liar.zip", ("data.bin", RandomNumberGenerator.GetBytes(64 * 1024)));
        byte[] bytes = File.ReadAllBytes(zip);
        // patch the uncompressed size in the local header (offset 22) and the central record (offset 24) to 1000
        int local = IndexOf(bytes, new byte[] { 0x50, 0x4B, 0x03, 0x04 });
        int central = IndexOf(bytes, new byte[] { 0x50, 0x4B, 0x01, 0x02 });
        BitConverter.GetBytes(1000u).CopyTo(bytes, local + 22);
        BitConverter.GetBytes(1000u).CopyTo(bytes, central + 24);
        File.WriteAllBytes(zip, bytes);
        // ZipArchive stops at the declared size; a reader that did not would be refused as corrupt by the extractor
        ArchiveExtractionResult result = _box.Extract(zip);
        Assert.Equal(1000, new FileInfo(Path.Combine(_box.Destination, "data.bin")).Length);
        Assert.Equal(1000, result.TotalBytes);
    }

    [Fact]
    public void NestingDepthLimit_IsEnforced()
    {
        string tar = _box.Tar("deep.tar", TarFile("a/b/c/d/e.txt", "deep"));
        var ex = Assert.Throws<ArchiveLimitExceededException>(() => _box.Extract(tar, new ArchiveExtractionOptions { MaxDepth = 4 }));
        Assert.Equal(ArchiveLimit.NestingDepth, ex.Limit);
        _box.AssertNothingWritten();
    }

    [Fact]
    public void NestedArchive_IsWrittenAsAFile_NeverOpened()
    {
        byte[] inner = File.ReadAllBytes(_box.Zip("inner.zip", ("zeros", new byte[1000])));
        string outer = _box.Zip("outer.zip", ("inner.zip", inner));
        ArchiveExtractionResult result = _box.Extract(outer);
        Assert.Equal(inner, File.ReadAllBytes(Path.Combine(_box.Destination, "inner.zip")));
        Assert.Single(result.Entries);
    }

    // ---------- all or nothing ----------

    [Fact]
    public void RefusalAfterGoodEntries_LeavesNoPartialTree()
    {
        string tar = _box.Tar("late.tar", TarFile("a.txt", "a"), TarFile("dir/b.txt", "b"), TarFile("../evil.txt", "evil"));
        AssertRefused(tar, UnsafeEntryRule.ParentTraversal);
        Assert.False(Directory.Exists(_box.Destination));
    }

    [Fact]
    public void ExistingDestination_IsRefusedWithoutOverwrite_AndUntouched()
    {
        Directory.CreateDirectory(_box.Destination);
        File.WriteAllText(Path.Combine(_box.Destination, "keep.txt"), "mine");
        SortedSet<string> before = Snapshot(_box.Work);
        string tar = _box.Tar("a.tar", TarFile("a.txt", "a"));
        var ex = Assert.Throws<DestinationExistsException>(() => _box.Extract(tar));
        Assert.Equal("DestinationExists", ex.ErrorId);
        _box.AssertNothingWritten(before);
        Assert.Equal("mine", File.ReadAllText(Path.Combine(_box.Destination, "keep.txt")));
    }

    [Fact]
    public void ExistingDestination_IsReplacedWithOverwrite()
    {
        Directory.CreateDirectory(_box.Destination);
        File.WriteAllText(Path.Combine(_box.Destination, "old.txt"), "old");
        string tar = _box.Tar("a.tar", TarFile("a.txt", "new"));
        ArchiveExtractionResult result = _box.Extract(tar, new ArchiveExtractionOptions { Overwrite = true });
        Assert.True(result.ReplacedExisting);
        Assert.Equal(new[] { "dest", "dest/a.txt" }, Snapshot(_box.Work));
    }

    [Fact]
    public void ReplacingAnExistingTree_SwapsItInOneStep_WithoutRenamingItAside()
    {
        // Renaming the old tree aside and the new one in left the destination absent for an instant (and absent for good
        // if the process died in between); where the system can swap two paths, it is never absent.
        if (!OperatingSystem.IsLinux()) return; // renameat2; inotify reports every rename in the folder
        Directory.CreateDirectory(_box.Destination);
        File.WriteAllText(Path.Combine(_box.Destination, "old.txt"), "old");
        string tar = _box.Tar("a.tar", TarFile("a.txt", "new"));
        var seen = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var watcher = new FileSystemWatcher(_box.Work) { IncludeSubdirectories = false };
        watcher.Created += (_, e) => seen.Enqueue(e.Name!);
        watcher.Renamed += (_, e) => { seen.Enqueue(e.OldName!); seen.Enqueue(e.Name!); };
        watcher.EnableRaisingEvents = true;

        _box.Extract(tar, new ArchiveExtractionOptions { Overwrite = true });
        File.WriteAllText(Path.Combine(_box.Work, "sentinel"), ""); // events arrive in order: once this one is seen, all are
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!seen.Contains("sentinel") && DateTime.UtcNow < deadline) Thread.Sleep(10);
        File.Delete(Path.Combine(_box.Work, "sentinel"));

        Assert.Contains("sentinel", seen);
        Assert.DoesNotContain(seen, name => DirectorySwap.IsAsideName(name) || name.EndsWith(".old", StringComparison.Ordinal));
        Assert.Equal(new[] { "dest", "dest/a.txt" }, Snapshot(_box.Work));
    }

    [Fact]
    public void LockWithoutItsTree_AndAnOldFileSwappedOut_AreRemovedByTheNextExtraction()
    {
        // Killed between moving its tree into place and deleting its lock; killed after swapping out a file it replaced.
        File.WriteAllBytes(Path.Combine(_box.Work, ".dest.0123456789ab.lock.partial"), Array.Empty<byte>());
        File.WriteAllText(Path.Combine(_box.Work, ".dest.ba9876543210.partial"), "the file dest used to be");
        File.WriteAllBytes(Path.Combine(_box.Work, ".dest.ba9876543210.lock.partial"), Array.Empty<byte>());
        string tar = _box.Tar("a.tar", TarFile("a.txt", "a"));

        _box.Extract(tar);

        Assert.Equal(new[] { "dest", "dest/a.txt" }, Snapshot(_box.Work));
    }

    [Fact]
    public void TreeThatCannotBeDeleted_KeepsItsLock_SoALaterExtractionRemovesIt()
    {
        // chattr +i makes a file undeletable even for root: the failed extraction cannot remove its tree.
        if (!OperatingSystem.IsLinux() || !Chattr("+i", _box.Tar("probe.tar", TarFile("p", "p")))) return;
        Chattr("-i", _box.ArchivePath("probe.tar"));
        string tar = _box.Tar("two.tar", TarFile("a.txt", "a"), TarFile("b.txt", "b"));
        string? stuck = null;
        using var cancel = new CancellationTokenSource();
        var pinOnFirstEntry = new Callback<ArchiveExtractionProgress>(p =>
        {
            if (stuck != null || p.EntriesDone == 0) return;
            string tree = Directory.GetDirectories(_box.Work, ".dest.*.partial").Single();
            stuck = Directory.GetFiles(tree).First();
            Assert.True(Chattr("+i", stuck));
            cancel.Cancel();
        });
        try
        {
            Assert.ThrowsAny<OperationCanceledException>(() => _box.Extract(tar, progress: pinOnFirstEntry, cancel: cancel.Token));
            Assert.NotNull(stuck);
            string treeLeft = Path.GetDirectoryName(stuck)!;
            Assert.True(File.Exists(AtomicFile.OwnerLockFor(treeLeft)), "the lock of the tree left behind was deleted");
        }
        finally
        {
            if (stuck != null) Chattr("-i", stuck);
        }

        _box.Extract(tar);

        Assert.Equal(new[] { "dest", "dest/a.txt", "dest/b.txt" }, Snapshot(_box.Work));
    }

    private static bool Chattr(string flag, string path)
    {
        try
        {
            using var chattr = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("chattr", $"{flag} \"{path}\"") { RedirectStandardError = true })!;
            chattr.WaitForExit();
            return chattr.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // no chattr
        }
    }

    private sealed class Callback<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }

    // What an extraction killed mid-way leaves beside its destination: the hidden tree and the lock file it held.
    private (string Tree, string Lock) LeftBehind(string id)
    {
        string tree = Path.Combine(_box.Work, $".dest.{id}.partial");
        Directory.CreateDirectory(Path.Combine(tree, "half"));
        File.WriteAllText(Path.Combine(tree, "half", "written.txt"), "half");
        string owner = Path.Combine(_box.Work, $".dest.{id}.lock.partial");
        File.WriteAllBytes(owner, Array.Empty<byte>());
        return (tree, owner);
    }

    [Fact]
    public void TreeLeftByAKilledExtraction_IsRemovedByTheNextExtractionToTheSamePlace()
    {
        LeftBehind("0123456789ab");
        string tar = _box.Tar("a.tar", TarFile("a.txt", "a"));

        _box.Extract(tar);

        Assert.Equal(new[] { "dest", "dest/a.txt" }, Snapshot(_box.Work));
    }

    [Fact]
    public void TreeOfARunningExtraction_OrWithoutItsLock_IsLeftAlone()
    {
        (string liveTree, string liveLock) = LeftBehind("0123456789ab");
        string foreign = Directory.CreateDirectory(Path.Combine(_box.Work, ".dest.ba9876543210.partial")).FullName;
        string tar = _box.Tar("a.tar", TarFile("a.txt", "a"));

        using (new FileStream(liveLock, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
        {
            _box.Extract(tar);
        }

        Assert.True(Directory.Exists(liveTree));
        Assert.True(File.Exists(liveLock));
        Assert.True(Directory.Exists(foreign));
        Assert.Equal("a", File.ReadAllText(Path.Combine(_box.Destination, "a.txt")));
    }

    [Fact]
    public void TreeIsRemoved_OnlyOnceTheProcessHoldingItsLockIsKilled()
    {
        if (!OperatingSystem.IsLinux()) return; // flock(1) holds the same lock .NET takes for FileShare.None on Linux
        (string tree, string owner) = LeftBehind("0123456789ab");
        string tar = _box.Tar("a.tar", TarFile("a.txt", "a"));
        using var holder = System.Diagnostics.Process.Start("flock", $"--exclusive --close \"{owner}\" sleep 60")!;
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (!HeldElsewhere(owner) && DateTime.UtcNow < deadline) Thread.Sleep(20);
            Assert.True(HeldElsewhere(owner), "flock did not take the lock");
            _box.Extract(tar);
            Assert.True(Directory.Exists(tree));
        }
        finally
        {
            holder.Kill(entireProcessTree: true);
            holder.WaitForExit();
        }

        _box.Extract(tar, new ArchiveExtractionOptions { Overwrite = true });

        Assert.Equal(new[] { "dest", "dest/a.txt" }, Snapshot(_box.Work));
    }

    private static bool HeldElsewhere(string path)
    {
        try
        {
            using (new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None)) return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    [Fact]
    public void HostileArchiveWithOverwrite_LeavesTheExistingDestinationIntact()
    {
        Directory.CreateDirectory(_box.Destination);
        File.WriteAllText(Path.Combine(_box.Destination, "old.txt"), "old");
        SortedSet<string> before = Snapshot(_box.Work);
        string tar = _box.Tar("evil.tar", TarFile("a.txt", "new"), Symlink("l", "/etc"));
        Assert.Throws<UnsafeArchiveEntryException>(() => _box.Extract(tar, new ArchiveExtractionOptions { Overwrite = true }));
        _box.AssertNothingWritten(before);
        Assert.Equal("old", File.ReadAllText(Path.Combine(_box.Destination, "old.txt")));
    }

    [Fact]
    public void Cancellation_StopsAndLeavesNothing()
    {
        string tar = _box.Tar("a.tar", TarFile("a.txt", "a"));
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => _box.Extract(tar, cancel: cancel.Token));
        _box.AssertNothingWritten();
    }

    [Fact]
    public void TruncatedTarGz_IsRefusedAsCorrupt_AndLeavesNothing()
    {
        string tgz = _box.TarGz("t.tgz", TarFile("a.bin", RandomNumberGenerator.GetBytes(200_000)), TarFile("b.txt", "b"));
        byte[] bytes = File.ReadAllBytes(tgz);
        File.WriteAllBytes(tgz, bytes.AsSpan(0, bytes.Length / 2).ToArray());
        var ex = Assert.Throws<ArchiveCorruptException>(() => _box.Extract(tgz));
        Assert.Equal("ArchiveCorrupt", ex.ErrorId);
        Assert.Equal(FailureKind.InvalidData, ex.Kind);
        _box.AssertNothingWritten();
    }

    // ---------- formats ----------

    [Fact]
    public void UnknownContent_IsRefusedAsUnsupported()
    {
        string path = _box.ArchivePath("notes.zip");
        File.WriteAllText(path, "just text, whatever the extension says");
        var ex = Assert.Throws<UnsupportedArchiveFormatException>(() => _box.Extract(path));
        Assert.Equal("UnsupportedArchiveFormat", ex.ErrorId);
        _box.AssertNothingWritten();
    }

    [Fact]
    public void GzipOfAPlainFile_IsRefusedAsUnsupported()
    {
        string path = _box.ArchivePath("tool.gz");
        using (var gz = new GZipStream(File.Create(path), CompressionLevel.Optimal)) gz.Write(Bytes(new string('x', 2000)));
        Assert.Throws<UnsupportedArchiveFormatException>(() => _box.Extract(path));
        _box.AssertNothingWritten();
    }

    [Fact]
    public void FormatComesFromContent_NotFromTheExtension()
    {
        string tgz = _box.TarGz("really-a-tgz.zip", TarFile("a.txt", "a"));
        ArchiveExtractionResult result = _box.Extract(tgz);
        Assert.Equal(ArchiveFormat.TarGzip, result.Format);
    }

    public static TheoryData<string> Compressors => new() { "gzip", "bzip2", "xz", "zstd" };

    [Theory]
    [MemberData(nameof(Compressors))]
    public void CompressedTar_IsExtractedByteExact(string compressor)
    {
        byte[] payload = RandomNumberGenerator.GetBytes(300_000);
        string tar = _box.Tar("plain.tar", Dir("pkg"), TarFile("pkg/data.bin", payload), TarFile("pkg/readme.txt", "hello"));
        string compressed = Compress(tar, compressor);
        ArchiveExtractionResult result = _box.Extract(compressed);
        Assert.Equal(payload, File.ReadAllBytes(Path.Combine(_box.Destination, "pkg", "data.bin")));
        Assert.Equal("hello", File.ReadAllText(Path.Combine(_box.Destination, "pkg", "readme.txt")));
        Assert.Equal(payload.Length + 5, result.TotalBytes);
    }

    [Fact]
    public void Zip_IsExtractedByteExact_WithFoldersAndEmptyFiles()
    {
        byte[] payload = RandomNumberGenerator.GetBytes(300_000);
        string zip = _box.Zip("ok.zip", ("pkg/", Array.Empty<byte>()), ("pkg/data.bin", payload), ("pkg/empty", Array.Empty<byte>()), ("pkg\\win\\style.txt", Bytes("backslashes are separators")));
        ArchiveExtractionResult result = _box.Extract(zip);
        Assert.Equal(payload, File.ReadAllBytes(Path.Combine(_box.Destination, "pkg", "data.bin")));
        Assert.Equal(0, new FileInfo(Path.Combine(_box.Destination, "pkg", "empty")).Length);
        Assert.Equal("backslashes are separators", File.ReadAllText(Path.Combine(_box.Destination, "pkg", "win", "style.txt")));
        Assert.Equal(new[] { "pkg", "pkg/data.bin", "pkg/empty", "pkg/win/style.txt" }, result.Entries.Select(e => e.Name));
        Assert.All(result.Entries, e => Assert.StartsWith(_box.Destination, e.FullPath));
    }

    [Fact]
    public void ExecutableBit_IsKept_AndSetuidIsDropped()
    {
        if (OperatingSystem.IsWindows()) return;
        const UnixFileMode rwx = (UnixFileMode)0x1ED; // 0755
        string tar = _box.Tar("modes.tar",
            TarFile("bin/tool", "#!/bin/sh\n", rwx | UnixFileMode.SetUser | UnixFileMode.SetGroup),
            TarFile("share/doc.txt", "doc"));
        _box.Extract(tar);
        UnixFileMode tool = File.GetUnixFileMode(Path.Combine(_box.Destination, "bin", "tool"));
        Assert.True(tool.HasFlag(UnixFileMode.UserExecute));
        Assert.False(tool.HasFlag(UnixFileMode.SetUser));
        Assert.False(tool.HasFlag(UnixFileMode.SetGroup));
        Assert.False(File.GetUnixFileMode(Path.Combine(_box.Destination, "share", "doc.txt")).HasFlag(UnixFileMode.UserExecute));
    }

    [Fact]
    public void Timestamps_AreAsStored()
    {
        string tar = _box.Tar("times.tar", Dir("d"), TarFile("d/f.txt", "x"));
        _box.Extract(tar);
        Assert.Equal(new DateTime(2021, 3, 4, 5, 6, 7, DateTimeKind.Utc), File.GetLastWriteTimeUtc(Path.Combine(_box.Destination, "d", "f.txt")));
        Assert.Equal(new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc), Directory.GetLastWriteTimeUtc(Path.Combine(_box.Destination, "d")));
    }

    // ---------- strip, include, digest, progress ----------

    [Fact]
    public void StripComponents_DropsTheTopFolder()
    {
        string tgz = _box.TarGz("release.tgz", Dir("tool-1.2.3"), TarFile("tool-1.2.3/bin/tool", "t"), TarFile("tool-1.2.3/README", "r"));
        ArchiveExtractionResult result = _box.Extract(tgz, new ArchiveExtractionOptions { StripComponents = 1 });
        Assert.Equal("t", File.ReadAllText(Path.Combine(_box.Destination, "bin", "tool")));
        Assert.Equal(new[] { "bin/tool", "README" }, result.Entries.Select(e => e.Name));
        Assert.Equal(1, result.SkippedEntries);
    }

    [Fact]
    public void StripComponents_DoesNotHideATraversal()
    {
        string tar = _box.Tar("strip.tar", TarFile("top/../../evil.txt", "evil"));
        AssertRefused(tar, UnsafeEntryRule.ParentTraversal, new ArchiveExtractionOptions { StripComponents = 1 });
    }

    [Fact]
    public void Include_WritesOnlyMatchingEntries_ButStillChecksTheOthers()
    {
        string tar = _box.Tar("inc.tar", TarFile("bin/tool", "t"), TarFile("doc/a.md", "a"), TarFile("LICENSE", "l"));
        ArchiveExtractionResult result = _box.Extract(tar, new ArchiveExtractionOptions { Include = new List<string> { "bin", "LICENSE" } });
        Assert.Equal(new[] { "bin/tool", "LICENSE" }, result.Entries.Select(e => e.Name));
        Assert.False(Directory.Exists(Path.Combine(_box.Destination, "doc")));

        _box.Dispose();
        using var box = new ArchiveSandbox();
        string hostile = box.Tar("inc-evil.tar", TarFile("bin/tool", "t"), TarFile("../evil", "e"));
        Assert.Throws<UnsafeArchiveEntryException>(() => box.Extract(hostile, new ArchiveExtractionOptions { Include = new List<string> { "bin/*" } }));
        box.AssertNothingWritten();
    }

    [Fact]
    public void Include_GlobsMatchNamesAndPaths()
    {
        string tar = _box.Tar("glob.tar", TarFile("a/x.txt", "1"), TarFile("a/b/y.txt", "2"), TarFile("a/z.bin", "3"));
        ArchiveExtractionResult result = _box.Extract(tar, new ArchiveExtractionOptions { Include = new List<string> { "*.txt" } });
        Assert.Equal(new[] { "a/x.txt", "a/b/y.txt" }, result.Entries.Select(e => e.Name));
    }

    [Fact]
    public void ExpectedDigest_Matching_Extracts()
    {
        string tar = _box.Tar("a.tar", TarFile("a.txt", "a"));
        string sha = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(tar)));
        ArchiveExtractionResult result = _box.Extract(tar, new ArchiveExtractionOptions { ExpectedDigest = ChecksumEntry.FromDigest(sha, ChecksumAlgorithm.SHA256, "-Sha256") });
        Assert.Equal(sha.ToLowerInvariant(), result.Sha256);
    }

    [Fact]
    public void ExpectedDigest_Mismatching_RefusesBeforeReading()
    {
        string tar = _box.Tar("a.tar", TarFile("a.txt", "a"));
        var options = new ArchiveExtractionOptions { ExpectedDigest = ChecksumEntry.FromDigest(new string('0', 64), ChecksumAlgorithm.SHA256, "-Sha256") };
        var ex = Assert.Throws<ChecksumMismatchException>(() => _box.Extract(tar, options));
        Assert.Equal("ChecksumMismatch", ex.ErrorId);
        _box.AssertNothingWritten();
    }

    [Fact]
    public void Progress_IsReportedPerEntry_AndEndsWithTheTotal()
    {
        string tar = _box.Tar("p.tar", TarFile("a", "aa"), TarFile("b", "bbb"));
        var seen = new List<ArchiveExtractionProgress>();
        _box.Extract(tar, progress: new Collect(seen));
        Assert.Contains(seen, p => p.CurrentEntry == "a");
        Assert.Equal(5, seen[^1].BytesWritten);
        Assert.Equal(2, seen[^1].EntriesDone);
    }

    private sealed class Collect(List<ArchiveExtractionProgress> into) : IProgress<ArchiveExtractionProgress>
    {
        public void Report(ArchiveExtractionProgress value) => into.Add(value);
    }

    private static string Compress(string tarPath, string compressor)
    {
        string output = tarPath + "." + compressor;
        using (FileStream input = File.OpenRead(tarPath))
        using (FileStream file = File.Create(output))
        {
            switch (compressor)
            {
                case "gzip":
                    using (var gz = new GZipStream(file, CompressionLevel.Fastest)) input.CopyTo(gz);
                    break;
                case "bzip2":
                    using (var bz = SharpCompress.Compressors.BZip2.BZip2Stream.Create(file, SharpCompress.Compressors.CompressionMode.Compress, false, false, false)) input.CopyTo(bz);
                    break;
                case "zstd":
                    using (var zs = new SharpCompress.Compressors.ZStandard.CompressionStream(file, 3)) input.CopyTo(zs);
                    break;
                case "xz":
                    file.Dispose();
                    RunTool("xz", $"-z -c -T1 \"{tarPath}\"", output);
                    break;
            }
        }
        return output;
    }

    /// <summary>SharpCompress reads xz but cannot write it; the xz tool is on every Linux CI image this project uses.</summary>
    private static void RunTool(string tool, string args, string stdoutPath)
    {
        var psi = new System.Diagnostics.ProcessStartInfo(tool, args) { RedirectStandardOutput = true, UseShellExecute = false };
        using var p = System.Diagnostics.Process.Start(psi)!;
        using (FileStream f = File.Create(stdoutPath)) p.StandardOutput.BaseStream.CopyTo(f);
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
    }

    private static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (int i = 0; i <= haystack.Length - needle.Length; i++)
        {
            if (haystack.AsSpan(i, needle.Length).SequenceEqual(needle)) return i;
        }
        return -1;
    }
}
