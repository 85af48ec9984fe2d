using System.Text.RegularExpressions;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;

namespace SecureInstall.Core.Signatures;

/// <summary>
/// The OpenPGP public keys a caller trusts, read from an armored or binary key file (one key or several, as projects
/// that rotate release keys publish them; several armored blocks concatenated are read too). Secret keys are refused.
/// </summary>
public sealed class OpenPgpKeyRing
{
    /// <summary>Large real keyrings (Node's release keys with their signatures) are a few hundred kilobytes.</summary>
    public const int MaximumKeyFileBytes = 16 * 1024 * 1024;

    private static readonly Regex ArmorBlock = new(
        @"-----BEGIN PGP (?<kind>[A-Z ]+)-----.*?-----END PGP \k<kind>-----", RegexOptions.Singleline | RegexOptions.CultureInvariant);

    private OpenPgpKeyRing(string source, IReadOnlyList<PgpPublicKeyRing> rings)
    {
        Source = source;
        Rings = rings;
    }

    public string Source { get; }

    internal IReadOnlyList<PgpPublicKeyRing> Rings { get; }

    /// <summary>The primary-key fingerprints (upper-case hex) of the keys in the file.</summary>
    public IReadOnlyList<string> Fingerprints => Rings.Select(r => FormatFingerprint(r.GetPublicKey().GetFingerprint())).ToList();

    public static OpenPgpKeyRing FromFile(string path)
    {
        if (path == null) throw new ArgumentNullException(nameof(path));
        using FileStream stream = IO.InputFile.OpenRead(path);
        return Load(stream, path);
    }

    /// <exception cref="PublicKeyFormatException">the input holds no OpenPGP public key, or holds a secret key.</exception>
    public static OpenPgpKeyRing Load(Stream stream, string source)
    {
        if (stream == null) throw new ArgumentNullException(nameof(stream));
        if (source == null) throw new ArgumentNullException(nameof(source));
        byte[] bytes = DetachedSignatureVerifier.ReadSmall(stream, source, MaximumKeyFileBytes, reason => new PublicKeyFormatException(source, reason));
        var rings = new List<PgpPublicKeyRing>();
        try
        {
            if (LooksArmored(bytes))
            {
                string text = Encoding.ASCII.GetString(bytes);
                foreach (Match block in ArmorBlock.Matches(text))
                {
                    string kind = block.Groups["kind"].Value;
                    if (kind.Contains("PRIVATE") || kind.Contains("SECRET"))
                        throw new PublicKeyFormatException(source, "it holds a PRIVATE key block. Give the public key only (gpg --export --armor KEYID), and keep the private key secret.");
                    if (kind != "PUBLIC KEY BLOCK") continue;
                    using var armored = new ArmoredInputStream(new MemoryStream(Encoding.ASCII.GetBytes(block.Value)));
                    rings.AddRange(ReadRings(armored, source));
                }
            }
            else
            {
                rings.AddRange(ReadRings(new MemoryStream(bytes), source));
            }
        }
        catch (Exception ex) when (ex is PgpException or IOException or ArgumentException or InvalidOperationException)
        {
            throw new PublicKeyFormatException(source, "it is not a readable OpenPGP public key (" + ex.Message + ").", ex);
        }
        if (rings.Count == 0) throw new PublicKeyFormatException(source, "it holds no OpenPGP public key. Export one with: gpg --export --armor KEYID");
        return new OpenPgpKeyRing(source, rings);
    }

    private static IEnumerable<PgpPublicKeyRing> ReadRings(Stream input, string source)
    {
        var factory = new PgpObjectFactory(input);
        object? next;
        while ((next = factory.NextPgpObject()) != null)
        {
            switch (next)
            {
                case PgpPublicKeyRing ring:
                    yield return ring;
                    break;
                case PgpSecretKeyRing:
                    throw new PublicKeyFormatException(source, "it holds a secret key. Give the public key only (gpg --export KEYID), and keep the secret key secret.");
                case PgpMarker:
                    break;
                default:
                    throw new PublicKeyFormatException(source, $"it holds {next.GetType().Name.Replace("Pgp", "an OpenPGP ")} where a public key was expected.");
            }
        }
    }

    internal static bool LooksArmored(byte[] bytes)
    {
        int i = IO.TextDecoding.Utf8BomLength(bytes, bytes.Length);
        while (i < bytes.Length && (bytes[i] == ' ' || bytes[i] == '\t' || bytes[i] == '\r' || bytes[i] == '\n')) i++;
        // Binary packets start with a tag byte that has its top bit set; armor is ASCII text.
        return i < bytes.Length && bytes[i] < 0x80;
    }

    public static string FormatFingerprint(byte[] fingerprint)
    {
        var sb = new StringBuilder(fingerprint.Length * 2);
        foreach (byte b in fingerprint) sb.Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        return sb.ToString();
    }

    public static string FormatKeyId(long keyId) => ((ulong)keyId).ToString("X16", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A fingerprint as people paste it ("1234 ABCD …", "0x1234ABCD…"), or null when it is not a full v4 (40) or v6 (64) hex fingerprint.</summary>
    public static string? NormalizeFingerprint(string value)
    {
        if (value == null) throw new ArgumentNullException(nameof(value));
        string hex = new string(value.Where(c => !char.IsWhiteSpace(c)).ToArray());
        if (hex.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) hex = hex.Substring(2);
        if ((hex.Length != 40 && hex.Length != 64) || !Checksums.Hex.IsHex(hex)) return null;
        return hex.ToUpperInvariant();
    }
}
