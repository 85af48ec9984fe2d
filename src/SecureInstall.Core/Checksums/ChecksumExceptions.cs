namespace SecureInstall.Core.Checksums;

/// <summary>A file's digest is not the expected one.</summary>
public sealed class ChecksumMismatchException : SecureInstallException
{
    public ChecksumMismatchException(string path, ChecksumAlgorithm algorithm, string expected, string actual, string source, string? detail = null)
        : base(Hex.DigestEquals(expected, actual) && detail != null
                   ? $"'{path}' does not match {source}: {detail}. The file is not the one that was published: do not use it; download it again from a trusted source."
                   : $"{algorithm} of '{path}' is {actual}, but {source} expects {expected}{(detail == null ? "" : " (" + detail + ")")}. The file is not the one that was published: do not use it; download it again from a trusted source.",
               ErrorIds.ChecksumMismatch, FailureKind.Security, path)
    {
        Path = path;
        Algorithm = algorithm;
        Expected = expected;
        Actual = actual;
        DigestSource = source;
    }

    public string Path { get; }
    public ChecksumAlgorithm Algorithm { get; }
    public string Expected { get; }
    public string Actual { get; }

    /// <summary>Where the expected digest came from.</summary>
    public string DigestSource { get; }
}

/// <summary>A checksum list does not name the file: a release whose list omits a file may have been tampered with.</summary>
public sealed class ChecksumNotFoundException : SecureInstallException
{
    public ChecksumNotFoundException(string path, string listSource, string? detail = null)
        : base($"'{path}' is not listed in {listSource}{(detail == null ? "" : " (" + detail + ")")}. A list that does not name a file proves nothing about it: check that the list belongs to this release.",
               ErrorIds.ChecksumNotFound, FailureKind.Security, path)
    {
        Path = path;
        ListSource = listSource;
    }

    public string Path { get; }
    public string ListSource { get; }
}

/// <summary>A checksum list (or one of its lines) cannot be read.</summary>
public sealed class ChecksumListFormatException : SecureInstallException
{
    public ChecksumListFormatException(string source, int lineNumber, string reason)
        : base(lineNumber > 0 ? $"{source}, line {lineNumber}: {reason}" : $"{source}: {reason}",
               ErrorIds.ChecksumListInvalid, FailureKind.InvalidData, source)
    {
        ListSource = source;
        LineNumber = lineNumber;
        Reason = reason;
    }

    public string ListSource { get; }
    public int LineNumber { get; }
    public string Reason { get; }
}

/// <summary>A list names the same file twice with different digests: never guess which one is right.</summary>
public sealed class ChecksumConflictException : SecureInstallException
{
    public ChecksumConflictException(string source, string name, int firstLine, int secondLine)
        : base($"{source} lists '{name}' twice with different digests (lines {firstLine} and {secondLine}). Refusing to guess which one is right: the list may have been tampered with.",
               ErrorIds.ChecksumConflict, FailureKind.InvalidData, source)
    {
        ListSource = source;
        Name = name;
        FirstLine = firstLine;
        SecondLine = secondLine;
    }

    public string ListSource { get; }
    public string Name { get; }
    public int FirstLine { get; }
    public int SecondLine { get; }
}

/// <summary>MD5 or SHA-1 was asked to vouch for a file without the caller allowing weak algorithms.</summary>
public sealed class WeakAlgorithmException : SecureInstallException
{
    public WeakAlgorithmException(ChecksumAlgorithm algorithm, object? target)
        : base($"{algorithm} is broken for security use (collisions are practical), so a matching {algorithm} digest proves nothing. Use a SHA-256 or stronger digest, or pass -AllowWeakAlgorithm (--allow-weak-algorithm) to check it anyway.",
               ErrorIds.WeakAlgorithmRefused, FailureKind.Security, target)
    {
        Algorithm = algorithm;
    }

    public ChecksumAlgorithm Algorithm { get; }
}

/// <summary>A digest given by the caller is malformed.</summary>
public sealed class InvalidDigestException : SecureInstallException
{
    public InvalidDigestException(string value, string reason)
        : base($"'{Shorten(value)}' is not a usable digest: {reason}", ErrorIds.InvalidHash, FailureKind.InvalidArgument, value)
    {
    }

    private static string Shorten(string s) => s.Length > 140 ? s.Substring(0, 140) + "…" : s;
}
