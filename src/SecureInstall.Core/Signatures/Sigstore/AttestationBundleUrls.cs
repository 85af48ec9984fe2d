using System.Text;
using System.Text.Json;

namespace SecureInstall.Core.Signatures.Sigstore;

/// <summary>
/// Newer answers of GitHub's attestations API (<c>GET /repos/O/R/attestations/sha256:HEX</c>) give an attestation's
/// bundle as a <c>bundle_url</c> instead of an inline <c>bundle</c>. Each such bundle is fetched (https only, through the
/// caller's capped fetch: the verified downloader, which sends no token to it) and put inline, so the answer verifies,
/// and is kept in the lock, exactly as an inline one.
/// </summary>
public static class AttestationBundleUrls
{
    /// <summary>Fetches a bundle (or an attestations answer) through the verified downloader, capped, with any bundle_url put inline.</summary>
    public static async Task<byte[]> FetchAsync(Downloads.VerifiedDownloader downloader, Uri bundleUri, CancellationToken cancellationToken)
    {
        if (downloader == null) throw new ArgumentNullException(nameof(downloader));
        byte[] json = await downloader.FetchSmallAsync(bundleUri, SigstoreBundle.MaximumBytes, "Sigstore bundle", cancellationToken: cancellationToken).ConfigureAwait(false);
        return await InlineAsync(json, bundleUri.AbsoluteUri,
            (u, ct) => downloader.FetchSmallAsync(u, SigstoreBundle.MaximumBytes, "Sigstore bundle (bundle_url)", cancellationToken: ct), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The answer with every <c>bundle_url</c> replaced by the bundle it names; any other JSON is returned as given.</summary>
    /// <exception cref="SignatureFormatException">a bundle_url is not an absolute https URL, or what it serves is not a JSON bundle.</exception>
    public static async Task<byte[]> InlineAsync(byte[] json, string source, Func<Uri, CancellationToken, Task<byte[]>> fetch, CancellationToken cancellationToken)
    {
        if (json == null) throw new ArgumentNullException(nameof(json));
        if (fetch == null) throw new ArgumentNullException(nameof(fetch));
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json);
        }
        catch (JsonException)
        {
            return json; // JSON Lines or not JSON: SigstoreBundle.ParseAll says what is wrong
        }
        using (doc)
        {
            JsonElement root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("attestations", out JsonElement list) || list.ValueKind != JsonValueKind.Array
                || !list.EnumerateArray().Any(a => a.ValueKind == JsonValueKind.Object && !a.TryGetProperty("bundle", out _) && a.TryGetProperty("bundle_url", out _)))
                return json;
            var text = new StringBuilder("{\"attestations\":[");
            int n = 0;
            foreach (JsonElement attestation in list.EnumerateArray())
            {
                string where = $"{source}:{++n}";
                if (n > 1) text.Append(',');
                if (attestation.ValueKind == JsonValueKind.Object && attestation.TryGetProperty("bundle", out JsonElement inline))
                {
                    text.Append("{\"bundle\":").Append(inline.GetRawText()).Append('}');
                    continue;
                }
                string? url = attestation.ValueKind == JsonValueKind.Object && attestation.TryGetProperty("bundle_url", out JsonElement u) && u.ValueKind == JsonValueKind.String ? u.GetString() : null;
                if (url == null || !Uri.TryCreate(url, UriKind.Absolute, out Uri? uri) || uri.Scheme != Uri.UriSchemeHttps)
                    throw new SignatureFormatException(where, $"not a usable attestation: its bundle_url '{url}' is not an absolute https URL.");
                byte[] bundle = await fetch(uri, cancellationToken).ConfigureAwait(false);
                try
                {
                    // GitHub stores these snappy-compressed (gh decodes them so); a plain JSON bundle is read as it is.
                    if (!LooksLikeJson(bundle)) bundle = SnappyBlock.Decode(bundle, SigstoreBundle.MaximumBytes);
                    using JsonDocument parsed = JsonDocument.Parse(bundle);
                    if (parsed.RootElement.ValueKind != JsonValueKind.Object) throw new JsonException("not a JSON object");
                    text.Append("{\"bundle\":").Append(parsed.RootElement.GetRawText()).Append('}');
                }
                catch (Exception ex) when (ex is JsonException or InvalidDataException)
                {
                    throw new SignatureFormatException(where, $"not a usable Sigstore bundle: what bundle_url {Downloads.UriText.Redact(uri)} serves is neither a JSON bundle nor a snappy-compressed one: {ex.Message}", ex);
                }
            }
            return Encoding.UTF8.GetBytes(text.Append("]}").ToString());
        }
    }

    private static bool LooksLikeJson(byte[] bytes)
    {
        foreach (byte b in bytes)
        {
            if (b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n') continue;
            return b == (byte)'{';
        }
        return false;
    }
}
