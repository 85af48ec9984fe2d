using System.Security.Cryptography;
using SecureInstall.Core.Checksums;
using SecureInstall.Core.IO;

namespace SecureInstall.Core.Signatures.Authenticode;

/// <summary>
/// A PowerShell script's embedded Authenticode signature, read as the PowerShell SIP (pwrshsip.dll) reads it: the block
/// <code>
/// # SIG # Begin signature block
/// # MIIxxx…   (base64 of the PKCS#7 SignedData, 64 characters a line)
/// # SIG # End signature block
/// </code>
/// at the end of a .ps1/.psm1/.psd1 (<c>&lt;!-- SIG # … --&gt;</c> lines in a .ps1xml), and the digest the SIP computes: the
/// script's text before the line break that precedes the block, as UTF-16LE. The text is decoded by its byte-order mark
/// (a UTF-8 or UTF-16 mark is part of the text and so hashed as U+FEFF); without one a script is UTF-8. Proven against
/// scripts Windows signed (tests/fixtures/authenticode-scripts) and against osslsigncode; jsign and osslsigncode compute
/// the same. Anything the SIP would read differently from us is refused rather than guessed: text after the block (no
/// hash covers it), two blocks, a block line that is not a comment of base64, bytes that are not text in the encoding.
/// </summary>
internal sealed class PowerShellScript : IAuthenticodeContainer
{
    /// <summary>Larger scripts are refused: the text is held in memory to find the block (the largest module scripts are a few MB).</summary>
    internal const long MaximumBytes = 64L << 20;

    internal const string SipInfo = "1.3.6.1.4.1.311.2.1.30";

    /// <summary>The PowerShell SIP's GUID as SpcSipInfo carries it (1FCC3B60-594B-084E-B724-D2C6297EF351, bytes in that order).</summary>
    internal static readonly byte[] PowerShellSip = Hex.TryDecode("1fcc3b60594b084eb724d2c6297ef351")!;

    internal const string KindName = "PowerShell script";

    private sealed class CommentStyle
    {
        public CommentStyle(string open, string close)
        {
            Open = open;
            Close = close;
        }

        public string Open { get; }
        public string Close { get; }
        public string Begin => Open + "SIG # Begin signature block" + Close;
        public string End => Open + "SIG # End signature block" + Close;
    }

    private static readonly CommentStyle HashComment = new("# ", ""), Xml = new("<!-- ", " -->");

    private readonly string _text;
    private readonly int _signedLength;

    private PowerShellScript(string text, int signedLength, byte[]? signature)
    {
        _text = text;
        _signedLength = signedLength;
        Signature = signature;
    }

    /// <summary>The DER SignedData of the block; null when the script has no block (unsigned).</summary>
    public byte[]? Signature { get; }

    public string Kind => KindName;
    public string IndirectDataType => SipInfo;
    public byte[]? SipGuid => PowerShellSip;
    public bool IsSigned => Signature != null;
    public string UnsignedReason => "no '# SIG # Begin signature block'";
    public byte[] ReadSignature(Stream stream) => Signature ?? throw new InvalidOperationException("the script is not signed");
    public string? FailureAfterDigest(ChecksumAlgorithm algorithm) => null;

    /// <summary>The SIP's digests: the text was read whole by <see cref="Read"/>, so <paramref name="stream"/> is not read again.</summary>
    public IReadOnlyDictionary<ChecksumAlgorithm, byte[]> Hash(Stream stream, IEnumerable<ChecksumAlgorithm> algorithms, CancellationToken cancel) =>
        Hash(algorithms, cancel);

    /// <summary>Whether <paramref name="name"/> (a path, file name or URI) names a script form the PowerShell SIP signs: .ps1, .psm1, .psd1, .ps1xml.</summary>
    public static bool IsScriptName(string? name) => StyleOf(name) != null;

    /// <summary>
    /// The extension (".ps1", with its dot, lower case) of a file name, a path or a URI (query and fragment left out), or ""
    /// when its last segment has none.
    /// </summary>
    public static string ExtensionOf(string? name)
    {
        if (string.IsNullOrEmpty(name)) return "";
        string leaf = name!;
        int cut = leaf.IndexOfAny(new[] { '?', '#' });
        if (cut >= 0 && leaf.Contains("://")) leaf = leaf.Substring(0, cut);
        leaf = leaf.Substring(leaf.LastIndexOfAny(new[] { '/', '\\' }) + 1);
        int dot = leaf.LastIndexOf('.');
        return dot < 0 ? "" : leaf.Substring(dot).ToLowerInvariant();
    }

    private static CommentStyle? StyleOf(string? name)
    {
        switch (ExtensionOf(name))
        {
            case ".ps1":
            case ".psm1":
            case ".psd1":
                return HashComment;
            case ".ps1xml":
                return Xml;
            default:
                return null;
        }
    }

    /// <summary>Reads the script at the stream's start; <paramref name="name"/> decides the comment form, <paramref name="shownAs"/> names it in errors.</summary>
    /// <exception cref="SignatureFormatException">the text cannot be read as the SIP reads it, or the block is malformed or misplaced.</exception>
    public static PowerShellScript Read(Stream stream, string name, string shownAs)
    {
        CommentStyle style = StyleOf(name) ?? throw new ArgumentException($"'{name}' is not a PowerShell script name.", nameof(name));
        if (stream.Length > MaximumBytes)
            throw new SignatureFormatException(shownAs, $"the script is {stream.Length} bytes; scripts over {MaximumBytes} bytes are not read for an Authenticode signature");
        byte[] bytes = new byte[stream.Length];
        stream.Position = 0;
        for (int read = 0, n; read < bytes.Length; read += n)
        {
            n = stream.Read(bytes, read, bytes.Length - read);
            if (n <= 0) throw new SignatureFormatException(shownAs, "the script became shorter while it was read");
        }
        string text = Decode(bytes, style, shownAs);
        return Parse(text, style, shownAs);
    }

    private static string Decode(byte[] bytes, CommentStyle style, string shownAs)
    {
        (Encoding? marked, _) = TextDecoding.ByteOrderMark(bytes, bytes.Length);
        if (marked == null && style == Xml && bytes.Any(b => b >= 0x80))
            // The SIP reads a .ps1xml without a mark in the machine's ANSI code page, which differs between machines.
            throw new SignatureFormatException(shownAs, "the .ps1xml has no byte-order mark and holds non-ASCII bytes: Windows hashes such text in the machine's ANSI code page, so its signature cannot be checked the same way everywhere; save it with a UTF-8 or UTF-16 byte-order mark");
        Encoding strict = Encoding.GetEncoding((marked ?? Encoding.UTF8).CodePage, EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback);
        try
        {
            // The mark stays in the text: the SIP hashes it (as U+FEFF) with the rest.
            return strict.GetString(bytes);
        }
        catch (DecoderFallbackException ex)
        {
            throw new SignatureFormatException(shownAs,
                marked == null
                    ? "the script has no byte-order mark and is not valid UTF-8: Windows would read it in the machine's ANSI code page, so its signature cannot be checked the same way everywhere"
                    : $"the script's bytes are not valid {marked.WebName} text, as its byte-order mark says they are", ex);
        }
    }

    private static PowerShellScript Parse(string text, CommentStyle style, string shownAs)
    {
        // Every line as (start, length without its line break); a line ends at LF, a CR before it belongs to the break.
        var lines = new List<(int Start, int Length, int BreakLength)>();
        for (int start = 0; start <= text.Length;)
        {
            int lf = text.IndexOf('\n', start);
            int end = lf < 0 ? text.Length : lf;
            int length = end - start, breakLength = lf < 0 ? 0 : 1;
            if (length > 0 && text[end - 1] == '\r')
            {
                length--;
                breakLength++;
            }
            lines.Add((start, length, breakLength));
            if (lf < 0) break;
            start = lf + 1;
        }
        bool Is(int i, string marker) => lines[i].Length == marker.Length && string.CompareOrdinal(text, lines[i].Start, marker, 0, marker.Length) == 0;
        List<int> begins = Enumerable.Range(0, lines.Count).Where(i => Is(i, style.Begin)).ToList();
        List<int> ends = Enumerable.Range(0, lines.Count).Where(i => Is(i, style.End)).ToList();
        if (begins.Count == 0 && ends.Count == 0) return new PowerShellScript(text, text.Length, null);

        if (begins.Count > 1 || ends.Count > 1)
            throw new SignatureFormatException(shownAs, $"the script holds {Math.Max(begins.Count, ends.Count)} signature blocks; a signed script has one, at its end (a second block would leave text that one signature does not cover)");
        if (begins.Count == 0 || ends.Count == 0 || ends[0] < begins[0])
            throw new SignatureFormatException(shownAs, $"the signature block is cut: '{(begins.Count == 0 ? style.Begin : style.End)}' is missing");
        int begin = begins[0], endLine = ends[0];
        // After the end line only its line break may follow: text there would run but be covered by no signature.
        bool last = endLine == lines.Count - 1 || (endLine == lines.Count - 2 && lines[lines.Count - 1].Length == 0);
        if (!last)
            throw new SignatureFormatException(shownAs, $"text follows the signature block (line {endLine + 2}): it would run, but no signature covers it; a signed script ends with '{style.End}'");
        if (begin == 0)
            throw new SignatureFormatException(shownAs, "the script is only a signature block: there is no line break before it, so there is no signed text");

        var base64 = new StringBuilder();
        for (int i = begin + 1; i < endLine; i++)
        {
            string line = text.Substring(lines[i].Start, lines[i].Length);
            if (!line.StartsWith(style.Open, StringComparison.Ordinal) || !line.EndsWith(style.Close, StringComparison.Ordinal) || line.Length < style.Open.Length + style.Close.Length + 1)
                throw new SignatureFormatException(shownAs, $"line {i + 1} of the signature block is not a '{style.Open.Trim()}' comment holding base64");
            string payload = line.Substring(style.Open.Length, line.Length - style.Open.Length - style.Close.Length);
            if (payload.Any(c => !(c is >= 'A' and <= 'Z' or >= 'a' and <= 'z' or >= '0' and <= '9' or '+' or '/' or '=')))
                throw new SignatureFormatException(shownAs, $"line {i + 1} of the signature block holds characters that are not base64");
            base64.Append(payload);
        }
        byte[] der;
        try
        {
            der = Convert.FromBase64String(base64.ToString());
        }
        catch (FormatException ex)
        {
            throw new SignatureFormatException(shownAs, "the signature block is not valid base64", ex);
        }
        if (der.Length == 0) throw new SignatureFormatException(shownAs, "the signature block is empty");

        // The signed text ends before the line break that precedes the begin line (CRLF as Windows writes it, or LF).
        (int Start, int Length, int BreakLength) before = lines[begin - 1];
        return new PowerShellScript(text, before.Start + before.Length, der);
    }

    /// <summary>The SIP's digests in one pass: the signed text as UTF-16LE (the code units in order, low byte first).</summary>
    public IReadOnlyDictionary<ChecksumAlgorithm, byte[]> Hash(IEnumerable<ChecksumAlgorithm> algorithms, CancellationToken cancel) =>
        AuthenticodeContainer.HashWith(algorithms, (hashers, buffer) =>
        {
            for (int at = 0; at < _signedLength;)
            {
                cancel.ThrowIfCancellationRequested();
                int chars = Math.Min(buffer.Length / 2, _signedLength - at);
                for (int i = 0; i < chars; i++)
                {
                    char c = _text[at + i];
                    buffer[2 * i] = (byte)c;
                    buffer[2 * i + 1] = (byte)(c >> 8);
                }
                foreach (HashAlgorithm h in hashers.Values) h.TransformBlock(buffer, 0, chars * 2, null, 0);
                at += chars;
            }
        });
}
