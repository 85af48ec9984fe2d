using SecureInstall.Core.Archives;
using SecureInstall.Core.Downloads;

namespace SecureInstall.Core;

/// <summary>
/// Which safe defaults a caller's options loosen, one sentence each: a loosened limit is a trust decision the user
/// should see, so both front ends print these (the cmdlets as verbose lines, the CLI on stderr). Each sentence names
/// the option through <c>optionName</c>, given the options property's name ("AllowInsecureTransport" →
/// "-AllowInsecureTransport" or "--allow-insecure-transport").
/// </summary>
public static class LoosenedLimits
{
    public static IEnumerable<string> Of(VerifiedDownloaderOptions options, Func<string, string> optionName)
    {
        if (options == null) throw new ArgumentNullException(nameof(options));
        if (optionName == null) throw new ArgumentNullException(nameof(optionName));
        if (options.AllowInsecureTransport)
            yield return $"{optionName(nameof(options.AllowInsecureTransport))}: http:// URIs are fetched; redirects from https to http are still refused.";
        if (options.AllowWeakAlgorithm)
            yield return $"{optionName(nameof(options.AllowWeakAlgorithm))}: an MD5 or SHA-1 digest is accepted; it proves nothing against an attacker.";
        if (options.MaximumSize > VerifiedDownloaderOptions.DefaultMaximumSize)
            yield return Raised(optionName(nameof(options.MaximumSize)), options.MaximumSize, VerifiedDownloaderOptions.DefaultMaximumSize);
    }

    public static IEnumerable<string> Of(ArchiveExtractionOptions options, Func<string, string> optionName)
    {
        if (options == null) throw new ArgumentNullException(nameof(options));
        if (optionName == null) throw new ArgumentNullException(nameof(optionName));
        if (options.MaxTotalBytes > ArchiveExtractionOptions.DefaultMaxTotalBytes)
            yield return Raised(optionName(nameof(options.MaxTotalBytes)), options.MaxTotalBytes, ArchiveExtractionOptions.DefaultMaxTotalBytes);
        if (options.MaxEntryCount > ArchiveExtractionOptions.DefaultMaxEntryCount)
            yield return Raised(optionName(nameof(options.MaxEntryCount)), options.MaxEntryCount, ArchiveExtractionOptions.DefaultMaxEntryCount);
        if (options.MaxCompressionRatio > ArchiveExtractionOptions.DefaultMaxCompressionRatio)
            yield return Raised(optionName(nameof(options.MaxCompressionRatio)), options.MaxCompressionRatio, ArchiveExtractionOptions.DefaultMaxCompressionRatio);
        if (options.MaxDepth > ArchiveExtractionOptions.DefaultMaxDepth)
            yield return Raised(optionName(nameof(options.MaxDepth)), options.MaxDepth, ArchiveExtractionOptions.DefaultMaxDepth);
    }

    private static string Raised(string option, long value, long defaultValue) => $"{option} raised to {value} (default {defaultValue}).";
}
