using System.Buffers;
using System.Text.RegularExpressions;

namespace SecureInstall.Core.Checksums;

/// <summary>
/// Reads checksum lists in every dialect met in the wild: GNU coreutils (text and <c>*</c> binary mode, the
/// backslash-escaped name form), BSD tags and OpenSSL output, GoReleaser and Node SHASUMS lists, hash-only and
/// hash+name sidecars, Get-FileHash table and list output, OpenPGP clear-signed lists; in UTF-8 (with or without
/// BOM) and UTF-16LE/BE, with LF or CRLF. The algorithm comes from the tag or the digest length.
/// </summary>
public sealed class ChecksumListParser
{
    /// <summary>Real lists are kilobytes; a hostile "list" of gigabytes must not be read into memory.</summary>
    public const long DefaultMaximumBytes = 64L * 1024 * 1024;

    private static readonly Regex BsdTag = new(
        @"^(?<esc>\\)?(?<alg>[A-Za-z][A-Za-z0-9/_-]*) ?\((?<name>.*)\) ?= ?(?<hex>[0-9A-Fa-f]+)$", RegexOptions.CultureInvariant);

    private static readonly Regex HashOnly = new(@"^[0-9A-Fa-f]{32,}$", RegexOptions.CultureInvariant);

    // Get-FileHash's default table: "SHA256          0123ABC...       C:\path\file"
    private static readonly Regex FileHashTableRow = new(
        @"^(?<alg>MD5|SHA1|SHA256|SHA384|SHA512)\s+(?<hex>[0-9A-Fa-f]{32,})\s+(?<name>\S.*)$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase);

    // Get-FileHash | Format-List: "Algorithm : SHA256" / "Hash      : ..." / "Path      : ..."
    private static readonly Regex FileHashListField = new(
        @"^(?<key>Algorithm|Hash|Path)\s*:\s*(?<value>.*)$", RegexOptions.CultureInvariant);

    private static readonly Regex HexRun = new(@"[0-9A-Fa-f]{32,}", RegexOptions.CultureInvariant);

    // Debian/Ubuntu Release and InRelease (and .dsc/.changes Checksums-*): a field naming the algorithm, then one
    // indented " <hex> <size> <path>" line per file. Every apt repository publishes its index this way.
    private static readonly Regex ReleaseSection = new(
        @"^(?:Checksums-)?(?<alg>MD5Sum|SHA1|SHA256|SHA512)\s*:\s*$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase);

    private static readonly Regex ReleaseLine = new(
        @"^(?<hex>[0-9A-Fa-f]{32,})\s+(?<size>[0-9]{1,19})\s+(?<name>\S.*)$", RegexOptions.CultureInvariant);

    // Release fields that may hold a long hex run without being a digest (a key fingerprint).
    private static readonly Regex ReleaseFingerprintField = new(@"^Signed-By\s*:", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase);

    public long MaximumBytes { get; set; } = DefaultMaximumBytes;

    /// <summary>Reads a list from a file, decoding it from its bytes (BOM, UTF-16) rather than trusting a default encoding.</summary>
    public ChecksumList ParseFile(string path, CancellationToken cancellationToken = default)
    {
        if (path == null) throw new ArgumentNullException(nameof(path));
        using FileStream stream = IO.InputFile.OpenRead(path, FileShare.Read, 4096, FileOptions.SequentialScan);
        return Parse(stream, path, cancellationToken);
    }

    public ChecksumList Parse(Stream stream, string source, CancellationToken cancellationToken = default)
    {
        if (stream == null) throw new ArgumentNullException(nameof(stream));
        if (source == null) throw new ArgumentNullException(nameof(source));
        // One pooled buffer, sized from the length when the stream knows it: a list of 10,000 lines would otherwise
        // cost a growing MemoryStream and a decoded copy of the whole text, fresh large-object-heap memory every time.
        long limit = Math.Min(MaximumBytes, int.MaxValue / 2); // one byte array holds the list
        long known = stream.CanSeek ? Math.Max(stream.Length - stream.Position, 0) : -1;
        if (known > limit)
            throw new ChecksumListFormatException(source, 0, $"larger than {limit} bytes; no real checksum list is this large.");
        int capacity = known >= 0 ? (int)known + 1 : 81920; // +1: the read that sees the end needs room
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Max(capacity, 4096));
        try
        {
            int count = 0, read;
            while ((read = stream.Read(buffer, count, buffer.Length - count)) > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                count += read;
                if (count > limit)
                    throw new ChecksumListFormatException(source, 0, $"larger than {limit} bytes; no real checksum list is this large.");
                if (count == buffer.Length)
                {
                    byte[] larger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, limit + 1));
                    Buffer.BlockCopy(buffer, 0, larger, 0, count);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
            }
            (Encoding encoding, int preamble) = IO.TextDecoding.Detect(buffer, count, sniffUtf16: true);
            using var reader = new StreamReader(new MemoryStream(buffer, preamble, count - preamble, writable: false), encoding, detectEncodingFromByteOrderMarks: false);
            return Parse(reader, source);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Decodes list bytes: a BOM decides (UTF-8, UTF-16LE, UTF-16BE); without one, NUL-interleaved text is UTF-16, anything else UTF-8.</summary>
    public static string Decode(byte[] bytes, int count)
    {
        if (bytes == null) throw new ArgumentNullException(nameof(bytes));
        return IO.TextDecoding.Decode(bytes, count, sniffUtf16: true);
    }

    public ChecksumList Parse(string text, string source)
    {
        if (text == null) throw new ArgumentNullException(nameof(text));
        if (source == null) throw new ArgumentNullException(nameof(source));
        using StringReader reader = new(text);
        return Parse(reader, source);
    }

    private static ChecksumList Parse(TextReader reader, string source)
    {
        var state = new ParseState(source);
        string? line;
        int lineNumber = 0;
        while ((line = reader.ReadLine()) != null)
        {
            lineNumber++;
            ReadLine(state, line, lineNumber);
        }
        state.FlushListRecord();
        if (state.PgpSection is PgpSection.Header or PgpSection.Signature)
            throw new ChecksumListFormatException(source, lineNumber, "the OpenPGP armor is not closed.");
        if (state.Entries.Count == 0)
        {
            string hint = state.Skipped.Count > 0
                ? $" (line {state.Skipped[0].LineNumber} reads '{Shorten(state.Skipped[0].Text)}')"
                : lineNumber == 0 ? " (it is empty)" : string.Empty;
            throw new ChecksumListFormatException(source, 0, "no checksum entry could be read" + hint + ". An empty list verifies nothing.");
        }
        return new ChecksumList(source, state.Entries, state.Skipped, state.ClearSigned);
    }

    private static void ReadLine(ParseState s, string raw, int n)
    {
        string line = raw.TrimEnd();
        if (n == 1) line = IO.TextDecoding.WithoutByteOrderMark(line);

        switch (s.PgpSection)
        {
            case PgpSection.Header:
                if (line.Length == 0) s.PgpSection = PgpSection.Body;
                return;
            case PgpSection.Signature:
                if (line == "-----END PGP SIGNATURE-----") s.PgpSection = PgpSection.Done;
                return;
        }
        if (line == "-----BEGIN PGP SIGNED MESSAGE-----")
        {
            s.PgpSection = PgpSection.Header;
            s.ClearSigned = true;
            return;
        }
        if (line == "-----BEGIN PGP SIGNATURE-----")
        {
            s.PgpSection = PgpSection.Signature;
            return;
        }
        if (s.PgpSection == PgpSection.Body && line.StartsWith("- ", StringComparison.Ordinal)) line = line.Substring(2); // RFC 4880 dash-escaping

        if (line.Length == 0)
        {
            s.FlushListRecord();
            s.ReleaseAlgorithm = null;
            return;
        }
        if (line[0] == '#') return;

        if (TryReadRelease(s, raw, line, n)) return;

        // Format-List wraps a long Path over indented continuation lines.
        if (s.ListPath != null && char.IsWhiteSpace(raw[0]) && s.LastListKey == "Path")
        {
            s.ListPath += line.Trim();
            return;
        }
        line = line.TrimStart();

        if (TryReadGnu(s, line, n)) return;

        Match m = BsdTag.Match(line);
        if (m.Success)
        {
            if (!ChecksumAlgorithms.TryParse(m.Groups["alg"].Value, out ChecksumAlgorithm tagged))
            {
                s.Skipped.Add(new SkippedLine(n, line));
                return;
            }
            string name = m.Groups["esc"].Success ? Unescape(m.Groups["name"].Value, s.Source, n) : m.Groups["name"].Value;
            s.Add(name, tagged, m.Groups["hex"].Value, n);
            return;
        }

        if (HashOnly.IsMatch(line))
        {
            s.Add(null, AlgorithmFromLength(line, s.Source, n), line, n);
            return;
        }

        m = FileHashTableRow.Match(line);
        if (m.Success)
        {
            _ = ChecksumAlgorithms.TryParse(m.Groups["alg"].Value, out ChecksumAlgorithm alg);
            s.Add(m.Groups["name"].Value, alg, m.Groups["hex"].Value, n);
            return;
        }

        m = FileHashListField.Match(line);
        if (m.Success)
        {
            string key = m.Groups["key"].Value, value = m.Groups["value"].Value.Trim();
            if (key == "Algorithm") { s.FlushListRecord(); s.ListAlgorithm = value; s.ListLine = n; }
            else if (key == "Hash") { s.ListHash = value; s.ListLine = s.ListLine == 0 ? n : s.ListLine; }
            else s.ListPath = value;
            s.LastListKey = key;
            return;
        }

        if (HexRun.IsMatch(line))
            throw new ChecksumListFormatException(s.Source, n, $"'{Shorten(line)}' holds a digest but is in no known checksum format.");
        s.Skipped.Add(new SkippedLine(n, line));
    }

    /// <summary>
    /// Debian Release sections: "SHA256:" at the start of a line opens one, indented lines belong to it, and the next
    /// field at the start of a line closes it. The size is kept and checked with the digest.
    /// </summary>
    private static bool TryReadRelease(ParseState s, string raw, string line, int n)
    {
        bool indented = raw.Length > 0 && (raw[0] == ' ' || raw[0] == '\t');
        if (s.ReleaseAlgorithm != null && indented)
        {
            Match entry = ReleaseLine.Match(line.TrimStart());
            if (!entry.Success)
                throw new ChecksumListFormatException(s.Source, n, $"'{Shorten(line.Trim())}' is in the {s.ReleaseAlgorithm} section but is not a '<digest> <size> <path>' line.");
            if (!long.TryParse(entry.Groups["size"].Value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long size))
                throw new ChecksumListFormatException(s.Source, n, $"the size '{entry.Groups["size"].Value}' is out of range.");
            s.Add(entry.Groups["name"].Value, s.ReleaseAlgorithm.Value, entry.Groups["hex"].Value, n, size);
            return true;
        }
        if (indented) return false;
        s.ReleaseAlgorithm = null;
        // Both fields below hold a colon; the regexes are not run on the lines of a GNU list (a third of reading one).
        if (line.IndexOf(':') < 0) return false;
        Match section = ReleaseSection.Match(line);
        if (section.Success)
        {
            _ = ChecksumAlgorithms.TryParse(section.Groups["alg"].Value, out ChecksumAlgorithm algorithm);
            s.ReleaseAlgorithm = algorithm;
            return true;
        }
        if (ReleaseFingerprintField.IsMatch(line))
        {
            s.Skipped.Add(new SkippedLine(n, line));
            return true;
        }
        return false;
    }

    /// <summary>
    /// GNU coreutils lines, by far the most common, read without a regex (lists of 10,000 lines are met in CI):
    /// an optional '\' escape marker, 32+ hex digits, then " *" (binary mode), two spaces, one space or a tab, then the name.
    /// </summary>
    private static bool TryReadGnu(ParseState s, string line, int n)
    {
        int start = line[0] == '\\' ? 1 : 0, end = start;
        while (end < line.Length && Hex.IsHexDigit(line[end])) end++;
        int hexLength = end - start;
        if (hexLength < 32 || end >= line.Length) return false;
        int nameStart;
        if (line[end] == '\t') nameStart = end + 1;
        else if (line[end] != ' ') return false;
        else nameStart = end + 1 < line.Length && (line[end + 1] == ' ' || line[end + 1] == '*') ? end + 2 : end + 1;
        if (nameStart >= line.Length) return false;
        string hex = line.Substring(start, hexLength), name = line.Substring(nameStart);
        if (start == 1) name = Unescape(name, s.Source, n);
        s.Add(name, AlgorithmFromLength(hex, s.Source, n), hex, n);
        return true;
    }

    private static ChecksumAlgorithm AlgorithmFromLength(string hex, string source, int line)
    {
        ChecksumAlgorithm? alg = ChecksumAlgorithms.FromHexLength(hex.Length);
        if (alg == null)
            throw new ChecksumListFormatException(source, line, $"a digest of {hex.Length} hex digits matches no supported algorithm (MD5 32, SHA-1 40, SHA-256 64, SHA-384 96, SHA-512 128).");
        return alg.Value;
    }

    /// <summary>coreutils escapes names holding a backslash or newline and marks the line with a leading backslash.</summary>
    private static string Unescape(string name, string source, int line)
    {
        var sb = new StringBuilder(name.Length);
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (c != '\\') { sb.Append(c); continue; }
            if (++i >= name.Length) throw new ChecksumListFormatException(source, line, "the escaped file name ends in a lone backslash.");
            sb.Append(name[i] switch
            {
                '\\' => '\\',
                'n' => '\n',
                'r' => '\r',
                _ => throw new ChecksumListFormatException(source, line, $"'\\{name[i]}' is not an escape coreutils writes (only \\\\, \\n and \\r)."),
            });
        }
        return sb.ToString();
    }

    private static string Shorten(string s) => s.Length > 80 ? s.Substring(0, 80) + "…" : s;

    private enum PgpSection { None, Header, Body, Signature, Done }

    private sealed class ParseState
    {
        private readonly Dictionary<(string? Name, ChecksumAlgorithm Algorithm), ChecksumEntry> _seen = new();
        private readonly Dictionary<string, (long Size, int Line)> _sizes = new(StringComparer.Ordinal);

        public ParseState(string source) => Source = source;

        public string Source { get; }
        public List<ChecksumEntry> Entries { get; } = new();
        public List<SkippedLine> Skipped { get; } = new();
        public bool ClearSigned { get; set; }
        public PgpSection PgpSection { get; set; }
        public string? ListAlgorithm { get; set; }
        public string? ListHash { get; set; }
        public string? ListPath { get; set; }
        public string? LastListKey { get; set; }
        public int ListLine { get; set; }

        /// <summary>The algorithm of the Release section being read, or null outside one.</summary>
        public ChecksumAlgorithm? ReleaseAlgorithm { get; set; }

        public void Add(string? name, ChecksumAlgorithm algorithm, string hex, int line, long? size = null)
        {
            if (ChecksumAlgorithms.DigestBytes(algorithm) * 2 != hex.Length)
                throw new ChecksumListFormatException(Source, line, $"an {algorithm} digest has {ChecksumAlgorithms.DigestBytes(algorithm) * 2} hex digits, this one has {hex.Length}.");
            if (name != null && name.IndexOf('\0') >= 0)
                throw new ChecksumListFormatException(Source, line, "the file name holds a NUL character.");
            var entry = new ChecksumEntry(name, algorithm, hex, Source, line, size);
            var key = (name == null ? null : ChecksumList.NormalizeName(name), algorithm);
            if (_seen.TryGetValue(key, out ChecksumEntry? earlier))
            {
                if (earlier.Digest != entry.Digest) throw new ChecksumConflictException(Source, name ?? "(unnamed)", earlier.LineNumber, line);
                return; // the same line twice says nothing new
            }
            if (name != null && size != null && _sizes.TryGetValue(key.Item1!, out (long Size, int Line) stated) && stated.Size != size)
                throw new ChecksumListFormatException(Source, line, $"'{name}' is {size} bytes here but {stated.Size} bytes on line {stated.Line}; a list that disagrees with itself proves nothing.");
            if (name != null && size != null) _sizes[key.Item1!] = (size.Value, line);
            _seen[key] = entry;
            Entries.Add(entry);
        }

        public void FlushListRecord()
        {
            if (ListHash != null)
            {
                ChecksumAlgorithm algorithm;
                if (ListAlgorithm == null)
                    algorithm = AlgorithmFromLength(ListHash, Source, ListLine);
                else if (!ChecksumAlgorithms.TryParse(ListAlgorithm, out algorithm))
                    throw new ChecksumListFormatException(Source, ListLine, $"unknown algorithm '{ListAlgorithm}'.");
                if (!Hex.IsHex(ListHash)) throw new ChecksumListFormatException(Source, ListLine, $"'{Shorten(ListHash)}' is not a hex digest.");
                Add(ListPath, algorithm, ListHash, ListLine);
            }
            ListAlgorithm = ListHash = ListPath = LastListKey = null;
            ListLine = 0;
        }
    }
}
