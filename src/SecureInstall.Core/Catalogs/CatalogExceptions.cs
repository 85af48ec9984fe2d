namespace SecureInstall.Core.Catalogs;

/// <summary>
/// A package definition from a catalog (the aqua registry, winget-pkgs) that cannot become a manifest entry: not found,
/// a feature that is not mapped (named, never guessed), a hostile or malformed value, or nothing that pins the bytes.
/// </summary>
public sealed class CatalogException : SecureInstallException
{
    public CatalogException(string errorId, string definition, string reason, System.Exception? inner = null)
        : base($"{definition}: {reason}", errorId, KindOf(errorId), definition, inner)
    {
        Definition = definition;
        Reason = reason;
    }

    /// <summary>Where the definition is (its path or URL, and the package).</summary>
    public string Definition { get; }

    public string Reason { get; }

    private static FailureKind KindOf(string errorId) => errorId switch
    {
        ErrorIds.CatalogPackageNotFound => FailureKind.NotFound,
        ErrorIds.CatalogDefinitionUnsupported => FailureKind.NotSupported,
        ErrorIds.CatalogEntryUnpinned => FailureKind.Security,
        _ => FailureKind.InvalidData,
    };
}
