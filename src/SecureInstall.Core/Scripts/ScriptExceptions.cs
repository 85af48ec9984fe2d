namespace SecureInstall.Core.Scripts;

/// <summary>
/// A script pinned on an earlier run (-TrustOnFirstUse) is no longer the same bytes. Nothing was run; the diff shows
/// what changed so a person can decide, and -Accept re-pins.
/// </summary>
public sealed class ScriptChangedException : SecureInstallException
{
    public ScriptChangedException(Uri uri, string pinnedSha256, string actualSha256, string pinStore, string diff)
        : base($"'{Downloads.UriText.Redact(uri)}' changed since it was pinned in {pinStore}: it was sha256:{pinnedSha256}, it is now sha256:{actualSha256}. " +
               "It was not run. Review the difference (the exception's Diff, or -Verbose), then run again with -Accept to pin the new script.",
               ErrorIds.ScriptChanged, FailureKind.Security, Downloads.UriText.Redact(uri))
    {
        Uri = uri;
        PinnedSha256 = pinnedSha256;
        ActualSha256 = actualSha256;
        PinStore = pinStore;
        Diff = diff;
    }

    public Uri Uri { get; }
    public string PinnedSha256 { get; }
    public string ActualSha256 { get; }
    public string PinStore { get; }

    /// <summary>A unified diff from the pinned copy to the new script.</summary>
    public string Diff { get; }
}

/// <summary>The pin store file cannot be read as a pin store (hand-edited badly, or not one).</summary>
public sealed class PinStoreInvalidException : SecureInstallException
{
    public PinStoreInvalidException(string path, string reason, Exception? inner = null)
        : base($"The script pin store '{path}' cannot be read: {reason}. Fix or remove the entry; pins are never guessed.",
               ErrorIds.PinStoreInvalid, FailureKind.InvalidData, path, inner)
    {
        Path = path;
    }

    public string Path { get; }
}
