namespace SecureInstall.Core.Signatures;

/// <summary>
/// A minisign public key: the base64 line "RWQ…" (algorithm "Ed", 8-byte key id, 32-byte Ed25519 key), given alone or
/// as a minisign.pub file whose first line is an untrusted comment.
/// </summary>
public sealed class MinisignPublicKey
{
    private MinisignPublicKey(byte[] keyId, byte[] key, string source)
    {
        KeyIdBytes = keyId;
        KeyBytes = key;
        Source = source;
    }

    internal byte[] KeyIdBytes { get; }
    internal byte[] KeyBytes { get; }

    /// <summary>Where the key came from: the .pub path or "-MinisignPublicKey".</summary>
    public string Source { get; }

    /// <summary>The key id as minisign prints it ("E7620F1842B4E81F": the little-endian 64-bit id in upper-case hex).</summary>
    public string KeyId => FormatKeyId(KeyIdBytes);

    internal static string FormatKeyId(byte[] id)
    {
        var sb = new StringBuilder(16);
        for (int i = id.Length - 1; i >= 0; i--) sb.Append(id[i].ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        return sb.ToString();
    }

    /// <summary>Reads a key from its base64 form or the text of a minisign.pub file.</summary>
    /// <exception cref="PublicKeyFormatException">the text is not a minisign Ed25519 public key.</exception>
    public static MinisignPublicKey Parse(string text, string source)
    {
        if (text == null) throw new ArgumentNullException(nameof(text));
        if (source == null) throw new ArgumentNullException(nameof(source));
        string? keyLine = null;
        using (var reader = new StringReader(text))
        {
            string? line;
            while ((line = reader.ReadLine()) != null)
            {
                line = line.Trim();
                if (line.Length == 0 || line.StartsWith("untrusted comment:", StringComparison.Ordinal)) continue;
                if (keyLine != null) throw new PublicKeyFormatException(source, "more than one key line; a minisign public key is one base64 line, optionally after an 'untrusted comment:' line.");
                keyLine = line;
            }
        }
        if (keyLine == null) throw new PublicKeyFormatException(source, "no key found; expected a base64 line such as 'RWQf6LRC…'.");
        byte[] raw;
        try
        {
            raw = Convert.FromBase64String(keyLine);
        }
        catch (FormatException ex)
        {
            throw new PublicKeyFormatException(source, "the key line is not base64.", ex);
        }
        if (raw.Length != 42) throw new PublicKeyFormatException(source, $"a minisign public key is 42 bytes, this one is {raw.Length}.");
        if (raw[0] != (byte)'E' || raw[1] != (byte)'d')
            throw new PublicKeyFormatException(source, $"unknown key algorithm '{(char)raw[0]}{(char)raw[1]}'; minisign keys are Ed25519 ('Ed').");
        byte[] id = new byte[8], key = new byte[32];
        Buffer.BlockCopy(raw, 2, id, 0, 8);
        Buffer.BlockCopy(raw, 10, key, 0, 32);
        return new MinisignPublicKey(id, key, source);
    }

    /// <summary>
    /// A key given on a command line (<paramref name="option"/>, e.g. "-MinisignPublicKey"): the key file
    /// <paramref name="existingFile"/> when the value named one that exists, otherwise the value as the key itself.
    /// A value that starts with RW (every minisign key does) or holds a comment line is read as a key, so a mistyped key
    /// is PublicKeyInvalid naming it, not "path not found"; anything else names a key file that does not exist.
    /// </summary>
    /// <exception cref="PublicKeyFormatException">the value looks like a key but is not one, or the file holds no key.</exception>
    /// <exception cref="FileNotFoundException">the value looks like a path, and no such file exists.</exception>
    public static MinisignPublicKey FromArgument(string value, string? existingFile, string option)
    {
        if (value == null) throw new ArgumentNullException(nameof(value));
        if (existingFile != null) return FromFile(existingFile);
        if (!value.TrimStart().StartsWith("RW", StringComparison.Ordinal) && value.IndexOf('\n') < 0)
            throw new FileNotFoundException($"{option} '{value}' names no existing file, and it is not a minisign public key either (those start with RW). Give the key itself or the path of its minisign.pub file.", value);
        try
        {
            return Parse(value, option);
        }
        catch (PublicKeyFormatException ex)
        {
            string shown = value.Replace("\r", " ").Replace("\n", " ").Trim();
            if (shown.Length > 120) shown = shown.Substring(0, 120) + "…";
            throw new PublicKeyFormatException($"{option} '{shown}'",
                $"{ex.Reason.TrimEnd('.')}. It is neither a minisign public key (RW followed by 54 base64 characters, as minisign -G prints it) nor the path of an existing minisign.pub file.", ex);
        }
    }

    public static MinisignPublicKey FromFile(string path)
    {
        if (path == null) throw new ArgumentNullException(nameof(path));
        using FileStream stream = IO.InputFile.OpenRead(path);
        byte[] bytes = DetachedSignatureVerifier.ReadSmall(stream, path, 64 * 1024, reason => new PublicKeyFormatException(path, reason));
        try
        {
            return Parse(DetachedSignatureVerifier.DecodeText(bytes), path);
        }
        catch (DecoderFallbackException ex)
        {
            throw new PublicKeyFormatException(path, "not UTF-8 text; a minisign public key file is text.", ex);
        }
    }
}
