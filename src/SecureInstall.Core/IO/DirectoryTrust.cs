namespace SecureInstall.Core.IO;

/// <summary>
/// Decides whether a folder that holds state we act on later (an install root, the artifact cache) is ours: another user
/// who owns it, or can write to it or to a folder above it, can swap what is installed or cached after it was verified.
/// A folder is trusted when it and every folder above it (up to the user's home when it lies inside it, else up to /)
/// is owned by this user or root and is not writable by group or others; a folder above it may be writable by others
/// when its sticky bit is set (as /tmp is), since then nobody can rename or delete what another user made in it.
/// Checked on Linux and macOS, where the owner can be read (<see cref="UnixFileSystem.CanReadOwners"/>); a no-op on Windows.
/// </summary>
public static class DirectoryTrust
{
    /// <summary>
    /// Throws <see cref="UntrustedDirectoryException"/> (with <paramref name="errorId"/>) when <paramref name="directory"/> or a
    /// folder above it fails the rule. A directory that does not exist yet is judged by the folders above it (see <see cref="Ensure"/>).
    /// <paramref name="allowOwnLooseLeaf"/>: the folder itself may be group- or world-writable when it is ours (the caller then
    /// tightens it); its parents never.
    /// </summary>
    public static void Check(string directory, string errorId, string role, string remedy, bool allowOwnLooseLeaf = false)
    {
        if (directory == null) throw new ArgumentNullException(nameof(directory));
        if (!UnixFileSystem.CanReadOwners) return;
        string full = Trim(Path.GetFullPath(directory));
        Walk(full, full, errorId, role, remedy, allowOwnLooseLeaf);
        // The folders a lookup really passes through: when a folder on the way is a link (~/.cache -> /shared/x/me), the
        // folders above its target (/shared/x) can swap what is below them just as well, so they are held to the rule too.
        string? resolved = UnixFileSystem.RealPathOfExisting(full);
        if (resolved != null && !string.Equals(resolved, full, StringComparison.Ordinal))
            Walk(Trim(resolved), full, errorId, role, remedy, allowOwnLooseLeaf);
    }

    private static string Trim(string path)
    {
        string trimmed = path.TrimEnd('/');
        return trimmed.Length == 0 ? "/" : trimmed;
    }

    private static void Walk(string start, string reported, string errorId, string role, string remedy, bool allowOwnLooseLeaf)
    {
        uint me = UnixFileSystem.EffectiveUserId;
        string? stop = HomeContaining(start);
        for (string? current = start; current != null; current = Path.GetDirectoryName(current))
        {
            bool leaf = ReferenceEquals(current, start);
            // Followed through links: what counts is the folder a lookup of the path reaches.
            FileStatus? status = UnixFileSystem.Status(current, followLinks: true);
            if (status is FileStatus s)
            {
                if (s.Owner != me && s.Owner != 0)
                    throw new UntrustedDirectoryException(errorId, role, reported, current, $"owned by another user (uid {s.Owner})", remedy);
                bool ownLoose = leaf && allowOwnLooseLeaf && s.Owner == me;
                if (s.IsWritableByOthers && !ownLoose && (leaf || !s.IsSticky))
                    throw new UntrustedDirectoryException(errorId, role, reported, current,
                        $"writable by {((s.Mode & 0x2) != 0 ? "other users" : "its group")} (mode {s.Permissions}{(s.IsSticky ? ", sticky" : "")})", remedy);
            }
            if (stop != null && string.Equals(current, stop, StringComparison.Ordinal)) break;
        }
    }

    /// <summary>
    /// Checks <paramref name="directory"/>, creates it (and missing parents) with <paramref name="mode"/> whatever the umask,
    /// and checks it again: someone who made the folder between the first check and the creation is caught by the second.
    /// </summary>
    public static void Ensure(string directory, uint mode, string errorId, string role, string remedy, bool allowOwnLooseLeaf = false)
    {
        Check(directory, errorId, role, remedy, allowOwnLooseLeaf);
        UnixFileSystem.CreateDirectory(directory, mode);
        Check(directory, errorId, role, remedy, allowOwnLooseLeaf);
    }

    /// <summary>The user's home when <paramref name="path"/> is inside it (or is it): the walk up stops there.</summary>
    private static string? HomeContaining(string path)
    {
        string? home = Environment.GetEnvironmentVariable("HOME");
        if (string.IsNullOrEmpty(home)) home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (string.IsNullOrEmpty(home) || !Path.IsPathRooted(home)) return null;
        foreach (string? candidate in new[] { Path.GetFullPath(home).TrimEnd('/'), UnixFileSystem.RealPathOfExisting(home)?.TrimEnd('/') })
        {
            if (string.IsNullOrEmpty(candidate)) continue;
            if (string.Equals(path, candidate, StringComparison.Ordinal) || path.StartsWith(candidate + "/", StringComparison.Ordinal)) return candidate;
        }
        return null;
    }
}

/// <summary>
/// An install root or cache that another user could change: <see cref="OffendingPath"/> (the folder itself or one above it)
/// is owned by another user, or writable by group or others.
/// </summary>
public sealed class UntrustedDirectoryException : SecureInstallException
{
    public UntrustedDirectoryException(string errorId, string role, string directory, string offendingPath, string found, string remedy)
        : base(Describe(role, directory, offendingPath, found, remedy), errorId, FailureKind.Security, directory)
    {
        Directory = directory;
        OffendingPath = offendingPath;
        Found = found;
    }

    /// <summary>The install root or cache that was to be used.</summary>
    public string Directory { get; }

    /// <summary>The folder that failed the check: <see cref="Directory"/> or one above it.</summary>
    public string OffendingPath { get; }

    /// <summary>What was wrong with it, e.g. "owned by another user (uid 65534)".</summary>
    public string Found { get; }

    private static string Describe(string role, string directory, string offending, string found, string remedy)
    {
        string where = string.Equals(directory, offending, StringComparison.Ordinal) ? $"it is {found}" : $"the folder above it, '{offending}', is {found}";
        return $"The {role} '{directory}' is not trusted: {where}. It must be owned by you or root and writable by nobody else "
            + $"(a folder above it may be writable by others only with the sticky bit, as /tmp is), or another user could replace what is "
            + $"verified there afterwards. {remedy}";
    }
}
