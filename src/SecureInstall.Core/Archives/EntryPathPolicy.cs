using SecureInstall.Core.IO;

namespace SecureInstall.Core.Archives;

/// <summary>
/// Turns an entry name into path segments that can only name something inside the destination, or refuses it.
/// The rules are the same on every platform: an archive that is hostile on Windows is hostile everywhere, and the
/// same archive extracts to the same tree wherever it runs. Where a name may point (anchors, "..", ':') is
/// <see cref="RelativePath"/>'s rule, shared with every reader of relative paths; what a created name may be
/// (control characters, Windows-portable segments) is the archive's own.
/// </summary>
public static class EntryPathPolicy
{
    private static readonly char[] WindowsInvalid = { '<', '>', '"', '|', '?', '*' };
    private static readonly HashSet<string> Reserved = new(StringComparer.OrdinalIgnoreCase)
    {
        "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
        "COM0", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9", "COM\u00B9", "COM\u00B2", "COM\u00B3",
        "LPT0", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9", "LPT\u00B9", "LPT\u00B2", "LPT\u00B3",
    };

    /// <summary>True when the name ends in a separator: the zip and v7 tar way of saying "folder".</summary>
    public static bool EndsWithSeparator(string name) => name.Length > 0 && (name[name.Length - 1] == '/' || name[name.Length - 1] == '\\');

    /// <summary>
    /// The segments of <paramref name="name"/> with empty and "." segments dropped. Both '/' and '\' separate, so
    /// a backslash cannot smuggle a traversal past a check that only knows '/'. Throws
    /// <see cref="UnsafeArchiveEntryException"/> naming the rule; an empty array means the entry names the root itself.
    /// </summary>
    public static string[] Split(string archivePath, string name)
    {
        if (name == null) throw new ArgumentNullException(nameof(name));
        if (name.Length == 0) throw Refuse(archivePath, name, UnsafeEntryRule.EmptyName, "the name is empty.");
        foreach (char c in name)
        {
            if (c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F))
                throw Refuse(archivePath, name, UnsafeEntryRule.ControlCharacter, c == 0 ? "the name contains a NUL character, which truncates it in the file system." : "the name contains a control character.");
        }
        switch (RelativePath.Anchor(name))
        {
            case RelativePathProblem.UncOrDevicePath:
                throw Refuse(archivePath, name, UnsafeEntryRule.UncOrDevicePath, "UNC and device paths (\\\\server\\share, \\\\?\\, \\\\.\\) name other machines and devices.");
            case RelativePathProblem.AbsolutePath:
                throw Refuse(archivePath, name, UnsafeEntryRule.AbsolutePath, "absolute paths ignore the destination.");
            case RelativePathProblem.DrivePath:
                throw Refuse(archivePath, name, UnsafeEntryRule.DrivePath, "drive and drive-relative paths (C:\\x, C:x) are resolved against a drive, not the destination.");
        }

        string[] segments = RelativePath.Segments(name);
        foreach (string part in segments)
        {
            if (part == "..") throw Refuse(archivePath, name, UnsafeEntryRule.ParentTraversal, "'..' climbs out of the destination.");
            CheckSegment(archivePath, name, part);
        }
        return segments;
    }

    /// <summary>
    /// An OPC part name (a .nupkg entry) with its percent escapes decoded (UTF-8, as System.IO.Packaging writes them); the
    /// result then goes through <see cref="Split"/> like any name, so "%2e%2e" is refused as '..' and "%00" as NUL. An
    /// escape that is malformed ("%G0", a cut "%2"), not UTF-8, or that decodes to '/' or '\' is refused: a separator
    /// hidden in an escape would make a folder the package's own file list does not have.
    /// </summary>
    public static string DecodePercentEscapes(string archivePath, string name)
    {
        if (name == null) throw new ArgumentNullException(nameof(name));
        if (name.IndexOf('%') < 0) return name;
        var decoded = new StringBuilder(name.Length);
        var bytes = new List<byte>();
        var strict = new UTF8Encoding(false, throwOnInvalidBytes: true);
        for (int i = 0; i < name.Length;)
        {
            if (name[i] != '%')
            {
                decoded.Append(name[i++]);
                continue;
            }
            bytes.Clear();
            while (i < name.Length && name[i] == '%')
            {
                if (i + 2 >= name.Length || !Checksums.Hex.IsHexDigit(name[i + 1]) || !Checksums.Hex.IsHexDigit(name[i + 2]))
                    throw Refuse(archivePath, name, UnsafeEntryRule.InvalidEscape, $"'%{(i + 1 < name.Length ? name.Substring(i + 1, Math.Min(2, name.Length - i - 1)) : "")}' at {i} is not a percent escape (% and two hex digits).");
                bytes.Add(Convert.ToByte(name.Substring(i + 1, 2), 16));
                i += 3;
            }
            string run;
            try
            {
                run = strict.GetString(bytes.ToArray());
            }
            catch (DecoderFallbackException)
            {
                throw Refuse(archivePath, name, UnsafeEntryRule.InvalidEscape, "its percent escapes are not UTF-8 text.");
            }
            if (run.IndexOf('/') >= 0 || run.IndexOf('\\') >= 0)
                throw Refuse(archivePath, name, UnsafeEntryRule.InvalidEscape, "a percent escape decodes to a path separator ('/' or '\\'), which a part name never hides in an escape.");
            decoded.Append(run);
        }
        return decoded.ToString();
    }

    /// <summary>
    /// The segments of a symbolic link's target, ".." kept (the caller resolves it against the tree). A target is
    /// refused when it could not be relative to the link: absolute, drive, UNC or device, or with characters a name may not hold.
    /// </summary>
    internal static string[] SplitLinkTarget(string archivePath, string entryName, string target)
    {
        if (target.Length == 0) throw Refuse(archivePath, entryName, UnsafeEntryRule.LinkEscapesDestination, "the link has an empty target.");
        foreach (char c in target)
        {
            if (c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F))
                throw Refuse(archivePath, entryName, UnsafeEntryRule.ControlCharacter, "the link target contains a control character.");
        }
        if (RelativePath.Anchor(target) != RelativePathProblem.None)
            throw Refuse(archivePath, entryName, UnsafeEntryRule.LinkEscapesDestination, $"the link points to the absolute path '{target}', outside the destination.");
        string[] segments = RelativePath.Segments(target);
        foreach (string part in segments)
        {
            if (part != "..") CheckSegment(archivePath, entryName, part);
        }
        return segments;
    }

    private static void CheckSegment(string archivePath, string name, string part)
    {
        if (RelativePath.NamesStreamOrDrive(part))
            throw Refuse(archivePath, name, UnsafeEntryRule.AlternateDataStream, $"'{part}' contains ':', which names an NTFS alternate data stream (or a drive).");
        if (part.IndexOfAny(WindowsInvalid) >= 0)
            throw Refuse(archivePath, name, UnsafeEntryRule.InvalidCharacter, $"'{part}' contains one of < > \" | ? *, which Windows does not allow in names.");
        char last = part[part.Length - 1];
        if (last == '.' || last == ' ')
            throw Refuse(archivePath, name, UnsafeEntryRule.TrailingDotOrSpace, $"'{part}' ends in a dot or space, which Windows strips (it would alias another name).");
        int dot = part.IndexOf('.');
        string stem = (dot < 0 ? part : part.Substring(0, dot)).TrimEnd(' ');
        if (Reserved.Contains(stem))
            throw Refuse(archivePath, name, UnsafeEntryRule.ReservedName, $"'{part}' is a Windows device name; opening it opens the device, not a file.");
        if (LooksLikeShortName(part))
            throw Refuse(archivePath, name, UnsafeEntryRule.ShortNameAlias, $"'{part}' has the form of an 8.3 short name, which on NTFS can be another file's alias (writing it would replace that file).");
        if (Encoding.UTF8.GetByteCount(part) > 255)
            throw Refuse(archivePath, name, UnsafeEntryRule.NameTooLong, "a segment is longer than 255 bytes, the limit of common file systems.");
    }

    /// <summary>
    /// An 8.3 short name's shape: a base of at most 8 characters ending in <c>~</c> and digits (<c>~1</c> to <c>~999999</c>),
    /// with at most one dot and an extension of at most 3 characters. <c>notes.txt~</c> or <c>a~b</c> are not.
    /// </summary>
    internal static bool LooksLikeShortName(string part)
    {
        int dot = part.IndexOf('.');
        if (dot >= 0 && (part.IndexOf('.', dot + 1) >= 0 || part.Length - dot - 1 > 3)) return false;
        string stem = dot < 0 ? part : part.Substring(0, dot);
        int tilde = stem.LastIndexOf('~');
        if (tilde < 1 || stem.Length > 8 || tilde == stem.Length - 1) return false;
        for (int i = tilde + 1; i < stem.Length; i++)
        {
            if (stem[i] < '0' || stem[i] > '9') return false;
        }
        return true;
    }

    internal static UnsafeArchiveEntryException Refuse(string archivePath, string name, UnsafeEntryRule rule, string detail) => new(archivePath, name, rule, detail);
}
