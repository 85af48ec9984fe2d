using SecureInstall.Core.IO;

namespace SecureInstall.Core.Downloads;

/// <summary>
/// What is checked about a request before any byte is fetched: input that cannot work fails at once, naming the
/// input, instead of after the whole download with a message that named no path.
/// </summary>
internal static class DownloadPreflight
{
    /// <exception cref="InvalidUriException">a checksum-list or signature URI that is not absolute.</exception>
    /// <exception cref="DestinationNotFoundException">the destination's folder does not exist, or the destination is a symbolic link to nothing.</exception>
    public static void Check(DownloadRequest request, string destination)
    {
        if (request.ChecksumUri is { IsAbsoluteUri: false } list) throw new InvalidUriException(list, "The checksum list URI");
        if (request.SignatureUri is { IsAbsoluteUri: false } signature) throw new InvalidUriException(signature, "The signature URI");
        CheckDestination(destination);
    }

    /// <summary>Only https:// and file:// are fetched; http:// only when the caller loosened that (AllowInsecureTransport).</summary>
    /// <exception cref="InsecureTransportException">any other URI.</exception>
    public static void CheckScheme(Uri uri, bool allowInsecureTransport)
    {
        if (uri.IsFile || uri.Scheme == Uri.UriSchemeHttps) return;
        if (uri.Scheme == Uri.UriSchemeHttp && allowInsecureTransport) return;
        throw new InsecureTransportException(uri);
    }

    /// <summary>
    /// At most one source of the expected digest; none with SkipVerification; a signature URI with the key that checks it
    /// and a key with something to check (a signature URI, or a checksum list that may be clear-signed).
    /// </summary>
    /// <exception cref="ArgumentException">a combination that cannot be meant.</exception>
    public static void CheckDigestSources(DownloadRequest request)
    {
        int sources = (request.Expected != null ? 1 : 0) + (request.ChecksumUri != null ? 1 : 0) + (request.ChecksumFile != null ? 1 : 0);
        if (sources > 1) throw new ArgumentException("Give exactly one source for the expected digest: a digest, a checksum list URI or a checksum list file.", nameof(request));
        if ((sources == 1 || request.SignatureVerifier != null || request.Authenticode != null) && request.SkipVerification)
            throw new ArgumentException("SkipVerification cannot be combined with an expected digest or a signature.", nameof(request));
        if (request.SignatureUri != null && request.SignatureVerifier == null)
            throw new ArgumentException("A signature URI needs the trusted key to check it with (a signature verifier).", nameof(request));
        if (request.SignatureVerifier != null && request.SignatureUri == null && request.ChecksumUri == null && request.ChecksumFile == null)
            throw new ArgumentException("A signature key needs a signature URI, or a clear-signed checksum list.", nameof(request));
    }

    private static void CheckDestination(string destination)
    {
        string? folder = Path.GetDirectoryName(destination);
        if (folder != null && !Directory.Exists(folder))
            throw new DestinationNotFoundException(destination, $"is in the folder '{folder}', which does not exist. Create the folder first, or choose another destination.");
        FileAttributes attributes;
        try
        {
            attributes = File.GetAttributes(destination);
        }
        catch (IOException)
        {
            return; // nothing there yet: the usual case
        }
        catch (UnauthorizedAccessException)
        {
            return; // placing the file reports it, with the path
        }
        if ((attributes & FileAttributes.ReparsePoint) != 0 && !UnixFileSystem.LinkTargetExists(destination))
        {
            string target = UnixFileSystem.ReadLink(destination) ?? "a path that cannot be read";
            throw new DestinationNotFoundException(destination,
                $"is a symbolic link to '{target}', which does not exist. Remove the link, or choose another destination.");
        }
    }
}
