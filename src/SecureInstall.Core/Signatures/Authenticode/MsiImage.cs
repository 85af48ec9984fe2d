using System.Security.Cryptography;
using SecureInstall.Core.Checksums;

namespace SecureInstall.Core.Signatures.Authenticode;

/// <summary>
/// An MSI package (an OLE compound file, read by <see cref="CompoundFile"/>) as far as Authenticode needs it. The
/// signature is the root stream "\u0005DigitalSignature"; the digest, as Windows and osslsigncode compute it, is over every
/// stream's content and every storage's CLSID, walking each storage's children sorted by their UTF-16LE name bytes
/// (storages recursed into, their CLSID after their children), leaving out the two signature streams of the root. When the
/// root also holds "\u0005MsiDigitalSignatureEx", the digest starts with a pre-hash of the metadata (names, sizes, CLSIDs,
/// state bits and times), which that stream must equal.
/// </summary>
internal sealed class MsiImage : IAuthenticodeContainer
{
    internal const string KindName = "MSI";
    private const string DigitalSignature = "\u0005DigitalSignature", DigitalSignatureEx = "\u0005MsiDigitalSignatureEx";

    private readonly CompoundFile _file;
    private readonly CompoundFileEntry? _signature;
    private readonly CompoundFileEntry? _signatureEx;
    private readonly Dictionary<ChecksumAlgorithm, byte[]> _preHashes = new();
    private byte[]? _storedPreHash;

    private MsiImage(string path, CompoundFile file, CompoundFileEntry? signature, CompoundFileEntry? signatureEx)
    {
        Path = path;
        _file = file;
        _signature = signature;
        _signatureEx = signatureEx;
    }

    public string Path { get; }
    public string Kind => KindName;
    public string IndirectDataType => AuthenticodeSignedData.SpcSipInfo;
    public byte[]? SipGuid => null;
    public bool IsSigned => _signature != null;
    public string UnsignedReason => "it has no \\u0005DigitalSignature stream";

    /// <exception cref="MsiMalformedException">the compound-file structure or the signature streams are refused.</exception>
    public static MsiImage Read(Stream stream, string path, CancellationToken cancel)
    {
        CompoundFile file = CompoundFile.Read(stream, path, cancel);
        CompoundFileEntry? signature = SignatureStream(file, DigitalSignature, path), signatureEx = SignatureStream(file, DigitalSignatureEx, path);
        if (signature == null && signatureEx != null)
            throw new MsiMalformedException(path, MsiDefect.BadSignatureStream, "the file has an MsiDigitalSignatureEx stream but no DigitalSignature stream");
        return new MsiImage(path, file, signature, signatureEx);
    }

    private static CompoundFileEntry? SignatureStream(CompoundFile file, string name, string path)
    {
        CompoundFileEntry? entry = file.Root.Children.FirstOrDefault(c => c.Name == name);
        if (entry == null) return null;
        if (entry.Type != CompoundFileEntry.Stream || entry.Size == 0 || entry.Size > AuthenticodeContainer.MaxSignatureBytes)
            throw new MsiMalformedException(path, MsiDefect.BadSignatureStream, $"'{name.Substring(1)}' is {(entry.Type != CompoundFileEntry.Stream ? "a storage, not a stream" : $"a stream of {entry.Size} bytes")}");
        return entry;
    }

    public byte[] ReadSignature(Stream stream)
    {
        if (_signature == null) throw new InvalidOperationException("unsigned");
        byte[] blob = ReadWhole(stream, _signature);
        return AuthenticodeContainer.SignatureDer(blob, 0, blob.Length, out string? failure)
            ?? throw new MsiMalformedException(Path, MsiDefect.BadSignatureStream, $"the DigitalSignature stream is refused: {failure}");
    }

    public IReadOnlyDictionary<ChecksumAlgorithm, byte[]> Hash(Stream stream, IEnumerable<ChecksumAlgorithm> algorithms, CancellationToken cancel)
    {
        var wanted = algorithms.Distinct().ToList();
        if (_signatureEx != null)
        {
            _storedPreHash = ReadWhole(stream, _signatureEx);
            foreach (ChecksumAlgorithm algorithm in wanted)
            {
                using HashAlgorithm pre = ChecksumAlgorithms.Create(algorithm);
                PreHash(_file.Root, pre, isRoot: true);
                pre.TransformFinalBlock(Array.Empty<byte>(), 0, 0);
                _preHashes[algorithm] = pre.Hash!;
            }
        }
        return AuthenticodeContainer.HashWith(wanted, (hashers, buffer) =>
        {
            if (_signatureEx != null)
            {
                // Each algorithm's digest starts with its own pre-hash.
                foreach (var pair in hashers) pair.Value.TransformBlock(_preHashes[pair.Key], 0, _preHashes[pair.Key].Length, null, 0);
            }
            HashStorage(stream, _file.Root, hashers.Values.ToList(), buffer, isRoot: true, cancel);
        });
    }

    public string? FailureAfterDigest(ChecksumAlgorithm algorithm)
    {
        if (_signatureEx == null) return null;
        byte[] computed = _preHashes[algorithm];
        return Sigstore.SigstoreKeys.BytesEqual(computed, _storedPreHash!) ? null
            : $"the MsiDigitalSignatureEx stream ({_storedPreHash!.Length} bytes) is not the {algorithm} metadata pre-hash the signature covers ({Hex.Encode(computed)})";
    }

    private void HashStorage(Stream stream, CompoundFileEntry storage, IReadOnlyCollection<HashAlgorithm> hashers, byte[] buffer, bool isRoot, CancellationToken cancel)
    {
        foreach (CompoundFileEntry child in Sorted(storage, isRoot))
        {
            if (child.Type == CompoundFileEntry.Storage)
            {
                HashStorage(stream, child, hashers, buffer, isRoot: false, cancel);
                continue;
            }
            foreach (var (offset, count) in _file.Ranges(child)) AuthenticodeContainer.Feed(stream, offset, offset + count, hashers, buffer, cancel);
        }
        foreach (HashAlgorithm h in hashers) h.TransformBlock(storage.Raw, 0x50, 16, null, 0); // the storage's CLSID
    }

    /// <summary>Name (without its NUL; not the root's), CLSID for storages or the size's low 4 bytes for streams, state bits, then the two times (not the root's).</summary>
    private static void PreHash(CompoundFileEntry storage, HashAlgorithm hash, bool isRoot)
    {
        Metadata(storage, hash);
        foreach (CompoundFileEntry child in Sorted(storage, isRoot))
        {
            if (child.Type == CompoundFileEntry.Storage) PreHash(child, hash, isRoot: false);
            else Metadata(child, hash);
        }
    }

    private static void Metadata(CompoundFileEntry entry, HashAlgorithm hash)
    {
        bool root = entry.Type == CompoundFileEntry.Root;
        if (!root) hash.TransformBlock(entry.NameBytes, 0, entry.NameBytes.Length - 2, null, 0);
        hash.TransformBlock(entry.Raw, entry.Type == CompoundFileEntry.Stream ? 0x78 : 0x50, entry.Type == CompoundFileEntry.Stream ? 4 : 16, null, 0);
        hash.TransformBlock(entry.Raw, 0x60, 4, null, 0);
        if (!root) hash.TransformBlock(entry.Raw, 0x64, 16, null, 0);
    }

    /// <summary>The children in the digest's order: their UTF-16LE name bytes (NUL included) compared byte by byte; the root's signature streams left out.</summary>
    private static IEnumerable<CompoundFileEntry> Sorted(CompoundFileEntry storage, bool isRoot)
    {
        var children = storage.Children.Where(c => !isRoot || (c.Name != DigitalSignature && c.Name != DigitalSignatureEx)).ToList();
        children.Sort((a, b) => CompareNameBytes(a.NameBytes, b.NameBytes));
        return children;
    }

    private static int CompareNameBytes(byte[] a, byte[] b)
    {
        int n = Math.Min(a.Length, b.Length);
        for (int i = 0; i < n; i++)
        {
            if (a[i] != b[i]) return a[i].CompareTo(b[i]);
        }
        return b.Length.CompareTo(a.Length); // a NUL-terminated name is never a prefix of another; equal names were refused
    }

    private byte[] ReadWhole(Stream stream, CompoundFileEntry entry)
    {
        byte[] bytes = new byte[entry.Size];
        int at = 0;
        foreach (var (offset, count) in _file.Ranges(entry))
        {
            byte[] part = AuthenticodeContainer.TryReadAt(stream, offset, count)
                ?? throw new MsiMalformedException(Path, MsiDefect.SectorOutOfFile, $"stream '{entry.Name}' reaches past the end of the file");
            Buffer.BlockCopy(part, 0, bytes, at, count);
            at += count;
        }
        return bytes;
    }
}
