using System.Text.Json;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.X509;

namespace SecureInstall.Core.Signatures.Sigstore;

/// <summary>A closed time interval from a trusted root: both ends count (sigstore-conformance checks the end).</summary>
public sealed class ValidityPeriod
{
    public ValidityPeriod(DateTimeOffset start, DateTimeOffset? end)
    {
        Start = start;
        End = end;
    }

    public DateTimeOffset Start { get; }
    public DateTimeOffset? End { get; }

    public bool Contains(DateTimeOffset time) => time >= Start && (End == null || time <= End.Value);

    public override string ToString() => $"{Start:u} .. {(End == null ? "open" : End.Value.ToString("u"))}";
}

/// <summary>A transparency log (Rekor) or certificate transparency log key from the trusted root.</summary>
public sealed class TransparencyLogKey
{
    internal TransparencyLogKey(string baseUrl, byte[] logId, AsymmetricKeyParameter? key, string keyDetails, ValidityPeriod validFor)
    {
        BaseUrl = baseUrl;
        LogId = logId;
        Key = key;
        KeyDetails = keyDetails;
        ValidFor = validFor;
    }

    public string BaseUrl { get; }
    public byte[] LogId { get; }
    /// <summary>Null when the key type is one this build cannot use; such a log can never vouch for anything.</summary>
    internal AsymmetricKeyParameter? Key { get; }
    public string KeyDetails { get; }
    public ValidityPeriod ValidFor { get; }
}

/// <summary>A certificate authority (Fulcio) or timestamp authority from the trusted root; the chain is leaf-side first, root last.</summary>
public sealed class CertificateAuthority
{
    internal CertificateAuthority(string uri, IReadOnlyList<X509Certificate> chain, ValidityPeriod validFor)
    {
        Uri = uri;
        Chain = chain;
        ValidFor = validFor;
    }

    public string Uri { get; }
    internal IReadOnlyList<X509Certificate> Chain { get; }
    public ValidityPeriod ValidFor { get; }
}

/// <summary>
/// A Sigstore trusted root (application/vnd.dev.sigstore.trustedroot+json): the keys and CAs that verification trusts,
/// each with the time interval it may vouch for. The module ships the public-good one (<see cref="PublicGoodFileName"/>).
/// </summary>
public sealed class TrustedRoot
{
    public const string PublicGoodFileName = "sigstore-trusted-root.json";

    private TrustedRoot(string source, IReadOnlyList<TransparencyLogKey> tlogs, IReadOnlyList<TransparencyLogKey> ctlogs,
        IReadOnlyList<CertificateAuthority> cas, IReadOnlyList<CertificateAuthority> tsas)
    {
        Source = source;
        TransparencyLogs = tlogs;
        CertificateTransparencyLogs = ctlogs;
        CertificateAuthorities = cas;
        TimestampAuthorities = tsas;
    }

    public string Source { get; }
    public IReadOnlyList<TransparencyLogKey> TransparencyLogs { get; }
    public IReadOnlyList<TransparencyLogKey> CertificateTransparencyLogs { get; }
    public IReadOnlyList<CertificateAuthority> CertificateAuthorities { get; }
    public IReadOnlyList<CertificateAuthority> TimestampAuthorities { get; }

    /// <summary>
    /// The public-good Sigstore root the module ships (module/sigstore-trusted-root.json, embedded at build time), so
    /// verification never needs the network. Pass a newer root file to <see cref="Load"/> to use one without rebuilding.
    /// </summary>
    public static TrustedRoot PublicGood()
    {
        using Stream stream = typeof(TrustedRoot).Assembly.GetManifestResourceStream("SecureInstall.Core." + PublicGoodFileName)
            ?? throw new InvalidOperationException("the embedded public-good trusted root is missing from this build");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return Parse(copy.ToArray(), "public-good Sigstore root (shipped)");
    }

    public static TrustedRoot Load(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (FileNotFoundException ex)
        {
            throw new TrustedRootFormatException(path, "the file does not exist", ex);
        }
        return Parse(bytes, path);
    }

    public static TrustedRoot Parse(byte[] json, string source)
    {
        try
        {
            using JsonDocument doc = JsonDocument.Parse(json);
            JsonElement root = doc.RootElement;
            string mediaType = SigstoreJson.String(root, "mediaType") ?? throw new FormatException("'mediaType' is missing");
            if (!mediaType.StartsWith("application/vnd.dev.sigstore.trustedroot", StringComparison.Ordinal))
                throw new FormatException($"media type '{mediaType}' is not a Sigstore trusted root");
            var tlogs = Logs(root, "tlogs");
            var ctlogs = Logs(root, "ctlogs");
            var cas = Authorities(root, "certificateAuthorities");
            var tsas = Authorities(root, "timestampAuthorities");
            if (tlogs.Count == 0 && tsas.Count == 0) throw new FormatException("it names neither a transparency log nor a timestamp authority, so no signing time could ever be verified");
            return new TrustedRoot(source, tlogs, ctlogs, cas, tsas);
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException or ArgumentException or IOException)
        {
            throw new TrustedRootFormatException(source, ex.Message, ex);
        }
    }

    private static List<TransparencyLogKey> Logs(JsonElement root, string name)
    {
        var list = new List<TransparencyLogKey>();
        if (SigstoreJson.Child(root, name) is not JsonElement array) return list;
        int i = 0;
        foreach (JsonElement log in array.EnumerateArray())
        {
            string where = $"{name}[{i++}]";
            JsonElement pk = SigstoreJson.Required(log, "publicKey", where);
            byte[] raw = SigstoreJson.Bytes(pk, "rawBytes") ?? throw new FormatException($"{where}: the public key has no rawBytes");
            string details = SigstoreJson.String(pk, "keyDetails") ?? "";
            byte[] logId = SigstoreJson.Bytes(SigstoreJson.Required(log, "logId", where), "keyId") ?? throw new FormatException($"{where}: logId.keyId is missing");
            AsymmetricKeyParameter? key;
            try
            {
                key = SigstoreKeys.FromTrustedRoot(raw, details);
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidCastException or IOException or InvalidOperationException)
            {
                key = null;
            }
            list.Add(new TransparencyLogKey(SigstoreJson.String(log, "baseUrl") ?? "", logId, key, details, Validity(pk, where)));
        }
        return list;
    }

    private static List<CertificateAuthority> Authorities(JsonElement root, string name)
    {
        var list = new List<CertificateAuthority>();
        if (SigstoreJson.Child(root, name) is not JsonElement array) return list;
        int i = 0;
        foreach (JsonElement ca in array.EnumerateArray())
        {
            string where = $"{name}[{i++}]";
            JsonElement certs = SigstoreJson.Required(SigstoreJson.Required(ca, "certChain", where), "certificates", where);
            var chain = certs.EnumerateArray()
                .Select((c, n) => SigstoreKeys.Certificate(SigstoreJson.Bytes(c, "rawBytes") ?? throw new FormatException($"{where}: certificate {n} has no rawBytes"), $"{where} certificate {n}"))
                .ToList();
            if (chain.Count == 0) throw new FormatException($"{where}: the certificate chain is empty");
            list.Add(new CertificateAuthority(SigstoreJson.String(ca, "uri") ?? "", chain, Validity(ca, where)));
        }
        return list;
    }

    // A missing start is a malformed root, never "valid since forever" (sigstore-conformance:
    // trust-root-tlog-missing-validity-start_fail).
    private static ValidityPeriod Validity(JsonElement holder, string where)
    {
        JsonElement validFor = SigstoreJson.Child(holder, "validFor") ?? throw new FormatException($"{where}: validFor is missing");
        string start = SigstoreJson.String(validFor, "start") ?? throw new FormatException($"{where}: validFor.start is missing");
        string? end = SigstoreJson.String(validFor, "end");
        return new ValidityPeriod(SigstoreJson.Time(start, where + ".validFor.start"), end == null ? null : SigstoreJson.Time(end, where + ".validFor.end"));
    }
}
