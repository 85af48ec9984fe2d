// Unix modes are set only in tests that skip on Windows.
#pragma warning disable CA1416

using System.Reflection;
using SecureInstall.Core.IO;

namespace SecureInstall.Core.Tests.HostileLocalState;

/// <summary>
/// The one stat every check relies on (issue 17 #1, #3, #6, #10): kinds and modes for the tree walk, owner, link count, size
/// and identity for the cache and the pinned copies; with statx and with the lstat fallback (musl before 1.2.5).
/// </summary>
[Collection(ProcessWideStat.Name)]
public sealed class FileStatusTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private (UnixEntryKind, int)[] Probe()
    {
        string file = Path.Combine(_dir.Path, "f"), dir = Path.Combine(_dir.Path, "d"), link = Path.Combine(_dir.Path, "l"), fifo = Path.Combine(_dir.Path, "p");
        return new[] { file, dir, link, fifo }.Select(p =>
        {
            Assert.True(UnixFileSystem.TryGetEntry(p, out FileStatus e));
            return (e.Kind, e.Mode);
        }).ToArray();
    }

    /// <summary>Owner, link count, size and identity of the file "f" (which has a second name "h"), by path and by descriptor.</summary>
    private (uint Owner, uint Links, long Size, ulong Inode, bool SameByFd) Identity()
    {
        string file = Path.Combine(_dir.Path, "f");
        FileStatus byPath = UnixFileSystem.Status(file, followLinks: false)!.Value;
        int fd = UnixFileSystem.OpenRegularFile(file);
        try
        {
            FileStatus byFd = UnixFileSystem.Status(fd);
            return (byPath.Owner, byPath.LinkCount, byPath.Size, byPath.Inode, byFd.IsSameFile(byPath) && byFd.Size == byPath.Size);
        }
        finally
        {
            UnixFileReader.Close(fd);
        }
    }

    [SkippableFact]
    public void Kinds_AndModes_AreTheSame_WithStatx_AndWithTheLstatFallback()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && (System.Runtime.InteropServices.RuntimeInformation.OSArchitecture is System.Runtime.InteropServices.Architecture.X64 or System.Runtime.InteropServices.Architecture.Arm64), "the fallback is for Linux x64 and arm64");
        string file = _dir.File("f", "x");
        File.SetUnixFileMode(file, (UnixFileMode)0xDED); // 06755
        Directory.CreateDirectory(Path.Combine(_dir.Path, "d"));
        File.SetUnixFileMode(Path.Combine(_dir.Path, "d"), (UnixFileMode)0x3FF); // 01777
        File.CreateSymbolicLink(Path.Combine(_dir.Path, "l"), "f");
        InstalledTreeKindsAndModesTests.MakeFifo(Path.Combine(_dir.Path, "p"));
        var expected = new[] { (UnixEntryKind.RegularFile, 0xDED), (UnixEntryKind.Directory, 0x3FF), (UnixEntryKind.SymbolicLink, 0x1FF), (UnixEntryKind.Fifo, 0x1A4) };

        Assert.Equal(expected, Probe());
        Assert.True(HardLink.TryCreate(file, Path.Combine(_dir.Path, "h")));
        var identity = Identity();
        Assert.Equal((UnixFileSystem.EffectiveUserId, 2u, 1L, true), (identity.Owner, identity.Links, identity.Size, identity.SameByFd));
        Assert.NotEqual(0ul, identity.Inode);
        FieldInfo noStatx = typeof(UnixFileSystem).GetField("_noStatx", BindingFlags.NonPublic | BindingFlags.Static)!;
        noStatx.SetValue(null, true);
        try
        {
            Assert.Equal(expected, Probe());
            Assert.Equal(identity, Identity());
            int fd = UnixFileSystem.OpenRegularFile(file);
            Assert.True(fd >= 0);
            UnixFileReader.Close(fd);
            Assert.Equal(-1, UnixFileSystem.OpenRegularFile(Path.Combine(_dir.Path, "p")));
        }
        finally
        {
            noStatx.SetValue(null, false);
        }
        Assert.False(UnixFileSystem.TryGetEntry(Path.Combine(_dir.Path, "absent"), out _));
        Assert.Equal(-1, UnixFileSystem.OpenRegularFile(Path.Combine(_dir.Path, "l")));
    }
}

/// <summary>
/// Tests that switch UnixFileSystem's process-wide stat fallback on run alone: while it is on, every stat in the process
/// takes the fallback, so no other test may run meanwhile.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideStat
{
    public const string Name = "Process-wide stat fallback";
}
