using SecureInstall.Core.IO;

namespace SecureInstall.Core.Install;

/// <summary>
/// Where things live under an install root, derived only from the root and validated names: <c>&lt;root&gt;/&lt;tool&gt;/&lt;version&gt;/</c>,
/// its file list <c>&lt;version&gt;.tree</c>, shims in <c>&lt;root&gt;/bin</c>, locks in <c>&lt;root&gt;/.locks</c>. No path read from a
/// file (a lock, a shim) ever decides what is deleted; what a shim holds is only trusted when it is byte for byte what
/// <see cref="ShimContent"/> writes.
/// </summary>
public static class InstallRootLayout
{
    public const string BinFolder = "bin";

    /// <summary>
    /// Why <paramref name="value"/> cannot name a tool (or, with <paramref name="isVersion"/>, a version) folder, or null
    /// when it can. Besides path syntax, names the installer itself uses are reserved: a dot-name (".staging-…",
    /// ".download-…", ".locks", ".x.partial"), "….old-…" and "….removing-…" (what an install deletes as leftovers), a
    /// version ending in ".tree" (another version's file list) and, for a tool, "bin" (the shim folder).
    /// </summary>
    public static string? ReservedReason(string value, bool isVersion)
    {
        if (value.Length == 0 || value == "." || value == ".." || value.IndexOfAny(new[] { '/', '\\', ':', '\0' }) >= 0 || value.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0
            || value.Trim() != value || value.EndsWith(".", StringComparison.Ordinal))
            return $"'{value}' cannot be a folder name; names and versions must be plain names (no separators, no surrounding spaces, no trailing dot).";
        if (value.StartsWith(".", StringComparison.Ordinal))
            return $"'{value}' starts with a dot: the install root keeps its own working folders (.staging-, .download-, .locks, *.partial) under such names, and an install deletes them.";
        if (value.IndexOf(".old-", StringComparison.OrdinalIgnoreCase) >= 0 || value.IndexOf(".removing-", StringComparison.OrdinalIgnoreCase) >= 0)
            return $"'{value}' contains '.old-' or '.removing-': an install deletes folders named so as leftovers of an interrupted one.";
        if (IsLeftover(value))
            return $"'{value}' is named like what an interrupted install leaves, which the next install deletes.";
        if (isVersion && value.EndsWith(".tree", StringComparison.OrdinalIgnoreCase))
            return $"'{value}' ends in '.tree': that is the name of another version's file list.";
        if (!isVersion && string.Equals(value, BinFolder, StringComparison.OrdinalIgnoreCase))
            return $"'{value}' is the install root's shim folder.";
        return null;
    }

    /// <summary>Whether a shim name can be a command in the root's bin folder: a plain file name, not a dot-name.</summary>
    public static bool IsCommandName(string name) =>
        name.Length > 0 && name.IndexOfAny(new[] { '/', '\\', ':', '\0' }) < 0 && !name.StartsWith(".", StringComparison.Ordinal);

    /// <summary>
    /// Whether a name in a tool's folder is a leftover of an interrupted install (staging, download, swapped-out and
    /// half-removed folders, the extractor's and atomic writes' temporaries), which the next install deletes. The one list:
    /// <see cref="ReservedReason"/> refuses every such name as a tool or version, so a pinned version is never deleted as one.
    /// </summary>
    public static bool IsLeftover(string name) =>
        name.StartsWith(".staging-", StringComparison.Ordinal) || name.StartsWith(".download-", StringComparison.Ordinal)
        || name.IndexOf(".old-", StringComparison.OrdinalIgnoreCase) >= 0 || name.IndexOf(".removing-", StringComparison.OrdinalIgnoreCase) >= 0
        || AtomicFile.IsTemporaryName(name);

    /// <summary><c>&lt;root&gt;/&lt;tool&gt;/&lt;version&gt;</c>, after checking both names; throws <see cref="InstallException"/> (ManifestInvalid) for a reserved one.</summary>
    public static string VersionDirectory(string root, string tool, string version) =>
        Path.Combine(root, Checked(tool, false), Checked(version, true));

    internal static string Checked(string value, bool isVersion)
    {
        string? reason = ReservedReason(value, isVersion);
        if (reason != null) throw new InstallException(ErrorIds.ManifestInvalid, FailureKind.InvalidData, value, reason);
        return value;
    }

    public static string TreeRecordPath(string versionDirectory) => versionDirectory.TrimEnd(Path.DirectorySeparatorChar) + ".tree";

    public static string BinDirectory(string root) => Path.Combine(root, BinFolder);

    /// <summary>The command a bin entry becomes: its file name without extension.</summary>
    public static string ShimName(string executable) => Path.GetFileNameWithoutExtension(executable.Replace('\\', '/'));

    public static string ShimPath(string root, string shimName) =>
        Path.Combine(BinDirectory(root), UnixFileSystem.IsWindows ? shimName + ".cmd" : shimName);

    /// <summary>Exactly what a shim for <paramref name="tool"/> <paramref name="version"/> starting <paramref name="target"/> holds.</summary>
    public static string ShimContent(string tool, string version, string target) =>
        UnixFileSystem.IsWindows
            ? WindowsShimContent(target)
            : $"#!/bin/sh\n# SecureInstall shim for {tool} {version}\nexec {ShellQuoted(target)} \"$@\"\n";

    /// <summary><paramref name="text"/> as one POSIX shell word: in single quotes, each ' written '\''.</summary>
    internal static string ShellQuoted(string text) => "'" + text.Replace("'", "'\\''") + "'";

    /// <summary>
    /// The <c>.cmd</c> shim for <paramref name="target"/>: <c>@"target" %*</c>. cmd.exe expands <c>%…%</c> in a batch
    /// line even inside quotes, so each <c>%</c> of the path is written <c>%%</c> (a root under a folder named
    /// <c>%PATH%</c> would otherwise start whatever that expands to). Inside the quotes <c>^ &amp; | &lt; &gt; ( )</c> are
    /// literal, and <c>"</c> cannot occur in a Windows path. <c>!</c> is literal unless delayed expansion was turned on
    /// machine-wide (it is off by default), which no quoting in the file can undo for <c>%*</c> anyway.
    /// </summary>
    internal static string WindowsShimContent(string target) => $"@\"{target.Replace("%", "%%")}\" %*\r\n";

    /// <summary>The target a <see cref="WindowsShimContent"/> text starts (its <c>%%</c> read back as <c>%</c>); null for any other text.</summary>
    internal static string? WindowsShimTarget(string text)
    {
        if (!text.StartsWith("@\"", StringComparison.Ordinal) || !text.EndsWith(WindowsShimEnd, StringComparison.Ordinal)) return null;
        string target = text.Substring(2, text.Length - 2 - WindowsShimEnd.Length).Replace("%%", "%");
        return WindowsShimContent(target) == text ? target : null;
    }

    private const string WindowsShimEnd = "\" %*\r\n";

    /// <summary>The most a shim can hold (a path and two short lines); anything larger is not ours.</summary>
    internal const int MaxShimBytes = 8192;

    /// <summary>
    /// Which tool and version wrote the shim at <paramref name="shimPath"/>: it must be a regular file under 8 KiB whose
    /// bytes are exactly <see cref="ShimContent"/> for a target inside <c>&lt;root&gt;/&lt;tool&gt;/&lt;version&gt;/</c>. Null for anything
    /// else (absent, a link, a FIFO, a user's own script, an edited shim). Never follows a link or opens a FIFO.
    /// </summary>
    public static (string Tool, string Version, string Target)? ShimOwner(string root, string shimPath)
    {
        string? text = ReadSmallRegularFile(shimPath, MaxShimBytes);
        if (text == null) return null;
        string? target = null;
        if (UnixFileSystem.IsWindows)
        {
            target = WindowsShimTarget(text);
        }
        else
        {
            const string Exec = "\nexec '";
            int at = text.LastIndexOf(Exec, StringComparison.Ordinal);
            if (at >= 0 && text.EndsWith("' \"$@\"\n", StringComparison.Ordinal))
                target = text.Substring(at + Exec.Length, text.Length - at - Exec.Length - "' \"$@\"\n".Length).Replace("'\\''", "'");
        }
        if (target == null) return null;
        string prefix = root.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        if (!target.StartsWith(prefix, StringComparison.Ordinal)) return null;
        string[] parts = target.Substring(prefix.Length).Split(Path.DirectorySeparatorChar);
        if (parts.Length < 3 || ReservedReason(parts[0], false) != null || ReservedReason(parts[1], true) != null) return null;
        if (Array.Exists(parts, p => p.Length == 0 || p == "." || p == "..")) return null;
        return ShimContent(parts[0], parts[1], target) == text ? (parts[0], parts[1], target) : null;
    }

    /// <summary>A regular file's text when it is at most <paramref name="limit"/> bytes of UTF-8; null for anything else. Never opens a FIFO or follows a link.</summary>
    internal static string? ReadSmallRegularFile(string path, int limit)
    {
        byte[]? bytes = ReadRegularFile(path, limit);
        if (bytes == null) return null;
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    /// <summary>
    /// The bytes of a regular file of at most <paramref name="limit"/> bytes; null when it is anything else (absent, a link, a
    /// FIFO, a device, a folder, or larger). The kind is taken with lstat and the file opened so a FIFO cannot block the read.
    /// </summary>
    internal static byte[]? ReadRegularFile(string path, int limit)
    {
        if (!UnixFileSystem.TryGetEntry(path, out FileStatus entry) || entry.Kind != UnixEntryKind.RegularFile) return null;
        try
        {
            return RegularFile.ReadAll(path, limit, allowHardLinks: true);
        }
        catch (IOException)
        {
            // Gone, or replaced since the lstat (a link, a FIFO), or larger than the limit: not the file it should be.
            return null;
        }
    }

    /// <summary>Whether two paths name the same place, as written (full paths, no trailing separator; case-insensitive on Windows).</summary>
    public static bool SamePath(string a, string b)
    {
        string Norm(string p) => Path.GetFullPath(p).TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
        try
        {
            return string.Equals(Norm(a), Norm(b), UnixFileSystem.IsWindows ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return false;
        }
    }

    /// <summary>
    /// An install root another user owns or can write (or a folder above it) is refused before anything is installed or removed:
    /// they could swap the installed version afterwards (issue 17). A missing root is created rwxr-xr-x whatever the umask
    /// (by an install; an uninstall creates nothing).
    /// </summary>
    public static void EnsureTrustedRoot(string root, bool create = true)
    {
        const string remedy = "Make it yours (chown; chmod go-w), or install elsewhere (SECUREINSTALL_HOME, -Scope).";
        if (create) DirectoryTrust.Ensure(root, 0x1ED /* 0755 */, ErrorIds.InstallRootNotTrusted, "install root", remedy);
        else DirectoryTrust.Check(root, ErrorIds.InstallRootNotTrusted, "install root", remedy);
    }

    /// <summary>The file lock that serialises installs and uninstalls of one tool: &lt;root&gt;/.locks/&lt;tool&gt;.lock.</summary>
    public static string ToolLockPath(string root, string tool) => Path.Combine(root, ".locks", Checked(tool, isVersion: false) + ".lock");

    /// <summary>The file lock that serialises read-modify-writes of one lock file (installs of different tools share it).</summary>
    public static string LockFileLockPath(string root, string lockPath)
    {
        using var sha = System.Security.Cryptography.SHA256.Create();
        string key = Checksums.Hex.Encode(sha.ComputeHash(Encoding.UTF8.GetBytes(Path.GetFullPath(lockPath)))).Substring(0, 16);
        return Path.Combine(root, ".locks", "lockfile-" + key + ".lock");
    }
}
