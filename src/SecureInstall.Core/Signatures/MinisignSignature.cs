namespace SecureInstall.Core.Signatures;

/// <summary>
/// A parsed .minisig file: an untrusted comment, the signature line (algorithm "Ed" legacy or "ED" prehashed, key id,
/// 64-byte Ed25519 signature), the trusted comment and the global signature over signature + trusted comment.
/// </summary>
public sealed class MinisignSignature
{
    private const string UntrustedPrefix = "untrusted comment:";
    private const string TrustedPrefix = "trusted comment: ";

    private MinisignSignature(string source, string untrustedComment, bool prehashed, byte[] keyId, byte[] signature, string trustedComment, byte[] globalSignature)
    {
        Source = source;
        UntrustedComment = untrustedComment;
        IsPrehashed = prehashed;
        KeyIdBytes = keyId;
        SignatureBytes = signature;
        TrustedComment = trustedComment;
        GlobalSignatureBytes = globalSignature;
    }

    public string Source { get; }

    /// <summary>Anyone can edit this line; it is never shown as verified.</summary>
    public string UntrustedComment { get; }

    /// <summary>"ED": the signature is over the BLAKE2b-512 of the file (minisign's default since 0.10); "Ed": over the file itself.</summary>
    public bool IsPrehashed { get; }

    internal byte[] KeyIdBytes { get; }
    internal byte[] SignatureBytes { get; }
    internal byte[] GlobalSignatureBytes { get; }

    public string KeyId => MinisignPublicKey.FormatKeyId(KeyIdBytes);

    /// <summary>The trusted comment, without its "trusted comment: " prefix. Trust it only after verification.</summary>
    public string TrustedComment { get; }

    /// <exception cref="SignatureFormatException">the text is not a minisign signature.</exception>
    public static MinisignSignature Parse(string text, string source)
    {
        if (text == null) throw new ArgumentNullException(nameof(text));
        if (source == null) throw new ArgumentNullException(nameof(source));
        var lines = new List<string>(4);
        using (var reader = new StringReader(text))
        {
            string? line;
            while ((line = reader.ReadLine()) != null)
            {
                if (line.Length == 0 && lines.Count == 4) continue; // trailing blank lines
                lines.Add(line);
            }
        }
        while (lines.Count > 4 && lines[lines.Count - 1].Trim().Length == 0) lines.RemoveAt(lines.Count - 1);
        if (lines.Count != 4)
            throw new SignatureFormatException(source, $"a minisign signature has 4 lines (untrusted comment, signature, trusted comment, global signature); this one has {lines.Count}.");
        if (!lines[0].StartsWith(UntrustedPrefix, StringComparison.Ordinal))
            throw new SignatureFormatException(source, "line 1 does not start with 'untrusted comment:'; this is not a minisign signature.");
        if (!lines[2].StartsWith(TrustedPrefix, StringComparison.Ordinal))
            throw new SignatureFormatException(source, "line 3 does not start with 'trusted comment: '.");

        byte[] sigLine = Base64(lines[1], source, 2, 74);
        byte[] global = Base64(lines[3], source, 4, 64);
        bool prehashed;
        if (sigLine[0] == (byte)'E' && sigLine[1] == (byte)'d') prehashed = false;
        else if (sigLine[0] == (byte)'E' && sigLine[1] == (byte)'D') prehashed = true;
        else throw new SignatureFormatException(source, $"unknown signature algorithm '{(char)sigLine[0]}{(char)sigLine[1]}' (minisign writes 'Ed' or 'ED').");
        byte[] keyId = new byte[8], signature = new byte[64];
        Buffer.BlockCopy(sigLine, 2, keyId, 0, 8);
        Buffer.BlockCopy(sigLine, 10, signature, 0, 64);
        return new MinisignSignature(source, lines[0], prehashed, keyId, signature, lines[2].Substring(TrustedPrefix.Length), global);
    }

    public static MinisignSignature Parse(Stream stream, string source)
    {
        if (stream == null) throw new ArgumentNullException(nameof(stream));
        byte[] bytes = DetachedSignatureVerifier.ReadSmall(stream, source, DetachedSignatureVerifier.MaximumSignatureBytes, reason => new SignatureFormatException(source, reason));
        try
        {
            return Parse(DetachedSignatureVerifier.DecodeText(bytes), source);
        }
        catch (DecoderFallbackException ex)
        {
            throw new SignatureFormatException(source, "not UTF-8 text; a minisign signature is text (is this an OpenPGP .sig?).", ex);
        }
    }

    private static byte[] Base64(string line, string source, int number, int length)
    {
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(line.Trim());
        }
        catch (FormatException ex)
        {
            throw new SignatureFormatException(source, $"line {number} is not base64.", ex);
        }
        if (bytes.Length != length) throw new SignatureFormatException(source, $"line {number} holds {bytes.Length} bytes, expected {length}.");
        return bytes;
    }
}
