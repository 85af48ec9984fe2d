namespace SecureInstall.Core.IO;

/// <summary>Why a path cannot name something inside the folder it is relative to.</summary>
public enum RelativePathProblem
{
    None,

    /// <summary>Empty, or only separators and "." segments: it names the folder itself, not something inside it.</summary>
    Empty,

    /// <summary>A NUL character, which truncates the path in the file system.</summary>
    NulCharacter,

    /// <summary>\\server\share, \\?\, \\.\, //x: another machine or a device.</summary>
    UncOrDevicePath,

    /// <summary>/x or \x: the folder is ignored.</summary>
    AbsolutePath,

    /// <summary>C:\x or C:x: resolved against a drive, not the folder.</summary>
    DrivePath,

    /// <summary>A ".." segment: it climbs out of the folder.</summary>
    ParentTraversal,

    /// <summary>A ':' in a segment: an NTFS alternate data stream (or a drive), another stream than the file named.</summary>
    StreamOrDrive,
}

/// <summary>
/// The one rule for "a relative path read from a file names something inside a folder": checksum lists, the manifest's
/// bin entries and the installer's paths into a tree ask it; <c>EntryPathPolicy</c> builds the archive rules on its parts
/// and adds the rules for names it creates (Windows-portable segments, no control characters). Both '/' and '\' separate,
/// on every platform, so a backslash cannot smuggle a traversal past a check that only knows '/'.
/// </summary>
public static class RelativePath
{
    private static readonly char[] Separators = { '/', '\\' };

    /// <summary>The first problem of <paramref name="path"/>, in the order: empty, NUL, UNC, absolute, drive, then each segment ("..", ':').</summary>
    /// <param name="colonNamesStream">
    /// Whether a ':' inside a segment is refused as an NTFS stream or drive (always for archive entries and names written into
    /// a tree; for a name only opened for reading, on Windows alone: on Unix "backup-10:00.tar" is an ordinary file name).
    /// </param>
    public static RelativePathProblem Check(string path, bool colonNamesStream = true)
    {
        if (path == null) throw new ArgumentNullException(nameof(path));
        if (path.IndexOf('\0') >= 0) return RelativePathProblem.NulCharacter;
        RelativePathProblem anchor = Anchor(path);
        if (anchor != RelativePathProblem.None) return anchor;
        bool any = false;
        foreach (string segment in path.Split(Separators))
        {
            if (segment.Length == 0 || segment == ".") continue;
            if (segment == "..") return RelativePathProblem.ParentTraversal;
            if (colonNamesStream && NamesStreamOrDrive(segment)) return RelativePathProblem.StreamOrDrive;
            any = true;
        }
        return any ? RelativePathProblem.None : RelativePathProblem.Empty;
    }

    private static readonly char[] NotInAFileName = { '/', '\\', ':', '\0' };

    /// <summary>
    /// Whether <paramref name="name"/> (decoded from a URL: a download's, a signature's, a bundle's) is one plain file name
    /// on every platform: not empty, "." or "..", and without a separator, a ':' (an NTFS stream or drive) or any character
    /// this platform forbids. A file placed by such a name stays in the folder it is placed in.
    /// </summary>
    public static bool IsPlainFileName(string name) =>
        name.Length > 0 && name != "." && name != ".." && name.IndexOfAny(NotInAFileName) < 0 && name.IndexOfAny(Path.GetInvalidFileNameChars()) < 0;

    /// <summary>Whether <paramref name="path"/> names something inside the folder it is relative to.</summary>
    public static bool IsInside(string path) => Check(path) == RelativePathProblem.None;

    /// <summary>
    /// Whether the path is anchored somewhere other than the folder it is relative to (UNC or device, absolute, drive or
    /// drive-relative); <see cref="RelativePathProblem.None"/> when it is not.
    /// </summary>
    public static RelativePathProblem Anchor(string path)
    {
        if (path == null) throw new ArgumentNullException(nameof(path));
        if (path.Length >= 2 && IsSeparator(path[0]) && IsSeparator(path[1])) return RelativePathProblem.UncOrDevicePath;
        if (path.Length >= 1 && IsSeparator(path[0])) return RelativePathProblem.AbsolutePath;
        if (path.Length >= 2 && path[1] == ':' && IsAsciiLetter(path[0])) return RelativePathProblem.DrivePath;
        return RelativePathProblem.None;
    }

    /// <summary>A ':' in a segment names an NTFS alternate data stream ("file:stream") or a drive.</summary>
    public static bool NamesStreamOrDrive(string segment) => segment.IndexOf(':') >= 0;

    /// <summary>The segments of <paramref name="path"/>, split on both separators, empty and "." segments dropped; ".." kept.</summary>
    public static string[] Segments(string path)
    {
        if (path == null) throw new ArgumentNullException(nameof(path));
        string[] parts = path.Split(Separators);
        var segments = new List<string>(parts.Length);
        foreach (string part in parts)
        {
            if (part.Length == 0 || part == ".") continue;
            segments.Add(part);
        }
        return segments.ToArray();
    }

    /// <summary>
    /// <paramref name="relative"/> below <paramref name="folder"/> ('/' becomes the platform's separator); throws
    /// <see cref="ArgumentException"/> when it does not name something inside the folder.
    /// </summary>
    public static string Combine(string folder, string relative)
    {
        if (folder == null) throw new ArgumentNullException(nameof(folder));
        RelativePathProblem problem = Check(relative);
        if (problem != RelativePathProblem.None)
            throw new ArgumentException($"'{relative}' is not a path inside '{folder}': {Describe(problem)}", nameof(relative));
        return Path.Combine(folder, relative.Replace('/', Path.DirectorySeparatorChar));
    }

    /// <summary>What a problem means, as the end of a sentence.</summary>
    public static string Describe(RelativePathProblem problem) => problem switch
    {
        RelativePathProblem.Empty => "it names the folder itself, not something inside it.",
        RelativePathProblem.NulCharacter => "it contains a NUL character, which truncates it in the file system.",
        RelativePathProblem.UncOrDevicePath => "UNC and device paths (\\\\server\\share, \\\\?\\, \\\\.\\) name other machines and devices.",
        RelativePathProblem.AbsolutePath => "absolute paths ignore the folder.",
        RelativePathProblem.DrivePath => "drive and drive-relative paths (C:\\x, C:x) are resolved against a drive, not the folder.",
        RelativePathProblem.ParentTraversal => "'..' climbs out of the folder.",
        RelativePathProblem.StreamOrDrive => "':' names an NTFS alternate data stream (or a drive).",
        _ => "it is a path inside the folder.",
    };

    private static bool IsSeparator(char c) => c == '/' || c == '\\';

    private static bool IsAsciiLetter(char c) => (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}
