using SecureInstall.Core.Checksums;

namespace SecureInstall.Core.Signatures;

/// <summary>A checksum list whose signature verified, parsed from exactly the bytes (or clear-signed text) that were verified.</summary>
public sealed class VerifiedChecksumList
{
    internal VerifiedChecksumList(ChecksumList list, SignatureResult signature)
    {
        List = list;
        Signature = signature;
    }

    public ChecksumList List { get; }
    public SignatureResult Signature { get; }
}

/// <summary>
/// Verifies a checksum list's signature before any digest in it is trusted: a detached signature (SHA256SUMS +
/// SHA256SUMS.sig/.asc/.minisig, as HashiCorp, Node and Ubuntu publish) or, with no detached signature, an OpenPGP
/// clear-signed list. The list is read once into memory (lists are small and capped) so the bytes parsed are the
/// bytes verified: nothing can change between the check and the use.
/// </summary>
public sealed class SignedChecksumListReader
{
    private readonly DetachedSignatureVerifier _verifier;
    private readonly ChecksumListParser _parser;

    public SignedChecksumListReader(DetachedSignatureVerifier verifier, ChecksumListParser? parser = null)
    {
        _verifier = verifier ?? throw new ArgumentNullException(nameof(verifier));
        _parser = parser ?? new ChecksumListParser();
    }

    /// <param name="list">The checksum list, read to its end.</param>
    /// <param name="listSource">Its name or URI, for messages and entry sources.</param>
    /// <param name="signature">The detached signature, or null when the list is clear-signed (OpenPGP only).</param>
    /// <param name="signatureSource">The signature's name or URI.</param>
    /// <exception cref="SignatureVerificationException">the signature does not vouch for the list; no entry is returned.</exception>
    public VerifiedChecksumList Read(Stream list, string listSource, Stream? signature, string? signatureSource, CancellationToken cancellationToken = default)
    {
        if (list == null) throw new ArgumentNullException(nameof(list));
        if (listSource == null) throw new ArgumentNullException(nameof(listSource));
        byte[] bytes = DetachedSignatureVerifier.ReadSmall(list, listSource, (int)Math.Min(int.MaxValue, _parser.MaximumBytes),
            reason => new ChecksumListFormatException(listSource, 0, reason));
        cancellationToken.ThrowIfCancellationRequested();

        if (signature == null)
        {
            if (_verifier is not OpenPgpVerifier pgp)
                throw new SignatureFormatException(listSource, $"no signature file was given, and only OpenPGP lists can carry their own (clear-signed) signature; give the {_verifier.Scheme} signature file.");
            ClearSignedText clear = pgp.VerifyClearSigned(new MemoryStream(bytes, writable: false), listSource, cancellationToken);
            return new VerifiedChecksumList(_parser.Parse(clear.SignedText, listSource), clear.Signature);
        }

        SignatureResult result = _verifier.Verify(new MemoryStream(bytes, writable: false), listSource, signature, signatureSource ?? listSource + " (signature)", cancellationToken);
        ChecksumList parsed = _parser.Parse(new MemoryStream(bytes, writable: false), listSource, cancellationToken);
        return new VerifiedChecksumList(parsed, result);
    }

    public VerifiedChecksumList ReadFile(string listPath, string? signaturePath, CancellationToken cancellationToken = default)
    {
        if (listPath == null) throw new ArgumentNullException(nameof(listPath));
        using FileStream list = new(listPath, FileMode.Open, FileAccess.Read, FileShare.Read);
        if (signaturePath == null) return Read(list, listPath, null, null, cancellationToken);
        using FileStream signature = new(signaturePath, FileMode.Open, FileAccess.Read, FileShare.Read);
        return Read(list, listPath, signature, signaturePath, cancellationToken);
    }
}
