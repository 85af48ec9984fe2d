namespace SecureInstall.Core;

/// <summary>
/// Every stable error identifier, in one place. They are part of the public contract: scripts match on
/// <c>FullyQualifiedErrorId</c> and the CLI prints them, so an id is never renamed once shipped.
/// </summary>
public static class ErrorIds
{
    // verification
    public const string ChecksumMismatch = nameof(ChecksumMismatch);
    public const string ChecksumNotFound = nameof(ChecksumNotFound);
    public const string WeakAlgorithmRefused = nameof(WeakAlgorithmRefused);
    public const string SignatureInvalid = nameof(SignatureInvalid);
    public const string SignerNotTrusted = nameof(SignerNotTrusted);

    // malformed input
    public const string ChecksumListInvalid = nameof(ChecksumListInvalid);
    public const string ChecksumConflict = nameof(ChecksumConflict);
    public const string InvalidHash = nameof(InvalidHash);
    public const string SignatureFormatInvalid = nameof(SignatureFormatInvalid);
    public const string PublicKeyInvalid = nameof(PublicKeyInvalid);
    public const string InvalidFingerprint = nameof(InvalidFingerprint);
    public const string SignatureParametersInvalid = nameof(SignatureParametersInvalid);
    /// <summary>A proxy credential was given without the proxy it is for (InvalidArgument).</summary>
    public const string ProxyCredentialWithoutProxy = nameof(ProxyCredentialWithoutProxy);
    public const string TrustedRootInvalid = nameof(TrustedRootInvalid);
    /// <summary>A PE file whose layout the Authenticode rules cannot hash unambiguously (InvalidData); the exception's Defect names what.</summary>
    public const string PeImageMalformed = nameof(PeImageMalformed);
    /// <summary>A cabinet whose layout the Authenticode rules cannot hash unambiguously (InvalidData); the exception's Defect names what.</summary>
    public const string CabinetMalformed = nameof(CabinetMalformed);
    /// <summary>An MSI whose compound-file structure is refused (loops, sectors outside the file, oversized directory; InvalidData); the exception's Defect names what.</summary>
    public const string MsiMalformed = nameof(MsiMalformed);

    // not available here
    public const string SignatureNotSupported = nameof(SignatureNotSupported);

    // manifests
    public const string ManifestInvalid = nameof(ManifestInvalid);
    public const string ManifestEntryUnpinned = nameof(ManifestEntryUnpinned);
    public const string ManifestVersionNotPinned = nameof(ManifestVersionNotPinned);
    public const string ManifestInsecureUrl = nameof(ManifestInsecureUrl);
    public const string ToolNotInManifest = nameof(ToolNotInManifest);
    public const string VersionNotInManifest = nameof(VersionNotInManifest);
    public const string PlatformNotInManifest = nameof(PlatformNotInManifest);
    public const string PinnedDigestChanged = nameof(PinnedDigestChanged);
    public const string NoChecksumsUrl = nameof(NoChecksumsUrl);

    // catalogs (Add-PinnedTool from the aqua registry and winget manifests)
    /// <summary>The catalog has no definition of that package (NotFound).</summary>
    public const string CatalogPackageNotFound = nameof(CatalogPackageNotFound);
    /// <summary>A definition uses a feature SecureInstall does not map; named, never guessed (NotSupported).</summary>
    public const string CatalogDefinitionUnsupported = nameof(CatalogDefinitionUnsupported);
    /// <summary>A definition is malformed or hostile: a template rendering '../', an http: URL, a foreign host (InvalidData).</summary>
    public const string CatalogDefinitionInvalid = nameof(CatalogDefinitionInvalid);
    /// <summary>Nothing from the publisher pins the artifact (no checksum file, no digest) and no -TrustOnFirstUse waiver was given (Security).</summary>
    public const string CatalogEntryUnpinned = nameof(CatalogEntryUnpinned);
    public const string ReasonRequired = nameof(ReasonRequired);

    // installs and the lock
    public const string LockInvalid = nameof(LockInvalid);
    public const string LockMismatch = nameof(LockMismatch);
    public const string NotLocked = nameof(NotLocked);
    public const string InstalledTreeTampered = nameof(InstalledTreeTampered);
    public const string InstallInProgress = nameof(InstallInProgress);
    public const string NotInstalled = nameof(NotInstalled);
    public const string NotInBundle = nameof(NotInBundle);
    public const string ExecutableNotInArtifact = nameof(ExecutableNotInArtifact);
    public const string LockPathMismatch = nameof(LockPathMismatch);
    public const string ShimConflict = nameof(ShimConflict);
    /// <summary>The install root, or a folder above it, is owned by another user or writable by others (SecurityError).</summary>
    public const string InstallRootNotTrusted = nameof(InstallRootNotTrusted);
    /// <summary>The install root's state file (what is installed there) is not one SecureInstall wrote (InvalidData).</summary>
    public const string InstallStateInvalid = nameof(InstallStateInvalid);
    /// <summary>-Scope AllUsers needs Administrator / root (PermissionDenied).</summary>
    public const string ElevationRequired = nameof(ElevationRequired);
    /// <summary>An installer artifact (msi, exe, …) was downloaded and verified, but installers run only on Windows (NotSupported).</summary>
    public const string InstallerNotRunHere = nameof(InstallerNotRunHere);
    /// <summary>An installer SecureInstall cannot run unattended: a plain exe without silent switches, switches with control characters (NotSupported).</summary>
    public const string InstallerNotRunnable = nameof(InstallerNotRunnable);
    /// <summary>An installer exited with a code that is not success (WriteError); the lock is unchanged.</summary>
    public const string InstallerFailed = nameof(InstallerFailed);

    public const string MirrorConfigurationInvalid = nameof(MirrorConfigurationInvalid);

    // PowerShell modules (issue 22)
    /// <summary>A module's package names another module or version than its pin: the .nuspec id/version or the .psd1 (SecurityError).</summary>
    public const string ModuleIdentityMismatch = nameof(ModuleIdentityMismatch);
    /// <summary>A module's .nuspec depends on a module the manifest does not pin, or pins at a version outside the range (InvalidData).</summary>
    public const string ModuleDependencyNotPinned = nameof(ModuleDependencyNotPinned);
    /// <summary>The pinned modules' dependencies form a cycle (InvalidData).</summary>
    public const string ModuleDependencyCycle = nameof(ModuleDependencyCycle);
    public const string ModuleNotInManifest = nameof(ModuleNotInManifest);
    /// <summary>A module's package is not a PowerShell module package: no .nuspec, no readable .psd1 (InvalidData).</summary>
    public const string ModulePackageInvalid = nameof(ModulePackageInvalid);
    /// <summary>A NuGet feed answered with something that is not a usable service index or package list (InvalidData).</summary>
    public const string FeedInvalid = nameof(FeedInvalid);
    /// <summary>Import-Module by name would load another copy of a pinned module (earlier on PSModulePath, a higher version, or already loaded) (SecurityError).</summary>
    public const string ModuleShadowed = nameof(ModuleShadowed);
    /// <summary>A module to uninstall is a pinned dependency of another module the lock records and that stays installed (InvalidArgument).</summary>
    public const string ModuleRequiredByAnother = nameof(ModuleRequiredByAnother);
    // OCI registries (issue 20)
    public const string RegistryReferenceInvalid = nameof(RegistryReferenceInvalid);
    /// <summary>The registry or its token service refused the credentials, or none were found (AuthenticationFailed).</summary>
    public const string RegistryAuthenticationFailed = nameof(RegistryAuthenticationFailed);
    public const string RegistryRequestFailed = nameof(RegistryRequestFailed);
    public const string RegistryManifestUnknown = nameof(RegistryManifestUnknown);
    public const string RegistryCredentialInvalid = nameof(RegistryCredentialInvalid);
    public const string RegistryCredentialHelperFailed = nameof(RegistryCredentialHelperFailed);

    // paths and files
    public const string PathNotFound = nameof(PathNotFound);
    public const string SignatureNotFound = nameof(SignatureNotFound);
    public const string NotFileSystemPath = nameof(NotFileSystemPath);
    public const string PermissionDenied = nameof(PermissionDenied);
    public const string FileReadFailed = nameof(FileReadFailed);
    public const string FileWriteFailed = nameof(FileWriteFailed);
    public const string OutFileExists = nameof(OutFileExists);
    public const string DuplicateListName = nameof(DuplicateListName);
    public const string NoInputFiles = nameof(NoInputFiles);
    public const string PathIsDirectory = nameof(PathIsDirectory);

    // archives
    public const string UnsafeArchiveEntry = nameof(UnsafeArchiveEntry);
    public const string ArchiveLimitExceeded = nameof(ArchiveLimitExceeded);
    public const string UnsupportedArchiveFormat = nameof(UnsupportedArchiveFormat);
    public const string ArchiveCorrupt = nameof(ArchiveCorrupt);
    public const string DestinationExists = nameof(DestinationExists);
    // downloads
    public const string SizeLimitExceeded = nameof(SizeLimitExceeded);
    public const string SizeMismatch = nameof(SizeMismatch);
    public const string InsecureRedirect = nameof(InsecureRedirect);
    public const string InsecureTransport = nameof(InsecureTransport);
    public const string TooManyRedirects = nameof(TooManyRedirects);
    public const string DownloadFailed = nameof(DownloadFailed);
    public const string UnexpectedHtml = nameof(UnexpectedHtml);
    public const string DownloadStalled = nameof(DownloadStalled);
    public const string VerificationRequired = nameof(VerificationRequired);
    public const string ProxyAuthenticationRequired = nameof(ProxyAuthenticationRequired);
    public const string ProxyInvalid = nameof(ProxyInvalid);
    public const string TokenHostRequired = nameof(TokenHostRequired);
    public const string TokenHostInvalid = nameof(TokenHostInvalid);
    /// <summary>The artifact cache, or a folder above it, is owned by another user or writable by others (SecurityError).</summary>
    public const string CacheNotTrusted = nameof(CacheNotTrusted);
    public const string InvalidUri = nameof(InvalidUri);
    public const string TokenInvalid = nameof(TokenInvalid);

    // scripts (Invoke-VerifiedScript) and the bootstrap (module/Install-SecureInstall.ps1, which cannot load this class)
    public const string ScriptChanged = nameof(ScriptChanged);
    public const string PinStoreInvalid = nameof(PinStoreInvalid);
    public const string BootstrapNotVerified = nameof(BootstrapNotVerified);
    public const string BootstrapChecksumMismatch = nameof(BootstrapChecksumMismatch);
    public const string BootstrapSignatureInvalid = nameof(BootstrapSignatureInvalid);
    public const string BootstrapNotStamped = nameof(BootstrapNotStamped);
    public const string PowerShellNotFound = nameof(PowerShellNotFound);

    /// <summary>
    /// The stable id of any failure, and its kind (null for an exception nothing here classifies, whose id is its type
    /// name): the one mapping of exception to id. The cmdlets turn the kind into an ErrorCategory, the CLI into an exit code.
    /// </summary>
    public static (string Id, FailureKind? Kind) Classify(System.Exception exception) => exception switch
    {
        null => throw new System.ArgumentNullException(nameof(exception)),
        SecureInstallException known => (known.ErrorId, known.Kind),
        System.IO.FileNotFoundException or System.IO.DirectoryNotFoundException => (PathNotFound, FailureKind.NotFound),
        System.UnauthorizedAccessException => (PermissionDenied, FailureKind.PermissionDenied),
        System.IO.IOException => (FileReadFailed, FailureKind.ReadError),
        _ => (exception.GetType().Name, null),
    };
}
