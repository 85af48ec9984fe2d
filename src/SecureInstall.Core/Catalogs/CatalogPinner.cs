using System.Text.RegularExpressions;
using SecureInstall.Core.Catalogs.Aqua;
using SecureInstall.Core.Checksums;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.Signatures;
using SecureInstall.Core.Signatures.Sigstore;

namespace SecureInstall.Core.Catalogs;

/// <summary>One platform's pin, ready to be written: the digest and where it came from.</summary>
public sealed class CatalogPin
{
    public CatalogArtifact Artifact { get; internal set; } = null!;
    public string Platform => Artifact.Platform;
    public Uri Url => Artifact.Url;

    /// <summary>Lower-case hex SHA-256, when the pin is one.</summary>
    public string? Sha256 { get; internal set; }

    /// <summary>An SRI value (sha512-BASE64) when the publisher lists SHA-384/512 only.</summary>
    public string? Integrity { get; internal set; }
    public long? Size { get; internal set; }

    /// <summary>"gh_2.63.0_checksums.txt line 4", "the winget manifest", or "trust on first use: REASON".</summary>
    public string DigestSource { get; internal set; } = string.Empty;

    /// <summary>The -TrustOnFirstUse reason when the digest was computed from the downloaded bytes.</summary>
    public string? Waiver { get; internal set; }
}

/// <summary>Options of <see cref="CatalogPinner"/>.</summary>
public sealed class CatalogPinOptions
{
    /// <summary>Download and hash what nothing from the publisher pins, recording this reason; null refuses such an artifact.</summary>
    public string? TrustOnFirstUseReason { get; set; }

    /// <summary>Plan only: fetch nothing, report where each digest would come from.</summary>
    public bool WhatIf { get; set; }

    /// <summary>The trusted_root.json a signed checksum file's Sigstore bundle is verified against; null: the public-good root shipped in the core.</summary>
    public string? SigstoreTrustedRoot { get; set; }
}

/// <summary>
/// Pins every artifact of a resolved catalog package: the digest from the publisher's checksum file (fetched once per
/// file through the verified downloader's capped small fetch), the one the definition itself carries (winget), or, only
/// with an explicit trust-on-first-use reason, the SHA-256 of the bytes downloaded now. Anything else is refused
/// (<see cref="ErrorIds.CatalogEntryUnpinned"/>): a checksum file that does not list the asset, a pattern matching nothing.
/// </summary>
public sealed class CatalogPinner
{
    private readonly VerifiedDownloader _downloader;
    private readonly Action<string> _log;

    public CatalogPinner(VerifiedDownloader downloader, Action<string>? log = null)
    {
        _downloader = downloader ?? throw new ArgumentNullException(nameof(downloader));
        _log = log ?? (_ => { });
    }

    public async Task<IReadOnlyList<CatalogPin>> PinAsync(CatalogResolution resolution, CatalogPinOptions options, CancellationToken cancellationToken)
    {
        if (resolution == null) throw new ArgumentNullException(nameof(resolution));
        options ??= new CatalogPinOptions();
        var lists = new Dictionary<string, string>(StringComparer.Ordinal);
        var pins = new List<CatalogPin>();
        string where = $"{resolution.DefinitionSource} ({resolution.Package} {resolution.Tag})";
        foreach (CatalogArtifact artifact in resolution.Artifacts)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var pin = new CatalogPin { Artifact = artifact };
            if (artifact.Sha256 != null)
            {
                pin.Sha256 = artifact.Sha256;
                pin.DigestSource = $"{resolution.Catalog} manifest {resolution.DefinitionSource}";
            }
            else if (artifact.Checksum is { } source && !ChecksumAlgorithms.IsWeak(source.Algorithm))
            {
                pin.DigestSource = $"{ChecksumAlgorithms.LowerName(source.Algorithm)} from {UriText.Redact(source.Url)}";
                if (source.SigstoreBundle != null)
                    pin.DigestSource += $", the checksum file {(options.WhatIf ? "to be " : "")}Sigstore-verified ({source.SignerText}; bundle {UriText.Redact(source.SigstoreBundle)})";
                if (!options.WhatIf)
                {
                    if (!lists.TryGetValue(source.Url.AbsoluteUri, out string? text))
                    {
                        byte[] bytes = await _downloader.FetchSmallAsync(source.Url, ChecksumListParser.DefaultMaximumBytes, "checksum list", cancellationToken: cancellationToken).ConfigureAwait(false);
                        if (source.SigstoreBundle != null) await VerifyChecksumFileAsync(bytes, source, options, cancellationToken).ConfigureAwait(false);
                        lists[source.Url.AbsoluteUri] = text = ChecksumListParser.Decode(bytes, bytes.Length);
                    }
                    string digest = FindDigest(text, source, artifact.Asset, where);
                    if (source.Algorithm == ChecksumAlgorithm.SHA256) pin.Sha256 = digest;
                    else pin.Integrity = ChecksumAlgorithms.LowerName(source.Algorithm) + "-" + Convert.ToBase64String(Hex.TryDecode(digest)!);
                    _log($"{artifact.Platform}: {artifact.Asset} {pin.Sha256 ?? pin.Integrity} from {UriText.Redact(source.Url)}.");
                }
            }
            else
            {
                string reason = artifact.Checksum != null
                    ? $"the publisher lists only {artifact.Checksum.Algorithm} digests, too weak to pin"
                    : artifact.UnpinnedReason ?? "nothing from the publisher gives its digest";
                if (options.TrustOnFirstUseReason == null)
                    throw new CatalogException(ErrorIds.CatalogEntryUnpinned, where,
                        $"{artifact.Platform} {artifact.Asset}: {reason}. Pin it by hand, or add it with -TrustOnFirstUse -Reason (SecureInstall downloads it now and pins what it got).");
                pin.Waiver = options.TrustOnFirstUseReason;
                pin.DigestSource = $"trust on first use ({reason}): {options.TrustOnFirstUseReason}";
                if (!options.WhatIf) await HashDownloadAsync(pin, cancellationToken).ConfigureAwait(false);
            }
            pins.Add(pin);
        }
        return pins;
    }

    /// <summary>
    /// The publisher signed the checksum file (aqua's checksum.cosign): its Sigstore bundle must verify over these exact
    /// bytes, offline, under the definition's identity and issuer, before any digest in the file is trusted.
    /// </summary>
    /// <exception cref="SecureInstallException">the bundle cannot be fetched (missing), is malformed, does not verify, or another identity signed it.</exception>
    private async Task VerifyChecksumFileAsync(byte[] checksumFile, CatalogChecksumSource source, CatalogPinOptions options, CancellationToken cancellationToken)
    {
        Uri bundleUri = source.SigstoreBundle!;
        var policy = new SigstorePolicyOptions
        {
            CertificateIdentity = source.CertificateIdentity, CertificateIdentityRegex = source.CertificateIdentityRegex,
            CertificateOidcIssuer = source.CertificateOidcIssuer, TrustedRootFile = options.SigstoreTrustedRoot,
        };
        SigstoreRequirement requirement;
        try
        {
            requirement = SigstoreRequirement.FromOptions(policy);
        }
        catch (ArgumentException ex)
        {
            throw new SignatureFormatException(UriText.Redact(bundleUri), "the definition's checksum.cosign identity is not a Sigstore policy: " + ex.Message, ex);
        }
        byte[] json = await _downloader.FetchSmallAsync(bundleUri, SigstoreBundle.MaximumBytes, "Sigstore bundle of the checksum file", cancellationToken: cancellationToken).ConfigureAwait(false);
        var digest = new ChecksumEntry(null, ChecksumAlgorithm.SHA256, Hex.Encode(SigstoreKeys.Sha256(checksumFile)), UriText.Redact(source.Url));
        SignatureResult verified = requirement.Verify(json, UriText.Redact(bundleUri), digest, cancellationToken);
        _log($"{UriText.Redact(source.Url)}: Sigstore bundle verified ({requirement.Describe(verified)}).");
    }

    private async Task HashDownloadAsync(CatalogPin pin, CancellationToken cancellationToken)
    {
        string temp = Path.Combine(Path.GetTempPath(), "secureinstall-tofu-" + Guid.NewGuid().ToString("N"));
        try
        {
            // Nothing vouches for these bytes: the waiver says so, and the digest recorded is what arrived now.
            _ = await _downloader.DownloadAsync(new DownloadRequest(pin.Url, temp) { SkipVerification = true }, null, cancellationToken).ConfigureAwait(false);
            pin.Size = new FileInfo(temp).Length;
            using FileStream stream = File.OpenRead(temp);
            pin.Sha256 = FileHasher.Hash(stream, ChecksumAlgorithm.SHA256, null, cancellationToken);
            _log($"{pin.Platform}: {pin.Url} hashed on first use: sha256 {pin.Sha256}, {pin.Size} bytes.");
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>The asset's digest in the publisher's file, read by the definition's file_format.</summary>
    /// <exception cref="CatalogException">the file does not list the asset, or a pattern matches nothing (CatalogEntryUnpinned).</exception>
    public static string FindDigest(string text, CatalogChecksumSource source, string asset, string where)
    {
        int length = ChecksumAlgorithms.DigestBytes(source.Algorithm) * 2;
        string? digest = null;
        if (source.FileFormat == "raw")
        {
            digest = text.Trim().Split(new[] { ' ', '\t', '\r', '\n' }, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        }
        else if (source.FileFormat == "regexp")
        {
            Regex checksum = Pattern(source.ChecksumPattern!, where);
            Regex? file = source.FilePattern == null ? null : Pattern(source.FilePattern, where);
            foreach (string raw in text.Split('\n'))
            {
                string line = raw.TrimEnd('\r');
                if (file != null)
                {
                    Match f = file.Match(line);
                    if (!f.Success || f.Groups.Count < 2 || f.Groups[1].Value != asset) continue;
                }
                Match c = checksum.Match(line);
                if (c.Success && c.Groups.Count >= 2)
                {
                    digest = c.Groups[1].Value;
                    break;
                }
            }
            if (digest == null)
                throw new CatalogException(ErrorIds.CatalogEntryUnpinned, where,
                    $"the checksum pattern '{source.ChecksumPattern}'{(file != null ? $" with file pattern '{source.FilePattern}'" : "")} matches nothing for {asset} in {UriText.Redact(source.Url)}.");
        }
        else
        {
            ChecksumList list = new ChecksumListParser().Parse(text, source.Url.AbsoluteUri);
            try
            {
                digest = list.Find(Path.Combine(Path.GetTempPath(), asset), null, source.Algorithm).Digest;
            }
            catch (ChecksumNotFoundException ex)
            {
                // A sidecar for one file (just the digest, or "digest  name") names the asset or nothing.
                if (list.Entries.Count == 1 && list.Entries[0].FileName == null) digest = list.Entries[0].Digest;
                else throw new CatalogException(ErrorIds.CatalogEntryUnpinned, where, $"{UriText.Redact(source.Url)} does not list {asset}.", ex);
            }
        }
        if (digest == null || digest.Length != length || Hex.TryDecode(digest) == null)
            throw new CatalogException(ErrorIds.CatalogEntryUnpinned, where, $"{UriText.Redact(source.Url)} gives '{digest}' for {asset}, which is not a {source.Algorithm} digest.");
        return digest.ToLowerInvariant();
    }

    private static Regex Pattern(string pattern, string where)
    {
        try
        {
            // Go's RE2 has no backtracking; a timeout keeps a hostile pattern from spinning here.
            return new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException ex)
        {
            throw new CatalogException(ErrorIds.CatalogDefinitionInvalid, where, $"the checksum pattern '{pattern}' is not a regular expression: {ex.Message}", ex);
        }
    }
}
