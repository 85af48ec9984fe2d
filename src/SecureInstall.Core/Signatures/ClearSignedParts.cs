using Org.BouncyCastle.Bcpg;

namespace SecureInstall.Core.Signatures;

/// <summary>The pieces of an OpenPGP clear-signed message (RFC 4880 section 7): hash headers, the signed text, the signature armor.</summary>
internal sealed class ClearSignedParts
{
    private const string Begin = "-----BEGIN PGP SIGNED MESSAGE-----";
    private const string SignatureBegin = "-----BEGIN PGP SIGNATURE-----";
    private const string SignatureEnd = "-----END PGP SIGNATURE-----";

    private readonly HashSet<string> _hashes = new(StringComparer.OrdinalIgnoreCase);

    private ClearSignedParts(string canonical, string signed, string armor)
    {
        CanonicalText = canonical;
        SignedText = signed;
        SignatureArmor = armor;
    }

    /// <summary>What the signature is over: trailing spaces and tabs dropped from each line, lines joined by CRLF, no final line break.</summary>
    public string CanonicalText { get; }

    /// <summary>The signed lines as a reader sees them, LF-terminated.</summary>
    public string SignedText { get; }

    public string SignatureArmor { get; }

    /// <summary>Without a "Hash:" header RFC 4880 means MD5, which the verifier refuses anyway.</summary>
    public bool HashAllowed(HashAlgorithmTag tag)
    {
        if (_hashes.Count == 0) return true;
        string name = tag switch
        {
            HashAlgorithmTag.Sha1 => "SHA1",
            HashAlgorithmTag.Sha224 => "SHA224",
            HashAlgorithmTag.Sha256 => "SHA256",
            HashAlgorithmTag.Sha384 => "SHA384",
            HashAlgorithmTag.Sha512 => "SHA512",
            HashAlgorithmTag.RipeMD160 => "RIPEMD160",
            HashAlgorithmTag.MD5 => "MD5",
            _ => tag.ToString(),
        };
        return _hashes.Contains(name);
    }

    public static ClearSignedParts Parse(string text, string source)
    {
        var lines = new List<string>();
        using (var reader = new StringReader(text))
        {
            string? l;
            while ((l = reader.ReadLine()) != null) lines.Add(l);
        }
        int i = 0;
        while (i < lines.Count && lines[i].Trim().Length == 0) i++;
        if (i == lines.Count || lines[i].TrimEnd() != Begin)
            throw new SignatureFormatException(source, i == lines.Count
                ? "it is empty."
                : $"line {i + 1} is not '{Begin}': text before the signed part is not covered by the signature, so it is refused rather than read.");
        i++;

        var headers = new List<string>();
        for (; i < lines.Count && lines[i].TrimEnd().Length > 0; i++) headers.Add(lines[i].TrimEnd());
        if (i == lines.Count) throw new SignatureFormatException(source, "the clear-signed header has no end (no blank line).");
        i++;

        var body = new List<string>();
        for (; i < lines.Count && lines[i].TrimEnd() != SignatureBegin; i++)
        {
            string line = lines[i];
            if (line.StartsWith("- ", StringComparison.Ordinal)) line = line.Substring(2);
            else if (line.StartsWith("-----", StringComparison.Ordinal))
                throw new SignatureFormatException(source, $"line {i + 1} is an armor line inside the signed text ('{Shorten(line)}'); the message is malformed or spliced.");
            body.Add(line.TrimEnd(' ', '\t', '\r'));
        }
        if (i == lines.Count) throw new SignatureFormatException(source, "the signed text is not followed by a signature ('" + SignatureBegin + "').");

        int armorStart = i;
        for (; i < lines.Count && lines[i].TrimEnd() != SignatureEnd; i++) { }
        if (i == lines.Count) throw new SignatureFormatException(source, "the signature armor is not closed ('" + SignatureEnd + "').");
        var armor = new StringBuilder();
        for (int k = armorStart; k <= i; k++) armor.Append(lines[k].TrimEnd()).Append('\n');
        for (int k = i + 1; k < lines.Count; k++)
        {
            if (lines[k].Trim().Length > 0)
                throw new SignatureFormatException(source, $"line {k + 1} follows the signature: text after the signed part is not covered by the signature, so it is refused rather than read.");
        }

        var parts = new ClearSignedParts(string.Join("\r\n", body), body.Count == 0 ? "" : string.Join("\n", body) + "\n", armor.ToString());
        foreach (string header in headers)
        {
            int colon = header.IndexOf(':');
            string key = colon < 0 ? header : header.Substring(0, colon).Trim();
            // Only "Hash" is defined; an unknown header could smuggle text a reader might take as signed.
            if (!key.Equals("Hash", StringComparison.Ordinal))
                throw new SignatureFormatException(source, $"unexpected clear-signed header '{Shorten(header)}' (only 'Hash:' is defined).");
            foreach (string h in header.Substring(colon + 1).Split(','))
            {
                if (h.Trim().Length > 0) parts._hashes.Add(h.Trim());
            }
        }
        return parts;
    }

    private static string Shorten(string s) => s.Length > 60 ? s.Substring(0, 60) + "…" : s;
}
