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

    // not available here
    public const string SignatureNotSupported = nameof(SignatureNotSupported);

    // paths and files
    public const string PathNotFound = nameof(PathNotFound);
    public const string NotFileSystemPath = nameof(NotFileSystemPath);
    public const string PermissionDenied = nameof(PermissionDenied);
    public const string FileReadFailed = nameof(FileReadFailed);
    public const string FileWriteFailed = nameof(FileWriteFailed);
    public const string OutFileExists = nameof(OutFileExists);
    public const string DuplicateListName = nameof(DuplicateListName);
    public const string NoInputFiles = nameof(NoInputFiles);
}
