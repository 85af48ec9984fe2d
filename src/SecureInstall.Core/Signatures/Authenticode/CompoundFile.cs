namespace SecureInstall.Core.Signatures.Authenticode;

/// <summary>One directory entry of a compound file: a storage, a stream or the root.</summary>
internal sealed class CompoundFileEntry
{
    internal const byte Storage = 1, Stream = 2, Root = 5;

    internal CompoundFileEntry(int id, byte[] raw, byte[] nameBytes, string name)
    {
        Id = id;
        Raw = raw;
        NameBytes = nameBytes;
        Name = name;
    }

    public int Id { get; }
    /// <summary>The 128 bytes of the entry as stored (CLSID, state bits, times and size are read from here).</summary>
    public byte[] Raw { get; }
    /// <summary>The UTF-16LE name with its terminating NUL, as the MSI digest orders and hashes it.</summary>
    public byte[] NameBytes { get; }
    public string Name { get; }
    public byte Type => Raw[0x42];
    public uint Left => BitConverter.ToUInt32(Raw, 0x44);
    public uint Right => BitConverter.ToUInt32(Raw, 0x48);
    public uint Child => BitConverter.ToUInt32(Raw, 0x4C);
    public uint StartSector => BitConverter.ToUInt32(Raw, 0x74);
    /// <summary>The stream size (the low 32 bits: a version-3 file's high half is undefined, and a stream of 4 GiB is refused).</summary>
    public uint Size => BitConverter.ToUInt32(Raw, 0x78);
    public List<CompoundFileEntry> Children { get; } = new();
    /// <summary>The sectors (or mini sectors) holding a stream's data, in order; set for streams only.</summary>
    public IReadOnlyList<uint> Chain { get; set; } = Array.Empty<uint>();
    public bool InMiniStream { get; set; }
}

/// <summary>
/// A strict reader of the OLE compound file format (MS-CFB), the container of an MSI package: the header, the FAT through
/// the DIFAT, the mini FAT, the directory tree and every stream's sector chain, all checked before anything is hashed.
/// Refused, each with its <see cref="MsiDefect"/>: a sector number outside the file, a chain that loops or shares a sector
/// with another (FAT and DIFAT sectors included), a chain whose length does not match its stream, a directory larger than
/// <see cref="MaxDirectoryEntries"/> or whose tree revisits an entry, two entries of one storage with the same name, and a
/// header with a bad version, byte order or sector shift. Such files are where two readers (ours and msi.dll) could see
/// different streams under one signature.
/// </summary>
internal sealed class CompoundFile
{
    private const uint MaxRegularSector = 0xFFFFFFFA, DifatSector = 0xFFFFFFFC, FatSector = 0xFFFFFFFD, EndOfChain = 0xFFFFFFFE, Free = 0xFFFFFFFF;
    private const int HeaderSize = 512, EntrySize = 128, MiniSectorSize = 64, MiniStreamCutoff = 4096, HeaderDifat = 109;

    /// <summary>Real MSI packages hold hundreds to a few thousand streams; a directory is read whole, so it is bounded.</summary>
    internal const int MaxDirectoryEntries = 1 << 17;

    private readonly Stream _stream;
    private readonly string _path;
    private readonly int _sectorSize;
    private readonly long _sectorCount;
    private readonly long _length;
    private uint[] _fat = Array.Empty<uint>();
    private uint[] _miniFat = Array.Empty<uint>();
    private bool[] _claimed = Array.Empty<bool>();
    private bool[] _miniClaimed = Array.Empty<bool>();
    private IReadOnlyList<uint> _miniStreamChain = Array.Empty<uint>();

    private CompoundFile(Stream stream, string path, int sectorSize)
    {
        _stream = stream;
        _path = path;
        _sectorSize = sectorSize;
        _length = stream.Length;
        _sectorCount = (_length - sectorSize + sectorSize - 1) / sectorSize;
    }

    public CompoundFileEntry Root { get; private set; } = null!;
    public int SectorSize => _sectorSize;

    /// <exception cref="MsiMalformedException">the structure is refused.</exception>
    public static CompoundFile Read(Stream stream, string path, CancellationToken cancel)
    {
        byte[] header = AuthenticodeContainer.TryReadAt(stream, 0, HeaderSize)
            ?? throw new MsiMalformedException(path, MsiDefect.NotCompoundFile, $"the file ({stream.Length} bytes) is shorter than a compound-file header");
        if (!header.Take(8).SequenceEqual(AuthenticodeContainer.CompoundFileMagic))
            throw new MsiMalformedException(path, MsiDefect.NotCompoundFile, "the file does not start with the compound-file magic D0 CF 11 E0 A1 B1 1A E1");
        ushort major = BitConverter.ToUInt16(header, 0x1A), byteOrder = BitConverter.ToUInt16(header, 0x1C);
        ushort shift = BitConverter.ToUInt16(header, 0x1E), miniShift = BitConverter.ToUInt16(header, 0x20);
        if (major != 3 && major != 4) throw new MsiMalformedException(path, MsiDefect.BadHeader, $"the major version is {major}, not 3 or 4");
        if (byteOrder != 0xFFFE) throw new MsiMalformedException(path, MsiDefect.BadHeader, $"the byte order mark is 0x{byteOrder:X4}, not 0xFFFE");
        if (shift != (major == 3 ? 9 : 12))
            throw new MsiMalformedException(path, MsiDefect.BadSectorShift, $"the sector shift is {shift}; a version-{major} file has {(major == 3 ? 9 : 12)} ({(major == 3 ? 512 : 4096)}-byte sectors)");
        if (miniShift != 6) throw new MsiMalformedException(path, MsiDefect.BadSectorShift, $"the mini sector shift is {miniShift}, not 6 (64-byte mini sectors)");
        if (BitConverter.ToUInt32(header, 0x38) != MiniStreamCutoff)
            throw new MsiMalformedException(path, MsiDefect.BadHeader, $"the mini stream cutoff is {BitConverter.ToUInt32(header, 0x38)}, not {MiniStreamCutoff}");
        if (major == 3 && BitConverter.ToUInt32(header, 0x28) != 0)
            throw new MsiMalformedException(path, MsiDefect.BadHeader, "a version-3 file must not count its directory sectors");

        var file = new CompoundFile(stream, path, 1 << shift);
        file.ReadFat(header, cancel);
        IReadOnlyList<uint> directory = file.FollowChain(BitConverter.ToUInt32(header, 0x30), "the directory", cancel);
        long entries = (long)directory.Count * file._sectorSize / EntrySize;
        if (entries > MaxDirectoryEntries)
            throw new MsiMalformedException(path, MsiDefect.DirectoryTooLarge, $"the directory has {entries} entries; at most {MaxDirectoryEntries} are read");
        if (entries == 0) throw new MsiMalformedException(path, MsiDefect.BadDirectoryEntry, "the directory is empty (no root entry)");

        uint miniFatStart = BitConverter.ToUInt32(header, 0x3C), miniFatSectors = BitConverter.ToUInt32(header, 0x40);
        IReadOnlyList<uint> miniFat = miniFatSectors == 0 && (miniFatStart == EndOfChain || miniFatStart == Free) ? Array.Empty<uint>() : file.FollowChain(miniFatStart, "the mini FAT", cancel);
        if (miniFat.Count != miniFatSectors)
            throw new MsiMalformedException(path, MsiDefect.ChainLengthMismatch, $"the header counts {miniFatSectors} mini FAT sectors, its chain has {miniFat.Count}");
        file._miniFat = file.ReadTable(miniFat);

        List<CompoundFileEntry> all = file.ReadDirectory(directory, cancel);
        file.Root = all[0];
        if (file.Root.Type != CompoundFileEntry.Root || file.Root.Name != "Root Entry")
            throw new MsiMalformedException(path, MsiDefect.BadDirectoryEntry, $"entry 0 is '{file.Root.Name}' of type {file.Root.Type}, not the root entry");

        uint miniStreamSize = file.Root.Size;
        file._miniStreamChain = miniStreamSize == 0 ? Array.Empty<uint>() : file.FollowChain(file.Root.StartSector, "the mini stream", cancel);
        file.CheckLength(file._miniStreamChain.Count, miniStreamSize, file._sectorSize, "the mini stream");
        file._miniClaimed = new bool[Math.Min(file._miniFat.Length, ((long)miniStreamSize + MiniSectorSize - 1) / MiniSectorSize)];

        file.BuildTree(all, cancel);
        return file;
    }

    private void ReadFat(byte[] header, CancellationToken cancel)
    {
        long fatSectors = BitConverter.ToUInt32(header, 0x2C);
        uint difatStart = BitConverter.ToUInt32(header, 0x44);
        long difatSectors = BitConverter.ToUInt32(header, 0x48);
        if (fatSectors == 0 || fatSectors > _sectorCount || difatSectors > _sectorCount)
            throw new MsiMalformedException(_path, MsiDefect.BadHeader, $"the header counts {fatSectors} FAT and {difatSectors} DIFAT sectors in a file of {_sectorCount} sectors");
        _claimed = new bool[_sectorCount];
        var locations = new List<uint>();
        for (int i = 0; i < HeaderDifat && locations.Count < fatSectors; i++) locations.Add(BitConverter.ToUInt32(header, 0x4C + i * 4));
        uint next = difatStart;
        int perDifat = _sectorSize / 4 - 1;
        for (long d = 0; d < difatSectors; d++)
        {
            cancel.ThrowIfCancellationRequested();
            Claim(next, "the DIFAT");
            byte[] sector = ReadSector(next);
            for (int i = 0; i < perDifat && locations.Count < fatSectors; i++) locations.Add(BitConverter.ToUInt32(sector, i * 4));
            next = BitConverter.ToUInt32(sector, perDifat * 4);
        }
        if (locations.Count != fatSectors)
            throw new MsiMalformedException(_path, MsiDefect.BadHeader, $"the header counts {fatSectors} FAT sectors, the DIFAT lists {locations.Count}");
        foreach (uint location in locations) Claim(location, "the FAT");
        _fat = ReadTable(locations);
        // The FAT must mark its own sectors and the DIFAT's as such; otherwise a stream chain could run through them.
        foreach (uint location in locations)
        {
            if (location >= _fat.Length || _fat[location] != FatSector)
                throw new MsiMalformedException(_path, MsiDefect.ChainCrossLinked, $"FAT sector {location} is not marked as a FAT sector in the FAT");
        }
    }

    private uint[] ReadTable(IReadOnlyList<uint> sectors)
    {
        uint[] table = new uint[(long)sectors.Count * _sectorSize / 4];
        int at = 0;
        foreach (uint s in sectors)
        {
            byte[] bytes = ReadSector(s);
            for (int i = 0; i < _sectorSize; i += 4) table[at++] = BitConverter.ToUInt32(bytes, i);
        }
        return table;
    }

    private void Claim(uint sector, string what)
    {
        if (sector > MaxRegularSector || sector >= _sectorCount)
            throw new MsiMalformedException(_path, MsiDefect.SectorOutOfFile, $"{what} names sector {sector}, outside the file's {_sectorCount} sectors");
        if (_claimed[sector])
            throw new MsiMalformedException(_path, MsiDefect.ChainCrossLinked, $"{what} reaches sector {sector}, which already belongs to another chain or to itself (a loop)");
        _claimed[sector] = true;
    }

    /// <summary>The chain from <paramref name="start"/> to ENDOFCHAIN; every sector is claimed, so loops and cross-links are refused and the work is bounded by the file's size.</summary>
    private IReadOnlyList<uint> FollowChain(uint start, string what, CancellationToken cancel)
    {
        var chain = new List<uint>();
        uint sector = start;
        while (sector != EndOfChain)
        {
            cancel.ThrowIfCancellationRequested();
            Claim(sector, what);
            if (sector >= _fat.Length) throw new MsiMalformedException(_path, MsiDefect.SectorOutOfFile, $"{what} reaches sector {sector}, past the FAT's {_fat.Length} entries");
            chain.Add(sector);
            sector = _fat[sector];
            if (sector == Free || sector == FatSector || sector == DifatSector)
                throw new MsiMalformedException(_path, MsiDefect.ChainLengthMismatch, $"{what} runs into a sector the FAT marks 0x{sector:X8} instead of ending with ENDOFCHAIN");
        }
        return chain;
    }

    private IReadOnlyList<uint> FollowMiniChain(uint start, string what, CancellationToken cancel)
    {
        var chain = new List<uint>();
        uint sector = start;
        while (sector != EndOfChain)
        {
            cancel.ThrowIfCancellationRequested();
            if (sector > MaxRegularSector || sector >= _miniClaimed.Length || sector >= _miniFat.Length)
                throw new MsiMalformedException(_path, MsiDefect.SectorOutOfFile, $"{what} names mini sector {sector}, outside the mini stream");
            if (_miniClaimed[sector])
                throw new MsiMalformedException(_path, MsiDefect.ChainCrossLinked, $"{what} reaches mini sector {sector}, which already belongs to another chain or to itself (a loop)");
            _miniClaimed[sector] = true;
            chain.Add(sector);
            sector = _miniFat[sector];
        }
        return chain;
    }

    private void CheckLength(int chainLength, long size, int unit, string what)
    {
        long needed = (size + unit - 1) / unit;
        if (chainLength != needed)
            throw new MsiMalformedException(_path, MsiDefect.ChainLengthMismatch, $"{what} is {size} bytes ({needed} sectors of {unit}) but its chain has {chainLength}");
    }

    private List<CompoundFileEntry> ReadDirectory(IReadOnlyList<uint> sectors, CancellationToken cancel)
    {
        var all = new List<CompoundFileEntry>();
        foreach (uint s in sectors)
        {
            cancel.ThrowIfCancellationRequested();
            byte[] bytes = ReadSector(s);
            for (int at = 0; at < _sectorSize; at += EntrySize)
            {
                byte[] raw = new byte[EntrySize];
                Buffer.BlockCopy(bytes, at, raw, 0, EntrySize);
                int id = all.Count;
                int nameLength = BitConverter.ToUInt16(raw, 0x40);
                byte type = raw[0x42];
                if (type == 0)
                {
                    all.Add(new CompoundFileEntry(id, raw, Array.Empty<byte>(), ""));
                    continue;
                }
                if (nameLength < 2 || nameLength > 64 || nameLength % 2 != 0 || raw[nameLength - 2] != 0 || raw[nameLength - 1] != 0)
                    throw new MsiMalformedException(_path, MsiDefect.BadDirectoryEntry, $"directory entry {id} has a name length of {nameLength} bytes, not an even 2-64 with its NUL terminator");
                byte[] name = new byte[nameLength];
                Buffer.BlockCopy(raw, 0, name, 0, nameLength);
                all.Add(new CompoundFileEntry(id, raw, name, System.Text.Encoding.Unicode.GetString(name, 0, nameLength - 2)));
            }
        }
        return all;
    }

    /// <summary>Walks the red-black trees from the root; each entry may be reached once (a second visit is a loop or a shared subtree).</summary>
    private void BuildTree(List<CompoundFileEntry> all, CancellationToken cancel)
    {
        bool[] visited = new bool[all.Count];
        visited[0] = true;
        var pending = new Stack<(uint Id, CompoundFileEntry Parent)>();
        if (Root.Child != Free) pending.Push((Root.Child, Root));
        while (pending.Count > 0)
        {
            cancel.ThrowIfCancellationRequested();
            var (id, parent) = pending.Pop();
            if (id >= all.Count)
                throw new MsiMalformedException(_path, MsiDefect.BadDirectoryEntry, $"a directory link in '{parent.Name}' names entry {id}, past the directory's {all.Count} entries");
            if (visited[id])
                throw new MsiMalformedException(_path, MsiDefect.DirectoryLoop, $"directory entry {id} is reached twice (a loop or a shared subtree under '{parent.Name}')");
            visited[id] = true;
            CompoundFileEntry entry = all[(int)id];
            if (entry.Type != CompoundFileEntry.Storage && entry.Type != CompoundFileEntry.Stream)
                throw new MsiMalformedException(_path, MsiDefect.BadDirectoryEntry, $"directory entry {id} under '{parent.Name}' has type {entry.Type}, neither a storage (1) nor a stream (2)");
            if (parent.Children.Any(c => string.Equals(c.Name, entry.Name, StringComparison.OrdinalIgnoreCase)))
                throw new MsiMalformedException(_path, MsiDefect.DuplicateName, $"'{parent.Name}' holds two entries named '{entry.Name}' (names are case-insensitive); readers would disagree about which one counts");
            parent.Children.Add(entry);
            if (entry.Left != Free) pending.Push((entry.Left, parent));
            if (entry.Right != Free) pending.Push((entry.Right, parent));
            if (entry.Type == CompoundFileEntry.Storage)
            {
                if (entry.Child != Free) pending.Push((entry.Child, entry));
                continue;
            }
            if (entry.Child != Free)
                throw new MsiMalformedException(_path, MsiDefect.BadDirectoryEntry, $"stream '{entry.Name}' (entry {id}) has a child entry; only storages have children");
            if (BitConverter.ToUInt32(entry.Raw, 0x7C) != 0 && _sectorSize != 512)
                throw new MsiMalformedException(_path, MsiDefect.BadDirectoryEntry, $"stream '{entry.Name}' claims 4 GiB or more");
            if (entry.Size == 0) continue;
            entry.InMiniStream = entry.Size < MiniStreamCutoff;
            entry.Chain = entry.InMiniStream ? FollowMiniChain(entry.StartSector, $"stream '{entry.Name}'", cancel) : FollowChain(entry.StartSector, $"stream '{entry.Name}'", cancel);
            CheckLength(entry.Chain.Count, entry.Size, entry.InMiniStream ? MiniSectorSize : _sectorSize, $"stream '{entry.Name}'");
        }
    }

    private byte[] ReadSector(uint sector)
    {
        if (sector > MaxRegularSector || sector >= _sectorCount)
            throw new MsiMalformedException(_path, MsiDefect.SectorOutOfFile, $"sector {sector} is outside the file's {_sectorCount} sectors");
        return AuthenticodeContainer.TryReadAt(_stream, ((long)sector + 1) * _sectorSize, _sectorSize)
            ?? throw new MsiMalformedException(_path, MsiDefect.SectorOutOfFile, $"sector {sector} is cut short by the end of the file ({_length} bytes)");
    }

    /// <summary>The file ranges holding a stream's bytes, in order, adjacent sectors merged (one read per run).</summary>
    public IEnumerable<(long Offset, int Count)> Ranges(CompoundFileEntry entry)
    {
        long left = entry.Size;
        long runStart = -1, runLength = 0;
        int unit = entry.InMiniStream ? MiniSectorSize : _sectorSize;
        foreach (uint s in entry.Chain)
        {
            long offset = entry.InMiniStream ? MiniSectorOffset(s) : ((long)s + 1) * _sectorSize;
            int count = (int)Math.Min(unit, left);
            if (offset + count > _length)
                throw new MsiMalformedException(_path, MsiDefect.SectorOutOfFile, $"stream '{entry.Name}' reaches past the end of the file ({_length} bytes)");
            left -= count;
            if (runStart >= 0 && runStart + runLength == offset && runLength < (1 << 20))
            {
                runLength += count;
                continue;
            }
            if (runStart >= 0) yield return (runStart, (int)runLength);
            runStart = offset;
            runLength = count;
        }
        if (runStart >= 0) yield return (runStart, (int)runLength);
    }

    private long MiniSectorOffset(uint miniSector)
    {
        long inMiniStream = (long)miniSector * MiniSectorSize;
        uint sector = _miniStreamChain[(int)(inMiniStream / _sectorSize)];
        return ((long)sector + 1) * _sectorSize + inMiniStream % _sectorSize;
    }
}

/// <summary>What is wrong with an MSI's compound-file structure; the name is stable (scripts and tests match on it).</summary>
public enum MsiDefect
{
    /// <summary>No compound-file magic, or the file is shorter than its header.</summary>
    NotCompoundFile,
    /// <summary>A version, byte order, mini-stream cutoff or FAT/DIFAT count the format does not allow.</summary>
    BadHeader,
    /// <summary>The sector shift does not match the version (9 for version 3, 12 for version 4), or the mini sector shift is not 6.</summary>
    BadSectorShift,
    /// <summary>A sector number points outside the file (or the mini stream), or a sector is cut short by the end of the file.</summary>
    SectorOutOfFile,
    /// <summary>A FAT or mini FAT chain loops, or two chains (FAT and DIFAT sectors included) share a sector.</summary>
    ChainCrossLinked,
    /// <summary>A chain is longer or shorter than its stream, or ends in a free or FAT sector instead of ENDOFCHAIN.</summary>
    ChainLengthMismatch,
    /// <summary>The directory has more entries than are read.</summary>
    DirectoryTooLarge,
    /// <summary>The directory tree reaches an entry twice.</summary>
    DirectoryLoop,
    /// <summary>A directory entry has a bad name, type or link, or the root entry is missing.</summary>
    BadDirectoryEntry,
    /// <summary>One storage holds two entries with the same (case-insensitive) name.</summary>
    DuplicateName,
    /// <summary>The signature streams are not what an MSI signature is: a storage in their place, or a blob with data after the DER.</summary>
    BadSignatureStream,
}

/// <summary>The file is not an MSI whose compound-file structure the Authenticode rules can hash unambiguously (or read in bounded work).</summary>
public sealed class MsiMalformedException : AuthenticodeLayoutException<MsiDefect>
{
    public MsiMalformedException(string path, MsiDefect defect, string reason)
        : base(path, defect, reason, "MSI compound file", ErrorIds.MsiMalformed)
    {
    }
}
