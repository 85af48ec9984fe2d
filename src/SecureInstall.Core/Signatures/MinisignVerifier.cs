using System.Buffers;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;

namespace SecureInstall.Core.Signatures;

public sealed class MinisignVerifierOptions
{
    /// <summary>
    /// Legacy "Ed" signatures sign the file itself, so Ed25519 must see it whole: it is held in memory up to this size
    /// (minisign itself signs files this large only in prehashed mode). Larger legacy-signed files are refused.
    /// </summary>
    public long MaximumLegacyBytes { get; set; } = 256L * 1024 * 1024;
}

/// <summary>
/// Verifies minisign signatures with the caller's trusted public key: the key id must match, the Ed25519 signature must
/// hold over the file (legacy "Ed") or its BLAKE2b-512 (prehashed "ED"), and the global signature must hold over the
/// signature and the trusted comment, which is then returned as verified.
/// </summary>
public sealed class MinisignVerifier : DetachedSignatureVerifier
{
    private readonly MinisignPublicKey _key;
    private readonly MinisignVerifierOptions _options;

    public MinisignVerifier(MinisignPublicKey key, MinisignVerifierOptions? options = null)
    {
        _key = key ?? throw new ArgumentNullException(nameof(key));
        _options = options ?? new MinisignVerifierOptions();
    }

    public override SignatureScheme Scheme => SignatureScheme.Minisign;

    public override string TrustedKeyDescription => $"minisign key {_key.KeyId} (from {_key.Source})";

    public override IReadOnlyList<string> SignatureExtensions { get; } = new[] { ".minisig" };

    public override SignatureResult Verify(Stream data, string dataName, Stream signature, string signatureName, CancellationToken cancellationToken = default)
    {
        if (signature == null) throw new ArgumentNullException(nameof(signature));
        return Verify(data, dataName, MinisignSignature.Parse(signature, signatureName), cancellationToken);
    }

    public SignatureResult Verify(Stream data, string dataName, MinisignSignature signature, CancellationToken cancellationToken = default)
    {
        if (data == null) throw new ArgumentNullException(nameof(data));
        if (dataName == null) throw new ArgumentNullException(nameof(dataName));
        if (signature == null) throw new ArgumentNullException(nameof(signature));

        var result = new SignatureResult(SignatureScheme.Minisign, true, dataName, signature.Source)
        {
            Signer = $"minisign key {signature.KeyId}",
            KeyId = signature.KeyId,
            Algorithm = signature.IsPrehashed ? "Ed25519, prehashed BLAKE2b-512" : "Ed25519, legacy (not prehashed)",
        };

        // Compared before any crypto: a signature by another key says nothing, however valid.
        if (!Org.BouncyCastle.Utilities.Arrays.FixedTimeEquals(signature.KeyIdBytes, _key.KeyIdBytes))
            throw new SignerNotTrustedException(result.AsInvalid(), $"minisign key {_key.KeyId}", $"minisign key {signature.KeyId}", "the signature was made with a different key");

        Ed25519PublicKeyParameters publicKey;
        try
        {
            publicKey = new Ed25519PublicKeyParameters(_key.KeyBytes, 0);
        }
        catch (ArgumentException ex)
        {
            throw new PublicKeyFormatException(_key.Source, "the key bytes are not a valid Ed25519 public key.", ex);
        }

        var signer = new Ed25519Signer();
        signer.Init(false, publicKey);
        if (signature.IsPrehashed)
        {
            var blake = new Blake2bDigest(512);
            Pump(data, (buffer, count) => blake.BlockUpdate(buffer, 0, count), cancellationToken);
            byte[] digest = new byte[64];
            blake.DoFinal(digest, 0);
            signer.BlockUpdate(digest, 0, digest.Length);
        }
        else
        {
            long total = 0;
            Pump(data, (buffer, count) =>
            {
                total += count;
                if (total > _options.MaximumLegacyBytes)
                    throw new SignatureNotSupportedException(dataName,
                        $"it has a legacy minisign signature, which must hold the whole file in memory, and the file is larger than {_options.MaximumLegacyBytes} bytes; ask the publisher for a prehashed signature (minisign -S, the default since 0.10)");
                signer.BlockUpdate(buffer, 0, count);
            }, cancellationToken);
        }
        if (!signer.VerifySignature(signature.SignatureBytes))
            throw new SignatureInvalidException(result.AsInvalid(), "the file's bytes do not match the signature (the file was changed or the signature belongs to another file)");

        // The global signature binds the trusted comment (timestamp, file name) to the signature: without it an attacker
        // could pair a valid signature with a comment of their choosing.
        byte[] comment = Encoding.UTF8.GetBytes(signature.TrustedComment);
        byte[] global = new byte[signature.SignatureBytes.Length + comment.Length];
        Buffer.BlockCopy(signature.SignatureBytes, 0, global, 0, signature.SignatureBytes.Length);
        Buffer.BlockCopy(comment, 0, global, signature.SignatureBytes.Length, comment.Length);
        var globalSigner = new Ed25519Signer();
        globalSigner.Init(false, publicKey);
        globalSigner.BlockUpdate(global, 0, global.Length);
        if (!globalSigner.VerifySignature(signature.GlobalSignatureBytes))
            throw new SignatureInvalidException(result.AsInvalid(), "the trusted comment was changed after signing (its global signature does not match)");

        result.TrustedComment = signature.TrustedComment;
        result.SignedAt = TimestampOf(signature.TrustedComment);
        return result;
    }

    /// <summary>minisign writes "timestamp:&lt;unix seconds&gt;" first in the trusted comment, tab-separated from "file:…".</summary>
    internal static DateTimeOffset? TimestampOf(string trustedComment)
    {
        foreach (string field in trustedComment.Split('\t', ' '))
        {
            if (!field.StartsWith("timestamp:", StringComparison.Ordinal)) continue;
            if (long.TryParse(field.Substring("timestamp:".Length), NumberStyles.None, CultureInfo.InvariantCulture, out long seconds)
                && seconds >= 0 && seconds < 253402300800L)
                return DateTimeOffset.FromUnixTimeSeconds(seconds);
        }
        return null;
    }

    internal static void Pump(Stream data, Action<byte[], int> consume, CancellationToken cancellationToken)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(81920);
        try
        {
            int read;
            while ((read = data.Read(buffer, 0, buffer.Length)) > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                consume(buffer, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
