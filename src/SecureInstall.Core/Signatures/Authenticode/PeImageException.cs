namespace SecureInstall.Core.Signatures.Authenticode;

/// <summary>What is wrong with a PE file's layout; the name is stable (scripts and tests match on it).</summary>
public enum PeDefect
{
    /// <summary>No "MZ" DOS header, or the file is shorter than one.</summary>
    NotPeImage,
    /// <summary>e_lfanew points outside the file, or no "PE\0\0" signature is there.</summary>
    BadPeHeaderOffset,
    /// <summary>The optional header is neither PE32 (0x10b) nor PE32+ (0x20b), or too short to hold the certificate-table entry.</summary>
    BadOptionalHeader,
    /// <summary>SizeOfHeaders or the section table reaches outside the file.</summary>
    HeadersOutsideFile,
    /// <summary>A section's raw data lies outside the file, inside the headers, or overlaps another section or the certificate table.</summary>
    SectionOutOfBounds,
    /// <summary>A data directory's range overflows or lies outside the image.</summary>
    DirectoryOutOfBounds,
    /// <summary>The certificate table does not end the file (bytes after it would be outside the signed hash), is not 8-byte aligned, or overlaps the headers.</summary>
    CertificateTableNotAtEnd,
    /// <summary>A WIN_CERTIFICATE entry has a bad length, revision or type, or bytes after the signature that are not zero padding.</summary>
    BadCertificateEntry,
}

/// <summary>The file is not a PE image the Authenticode rules can hash unambiguously (sections outside the file, a certificate table that does not end it, data hidden after the signature).</summary>
public sealed class PeImageMalformedException : AuthenticodeLayoutException<PeDefect>
{
    public PeImageMalformedException(string path, PeDefect defect, string reason)
        : base(path, defect, reason, "PE image", ErrorIds.PeImageMalformed)
    {
    }
}

/// <summary>
/// A signed file whose layout the Authenticode rules cannot hash unambiguously (PE image, cabinet, MSI). Refused rather than
/// guessed at: each layout trick puts bytes outside what the signature covers, or lets two readers see different files.
/// </summary>
public abstract class AuthenticodeLayoutException<TDefect> : SecureInstallException where TDefect : struct, Enum
{
    protected AuthenticodeLayoutException(string path, TDefect defect, string reason, string kind, string errorId)
        : base($"'{path}' is not a well-formed {kind} ({defect}): {reason}. Its Authenticode signature is not checked and the file is not trusted.",
               errorId, FailureKind.InvalidData, path)
    {
        Path = path;
        Defect = defect;
        Reason = reason;
    }

    public string Path { get; }
    public TDefect Defect { get; }
    public string Reason { get; }
}
