using System.IO.Compression;
using SharpCompress.Compressors.BZip2;
using SharpCompress.Compressors.Xz;
using SharpCompress.Compressors.ZStandard;

namespace SecureInstall.Core.Archives;

// Split from SafeArchiveExtractor.cs by job (issue 19): reading zip and tar archives into ArchiveItems, which Run.Handle
// then holds to every rule. Nothing here writes to the disk.
public sealed partial class SafeArchiveExtractor
{
    private sealed partial class Run
    {
        public void ExtractZip(FileStream stream)
        {
            List<ZipCentralRecord> records = ZipCentralDirectory.Read(stream, _archive);
            if (records.Count > _options.MaxEntryCount)
                throw Limit(ArchiveLimit.EntryCount, _options.MaxEntryCount, null, $"the archive lists {records.Count} entries");
            long declared = 0;
            foreach (ZipCentralRecord r in records)
            {
                declared += r.UncompressedSize;
                if (r.IsEncrypted) throw new UnsupportedArchiveFormatException(_archive, "it has encrypted entries; SecureInstall extracts only unencrypted archives (verify a published digest instead of relying on a password).");
                if (r.Method is not (0 or 8 or 9)) throw new UnsupportedArchiveFormatException(_archive, $"an entry uses compression method {r.Method}; only stored, deflate and deflate64 are supported.");
                // refused from the headers before anything is inflated; the streaming checks below catch headers that lie
                if (r.UncompressedSize > RatioFloorBytes && r.UncompressedSize / Math.Max(1, r.CompressedSize) > _options.MaxCompressionRatio)
                    throw Limit(ArchiveLimit.CompressionRatio, _options.MaxCompressionRatio, null, $"an entry declares {r.UncompressedSize} bytes from {r.CompressedSize} compressed");
            }
            if (declared > _options.MaxTotalBytes)
                throw Limit(ArchiveLimit.TotalBytes, _options.MaxTotalBytes, null, $"the entries declare {declared} bytes in total");

            stream.Position = 0;
            _compressedRead = () => stream.Position;
            ZipArchive zip;
            try
            {
                zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
            }
            catch (InvalidDataException ex)
            {
                throw new ArchiveCorruptException(_archive, ex.Message, ex);
            }
            using (zip)
            {
                if (zip.Entries.Count != records.Count)
                    throw new ArchiveCorruptException(_archive, "the central directory and the zip reader disagree on the number of entries.");
                for (int i = 0; i < records.Count; i++)
                {
                    ZipArchiveEntry entry = zip.Entries[i];
                    ZipCentralRecord record = records[i];
                    string name = _options.DecodePercentEscapes ? EntryPathPolicy.DecodePercentEscapes(_archive, entry.FullName) : entry.FullName;
                    int mode = record.UnixMode;
                    ArchiveItemType type = (mode & 0xF000) switch
                    {
                        0x4000 => ArchiveItemType.Directory,
                        0xA000 => ArchiveItemType.SymbolicLink,
                        0x2000 => ArchiveItemType.CharacterDevice,
                        0x6000 => ArchiveItemType.BlockDevice,
                        0x1000 => ArchiveItemType.Fifo,
                        0xC000 => ArchiveItemType.Unsupported,
                        _ => EntryPathPolicy.EndsWithSeparator(name) ? ArchiveItemType.Directory : ArchiveItemType.File,
                    };
                    if (type == ArchiveItemType.Directory && entry.Length != 0)
                        throw new ArchiveCorruptException(_archive, $"the folder entry '{UnsafeArchiveEntryException.Printable(name)}' carries {entry.Length} bytes of data.");
                    string? target = type == ArchiveItemType.SymbolicLink ? ReadZipLinkTarget(entry) : null;
                    var item = new ArchiveItem(name, type, entry.Length, mode & 0xFFF, ZipTime(entry), target, type == ArchiveItemType.Unsupported ? "socket" : null);
                    if (type == ArchiveItemType.File)
                    {
                        using Stream data = OpenZipEntry(entry);
                        Handle(item, data.Read, entry.CompressedLength);
                    }
                    else
                    {
                        Handle(item, (b, o, c) => 0, entry.CompressedLength);
                    }
                }
            }
        }

        public void ExtractTar(FileStream stream, ArchiveFormat format)
        {
            var counter = new CountingReadStream(stream);
            _compressedRead = () => counter.BytesRead;
            Stream decompressed;
            try
            {
                decompressed = format switch
                {
                    ArchiveFormat.Tar => counter,
                    ArchiveFormat.TarGzip => new GZipStream(counter, CompressionMode.Decompress, leaveOpen: true),
                    ArchiveFormat.TarXz => new XZStream(counter),
                    ArchiveFormat.TarBzip2 => BZip2Stream.Create(counter, SharpCompress.Compressors.CompressionMode.Decompress, true, true, false),
                    ArchiveFormat.TarZstd => new DecompressionStream(counter, 0, true, true),
                    _ => throw new UnsupportedArchiveFormatException(_archive, $"{format} is not a tar format."),
                };
            }
            catch (Exception ex) when (CorruptionMappingStream.IsDataError(ex))
            {
                throw new ArchiveCorruptException(_archive, $"the {format} stream cannot be opened ({ex.Message.TrimEnd('.')}).", ex);
            }
            using var source = new CorruptionMappingStream(decompressed, _archive);
            var reader = new TarEntryReader(source, _archive, compressed: format != ArchiveFormat.Tar);
            while (reader.MoveNext())
            {
                Handle(reader.Current!, reader.ReadData, null);
            }
        }

        private string ReadZipLinkTarget(ZipArchiveEntry entry)
        {
            if (entry.Length > MaxLinkTargetBytes)
                throw new ArchiveCorruptException(_archive, $"the link '{UnsafeArchiveEntryException.Printable(entry.FullName)}' has a {entry.Length}-byte target.");
            using Stream data = OpenZipEntry(entry);
            byte[] buffer = new byte[MaxLinkTargetBytes + 1];
            int filled = 0, n;
            while (filled < buffer.Length && (n = data.Read(buffer, filled, buffer.Length - filled)) > 0) filled += n;
            if (filled > MaxLinkTargetBytes || filled != entry.Length)
                throw new ArchiveCorruptException(_archive, $"the link '{UnsafeArchiveEntryException.Printable(entry.FullName)}' does not hold the target its header declares.");
            TotalBytes += filled;
            return Encoding.UTF8.GetString(buffer, 0, filled);
        }

        private Stream OpenZipEntry(ZipArchiveEntry entry)
        {
            try
            {
                return new CorruptionMappingStream(entry.Open(), _archive);
            }
            catch (Exception ex) when (CorruptionMappingStream.IsDataError(ex))
            {
                throw new ArchiveCorruptException(_archive, $"'{UnsafeArchiveEntryException.Printable(entry.FullName)}' cannot be read ({ex.Message.TrimEnd('.')}).", ex);
            }
        }

        /// <summary>Zip stores local time without a zone; ZipArchive reads it as local time, which is what the archiver meant.</summary>
        private static DateTime? ZipTime(ZipArchiveEntry entry)
        {
            try
            {
                DateTimeOffset t = entry.LastWriteTime;
                return t.Year <= 1980 ? null : t.UtcDateTime;
            }
            catch (ArgumentOutOfRangeException)
            {
                return null;
            }
        }
    }
}
