using System.Net;

namespace SecureInstall.Core.Downloads;

/// <summary>
/// An explicit proxy (-Proxy, --proxy). Credentials written in its URI (http://user:password@host:port) are used, as
/// curl and HTTPS_PROXY use them, instead of being silently dropped; the address kept for messages has none.
/// </summary>
public static class ProxyAddress
{
    /// <summary>
    /// The proxy at <paramref name="address"/>, authenticating with the user:password written in it or with
    /// <paramref name="credential"/>; giving both is refused (<see cref="ProxyInvalidException"/>), as one would be ignored.
    /// </summary>
    public static WebProxy Create(Uri address, NetworkCredential? credential = null)
    {
        if (address == null) throw new ArgumentNullException(nameof(address));
        if (!address.IsAbsoluteUri || address.IsFile || address.Host.Length == 0)
            throw new ProxyInvalidException(UriText.Redact(address), "give an absolute URI such as http://proxy.example:3128.");
        NetworkCredential? written = null;
        if (address.UserInfo.Length > 0)
        {
            string info = address.UserInfo;
            int colon = info.IndexOf(':');
            string user = Uri.UnescapeDataString(colon < 0 ? info : info.Substring(0, colon));
            string password = colon < 0 ? string.Empty : Uri.UnescapeDataString(info.Substring(colon + 1));
            if (user.Length == 0) throw new ProxyInvalidException(UriText.Redact(address), "its URI has a password but no user name (http://user:password@host:port).");
            if (credential != null)
                throw new ProxyInvalidException(UriText.Redact(address), "credentials are written in its URI and given with -ProxyCredential too; give them once.");
            written = new NetworkCredential(user, password);
        }
        var stripped = new UriBuilder(address) { UserName = string.Empty, Password = string.Empty }.Uri;
        return new WebProxy(stripped) { Credentials = written ?? credential };
    }
}
