namespace SecureInstall.Core.Signatures;

/// <summary>
/// A verifier that holds the caller's trusted key(s) and checks a file against a signature published beside it
/// (minisign .minisig, OpenPGP .sig/.asc). The download engine and the cmdlets use it without knowing the scheme.
/// </summary>
public abstract class DetachedSignatureVerifier
{
    /// <summary>Signature and key files are a few kilobytes; a hostile one of gigabytes must not be read into memory.</summary>
    public const int MaximumSignatureBytes = 1024 * 1024;

    public abstract SignatureScheme Scheme { get; }

    /// <summary>A short description of the trusted key(s), for verbose output: "minisign key E7620F1842B4E81F".</summary>
    public abstract string TrustedKeyDescription { get; }

    /// <summary>
    /// Checks <paramref name="data"/> (read once, to its end) against <paramref name="signature"/>. Returns a valid result,
    /// or throws: <see cref="SignatureInvalidException"/>, <see cref="SignerNotTrustedException"/>, <see cref="SignatureFormatException"/>,
    /// <see cref="SignatureNotSupportedException"/>.
    /// </summary>
    /// <param name="dataName">The file the data is, for messages and the result's Path.</param>
    /// <param name="signatureName">The signature file, for messages and the result's SignaturePath.</param>
    public abstract SignatureResult Verify(Stream data, string dataName, Stream signature, string signatureName, CancellationToken cancellationToken = default);

    /// <summary>Where publishers put this scheme's signature beside a file: "app.zip.minisig"; "SHA256SUMS.sig", ".asc", ".gpg".</summary>
    public abstract IReadOnlyList<string> SignatureExtensions { get; }

    /// <summary>
    /// Checks a file against <paramref name="signaturePath"/>, or, when it is null, against the first signature found beside
    /// it (<see cref="SignatureExtensions"/>); with none there, a scheme whose files can carry their own signature
    /// (OpenPGP clear-signed text) checks that, and any other case is a <see cref="SignatureFileNotFoundException"/>.
    /// </summary>
    public SignatureResult VerifyFile(string path, string? signaturePath = null, CancellationToken cancellationToken = default)
    {
        if (path == null) throw new ArgumentNullException(nameof(path));
        if (signaturePath == null)
        {
            signaturePath = SignatureExtensions.Select(e => path + e).FirstOrDefault(File.Exists);
            if (signaturePath == null)
            {
                SignatureResult? inline = VerifyInlineSignature(path, cancellationToken);
                return inline ?? throw new SignatureFileNotFoundException(path, SignatureExtensions.Select(e => Path.GetFileName(path) + e).ToList());
            }
        }
        using FileStream signature = new(signaturePath, FileMode.Open, FileAccess.Read, FileShare.Read);
        using FileStream data = new(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.SequentialScan);
        return Verify(data, path, signature, signaturePath, cancellationToken);
    }

    /// <summary>Checks a file that carries its own signature, or returns null when it does not (the default).</summary>
    protected virtual SignatureResult? VerifyInlineSignature(string path, CancellationToken cancellationToken) => null;

    /// <summary>Reads a small input (signature, key) whole, refusing one larger than <paramref name="limit"/>.</summary>
    internal static byte[] ReadSmall(Stream stream, string source, int limit, Func<string, Exception> tooLarge)
    {
        using MemoryStream buffer = new();
        byte[] chunk = new byte[8192];
        int read;
        while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            if (buffer.Length + read > limit) throw tooLarge($"larger than {limit} bytes; no real signature or key file is this large.");
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    /// <summary>Text of a small input: UTF-8, a BOM dropped.</summary>
    internal static string DecodeText(byte[] bytes)
    {
        int start = IO.TextDecoding.Utf8BomLength(bytes, bytes.Length);
        return new UTF8Encoding(false, true).GetString(bytes, start, bytes.Length - start);
    }
}
